"""较上期: completed, newly overdue, newly reported and scores in a period against the one before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from safecity_cli.ledger.entries import Ledger, Status
from safecity_cli.registry.models import Registry
from safecity_cli.scoring.compute import Period, ScoreBoard, completed_on, score_board
from safecity_cli.scoring.notices import NoticeBook
from safecity_cli.tracking.query import TaskFilter, select_tasks
from safecity_cli.tracking.state import TaskState, earlier

_SUSPENDED = Status.SUSPENDED
StatesOn = Callable[[date], list[TaskState]]  # every task's state on a day (calendar days)


def states_on(registry: Registry, ledger: Ledger) -> StatesOn:
    """select_tasks with no filter, computed once per day: a report that compares periods
    asks for the same day's states several times (a week's end is the next week's start).
    An earlier day's states start from a later day's (state.earlier)."""
    memo: dict[date, list[TaskState]] = {}

    def states(day: date) -> list[TaskState]:
        if day not in memo:
            later = min((d for d in memo if d > day), default=None)
            memo[day] = (
                select_tasks(registry, ledger, day, TaskFilter())
                if later is None
                else [earlier(registry, ledger, s, day) for s in memo[later]]
            )
        return memo[day]

    return states


def change(now: float, before: float) -> str:
    """+2, −1.5 or 持平."""
    delta = round(now - before, 2)
    if delta == 0:
        return "持平"
    return f"{delta:+.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Figure:
    """One total, this period and the one before."""

    label: str
    now: int
    before: int

    @property
    def change(self) -> str:
        return change(self.now, self.before)


@dataclass(frozen=True)
class UnitChange:
    unit: str
    completed: int
    completed_before: int
    overdue: int  # newly overdue in the period
    overdue_before: int
    reported: int  # entries it reported in the period
    reported_before: int
    score: float | None  # None: the registry has no scoring.yaml
    score_before: float | None
    rank: int | None
    rank_before: int | None

    @property
    def score_change(self) -> str:
        if self.score is None or self.score_before is None:
            return ""
        return change(self.score, self.score_before)

    @property
    def rank_change(self) -> str:
        """↑2 (two places up), ↓1, or 持平."""
        if self.rank is None or self.rank_before is None or self.rank == self.rank_before:
            return "持平" if self.rank is not None else ""
        up = self.rank_before - self.rank
        return f"↑{up}" if up > 0 else f"↓{-up}"


@dataclass(frozen=True)
class Comparison:
    label: str  # 较上周, 较上月, 较上季度, 较上阶段, 较上期
    period: Period
    previous: Period
    figures: list[Figure]
    units: list[UnitChange]  # units with anything to show in either period
    scored: bool
    example: bool  # the scores come from the example 考核细则
    board: ScoreBoard | None
    board_before: ScoreBoard | None


def compare(
    registry: Registry,
    ledger: Ledger,
    notices: NoticeBook,
    period: Period,
    previous: Period,
    label: str,
    *,
    states: StatesOn | None = None,
) -> Comparison:
    """`states`: the report's own states_on(registry, ledger), when it has one to share."""
    states = states or states_on(registry, ledger)
    now, now_units = _figures(registry, ledger, period, states)
    before, before_units = _figures(registry, ledger, previous, states)
    board = board_before = None
    if registry.scoring is not None:
        board = score_board(registry, ledger, notices, period)
        board_before = score_board(registry, ledger, notices, previous)
    names = [u.name for u in registry.units if not u.members]
    rows = []
    for name in names:
        a, b = now_units.get(name, (0, 0, 0)), before_units.get(name, (0, 0, 0))
        scored = board.of(name) if board else None
        scored_before = board_before.of(name) if board_before else None
        same_score = (scored.score if scored else None) == (
            scored_before.score if scored_before else None
        )
        if not any(a + b) and same_score:
            continue  # nothing happened to it in either period
        rows.append(
            UnitChange(
                name,
                a[0],
                b[0],
                a[1],
                b[1],
                a[2],
                b[2],
                scored.score if scored else None,
                scored_before.score if scored_before else None,
                scored.rank if scored else None,
                scored_before.rank if scored_before else None,
            )
        )
    if board is not None:
        order = {r.unit: i for i, r in enumerate(board.rows)}
        rows.sort(key=lambda r: order.get(r.unit, len(order)))
    labels = ("新完成任务", "新增逾期任务", "报送进展")
    return Comparison(
        label,
        period,
        previous,
        [Figure(t, n, b) for t, n, b in zip(labels, now, before, strict=True)],
        rows,
        board is not None,
        bool(registry.scoring and registry.scoring.example),
        board,
        board_before,
    )


def _figures(
    registry: Registry, ledger: Ledger, period: Period, states: StatesOn
) -> tuple[tuple[int, int, int], dict[str, tuple[int, int, int]]]:
    """Totals (tasks newly complete, newly overdue, entries) and the same for each unit's part."""
    end = states(period.last)
    start = {s.task.id: s for s in states(period.first - timedelta(days=1))}
    completed = sum(s.complete and not start[s.task.id].complete for s in end)
    overdue = sum(s.overdue and not start[s.task.id].overdue for s in end)
    entries = [e for e in ledger.entries if period.first <= e.date <= period.last]
    per: dict[str, list[int]] = {}  # only units with something to count: the rest read as zeros
    first, last = period.first, period.last
    # late within the period: the day after the deadline falls in it
    late_from, late_to = first - timedelta(days=1), last - timedelta(days=1)
    for state in end:
        task = state.task
        if task.deadline.every_months is not None:
            continue
        for party in state.parties:  # each party's own status and deadline (延期 applied)
            own = state.closed or party.status.complete
            done = completed_on(ledger, task, party.unit, last) if own else None
            if done is not None:
                if first <= done:
                    per.setdefault(party.unit, [0, 0, 0])[0] += 1
                continue
            due = party.deadline  # still late at the period's end, as the totals count it
            if due is not None and late_from <= due <= late_to and party.status is not _SUSPENDED:
                per.setdefault(party.unit, [0, 0, 0])[1] += 1
    for entry in entries:
        if entry.unit is not None:
            per.setdefault(entry.unit, [0, 0, 0])[2] += 1
    return (completed, overdue, len(entries)), {k: (a, b, c) for k, (a, b, c) in per.items()}
