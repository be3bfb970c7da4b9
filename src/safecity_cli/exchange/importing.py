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
    accepted = list(ledger.all_records)  # decisions and 撤销 too: they decide what counts
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
    # Without the id: a dry run's would differ from the ids the real import then writes.
    listing.headers[:] = ["任务", *listing.headers[:-1]]
    for entry, row in zip(entries, listing.rows, strict=True):
        row[:] = [str(entry.task), *row[:-1]]
    listing.wrap = {column + 1: share for column, share in listing.wrap.items()}
    listing.whole = ()
    listing.csv_rows = None
    return listing
