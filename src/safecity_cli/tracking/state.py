"""Status as of a date: each unit's latest entry, whether a task is complete, overdue, its level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum

from safecity_cli.ledger.entries import Entry, Kind, Ledger, Status, approved, decided
from safecity_cli.registry.deadlines import Deadline, Period, days_between, window_start
from safecity_cli.registry.models import Registry, ScheduleItem, Task, Unit
from safecity_cli.registry.units import applies_to, expand, parties_of

# Module names for the members the state is made of, millions of times at 100k tasks: an Enum
# member takes several times as long to reach through its class.
_NOT_STARTED, _IN_PROGRESS, _DONE, _CLOSED, _DEFERRED, _SUSPENDED = (
    Status.NOT_STARTED,
    Status.IN_PROGRESS,
    Status.DONE,
    Status.CLOSED,
    Status.DEFERRED,
    Status.SUSPENDED,
)
_COMPLETE = frozenset((_DONE, _CLOSED))
_SETTLED = _COMPLETE | {_SUSPENDED}  # neither open nor overdue: complete or 暂缓
_REQUEST = Kind.REQUEST


class Level(str, Enum):
    """三色督办."""

    BLUE = "蓝"
    YELLOW = "黄"
    RED = "红"


@dataclass(frozen=True, slots=True)
class PartyState:
    unit: str
    status: Status
    deadline: date | None  # the date that governs overdue for this party (延期 moves it)
    latest: Entry | None
    period: Period | None = None  # recurring deadlines: the period that governs
    requested: Entry | None = None  # a 延期申请 the office has not decided yet (README, 延期)


@dataclass(frozen=True, slots=True)
class TaskState:
    task: Task | ScheduleItem  # a 日程 item is reported on and tracked like a task
    on: date
    status: Status
    parties: tuple[PartyState, ...]
    closed: bool
    deadline: date | None  # the governing end: the earliest one among parties still open
    days_overdue: int | None
    days_left: int | None
    level: Level | None
    latest: Entry | None  # the newest entry with a note, for reports
    via: str | None = None  # the group a unit-filtered task comes through
    period: Period | None = None  # recurring deadlines: the period `deadline` ends
    requests: tuple[Entry, ...] = ()  # 延期申请 not yet decided: the original deadline governs

    @property
    def complete(self) -> bool:
        return self.closed or self.status.complete

    @property
    def overdue(self) -> bool:
        return self.days_overdue is not None


def task_state(
    registry: Registry,
    ledger: Ledger,
    task: Task | ScheduleItem,
    on: date,
    *,
    unit: Unit | None = None,
    workdays: bool = False,
) -> TaskState:
    """The task as of `on`; with `unit`, complete/overdue for that unit's part only."""
    # One pass over the task's entries up to `on` (a few, for hundreds of thousands of tasks
    # and parts): the newest (with a note, if any), those that count, the 延期申请 waiting.
    entries: list[Entry] = []
    waiting: dict[str | None, Entry] = {}
    closed = False
    last = noted = None
    for e in ledger.for_task(task.key):
        if e.date > on:
            continue
        last = e
        if e.note:
            noted = e
        if e.kind is _REQUEST:
            if not decided(ledger, e, on):
                waiting[e.unit] = e
            # A 延期申请 counts once the office approved it; until then (or if rejected) it is
            # not the party's status and moves no deadline.
            if not approved(ledger, e, on):
                continue
        entries.append(e)
        if e.unit is None and e.status is _CLOSED:
            closed = True
    via = None
    if unit is None:
        names = parties_of(registry, task)
    else:
        _, via = applies_to(registry, task, unit)
        names = expand(registry, unit)
    parties = _parties(registry, names, entries, task, on)
    if waiting:
        parties = tuple(replace(p, requested=waiting.get(p.unit)) for p in parties)
    latest = noted if noted is not None else last
    return _settled(registry, task, on, parties, closed, latest, via, workdays)


