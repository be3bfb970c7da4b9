"""A table's rows held as values and shared styles, written as sheet XML when the workbook is saved.

An openpyxl cell is an object per value, styled, bound, looked up and serialised one by one through
lxml: at 100,000 tasks that was most of `export xlsx`. The rows below a table's header are kept
here instead and written straight into the worksheet part, as openpyxl itself would write them
(the same cells, style ids, row heights and dimension). openpyxl still writes everything else.

openpyxl is imported inside the functions, so commands that write no workbook never load it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from copy import copy
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import TYPE_CHECKING, Any

from safecity_cli.text import SHEET_REFUSED, sheet_text

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

_ATTR = "_safecity_rows"
_MARKER = b"<safecityRows/>"
_SPECIAL = re.compile("[&<>\r]")
_ODD = re.compile(f"[&<>\r]|{SHEET_REFUSED}")  # text to change before it is written
_CHUNK = 2000  # rows per write to the zip stream
_SAMPLE = 2000  # rows that show whether a column's texts repeat


class Rows:
    """The rows of a sheet from `first` on: values (text as given: sheet_text applies when it
    is written), a tuple of styles (StyleArray) per row, shared between rows styled alike, and
    heights in points."""

    __slots__ = ("_derived", "first", "heights", "kinds", "ncols", "styles", "values")

    def __init__(self, first: int, ncols: int) -> None:
        self.first = first
        self.ncols = ncols
        self.values: list[Sequence[Any]] = []
        self.kinds: list[tuple[type, ...]] = []  # the values' types, one tuple for rows alike
        self.styles: list[tuple[Any, ...]] = []
        self.heights: list[float] = []
        self._derived: dict[tuple[int, Any], tuple[tuple[Any, ...], tuple[Any, ...]]] = {}

    @property
    def last(self) -> int:
        return self.first + len(self.values) - 1

    def restyle(
        self, row: int, key: Any, change: Callable[[tuple[Any, ...]], tuple[Any, ...]]
    ) -> None:
        """Give the row the styles `change` makes of its styles; rows styled alike before are
        styled alike after (one tuple for all), `key` naming the change."""
        index = row - self.first
        source = self.styles[index]
        found = self._derived.get((id(source), key))
        if found is None:  # the source is kept with the result, so its id is not reused
            found = self._derived[(id(source), key)] = (source, change(source))
        self.styles[index] = found[1]


def attach(ws: Worksheet, rows: Rows) -> None:
    if getattr(ws, _ATTR, None) is not None:
        raise ValueError(f"工作表「{ws.title}」已有表格行")
    if rows.values:
        setattr(ws, _ATTR, rows)


def rows_of(ws: Worksheet, row: int) -> Rows | None:
    """The held rows `row` is one of, if it is."""
    rows: Rows | None = getattr(ws, _ATTR, None)
    if rows is not None and rows.first <= row <= rows.last:
        return rows
    return None


def styled(ws: Worksheet, style: Any, **changes: Any) -> Any:
    """A copy of `style` with `changes` (font=…, fill=…) set as on a cell, in that order: the
    workbook registers fonts and fills exactly as it would for a cell of the sheet."""
    from openpyxl.cell.cell import Cell

    cell = Cell(ws, style_array=copy(style))
    for name, value in changes.items():
        setattr(cell, name, value)
    return copy(cell._style)


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write one cell; text is always a text cell (never a formula, even when it starts with
    `=`), and the control characters a workbook cannot hold are shown as U+FFFD."""
    if isinstance(value, str):
        value = sheet_text(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would store "=…" as a live formula
    return cell


def materialize(ws: Worksheet) -> None:
    """Turn the held rows into openpyxl cells, as they were before this module existed."""
    rows: Rows | None = getattr(ws, _ATTR, None)
    if rows is None:
        return
    setattr(ws, _ATTR, None)
    for row, (values, styles, height) in enumerate(
        zip(rows.values, rows.styles, rows.heights, strict=True), start=rows.first
    ):
        for column, (value, style) in enumerate(zip(values, styles, strict=True), start=1):
            put(ws, row, column, value)._style = copy(style)
        ws.row_dimensions[row].height = height


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx file, as openpyxl's Workbook.save writes it, held rows written as XML."""
    from zipfile import ZIP_DEFLATED, ZipFile

    if workbook.iso_dates:  # dates would be ISO 8601 text: leave every cell to openpyxl
        for ws in workbook.worksheets:
            materialize(ws)
    buffer = io.BytesIO()
    # Level 3 rather than zlib's 6: half the time, and about the size openpyxl's files had (its
    # character references for Chinese text deflated to about what UTF-8 does at level 3).
    archive = ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=3)
    workbook.properties.modified = datetime.now(tz=timezone.utc).replace(tzinfo=None)
    _excel_writer()(workbook, archive).save()  # closes the archive
    return buffer.getvalue()


