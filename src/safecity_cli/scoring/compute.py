"""A unit's score over a period under the 考核细则: counts per rule, capped points, the ranking."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from safecity_cli.dates import chinese_date
from safecity_cli.errors import UsageError
from safecity_cli.ledger.entries import Entry, Ledger, Status
from safecity_cli.registry.layout import SCORING_FILE
from safecity_cli.registry.models import (
    Registry,
    ScheduleItem,
    Scoring,
    ScoringRule,
    Task,
    Unit,
)
from safecity_cli.registry.units import expand, parties_of
from safecity_cli.scoring.notices import NoticeBook, unanswered_in_time
from safecity_cli.tracking.state import Level, task_state

RULE_LABELS = {
    "on_time": "按时完成",
    "overdue_task": "逾期任务",
    "overdue_day": "逾期天数",
    "red": "红色督办",
    "yellow": "黄色督办",
    "missed_period": "定期任务漏报",
    "unanswered_notice": "督办逾期未回复",
}
RULE_UNITS = {"overdue_day": "天", "missed_period": "期", "unanswered_notice": "份"}


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise UsageError(
                f"统计期间的结束日期{chinese_date(self.last)}早于开始日期{chinese_date(self.first)}"
            )

    @property
    def label(self) -> str:
        return f"{chinese_date(self.first)}—{chinese_date(self.last)}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def before(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last)


@dataclass(frozen=True)
class RuleScore:
    rule: str
    count: float  # tasks, days, periods or notices
    points: float  # signed: + for on_time, − for the deductions, after the cap
    capped: bool

    @property
    def label(self) -> str:
        return RULE_LABELS[self.rule]

    @property
    def measure(self) -> str:
        return RULE_UNITS.get(self.rule, "项")


@dataclass(frozen=True)
class UnitScore:
    unit: str
    kind: str
    groups: tuple[str, ...]  # the collective units it is scored as a member of
    tasks: int  # tasks it is a responsible party of
    rules: tuple[RuleScore, ...]
    score: float
    rank: int

    def rule(self, name: str) -> RuleScore | None:
        return next((r for r in self.rules if r.rule == name), None)


@dataclass(frozen=True)
class ScoreBoard:
    scoring: Scoring
    period: Period
    rows: tuple[UnitScore, ...]

    def of(self, unit: str) -> UnitScore | None:
        return next((r for r in self.rows if r.unit == unit), None)


def require_scoring(registry: Registry) -> Scoring:
    if registry.scoring is None:
        raise UsageError(
            f"登记册中没有考核细则（{SCORING_FILE}）；请从内置登记册复制该文件"
            "（safecity init 会一并复制），再按本地的考核办法修改"
        )
    return registry.scoring


def scored_units(registry: Registry) -> list[Unit]:
    """Units that answer for tasks themselves (not through members), in registry order."""
    named = tasks_by_party(registry)
    return [u for u in registry.units if not u.members and u.name in named]


def tasks_by_party(registry: Registry) -> dict[str, list[Task]]:
    """Each responsible party's tasks, in registry order (one pass over the tasks)."""

    def build() -> dict[str, list[Task]]:
        found: dict[str, list[Task]] = {}
        for task in registry.tasks:
            for party in parties_of(registry, task):
                found.setdefault(party, []).append(task)
        return found

    index: dict[str, list[Task]] = registry.remember(("tasks_by_party",), build)
    return index


def score_board(
    registry: Registry, ledger: Ledger, notices: NoticeBook, period: Period
) -> ScoreBoard:
    """Every unit's score over the period, ranked; ties share a rank (registry order within)."""
    scoring = require_scoring(registry)
    units = scored_units(registry)
    groups = [u for u in registry.units if u.members]
    raw = []
    for unit in units:
        counts, tasks = _counts(registry, ledger, notices, unit, period)
        rules = tuple(_apply(rule, counts[rule.name]) for rule in scoring.rules)
        total = round(scoring.base + sum(r.points for r in rules), 2)
        member_of = tuple(g.name for g in groups if unit.name in expand(registry, g))
        raw.append((unit, member_of, tasks, rules, total))
    order = sorted(range(len(raw)), key=lambda i: (-raw[i][4], i))
    rows: list[UnitScore] = []
    for position, i in enumerate(order):
        unit, member_of, tasks, rules, total = raw[i]
        rank = rows[-1].rank if rows and rows[-1].score == total else position + 1
        rows.append(UnitScore(unit.name, unit.kind, member_of, tasks, rules, total, rank))
    return ScoreBoard(scoring, period, tuple(rows))


