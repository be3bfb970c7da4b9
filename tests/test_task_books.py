"""Task books of many units at once (--all-units) are what each unit's book alone was, and a
folder of them is written all or none."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cache import load, load_ledger
from safecity_cli.cli import app
from safecity_cli.errors import SafecityError, UsageError
from safecity_cli.files import save_outputs
from safecity_cli.ledger.entries import Ledger, Status
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.registry.units import expand
from safecity_cli.render.wording import office_name
from safecity_cli.reports.rows import TaskRow, count_levels, day_unit, task_row
from safecity_cli.reports.task_book import CategoryTasks, TaskBook, TaskBooks, unit_items
from safecity_cli.tracking.query import TaskFilter, select_tasks

BENCH = Path(__file__).parent.parent / "bench"
FIXTURES = Path(__file__).parent / "fixtures"


def _with_ledger(target: Path, registry: Path, ledger: str) -> Path:
    shutil.copytree(registry, target, ignore=shutil.ignore_patterns("progress"))
    shutil.copytree(FIXTURES / "ledgers" / ledger / "progress", target / "progress")
    return target


@pytest.fixture(scope="module")
def lintong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _with_ledger(tmp_path_factory.mktemp("books") / "lintong", embedded_data_dir(), "lintong")


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return _with_ledger(tmp_path / "mini", FIXTURES / "mini", "mini")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated province in miniature: groups, 街办 tasks, deferrals, closings."""
    out = tmp_path_factory.mktemp("synthetic") / "registry"
    subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), "--tasks", "1500", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def _alone(registry: Registry, ledger: Ledger, unit: Unit, on: date, workdays: bool) -> TaskBook:
    """A unit's book as it was made before books shared anything: every task's state for the
    unit computed afresh."""
    ledger = ledger.as_of(on)
    states = select_tasks(registry, ledger, on, TaskFilter(unit=unit), workdays=workdays)
    parties = expand(registry, unit)
    categories: list[CategoryTasks] = []
    for category in registry.categories:
        mine = [s for s in states if s.task.category == category.id]
        if mine:
            rows = [
                _stated(task_row(registry, ledger, s, units=parties, owner=unit), workdays)
                for s in mine
            ]
            number = len(categories) + 1
            categories.append(CategoryTasks(category.numeral, category.title, rows, number))
    return TaskBook(
        program=registry.program,
        office=office_name(registry.program),
        unit=unit,
        on=on,
        day_unit=day_unit(workdays),
        total=len(states),
        direct=sum(s.via is None for s in states),
        through_groups=sum(s.via is not None and s.via != unit.name for s in states),
        groups=list(dict.fromkeys(s.via for s in states if s.via and s.via != unit.name)),
        general=sum(s.via == unit.name for s in states),
        general_note=registry.applies_to_all.note,
        complete=sum(s.complete for s in states),
        in_progress=sum(
            s.status in (Status.IN_PROGRESS, Status.DEFERRED) and not s.complete for s in states
        ),
        not_started=sum(s.status is Status.NOT_STARTED for s in states),
        overdue=sum(s.overdue for s in states),
        levels=count_levels(states),
        categories=categories,
        items=unit_items(registry, unit, on, ledger),
        thresholds=registry.program.escalation,
    )


def _stated(row: TaskRow, workdays: bool) -> TaskRow:
    """What unit.md.j2 wrote in the 状态 cell before rows carried it."""
    days = day_unit(workdays)
    if row.days_overdue is not None:
        return replace(row, state=f"{row.status}，逾期 {row.days_overdue} {days}")
    if row.days_left is not None:
        return replace(row, state=f"{row.status}，剩余 {row.days_left} {days}")
    return replace(row, state=row.status)


