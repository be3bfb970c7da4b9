"""The cache answers exactly as the YAML does, and a bad cache is rebuilt, never trusted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli import cache
from safecity_cli.cli import app
from safecity_cli.registry.load import load_registry

FIXTURES = Path(__file__).parent / "fixtures"

COMMANDS = [
    ["list", "--date", "2021-01-01"],
    ["list", "--unit", "住建", "--date", "2021-03-01", "-f", "json"],
    ["overdue", "--date", "2021-01-01", "-f", "csv"],
    ["overdue", "--date", "2021-05-01", "-f", "md"],
    ["due", "--date", "2020-12-20", "-f", "json"],
    ["units", "--date", "2021-01-01", "-f", "json"],
    ["schedule", "--date", "2021-03-15", "-f", "json"],
    ["stats", "--date", "2021-05-01", "-f", "json"],
    ["show", "90", "--date", "2021-01-01", "-f", "json"],
    ["history", "27", "-f", "json"],
]


@pytest.fixture
def recorded(work_registry: Path, runner: CliRunner) -> Path:
    for task, unit, status, day in [
        ("27", "区住建局", "推进中", "2020-11-20"),
        ("27", "各街办", "已完成", "2020-12-15"),
        ("76", "区财政局", "已完成", "2020-12-01"),
    ]:
        result = runner.invoke(
            app,
            ["update", task, "-u", unit, "-s", status, "--date", day, "--data", str(work_registry)],
        )
        assert result.exit_code == 0, result.stderr
    return work_registry


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_cached_and_uncached_output_are_identical(
    runner: CliRunner, recorded: Path, command: list[str]
) -> None:
    args = [*command, "--data", str(recorded)]
    fresh = runner.invoke(app, [*args, "--no-cache"] if command[0] != "history" else args)
    warm_up = runner.invoke(app, args)
    cached = runner.invoke(app, args)
    assert fresh.exit_code == warm_up.exit_code == cached.exit_code == 0, fresh.stderr
    assert fresh.stdout == warm_up.stdout == cached.stdout
    assert fresh.stdout.strip()


def test_a_cache_hit_equals_a_fresh_load() -> None:
    path = FIXTURES / "mini"
    fresh = load_registry(path)
    cache.load(path)
    assert cache.load(path) == fresh


@pytest.mark.parametrize("garbage", [b"", b"\x00\x01not marshal", b"\xe3" * 64])
def test_a_corrupt_cache_file_is_ignored_and_rebuilt(tmp_path: Path, garbage: bytes) -> None:
    path = tmp_path / "reg"
    shutil.copytree(FIXTURES / "mini", path)
    cache.load(path)
    files = list(cache.cache_dir().glob("registry-*"))
    assert files
    for file in files:
        file.write_bytes(garbage)
    assert cache.load(path) == load_registry(path)


def test_a_foreign_cache_payload_is_not_trusted(tmp_path: Path) -> None:
    import marshal

    path = tmp_path / "reg"
    shutil.copytree(FIXTURES / "mini", path)
    cache.load(path)
    for file in cache.cache_dir().glob("registry-*"):
        file.write_bytes(marshal.dumps(("another-key", ("nonsense",))))
    assert cache.load(path) == load_registry(path)


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "reg"
    shutil.copytree(FIXTURES / "mini", path)
    assert cache.load(path).task(1).text == "编制城市安全专项规划。"  # type: ignore[union-attr]
    tasks = path / "tasks.yaml"
    tasks.write_text(
        tasks.read_text(encoding="utf-8").replace("编制城市安全专项规划", "修订规划"),
        encoding="utf-8",
    )
    assert cache.load(path).task(1).text == "修订规划。"  # type: ignore[union-attr]


def test_an_unwritable_cache_only_costs_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    monkeypatch.setenv("SAFECITY_CACHE_DIR", str(blocker / "cache"))
    assert cache.load(FIXTURES / "mini") == load_registry(FIXTURES / "mini")


def test_a_file_saved_while_it_is_read_is_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import safecity_cli.registry.load as registry_module

    path = tmp_path / "reg"
    shutil.copytree(FIXTURES / "mini", path)
    tasks = path / "tasks.yaml"
    original = tasks.read_text(encoding="utf-8")
    real = registry_module.load_registry

    def edited_meanwhile(where: Path, **options: object) -> object:
        tasks.write_text(original.replace("编制城市安全专项规划", "修订规划"), encoding="utf-8")
        return real(where, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(registry_module, "load_registry", edited_meanwhile)
    cache.load(path)
    monkeypatch.undo()
    tasks.write_text(original, encoding="utf-8")  # back to the bytes that were hashed
    assert cache.load(path).task(1).text == "编制城市安全专项规划。"  # type: ignore[union-attr]
