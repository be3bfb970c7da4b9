"""The SQLite index answers exactly what the whole registry does, stays current, and heals."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.index_db import Wanted, index_file, open_index

BENCH = Path(__file__).parent.parent / "bench"
LINTONG = Path(__file__).parent / "fixtures" / "ledgers" / "lintong" / "progress"


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated province in miniature: groups, 街办 tasks, recurring deadlines, 延期."""
    out = tmp_path_factory.mktemp("province") / "registry"
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "generate.py"),
            "--tasks",
            "1200",
            "--split-files",
            "0",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture
def lintong(work_registry: Path) -> Path:
    shutil.copytree(LINTONG, work_registry / "progress")
    return work_registry


def _run(runner: CliRunner, data: Path, *args: str, cached: bool = True) -> str:
    result = runner.invoke(app, [*args, "--data", str(data), *([] if cached else ["--no-cache"])])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _same(runner: CliRunner, data: Path, *args: str) -> str:
    """The answer from the index, checked against the whole registry read from the YAML."""
    indexed = _run(runner, data, *args)
    assert indexed == _run(runner, data, *args, cached=False), args
    return indexed


def _units(runner: CliRunner, data: Path) -> list[str]:
    import json

    return [u["name"] for u in json.loads(_run(runner, data, "units", "-f", "json"))]


def test_answers_from_the_index_are_the_whole_registry_s(runner: CliRunner, province: Path) -> None:
    names = _units(runner, province)
    rng = random.Random(13)
    for name in [*names[:3], *rng.sample(names, 12)]:
        for fmt in ("json", "csv"):
            _same(runner, province, "list", "--unit", name, "--date", "2021-03-01", "-f", fmt)
        _same(runner, province, "overdue", "--unit", name, "--date", "2021-06-30", "-f", "json")
    for day in ("2020-10-01", "2021-01-01", "2021-04-15", "2021-06-30", "2022-01-01"):
        _same(runner, province, "overdue", "--date", day, "-f", "json")
        for within in ("0", "14", "90"):
            _same(runner, province, "due", "--within", within, "--date", day, "-f", "json")
    _same(runner, province, "list", "--unit", names[5], "--status", "推进中", "-c", "2")


def test_the_lintong_ledger_through_the_index(runner: CliRunner, lintong: Path) -> None:
    for unit in ("住建", "交运", "各街办", "区应急管理局", "公安临潼分局"):
        _same(runner, lintong, "list", "--unit", unit, "--date", "2021-03-15", "-f", "json")
        _same(runner, lintong, "overdue", "--unit", unit, "--date", "2021-03-15", "-f", "json")
        _same(runner, lintong, "due", "--unit", unit, "--date", "2021-03-01", "-w", "60")
    _same(runner, lintong, "overdue", "--date", "2021-03-15", "--as-recorded", "2021-02-01")
    assert index_file(lintong).is_file()


def test_only_the_tasks_asked_for_are_read(lintong: Path) -> None:
    index = open_index(lintong)
    assert index is not None
    with index:
        unit = index.registry.unit("区住建局")
        found = index.answer(Wanted(unit=unit))
        assert found is not None
        registry, ledger = found
        assert 0 < len(registry.tasks) < registry.task_count == 104
        assert all("区住建局" in t.units or "各相关部门" in t.units for t in registry.tasks[:1])
        other = next(t for t in range(1, 105) if registry.task(t) is None)
        with pytest.raises(LookupError):  # a question about another task is a bug, not "none"
            ledger.for_task(other)
        everyone = index.answer(Wanted())
        assert everyone is None  # nothing narrows it: the whole registry is read instead


def test_the_index_follows_every_change_to_the_files(runner: CliRunner, lintong: Path) -> None:
    query = ("overdue", "--date", "2021-03-15", "-f", "json")
    before = _same(runner, lintong, *query)
    result = runner.invoke(
        app,
        [
            "update",
            "38",
            "--unit",
            "区交运局",
            "--status",
            "已完成",
            "--date",
            "2021-03-10",
            "--note",
            "已完成验收",
            "--by",
            "测试",
            "--data",
            str(lintong),
        ],
    )
    assert result.exit_code == 0, result.stderr
    after = _same(runner, lintong, *query)
    assert after != before
    # A progress file removed, another added by hand, a task's text edited.
    (lintong / "progress" / "区交运局.yaml").unlink()
    _same(runner, lintong, *query)
    shutil.copy(LINTONG / "区交运局.yaml", lintong / "progress" / "区交运局.yaml")
    assert _same(runner, lintong, *query) == before
    tasks = lintong / "tasks.yaml"
    tasks.write_text(
        tasks.read_text(encoding="utf-8").replace("制修订城市高层建筑", "制定、修订城市高层建筑"),
        encoding="utf-8",
    )
    assert "制定、修订城市高层建筑" in _same(runner, lintong, *query)


