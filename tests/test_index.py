"""The unit → tasks index and the shared per-task states answer what the unit-by-unit scan did."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from safecity_cli.cache import load, load_ledger
from safecity_cli.ledger.entries import Ledger
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
