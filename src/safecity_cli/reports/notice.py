"""A 督办通知单: a unit's overdue and 黄 / 红 tasks, most urgent first, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from safecity_cli.dates import chinese_date
from safecity_cli.errors import UsageError
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import Escalation, Program, Registry, Unit
from safecity_cli.registry.units import expand
from safecity_cli.render.wording import office_name
from safecity_cli.reports.rows import TaskRow, day_unit, task_row
from safecity_cli.tracking.query import TaskFilter, select_tasks
from safecity_cli.tracking.state import Level

REPLY_DAYS = 7  # a 督办通知单 asks for a reply within a week unless --reply-by says otherwise


@dataclass(frozen=True)
class Notice:
    program: Program
    office: str
    unit: Unit
    on: date
    reply_by: date
    day_unit: str
    rows: list[TaskRow]
    overdue: int
    red: int
    yellow: int
    thresholds: Escalation
    number: str | None = None  # 督办〔2021〕N号 once recorded (scoring.notices)
    received: int = 0  # notices the unit had received before this one (催办次数)


_LEVEL_ORDER = {Level.RED: 0, Level.YELLOW: 1, Level.BLUE: 2}


def build_notice(
    registry: Registry,
    ledger: Ledger,
    unit: Unit,
    on: date,
    *,
    reply_by: date | None = None,
    workdays: bool = False,
) -> Notice:
    """The unit's overdue tasks and those at 黄 or 红, most urgent first; the reply date."""
    ledger = ledger.as_of(on)
    reply = reply_by if reply_by is not None else on + timedelta(days=REPLY_DAYS)
    if reply < on:
        raise UsageError(f"回复期限{chinese_date(reply)}早于通知日期{chinese_date(on)}")
    states = select_tasks(registry, ledger, on, TaskFilter(unit=unit), workdays=workdays)
    urgent = [s for s in states if s.overdue or s.level in (Level.RED, Level.YELLOW)]
    urgent.sort(
        key=lambda s: (
            _LEVEL_ORDER.get(s.level, 3) if s.level else 3,
            -(s.days_overdue if s.days_overdue is not None else -1),
            s.task.id,
        )
    )
    parties = expand(registry, unit)
    return Notice(
        program=registry.program,
        office=office_name(registry.program),
        unit=unit,
        on=on,
        reply_by=reply,
        day_unit=day_unit(workdays),
        rows=[task_row(registry, ledger, s, units=parties, owner=unit) for s in urgent],
        overdue=sum(s.overdue for s in urgent),
        red=sum(s.level is Level.RED for s in urgent),
        yellow=sum(s.level is Level.YELLOW for s in urgent),
        thresholds=registry.program.escalation,
    )
