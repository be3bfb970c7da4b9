"""A unit's 任务书: its tasks by category and its schedule dates, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safecity_cli.ledger.entries import Ledger, Status
from safecity_cli.registry.models import Escalation, Program, Registry, Unit
from safecity_cli.registry.units import expand, names_unit
from safecity_cli.render.wording import office_name
from safecity_cli.reports.rows import (
    ItemRow,
    LevelCounts,
    TaskRow,
    count_levels,
    day_unit,
    item_due,
    item_row,
    task_row,
)
from safecity_cli.tracking.query import TaskFilter, select_tasks
from safecity_cli.tracking.state import task_state


@dataclass(frozen=True)
class CategoryTasks:
    numeral: str  # the document's number for the category: 一
    name: str  # 城市安全状况显著改善
    rows: list[TaskRow]
    # The section's place in this book, 1, 2, 3 in order whichever categories it has:
    # 区住建局 has no task of category 一, and its first section is still （一）.
    number: int = 0

    @property
    def title(self) -> str:
        return f"{self.numeral}、{self.name}"


@dataclass(frozen=True)
class TaskBook:
    program: Program
    office: str
    unit: Unit
    on: date
    day_unit: str
    total: int
    direct: int  # tasks that name the unit
    through_groups: int  # tasks it has as a member of a group they name
    groups: list[str]  # those groups
    general: int  # tasks it has only because every task applies to it (附件2 备注)
    general_note: str
    complete: int
    in_progress: int
    not_started: int
    overdue: int
    levels: LevelCounts
    categories: list[CategoryTasks]
    items: list[ItemRow]
    thresholds: Escalation
    reminders: int = 0  # 督办通知单 received (催办), see scoring.notices
    reminders_open: int = 0  # of those, not yet answered by the unit


def unit_items(
    registry: Registry, unit: Unit, on: date, ledger: Ledger | None = None
) -> list[ItemRow]:
    """Schedule items naming the unit, or a group it belongs to, with what the unit recorded."""
    rows = []
    book = ledger if ledger is not None else Ledger()
    for item in registry.items:
        applies, via = names_unit(registry, item.units, unit)
        if not applies:
            continue
        progress = task_state(registry, book, item, on, unit=unit)
        rows.append(item_row(registry, item, item_due(item, on), on, progress, via))
    return rows


def build_task_book(
    registry: Registry, ledger: Ledger, unit: Unit, on: date, *, workdays: bool = False
) -> TaskBook:
    """Everything the unit is responsible for as of `on`: its tasks by category, its dates."""
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


def task_book_units(registry: Registry) -> list[Unit]:
    """The units that get a 任务书 with --all-units: every one that reports (a group that lists
    members is covered by its members' books)."""
    return [u for u in registry.units if not u.members]
