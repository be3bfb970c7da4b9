"""Turn query results into Listings: the rows people read and the JSON scripts rely on."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from safecity_cli.dates import DISTRICT_ZONE, chinese_date
from safecity_cli.ledger.entries import Entry, Kind, Ledger, Status
from safecity_cli.registry.deadlines import Deadline
from safecity_cli.registry.models import Registry, ScheduleItem, Unit
from safecity_cli.render.formats import Listing, Rows
from safecity_cli.render.wording import deadline_cell, units_cell
from safecity_cli.tracking.query import (
    ScheduleItemState,
    Stats,
    UnitSummary,
    current_phase,
    days_left_in,
)
from safecity_cli.tracking.state import Level, TaskState

LEVEL_STYLES = {Level.RED: "bold red", Level.YELLOW: "yellow", Level.BLUE: "cyan"}


def deadline_json(deadline: Deadline) -> dict[str, Any]:
    return {
        "raw": deadline.raw,
        "kind": deadline.kind.value,
        "start": iso_day(deadline.start),
        "end": iso_day(deadline.end),
    }


@cache  # a listing's rows share a few hundred dates; as text they cost no JSON `default` call
def iso_day(day: date | None) -> str | None:
    """A date as JSON writes it (2021-03-31), None as null."""
    return None if day is None else day.isoformat()


# Enum's .value is a Python property; read for every row and party, a dict is quicker.
_STATUS_TEXT = {status: status.value for status in Status}
_LEVEL_TEXT: dict[Level | None, str | None] = {level: level.value for level in Level}
_LEVEL_TEXT[None] = None


def entry_json(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.id,
        "task": entry.task,
        "date": entry.date,
        "unit": entry.unit,
        "status": entry.status.value,
        "note": entry.note,
        "evidence": [e.to_dict() for e in entry.evidence],
        "by": entry.by,
    }
    if entry.kind is not Kind.REPORT:
        data["kind"] = entry.kind.value
    if entry.ref:
        data["ref"] = entry.ref
    if entry.new_deadline is not None:
        data["new_deadline"] = entry.new_deadline
    data["recorded_at"] = entry.recorded_at.astimezone(DISTRICT_ZONE).isoformat(timespec="seconds")
    return data


def task_json(registry: Registry, state: TaskState) -> dict[str, Any]:
    task = state.task
    if isinstance(task, ScheduleItem):  # show S12: an item reads like a task
        number: int | str = task.key
        category_id, category = None, None
    else:
        number, category_id, category = task.id, task.category, registry.category(task.category)
    status = _STATUS_TEXT
    return {
        "id": number,
        "category": category_id,
        "category_title": category.title
        if category
        else ("日程安排" if category_id is None else ""),
        "text": task.text,
        "units": list(task.units),
        "open_ended": task.open_ended,
        "deadline": deadline_json(task.deadline),
        "effective_deadline": iso_day(state.deadline),
        "period": state.period.label if state.period else None,
        "status": status[state.status],
        "level": _LEVEL_TEXT[state.level],
        "unit_status": {p.unit: status[p.status] for p in state.parties},
        "via": state.via,
        "latest_note": state.latest.note if state.latest else None,
        "criteria": list(task.criteria),
        # 延期申请 not yet decided: effective_deadline is still the original until approved
        "requests": [
            {
                "id": e.id,
                "unit": e.unit,
                "date": iso_day(e.date),
                "new_deadline": iso_day(e.new_deadline),
            }
            for e in state.requests
        ],
    }


def task_listing(
    registry: Registry,
    states: list[TaskState],
    *,
    title: str,
    extra: str | None = None,
    unit: Unit | None = None,
    workdays: bool = False,
) -> Listing:
    """Tasks as a listing; `extra` adds days_overdue or days_left (working days with
    `workdays`, and said so)."""
    days = "个工作日" if workdays else "天"
    headers = ["序号", "类别", "主要目标任务", "责任单位", "完成时限", "状态", "督办"]
    if unit is not None:
        headers.append("来源")
    extra_header = {"days_overdue": "逾期天数", "days_left": "剩余天数"}.get(extra or "")
    if extra_header:
        headers.append(extra_header)
    csv_headers = [*headers[:5], "截止日期", *headers[5:], "最新进展日期", "最新进展"]

    def row_of(state: TaskState) -> list[str]:
        category = registry.category(state.task.category)
        row = [
            str(state.task.id),
            category.numeral if category else str(state.task.category),
            state.task.text,
            units_cell(registry, state),
            deadline_cell(state),
            state.status.value,
            state.level.value if state.level else "",
        ]
        if unit is not None:
            row.append(f"经{state.via}" if state.via else "直接")
        if extra == "days_overdue":
            row.append(f"{state.days_overdue} {days}")
        elif extra == "days_left":
            row.append(f"{state.days_left} {days}")
        return row

    # Made as they are written: CSV needs only csv_rows, a table or TSV only rows.
    rows = Rows(states, row_of)
    csv_rows = Rows(states, lambda state: _task_csv_row(state, row_of(state), extra))
    styles = [LEVEL_STYLES.get(s.level) if s.level else None for s in states]
    through = sum(1 for s in states if s.via)
    caption = f"共 {len(states)} 项任务" + (f"，其中 {through} 项经集合单位适用" if through else "")

    def item_of(state: TaskState) -> dict[str, Any]:
        item = task_json(registry, state)
        if extra in ("days_overdue", "days_left"):
            item[extra] = getattr(state, extra)
        return item

    def data() -> Rows[TaskState]:  # the JSON items, made as they are written
        return Rows(states, item_of)

    return Listing(
        title,
        headers,
        rows,
        data,
        empty="没有符合条件的任务",
        caption=caption,
        # 来源 may name a long group (经区级负有安全生产监管职责的部门): it wraps too.
        wrap={2: 3, 3: 2, 7: 2} if unit is not None else {2: 3, 3: 2},
        # Narrow terminals keep the task readable: 类别, then 来源, then 责任单位 give way.
        keep=2,
        drop=(1, 7, 3) if unit is not None else (1, 3),
        row_styles=styles,
        csv_rows=csv_rows,
        csv_headers=csv_headers,
    )


def _task_csv_row(state: TaskState, row: list[str], extra: str | None) -> list[Any]:
    """The table's cells as data: the deadline's own text and its ISO end (after 延期), whole
    numbers of days, and the latest progress note (as latest_note in JSON) with its date."""
    cells: list[Any] = [*row[:4], state.task.deadline.raw, _iso(state.deadline), *row[5:]]
    if extra in ("days_overdue", "days_left"):
        cells[-1] = getattr(state, extra)
    latest = state.latest
    cells += [_iso(latest.date), latest.note] if latest else ["", ""]
    return cells


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


def unit_listing(
    summaries: list[UnitSummary],
    on: date,
    registry: Registry | None = None,
    reminders: dict[str, int] | None = None,
) -> Listing:
    """`registry` gives each group's resolved members (its parties) in the JSON; `reminders`:
    督办通知单 each unit has received (催办), shown as its own column."""
    from safecity_cli.registry.units import expand

    headers = ["单位", "类型", "别名", "成员", "任务数", "直接承担", "已完成", "未完成", "逾期"]
    if reminders is not None:
        headers.append("催办")
    rows, data = [], []
    for s in summaries:
        listed = [
            m for m in s.unit.members or () if registry is None or not _by_kind(registry, s.unit, m)
        ]
        members = "、".join(listed) if s.unit.is_group else ""
        if s.unit.member_kinds:
            kinds = f"（按类型：{'、'.join(s.unit.member_kinds)}）"
            members = f"{members}{kinds}" if members else kinds.strip("（）")
        if s.unit.is_group and not s.unit.members:
            members = "（未填写）"
        rows.append(
            [
                s.unit.name,
                s.unit.kind,
                "、".join(s.unit.aliases),
                members,
                str(s.tasks),
                str(s.direct),
                str(s.complete),
                str(s.open),
                str(s.overdue),
                *([str(reminders.get(s.unit.name, 0))] if reminders is not None else []),
            ]
        )
        data.append(
            {
                "name": s.unit.name,
                "kind": s.unit.kind,
                "aliases": list(s.unit.aliases),
                "members": list(s.unit.members) if s.unit.members is not None else None,
                "group": s.unit.is_group,
                "member_kinds": list(s.unit.member_kinds) if s.unit.is_group else None,
                "resolved_members": (
                    [n for n in expand(registry, s.unit) if n != s.unit.name]
                    if s.unit.is_group and registry is not None
                    else None
                ),
                "contact": s.unit.contact,
                "phone": s.unit.phone,
                "tasks": s.tasks,
                "direct_tasks": s.direct,
                "complete": s.complete,
                "open": s.open,
                "overdue": s.overdue,
            }
        )
        if reminders is not None:
            data[-1]["reminders"] = reminders.get(s.unit.name, 0)
    caption = f"共 {len(summaries)} 个单位（截至{chinese_date(on)}）"
    csv_rows = [[*row[:4], *(int(cell) for cell in row[4:])] for row in rows]
    return Listing(
        "责任单位",
        headers,
        rows,
        data,
        empty="没有符合条件的单位",
        caption=caption,
        wrap={2: 1, 3: 1},
        csv_rows=csv_rows,
    )


def item_status_text(s: ScheduleItemState) -> str:
    """What an item's units recorded, and where its date stands: 已完成; 未启动，逾期 3 天."""
    if s.complete:
        return s.status.value
    if s.progress is not None and s.progress.days_overdue is not None:
        return f"{s.status.value}，逾期 {s.progress.days_overdue} 天"
    if s.days_left is None:
        return f"{s.status.value}（{s.state.value}）"
    if s.days_left == 0:
        return f"{s.status.value}，今日到期"
    return f"{s.status.value}，剩余 {s.days_left} 天"


