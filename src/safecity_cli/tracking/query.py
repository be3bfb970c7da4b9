"""The office's questions over a registry and its ledger, as plain functions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from safecity_cli.errors import UsageError
from safecity_cli.ledger.entries import Ledger, Status
from safecity_cli.registry.models import Phase, Registry, ScheduleItem, Task, Unit
from safecity_cli.tracking.index import unit_tasks
from safecity_cli.tracking.state import TaskState, part_of, task_state


@dataclass(frozen=True)
class TaskFilter:
    unit: Unit | None = None
    category: int | None = None
    status: Status | None = None
    due_before: date | None = None
    due_after: date | None = None
    search: str | None = None
    open_deadline: bool = False


def parse_category(registry: Registry, text: str) -> int:
    """A category by number (3), Chinese numeral (三 or 三、) or its title."""
    value = text.strip().rstrip("、")
    for category in registry.categories:
        if value in (str(category.id), category.numeral, category.title):
            return category.id
    choices = "、".join(f"{c.id}（{c.numeral}、{c.title}）" for c in registry.categories)
    raise UsageError(f"未知的类别「{text}」，可选：{choices}")


def parse_status(text: str) -> Status:
    try:
        return Status(text.strip())
    except ValueError:
        raise UsageError(
            f"未知的状态「{text}」，可选：{'、'.join(s.value for s in Status)}"
        ) from None


def select_tasks(
    registry: Registry,
    ledger: Ledger,
    on: date,
    filters: TaskFilter,
    *,
    workdays: bool = False,
    candidate: Callable[[Task], bool] | None = None,
) -> list[TaskState]:
    """Tasks matching every filter given, in registry order, with their state as of `on`.

    `candidate` is a cheap test that rules tasks out before their state is computed."""
    states = []
    needle = filters.search.strip() if filters.search else None
    pool = registry.tasks
    if filters.unit is not None:  # the unit's own tasks from the index, not a test of every task
        pool = tuple(task for task, _ in unit_tasks(registry, filters.unit))
    for task in pool:
        if candidate is not None and not candidate(task):
            continue
        if filters.category is not None and task.category != filters.category:
            continue
        if needle and not _mentions(task, needle):
            continue
        if filters.open_deadline and not task.deadline.is_open:
            continue
        state = task_state(registry, ledger, task, on, unit=filters.unit, workdays=workdays)
        end = state.deadline
        if filters.due_before is not None and (end is None or end >= filters.due_before):
            continue
        if filters.due_after is not None and (end is None or end <= filters.due_after):
            continue
        if filters.status is not None and state.status is not filters.status:
            continue
        states.append(state)
    return states


def _mentions(task: Task, needle: str) -> bool:
    return needle in task.text or bool(re.search(re.escape(needle), task.text, re.IGNORECASE))


def find_overdue(
    registry: Registry,
    ledger: Ledger,
    on: date,
    unit: Unit | None = None,
    *,
    workdays: bool = False,
) -> list[TaskState]:
    """Tasks not complete whose deadline ended before `on`, most overdue first."""

    def may_be_overdue(task: Task) -> bool:  # a cheap test first: most tasks are not late
        if task.deadline.every_months is not None:  # each period that has ended may be late
            return True
        end, adjusted = task.deadline.end, ledger.earliest_adjustment(task.id)
        return (end is not None and end < on) or (adjusted is not None and adjusted < on)

    states = select_tasks(
        registry, ledger, on, TaskFilter(unit=unit), workdays=workdays, candidate=may_be_overdue
    )
    overdue = [s for s in states if s.days_overdue is not None]
    return sorted(overdue, key=lambda s: (-(s.days_overdue or 0), s.task.id))


def find_due(
    registry: Registry,
    ledger: Ledger,
    on: date,
    within: int,
    unit: Unit | None = None,
    *,
    workdays: bool = False,
    states: list[TaskState] | None = None,
) -> list[TaskState]:
    """Open tasks whose deadline ends within the next `within` days (counting `on`), soonest first.

    `states`: every task's state on `on` (select_tasks with no filter), when the caller has it."""
    if within < 0:
        raise UsageError("--within 应为不小于 0 的天数")

    def may_fall_due(task: Task | ScheduleItem) -> bool:
        end = task.deadline.end
        return (
            end is None
            or 0 <= (end - on).days <= within
            or ledger.earliest_adjustment(task.key) is not None
        )

    if states is None or unit is not None:
        states = select_tasks(
            registry, ledger, on, TaskFilter(unit=unit), workdays=workdays, candidate=may_fall_due
        )
    else:
        states = [s for s in states if may_fall_due(s.task)]
    due = [
        s
        for s in states
        if s.days_left is not None and s.deadline is not None and (s.deadline - on).days <= within
    ]
    return sorted(due, key=lambda s: (s.deadline or on, s.task.id))