def part_of(
    registry: Registry, state: TaskState, unit: Unit, *, workdays: bool = False
) -> TaskState | None:
    """task_state(…, unit=unit) read off the task's whole state (`state`: task_state with no
    unit, on the same day and with the same `workdays`), when each party the unit stands for
    is a party of the task; None when it is not."""
    names = expand(registry, unit)
    if len(names) == 1:
        parties = tuple(p for p in state.parties if p.unit == names[0])
        if not parties:
            return None
    else:
        mine = {p.unit: p for p in state.parties}
        if not all(name in mine for name in names):
            return None
        parties = tuple(mine[name] for name in names)
    _, via = applies_to(registry, state.task, unit)
    return _settled(
        registry, state.task, state.on, parties, state.closed, state.latest, via, workdays
    )


def earlier(
    registry: Registry, ledger: Ledger, state: TaskState, day: date, *, workdays: bool = False
) -> TaskState:
    """task_state(registry, ledger, state.task, day) from the task's state on a later day
    (`state`: task_state with no unit and the same `workdays`). When nothing recorded for the
    task is dated after `day` and its deadline does not recur, its parties are the same on
    both days: only what the day itself decides (days left, overdue, level) is worked out."""
    task = state.task
    if task.deadline.every_months is not None or any(
        r.date > day for r in ledger.records(task.key)
    ):
        return task_state(registry, ledger, task, day, workdays=workdays)
    return _settled(registry, task, day, state.parties, state.closed, state.latest, None, workdays)


def _settled(
    registry: Registry,
    task: Task | ScheduleItem,
    on: date,
    parties: tuple[PartyState, ...],
    closed: bool,
    latest: Entry | None,
    via: str | None,
    workdays: bool,
) -> TaskState:
    """The state the parties come to."""
    status = _CLOSED if closed else _overall(parties)
    open_parties = [p for p in parties if p.status not in _SETTLED]
    deadlines = [p.deadline for p in open_parties if p.deadline is not None]
    first = min(deadlines) if deadlines else None  # the earliest late one, when any is late
    deadline = task.deadline
    governing = first if first is not None else deadline.end
    period = None
    if deadline.every_months is not None:
        governing = governing or deadline.due_on(on)
        ruling = [p for p in open_parties if p.deadline == governing and p.period]
        period = ruling[0].period if ruling else deadline.period_of(on)
    days_overdue = days_left = None
    if not closed and first is not None:
        if first < on:
            days_overdue = days_between(first, on, workdays=True) if workdays else (on - first).days
        else:
            days_left = days_between(on, first, workdays=True) if workdays else (first - on).days
    level = None
    if open_parties and not closed:
        level = escalation_level(registry, task, on, status, governing, days_overdue, days_left)
    return TaskState(
        task,
        on,
        status,
        parties,
        closed,
        governing,
        days_overdue,
        days_left,
        level,
        latest,
        via,
        period,
        tuple([p.requested for p in parties if p.requested is not None]),
    )


def _parties(
    registry: Registry,
    names: tuple[str, ...],
    entries: list[Entry],
    task: Task | ScheduleItem,
    on: date,
) -> tuple[PartyState, ...]:
    deadline = task.deadline
    own: dict[str | None, list[Entry]] = {}
    if deadline.every_months is not None:
        for entry in entries:
            own.setdefault(entry.unit, []).append(entry)
        start = registry.program.start
        first = _first_due(deadline, start, on)
        untouched = _untouched(registry, first.end, first)
        return tuple(
            _recurring_party(name, own[name], task, start, on) if name in own else untouched[name]
            for name in names
        )
    due = deadline.due_on(on)
    untouched = _untouched(registry, due)
    if not entries:  # most tasks on most days
        return tuple(map(untouched.__getitem__, names))
    if len(names) == 1:  # a unit's part
        name = names[0]
        mine = [e for e in entries if e.unit == name]
        return (_party(name, mine, due) if mine else untouched[name],)
    for entry in entries:
        own.setdefault(entry.unit, []).append(entry)
    return tuple(_party(name, own[name], due) if name in own else untouched[name] for name in names)


