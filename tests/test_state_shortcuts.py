"""The shortcuts report weekly takes to task states answer exactly what task_state computes."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from safecity_cli.cache import load, load_ledger
from safecity_cli.ledger.entries import Kind, Status
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.registry.units import expand
from safecity_cli.reports.changes import states_on
from safecity_cli.tracking.index import unit_tasks
from safecity_cli.tracking.query import TaskFilter, select_tasks
from safecity_cli.tracking.state import earlier, part_of, task_state

BENCH = Path(__file__).parent.parent / "bench"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated province in miniature: groups, 街办 tasks, recurring deadlines, deferrals."""
    out = tmp_path_factory.mktemp("synthetic") / "registry"
    subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), "--tasks", "1200", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def _registry(which: str, synthetic: Path) -> Path:
    return embedded_data_dir() if which == "embedded" else synthetic


@pytest.mark.parametrize(
    ("which", "workdays"), [("embedded", False), ("embedded", True), ("synthetic", False)]
)
@pytest.mark.parametrize("as_of", [True, False])
def test_an_earlier_day_from_a_later_days_state(
    which: str, workdays: bool, as_of: bool, synthetic: Path
) -> None:
    registry = load(_registry(which, synthetic))
    on = date(2021, 6, 30)
    whole = load_ledger(registry)
    ledger = whole.as_of(on) if as_of else whole  # without as_of, later records are there
    later = select_tasks(registry, ledger, on, TaskFilter(), workdays=workdays)
    for day in (on - timedelta(days=1), date(2021, 6, 20), date(2021, 3, 14)):
        shortcut = [earlier(registry, ledger, s, day, workdays=workdays) for s in later]
        computed = [task_state(registry, ledger, t, day, workdays=workdays) for t in registry.tasks]
        assert shortcut == computed, (which, day)


@pytest.mark.parametrize("which", ["embedded", "synthetic"])
@pytest.mark.parametrize("on", [date(2021, 1, 1), date(2021, 6, 30)])
def test_a_units_part_read_off_the_tasks_state(which: str, on: date, synthetic: Path) -> None:
    registry = load(_registry(which, synthetic))
    ledger = load_ledger(registry).as_of(on)
    whole = {s.task.id: s for s in select_tasks(registry, ledger, on, TaskFilter())}
    read = unread = 0
    for unit in registry.units:
        for task, _ in unit_tasks(registry, unit):
            part = part_of(registry, whole[task.id], unit)
            if part is None:  # the unit stands for someone who is no party of the task
                unread += 1
                parties = {p.unit for p in whole[task.id].parties}
                assert not parties.issuperset(expand(registry, unit))
                continue
            read += 1
            assert part == task_state(registry, ledger, task, on, unit=unit), (unit.name, task.id)
    assert read > unread


def test_states_on_gives_select_tasks_whatever_the_order_days_are_asked(synthetic: Path) -> None:
    registry = load(synthetic)
    ledger = load_ledger(registry).as_of(date(2021, 6, 30))
    days = [date(2021, 6, 20), date(2021, 6, 30), date(2021, 6, 27), date(2021, 6, 20)]
    states = states_on(registry, ledger)
    for day in days:
        assert states(day) == select_tasks(registry, ledger, day, TaskFilter())


def test_cached_member_properties() -> None:
    assert [s for s in Status if s.complete] == [Status.DONE, Status.CLOSED]
    assert [k for k in Kind if k.control] == [Kind.APPROVE, Kind.REJECT, Kind.UNDO]