def _by_kind(registry: Registry, group: Unit, member: str) -> bool:
    """Whether a group's member comes from its member_kinds (the table names the kinds)."""
    unit = registry.unit(member)
    return unit is not None and unit.kind in group.member_kinds


def schedule_listing(registry: Registry, items: list[ScheduleItemState], on: date) -> Listing:
    phase_now = current_phase(registry, on)
    styles_items: list[str | None] = []
    headers = ["类型", "序号", "内容", "责任单位", "完成时限", "状态"]
    csv_headers = [*headers[:5], "开始日期", "截止日期", "状态", "剩余天数"]
    rows: list[list[str]] = []
    csv_rows: list[list[Any]] = []
    phases = []
    for phase in registry.phases:
        current = phase_now is not None and phase.id == phase_now.id
        left = days_left_in(phase, on) if current else None
        state = (
            "当前阶段" + (f"，剩余 {left} 天" if left is not None else "")
            if current
            else (
                "已结束"
                if phase.end and phase.end < on
                else "未开始"
                if phase.start
                else "时间待定"
            )
        )
        rows.append(["阶段", str(phase.id), phase.name, "", phase.period, state])
        csv_rows.append(
            [
                "阶段",
                phase.id,
                phase.name,
                "",
                phase.period,
                _iso(phase.start),
                _iso(phase.end),
                state.split("，")[0],
                "" if left is None else left,
            ]
        )
        phases.append(
            {
                "id": phase.id,
                "name": phase.name,
                "period": phase.period,
                "start": phase.start,
                "end": phase.end,
                "current": current,
                "days_left": left,
            }
        )
    data_items = []
    for s in items:
        progress = s.progress
        rows.append(
            [
                "日程",
                str(s.item.id),
                s.item.text,
                "、".join(s.item.units),
                s.item.deadline.raw,
                item_status_text(s),
            ]
        )
        csv_rows.append(
            [
                "日程",
                s.item.id,
                *rows[-1][2:5],
                _iso(s.item.deadline.start),
                _iso(s.item.deadline.end),
                s.status.value,
                "" if s.days_left is None else s.days_left,
            ]
        )
        styles_items.append(
            LEVEL_STYLES.get(progress.level) if progress and progress.level else None
        )
        data_items.append(
            {
                "id": s.item.id,
                "key": s.item.key,
                "text": s.item.text,
                "units": list(s.item.units),
                "deadline": deadline_json(s.item.deadline),
                "state": s.state.value,
                "days_left": s.days_left,
                "status": s.status.value,
                "unit_status": (
                    {p.unit: p.status.value for p in progress.parties} if progress else {}
                ),
                "days_overdue": progress.days_overdue if progress else None,
                "level": progress.level.value if progress and progress.level else None,
            }
        )
    styles: list[str | None] = ["bold" if p["current"] else None for p in phases] + styles_items
    now = (
        f"当前：{phase_now.name}"
        if phase_now
        else ("创建工作尚未开始" if on < registry.program.start else "不在任何阶段内")
    )
    caption = f"截至{chinese_date(on)}，{now}；共 {len(phases)} 个阶段、{len(items)} 项日程"
    data = {
        "date": on,
        "current_phase": phase_now.name if phase_now else None,
        "phases": phases,
        "items": data_items,
    }
    return Listing(
        "创建步骤与日程安排",
        headers,
        rows,
        data,
        caption=caption,
        wrap={2: 3, 3: 2},
        row_styles=styles,
        csv_rows=csv_rows,
        csv_headers=csv_headers,
    )