class _Untouched(dict[str, PartyState]):
    """Each unit's state while it has recorded nothing, under one deadline (and period): the
    same for every task with that deadline, so made once per unit and shared."""

    __slots__ = ("deadline", "period")

    def __init__(self, deadline: date | None, period: Period | None) -> None:
        super().__init__()
        self.deadline, self.period = deadline, period

    def __missing__(self, name: str) -> PartyState:
        party = self[name] = PartyState(name, _NOT_STARTED, self.deadline, None, self.period)
        return party


def _untouched(
    registry: Registry, deadline: date | None, period: Period | None = None
) -> _Untouched:
    """The states of parties with nothing recorded, under `deadline` (for a recurring one, the
    end of the `period` they answer for)."""
    shared: dict[tuple[date | None, Period | None], _Untouched]
    shared = registry.remember(("untouched",), dict)
    found = shared.get((deadline, period))
    if found is None:
        found = shared[deadline, period] = _Untouched(deadline, period)
    return found


def _first_due(deadline: Deadline, program_start: date, on: date) -> Period:
    """The period a party of a recurring deadline that has recorded nothing answers for (as
    _recurring_party finds it): the first one, when it has ended, else the current one."""
    periods = deadline.periods(program_start, on)
    return periods[0] if periods and periods[0].end < on else deadline.period_of(on)


def _party(name: str, own: Sequence[Entry], deadline: date | None) -> PartyState:
    for entry in own:
        if entry.new_deadline is not None:
            deadline = entry.new_deadline
    latest = own[-1] if own else None
    return PartyState(name, latest.status if latest else _NOT_STARTED, deadline, latest)


def _recurring_party(
    name: str, own: Sequence[Entry], task: Task | ScheduleItem, program_start: date, on: date
) -> PartyState:
    """A recurring deadline (每季度) falls due at the end of each period: a party with no
    report dated within a period that has ended is overdue for it, from its end; otherwise
    the current period governs (a 延期 reported within it may move its end later)."""
    latest = own[-1] if own else None
    status = latest.status if latest else _NOT_STARTED
    current = task.deadline.period_of(on)
    if status not in _SETTLED:
        for period in task.deadline.periods(program_start, on):
            if period.end >= on:
                break
            if not any(period.start <= e.date <= period.end for e in own):
                return PartyState(name, status, period.end, latest, period)
    deadline = current.end
    for entry in own:
        if entry.new_deadline is not None and current.start <= entry.date <= current.end:
            deadline = max(deadline, entry.new_deadline)
    return PartyState(name, status, deadline, latest, current)


def _overall(parties: tuple[PartyState, ...]) -> Status:
    """A task's status from every party's (README, 任务状态): 暂缓 exempts only the party
    that reported it, so the others decide; 暂缓 overall only when nothing else is open."""
    if len(parties) == 1:  # a unit's part, most often: the rules below come to this
        status = parties[0].status
        return _DONE if status in _COMPLETE else status
    statuses = {p.status for p in parties}
    if parties and statuses <= _COMPLETE:
        return _DONE
    active = statuses - {_SUSPENDED}
    if active <= _COMPLETE:  # nothing open but 暂缓
        return _SUSPENDED if _SUSPENDED in statuses else _NOT_STARTED
    if _DEFERRED in active:
        return _DEFERRED
    if _IN_PROGRESS in active or not active.isdisjoint(_COMPLETE):
        return _IN_PROGRESS
    return _NOT_STARTED


def escalation_level(
    registry: Registry,
    task: Task | ScheduleItem,
    on: date,
    status: Status,
    deadline: date | None,
    days_overdue: int | None,
    days_left: int | None,
) -> Level | None:
    """三色督办: 红 overdue beyond the red threshold, 黄 overdue or idle past half its window,
    蓝 due within the blue threshold. Thresholds come from the registry's program settings."""
    rules = registry.program.escalation
    if days_overdue is not None:
        return Level.RED if days_overdue > rules.red_after_days else Level.YELLOW
    if deadline is None:
        return None
    if status is _NOT_STARTED and not task.deadline.every_months:
        start = window_start(task.deadline, registry.program.start)
        span = (deadline - start).days
        if span > 0 and (on - start).days > span * rules.idle_window_share:
            return Level.YELLOW
    if days_left is not None and days_left <= rules.blue_within_days:
        return Level.BLUE
    return None
