"""The sheet a unit fills in to report progress.

A fillable workbook carries a hidden sheet naming its registry, date and unit, so an import
knows who filled it in. Every filled row goes through the same checks as `update`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from safecity_cli.dates import chinese_date
from safecity_cli.errors import UsageError
from safecity_cli.exchange.xlsx_rows import put
from safecity_cli.exchange.xlsx_style import (
    EDITABLE_FILL,
    FONT_NAME,
    Column,
    body_font,
    fill,
    new_workbook,
    paint_row,
    restyle_cells,
    write_table,
    write_title,
)
from safecity_cli.ledger.entries import Ledger, Status
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.tracking.index import unit_tasks
from safecity_cli.tracking.query import TaskFilter, select_tasks

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FILL_SHEET = "进展填报"
META_SHEET = "_safecity"
META_FORMAT = "safecity-fillable"
META_VERSION = 1
HEADER_ROW = 4
BY_CELL = "C3"  # 填报人
EDITABLE_HEADER_FILL = "BF8F00"

# Statuses a unit reports; 已销号 is the office's act (safecity close), not a unit's.
REPORTABLE = tuple(s.value for s in Status if s is not Status.CLOSED)

FILL_COLUMNS = (
    Column("序号", 6, center=True),
    Column("类别", 6, center=True),
    Column("主要目标任务", 50, wrap=True),
    Column("完成时限", 16, wrap=True),
    Column("截止日期", 17, center=True),
    Column("当前状态", 9, center=True),
    Column("填报状态", 11, center=True),
    Column("进展说明", 40, wrap=True),
    Column("佐证材料", 28, wrap=True),
    Column("报送日期", 17, center=True),
    Column("调整后时限", 17, center=True),
)
_INDEX = {c.header: i for i, c in enumerate(FILL_COLUMNS, start=1)}
EDITABLE = ("填报状态", "进展说明", "佐证材料", "报送日期", "调整后时限")

INSTRUCTIONS = (
    "填写说明：只填写浅黄色底纹的单元格，其余内容已锁定。需要报送的任务，在「填报状态」中"
    "从下拉列表选择状态，在「进展说明」中写明进展；不需要报送的任务请留空。状态为「延期」时"
    "须填写「调整后时限」。「佐证材料」填写文件路径（相对于本表所在文件夹，如 材料/方案.pdf）"
    "或网址，多项用换行或分号分隔。「报送日期」默认为下发日期，可改为实际报送日期。"
)


# -- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FillableBook:
    workbook: Workbook
    unit: Unit
    tasks: int


def reporting_units(registry: Registry) -> list[Unit]:
    """Units that report for themselves and have tasks: groups listing members report through them.

    From the unit → tasks index (what applies_to answers), not a test of every task per unit."""
    return [u for u in registry.units if not u.members and unit_tasks(registry, u)]


def build_fillable_workbook(
    registry: Registry,
    ledger: Ledger,
    on: date,
    unit: Unit,
    *,
    created: datetime | None = None,
) -> FillableBook:
    """The unit's tasks as of `on`, with drop-downs and unlocked cells for what it reports."""
    if unit.members:
        raise UsageError(
            f"「{unit.name}」已列出成员单位，由各成员单位分别报送；"
            f"请为其成员单位分别生成填报表：{'、'.join(unit.members)}"
        )
    states = select_tasks(registry, ledger, on, TaskFilter(unit=unit))
    if not states:
        raise UsageError(f"「{unit.name}」没有需要填报的任务")
    workbook = new_workbook(f"{unit.name}任务进展填报表", created)
    ws = workbook.create_sheet(FILL_SHEET)
    rows = []
    for state in states:
        category = registry.category(state.task.category)
        rows.append(
            [
                state.task.id,
                category.numeral if category else str(state.task.category),
                state.task.text,
                state.task.deadline.raw,
                state.deadline,
                state.status.value,
                None,
                None,
                None,
                on,
                None,
            ]
        )
    last = write_table(ws, FILL_COLUMNS, rows, header_row=HEADER_ROW)
    ncols = len(FILL_COLUMNS)
    write_title(ws, 1, f"{unit.name}创建工作任务进展填报表", ncols)
    write_title(ws, 2, INSTRUCTIONS, ncols, size=10)
    _by_line(ws, registry, unit, on, len(states))
    for row, state in enumerate(states, start=HEADER_ROW + 1):
        if state.level is not None:
            paint_row(ws, row, ncols, state.level, only=_INDEX["截止日期"])
    _editable(ws, last)
    _validations(ws, registry, last)
    _protect(ws)
    _meta_sheet(workbook, registry, on, [(ws.title, unit.name)])
    ws.sheet_view.selection[0].activeCell = f"G{HEADER_ROW + 1}"
    ws.sheet_view.selection[0].sqref = f"G{HEADER_ROW + 1}"
    return FillableBook(workbook, unit, len(states))