@cache
def _excel_writer() -> type:
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.writer.excel import ExcelWriter
    from openpyxl.xml.functions import Element

    class SheetWriter(WorksheetWriter):  # type: ignore[misc]
        """openpyxl's, with a marker where the held rows go and the dimension counting them."""

        def write_dimensions(self) -> None:
            self.xf.send(SheetDimension(_dimension(self.ws)).to_tree())

        def write_rows(self) -> None:
            xf = self.xf.send(True)
            with xf.element("sheetData"):
                for row_idx, row in self.rows():
                    self.write_row(xf, row, row_idx)
                xf.write(Element(_MARKER[1:-2].decode()))
            self.xf.send(None)

    class Writer(ExcelWriter):  # type: ignore[misc]
        def write_worksheet(self, ws: Any) -> None:
            rows: Rows | None = getattr(ws, _ATTR, None)
            if rows is not None and any(r >= rows.first for r, _ in ws._cells):
                materialize(ws)  # cells among or below the rows: openpyxl orders them
                rows = None
            if rows is None:
                super().write_worksheet(ws)
                return
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            writer = SheetWriter(ws, out=io.BytesIO())
            writer.write()
            ws._rels = writer._rels
            head, tail = writer.read().split(_MARKER)
            large = len(rows.values) * rows.ncols > 5_000_000  # over 2 GiB of XML, maybe
            part = self._archive.open(ws.path[1:], "w", force_zip64=large)
            with part as out, _Behind(out) as behind:
                behind.write(head)
                _write_rows(behind, ws, rows)
                behind.write(tail)
            self.manifest.append(ws)

    return Writer


class _Behind:
    """Writes to `out` on a thread of its own: deflating the XML (zlib lets go of the
    interpreter meanwhile) overlaps with making the next rows."""

    def __init__(self, out: Any) -> None:
        import queue
        import threading

        self._out = out
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlsx-deflate", daemon=True)

    def __enter__(self) -> _Behind:
        self._thread.start()
        return self

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(data)

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._out.write(data)
                except BaseException as error:  # handed to the writing thread
                    self._error = error

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error


def _dimension(ws: Worksheet) -> str:
    """Worksheet.calculate_dimension, counting the held rows as the cells they are."""
    from openpyxl.utils import get_column_letter

    cells = list(ws._cells)
    rows: Rows | None = getattr(ws, _ATTR, None)
    if rows is not None:
        cells += [(rows.first, 1), (rows.last, rows.ncols)]
    if not cells:
        return "A1:A1"
    min_row = min(r for r, _ in cells)
    max_row = max(r for r, _ in cells)
    min_col = min(c for _, c in cells)
    max_col = max(c for _, c in cells)
    return f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"