def stats_listing(stats: Stats, on: date) -> Listing:
    headers = ["分组", "项目", "任务数", "已完成", "逾期"]
    rows: list[list[str]] = []
    for label, total, complete in stats.by_category:
        rows.append(["类别", label, str(total), str(complete), ""])
    for label, count in stats.by_status:
        rows.append(["状态", label, str(count), "", ""])
    for name, total, complete, overdue in stats.by_unit:
        rows.append(["单位", name, str(total), str(complete), str(overdue)])
    for month, count in stats.by_month:
        rows.append(["截止月份", month, str(count), "", ""])
    data = {
        "date": on,
        "total": stats.total,
        "overdue": stats.overdue,
        "by_category": [
            {"category": c, "tasks": t, "complete": d} for c, t, d in stats.by_category
        ],
        "by_status": dict(stats.by_status),
        "by_unit": [
            {"unit": u, "tasks": t, "complete": c, "overdue": o} for u, t, c, o in stats.by_unit
        ],
        "by_month": dict(stats.by_month),
    }
    caption = f"截至{chinese_date(on)}：共 {stats.total} 项任务，逾期 {stats.overdue} 项"
    csv_rows = [[*row[:2], *(int(cell) if cell else "" for cell in row[2:])] for row in rows]
    return Listing("任务统计", headers, rows, data, caption=caption, csv_rows=csv_rows)