def _by_line(ws: Worksheet, registry: Registry, unit: Unit, on: date, count: int) -> None:
    from openpyxl.styles import Alignment, Font

    label = ws.cell(row=3, column=1, value="填报人")
    label.font = Font(name=FONT_NAME, size=11, bold=True)
    label.alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=2)
    by = ws[BY_CELL]
    by.font = body_font()
    by.fill = fill(EDITABLE_FILL)
    info = put(
        ws,
        3,
        4,
        f"登记册：{registry.program.name}　下发日期：{chinese_date(on)}　共 {count} 项任务",
    )
    info.font = body_font()
    info.alignment = Alignment(vertical="center")
    ws.merge_cells(start_row=3, start_column=4, end_row=3, end_column=len(FILL_COLUMNS))
    ws.row_dimensions[3].height = 22


def _editable(ws: Worksheet, last: int) -> None:
    from openpyxl.styles import Protection

    unlocked = Protection(locked=False)
    ws[BY_CELL].protection = unlocked
    for header in EDITABLE:
        column = _INDEX[header]
        ws.cell(row=HEADER_ROW, column=column).fill = fill(EDITABLE_HEADER_FILL)
        cells = [(row, column) for row in range(HEADER_ROW + 1, last + 1)]
        restyle_cells(ws, cells, protection=unlocked, fill=fill(EDITABLE_FILL))


def _validations(ws: Worksheet, registry: Registry, last: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    def cells(header: str) -> str:
        letter = get_column_letter(_INDEX[header])
        return f"{letter}{HEADER_ROW + 1}:{letter}{last}"

    start = registry.program.start
    since = f"DATE({start.year},{start.month},{start.day})"
    status = DataValidation(
        type="list",
        formula1='"' + ",".join(REPORTABLE) + '"',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle="状态无效",
        error=f"请从下拉列表中选择：{'、'.join(REPORTABLE)}",
        promptTitle="填报状态",
        prompt="从下拉列表选择本单位该项任务的状态；不需要报送的任务请留空。选择「延期」时须填写调整后时限。",
    )
    reported = DataValidation(
        type="date",
        operator="between",
        formula1=since,
        formula2="TODAY()",
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle="日期无效",
        error=f"报送日期应在{chinese_date(start)}至今天之间，如 2021/3/1",
        promptTitle="报送日期",
        prompt="默认为下发日期，可改为实际报送日期，不能晚于今天。",
    )
    deferred = DataValidation(
        type="date",
        operator="greaterThan",
        formula1=since,
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle="日期无效",
        error="请填写日期，如 2021/6/30",
        promptTitle="调整后时限",
        prompt="仅在填报状态为「延期」时填写，应晚于报送日期。",
    )
    evidence = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1="32767",
        allow_blank=True,
        showInputMessage=True,
        promptTitle="佐证材料",
        prompt="文件路径（相对于本表所在文件夹）或网址；多项用换行或分号分隔。",
    )
    for validation, header in (
        (status, "填报状态"),
        (reported, "报送日期"),
        (deferred, "调整后时限"),
        (evidence, "佐证材料"),
    ):
        validation.add(cells(header))
        ws.add_data_validation(validation)


def _protect(ws: Worksheet) -> None:
    # No password: the lock guards against slips, not against a determined user.
    protection = ws.protection
    protection.sheet = True
    protection.formatColumns = False  # False means allowed: widen columns, resize rows
    protection.formatRows = False
    protection.autoFilter = False


def _meta_sheet(
    workbook: Workbook, registry: Registry, on: date, sheets: Sequence[tuple[str, str]]
) -> None:
    from openpyxl.workbook.protection import WorkbookProtection

    meta = workbook.create_sheet(META_SHEET)
    rows: list[list[Any]] = [
        ["说明", "safecity 填报表标识，导入时使用，请勿修改"],
        ["格式", META_FORMAT],
        ["版本", META_VERSION],
        ["登记册", registry.program.name],
        ["登记册标识", registry.key],
        ["下发日期", on],
    ]
    rows += [["工作表", title, unit, HEADER_ROW, BY_CELL] for title, unit in sheets]
    for index, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            put(meta, index, column, value)
    meta["B6"].number_format = "yyyy-mm-dd"
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    # A locked structure keeps the hidden sheet hidden and the sheet names as written.
    workbook.security = WorkbookProtection(lockStructure=True)
