"""The 创建工作周报: the week (Monday–Sunday) containing a date, everything as of that date."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from datetime import date as Day
from fractions import Fraction
from itertools import pairwise
from typing import TYPE_CHECKING

from safecity_cli.dates import chinese_date
from safecity_cli.ledger.entries import Kind, Ledger, Status, target_order
from safecity_cli.registry.deadlines import days_between
from safecity_cli.registry.models import Escalation, Program, Registry, Unit
from safecity_cli.registry.units import expand
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
from safecity_cli.tracking.query import (
    TaskFilter,
    UnitSummary,
    compute_stats,
    current_phase,
    find_due,
    schedule_states,
    select_tasks,
    summarize_units,
)
from safecity_cli.tracking.state import Level, TaskState, part_of, task_state

if TYPE_CHECKING:
    from safecity_cli.assessment.problems import ProblemState
    from safecity_cli.reports.changes import Comparison
    from safecity_cli.scoring.notices import NoticeBook

_RED = Level.RED.value  # an Enum member's value is slow to reach, and asked per row
DEFAULT_LIMIT = 10  # 督办 rows a unit's list shows before "另有 N 项" (the rest go to the annex)


@dataclass(frozen=True)
class PhaseNow:
    name: str
    period: str
    start: date | None
    end: date | None
    days_left: int | None  # None: the phase has no end date (时间待定)


@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int
    share: float


@dataclass(frozen=True)
class CategoryRow:
    title: str
    tasks: int
    complete: int
    in_progress: int
    not_started: int
    overdue: int

    @property
    def rate(self) -> float:
        return self.complete / self.tasks if self.tasks else 0.0


@dataclass(frozen=True)
class EntryRow:
    """One progress entry recorded during the week."""

    date: date
    unit: str
    task: int | str  # a task's id, or a 日程 item as S12
    task_text: str
    status: str
    note: str
    new_deadline: Day | None  # (`date` is a field name in this class)
    requested: bool = False  # a 延期申请: new_deadline is asked for, not yet granted


@dataclass(frozen=True)
class RequestRow:
    """A 延期申请 the office has not decided (README, 延期)."""

    id: str  # the record's id, for safecity approve / reject
    task: int | str  # a task's id, or a 日程 item as S12
    task_text: str
    unit: str
    asked_on: Day
    deadline: str  # the deadline that governs until the office decides
    new_deadline: Day | None
    note: str


@dataclass(frozen=True)
class LateRow:
    """An entry recorded this week more than `late_after_days` after the date it gives (补录)."""

    id: str
    task: int | str
    task_text: str
    unit: str
    date: Day
    recorded_on: Day
    status: str
    note: str

    @property
    def days_late(self) -> int:
        return (self.recorded_on - self.date).days


@dataclass(frozen=True)
class UnitOverdue:
    """A unit's overdue part of tasks, for the 督办 list.

    A collective unit (`members` > 0) stands once for the tasks on which two or more of its
    members are late; each of its rows then holds the late members in `units`."""

    unit: str
    rows: list[TaskRow]
    members: int = 0
    limit: int | None = None  # rows shown in the briefing; None or 0: all

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def shown(self) -> list[TaskRow]:
        return self.rows[: self.limit] if self.limit else self.rows

    @property
    def more(self) -> int:
        return self.count - len(self.shown)

    @property
    def red(self) -> int:
        return sum(r.level == _RED for r in self.rows)


@dataclass(frozen=True)
class RankRow:
    rank: int
    unit: str
    kind: str
    tasks: int  # the unit's own view: direct tasks and those through groups (as `units` counts)
    complete: int

    @property
    def rate(self) -> float:
        return self.complete / self.tasks if self.tasks else 0.0


@dataclass(frozen=True)
class GanttBar:
    section: str  # 创建阶段 or 日程安排
    label: str
    start: date
    end: date
    milestone: bool
    state: str  # done (over), active (under way or due soon) or ""
    left: float  # percent of the chart's width, for HTML
    width: float

    @property
    def end_exclusive(self) -> date:
        """Mermaid draws a bar up to its end date; the day after covers the last day."""
        return self.end + timedelta(days=1)


@dataclass(frozen=True)
class GanttTick:
    label: str
    left: float


@dataclass(frozen=True)
class GanttSection:
    name: str
    bars: list[GanttBar]


@dataclass(frozen=True)
class Gantt:
    start: date
    end: date
    sections: list[GanttSection]
    ticks: list[GanttTick]
    today: float  # where `on` falls, percent
    undated: list[str]  # phases without dates (时间待定), not drawn


@dataclass(frozen=True)
class Weekly:
    program: Program
    office: str
    on: date
    week_start: date
    week_end: date
    issue: int | None  # 第N期 counted from the program's first week; None before it
    day_unit: str
    workdays: bool
    started: bool
    days_to_start: int | None
    phase: PhaseNow | None
    days_to_final: int  # negative once the final deadline has passed
    schedule_this_week: list[ItemRow]
    schedule_next_week: list[ItemRow]
    schedule_overdue: list[ItemRow]  # past their date and not recorded done, latest first
    total: int
    complete: int
    overdue: int
    by_status: list[StatusCount]
    by_category: list[CategoryRow]
    levels: LevelCounts
    recorded: int  # entries on or before `on`: 0 means nothing has been reported yet
    entries: list[EntryRow]
    reporting_units: int
    newly_complete: list[TaskRow]
    newly_overdue: list[TaskRow]
    escalation: list[UnitOverdue]
    due_soon: list[TaskRow]
    due_within: int
    ranking: list[RankRow]
    gantt: Gantt
    thresholds: Escalation
    problems: list[ProblemState] = field(default_factory=list)  # 整改问题 not yet done
    requests: list[RequestRow] = field(default_factory=list)  # 延期申请 waiting for the office
    late_entries: list[LateRow] = field(default_factory=list)  # 补录 recorded this week
    late_after_days: int = 7
    comparison: Comparison | None = None  # 较上周
    notices_late: list[NoticeRow] = field(default_factory=list)  # 督办通知单逾期未回复
    notices_issued: int = 0  # 督办通知单 issued up to `on`
    limit: int = DEFAULT_LIMIT

    @property
    def completion_rate(self) -> float:
        return self.complete / self.total if self.total else 0.0

    @property
    def escalated_tasks(self) -> int:
        return len({r.id for u in self.escalation for r in u.rows})

    @property
    def annex(self) -> list[UnitOverdue]:
        """The 督办 lists cut short in the briefing, in full (附件)."""
        return [u for u in self.escalation if u.more]


@dataclass(frozen=True)
class NoticeRow:
    """A 督办通知单 past its reply-by date that someone has not answered."""

    id: str
    date: Day
    unit: str
    reply_by: Day
    days_late: int
    waiting: list[str]  # the units still to answer (members of a collective unit)
    tasks: list[int]


def _open_problems(registry: Registry, on: date, workdays: bool) -> list[ProblemState]:
    from safecity_cli.assessment.paths import PROBLEMS_FILE, file_path

    if not file_path(registry.path, PROBLEMS_FILE).is_file():
        return []
    from safecity_cli.assessment.problems import load_problems, problem_states

    states = problem_states(registry, load_problems(registry.path), on, workdays=workdays)
    return [p for p in states if not p.complete]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def issue_of(program: Program, week_start: date) -> int | None:
    first = monday_of(program.start)
    return (week_start - first).days // 7 + 1 if week_start >= first else None


def build_weekly(
    registry: Registry,
    ledger: Ledger,
    on: date,
    *,
    workdays: bool = False,
    notices: NoticeBook | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Weekly:
    """The briefing for the week containing `on`, from the registry and the entries up to `on`
    (so a past week's briefing comes out the same however much has been recorded since)."""
    # Millions of states and rows at 100k tasks, and no reference cycles among them: the
    # collector would only walk them, during the build or (paused) all at once after it. They
    # live until the report is written, so they join the permanent generation (gc.freeze).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_weekly(registry, ledger, on, workdays, notices, limit)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _build_weekly(
    registry: Registry,
    ledger: Ledger,
    on: date,
    workdays: bool,
    notices: NoticeBook | None,
    limit: int,
) -> Weekly:
    from safecity_cli.reports.changes import compare, states_on
    from safecity_cli.scoring.compute import Period
    from safecity_cli.scoring.notices import NoticeBook

    ledger = ledger.as_of(on)
    book = (notices or NoticeBook()).as_of(on)
    program = registry.program
    week_start = monday_of(on)
    week_end = week_start + timedelta(days=6)
    states_by_day = states_on(registry, ledger)
    states = (
        select_tasks(registry, ledger, on, TaskFilter(), workdays=True)
        if workdays
        else states_by_day(on)
    )
    phase = _phase_now(registry, on, workdays)
    days_to_final = days_between(on, program.final_deadline, workdays=workdays)
    days_to_start = (
        days_between(on, program.start, workdays=workdays) if on < program.start else None
    )
    escalation = [
        replace(g, limit=limit) for g in _escalation(registry, ledger, states, on, workdays)
    ]
    due_soon = find_due(
        registry, ledger, on, program.escalation.blue_within_days, workdays=workdays, states=states
    )
    before = {s.task.id: s for s in states_by_day(week_start - timedelta(days=1))}
    summaries = summarize_units(registry, ledger, on, states=states)  # once, for both uses
    stats = compute_stats(registry, ledger, on, states=states, summaries=summaries)
    entries = _entries(registry, ledger, week_start, on)
    this_week, next_week = _schedule(registry, ledger, on, week_start, week_end)
    late_items = [
        item_row(registry, s.item, item_due(s.item, on), on, s.progress)
        for s in schedule_states(registry, on, ledger=ledger)
        if s.overdue
    ]
    late_items.sort(key=lambda row: (-(row.days_overdue or 0), row.id))
    return Weekly(
        problems=_open_problems(registry, on, workdays),
        program=program,
        office=office_name(program),
        on=on,
        week_start=week_start,
        week_end=week_end,
        issue=issue_of(program, week_start),
        day_unit=day_unit(workdays),
        workdays=workdays,
        started=on >= program.start,
        days_to_start=days_to_start,
        phase=phase,
        days_to_final=days_to_final,
        schedule_this_week=this_week,
        schedule_next_week=next_week,
        schedule_overdue=late_items,
        total=stats.total,
        complete=sum(s.complete for s in states),
        overdue=stats.overdue,
        by_status=[
            StatusCount(label, count, count / stats.total if stats.total else 0.0)
            for label, count in stats.by_status
        ],
        by_category=_categories(registry, stats.by_category, states),
        levels=count_levels(states),
        recorded=len(ledger.entries),
        entries=entries,
        reporting_units=len({e.unit for e in entries}),
        newly_complete=[
            task_row(registry, ledger, s)
            for s in states
            if s.complete and not before[s.task.id].complete
        ],
        newly_overdue=[
            task_row(registry, ledger, s)
            for s in states
            if s.overdue and not before[s.task.id].overdue
        ],
        escalation=escalation,
        due_soon=[task_row(registry, ledger, s) for s in due_soon],
        due_within=program.escalation.blue_within_days,
        ranking=_ranking(summaries),
        gantt=build_gantt(registry, on, ledger=ledger),
        thresholds=program.escalation,
        requests=_requests(registry, ledger, on),
        late_entries=_late(registry, ledger, week_start, week_end),
        late_after_days=program.late_after_days,
        comparison=compare(
            registry,
            ledger,
            book,
            Period(week_start, on),
            Period(week_start - timedelta(days=7), week_start - timedelta(days=1)),
            "较上周",
            states=states_by_day,
        )
        if on >= program.start
        else None,
        notices_late=late_notices(registry, book, on),
        notices_issued=len(book.notices),
        limit=limit,
    )


