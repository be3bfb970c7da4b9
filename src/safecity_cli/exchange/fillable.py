"""The sheet a unit fills in to report progress, and reading it back into ledger entries.

A fillable workbook carries a hidden sheet naming its registry, date and unit, so an import
knows who filled it in. Every filled row goes through the same checks as `update`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safecity_cli.dates import chinese_date, parse_date
from safecity_cli.errors import LedgerError, SafecityError, UsageError
from safecity_cli.exchange.ledger_book import (
    EDITABLE_FILL,
    FONT_NAME,
    Column,
    body_font,
    fill,
    new_workbook,
    paint_row,
    write_table,
    write_title,
)
from safecity_cli.ledger.entries import Entry, Ledger, Status, same_report
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.registry.units import applies_to, resolve_unit
from safecity_cli.render.formats import Listing
from safecity_cli.render.listings import history_listing
from safecity_cli.tracking.query import TaskFilter, select_tasks
from safecity_cli.tracking.recording import Report, check_report

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
_EVIDENCE_SPLIT = re.compile(r"[\r\n；;]+")

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
    """Units that report for themselves and have tasks: groups listing members report through them."""
    return [
        u
        for u in registry.units
        if not u.members and any(applies_to(registry, t, u)[0] for t in registry.tasks)
    ]


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
    info = ws.cell(
        row=3,
        column=4,
        value=f"登记册：{registry.program.name}　下发日期：{chinese_date(on)}　共 {count} 项任务",
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
        for row in range(HEADER_ROW + 1, last + 1):
            cell = ws.cell(row=row, column=column)
            cell.protection = unlocked
            cell.fill = fill(EDITABLE_FILL)


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
    for row in rows:
        meta.append(row)
    meta["B6"].number_format = "yyyy-mm-dd"
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    # A locked structure keeps the hidden sheet hidden and the sheet names as written.
    workbook.security = WorkbookProtection(lockStructure=True)


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilledRow:
    sheet: str
    row: int
    report: Report


@dataclass(frozen=True)
class BadRow:
    sheet: str
    row: int
    message: str


@dataclass(frozen=True)
class Returned:
    """A filled workbook as read: its rows to check, and rows that could not even be read."""

    path: Path
    units: tuple[str, ...]
    rows: tuple[FilledRow, ...]
    bad: tuple[BadRow, ...]


def read_returned(path: Path, registry: Registry, *, today: date) -> Returned:
    """The filled rows of a fillable workbook; UsageError when it is not one of this registry's."""
    workbook = _open(path)
    meta = _read_meta(workbook, path)
    if meta.get("格式") != META_FORMAT:
        raise UsageError(f"{path.name} 不是 safecity 生成的填报表（标识不符）")
    key = meta.get("登记册标识")
    if key != registry.key:
        raise UsageError(
            f"{path.name} 是「{meta.get('登记册') or '另一个登记册'}」的填报表，"
            f"与当前登记册「{registry.program.name}」不符；请用 --data 指定对应的登记册"
        )
    issued = _as_date(meta.get("下发日期")) or today
    base = path.parent
    rows: list[FilledRow] = []
    bad: list[BadRow] = []
    units: list[str] = []
    for title, unit_name, header_row, by_cell in meta["sheets"]:
        if title not in workbook.sheetnames:
            raise UsageError(f"{path.name} 中缺少工作表「{title}」")
        unit = resolve_unit(registry, str(unit_name))
        units.append(unit.name)
        ws = workbook[title]
        columns = _header_columns(ws, int(header_row), title)
        by = _text(ws[str(by_cell)].value)
        for row in range(int(header_row) + 1, ws.max_row + 1):
            values = {h: ws.cell(row=row, column=c).value for h, c in columns.items()}
            try:
                report = _row_report(values, unit, by, issued, today, base)
            except SafecityError as exc:
                bad.append(BadRow(title, row, exc.message))
                continue
            if report is not None:
                rows.append(FilledRow(title, row, report))
    return Returned(path, tuple(units), tuple(rows), tuple(bad))


def _open(path: Path) -> Workbook:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise UsageError(f"文件不存在：{path}")
    try:
        return load_workbook(path, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, ValueError, OSError):
        raise UsageError(
            f"无法读取 {path.name}：不是有效的 Excel 工作簿（.xlsx）。"
            "如是 .xls 或 .et 文件，请在 Excel 或 WPS 中另存为 .xlsx 后再导入"
        ) from None


def _read_meta(workbook: Workbook, path: Path) -> dict[str, Any]:
    if META_SHEET not in workbook.sheetnames:
        raise UsageError(
            f"{path.name} 不是 safecity 生成的填报表（缺少「{META_SHEET}」工作表）；"
            "请用 safecity export xlsx --fillable --unit 单位 生成填报表"
        )
    meta: dict[str, Any] = {"sheets": []}
    for row in workbook[META_SHEET].iter_rows(values_only=True):
        if not row or row[0] is None:
            continue
        if row[0] == "工作表" and len(row) >= 5:
            meta["sheets"].append(row[1:5])
        else:
            meta[str(row[0])] = row[1] if len(row) > 1 else None
    if not meta["sheets"]:
        raise UsageError(f"{path.name} 的标识中没有填报工作表")
    return meta