@pytest.mark.parametrize("which", ["lintong", "synthetic"])
@pytest.mark.parametrize(
    ("on", "workdays"),
    [(date(2021, 1, 1), False), (date(2021, 6, 30), False), (date(2021, 3, 15), True)],
)
def test_shared_books_are_each_units_own(
    which: str, on: date, workdays: bool, request: pytest.FixtureRequest
) -> None:
    registry = load(request.getfixturevalue(which))  # lintong: the district, its test ledger
    ledger = load_ledger(registry)
    want = {u.name: _alone(registry, ledger, u, on, workdays) for u in registry.units}
    for order in (registry.units, registry.units[::-1]):  # whichever unit asks first
        books = TaskBooks(registry, ledger, on, workdays=workdays)
        for unit in order:
            assert books.book(unit) == want[unit.name], unit.name
    assert any(b.through_groups for b in want.values())
    assert any(r.note for b in want.values() for c in b.categories for r in c.rows)


def _books(runner: CliRunner, data: Path, folder: Path, *more: str) -> str:
    result = runner.invoke(
        app,
        ["report", "unit", "--all-units", "--output-dir", str(folder), "--date", "2021-04-02",
         "--data", str(data), *more],
    )
    return f"{result.exit_code} {result.stderr}"


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_template_failing_at_one_unit_leaves_the_folder_as_it_was(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "任务书"
    assert _books(runner, mini, folder) == f"0 已写入 {folder}：8 个单位的任务书\n"
    before = _contents(folder)
    broken = tmp_path / "unit.md.j2"
    broken.write_text(
        "{{ unit.name }}\n{% if unit.name == '西街道' %}{{ no_such_thing }}{% endif %}\n",
        encoding="utf-8",
    )
    got = _books(runner, mini, folder, "--template", str(broken))
    assert got == f"1 错误：模板 {broken} 第 2 行：变量「no_such_thing」未定义\n"
    assert _contents(folder) == before  # the books before 西街道's were not replaced either


def test_save_outputs_writes_all_or_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "甲.md").write_text("旧\n", encoding="utf-8")

    def failing() -> Iterator[tuple[Path, str | bytes]]:
        yield tmp_path / "甲.md", "新\n"
        yield tmp_path / "乙.md", b"\x00"
        raise SafecityError("模板出错")

    with pytest.raises(SafecityError, match="模板出错"):
        save_outputs(failing())
    assert _contents(tmp_path) == {"甲.md": "旧\n".encode()}
    (tmp_path / "丙.md").mkdir()
    with pytest.raises(UsageError, match="输出路径是一个目录"):
        save_outputs([(tmp_path / "甲.md", "新\n"), (tmp_path / "丙.md", "x")])
    assert (tmp_path / "甲.md").read_text(encoding="utf-8") == "旧\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["丙.md", "甲.md"]
    written = save_outputs([(tmp_path / "甲.md", "新\n"), (tmp_path / "乙.md", b"\x00")])
    assert written == 2
    assert (tmp_path / "甲.md").read_text(encoding="utf-8") == "新\n"
    assert (tmp_path / "乙.md").read_bytes() == b"\x00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["丙.md", "乙.md", "甲.md"]


KILLED_MIDWAY = """
import sys, time
from pathlib import Path
from safecity_cli.files import save_outputs

def documents():
    yield Path(sys.argv[1]) / "甲.md", "新\\n"
    print("staged", flush=True)
    time.sleep(60)
    yield Path(sys.argv[1]) / "乙.md", "新\\n"

save_outputs(documents())
"""


def test_what_a_killed_command_staged_is_removed_by_the_next(tmp_path: Path) -> None:
    (tmp_path / "甲.md").write_text("旧\n", encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_MIDWAY, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "staged\n"
    child.send_signal(signal.SIGKILL)
    child.wait()
    left = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert [p.name.endswith(f".{child.pid}") for p in left] == [True]
    assert len(list(left[0].iterdir())) == 1  # 甲.md, staged but never renamed
    assert (tmp_path / "甲.md").read_text(encoding="utf-8") == "旧\n"
    alive = tmp_path / left[0].name.replace(f".{child.pid}", f".{os.getppid()}")
    alive.mkdir()  # a live process's staging folder is left alone
    elsewhere = tmp_path / left[0].name.replace(f".{child.pid}", f".lan.{child.pid}")
    elsewhere.mkdir()  # host HOST.lan's, another machine's: its processes are not ours to judge

    assert save_outputs([(tmp_path / "乙.md", "新\n")]) == 1
    kept = sorted(["乙.md", "甲.md", alive.name, elsewhere.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == kept
