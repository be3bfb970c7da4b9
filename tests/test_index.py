"""The unit → tasks index and the shared per-task states answer what the unit-by-unit scan did."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from safecity_cli import cache
from safecity_cli.cache import load, load_ledger
from safecity_cli.ledger.entries import Entry, Ledger
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.registry.models import Registry
from safecity_cli.registry.units import applies_to
from safecity_cli.tracking.index import unit_tasks
from safecity_cli.tracking.query import (
    TaskFilter,
    UnitSummary,
    select_tasks,
    summarize_units,
)
from safecity_cli.tracking.state import task_state

BENCH = Path(__file__).parent.parent / "bench"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated province in miniature: groups, 街办 tasks, deferrals, closings."""
    out = tmp_path_factory.mktemp("synthetic") / "registry"
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "generate.py"),
            "--tasks",
            "1500",
            "--out",
            str(out),
            "--split-files",
            "0",
        ],
        check=True,
        capture_output=True,
    )
    return out


def _naive(registry: Registry, ledger: Ledger, on: date) -> list[UnitSummary]:
    """What summarize_units computed before the index: every unit against every task."""
    result = []
    for unit in registry.units:
        states = [
            task_state(registry, ledger, t, on, unit=unit)
            for t in registry.tasks
            if applies_to(registry, t, unit)[0]
        ]
        complete = sum(s.complete for s in states)
        result.append(
            UnitSummary(
                unit,
                len(states),
                sum(s.via is None for s in states),
                complete,
                len(states) - complete,
                sum(s.overdue for s in states),
            )
        )
    return result


@pytest.mark.parametrize("which", ["embedded", "synthetic"])
@pytest.mark.parametrize("on", [date(2021, 1, 1), date(2021, 6, 30)])
def test_summaries_match_unit_by_unit(which: str, on: date, synthetic: Path) -> None:
    path = embedded_data_dir() if which == "embedded" else synthetic
    registry = load(path)
    ledger = load_ledger(registry)
    assert summarize_units(registry, ledger, on) == _naive(registry, ledger, on)


@pytest.mark.parametrize("which", ["embedded", "synthetic"])
def test_unit_tasks_is_applies_to(which: str, synthetic: Path) -> None:
    registry = load(embedded_data_dir() if which == "embedded" else synthetic)
    for unit in registry.units:
        expected = [
            (t, via) for t in registry.tasks for ok, via in [applies_to(registry, t, unit)] if ok
        ]
        assert list(unit_tasks(registry, unit)) == expected, unit.name


def test_unit_filter_uses_the_index_and_agrees(synthetic: Path) -> None:
    registry = load(synthetic)
    ledger = load_ledger(registry)
    on = date(2021, 3, 1)
    for unit in registry.units[::7]:
        got = select_tasks(registry, ledger, on, TaskFilter(unit=unit))
        want = [
            task_state(registry, ledger, t, on, unit=unit)
            for t in registry.tasks
            if applies_to(registry, t, unit)[0]
        ]
        assert got == want


def _check(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The cached ledger equals the one read from YAML; returns the files the cache parsed."""
    from safecity_cli.ledger import files as ledger_files

    fresh = ledger_files.load_ledger(path)
    read: list[Path] = []
    real = ledger_files.read_progress_file

    def counting(file: Path) -> list[Entry]:
        read.append(file)
        return real(file)

    real_patch = cache._patched
    patched: list[object] = []

    def spy(*args: Any) -> Any:
        patched.append(result := real_patch(*args))
        return result

    monkeypatch.setattr(ledger_files, "read_progress_file", counting)
    monkeypatch.setattr(cache, "_patched", spy)
    got = load_ledger(load(path))
    monkeypatch.setattr(ledger_files, "read_progress_file", real)
    monkeypatch.setattr(cache, "_patched", real_patch)
    assert patched and patched[0] is not None  # patched from the last whole ledger
    assert got.task_ids() == fresh.task_ids()
    for task in fresh.task_ids():
        assert got.for_task(task) == fresh.for_task(task), task
        assert got.earliest_adjustment(task) == fresh.earliest_adjustment(task), task
    return read


def test_after_one_file_changes_only_it_is_read_again(
    synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "registry"
    shutil.copytree(synthetic, data)
    load_ledger(load(data))  # fills the caches
    progress = sorted((data / "progress").glob("*.yaml"))
    target = progress[1]
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(lines[:-8]), encoding="utf-8")  # its last entry taken back
    assert _check(data, monkeypatch) == [target]
    # The same entries in a second file: equal dates and times, ordered by file.
    (data / "progress" / "zz复制.yaml").write_bytes(progress[3].read_bytes())
    assert _check(data, monkeypatch) == []  # its content is cached already (progress[3])
    progress[3].unlink()
    assert _check(data, monkeypatch) == []
    with progress[4].open("a", encoding="utf-8") as handle:
        handle.write("# 手工加的注释\n")
    assert _check(data, monkeypatch) == [progress[4]]


def test_the_shipped_embedded_cache_is_the_embedded_yaml_validated() -> None:
    """src/safecity_cli/embedded.cache must be rebuilt whenever data/ or the version changes
    (the command is in cache.shipped_bytes); a stale one would only be ignored, never used."""
    from safecity_cli.registry.load import load_registry

    path = embedded_data_dir()
    files = cache.registry_files(path)
    key = cache.content_key(
        "registry", *(p for f in files for p in (f.name.encode(), f.read_bytes()))
    )
    shipped = cache._decoded(cache.SHIPPED.read_bytes(), key)
    assert shipped is not None, "rebuild: see cache.shipped_bytes"
    assert shipped == cache._registry_to(load_registry(path))


def test_a_fresh_install_reads_the_embedded_registry_without_yaml(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from safecity_cli.cache import load\n"
        "from safecity_cli.registry.layout import embedded_data_dir\n"
        "r = load(embedded_data_dir())\n"
        "print(len(r.tasks), 'yaml' in sys.modules, 'pydantic' in sys.modules)\n"
    )
    env = {**__import__("os").environ, "SAFECITY_CACHE_DIR": str(tmp_path / "empty")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split()[1:] == ["False", "False"]
    assert not (tmp_path / "empty").exists() or not list((tmp_path / "empty").iterdir())


def test_markdown_escaping_skips_only_text_with_nothing_to_escape() -> None:
    """The fast path of escape_markdown answers exactly what the three substitutions do."""
    import random

    from safecity_cli.render import formats

    def by_substitution(text: str) -> str:
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        special, bullet, ordered, _ = formats._markdown()
        text = special.sub(r"\\\1", text)
        text = ordered.sub(r"\1\\\2", bullet.sub(r"\1\\\2", text))
        return text.replace("\n", "<br>")

    alphabet = list("ab 中文\t\n\r-+=.)1209\\`*_[]<>|~&#")
    rng = random.Random(13)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert formats.escape_markdown(text) == by_substitution(text), repr(text)
