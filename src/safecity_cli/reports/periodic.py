"""月报, 季报, 阶段小结 and the 通报 (circular): any period against the one before it."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import date as Day

from safecity_cli.dates import chinese_date
from safecity_cli.errors import UsageError
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import Escalation, Program, Registry
from safecity_cli.render.wording import office_name
from safecity_cli.reports.changes import Comparison, change, compare
from safecity_cli.reports.engine import chinese_numeral
from safecity_cli.reports.rows import LevelCounts, TaskRow, day_unit, task_row
from safecity_cli.reports.weekly import (
    DEFAULT_LIMIT,
    CategoryRow,
    NoticeRow,
    UnitOverdue,
    build_weekly,
    late_notices,
)
from safecity_cli.scoring.compute import Period, ScoreBoard, UnitScore
from safecity_cli.scoring.notices import NoticeBook, parties
from safecity_cli.tracking.query import TaskFilter, select_tasks

KINDS = {"monthly": "月报", "quarterly": "季报", "phase": "阶段小结"}
TOP = 5  # units on each of the 红榜 and 黄榜 unless --top says otherwise


@dataclass(frozen=True)
class Named:
    """A period and what people call it: 2021年3月, 2021年第一季度, 组织实施阶段."""

    name: str
    period: Period  # the whole period (a month, a quarter, a phase)


@dataclass(frozen=True)
class ScoreRow:
    rank: int
    unit: str
    score: float
    score_before: float | None
    rank_before: int | None
    breakdown: str  # 按时完成 2 项 +2；逾期任务 1 项 -2

    @property
    def score_change(self) -> str:
        return "" if self.score_before is None else change(self.score, self.score_before)

    @property
    def rank_change(self) -> str:
        if self.rank_before is None:
            return ""
        up = self.rank_before - self.rank
        return "持平" if up == 0 else (f"↑{up}" if up > 0 else f"↓{-up}")


@dataclass(frozen=True)
class IssuedRow:
    id: str
    date: Day
    unit: str
    members: int  # 0: a single unit
    reply_by: Day
    tasks: list[int]
    state: str


@dataclass(frozen=True)
class Periodic:
    kind: str  # monthly, quarterly, phase
    title: str  # 月报, 季报, 阶段小结
    name: str  # 2021年3月
    program: Program
    office: str
    on: date
    period: Period  # from the period's start up to `on`
    whole: Period  # the whole month, quarter or phase
    previous_name: str
    previous: Period
    day_unit: str
    workdays: bool
    total: int
    complete: int
    overdue: int
    levels: LevelCounts
    by_category: list[CategoryRow]
    entries: int
    reporting_units: int
    newly_complete: list[TaskRow]
    newly_overdue: list[TaskRow]
    comparison: Comparison
    scores: list[ScoreRow]
    example: bool
    notices: list[IssuedRow]  # issued in the period
    notices_late: list[NoticeRow]
    escalation: list[UnitOverdue]
    limit: int
    thresholds: Escalation

    @property
    def completion_rate(self) -> float:
        return self.complete / self.total if self.total else 0.0

    @property
    def annex(self) -> list[UnitOverdue]:
        return [u for u in self.escalation if u.more]

    @property
    def partial(self) -> bool:
        """The report is made before its period has ended."""
        return self.on < self.whole.last


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# -- the periods -----------------------------------------------------------------------------


def month_of(day: date) -> Named:
    return Named(
        f"{day.year}年{day.month}月",
        Period(day.replace(day=1), _month_end(day.year, day.month)),
    )


def quarter_of(day: date) -> Named:
    quarter = (day.month - 1) // 3 + 1
    first = date(day.year, quarter * 3 - 2, 1)
    return Named(
        f"{day.year}年第{chinese_numeral(quarter)}季度",
        Period(first, _month_end(day.year, quarter * 3)),
    )


def periods(registry: Registry, kind: str, on: date) -> tuple[Named, Named]:
    """The period `on` falls in and the one before it."""
    if kind == "monthly":
        this = month_of(on)
        return this, month_of(this.period.first - timedelta(days=1))
    if kind == "quarterly":
        this = quarter_of(on)
        return this, quarter_of(this.period.first - timedelta(days=1))
    dated = [p for p in registry.phases if p.start is not None and p.end is not None]
    current = next((p for p in dated if p.start <= on <= p.end), None)  # type: ignore[operator]
    if current is None:
        spans = "、".join(
            f"{p.name}（{chinese_date(p.start)}—{chinese_date(p.end)}）"
            for p in dated
        )
        raise UsageError(
            f"{chinese_date(on)}不在任何有起止日期的创建阶段内"
            + (f"；有日期的阶段：{spans}" if spans else "；schedule.yaml 中的阶段都没有日期")
        )
    assert current.start is not None and current.end is not None
    this = Named(current.name, Period(current.start, current.end))
    earlier = [p for p in dated if p.end < current.start]  # type: ignore[operator]
    if earlier:
        last = max(earlier, key=lambda p: p.end)  # type: ignore[arg-type, return-value]
        assert last.start is not None and last.end is not None
        return this, Named(last.name, Period(last.start, last.end))
    before = this.period.before()
    return this, Named("阶段开始前同样长的时间", before)


def previous_of(period: Period) -> Period:
    """Whole months before whole months (March against February), else the same length before."""
    last_day = _month_end(period.last.year, period.last.month)
    if period.first.day == 1 and period.last == last_day:
        months = (
            (period.last.year - period.first.year) * 12 + period.last.month - period.first.month + 1
        )
        end = period.first - timedelta(days=1)
        year, month = end.year, end.month - months + 1
        while month < 1:
            year, month = year - 1, month + 12
        return Period(date(year, month, 1), end)
    return period.before()


# -- the reports -----------------------------------------------------------------------------


def build_periodic(
    registry: Registry,
    ledger: Ledger,
    kind: str,
    on: date,
    *,
    notices: NoticeBook | None = None,
    workdays: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> Periodic:
    """The 月报 / 季报 / 阶段小结 for the period containing `on`, with data up to `on`, set
    against the whole period before it."""
    this, before = periods(registry, kind, on)
    ledger = ledger.as_of(on)
    book = (notices or NoticeBook()).as_of(on)
    weekly = build_weekly(registry, ledger, on, workdays=workdays, notices=book, limit=limit)
    period = Period(this.period.first, on)
    comparison = compare(registry, ledger, book, period, before.period, "较上期")
    states = select_tasks(registry, ledger, on, TaskFilter(), workdays=workdays)
    start = {
        s.task.id: s
        for s in select_tasks(registry, ledger, period.first - timedelta(days=1), TaskFilter())
    }
    entries = [e for e in ledger.entries if period.first <= e.date <= on]
    return Periodic(
        kind=kind,
        title=KINDS[kind],
        name=this.name,
        program=registry.program,
        office=office_name(registry.program),
        on=on,
        period=period,
        whole=this.period,
        previous_name=before.name,
        previous=before.period,
        day_unit=day_unit(workdays),
        workdays=workdays,
        total=weekly.total,
        complete=weekly.complete,
        overdue=weekly.overdue,
        levels=weekly.levels,
        by_category=weekly.by_category,
        entries=len(entries),
        reporting_units=len({e.unit for e in entries}),
        newly_complete=[
            task_row(registry, ledger, s)
            for s in states
            if s.complete and not start[s.task.id].complete
        ],
        newly_overdue=[
            task_row(registry, ledger, s)
            for s in states
            if s.overdue and not start[s.task.id].overdue
        ],
        comparison=comparison,
        scores=score_rows(comparison.board, comparison.board_before),
        example=comparison.example,
        notices=issued_in(registry, book, period, on),
        notices_late=late_notices(registry, book, on),
        escalation=weekly.escalation,
        limit=limit,
        thresholds=registry.program.escalation,
    )


def score_rows(board: ScoreBoard | None, before: ScoreBoard | None) -> list[ScoreRow]:
    from safecity_cli.scoring.listings import rule_cell

    if board is None:
        return []
    rows = []
    for u in board.rows:
        old = before.of(u.unit) if before is not None else None
        rows.append(
            ScoreRow(
                u.rank,
                u.unit,
                u.score,
                old.score if old else None,
                old.rank if old else None,
                _breakdown(u, rule_cell),
            )
        )
    return rows


def _breakdown(u: UnitScore, cell: object) -> str:
    return "；".join(f"{r.label} {cell(r)}" for r in u.rules if r.count) or "—"  # type: ignore[operator]


def issued_in(registry: Registry, book: NoticeBook, period: Period, on: date) -> list[IssuedRow]:
    from safecity_cli.scoring.notices import state_of

    rows = []
    for n in book.notices:
        if not period.first <= n.date <= period.last:
            continue
        who = parties(registry, n)
        rows.append(
            IssuedRow(
                n.id,
                n.date,
                n.unit,
                len(who) if who != (n.unit,) else 0,
                n.reply_by,
                list(n.tasks),
                state_of(registry, book, n, on).value,
            )
        )
    return rows


# -- the circular ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Circular:
    program: Program
    office: str
    on: date
    period: Period
    previous: Period
    document: str
    example: bool
    base: float
    red_list: list[ScoreRow]  # 红榜: doing well, best first
    yellow_list: list[ScoreRow]  # 黄榜: behind, worst first
    ranking: list[ScoreRow]
    risen: list[ScoreRow]  # moved up since the period before
    fallen: list[ScoreRow]
    top: int
    notices_late: list[NoticeRow]


def build_circular(
    registry: Registry,
    ledger: Ledger,
    notices: NoticeBook,
    period: Period,
    *,
    top: int = TOP,
) -> Circular:
    """The ranking for a meeting: 红榜 (scores above the base, at least one task finished on
    time), 黄榜 (below the base), and how places moved since the period before."""
    from safecity_cli.scoring.compute import require_scoring, score_board

    scoring = require_scoring(registry)
    ledger = ledger.as_of(period.last)
    book = notices.as_of(period.last)
    previous = previous_of(period)
    board = score_board(registry, ledger, book, period)
    board_before = score_board(registry, ledger, book, previous)
    rows = score_rows(board, board_before)
    by_unit = {u.unit: u for u in board.rows}
    good = [
        r
        for r in rows
        if r.score > scoring.base
        and (on_time := by_unit[r.unit].rule("on_time")) is not None
        and on_time.count > 0
    ]
    behind = sorted((r for r in rows if r.score < scoring.base), key=lambda r: (-r.rank, r.unit))
    moved = [r for r in rows if r.rank_before is not None and r.rank_before != r.rank]
    return Circular(
        program=registry.program,
        office=office_name(registry.program),
        on=period.last,
        period=period,
        previous=previous,
        document=scoring.document,
        example=scoring.example,
        base=scoring.base,
        red_list=good[:top] if top else good,
        yellow_list=behind[:top] if top else behind,
        ranking=rows,
        risen=sorted(
            (r for r in moved if r.rank < (r.rank_before or 0)),
            key=lambda r: (r.rank - (r.rank_before or 0), r.rank),
        ),
        fallen=sorted(
            (r for r in moved if r.rank > (r.rank_before or 0)),
            key=lambda r: ((r.rank_before or 0) - r.rank, r.rank),
        ),
        top=top,
        notices_late=late_notices(registry, book, period.last),
    )