def test_a_save_within_the_clock_s_resolution_is_seen(runner: CliRunner, lintong: Path) -> None:
    query = ("list", "--unit", "区交运局", "--date", "2021-03-15", "-f", "json")
    _same(runner, lintong, *query)
    file = lintong / "progress" / "区交运局.yaml"
    stat = file.stat()
    text = file.read_text(encoding="utf-8")
    changed = text.replace("推进中", "已完成", 1)
    assert changed != text and len(changed.encode()) == len(text.encode())
    file.write_text(changed, encoding="utf-8")
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same time: only racy
    assert '"已完成"' in _same(runner, lintong, *query)


def test_a_flipped_bit_anywhere_in_the_index_changes_no_answer(
    runner: CliRunner, lintong: Path
) -> None:
    queries = [
        ("overdue", "--date", "2021-03-15", "-f", "json"),
        ("list", "--unit", "交运", "--date", "2021-03-15", "-f", "json"),
        ("due", "--date", "2021-03-01", "-w", "45", "-f", "json"),
        ("list", "--unit", "各街办", "--date", "2021-03-15", "-f", "csv"),
    ]
    expected = [_run(runner, lintong, *q, cached=False) for q in queries]
    assert [_run(runner, lintong, *q) for q in queries] == expected
    file = index_file(lintong)
    size = file.stat().st_size
    rng = random.Random(7)
    offsets = sorted({0, 16, 28, 99, 100, 101, size // 2, size - 1, *rng.sample(range(size), 60)})
    for n, offset in enumerate(offsets):
        if not file.is_file():  # the last damage was found and the index deleted: build it
            _run(runner, lintong, *queries[0])
        damaged = bytearray(file.read_bytes())
        damaged[offset] ^= 1 << (n % 8)
        file.write_bytes(bytes(damaged))
        for query, answer in zip(queries, expected, strict=True):
            assert _run(runner, lintong, *query) == answer, (offset, query)
    assert [_run(runner, lintong, *q) for q in queries] == expected
    index = open_index(lintong)
    assert index is not None
    with index:  # whole again
        assert index.answer(Wanted(unit=index.registry.unit("区交运局"))) is not None


def test_a_cache_directory_that_cannot_be_written_only_costs_time(
    runner: CliRunner, lintong: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("x")
    monkeypatch.setenv("SAFECITY_CACHE_DIR", str(blocked / "cache"))
    assert open_index(lintong) is None
    _same(runner, lintong, "overdue", "--date", "2021-03-15", "-f", "json")


def test_a_broken_progress_file_is_reported_as_without_the_index(
    runner: CliRunner, lintong: Path
) -> None:
    _same(runner, lintong, "overdue", "--date", "2021-03-15")
    file = lintong / "progress" / "区交运局.yaml"
    good = file.read_bytes()
    file.write_text("entries:\n- task: 38\n  status: 做完了\n", encoding="utf-8")
    args = ["overdue", "--date", "2021-03-15", "--data", str(lintong)]
    indexed, whole = runner.invoke(app, args), runner.invoke(app, [*args, "--no-cache"])
    assert indexed.exit_code == whole.exit_code == 1
    assert indexed.stderr == whole.stderr
    assert "区交运局.yaml:" in indexed.stderr
    file.write_bytes(good)
    _same(runner, lintong, "overdue", "--date", "2021-03-15")


def test_validate_builds_the_index_afresh(runner: CliRunner, lintong: Path) -> None:
    _same(runner, lintong, "overdue", "--date", "2021-03-15")
    file = index_file(lintong)
    stale = file.stat().st_ino
    assert runner.invoke(app, ["validate", "--data", str(lintong)]).exit_code == 0
    assert not file.exists() or file.stat().st_ino != stale


def test_the_overdue_test_keeps_every_task_the_query_keeps(province: Path) -> None:
    """Wanted's tests are supersets: every task find_overdue/find_due keep is in them."""
    from safecity_cli.cache import load, load_ledger
    from safecity_cli.tracking.query import find_due, find_overdue

    registry = load(province)
    ledger = load_ledger(registry)
    index = open_index(province)
    assert index is not None
    with index:
        for day in (date(2020, 12, 31), date(2021, 2, 28), date(2021, 6, 30)):
            found = index.answer(Wanted(overdue_on=day))
            assert found is not None
            kept = {t.id for t in found[0].tasks}
            assert {s.task.id for s in find_overdue(registry, ledger, day)} <= kept
            found = index.answer(Wanted(due_on=day, due_within=30))
            assert found is not None
            kept = {t.id for t in found[0].tasks}
            assert {s.task.id for s in find_due(registry, ledger, day, 30)} <= kept
