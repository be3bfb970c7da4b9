"""What every export shares: file names, atomic writing, the registry's identity, and the dumps."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from safecity_cli.dates import chinese_date
from safecity_cli.files import safe_name
from safecity_cli.ledger import Entry, Ledger
from safecity_cli.listings import task_listing
from safecity_cli.models import Registry, ScheduleItem, Unit
from safecity_cli.output import OutputFormat, render
from safecity_cli.query import TaskFilter, select_tasks
from safecity_cli.status import names_unit

# Called as work goes on with (done, total); the CLI turns it into a progress bar.
ProgressFn = Callable[[int, int], None]


def registry_key(registry: Registry) -> str:
    """A short, stable identity of a registry (its program name and start date).

    It names calendar events and marks fillable workbooks, so it must not depend on where
    the registry directory happens to live.
    """
    seed = f"{registry.program.name}|{registry.program.start.isoformat()}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:12]


def default_name(kind: str, on: date | None, unit: Unit | None, suffix: str) -> str:
    """工作台账_区住建局_2021-03-01.xlsx and the like."""
    parts = [kind]
    if unit is not None:
        parts.append(safe_name(unit.name))
    if on is not None:
        parts.append(on.isoformat())
    return "_".join(parts) + suffix


def item_applies(registry: Registry, item: ScheduleItem, unit: Unit) -> bool:
    """Whether a 日程 item is the unit's: by the same rule as its tasks (status.names_unit)."""
    return names_unit(registry, item.units, unit)[0]


def latest_progress(entry: Entry | None) -> str | None:
    """2021年3月1日 区住建局：已完成初稿."""
    if entry is None:
        return None
    who = entry.unit or "创建办"
    return f"{chinese_date(entry.date)} {who}：{entry.note or entry.status.value}"


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