def _requests(registry: Registry, ledger: Ledger, on: date) -> list[RequestRow]:
    rows = []
    requests = ledger.pending_requests(on)
    for e in sorted(requests, key=lambda e: (e.date, target_order(e.task), e.unit or "")):
        task = registry.target(e.task)
        if task is None:
            continue
        unit = registry.unit(e.unit or "")
        state = task_state(registry, ledger, task, on, unit=unit)
        governing = chinese_date(state.deadline) if state.deadline else task.deadline.raw
        rows.append(
            RequestRow(
                e.id, e.task, task.text, e.unit or "", e.date, governing, e.new_deadline, e.note
            )
        )
    return rows


def _late(registry: Registry, ledger: Ledger, first: date, last: date) -> list[LateRow]:
    from safecity_cli.dates import DISTRICT_ZONE
    from safecity_cli.render.listings import is_late

    days = registry.program.late_after_days
    rows = []
    for e in ledger.entries:
        recorded_on = e.recorded_at.astimezone(DISTRICT_ZONE).date()
        if first <= recorded_on <= last and is_late(e, days):
            task = registry.target(e.task)
            rows.append(
                LateRow(
                    e.id,
                    e.task,
                    task.text if task else "",
                    e.unit or "（创建办销号）",
                    e.date,
                    recorded_on,
                    e.status.value,
                    e.note,
                )
            )
    return sorted(rows, key=lambda r: (r.recorded_on, r.date, target_order(r.task), r.unit))


