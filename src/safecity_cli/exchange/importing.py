"""Reading a filled-in sheet back into ledger entries, through the same checks as `update`."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safecity_cli.dates import parse_date
from safecity_cli.errors import ImportRowsError, SafecityError, UsageError
from safecity_cli.exchange.fillable import (
    EDITABLE,
    META_FORMAT,
    META_SHEET,
)
from safecity_cli.ledger.entries import Entry, Ledger, Status, same_report
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.registry.units import resolve_unit
from safecity_cli.render.formats import Listing
from safecity_cli.render.listings import history_listing
from safecity_cli.tracking.recording import CLOSE_BY_OFFICE, Report, check_report

_EVIDENCE_SPLIT = re.compile(r"[\r\n；;]+")

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet


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


# Limits on a returned workbook, checked before anything is allocated for it (README: 不可信输入).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_MEMBER_BYTES = 100 * 1024 * 1024  # any one part of the zip, uncompressed
MAX_MEMBERS = 1000
MAX_RATIO = 1000  # uncompressed : compressed, for parts over RATIO_FROM bytes
RATIO_FROM = 10 * 1024 * 1024
MAX_ROWS = 10_000  # task rows below the header
MAX_COLUMNS = 50
MAX_HEADER_ROW = 100
META_ROWS = 1000
EXCEL_ROWS = 1_048_576
_CELL = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def read_returned(path: Path, registry: Registry, *, today: date) -> Returned:
    """The filled rows of a fillable workbook; UsageError when it is not one of this registry's."""
    workbook = _open(path)
    try:
        return _read(workbook, path, registry, today)
    finally:
        workbook.close()  # read-only workbooks keep the file open until closed


def _read(workbook: Workbook, path: Path, registry: Registry, today: date) -> Returned:
    meta = _read_meta(workbook, path)
    if meta.get("格式") != META_FORMAT:
        raise UsageError(f"{path.name} 不是 safecity 生成的填报表（标识不符）")
    key = meta.get("登记册标识")
    if key != registry.key:
        raise UsageError(
            f"{path.name} 是「{_text(meta.get('登记册')) or '另一个登记册'}」的填报表，"
            f"与当前登记册「{registry.program.name}」不符；请用 --data 指定对应的登记册"
        )
    issued = _as_date(meta.get("下发日期")) or today
    base = path.parent
    rows: list[FilledRow] = []
    bad: list[BadRow] = []
    units: list[str] = []
    for sheet in meta["sheets"]:
        title = sheet.title
        if title not in workbook.sheetnames:
            raise UsageError(f"{path.name} 中缺少工作表「{title}」")
        try:
            unit = resolve_unit(registry, sheet.unit)
        except UsageError as exc:
            raise UsageError(f"{sheet.where}：{exc.message}") from None
        units.append(unit.name)
        ws = workbook[title]
        _check_size(ws, path, title, sheet.header_row)
        columns = _header_columns(ws, sheet.header_row, title)
        by = _text(_value_at(ws, *sheet.by_cell))
        width = max(columns.values())
        first = sheet.header_row + 1
        last = sheet.header_row + MAX_ROWS
        # One pass to Excel's last row: a read-only sheet is parsed from its start on every
        # iter_rows, and the rows below `last` must be looked at too (a sheet may understate
        # its dimension). Rows the file does not hold cost one empty tuple each.
        for row, cells in enumerate(
            ws.iter_rows(min_row=first, max_row=EXCEL_ROWS, max_col=width, values_only=True),
            start=first,
        ):
            if row > last:
                if _filled(cells):
                    raise UsageError(_too_many_rows(path, title))
                continue
            values = {h: cells[c - 1] if c <= len(cells) else None for h, c in columns.items()}
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
    not_a_workbook = UsageError(
        f"无法读取 {path.name}：不是有效的 Excel 工作簿（.xlsx）。"
        "如是 .xls 或 .et 文件，请在 Excel 或 WPS 中另存为 .xlsx 后再导入"
    )
    try:
        _check_zip(path)
    except (BadZipFile, OSError, ValueError):
        raise not_a_workbook from None
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise not_a_workbook from None