def _header_columns(ws: Worksheet, header_row: int, title: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for cell in ws[header_row]:
        if isinstance(cell.value, str):
            found.setdefault(cell.value.split("（")[0].strip(), cell.column)
    missing = [h for h in ("序号", *EDITABLE) if h not in found]
    if missing:
        raise UsageError(
            f"工作表 {title} 第 {header_row} 行的表头缺少：{'、'.join(missing)}（表头不能修改）"
        )
    return {h: found[h] for h in ("序号", *EDITABLE)}


def _row_report(
    values: dict[str, Any], unit: Unit, by: str, issued: date, today: date, base: Path
) -> Report | None:
    """The report a row makes; None for a row left blank (its prefilled date alone is not a report)."""
    status = _text(values["填报状态"])
    note = _text(values["进展说明"])
    evidence = _text(values["佐证材料"])
    new_deadline = values["调整后时限"]
    if not status:
        if note or evidence or _text(new_deadline):
            raise UsageError("填写了进展说明、佐证材料或调整后时限，但未选择填报状态")
        return None
    task = _task_id(values["序号"])
    reported = _cell_date(values["报送日期"], today, "报送日期") or issued
    moved = _cell_date(new_deadline, today, "调整后时限")
    # check_report says the same in terms of --new-deadline; a sheet has a column instead.
    if status == Status.DEFERRED.value and moved is None:
        raise UsageError("填报状态为「延期」时须填写「调整后时限」")
    if moved is not None and status != Status.DEFERRED.value:
        raise UsageError("只有填报状态为「延期」时才能填写「调整后时限」")
    return Report(
        task=task,
        unit=unit.name,
        status=status,
        date=reported,
        note=note,
        evidence=tuple(
            _evidence_ref(ref, base) for ref in _EVIDENCE_SPLIT.split(evidence) if ref.strip()
        ),
        by=by,
        new_deadline=moved,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _task_id(value: Any) -> int:
    if isinstance(value, bool):
        raise UsageError(f"序号「{value}」不是整数")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if text.isdigit():
        return int(text)
    raise UsageError(f"序号「{text}」不是整数" if text else "缺少任务序号")


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _cell_date(value: Any, today: date, label: str) -> date | None:
    """A real Excel date, a serial number, or a date typed as text (2021/3/1, 2021年3月1日)."""
    if value is None or _text(value) == "":
        return None
    if (day := _as_date(value)) is not None:
        return day
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        try:
            moment = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            moment = None
        if isinstance(moment, datetime):
            return moment.date()
        raise UsageError(f"{label}「{_text(value)}」不是日期")
    return parse_date(str(value), today, option=label)


def _evidence_ref(ref: str, base: Path) -> str:
    """URLs as given; a path relative to the workbook's folder made absolute, so the ledger
    still finds the file whatever folder a later command runs in."""
    ref = ref.strip()
    if "://" in ref or Path(ref).is_absolute():
        return ref
    return os.path.abspath(base / ref)


# -- checking and planning ----------------------------------------------------------------------


class ImportRowsError(LedgerError):
    """Rows of a returned workbook were refused; nothing from it was recorded."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"填报表中有 {len(problems)} 行有问题，未记录任何内容")
        self.problems = problems

    def lines(self) -> list[str]:
        return [*self.problems, f"错误：{self.message}"]


@dataclass(frozen=True)
class ImportPlan:
    """What an import records: new entries, and how many filled rows the ledger already has."""

    entries: tuple[Entry, ...]
    duplicates: int
    filled: int
    units: tuple[str, ...]


def plan_import(
    registry: Registry,
    ledger: Ledger,
    returned: Sequence[Returned],
    *,
    today: date,
    recorded_at: datetime,
) -> ImportPlan:
    """Check every filled row as `update` would; ImportRowsError listing every bad row."""
    several = len(returned) > 1
    problems: list[tuple[int, str, int, str]] = []
    entries: list[Entry] = []
    duplicates = 0
    known: dict[tuple[int, str | None], list[Entry]] = {}
    for entry in ledger.entries:
        known.setdefault((entry.task, entry.unit), []).append(entry)
    accepted = list(ledger.entries)
    for order, workbook in enumerate(returned):
        prefix = f"文件 {workbook.path.name} " if several else ""
        for bad in workbook.bad:
            where = f"{prefix}工作表 {bad.sheet} 第 {bad.row} 行"
            problems.append((order, bad.sheet, bad.row, f"{where}：{bad.message}"))
        for filled in workbook.rows:
            try:
                entry = check_report(
                    registry,
                    Ledger(tuple(accepted)),
                    filled.report,
                    today=today,
                    # one moment per row, in order: undo then takes back the last row
                    recorded_at=recorded_at + timedelta(microseconds=len(accepted)),
                    evidence_base=workbook.path.parent,
                )
            except SafecityError as exc:
                where = f"{prefix}工作表 {filled.sheet} 第 {filled.row} 行"
                problems.append((order, filled.sheet, filled.row, f"{where}：{exc.message}"))
                continue
            same = known.setdefault((entry.task, entry.unit), [])
            if any(same_report(entry, old) for old in same):
                duplicates += 1
                continue
            same.append(entry)
            accepted.append(entry)
            entries.append(entry)
    if problems:
        raise ImportRowsError([text for *_, text in sorted(problems)])
    units = tuple(dict.fromkeys(u for w in returned for u in w.units))
    filled_rows = sum(len(w.rows) for w in returned)
    return ImportPlan(tuple(entries), duplicates, filled_rows, units)


def import_listing(entries: Sequence[Entry], title: str) -> Listing:
    """The entries an import records, as `history` shows them, with the task number first."""
    listing = history_listing(list(entries), title)
    listing.headers.insert(0, "任务")
    for entry, row in zip(entries, listing.rows, strict=True):
        row.insert(0, str(entry.task))
    listing.wrap = {column + 1: share for column, share in listing.wrap.items()}
    listing.csv_rows = None
    return listing