def late_notices(registry: Registry, book: NoticeBook, on: date) -> list[NoticeRow]:
    """Notices past their reply-by date with someone yet to answer, the longest late first."""
    from safecity_cli.scoring.notices import NoticeState, answered_by, parties, state_of

    rows = []
    for n in book.notices:
        if state_of(registry, book, n, on) is not NoticeState.LATE:
            continue
        waiting = [p for p in parties(registry, n) if answered_by(registry, book, n, p, on) is None]
        rows.append(NoticeRow(n.id, n.date, n.unit, n.reply_by, (on - n.reply_by).days,
                              waiting, list(n.tasks)))
    return sorted(rows, key=lambda r: (-r.days_late, r.id))


def _phase_now(registry: Registry, on: date, workdays: bool) -> PhaseNow | None:
    phase = current_phase(registry, on)
    if phase is None:
        return None
    left = days_between(on, phase.end, workdays=workdays) if phase.end is not None else None
    return PhaseNow(phase.name, phase.period, phase.start, phase.end, left)


def _categories(
    registry: Registry, totals: list[tuple[str, int, int]], states: list[TaskState]
) -> list[CategoryRow]:
    rows = []
    for category, (title, tasks, complete) in zip(registry.categories, totals, strict=True):
        mine = [s for s in states if s.task.category == category.id and not s.complete]
        rows.append(
            CategoryRow(
                title,
                tasks,
                complete,
                sum(s.status in (Status.IN_PROGRESS, Status.DEFERRED) for s in mine),
                sum(s.status is Status.NOT_STARTED for s in mine),
                sum(s.overdue for s in mine),
            )
        )
    return rows