@dataclass(frozen=True)
class UnitSummary:
    unit: Unit
    tasks: int
    direct: int
    complete: int
    open: int
    overdue: int

    @property
    def completion_rate(self) -> float:
        return self.complete / self.tasks if self.tasks else 0.0


def summarize_units(
    registry: Registry,
    ledger: Ledger,
    on: date,
    kind: str | None = None,
    *,
    states: list[TaskState] | None = None,
) -> list[UnitSummary]:
    """Each unit's share of the work as of `on`, from one state per task (`states`, all tasks
    as `select_tasks` gives them with no filter, when the caller has them already)."""
    if kind is not None and kind not in registry.kinds:
        raise UsageError(f"未知的单位类型「{kind}」，可选：{'、'.join(registry.kinds)}")
    whole = _by_task(registry, ledger, on, states)
    summaries = []
    for unit in registry.units:
        if kind is not None and unit.kind != kind:
            continue
        summaries.append(_summarize(registry, ledger, on, unit, whole))
    return summaries


def summarize_unit(registry: Registry, ledger: Ledger, on: date, unit: Unit) -> UnitSummary:
    return summarize_these(registry, ledger, on, [unit])[0]


def summarize_these(
    registry: Registry,
    ledger: Ledger,
    on: date,
    units: Sequence[Unit],
    *,
    states: list[TaskState] | None = None,
) -> list[UnitSummary]:
    """summarize_units for the units given, sharing one state per task among them."""
    whole = _by_task(registry, ledger, on, states)
    return [_summarize(registry, ledger, on, unit, whole) for unit in units]


def _by_task(
    registry: Registry, ledger: Ledger, on: date, states: list[TaskState] | None
) -> dict[int, TaskState]:
    if states is None:
        states = select_tasks(registry, ledger, on, TaskFilter())
    return {s.task.id: s for s in states}


def _summarize(
    registry: Registry, ledger: Ledger, on: date, unit: Unit, whole: dict[int, TaskState]
) -> UnitSummary:
    tasks = direct = complete = overdue = 0
    for task, via in unit_tasks(registry, unit):
        tasks += 1
        direct += via is None
        done, late = _unit_part(registry, ledger, on, unit, task, whole.get(task.id))
        complete += done
        overdue += late
    return UnitSummary(unit, tasks, direct, complete, tasks - complete, overdue)


def _unit_part(
    registry: Registry,
    ledger: Ledger,
    on: date,
    unit: Unit,
    task: Task,
    state: TaskState | None,
) -> tuple[bool, bool]:
    """Whether the unit's part of the task is complete and whether it is overdue: read off the
    task's own state when the unit is one of its parties (its part is that party alone, as
    task_state(unit=…) computes it), else computed for the unit."""
    if state is not None and not unit.members:
        for party in state.parties:
            if party.unit == unit.name:
                if state.closed:
                    return True, False
                if party.status.complete:
                    return True, False
                open_ = party.status is not Status.SUSPENDED
                late = open_ and party.deadline is not None and party.deadline < on
                return False, late
    part = part_of(registry, state, unit) if state is not None else None  # a group of parties
    if part is None:
        part = task_state(registry, ledger, task, on, unit=unit)
    return part.complete, part.overdue


# -- phases and schedule ------------------------------------------------------------------------


