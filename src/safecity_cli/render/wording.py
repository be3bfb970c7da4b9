"""Wording shared by listings, reports and exports: units as the document writes them, deadlines, latest progress."""

from __future__ import annotations

from safecity_cli.dates import chinese_date
from safecity_cli.ledger.entries import Entry
from safecity_cli.registry.models import Program, Registry
from safecity_cli.tracking.state import TaskState


def units_cell(registry: Registry, state: TaskState) -> str:
    return written_units(registry, state.task.units, state.task.open_ended)


def written_units(registry: Registry, units: tuple[str, ...], open_ended: str | None) -> str:
    """Units joined as the document does, the open-ended phrase (等相关部门) where it stood:
    after the last unit that is not one of the groups every task applies to anyway."""
    if not open_ended:
        return "、".join(units)
    found: str = registry.remember(
        ("written units", units, open_ended), lambda: _written(registry, units, open_ended)
    )
    return found


def _written(registry: Registry, units: tuple[str, ...], open_ended: str) -> str:
    common = set(registry.applies_to_all.units)
    cut = max((i + 1 for i, u in enumerate(units) if u not in common), default=len(units))
    head, tail = "、".join(units[:cut]) + open_ended, "、".join(units[cut:])
    return f"{head}，{tail}" if tail else head


def deadline_cell(state: TaskState) -> str:
    """The original text, the adjusted date when an approved 延期 moved it, and a 延期申请
    still waiting for the office: 2021年3月（申请延期至2021年4月30日，待批）; for a recurring
    deadline, the period that governs (每季度（2021年第一季度）)."""
    raw = state.task.deadline.raw
    end = state.task.deadline.end
    if state.period is not None:
        moved = state.deadline is not None and state.deadline != state.period.end
        return (
            f"{raw}（{state.period.label}"
            + (f"，调整为{chinese_date(state.deadline)}）" if moved and state.deadline else "）")
            + requested_note(state)
        )
    cell = raw
    if state.deadline is not None and end is not None and state.deadline != end:
        cell = f"{raw}（调整为{chinese_date(state.deadline)}）"
    return cell + requested_note(state)


def requested_note(state: TaskState) -> str:
    """（申请延期至2021年4月30日，待批） while a 延期申请 waits for the office, else ""."""
    if not state.requests:  # most tasks
        return ""
    asked = sorted({e.new_deadline for e in state.requests if e.new_deadline is not None})
    if not asked:
        return ""
    return f"（申请延期至{'、'.join(chinese_date(d) for d in asked)}，待批）"


def latest_progress(entry: Entry | None) -> str | None:
    """2021年3月1日 区住建局：已完成初稿."""
    if entry is None:
        return None
    who = entry.unit or "创建办"
    return f"{chinese_date(entry.date)} {who}：{entry.note or entry.status.value}"


def office_name(program: Program) -> str:
    """Who signs: the issuer's office (领导小组办公室)."""
    return f"{program.issuer}办公室" if program.issuer else "创建工作领导小组办公室"