def _check_zip(path: Path) -> None:
    """Refuse, from the zip's directory alone, a workbook too big to be a unit's returned sheet
    (or a zip bomb: a few megabytes that unpack into gigabytes)."""
    from zipfile import ZipFile

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UsageError(
            f"{path.name} 有 {_megabytes(size)}，超过填报表的上限 {_megabytes(MAX_FILE_BYTES)}，"
            "不能导入；请确认是 safecity 生成的填报表"
        )
    with ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UsageError(f"{path.name} 的内部文件多达 {len(members)} 个，不是填报表，不能导入")
        for member in members:
            unpacked = member.file_size
            packed = max(member.compress_size, 1)
            if unpacked > MAX_MEMBER_BYTES or (
                unpacked > RATIO_FROM and unpacked / packed > MAX_RATIO
            ):
                raise UsageError(
                    f"{path.name} 中的 {member.filename} 解压后有 {_megabytes(unpacked)}"
                    f"（压缩后 {_megabytes(member.compress_size)}），超过上限 "
                    f"{_megabytes(MAX_MEMBER_BYTES)}，不能导入"
                )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_size(ws: Worksheet, path: Path, title: str, header_row: int) -> None:
    """The sheet's own dimension (A1:K110) against the limits, before any row is read."""
    rows, columns = ws.max_row, ws.max_column  # None when the sheet does not say
    if isinstance(columns, int) and columns > MAX_COLUMNS:
        raise UsageError(
            f"{path.name} 工作表 {title} 有 {columns} 列，超过上限 {MAX_COLUMNS} 列；"
            "可能在表格右侧很远处有多余的单元格，请删除后重新保存"
        )
    if isinstance(rows, int) and rows > header_row + MAX_ROWS:
        raise UsageError(_too_many_rows(path, title, rows))


def _too_many_rows(path: Path, title: str, rows: int | None = None) -> str:
    count = f"有 {rows} 行，" if rows else ""
    return (
        f"{path.name} 工作表 {title} {count}超过上限（表头以下 {MAX_ROWS} 行）；"
        "可能在表格下方很远处有多余的单元格，请删除后重新保存"
    )


def _filled(cells: tuple[Any, ...]) -> bool:
    return cells.count(None) != len(cells) and any(v is not None and v != "" for v in cells)


def _value_at(ws: Worksheet, row: int, column: int) -> Any:
    """One cell's value; a read-only sheet is read row by row, never by random access."""
    for cells in ws.iter_rows(
        min_row=row, max_row=row, min_col=column, max_col=column, values_only=True
    ):
        return cells[0] if cells else None
    return None


@dataclass(frozen=True)
class _MetaSheet:
    """One 工作表 row of the hidden meta sheet, checked: a tampered value is a clear error."""

    title: str
    unit: str
    header_row: int
    by_cell: tuple[int, int]  # row, column
    where: str


def _read_meta(workbook: Workbook, path: Path) -> dict[str, Any]:
    if META_SHEET not in workbook.sheetnames:
        raise UsageError(
            f"{path.name} 不是 safecity 生成的填报表（缺少「{META_SHEET}」工作表）；"
            "请用 safecity export xlsx --fillable --unit 单位 生成填报表"
        )
    meta: dict[str, Any] = {"sheets": []}
    rows = workbook[META_SHEET].iter_rows(max_row=META_ROWS, max_col=5, values_only=True)
    for number, row in enumerate(rows, start=1):
        if not row or row[0] is None:
            continue
        if row[0] == "工作表" and len(row) >= 5:
            meta["sheets"].append(_meta_sheet(path, number, row[1:5]))
        else:
            meta[str(row[0])] = row[1] if len(row) > 1 else None
    if not meta["sheets"]:
        raise UsageError(f"{path.name} 的标识中没有填报工作表")
    return meta