def current_phase(registry: Registry, on: date) -> Phase | None:
    """The phase `on` falls in; after the last dated phase, an undated phase that follows it."""
    for phase in registry.phases:
        if phase.start is not None and phase.end is not None and phase.start <= on <= phase.end:
            return phase
    dated = [p for p in registry.phases if p.end is not None]
    if dated and on > max(p.end for p in dated if p.end):
        later = [p for p in registry.phases if p.end is None]
        return later[0] if later else None
    return None


class ItemState(str, Enum):
    PASSED = "已到期"
    DUE_SOON = "即将到期"
    UPCOMING = "未到期"
    UNDATED = "无具体日期"


@dataclass(frozen=True)
class ScheduleItemState:
    item: ScheduleItem
    state: ItemState  # where its date stands
    days_left: int | None
    progress: TaskState | None = None  # what its units recorded (S12): done only when recorded

    @property
    def status(self) -> Status:
        return self.progress.status if self.progress else Status.NOT_STARTED

    @property
    def complete(self) -> bool:
        return self.progress is not None and self.progress.complete

    @property
    def overdue(self) -> bool:
        return self.progress is not None and self.progress.overdue


def schedule_states(
    registry: Registry,
    on: date,
    soon_days: int = 14,
    ledger: Ledger | None = None,
    *,
    unit: Unit | None = None,
) -> list[ScheduleItemState]:
    """Each 日程 item as of `on`: its deadline passed, due soon, upcoming, or without a date,
    and its recorded progress (with `unit`, that unit's part of it)."""
    states = []
    book = ledger if ledger is not None else Ledger()
    for item in registry.items:
        end = item.deadline.due_on(on)
        progress = task_state(registry, book, item, on, unit=unit)
        if end is None:
            states.append(ScheduleItemState(item, ItemState.UNDATED, None, progress))
            continue
        left = (end - on).days
        if left < 0:
            state = ItemState.PASSED
        elif left <= soon_days:
            state = ItemState.DUE_SOON
        else:
            state = ItemState.UPCOMING
        states.append(ScheduleItemState(item, state, left, progress))
    return states


def days_left_in(phase: Phase, on: date) -> int | None:
    return (phase.end - on).days if phase.end is not None else None


# -- statistics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    total: int
    by_category: list[tuple[str, int, int]] = field(default_factory=list)  # label, tasks, complete
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_unit: list[tuple[str, int, int, int]] = field(
        default_factory=list
    )  # unit, tasks, complete, overdue
    by_month: list[tuple[str, int]] = field(default_factory=list)
    overdue: int = 0


def compute_stats(
    registry: Registry,
    ledger: Ledger,
    on: date,
    *,
    states: list[TaskState] | None = None,
    summaries: list[UnitSummary] | None = None,
) -> Stats:
    """Counts over all tasks; `states` and `summaries` when the caller has computed them."""
    if states is None:
        states = select_tasks(registry, ledger, on, TaskFilter())
    by_status = Counter(s.status for s in states)
    by_month = Counter(
        s.task.deadline.end.strftime("%Y-%m") if s.task.deadline.end else "无固定期限"
        for s in states
    )
    per_category: dict[int, list[int]] = {c.id: [0, 0] for c in registry.categories}
    for state in states:
        if (counts := per_category.get(state.task.category)) is not None:
            counts[0] += 1
            counts[1] += state.complete
    categories = [
        (f"{c.numeral}、{c.title}", per_category[c.id][0], per_category[c.id][1])
        for c in registry.categories
    ]
    if summaries is None:
        summaries = summarize_units(registry, ledger, on, states=states)
    units = [(u.unit.name, u.tasks, u.complete, u.overdue) for u in summaries if u.direct]
    return Stats(
        total=len(states),
        by_category=categories,
        by_status=[(status.value, by_status.get(status, 0)) for status in Status],
        by_unit=sorted(units, key=lambda row: (-row[1], row[0])),
        by_month=sorted(by_month.items(), key=lambda kv: (kv[0] == "无固定期限", kv[0])),
        overdue=sum(s.overdue for s in states),
    )