def _entries(registry: Registry, ledger: Ledger, first: date, last: date) -> list[EntryRow]:
    week = sorted(
        (e for e in ledger.entries if first <= e.date <= last),
        key=lambda e: (e.date, e.recorded_at, e.unit or "", str(e.task)),
    )
    rows = []
    for e in week:
        task = registry.target(e.task)  # a task, or a 日程 item (S12)
        rows.append(
            EntryRow(
                e.date,
                e.unit or "（创建办销号）",
                e.task,
                task.text if task else "",
                e.status.value,
                e.note,
                e.new_deadline,
                e.kind is Kind.REQUEST,
            )
        )
    return rows


def _schedule(
    registry: Registry, ledger: Ledger, on: date, week_start: date, week_end: date
) -> tuple[list[ItemRow], list[ItemRow]]:
    """Items due this week and next week (a recurring item: the period end after Monday),
    with what their units recorded by `on`."""
    this_week: list[ItemRow] = []
    next_week: list[ItemRow] = []
    for state in schedule_states(registry, week_start):
        if state.days_left is None:
            continue
        due = week_start + timedelta(days=state.days_left)
        if week_start <= due <= week_end or week_end < due <= week_end + timedelta(days=7):
            progress = task_state(registry, ledger, state.item, on)
            row = item_row(registry, state.item, due, on, progress)
            (this_week if due <= week_end else next_week).append(row)
    return this_week, next_week


