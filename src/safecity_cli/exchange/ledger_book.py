"""The 工作台账 workbook for meetings.

openpyxl is imported inside the functions, so commands that write no workbook never load it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from safecity_cli.dates import chinese_date
from safecity_cli.exchange.xlsx_style import (
    PERCENT_FORMAT,
    Column,
    body_font,
    new_workbook,
    paint_row,
    restyle_cells,
    write_table,
    write_title,
)
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.registry.units import expand, item_applies
from safecity_cli.render.listings import schedule_listing
from safecity_cli.render.wording import latest_progress, requested_note, units_cell
from safecity_cli.tracking.query import (
    ItemState,
    ScheduleItemState,
    TaskFilter,
    UnitSummary,
    current_phase,
    schedule_states,
    select_tasks,
    summarize_these,
)
from safecity_cli.tracking.state import Level, TaskState

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

TASK_SHEET, UNIT_SHEET, SCHEDULE_SHEET = "任务台账", "单位汇总", "日程安排"


TASK_COLUMNS = (
    Column("序号", 6, center=True),
    Column("类别", 14, wrap=True),
    Column("主要目标任务", 56, wrap=True),
    Column("责任单位", 30, wrap=True),
    Column("完成时限", 16, wrap=True),
    Column("截止日期", 17, center=True),
    Column("状态", 9, center=True),
    Column("督办等级", 8, center=True),
    Column("最新进展", 32, wrap=True),
    Column("逾期天数", 8, center=True),
)
UNIT_COLUMNS = (
    Column("责任单位", 30, wrap=True),
    Column("类型", 12, center=True),
    Column("任务数", 8, center=True),
    Column("直接承担", 8, center=True),
    Column("已完成", 8, center=True),
    Column("未完成", 8, center=True),
    Column("逾期", 8, center=True),
    Column("完成率", 9, center=True),
)
SCHEDULE_COLUMNS = (
    Column("类型", 6, center=True),
    Column("序号", 6, center=True),
    Column("内容", 60, wrap=True),
    Column("责任单位", 28, wrap=True),
    Column("时间安排", 18, wrap=True),
    Column("截止日期", 17, center=True),
    Column("状态", 22, wrap=True),
)


@dataclass(frozen=True)
class LedgerBook:
    """The workbook, and what it holds, for the message saying what was written."""

    workbook: Workbook
    tasks: int
    overdue: int
    units: int
    phases: int
    items: int


def build_ledger_workbook(
    registry: Registry,
    ledger: Ledger,
    on: date,
    unit: Unit | None = None,
    *,
    created: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LedgerBook:
    """任务台账, 单位汇总 and 日程安排 as of `on`; with `unit`, that unit's share only."""
    units = _summary_units(registry, unit)
    total = len(units) + 2
    tick = progress or (lambda done, total: None)
    tick(0, total)
    program = registry.program
    who = f"（{unit.name}）" if unit else ""
    workbook = new_workbook(f"{program.short_name}工作台账{who}", created)

    states = select_tasks(registry, ledger, on, TaskFilter(unit=unit))
    overdue = _task_sheet(workbook.create_sheet(TASK_SHEET), registry, states, on, who)
    tick(1, total)

    whole = states if unit is None else select_tasks(registry, ledger, on, TaskFilter())
    summaries = summarize_these(registry, ledger, on, units, states=whole)
    tick(total - 1, total)
    _unit_sheet(workbook.create_sheet(UNIT_SHEET), registry, summaries, on, who)

    items = schedule_states(registry, on, ledger=ledger, unit=unit)
    if unit is not None:
        items = [s for s in items if item_applies(registry, s.item, unit)]
    _schedule_sheet(workbook.create_sheet(SCHEDULE_SHEET), registry, items, on, who)
    tick(total, total)
    return LedgerBook(
        workbook, len(states), overdue, len(summaries), len(registry.phases), len(items)
    )


def _task_sheet(
    ws: Worksheet, registry: Registry, states: list[TaskState], on: date, who: str
) -> int:
    overdue = sum(s.overdue for s in states)
    complete = sum(s.complete for s in states)
    write_table(ws, TASK_COLUMNS, [_task_row(registry, s) for s in states], header_row=2)
    write_title(
        ws,
        1,
        f"{registry.program.short_name}工作台账{who}（截至{chinese_date(on)}，共 {len(states)} 项任务，"
        f"已完成 {complete} 项，逾期 {overdue} 项）",
        len(TASK_COLUMNS),
    )
    level_column = [c.header for c in TASK_COLUMNS].index("督办等级") + 1
    for row, state in enumerate(states, start=3):
        if state.level is None:
            continue
        if state.overdue:
            paint_row(ws, row, len(TASK_COLUMNS), state.level)
        else:  # due soon or idle: the level cell says so, the row stays plain
            paint_row(ws, row, len(TASK_COLUMNS), state.level, only=level_column)
    return overdue


