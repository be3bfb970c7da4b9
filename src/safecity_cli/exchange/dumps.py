"""What every export shares: file names, atomic writing, the registry's identity, and the dumps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safecity_cli.files import safe_name
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.render.formats import OutputFormat, render
from safecity_cli.render.listings import task_listing
from safecity_cli.tracking.query import TaskFilter, select_tasks


# Called as work goes on with (done, total); the CLI turns it into a progress bar.
def default_name(kind: str, on: date | None, unit: Unit | None, suffix: str) -> str:
    """工作台账_区住建局_2021-03-01.xlsx and the like."""
    parts = [kind]
    if unit is not None:
        parts.append(safe_name(unit.name))
    if on is not None:
        parts.append(on.isoformat())
    return "_".join(parts) + suffix


# -- dumps: the JSON and CSV contract of `list` -------------------------------------------------


@dataclass(frozen=True)
class Dump:
    text: str
    tasks: int


def dump_tasks(
    registry: Registry, ledger: Ledger, on: date, fmt: OutputFormat, unit: Unit | None = None
) -> Dump:
    """Every task (or a unit's) with its status as of `on`, exactly as `list --format` prints it."""
    if fmt not in (OutputFormat.JSON, OutputFormat.CSV):
        raise ValueError(fmt)
    states = select_tasks(registry, ledger, on, TaskFilter(unit=unit))
    title = f"{unit.name}的任务" if unit else "任务清单"
    listing = task_listing(registry, states, title=title, unit=unit)
    return Dump(render(listing, fmt), len(states))
