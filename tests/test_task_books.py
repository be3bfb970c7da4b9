"""Task books of many units at once (--all-units) are what each unit's book alone was."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from safecity_cli.cache import load, load_ledger
from safecity_cli.ledger.entries import Ledger, Status
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.registry.units import expand
from safecity_cli.render.wording import office_name
from safecity_cli.reports.rows import count_levels, day_unit, task_row
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
            rows = [task_row(registry, ledger, s, units=parties, owner=unit) for s in mine]
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