def _apply(rule: ScoringRule, count: float) -> RuleScore:
    points = count * rule.points
    capped = rule.cap is not None and points > rule.cap
    if capped:
        assert rule.cap is not None
        points = rule.cap
    sign = 1 if rule.name == "on_time" else -1
    return RuleScore(rule.name, count, round(sign * points, 2) + 0.0, capped)


def _counts(
    registry: Registry, ledger: Ledger, notices: NoticeBook, unit: Unit, period: Period
) -> tuple[dict[str, float], int]:
    counts: dict[str, float] = dict.fromkeys(RULE_LABELS, 0)
    red_after = registry.program.escalation.red_after_days
    tasks = tasks_by_party(registry).get(unit.name, [])
    for task in tasks:
        if task.deadline.every_months is not None:
            counts["missed_period"] += _missed_periods(registry, ledger, task, unit, period)
            continue
        state = task_state(registry, ledger, task, period.last, unit=unit)
        party = state.parties[0]
        done = completed_on(ledger, task, unit.name, period.last) if state.complete else None
        deadline = party.deadline
        if done is not None and period.first <= done and (deadline is None or done <= deadline):
            counts["on_time"] += 1
        if party.status is Status.SUSPENDED and done is None:
            continue
        if done is not None and done < period.first:
            continue  # finished before the period: nothing of it falls in this one
        days = 0
        if deadline is not None:
            end = min(done, period.last) if done is not None else period.last
            start = max(deadline, period.first - timedelta(days=1))
            days = max((end - start).days, 0)
            if days:
                counts["overdue_task"] += 1
                counts["overdue_day"] += days
                if (end - deadline).days > red_after:
                    counts["red"] += 1
                else:
                    counts["yellow"] += 1
        if not days and done is None and state.level is Level.YELLOW:
            counts["yellow"] += 1
    counts["unanswered_notice"] = len(
        unanswered_in_time(registry, notices, unit.name, period.first, period.last)
    )
    return counts, len(tasks)


def completed_on(
    ledger: Ledger, task: Task | ScheduleItem, unit: str, on: date
) -> date | None:
    """The day the unit's part became (and stayed) complete, or the office's 销号, by `on`."""
    entries = [e for e in ledger.for_task(task.key) if e.date <= on]
    closes = [e.date for e in entries if e.unit is None and e.status is Status.CLOSED]
    own: list[Entry] = [e for e in entries if e.unit == unit]
    done = None
    for entry in reversed(own):
        if not entry.status.complete:
            break
        done = entry.date
    candidates = [d for d in (done, min(closes, default=None)) if d is not None]
    return min(candidates) if candidates else None


def _missed_periods(
    registry: Registry, ledger: Ledger, task: Task, unit: Unit, period: Period
) -> int:
    """Periods of a recurring task (每月, 每季度…) ending inside the period, from the program's
    start on, in which the unit reported nothing on the task."""
    months = task.deadline.every_months
    assert months is not None
    dates = {e.date for e in ledger.for_task(task.id) if e.unit == unit.name}
    missed = 0
    start = max(period.first, registry.program.start)
    cursor = _period_start(start, months)
    while True:
        end = _period_end(cursor, months)
        if end > period.last:
            break
        if end >= start and not any(cursor <= d <= end for d in dates):
            missed += 1
        cursor = end + timedelta(days=1)
    return missed


def _period_end(day: date, months: int) -> date:
    """The last day of the calendar period of `months` months (1, 3, 6, 12) containing `day`."""
    last_month = ((day.month - 1) // months + 1) * months
    return date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def _period_start(day: date, months: int) -> date:
    first_month = (day.month - 1) // months * months + 1
    return date(day.year, first_month, 1)
