"""Status as of a date: each unit's latest entry, whether a task is complete, overdue, its level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum

from safecity_cli.ledger.entries import Entry, Kind, Ledger, Status, approved, decided
from safecity_cli.registry.deadlines import days_between, window_start
from safecity_cli.registry.models import Registry, Task, Unit
from safecity_cli.registry.units import applies_to, expand, parties_of


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
    requested: Entry | None = None  # a 延期申请 the office has not decided yet (README, 延期)


@dataclass(frozen=True, slots=True)
class TaskState:
    task: Task
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
    task: Task,
    on: date,
    *,
    unit: Unit | None = None,
    workdays: bool = False,
) -> TaskState:
    """The task as of `on`; with `unit`, complete/overdue for that unit's part only."""
    everything = [e for e in ledger.for_task(task.id) if e.date <= on]
    # A 延期申请 counts once the office approved it; until then (or if rejected) it is not the
    # party's status and moves no deadline.
    entries = [e for e in everything if approved(ledger, e, on)]
    closed = any(e.unit is None and e.status is Status.CLOSED for e in entries)
    via = None
    if unit is None:
        names = parties_of(registry, task)
    else:
        _, via = applies_to(registry, task, unit)
        names = expand(registry, unit)
    parties = _parties(registry, names, entries, task, on)
    waiting = {
        e.unit: e for e in everything if e.kind is Kind.REQUEST and not decided(ledger, e, on)
    }
    if waiting:
        parties = tuple(replace(p, requested=waiting.get(p.unit)) for p in parties)
    status = Status.CLOSED if closed else _overall(parties)
    open_parties = [
        p for p in parties if not p.status.complete and p.status is not Status.SUSPENDED
    ]
    deadlines = [p.deadline for p in open_parties if p.deadline is not None]
    governing = min(deadlines) if deadlines else task.deadline.end
    days_overdue = days_left = None
    if not closed and deadlines:
        late = [d for d in deadlines if d < on]
        if late:
            days_overdue = days_between(min(late), on, workdays=workdays)
        else:
            days_left = days_between(on, min(deadlines), workdays=workdays)
    noted = [e for e in everything if e.note]
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
        noted[-1] if noted else (everything[-1] if everything else None),
        via,
        tuple(p.requested for p in parties if p.requested is not None),
    )


def _parties(
    registry: Registry, names: tuple[str, ...], entries: list[Entry], task: Task, on: date
) -> tuple[PartyState, ...]:
    # A recurring deadline (每季度) falls due at the end of each period, so it is never overdue.
    recurring = task.deadline.every_months is not None
    deadline = task.deadline.due_on(on)
    if not entries and not recurring:  # most tasks on most days: the same untouched parties
        untouched: tuple[PartyState, ...] = registry.remember(
            ("untouched", task.id, names),
            lambda: tuple(PartyState(n, Status.NOT_STARTED, deadline, None) for n in names),
        )
        return untouched
    own: dict[str | None, list[Entry]] = {}
    for entry in entries:
        own.setdefault(entry.unit, []).append(entry)
    return tuple(_party(name, own.get(name, ()), deadline, recurring=recurring) for name in names)


def _party(
    name: str, own: Sequence[Entry], deadline: date | None, *, recurring: bool = False
) -> PartyState:
    for entry in own:
        if entry.new_deadline is not None:
            # A recurring deadline falls due again each period: a deferral extends the
            # current period and never holds once the next one has begun.
            later = deadline is not None and deadline > entry.new_deadline
            deadline = deadline if recurring and later else entry.new_deadline
    latest = own[-1] if own else None
    return PartyState(name, latest.status if latest else Status.NOT_STARTED, deadline, latest)


def _overall(parties: tuple[PartyState, ...]) -> Status:
    statuses = {p.status for p in parties}
    if parties and all(s.complete for s in statuses):
        return Status.DONE
    for status in (Status.DEFERRED, Status.IN_PROGRESS, Status.SUSPENDED):
        if status in statuses:
            return status
    if Status.DONE in statuses or Status.CLOSED in statuses:
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


def escalation_level(
    registry: Registry,
    task: Task,
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
    if status is Status.NOT_STARTED and not task.deadline.every_months:
        start = window_start(task.deadline, registry.program.start)
        span = (deadline - start).days
        if span > 0 and (on - start).days > span * rules.idle_window_share:
            return Level.YELLOW
    if days_left is not None and days_left <= rules.blue_within_days:
        return Level.BLUE
    return None
