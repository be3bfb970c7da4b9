"""Check a unit's report against the registry before anything is written, then record it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from safecity_cli.dates import chinese_date
from safecity_cli.errors import LedgerError, UsageError
from safecity_cli.ledger.entries import Entry, Kind, Ledger, Status, evidence_for, same_report
from safecity_cli.ledger.files import append_checked
from safecity_cli.registry.models import Registry
from safecity_cli.registry.units import applies_to, resolve_target, resolve_unit, target_label
from safecity_cli.text import input_problem
from safecity_cli.tracking.query import parse_status
from safecity_cli.tracking.state import task_state

CLOSE_BY_OFFICE = (
    "「已销号」只能由创建办对整项任务办理：各责任单位报告「已完成」后，"
    "由创建办运行 safecity close 任务序号"
)


@dataclass(frozen=True)
class Report:
    """A report as a person typed it, before any check."""

    task: int | str  # a task's number, or a 日程 item as "S12"
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
    repeats: bool = False,
) -> Entry:
    """The entry to append, or UsageError/LedgerError saying why the report is refused.

    With `repeats` (an import, which then skips what is already recorded), a 延期 request
    that repeats the one waiting is let through instead of refused."""
    _check_text(
        ("说明", report.note, True),
        ("报送人", report.by, False),
        ("单位", report.unit, False),
        ("状态", report.status, False),
        *(("佐证材料", ref, False) for ref in report.evidence),
    )
    if isinstance(report.task, int) and registry.task(report.task) is None:
        raise UsageError(f"没有序号为 {report.task} 的任务")
    task = resolve_target(registry, report.task)
    what = target_label(task.key)
    unit = resolve_unit(registry, report.unit)
    applies, _ = applies_to(registry, task, unit)
    if not applies:
        raise LedgerError(f"{what} 的责任单位中没有「{unit.name}」，不能由其报送")
    if unit.members:
        raise LedgerError(f"「{unit.name}」已列出成员单位，请由各成员单位分别报送")
    status = parse_status(report.status)
    if status is Status.CLOSED:
        raise LedgerError(CLOSE_BY_OFFICE)
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
    if status is Status.DEFERRED:
        waiting = [
            e
            for e in ledger.pending_requests(report.date)
            if e.task == task.key
            and e.unit == unit.name
            and not (
                repeats
                and (e.date, e.new_deadline, e.note)
                == (report.date, report.new_deadline, report.note.strip())
            )
        ]
        if waiting:
            raise LedgerError(
                f"「{unit.name}」对{what} 已有待批的延期申请（记录编号 {waiting[0].id}，"
                f"申请延期至{chinese_date(waiting[0].new_deadline)}），"
                "请等创建办批准（safecity approve）或驳回（safecity reject）后再申请"
            )
    evidence = tuple(evidence_for(ref, evidence_base, registry.path) for ref in report.evidence)
    return Entry(
        task.key,
        unit.name,
        status,
        report.date,
        recorded_at,
        report.note.strip(),
        evidence,
        report.by.strip(),
        report.new_deadline,
        kind=Kind.REQUEST if status is Status.DEFERRED else Kind.REPORT,
    )


def check_close(
    registry: Registry,
    ledger: Ledger,
    task_id: int | str,
    on: date,
    *,
    today: date,
    recorded_at: datetime,
    note: str = "",
    by: str = "",
) -> Entry:
    """The office's 销号 of a whole task (or 日程 item, "S12"): only once every responsible
    unit has completed it."""
    _check_text(("说明", note, True), ("经办人", by, False))
    task = resolve_target(registry, task_id)
    key, what = task.key, target_label(task.key)
    _check_date(registry, on, today, "销号日期")
    closed = [e for e in ledger.for_task(key) if e.unit is None and e.status is Status.CLOSED]
    if closed:  # at any date: closing again, even "earlier", would rewrite the record
        raise LedgerError(f"{what} 已于{chinese_date(closed[0].date)}销号")
    state = task_state(registry, ledger, task, on)
    pending = [p.unit for p in state.parties if not p.status.complete]
    if pending:
        raise LedgerError(f"{what} 尚未完成，不能销号；未报告完成的单位：{'、'.join(pending)}")
    return Entry(key, None, Status.CLOSED, on, recorded_at, note.strip(), (), by.strip())


def _check_text(*fields: tuple[str, str, bool]) -> None:
    """Control characters never reach the ledger: they would travel into terminals, sheets and
    calendars. A note may span lines (newline, tab); the other fields are one line each."""
    for label, text, lines in fields:
        problem = input_problem(text, lines=lines)
        if problem:
            raise UsageError(f"{label}{problem}")


def check_decision(
    registry: Registry,
    ledger: Ledger,
    request_id: str,
    unit_text: str,
    kind: Kind,
    on: date,
    *,
    today: date,
    recorded_at: datetime,
    note: str = "",
    by: str = "",
) -> Entry:
    """The office's 批准 or 驳回 of a unit's pending 延期 request (the entry with this id)."""
    _check_text(("说明", note, True), ("报送人", by, False), ("单位", unit_text, False))
    unit = resolve_unit(registry, unit_text)
    verb = "批准" if kind is Kind.APPROVE else "驳回"
    request = ledger.find(request_id.strip())
    if request is None:
        raise LedgerError(f"没有编号为 {request_id} 的进展记录（编号见 safecity history）")
    if request.kind is not Kind.REQUEST or ledger.reversal(request) is not None:
        what = "已被撤销" if ledger.reversal(request) is not None else "不是延期申请"
        raise LedgerError(f"记录 {request.id} {what}，不能{verb}")
    if request.unit != unit.name:
        raise LedgerError(
            f"记录 {request.id} 是「{request.unit}」的延期申请，不是「{unit.name}」的，"
            f"不能作为「{unit.name}」的申请{verb}"
        )
    if (done := ledger.decision(request)) is not None:
        raise LedgerError(
            f"「{unit.name}」对{target_label(request.task)} 的延期申请（记录编号 {request.id}）已于"
            f"{chinese_date(done.date)}{done.kind.value}（记录编号 {done.id}），不能再{verb}"
        )
    _check_date(registry, on, today, f"{verb}日期")
    if on < request.date:
        raise UsageError(f"{verb}日期{chinese_date(on)}早于申请日期{chinese_date(request.date)}")
    if kind is Kind.REJECT and not note.strip():
        raise UsageError("驳回延期申请须用 --note 说明理由")
    return Entry(
        request.task,
        request.unit,
        Status.DEFERRED,
        on,
        recorded_at,
        note.strip(),
        (),
        by.strip(),
        request.new_deadline,
        kind=kind,
        ref=request.id,
    )


def check_undo(
    ledger: Ledger,
    entry_id: str | None,
    on: date,
    *,
    recorded_at: datetime,
    by: str = "",
    expected: str | None = None,
) -> Entry:
    """The 撤销 entry that reverses the entry with this id (default: the last one recorded
    that still counts). `expected`: the id the user was shown, refused if no longer last."""
    _check_text(("经办人", by, False))
    if entry_id is None:
        target = ledger.latest()
        if target is None:
            raise LedgerError("没有可撤销的进展记录")
        if expected is not None and target.id != expected:
            raise LedgerError(
                "刚才显示的记录已不是最后一条（其间有人记录了新的进展），未做任何改动；"
                "请重新运行 undo 查看最后一条记录"
            )
    else:
        found = ledger.find(entry_id.strip())
        if found is None:
            raise LedgerError(f"没有编号为 {entry_id} 的进展记录（编号见 safecity history）")
        target = found
    if target.kind is Kind.UNDO:
        raise LedgerError(
            f"记录 {target.id} 本身是撤销记录，不能撤销；要恢复被撤销的记录 {target.ref}，"
            "请按原内容重新记录（safecity update）"
        )
    if (done := ledger.reversal(target)) is not None:
        raise LedgerError(
            f"记录 {target.id} 已于{chinese_date(done.date)}撤销（撤销记录编号 {done.id}）"
        )
    return Entry(
        target.task,
        target.unit,
        target.status,
        on,
        recorded_at,
        "",
        (),
        by.strip(),
        target.new_deadline,
        kind=Kind.UNDO,
        ref=target.id,
    )


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
    from safecity_cli.cache import progress_entries, remember_progress
    from safecity_cli.index_db import ledger_now

    ensure_writable(registry)
    if not callable(entries):
        if not entries:
            return 0
        fixed = list(entries)
        return append_checked(
            registry.path,
            lambda _: fixed,
            skip_repeats=skip_repeats,
            read_file=progress_entries,
            written=remember_progress,
        )
    return append_checked(
        registry.path,
        entries,
        skip_repeats=skip_repeats,
        read_ledger=lambda: ledger_now(registry),
        read_file=progress_entries,
        written=remember_progress,
    )


__all__ = [
    "CLOSE_BY_OFFICE",
    "Report",
    "check_close",
    "check_decision",
    "check_report",
    "check_undo",
    "ensure_writable",
    "record",
    "same_report",
]
