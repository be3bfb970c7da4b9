"""One changed tasks/*.yaml is re-checked alone, and the index ends as if built anew."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from safecity_cli import cache, index_db
from safecity_cli.cli import app
from safecity_cli.index_db import index_file, open_index

BENCH = Path(__file__).parent.parent / "bench"
QUERIES = [
    ("overdue", "--date", "2021-03-01", "-f", "json"),
    ("due", "--date", "2021-02-01", "-w", "60", "-f", "json"),
    ("list", "--date", "2021-03-01", "-f", "csv"),
    ("units", "--date", "2021-03-01", "-f", "json"),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two districts, each with its own tasks/dNNN.yaml of 600 tasks, and their ledger."""
    out = tmp_path_factory.mktemp("split") / "registry"
    subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), "--tasks", "1200", "--split-files", "0",
         "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture
def split(generated: Path, tmp_path: Path, runner: CliRunner) -> Path:
    """A copy whose index is built and current."""
    target = tmp_path / "registry"
    shutil.copytree(generated, target)
    _answers(runner, target)
    return target


@pytest.fixture
def whole_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Every whole-registry load the index asks for."""
    loads: list[Path] = []
    real = cache.load

    def spy(path: Path, **options: Any) -> Any:
        if sys._getframe(1).f_globals["__name__"] == index_db.__name__:
            loads.append(path)
        return real(path, **options)

    monkeypatch.setattr(index_db.cache, "load", spy)
    yield loads


def _invoke(runner: CliRunner, data: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--data", str(data)])
    return result.exit_code, result.stdout, result.stderr


def _answers(runner: CliRunner, data: Path) -> list[tuple[int, str, str]]:
    """Each query's answer through the index, checked against the one read from the YAML."""
    found = []
    for query in QUERIES:
        indexed = _invoke(runner, data, *query)
        assert indexed == _invoke(runner, data, *query, "--no-cache"), query
        found.append(indexed)
    return found


def _task_file(data: Path, name: str) -> Path:
    return data / "tasks" / name


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def _rows(data: Path) -> dict[tuple[str, Any], Any]:
    """What the index holds about the registry, as values: every task, unit, month and task
    file row, the shell, and the ledger rows of the tasks it has."""
    db = sqlite3.connect(index_file(data))
    try:
        found = {
            (kind, key): index_db._unpacked(kind, key, body, checksum)
            for kind, key, body, checksum in db.execute("SELECT * FROM rows")
        }
    finally:
        db.close()
    tasks = {key for kind, key in found if kind == "task"}
    return {
        (kind, key): value
        for (kind, key), value in found.items()
        if kind in ("task", "unit", "month", "part")
        or (kind == "meta" and key in ("shell", "order", "months"))
        or (kind == "ledger" and (key in tasks or isinstance(key, str)))
    }