def is_late(entry: Entry, days: int) -> bool:
    """补录: recorded more than `days` days after the date it gives (days in the district)."""
    return (entry.recorded_at.astimezone(DISTRICT_ZONE).date() - entry.date).days > days


def record_status(entry: Entry, ledger: Ledger | None) -> str:
    status = entry.status.value
    if entry.kind is Kind.REQUEST:
        decision = ledger.decision(entry) if ledger is not None else None
        state = f"已{decision.kind.value}" if decision is not None else "待批"
        status = f"延期申请（{state}）"
    elif entry.kind in (Kind.APPROVE, Kind.REJECT):
        status = f"{entry.kind.value}延期"
    elif entry.kind is Kind.UNDO:
        status = "撤销"
    if ledger is not None and entry.kind is not Kind.UNDO and ledger.reversal(entry) is not None:
        status += "（已撤销）"
    return status


def _note_cell(entry: Entry) -> str:
    if entry.kind is Kind.UNDO:
        head = f"撤销记录 {entry.ref}"
    elif entry.kind in (Kind.APPROVE, Kind.REJECT):
        head = f"{entry.kind.value}记录 {entry.ref} 的延期申请"
    else:
        return entry.note
    return f"{head}：{entry.note}" if entry.note else head


def history_listing(
    entries: list[Entry],
    title: str,
    *,
    ledger: Ledger | None = None,
    late_after: int | None = None,
) -> Listing:
    """Entries as `history` shows them. With `ledger`, every kind of record (a 延期申请 with
    its decision, 撤销 and what it reversed); with `late_after`, 补录 marked: in the status
    cell of the table (a column of its own would crop the ids off a 100-column terminal now
    that dates never fold), in a column of its own in CSV."""
    headers = ["日期", "单位", "状态", "说明", "佐证材料", "报送人", "调整后时限", "编号"]
    csv_headers = None if late_after is None else [*headers[:7], "补录", headers[7]]
    rows, csv_rows = [], []
    for e in entries:
        late = late_after is not None and is_late(e, late_after)
        status = record_status(e, ledger)
        rows.append(
            [
                chinese_date(e.date),
                e.unit or "（创建办销号）",
                f"{status}（补录）" if late else status,
                _note_cell(e),
                "\n".join(v.ref for v in e.evidence),
                e.by,
                chinese_date(e.new_deadline) if e.new_deadline else "",
                e.id,
            ]
        )
        csv_row = [
            e.date.isoformat(),
            *rows[-1][1:2],
            status,
            *rows[-1][3:6],
            e.new_deadline.isoformat() if e.new_deadline else "",
            e.id,
        ]
        if late_after is not None:
            csv_row.insert(7, "补录" if late else "")
        csv_rows.append(csv_row)
    data = []
    for e in entries:
        item = entry_json(e)
        if ledger is not None:
            if e.kind is Kind.REQUEST:
                decision = ledger.decision(e)
                item["decision"] = (
                    {"kind": decision.kind.value, "id": decision.id, "date": decision.date}
                    if decision is not None
                    else None
                )
            reversal = ledger.reversal(e)
            item["reversed_by"] = reversal.id if reversal is not None else None
        if late_after is not None:
            item["late"] = is_late(e, late_after)
        data.append(item)
    return Listing(
        title,
        headers,
        rows,
        data,
        empty="还没有进展记录",
        caption=f"共 {len(entries)} 条记录",
        wrap={3: 2, 4: 1} if ledger is None else {2: 1, 3: 2, 4: 1},
        csv_rows=csv_rows,
        csv_headers=csv_headers,
        whole=(len(headers) - 1,),
    )
