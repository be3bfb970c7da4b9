"""The roll-up's weekly briefing: each district's week side by side, then each in brief."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import Registry
from safecity_cli.reports.rows import day_unit
from safecity_cli.reports.weekly import Weekly, build_weekly, monday_of


@dataclass(frozen=True)
class DistrictWeek:
    name: str
    week: Weekly  # the district's own briefing, as `report weekly` on its registry builds it

    @property
    def completion_rate(self) -> float:
        return self.week.completion_rate


@dataclass(frozen=True)
class RollupWeekly:
    title: str  # the roll-up's name (its folder), e.g. 西安市
    on: date
    week_start: date
    week_end: date
    day_unit: str
    workdays: bool
    districts: list[DistrictWeek]
    total: int
    complete: int
    overdue: int
    red: int
    yellow: int
    entries: int  # reported this week, all districts
    newly_complete: int
    newly_overdue: int

    @property
    def completion_rate(self) -> float:
        return self.complete / self.total if self.total else 0.0

    @property
    def ranking(self) -> list[DistrictWeek]:
        """Districts by completion rate, the most complete first (ties: fewer overdue first)."""
        return sorted(self.districts, key=lambda d: (-d.completion_rate, d.week.overdue))


def build_rollup_weekly(
    title: str, offices: Sequence[tuple[str, Registry, Ledger]], on: date, *, workdays: bool = False
) -> RollupWeekly:
    weeks = [
        DistrictWeek(name, build_weekly(registry, ledger, on, workdays=workdays))
        for name, registry, ledger in offices
    ]
    start = monday_of(on)
    return RollupWeekly(
        title=title,
        on=on,
        week_start=start,
        week_end=date.fromordinal(start.toordinal() + 6),
        day_unit=day_unit(workdays),
        workdays=workdays,
        districts=weeks,
        total=sum(d.week.total for d in weeks),
        complete=sum(d.week.complete for d in weeks),
        overdue=sum(d.week.overdue for d in weeks),
        red=sum(d.week.levels.red for d in weeks),
        yellow=sum(d.week.levels.yellow for d in weeks),
        entries=sum(len(d.week.entries) for d in weeks),
        newly_complete=sum(len(d.week.newly_complete) for d in weeks),
        newly_overdue=sum(len(d.week.newly_overdue) for d in weeks),
    )