def _rebuilt(data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[Any, Any]:
    """What an index built from nothing holds (in a cache of its own, deleted after)."""
    fresh = tmp_path / "fresh-cache"
    with monkeypatch.context() as m:
        m.setenv("SAFECITY_CACHE_DIR", str(fresh))
        m.setattr(index_db.cache, "load", _real_load)
        index = open_index(data)
        assert index is not None
        index.__exit__()
        rows = _rows(data)
    shutil.rmtree(fresh)
    return rows


_real_load = cache.load


def _patched(data: Path, whole_loads: list[Path]) -> dict[Any, Any]:
    """The index brought up to date by re-checking only the changed task files."""
    index = open_index(data)
    assert index is not None
    index.__exit__()
    assert whole_loads == []
    return _rows(data)


def _same_as_rebuilt(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole_loads: list[Path]
) -> None:
    patched = _patched(data, whole_loads)
    assert patched == _rebuilt(data, tmp_path, monkeypatch)


def test_an_edited_task_is_re_checked_alone(
    runner: CliRunner,
    split: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_loads: list[Path],
) -> None:
    part = _task_file(split, "d001.yaml")
    text = part.read_text(encoding="utf-8")
    first = text.split("\n    text: ", 1)[1].split("\n", 1)[0]
    deadline = text.split("\n    deadline: ", 1)[1].split("\n", 1)[0]
    _edit(part, f"text: {first}", "text: 改过的任务内容。")
    _edit(part, f"deadline: {deadline}\n", "deadline: 2021年2月\n")  # now overdue
    _same_as_rebuilt(split, tmp_path, monkeypatch, whole_loads)
    answers = _answers(runner, split)
    assert "改过的任务内容。" in answers[2][1]


def test_a_comment_changes_no_row(
    runner: CliRunner, split: Path, whole_loads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _rows(split)
    written: list[str] = []
    real = index_db._put

    def spy(db: sqlite3.Connection, kind: str, items: Any) -> None:
        items = list(items)
        written.extend(kind for _ in items)
        real(db, kind, items)

    monkeypatch.setattr(index_db, "_put", spy)
    part = _task_file(split, "d001.yaml")
    part.write_text(part.read_text(encoding="utf-8") + "# 只加了一行注释\n", encoding="utf-8")
    assert _patched(split, whole_loads) == before
    assert set(written) == {"meta"}  # what each file held: no task, unit, month or file row


def test_tasks_added_removed_and_reordered(
    runner: CliRunner,
    split: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_loads: list[Path],
) -> None:
    part = _task_file(split, "d001.yaml")
    text = part.read_text(encoding="utf-8")
    head, *tasks = text.split("\n  - id: ")
    # The second task taken out, the fourth and fifth swapped, a new one at the end.
    tasks = [tasks[0], tasks[2], tasks[4], tasks[3], *tasks[5:]]
    added = "1201\n    category: 2\n    text: 新增的任务。\n    units: [新城区住建局]\n"
    added += "    deadline: 2021年1月\n"
    part.write_text(
        "\n  - id: ".join([head, *tasks]).rstrip("\n") + "\n  - id: " + added, encoding="utf-8"
    )
    _same_as_rebuilt(split, tmp_path, monkeypatch, whole_loads)
    answers = _answers(runner, split)
    assert "新增的任务。" in answers[0][1]
    listed = [t["id"] for t in json.loads(_invoke(runner, split, "list", "-f", "json")[1])]
    assert listed[:5] == [1, 3, 5, 4, 6] and listed[599] == 1201 and 2 not in listed
    code, shown, _ = _invoke(runner, split, "history", "1201")
    assert code == 0, shown


def test_a_task_moved_to_another_file(
    runner: CliRunner,
    split: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_loads: list[Path],
) -> None:
    first, second = _task_file(split, "d001.yaml"), _task_file(split, "d002.yaml")
    head, *tasks = first.read_text(encoding="utf-8").split("\n  - id: ")
    first.write_text("\n  - id: ".join([head, *tasks[1:]]), encoding="utf-8")
    moved = "\n  - id: " + tasks[0].rstrip("\n") + "\n"
    second.write_text(second.read_text(encoding="utf-8") + moved.lstrip("\n"), encoding="utf-8")
    _same_as_rebuilt(split, tmp_path, monkeypatch, whole_loads)
    _answers(runner, split)


def test_a_task_file_added_and_one_deleted(
    runner: CliRunner,
    split: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_loads: list[Path],
) -> None:
    first = _task_file(split, "d001.yaml")
    shutil.copy(first, _task_file(split, "d000.yaml"))  # read before d001: every place moves
    first.unlink()
    _same_as_rebuilt(split, tmp_path, monkeypatch, whole_loads)
    _answers(runner, split)
    _task_file(split, "d002.yaml").unlink()  # its tasks gone: a gap at the end, no warning
    _same_as_rebuilt(split, tmp_path, monkeypatch, whole_loads)
    _answers(runner, split)
    whole = json.loads(_invoke(runner, split, "list", "-f", "json")[1])
    assert len(whole) == 600


def _problem_reported_as_without_the_index(runner: CliRunner, data: Path) -> str:
    """The error each query gives is the one a full load and validate give."""
    for query in QUERIES:
        indexed = _invoke(runner, data, *query)
        assert indexed[0] == 1, query
        assert indexed == _invoke(runner, data, *query, "--no-cache"), query
    code, _, validated = _invoke(runner, data, "validate")
    assert code == 1
    reported = indexed[2]
    first = reported.splitlines()[0]
    assert first in validated.splitlines()
    return first


def test_a_duplicate_id_across_files_is_reported_as_validate_does(
    runner: CliRunner, split: Path, whole_loads: list[Path]
) -> None:
    part = _task_file(split, "d002.yaml")
    _edit(part, "  - id: 602\n", "  - id: 17\n")
    problem = _problem_reported_as_without_the_index(runner, split)
    assert problem.startswith(f"{part}:")
    assert "任务序号 17 重复（tasks/d001.yaml 中已有）" in problem
    _edit(part, "  - id: 17\n", "  - id: 602\n")
    _answers(runner, split)


def test_an_unknown_unit_is_reported_as_validate_does(
    runner: CliRunner, split: Path, whole_loads: list[Path]
) -> None:
    part = _task_file(split, "d001.yaml")
    _edit(part, "units: [", "units: [不存在的单位, ")
    problem = _problem_reported_as_without_the_index(runner, split)
    assert problem.startswith(f"{part}:") and "未知的责任单位「不存在的单位」" in problem


def test_a_broken_file_stays_reported_until_it_is_fixed(
    runner: CliRunner, split: Path, whole_loads: list[Path]
) -> None:
    """The valid rest of a file with errors is not cached as if it were the whole file."""
    part = _task_file(split, "d001.yaml")
    good = part.read_bytes()
    _edit(part, "    category: ", "    category: 第")
    first = _problem_reported_as_without_the_index(runner, split)
    assert _problem_reported_as_without_the_index(runner, split) == first
    assert _invoke(runner, split, "stats")[0] == 1
    part.write_bytes(good)
    _answers(runner, split)


def test_units_yaml_changed_rebuilds_the_registry_rows(
    runner: CliRunner,
    split: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_loads: list[Path],
) -> None:
    units = split / "units.yaml"
    good = units.read_text(encoding="utf-8")
    _edit(units, "- name: 新城区住建局\n", "- name: 新城区住建局（撤销）\n")
    problem = _problem_reported_as_without_the_index(runner, split)
    assert "未知的责任单位「新城区住建局」" in problem
    units.write_text(good, encoding="utf-8")
    _answers(runner, split)
    whole_loads.clear()
    _edit(_task_file(split, "d001.yaml"), "units: [", "units: [区住建, ")
    _edit(units, "aliases: [新城区住房和城乡建设局]", "aliases: [新城区住房和城乡建设局, 区住建]")
    index = open_index(split)  # another file than tasks/*.yaml: the whole registry is loaded
    assert index is not None
    index.__exit__()
    assert whole_loads == [split]
    whole_loads.clear()
    assert _rows(split) == _rebuilt(split, tmp_path, monkeypatch)
    _answers(runner, split)
