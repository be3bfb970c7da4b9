"""整改问题 (Z1, Z2, …): registered, reported on and closed append-only; overdue and 三色督办
by the same rules as tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from safecity_cli.assessment.paths import PROBLEMS_FILE
from safecity_cli.assessment.store import (
    ProblemEntry,
    evidence_records,
    next_id,
    read_records,
    stage_file,
    writing,
)
from safecity_cli.dates import chinese_date
from safecity_cli.errors import LedgerError, UsageError
from safecity_cli.ledger.entries import Status
from safecity_cli.registry.deadlines import Deadline, DeadlineKind, days_between
from safecity_cli.registry.models import Registry, Task
from safecity_cli.tracking.state import Level, escalation_level

SOURCES = ("自评", "复核", "督查", "暗访")
CLOSED = "已销号"


@dataclass(frozen=True)
class ProblemState:
    id: str
    text: str
    source: str
    unit: str
    item: str | None
    task: int | None
    registered: date
    deadline: date  # after any 延期
    status: str
    closed: bool
    days_overdue: int | None
    days_left: int | None
    level: Level | None
    entries: tuple[ProblemEntry, ...]

    @property
    def overdue(self) -> bool:
        return self.days_overdue is not None

    @property
    def complete(self) -> bool:
        return self.closed or self.status == Status.DONE.value

    @property
    def latest_note(self) -> str:
        noted = [e for e in self.entries if e.note]
        return noted[-1].note if noted else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "source": self.source,
            "unit": self.unit,
            "item": self.item,
            "task": self.task,
            "registered": self.registered,
            "deadline": self.deadline,
            "status": self.status,
            "closed": self.closed,
            "days_overdue": self.days_overdue,
            "days_left": self.days_left,
            "level": self.level.value if self.level else None,
            "latest_note": self.latest_note or None,
            "entries": [
                {
                    "action": e.action,
                    "date": e.date,
                    "status": e.status,
                    "note": e.note,
                    "new_deadline": e.new_deadline,
                    "evidence": [v.model_dump(exclude_none=True) for v in e.evidence],
                    "by": e.by,
                }
                for e in self.entries
            ],
        }


def load_problems(data_dir: Path) -> list[ProblemEntry]:
    return list(read_records(data_dir, PROBLEMS_FILE))


def problem_states(
    registry: Registry, entries: list[ProblemEntry], on: date, *, workdays: bool = False
) -> list[ProblemState]:
    """Every problem registered by `on`, as of `on`, in id order."""
    by_id: dict[str, list[ProblemEntry]] = {}
    for e in entries:
        if e.date <= on:
            by_id.setdefault(e.id, []).append(e)
    states: list[ProblemState] = []
    for pid, own in by_id.items():
        first = next((e for e in own if e.action == "登记"), None)
        if first is None or first.deadline is None or first.unit is None:
            continue
        own.sort(key=lambda e: (e.date, e.recorded_at))
        deadline = first.deadline
        status = Status.NOT_STARTED.value
        closed = False
        for e in own:
            if e.action == "进展" and e.status:
                status = e.status
                if e.new_deadline is not None:
                    deadline = e.new_deadline
            elif e.action == "销号":
                closed, status = True, CLOSED
        days_overdue = days_left = level = None
        if not closed and status != Status.DONE.value and status != Status.SUSPENDED.value:
            if deadline < on:
                days_overdue = days_between(deadline, on, workdays=workdays)
            else:
                days_left = days_between(on, deadline, workdays=workdays)
            pseudo = Task(
                0,
                0,
                first.text,
                (first.unit,),
                Deadline(chinese_date(deadline), DeadlineKind.DAY, first.date, deadline),
            )
            level = escalation_level(
                registry, pseudo, on, Status(status), deadline, days_overdue, days_left
            )
        states.append(
            ProblemState(
                pid,
                first.text,
                first.source,
                first.unit,
                first.item,
                first.task,
                first.date,
                deadline,
                status,
                closed,
                days_overdue,
                days_left,
                level,
                tuple(own),
            )
        )
    return sorted(states, key=lambda s: (int(s.id[1:]) if s.id[1:].isdigit() else 0, s.id))


def find_problem(registry: Registry, problem_id: str, on: date) -> ProblemState:
    key = problem_id.strip().upper()
    for state in problem_states(registry, load_problems(registry.path), on):
        if state.id == key:
            return state
    raise UsageError(f"没有编号为 {problem_id} 的整改问题（用 safecity problem list 查看）")


def _check_day(registry: Registry, day: date, today: date, label: str) -> None:
    if day > today:
        raise UsageError(f"{label}{chinese_date(day)}晚于今天，不能预先记录")
    if day < registry.program.start:
        raise UsageError(
            f"{label}{chinese_date(day)}早于创建工作起始日期{chinese_date(registry.program.start)}"
        )


def add_problem(
    registry: Registry,
    text: str,
    *,
    unit: str | None,
    deadline: date | None,
    source: str,
    item: str | None,
    task: int | None,
    on: date,
    today: date,
    recorded_at: datetime,
    by: str = "",
) -> str:
    """Register a problem; its new id (Z1, Z2, …)."""
    from safecity_cli.assessment.criteria import resolve_item
    from safecity_cli.registry.units import resolve_unit
    from safecity_cli.tracking.recording import ensure_writable

    ensure_writable(registry)
    if not text.strip():
        raise UsageError("请写明整改问题的内容")
    if unit is None:
        raise UsageError("请用 --unit 指定整改责任单位")
    if deadline is None:
        raise UsageError("请用 --deadline 指定整改时限")
    if source not in SOURCES:
        raise UsageError(f"未知的问题来源「{source}」，可选：{'、'.join(SOURCES)}")
    who = resolve_unit(registry, unit)
    _check_day(registry, on, today, "登记日期")
    if deadline < on:
        raise UsageError(f"整改时限{chinese_date(deadline)}早于登记日期{chinese_date(on)}")
    item_id = resolve_item(registry, item).id if item else None
    if task is not None and registry.task(task) is None:
        raise UsageError(f"没有序号为 {task} 的任务（共 {len(registry.tasks)} 项）")
    with writing(registry.path) as writer:
        new_id = next_id(load_problems(registry.path), "Z")
        writer.append(
            PROBLEMS_FILE,
            {
                "id": new_id,
                "action": "登记",
                "date": on,
                "text": text.strip(),
                "unit": who.name,
                "deadline": deadline,
                "source": source,
                "item": item_id,
                "task": task,
                "by": by.strip(),
                "recorded_at": recorded_at.isoformat(timespec="microseconds"),
            },
        )
    return new_id


def report_problem(
    registry: Registry,
    problem_id: str,
    *,
    unit: str,
    status: str,
    note: str,
    on: date,
    today: date,
    recorded_at: datetime,
    new_deadline: date | None = None,
    evidence: tuple[str, ...] = (),
    links: tuple[str, ...] = (),
    base: Path = Path("."),
    by: str = "",
) -> ProblemState:
    """A unit's report on a problem it is responsible for, appended."""
    from safecity_cli.registry.units import resolve_unit
    from safecity_cli.tracking.query import parse_status
    from safecity_cli.tracking.recording import ensure_writable

    ensure_writable(registry)
    _check_day(registry, on, today, "报送日期")
    state = find_problem(registry, problem_id, today)
    who = resolve_unit(registry, unit)
    if who.name != state.unit:
        raise LedgerError(
            f"整改问题 {state.id} 的责任单位是「{state.unit}」，不能由「{who.name}」报送"
        )
    if state.closed:
        raise LedgerError(f"整改问题 {state.id} 已销号")
    if on < state.registered:
        raise UsageError(f"报送日期早于问题登记日期{chinese_date(state.registered)}")
    parsed = parse_status(status)
    if parsed is Status.CLOSED:
        raise UsageError(f"销号请用 safecity problem close {state.id}")
    if parsed is Status.DEFERRED:
        if new_deadline is None:
            raise UsageError("状态为「延期」时必须用 --new-deadline 给出调整后的整改时限")
        if new_deadline <= state.deadline:
            raise UsageError(f"调整后的整改时限应晚于现在的时限{chinese_date(state.deadline)}")
    elif new_deadline is not None:
        raise UsageError("只有状态为「延期」时才能给出 --new-deadline")
    stored = [stage_file(text, base) for text in evidence]
    with writing(registry.path) as writer:
        for s in stored:
            writer.archive(s, on, recorded_at)
        writer.append(
            PROBLEMS_FILE,
            {
                "id": state.id,
                "action": "进展",
                "date": on,
                "unit": who.name,
                "status": parsed.value,
                "new_deadline": new_deadline,
                "note": note.strip(),
                "evidence": evidence_records(stored, list(links)),
                "by": by.strip(),
                "recorded_at": recorded_at.isoformat(timespec="microseconds"),
            },
        )
    return find_problem(registry, state.id, today)


def close_problem(
    registry: Registry,
    problem_id: str,
    *,
    note: str,
    on: date,
    today: date,
    recorded_at: datetime,
    by: str = "",
) -> ProblemState:
    """The office's 销号 of a problem, once its unit has reported it 已完成."""
    from safecity_cli.tracking.recording import ensure_writable

    ensure_writable(registry)
    _check_day(registry, on, today, "销号日期")
    state = find_problem(registry, problem_id, today)
    if state.closed:
        raise LedgerError(f"整改问题 {state.id} 已销号")
    current = find_problem(registry, state.id, on)
    if current.status != Status.DONE.value:
        raise LedgerError(
            f"整改问题 {state.id} 在{chinese_date(on)}前尚未报告「已完成」（现为「{current.status}」），"
            "不能销号"
        )
    with writing(registry.path) as writer:
        writer.append(
            PROBLEMS_FILE,
            {
                "id": state.id,
                "action": "销号",
                "date": on,
                "note": note.strip(),
                "by": by.strip(),
                "recorded_at": recorded_at.isoformat(timespec="microseconds"),
            },
        )
    return find_problem(registry, state.id, today)
