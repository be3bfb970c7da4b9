"""The cache can never change an answer: damaged bytes, another TZ, and validate rebuilding it."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli import cache
from safecity_cli.cli import app

LINTONG = Path(__file__).parent / "fixtures" / "ledgers" / "lintong" / "progress"
ON = "2021-03-15"
QUERIES = [
    ["overdue", "--date", ON, "-f", "json"],
    ["stats", "--date", ON, "-f", "json"],
    ["list", "--unit", "交运", "--date", ON, "-f", "json"],
    ["history", "38", "-f", "json"],
]


@pytest.fixture
def data(work_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(LINTONG, work_registry / "progress")
    monkeypatch.setenv("SAFECITY_CACHE_DIR", str(tmp_path / "cache"))
    return work_registry


def _answer(runner: CliRunner, data: Path, query: list[str], *, cached: bool = True) -> str:
    no_cache = [] if cached or query[0] == "history" else ["--no-cache"]
    result = runner.invoke(app, [*query, "--data", str(data), *no_cache])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _cache_file(kind: str) -> Path:
    (found,) = sorted(cache.cache_dir().glob(f"{kind}-*"))
    return found


def test_a_flipped_bit_anywhere_in_a_cache_file_changes_no_answer(
    runner: CliRunner, data: Path
) -> None:
    shutil.rmtree(cache.cache_dir(), ignore_errors=True)
    expected = [_answer(runner, data, q, cached=False) for q in QUERIES[:3]]
    expected.append(_answer(runner, data, QUERIES[3]))  # history has no --no-cache: a cold cache
    shutil.rmtree(cache.cache_dir())
    assert [_answer(runner, data, q) for q in QUERIES] == expected  # fills the cache
    rng = random.Random(6)
    for kind in ("registry", "ledger"):
        path = _cache_file(kind)
        size = path.stat().st_size
        # Every part of the file: the checksum, marshal's header, the key, the rows, the end.
        offsets = {0, 1, 31, 32, 33, 36, 48, size // 2, size - 2, size - 1}
        offsets |= set(rng.sample(range(size), 15))
        for n, offset in enumerate(sorted(offsets)):
            damaged = bytearray(path.read_bytes())
            damaged[offset] ^= 1 << (n % 8)
            path.write_bytes(bytes(damaged))
            query = n % len(QUERIES)
            assert _answer(runner, data, QUERIES[query]) == expected[query], (kind, offset)
            _answer(runner, data, QUERIES[1])  # stats reads the whole registry, not the index
            assert cache.read_cached(path.name) is not None  # rebuilt, and whole again


def test_a_damaged_ledger_cache_is_rebuilt_not_an_internal_error(
    runner: CliRunner, data: Path
) -> None:
    stats = QUERIES[1]  # reads the whole ledger (history asks the index for one task's)
    expected = _answer(runner, data, stats)
    path = _cache_file("ledger")
    body = bytearray(path.read_bytes())
    body[len(body) // 3 : len(body) // 3 + 64] = b"\0" * 64  # the rows a later lookup decodes
    path.write_bytes(bytes(body))
    assert _answer(runner, data, stats) == expected
    assert cache.read_cached(path.name) is not None


def test_a_cache_filled_under_one_tz_answers_the_same_under_another(
    runner: CliRunner, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Times with another offset and without one: the ones a machine's TZ used to change.
    with (data / "progress" / "区交运局.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "- task: 38\n  unit: 区交运局\n  status: 推进中\n  date: 2021-03-12\n"
            "  note: 纽约时间录入\n  recorded_at: 2021-03-12T21:30:00-05:00\n"
            "- task: 38\n  unit: 区交运局\n  status: 推进中\n  date: 2021-03-12\n"
            "  note: 未写时区\n  recorded_at: 2021-03-13T09:00:00\n"
        )
    try:
        monkeypatch.setenv("TZ", "America/New_York")
        time.tzset()
        filled = [_answer(runner, data, q) for q in QUERIES]
        monkeypatch.setenv("TZ", "Asia/Shanghai")
        time.tzset()
        assert [_answer(runner, data, q) for q in QUERIES] == filled
        assert [_answer(runner, data, q, cached=False) for q in QUERIES[:3]] == filled[:3]
    finally:
        monkeypatch.delenv("TZ", raising=False)
        time.tzset()
    history = filled[3]
    assert (
        '"note": "纽约时间录入", "evidence": [], "by": "", "recorded_at": "2021-03-13T10:30:00+08:00"'
        in history
    )
    assert history.index("纽约时间录入") > history.index("未写时区")  # 10:30 is after 09:00


def test_validate_rewrites_the_cache(runner: CliRunner, data: Path) -> None:
    shutil.rmtree(cache.cache_dir(), ignore_errors=True)
    result = runner.invoke(app, ["validate", "--data", str(data)])
    assert result.exit_code == 0, result.stderr
    registry, ledger = _cache_file("registry"), _cache_file("ledger")
    assert cache.read_cached(registry.name) is not None
    assert cache.read_cached(ledger.name) is not None
    registry.write_bytes(b"\0" * 40 + registry.read_bytes()[40:])
    assert runner.invoke(app, ["validate", "--data", str(data)]).exit_code == 0
    assert cache.read_cached(registry.name) is not None
