"""Everything about one task, for `show`: as JSON, Markdown, or a Rich panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from safecity_cli.dates import chinese_date
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.deadlines import KIND_LABELS
from safecity_cli.registry.models import Registry, ScheduleItem, Task
from safecity_cli.render.formats import escape_md_cell
from safecity_cli.render.listings import entry_json, record_status, task_json
from safecity_cli.render.wording import written_units
from safecity_cli.text import printable
from safecity_cli.tracking.state import task_state

if TYPE_CHECKING:
    from rich.console import RenderableType


@dataclass(frozen=True)
class TaskDetail:
    fields: list[tuple[str, str]]
    parties: list[tuple[str, str, str, str]]  # unit, kind, status, latest note
    notes: list[tuple[str, str, str, str]]  # date, unit, status, note
    data: dict[str, Any]

    def markdown(self) -> str:
        what = "日程" if isinstance(self.data["id"], str) else "任务"
        lines = [f"## {what} {self.data['id']}", ""]
        lines += [f"- **{k}**：{escape_md_cell(v)}" for k, v in self.fields]
        lines += ["", "| 责任单位 | 类型 | 状态 | 最新进展 |", "| --- | --- | --- | --- |"]
        lines += ["| " + " | ".join(escape_md_cell(c) for c in row) + " |" for row in self.parties]
        if self.notes:
            lines += ["", "| 日期 | 单位 | 状态 | 说明 |", "| --- | --- | --- | --- |"]
            lines += [
                "| " + " | ".join(escape_md_cell(c) for c in row) + " |" for row in self.notes
            ]
        return "\n".join(lines) + "\n"

    def rich(self) -> RenderableType:
        from rich import box
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        def shown(*cells: str) -> list[Text]:  # as stored: no markup, no terminal controls
            return [Text(printable(c)) for c in cells]

        head = Table.grid(padding=(0, 2))
        head.add_column(style="bold", no_wrap=True)
        head.add_column(overflow="fold")
        for key, value in self.fields:
            head.add_row(*shown(key, value))
        parties = Table(
            "责任单位",
            "类型",
            "状态",
            "最新进展",
            box=box.SIMPLE_HEAD,
            title="各责任单位",
            title_justify="left",
        )
        for row in self.parties:
            parties.add_row(*shown(*row))
        parts: list[RenderableType] = [head, parties]
        if self.notes:
            notes = Table(
                "日期",
                "单位",
                "状态",
                "说明",
                box=box.SIMPLE_HEAD,
                title="最近的进展记录",
                title_justify="left",
            )
            for row in self.notes:
                notes.add_row(*shown(*row))
            parts.append(notes)
        return Group(*parts)


def task_detail(
    registry: Registry,
    ledger: Ledger,
    task: Task | ScheduleItem,
    on: date,
    *,
    recent: int = 5,
    workdays: bool = False,
) -> TaskDetail:
    state = task_state(registry, ledger, task, on, workdays=workdays)
    item = isinstance(task, ScheduleItem)
    category = None if isinstance(task, ScheduleItem) else registry.category(task.category)
    deadline = task.deadline
    days = "个工作日" if workdays else "天"
    span = (
        f"{chinese_date(deadline.start)} 至 {chinese_date(deadline.end)}"
        if deadline.start
        else chinese_date(deadline.end)
        if deadline.end
        else "无截止日期，不计逾期"
    )
    fields = [
        ("序号", str(task.key)),
        (
            "类别",
            "日程安排"
            if isinstance(task, ScheduleItem)
            else f"{category.numeral}、{category.title}"
            if category
            else str(task.category),
        ),
        ("日程事项" if item else "主要目标任务", task.text),
        ("责任单位", written_units(registry, task.written_units, task.open_ended)),
        ("完成时限", f"{deadline.raw}（{KIND_LABELS[deadline.kind]}：{span}）"),
    ]
    if task.criteria and registry.criteria is not None:
        served = [registry.criteria.item(i) for i in task.criteria]
        fields.append(
            ("评价细则", "；".join(f"{i.id}{i.title}（{i.points:g} 分）" for i in served if i))
        )
    if state.deadline is not None and deadline.end is not None and state.deadline != deadline.end:
        fields.append(("调整后时限", chinese_date(state.deadline)))
    if state.period is not None and state.deadline is not None:
        fields.append(("本期", f"{state.period.label}（{chinese_date(state.deadline)}到期）"))
    for asked in state.requests:  # both deadlines stay in sight until the office decides
        assert asked.new_deadline is not None
        fields.append(
            (
                "延期申请",
                f"{asked.unit}于{chinese_date(asked.date)}申请延期至"
                f"{chinese_date(asked.new_deadline)}，待批（记录编号 {asked.id}）",
            )
        )
    if registry.applies_to_all.units and not item:
        fields.append(
            (
                "同时适用",
                "、".join(registry.applies_to_all.units)
                + (f"（{registry.applies_to_all.note}）" if registry.applies_to_all.note else ""),
            )
        )
    overdue = f"，逾期 {state.days_overdue} {days}" if state.days_overdue is not None else ""
    if state.days_left is not None and not overdue:
        overdue = f"，剩余 {state.days_left} {days}"
    level = f"，督办等级 {state.level.value}" if state.level else ""
    fields.append((f"状态（截至{chinese_date(on)}）", f"{state.status.value}{overdue}{level}"))
    parties = []
    for party in state.parties:
        unit = registry.unit(party.unit)
        parties.append(
            (
                party.unit,
                unit.kind if unit else "",
                party.status.value,
                party.latest.note if party.latest else "",
            )
        )
    entries = [e for e in ledger.for_task(task.key) if e.date <= on]
    notes = [
        (chinese_date(e.date), e.unit or "（创建办销号）", record_status(e, ledger), e.note)
        for e in entries[-recent:]
    ]
    data = task_json(registry, state)
    data["date"] = on
    data["days_overdue"] = state.days_overdue
    data["days_left"] = state.days_left
    data["parties"] = [
        {
            "unit": p.unit,
            "kind": unit.kind if (unit := registry.unit(p.unit)) else None,
            "status": p.status.value,
            "deadline": p.deadline,
            "latest": entry_json(p.latest) if p.latest else None,
            "requested": entry_json(p.requested) if p.requested else None,
        }
        for p in state.parties
    ]
    data["entries"] = [entry_json(e) for e in entries]
    return TaskDetail(fields, parties, notes, data)