def _escalation(
    registry: Registry, ledger: Ledger, states: list[TaskState], on: date, workdays: bool
) -> list[UnitOverdue]:
    """Overdue tasks under each responsible unit still short of them, the units with the most
    overdue (then the longest overdue) first."""
    by_unit: dict[str, list[TaskRow]] = {}
    members: dict[str, int] = {}
    for state in states:
        if not state.overdue:
            continue
        late = []
        for party in state.parties:
            due = party.deadline is not None and party.deadline < on
            if party.status.complete or party.status is Status.SUSPENDED or not due:
                continue
            late.append(party.unit)
        for group, names in _by_group(registry, state.task.units, late):
            if group is not None:
                unit = registry.unit(group)
                part = _part(registry, ledger, state, unit, workdays)
                row = task_row(registry, ledger, part, units=names)
                by_unit.setdefault(group, []).append(replace(row, units="、".join(names)))
                members[group] = len(expand(registry, unit)) if unit else len(names)
                continue
            for name in names:
                unit = registry.unit(name)
                part = _part(registry, ledger, state, unit, workdays)
                row = task_row(registry, ledger, part, units=[name])
                by_unit.setdefault(name, []).append(row)
    order = {u.name: i for i, u in enumerate(registry.units)}
    groups = [
        UnitOverdue(
            name,
            sorted(rows, key=lambda r: (-(r.days_overdue or 0), r.id)),
            members.get(name, 0),
        )
        for name, rows in by_unit.items()
    ]
    return sorted(
        groups,
        key=lambda g: (-g.count, -sum(r.days_overdue or 0 for r in g.rows), order.get(g.unit, 0)),
    )


def _part(
    registry: Registry, ledger: Ledger, state: TaskState, unit: Unit | None, workdays: bool
) -> TaskState:
    """The unit's part of a task, from the task's state when the unit's parties are its own."""
    found = part_of(registry, state, unit, workdays=workdays) if unit is not None else None
    if found is None:
        return task_state(registry, ledger, state.task, state.on, unit=unit, workdays=workdays)
    return found


def _by_group(
    registry: Registry, named: tuple[str, ...], late: list[str]
) -> list[tuple[str | None, list[str]]]:
    """The late parties of a task: those two or more members of one collective unit the task
    names stand under that unit; every other one stands alone (None)."""
    alone: list[str] = []
    grouped: dict[str, list[str]] = {}
    groups = [
        (unit.name, _members(registry, unit))
        for candidate in named
        if (unit := registry.unit(candidate)) is not None and unit.members
    ]
    for name in late:
        via = next((group for group, members in groups if name in members), None)
        if via is None:
            alone.append(name)
        else:
            grouped.setdefault(via, []).append(name)
    result: list[tuple[str | None, list[str]]] = []
    for group, names in grouped.items():
        if len(names) >= 2:
            result.append((group, names))
        else:
            alone.extend(names)
    order = {n: i for i, n in enumerate(late)}
    alone.sort(key=order.__getitem__)
    return [(None, alone), *result] if alone else result


def _members(registry: Registry, unit: Unit) -> frozenset[str]:
    """A collective unit's parties, to ask whether one is among them."""
    found: frozenset[str] = registry.remember(
        ("member set", unit.name), lambda: frozenset(expand(registry, unit))
    )
    return found


def _ranking(summaries: list[UnitSummary]) -> list[RankRow]:
    """Reporting units by completion rate; ties share a rank and list the larger load first.

    Overdue is left to the 督办 list: it counts a task only when the task as a whole is late,
    while a unit's own view also holds the tasks it has through groups every task applies to.
    """
    summaries = [s for s in summaries if not s.unit.members and s.tasks]
    summaries.sort(key=lambda s: (-Fraction(s.complete, s.tasks), -s.tasks))
    rows: list[RankRow] = []
    for index, s in enumerate(summaries):
        rate = Fraction(s.complete, s.tasks)
        tied = rows and Fraction(rows[-1].complete, rows[-1].tasks) == rate
        rank = rows[-1].rank if tied else index + 1
        rows.append(RankRow(rank, s.unit.name, s.unit.kind, s.tasks, s.complete))
    return rows