def _write_rows(out: Any, ws: Worksheet, rows: Rows) -> None:
    """The <row> elements openpyxl's writer would write for the rows as cells, in UTF-8."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.dimensions import RowDimension

    book = ws.parent
    letters = [get_column_letter(c) for c in range(1, rows.ncols + 1)]
    style_ids: dict[int, str] = {}
    templates: dict[tuple[int, int], tuple[str, list[tuple[int, Callable[[Any], str]]]]] = {}
    heights: dict[float, str] = {}
    convert = _converters(book.epoch)
    # Texts that repeat down a column (categories, units, statuses) are escaped once each; a
    # column of texts mostly unlike (the tasks themselves) is not worth remembering.
    sample = rows.values[:_SAMPLE]
    texts: list[Callable[[str], str]] = []
    for column in range(rows.ncols):
        seen = [v[column] for v in sample if isinstance(v[column], str)]
        texts.append(cache(_text) if len(set(seen)) * 2 < len(seen) else _text)

    def style_attr(style: Any) -> str:
        found = style_ids.get(id(style))
        if found is None:  # ids as the writer gives them: in order of first use, row by row
            found = f' s="{book._cell_styles.add(style)}"' if any(style) else ""
            style_ids[id(style)] = found
        return found

    def template(styles: tuple[Any, ...], kinds: tuple[type, ...]) -> Any:
        parts = ['<row r="{0}"{1}>']
        converters: list[tuple[int, Callable[[Any], str]]] = []
        for column, (letter, style, kind) in enumerate(zip(letters, styles, kinds, strict=True)):
            s = style_attr(style)
            if kind is type(None):
                if s:
                    parts.append(f'<c r="{letter}{{0}}"{s} t="n"></c>')
                continue
            data_type, converter = convert(kind)
            if converter is _text:  # texts repeat down a column (categories, units, statuses)
                converter = texts[column]
            index = len(converters) + 2
            if data_type == "s":
                parts.append(f'<c r="{letter}{{0}}"{s} t="inlineStr">{{{index}}}</c>')
            else:
                parts.append(f'<c r="{letter}{{0}}"{s} t="{data_type}"><v>{{{index}}}</v></c>')
            converters.append((column, converter))
        parts.append("</row>")
        return "".join(parts), converters

    chunk: list[str] = []
    for row, (values, kinds, styles, height) in enumerate(
        zip(rows.values, rows.kinds, rows.styles, rows.heights, strict=True), start=rows.first
    ):
        key = (id(styles), id(kinds))
        found = templates.get(key)
        if found is None:
            found = templates[key] = template(styles, kinds)
        text, converters = found
        attrs = heights.get(height)
        if attrs is None:
            dims = RowDimension(ws, index=row, ht=height)
            attrs = heights[height] = "".join(f' {k}="{v}"' for k, v in dims)
        chunk.append(text.format(row, attrs, *[c(values[i]) for i, c in converters]))
        if len(chunk) == _CHUNK:
            out.write("".join(chunk).encode())
            chunk.clear()
    out.write("".join(chunk).encode())


def _text(value: str) -> str:
    """A text cell's content: what sheet_text leaves of the value, escaped for XML."""
    if not value:
        return ""
    value = value[:32767]  # Excel's limit; openpyxl cuts there too
    escaped = value
    if _ODD.search(value):
        value = escaped = sheet_text(value)
        if _SPECIAL.search(value):
            escaped = (
                value.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\r", "&#13;")  # a bare CR would be read back as a line feed
            )
    if value != value.strip():
        return f'<is><t xml:space="preserve">{escaped}</t></is>'
    return f"<is><t>{escaped}</t></is>"


def _converters(epoch: datetime) -> Callable[[type], tuple[str, Callable[[Any], str]]]:
    """For a value's type: the cell's type attribute and its content, as openpyxl writes them."""
    from openpyxl.compat import NUMERIC_TYPES, safe_string
    from openpyxl.utils.datetime import to_excel

    def integer(value: int) -> str:  # "%.16g" as safe_string writes it, needed for large ones
        return str(value) if -(10**15) < value < 10**15 else str(safe_string(value))

    def moment(value: Any) -> str:
        if getattr(value, "tzinfo", None) is not None:
            raise TypeError(
                "Excel does not support timezones in datetimes. "
                "The tzinfo in the datetime/time object must be set to None."
            )
        return str(safe_string(to_excel(value, epoch)))

    @cache
    def converter(kind: type) -> tuple[str, Callable[[Any], str]]:
        if kind is bool:
            return "b", safe_string
        if kind is int:
            return "n", integer
        if issubclass(kind, NUMERIC_TYPES):
            return "n", safe_string
        if issubclass(kind, str):
            return "s", _text
        if issubclass(kind, (date, time, timedelta)):
            return "n", cache(moment)
        raise ValueError(f"无法把 {kind.__name__} 类型的值写入 Excel 单元格（程序错误）")

    return converter
