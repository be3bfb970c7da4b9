"""A unit's 任务书: its tasks by category and its schedule dates, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safecity_cli.ledger.entries import Ledger, Status
from safecity_cli.registry.models import Escalation, Program, Registry, Task, Unit
from safecity_cli.registry.units import expand, names_unit
from safecity_cli.render.wording import office_name
from safecity_cli.reports.rows import (
    ItemRow,
    LevelCounts,
    TaskRow,
    day_unit,
    item_due,
    item_row,
    task_row,
)
from safecity_cli.tracking.index import unit_tasks
from safecity_cli.tracking.state import Level, TaskState, task_state


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
    return TaskBooks(registry, ledger, on, workdays=workdays).book(unit)


class TaskBooks:
    """Task books of any number of units on one date, sharing what they have in common.

    A unit that reports for itself and has recorded nothing on a task has the same part of it
    as every other such unit (task_state(unit=…) then reads only the task's own and the
    office's entries), so that part and its row are computed once per task, not once per unit:
    --all-units at 100k tasks asks for some 700,000 rows of barely 100,000 tasks."""

    def __init__(
        self, registry: Registry, ledger: Ledger, on: date, *, workdays: bool = False
    ) -> None:
        self.registry = registry
        self.ledger = ledger.as_of(on)
        self.on = on
        self.workdays = workdays
        self.day_unit = day_unit(workdays)
        self._reporters: dict[int | str, frozenset[str | None]] = {}
        self._silent: dict[int | str, tuple[TaskState, TaskRow]] = {}
        self._rows: dict[tuple[int | str, str | None], TaskRow] = {}

    def book(self, unit: Unit) -> TaskBook:
        registry = self.registry
        parties = expand(registry, unit)
        alone = parties == (unit.name,)
        rows: dict[int, list[TaskRow]] = {}
        direct = through_groups = general = 0
        complete = in_progress = not_started = overdue = red = yellow = blue = 0
        groups: dict[str, None] = {}
        tasks = unit_tasks(registry, unit)
        name, reporters, silent = unit.name, self._reporters, self._silent
        for task, via in tasks:
            key = task.key
            who = reporters.get(key)
            if who is None:
                who = self._reported(key)
            if alone and name not in who:
                state, row = silent.get(key) or self._silent_part(task, unit)
                if via == name:  # 全部任务适用: the unit's own name is the via
                    row = _sourced(row, via, "全部任务适用", row.state)
                else:
                    row = self._rows.get((key, via)) or self._through(row, key, via)
            else:
                state = task_state(
                    registry, self.ledger, task, self.on, unit=unit, workdays=self.workdays
                )
                row = self._stated(task_row(registry, self.ledger, state, units=parties, owner=unit))
            rows.setdefault(task.category, []).append(row)
            if via is None:
                direct += 1
            elif via == name:
                general += 1
            else:
                through_groups += 1
                groups[via] = None
            status, done = state.status, state.complete
            complete += done
            in_progress += status in _UNDER_WAY and not done
            not_started += status is Status.NOT_STARTED
            overdue += state.days_overdue is not None
            level = state.level
            if level is not None:
                red += level is Level.RED
                yellow += level is Level.YELLOW
                blue += level is Level.BLUE
        categories: list[CategoryTasks] = []
        for category in registry.categories:
            if mine := rows.get(category.id):
                number = len(categories) + 1
                categories.append(CategoryTasks(category.numeral, category.title, mine, number))
        return TaskBook(
            program=registry.program,
            office=office_name(registry.program),
            unit=unit,
            on=self.on,
            day_unit=self.day_unit,
            total=len(tasks),
            direct=direct,
            through_groups=through_groups,
            groups=list(groups),
            general=general,
            general_note=registry.applies_to_all.note,
            complete=complete,
            in_progress=in_progress,
            not_started=not_started,
            overdue=overdue,
            levels=LevelCounts(red, yellow, blue),
            categories=categories,
            items=unit_items(registry, unit, self.on, self.ledger),
            thresholds=registry.program.escalation,
        )

    def _stated(self, row: TaskRow) -> TaskRow:
        """The row with its 状态 cell: the status, and the days overdue or left."""
        cell = row.status
        if row.days_overdue is not None:
            cell += f"，逾期 {row.days_overdue} {self.day_unit}"
        elif row.days_left is not None:
            cell += f"，剩余 {row.days_left} {self.day_unit}"
        return _sourced(row, row.via, row.source, cell)

    def _reported(self, key: int | str) -> frozenset[str | None]:
        """The units with an entry on the task (any date up to the book's: the ledger is
        as of then)."""
        found = self._reporters.get(key)
        if found is None:
            found = self._reporters[key] = frozenset(e.unit for e in self.ledger.for_task(key))
        return found

    def _silent_part(self, task: Task, unit: Unit) -> tuple[TaskState, TaskRow]:
        """The part of a task of a unit that has recorded nothing on it, and its row, the same
        for every such unit but for `via` and the row's source, which says it."""
        state = task_state(
            self.registry, self.ledger, task, self.on, unit=unit, workdays=self.workdays
        )
        row = task_row(self.registry, self.ledger, state, units=(unit.name,), owner=unit)
        shared = self._silent[task.key] = (state, self._stated(row))
        return shared

    def _through(self, row: TaskRow, key: int | str, via: str | None) -> TaskRow:
        """The shared row as it comes to a unit: named (via None), or through a group."""
        source = None if via is None else f"经{via}"
        mine = self._rows[(key, via)] = _sourced(row, via, source, row.state)
        return mine


def _sourced(row: TaskRow, via: str | None, source: str | None, state: str | None) -> TaskRow:
    """dataclasses.replace(row, via=…, source=…, state=…) at a fifth of the cost (it runs
    for hundreds of thousands of rows at 100k tasks)."""
    copy = object.__new__(TaskRow)
    copy.__dict__.update(row.__dict__, via=via, source=source, state=state)
    return copy


_UNDER_WAY = (Status.IN_PROGRESS, Status.DEFERRED)


def task_book_units(registry: Registry) -> list[Unit]:
    """The units that get a 任务书 with --all-units: every one that reports (a group that lists
    members is covered by its members' books)."""
    return [u for u in registry.units if not u.members]