def _task_row(registry: Registry, state: TaskState) -> list[Any]:
    task = state.task
    category = registry.category(task.category)
    return [
        task.id,
        f"{category.numeral}、{category.title}" if category else str(task.category),
        task.text,
        units_cell(registry, state),
        task.deadline.raw + requested_note(state),
        state.deadline,
        state.status.value,
        state.level.value if state.level else None,
        latest_progress(state.latest),
        state.days_overdue,
    ]


def _summary_units(registry: Registry, unit: Unit | None) -> list[Unit]:
    if unit is None:
        return list(registry.units)
    members = [registry.unit(name) for name in expand(registry, unit) if name != unit.name]
    return [unit, *(m for m in members if m is not None)]


def _unit_sheet(
    ws: Worksheet, registry: Registry, summaries: list[UnitSummary], on: date, who: str
) -> None:
    rows = [
        [
            s.unit.name,
            s.unit.kind,
            s.tasks,
            s.direct,
            s.complete,
            s.open,
            s.overdue,
            s.completion_rate if s.tasks else None,
        ]
        for s in summaries
    ]
    write_table(ws, UNIT_COLUMNS, rows, header_row=2, formats={8: PERCENT_FORMAT})
    write_title(
        ws, 1, f"责任单位任务完成情况汇总{who}（截至{chinese_date(on)}）", len(UNIT_COLUMNS)
    )
    for row, summary in enumerate(summaries, start=3):
        if summary.overdue:
            paint_row(ws, row, len(UNIT_COLUMNS), Level.YELLOW, only=7)


def _schedule_sheet(
    ws: Worksheet, registry: Registry, items: list[ScheduleItemState], on: date, who: str
) -> None:
    listing = schedule_listing(registry, items, on)
    ends: list[date | None] = [p.end for p in registry.phases]
    ends += [s.item.deadline.due_on(on) for s in items]
    rows = [
        [kind, int(number), text, units or None, period, end, state]
        for (kind, number, text, units, period, state), end in zip(listing.rows, ends, strict=True)
    ]
    write_table(ws, SCHEDULE_COLUMNS, rows, header_row=2)
    write_title(ws, 1, f"创建步骤与日程安排{who}（{listing.caption}）", len(SCHEDULE_COLUMNS))
    phases = len(registry.phases)
    current = current_phase(registry, on)
    for row, phase in enumerate(registry.phases, start=3):
        if phase == current:
            columns = range(1, len(SCHEDULE_COLUMNS) + 1)
            restyle_cells(ws, [(row, c) for c in columns], font=body_font(bold=True))
    for row, state in enumerate(items, start=3 + phases):
        if state.state is ItemState.DUE_SOON:
            paint_row(ws, row, len(SCHEDULE_COLUMNS), Level.BLUE, only=len(SCHEDULE_COLUMNS))


ROLLUP_SHEET = "区县汇总"
ROLLUP_COLUMNS = (
    Column("区县", 16, wrap=True),
    Column("任务数", 8, center=True),
    Column("已完成", 8, center=True),
    Column("未完成", 8, center=True),
    Column("逾期", 8, center=True),
    Column("红色督办", 9, center=True),
    Column("完成率", 9, center=True),
)


@dataclass(frozen=True)
class RollupBook:
    workbook: Workbook
    districts: int
    tasks: int
    overdue: int


def build_rollup_workbook(
    title: str,
    offices: Sequence[tuple[str, Registry, Ledger]],
    on: date,
    *,
    created: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RollupBook:
    """区县汇总 (a row per district) and each district's 任务台账 on a sheet of its name."""
    tick = progress or (lambda done, total: None)
    workbook = new_workbook(f"{title}工作台账（汇总）", created)
    summary = workbook.create_sheet(ROLLUP_SHEET)
    rows: list[list[Any]] = []
    for done, (name, registry, ledger) in enumerate(offices, start=1):
        states = select_tasks(registry, ledger, on, TaskFilter())
        overdue = _task_sheet(
            workbook.create_sheet(_sheet_name(name)), registry, states, on, f"（{name}）"
        )
        complete = sum(s.complete for s in states)
        red = sum(s.level is Level.RED for s in states)
        rate = complete / len(states) if states else None
        rows.append([name, len(states), complete, len(states) - complete, overdue, red, rate])
        tick(done, len(offices))
    write_table(summary, ROLLUP_COLUMNS, rows, header_row=2, formats={7: PERCENT_FORMAT})
    tasks, overdue = sum(r[1] for r in rows), sum(r[4] for r in rows)
    write_title(
        summary,
        1,
        f"{title}各区县任务完成情况（截至{chinese_date(on)}，{len(rows)} 个区县共 {tasks} 项任务，"
        f"逾期 {overdue} 项）",
        len(ROLLUP_COLUMNS),
    )
    for row, values in enumerate(rows, start=3):
        if values[4]:
            paint_row(summary, row, len(ROLLUP_COLUMNS), Level.YELLOW, only=5)
    return RollupBook(workbook, len(rows), tasks, overdue)


def _sheet_name(name: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    return "".join("_" if c in "[]:*?/\\" else c for c in name)[:31] or "_"