def _meta_sheet(path: Path, number: int, values: Sequence[Any]) -> _MetaSheet:
    where = f"{path.name} 工作表 {META_SHEET} 第 {number} 行"
    hint = "（隐藏的标识表被改动过，请重新生成填报表）"
    title, unit, header, by = values
    if not isinstance(title, str) or not title.strip():
        raise UsageError(f"{where}：工作表名称「{_text(title)}」无效{hint}")
    if not _text(unit):
        raise UsageError(f"{where}：缺少单位名称{hint}")
    header_row = _small_int(header, MAX_HEADER_ROW)
    if header_row is None:
        raise UsageError(
            f"{where}：表头行「{_text(header)}」应为 1 至 {MAX_HEADER_ROW} 的整数{hint}"
        )
    cell = _CELL.fullmatch(_text(by).upper())
    column = _column_number(cell[1]) if cell else 0
    if cell is None or not 1 <= column <= MAX_COLUMNS or int(cell[2]) > MAX_HEADER_ROW:
        raise UsageError(f"{where}：填报人单元格「{_text(by)}」应为一个单元格，如 C3{hint}")
    return _MetaSheet(title, _text(unit), header_row, (int(cell[2]), column), where)


def _small_int(value: Any, most: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,6}", value.strip()):
        value = int(value.strip())
    return value if isinstance(value, int) and 1 <= value <= most else None


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _header_columns(ws: Worksheet, header_row: int, title: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for cells in ws.iter_rows(
        min_row=header_row, max_row=header_row, max_col=MAX_COLUMNS, values_only=True
    ):
        for column, value in enumerate(cells, start=1):
            if isinstance(value, str):
                found.setdefault(value.split("（")[0].strip(), column)
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
    if status == Status.CLOSED.value:  # the drop-down leaves it out; typed in, it is refused
        raise UsageError(CLOSE_BY_OFFICE)
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
    if re.fullmatch(r"[0-9]{1,9}", text):  # ASCII digits: str.isdigit() also takes ² and ①
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
    known: dict[tuple[int | str, str | None], list[Entry]] = {}
    # Each row is checked against its own task's entries (all a check reads), those recorded
    # and those accepted above it: a ledger of everything per row cost entries × rows.
    per_task: dict[int | str, list[Entry]] = {}
    for entry in ledger.entries:
        known.setdefault((entry.task, entry.unit), []).append(entry)
    for entry in ledger.all_records:  # decisions and 撤销 too: they decide what counts
        per_task.setdefault(entry.task, []).append(entry)
    accepted = len(ledger.all_records)
    for order, workbook in enumerate(returned):
        prefix = f"文件 {workbook.path.name} " if several else ""
        for bad in workbook.bad:
            where = f"{prefix}工作表 {bad.sheet} 第 {bad.row} 行"
            problems.append((order, bad.sheet, bad.row, f"{where}：{bad.message}"))
        for filled in workbook.rows:
            try:
                entry = check_report(
                    registry,
                    Ledger(tuple(per_task.get(filled.report.task, ()))),
                    filled.report,
                    today=today,
                    # one moment per row, in order: undo then takes back the last row
                    recorded_at=recorded_at + timedelta(microseconds=accepted),
                    evidence_base=workbook.path.parent,
                    repeats=True,
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
            per_task.setdefault(entry.task, []).append(entry)
            accepted += 1
            entries.append(entry)
    if problems:
        raise ImportRowsError([text for *_, text in sorted(problems)])
    units = tuple(dict.fromkeys(u for w in returned for u in w.units))
    filled_rows = sum(len(w.rows) for w in returned)
    return ImportPlan(tuple(entries), duplicates, filled_rows, units)


def import_listing(entries: Sequence[Entry], title: str) -> Listing:
    """The entries an import records, as `history` shows them, with the task number first."""
    listing = history_listing(list(entries), title)
    # Without the id: a dry run's would differ from the ids the real import then writes.
    listing.headers[:] = ["任务", *listing.headers[:-1]]
    for entry, row in zip(entries, listing.rows, strict=True):
        row[:] = [str(entry.task), *row[:-1]]
    listing.wrap = {column + 1: share for column, share in listing.wrap.items()}
    listing.whole = ()
    listing.csv_rows = None
    return listing
