"""Check a unit's report against the registry before anything is written, then record it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from safecity_cli.dates import chinese_date
from safecity_cli.errors import LedgerError, UsageError
from safecity_cli.ledger.entries import Entry, Ledger, Status, evidence_for, same_report
from safecity_cli.ledger.files import append_checked
from safecity_cli.registry.models import Registry
from safecity_cli.registry.units import applies_to, resolve_unit
from safecity_cli.tracking.query import parse_status
from safecity_cli.tracking.state import task_state


@dataclass(frozen=True)
class Report:
    """A report as a person typed it, before any check."""

    task: int
    unit: str
    status: str
    date: dt.date
    note: str = ""
    evidence: tuple[str, ...] = ()
    by: str = ""
    new_deadline: dt.date | None = None


def ensure_writable(registry: Registry) -> None:
    if registry.embedded:
        raise LedgerError(
            "内置登记册是只读的，不能记录进展。请先运行 safecity init 目录 建立自己的登记册，"
            "再用 --data 目录（或环境变量 SAFECITY_DATA）记录"
        )


def check_report(
    registry: Registry,
    ledger: Ledger,
    report: Report,
    *,
    today: date,
    recorded_at: datetime,
    evidence_base: Path,
) -> Entry:
    """The entry to append, or UsageError/LedgerError saying why the report is refused."""
    task = registry.task(report.task)
    if task is None:
        raise UsageError(f"没有序号为 {report.task} 的任务")
    unit = resolve_unit(registry, report.unit)
    applies, _ = applies_to(registry, task, unit)
    if not applies:
        raise LedgerError(f"任务 {task.id} 的责任单位中没有「{unit.name}」，不能由其报送")
    if unit.members:
        raise LedgerError(f"「{unit.name}」已列出成员单位，请由各成员单位分别报送")
    status = parse_status(report.status)
    _check_date(registry, report.date, today, "报送日期")
    if status is Status.DEFERRED:
        if report.new_deadline is None:
            raise UsageError("状态为「延期」时必须用 --new-deadline 给出调整后的完成时限")
        if report.new_deadline <= report.date:
            raise UsageError("调整后的完成时限应晚于报送日期")
        current = task_state(registry, ledger, task, report.date, unit=unit).deadline
        if current is not None and report.new_deadline < current:
            raise UsageError(
                f"调整后的完成时限不能早于现在的完成时限{chinese_date(current)}：延期不能提前"
            )
    elif report.new_deadline is not None:
        raise UsageError("只有状态为「延期」时才能给出 --new-deadline")
    if status is Status.CLOSED:
        state = task_state(registry, ledger, task, report.date, unit=unit)
        if not all(p.status.complete for p in state.parties):
            raise LedgerError(
                f"「{unit.name}」在{chinese_date(report.date)}前尚未报告任务 {task.id} 已完成，不能销号"
            )
    evidence = tuple(evidence_for(ref, evidence_base, registry.path) for ref in report.evidence)
    return Entry(
        task.id,
        unit.name,
        status,
        report.date,
        recorded_at,
        report.note.strip(),
        evidence,
        report.by.strip(),
        report.new_deadline,
    )


def check_close(
    registry: Registry,
    ledger: Ledger,
    task_id: int,
    on: date,
    *,
    today: date,
    recorded_at: datetime,
    note: str = "",
    by: str = "",
) -> Entry:
    """The office's 销号 of a whole task: only once every responsible unit has completed it."""
    task = registry.task(task_id)
    if task is None:
        raise UsageError(f"没有序号为 {task_id} 的任务")
    _check_date(registry, on, today, "销号日期")
    closed = [e for e in ledger.for_task(task_id) if e.unit is None and e.status is Status.CLOSED]
    if closed:  # at any date: closing again, even "earlier", would rewrite the record
        raise LedgerError(f"任务 {task_id} 已于{chinese_date(closed[0].date)}销号")
    state = task_state(registry, ledger, task, on)
    pending = [p.unit for p in state.parties if not p.status.complete]
    if pending:
        raise LedgerError(
            f"任务 {task_id} 尚未完成，不能销号；未报告完成的单位：{'、'.join(pending)}"
        )
    return Entry(task_id, None, Status.CLOSED, on, recorded_at, note.strip(), (), by.strip())


def _check_date(registry: Registry, day: date, today: date, label: str) -> None:
    if day > today:
        raise UsageError(
            f"{label}{chinese_date(day)}晚于今天（{chinese_date(today)}），不能预先记录"
        )
    if day < registry.program.start:
        raise UsageError(
            f"{label}{chinese_date(day)}早于创建工作起始日期{chinese_date(registry.program.start)}"
        )


def record(
    registry: Registry,
    entries: Sequence[Entry] | Callable[[Ledger], Sequence[Entry]],
    *,
    skip_repeats: bool = False,
) -> int:
    """Append entries; returns how many were written.

    Given a function instead of a list, it is called under the ledger's lock with the
    ledger as it is at that moment, and returns the entries to append after checking them
    (raising to refuse). Every rule that depends on what is already recorded (closed once,
    延期 not earlier, an import's duplicates) must be checked there: checked before the
    lock, two people closing one task at the same moment would both succeed. With
    `skip_repeats`, entries that say what the ledger already holds are left out."""
    from safecity_cli.cache import load_ledger

    ensure_writable(registry)
    if not callable(entries):
        if not entries:
            return 0
        fixed = list(entries)
        return append_checked(registry.path, lambda _: fixed, skip_repeats=skip_repeats)
    return append_checked(
        registry.path,
        entries,
        skip_repeats=skip_repeats,
        read_ledger=lambda: load_ledger(registry),
    )


__all__ = ["Report", "check_close", "check_report", "ensure_writable", "record", "same_report"]