# -- the chart ----------------------------------------------------------------------------------


def build_gantt(
    registry: Registry, on: date, soon_days: int | None = None, *, ledger: Ledger | None = None
) -> Gantt:
    """Phases and dated schedule items on one time axis, with `on` marked. A phase is done
    once its dates have passed; a 日程 item only once its units recorded it done (from
    `ledger`), and marked crit while it is overdue."""
    soon = registry.program.escalation.blue_within_days if soon_days is None else soon_days
    book = ledger if ledger is not None else Ledger()
    spans: list[tuple[str, str, date, date, bool, TaskState | None]] = []
    undated = []
    for phase in registry.phases:
        if phase.start is None or phase.end is None:
            undated.append(phase.name)
        else:
            spans.append(("创建阶段", phase.name, phase.start, phase.end, False, None))
    for item in registry.items:
        end = item.deadline.end
        if end is None:  # recurring or without a date: nothing to place
            continue
        start = item.deadline.start or end
        recorded = task_state(registry, book, item, on)
        label = f"日程{item.id} {item.text}"
        spans.append(("日程安排", label, start, end, start == end, recorded))
    first = min([registry.program.start, on, *(s[2] for s in spans)])
    last = max([registry.program.final_deadline, on, *(s[3] for s in spans)])
    length = (last - first).days + 1

    def position(day: date) -> float:
        return round((day - first).days / length * 100, 2)

    sections: dict[str, list[GanttBar]] = {}
    for section, label, start, end, milestone, progress in spans:
        if progress.complete if progress is not None else end < on:
            state = "done"
        elif progress is not None and progress.overdue:
            state = "crit"
        elif start <= on or (end - on).days <= soon:
            state = "active"
        else:
            state = ""
        width = max(round(((end - start).days + 1) / length * 100, 2), 0.5)
        bar = GanttBar(section, label, start, end, milestone, state, position(start), width)
        sections.setdefault(section, []).append(bar)
    return Gantt(
        first,
        last,
        [GanttSection(name, bars) for name, bars in sections.items()],
        _ticks(first, last, position),
        position(on),
        undated,
    )


# The axis as base.html.j2 sets it: the track is 68% of a 174 mm text block, labels 9 pt.
AXIS_MM = 174 * 0.68
LABEL_EM_MM = 9 * 25.4 / 72
LABEL_PAD_MM = 1.5  # the tick's line and padding before the text, and a gap after it
TICK_STEPS = (1, 2, 3, 4, 6, 12)


def label_mm(label: str) -> float:
    """How wide a tick's label prints: a Chinese character takes 1 em, a digit about half."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in label) * LABEL_EM_MM + LABEL_PAD_MM


def _ticks(first: date, last: date, position: Callable[[date], float]) -> list[GanttTick]:
    """Month ticks, every 1, 2, 3… months: the smallest step whose labels never reach the
    next one on the printed axis (a label that would run off its right end is left out)."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    every = -(-months // (12 * 24))  # years between ticks: at most about two dozen on any span
    steps = [s for s in TICK_STEPS if months / s <= 12] or [TICK_STEPS[-1]]
    for step in steps:
        ticks = _month_ticks(first, last, position, step, every)
        if _apart(ticks):
            break
    while ticks and ticks[-1].left / 100 * AXIS_MM + label_mm(ticks[-1].label) > AXIS_MM + 5:
        ticks.pop()
    return ticks


def _apart(ticks: list[GanttTick]) -> bool:
    return all((b.left - a.left) / 100 * AXIS_MM >= label_mm(a.label) for a, b in pairwise(ticks))


def _month_ticks(
    first: date, last: date, position: Callable[[date], float], step: int, every: int
) -> list[GanttTick]:
    ticks = []
    year, month = first.year, first.month
    shown_year = None
    while (year, month) <= (last.year, last.month):
        day = date(year, month, 1)
        if day >= first and (month - 1) % step == 0 and year % every == 0:
            label = f"{month}月" if shown_year == year else f"{year}年{month}月"
            shown_year = year
            ticks.append(GanttTick(label, position(day)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ticks
