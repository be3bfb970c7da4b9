"""The sheet styling every safecity workbook shares: fonts, fills, column widths, tables, printing.

openpyxl is imported inside the functions, so commands that write no workbook never load it.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from safecity_cli.exchange import xlsx_rows
from safecity_cli.exchange.xlsx_rows import Rows, attach, put, rows_of, styled
from safecity_cli.text import sheet_text
from safecity_cli.tracking.state import Level

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

DATE_FORMAT = 'yyyy"年"m"月"d"日"'
PERCENT_FORMAT = "0.0%"
FONT_NAME = "宋体"  # what Chinese Excel and WPS users expect; LibreOffice substitutes its own
LINE_HEIGHT = 14.25  # points per wrapped line of 11-point 宋体
MAX_ROW_HEIGHT = 409  # Excel's limit

HEADER_FILL = "1F4E78"
HEADER_FONT = "FFFFFF"
EDITABLE_FILL = "FFF9DB"  # cells a unit fills in
# 三色督办: (fill, font colour), the palette Excel uses for its own good/neutral/bad styles.
LEVEL_COLORS = {
    Level.RED: ("FFC7CE", "9C0006"),
    Level.YELLOW: ("FFEB9C", "9C5700"),
    Level.BLUE: ("DDEBF7", "1F4E78"),
}


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # in Excel's units (about one Latin character; a Chinese one takes two)
    wrap: bool = False
    center: bool = False


def display_width(text: str) -> float:
    """Width in Excel units: Chinese characters count double."""
    return sum(map(_char_width, text))


@cache
def _char_width(c: str) -> float:
    return 2.0 if unicodedata.east_asian_width(c) in "WF" else 1.1


# Blocks whose every code point is wide (W or F) in each Unicode version Python has shipped: CJK
# punctuation, the unified ideographs (and extension A) and the full-width forms. A test checks
# them against unicodedata.
COMMON_WIDE = re.compile("[\u3000-\u303e\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60\uffe0-\uffe6]+")


def lines_needed(value: Any, width: float) -> int:
    if value is None or isinstance(value, (int, float, date)):
        return 1
    usable = max(width - 1.5, 1.0)
    text = str(value)
    if "\n" not in text:
        return _lines(text, usable)
    return sum(_lines(part, usable) for part in text.split("\n"))


def _lines(text: str, usable: float) -> int:
    """max(1, ceil(display_width(text) / usable)), counting characters rather than adding
    their widths one by one (a third of a large workbook's time)."""
    rest = COMMON_WIDE.sub("", text)
    wide = len(text) - len(rest)
    if rest.isascii():
        narrow = len(rest)
    else:
        others = [_char_width(c) == 2.0 for c in rest]
        wide += sum(others)
        narrow = len(others) - sum(others)
    ratio = (20 * wide + 11 * narrow) / 10 / usable
    if abs(ratio - round(ratio)) < 1e-9 * max(ratio, 1.0):
        # On a line's end exactly: display_width's rounding decides, as it always did.
        return max(1, math.ceil(display_width(text) / usable))
    return max(1, math.ceil(ratio))


def new_workbook(title: str, created: datetime | None) -> Workbook:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = title
    workbook.properties.creator = "safecity"
    workbook.properties.language = "zh-CN"
    if created is not None:
        workbook.properties.created = created
    return workbook


def body_font(**kwargs: Any) -> Any:
    from openpyxl.styles import Font

    return Font(name=FONT_NAME, size=11, **kwargs)


def fill(color: str) -> Any:
    from openpyxl.styles import PatternFill

    return PatternFill(fill_type="solid", start_color=color, end_color=color)


def thin_border() -> Any:
    from openpyxl.styles import Border, Side

    side = Side(style="thin", color="BFBFBF")
    return Border(left=side, right=side, top=side, bottom=side)


def write_title(ws: Worksheet, row: int, text: str, ncols: int, *, size: int = 14) -> None:
    """A merged line across the table: the sheet's title or a note under it."""
    from openpyxl.styles import Alignment, Font

    cell = put(ws, row, 1, text)
    bold = size > 11
    cell.font = Font(name=FONT_NAME, size=size, bold=bold)
    cell.alignment = Alignment(
        horizontal="center" if bold else "left", vertical="center", wrap_text=True
    )
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    total = sum(ws.column_dimensions[_letter(i)].width or 8.43 for i in range(1, ncols + 1))
    lines = lines_needed(text, total * (11 / size))
    ws.row_dimensions[row].height = min(lines * LINE_HEIGHT * size / 11 + 8, MAX_ROW_HEIGHT)


def write_table(
    ws: Worksheet,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    header_row: int,
    formats: dict[int, str] | None = None,
) -> int:
    """Header and rows from `header_row` on; returns the last row. Frozen header, autofilter.

    The rows are held as values and shared styles (xlsx_rows), not as cells: restyle them with
    paint_row and restyle_cells, not through ws.cell."""
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Font

    border = thin_border()
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[_letter(index)].width = column.width
        cell = put(ws, header_row, index, column.header)
        cell.font = Font(name=FONT_NAME, size=11, bold=True, color=HEADER_FONT)
        cell.fill = fill(HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    ws.row_dimensions[header_row].height = 2 * LINE_HEIGHT + 4
    formats = formats or {}
    font = body_font()
    ncols = len(columns)
    # A cell's style is (column, number format); a row's, the tuple of its cells' styles, made
    # once per combination of value types. Each style is made on a cell as openpyxl styles
    # one, when the first cell so styled comes, so the workbook lists fonts, borders and
    # formats in the order a cell-by-cell sheet would.
    styles: dict[tuple[int, str | None], Any] = {}
    row_styles: dict[tuple[type, ...], tuple[tuple[type, ...], tuple[Any, ...]]] = {}

    def style_of(index: int, value: Any) -> Any:
        number_format = DATE_FORMAT if isinstance(value, date) else formats.get(index)
        key = (index, number_format)
        style = styles.get(key)
        if style is None:
            column = columns[index - 1]
            cell = Cell(ws, value=sheet_text(value) if isinstance(value, str) else value)
            cell.font = font
            cell.border = border
            cell.alignment = Alignment(
                horizontal="center" if column.center else "left",
                vertical="center" if column.center else "top",
                wrap_text=column.wrap,
            )
            if number_format is not None:
                cell.number_format = number_format
            style = styles[key] = copy(cell._style)
        elif isinstance(value, (date, time, timedelta)):
            Cell(ws, value=value)  # a cell given a moment registers its default format
        return style

    body = Rows(header_row + 1, ncols)
    # Wrapped columns repeat their texts (categories, units, deadlines): each measured once.
    wrapped: list[tuple[int, float, dict[Any, int]]] = [
        (i, column.width, {}) for i, column in enumerate(columns) if column.wrap
    ]
    # Text is held as given and made fit for a sheet (sheet_text) as it is written; the
    # characters that replaces are as wide as the one replacing them, so heights are the same.
    for values in rows:
        if len(values) != ncols:
            raise ValueError(f"一行有 {len(values)} 个值，表格只有 {ncols} 列（程序错误）")
        kinds = tuple(map(type, values))
        found = row_styles.get(kinds)
        if found is None:
            row_style = tuple(style_of(i, v) for i, v in enumerate(values, start=1))
            found = row_styles[kinds] = (kinds, row_style)
        kinds, row_style = found
        lines = 1
        for i, width, measured in wrapped:
            value = values[i]
            n = measured.get(value)
            if n is None:
                n = measured[value] = lines_needed(value, width)
            if n > lines:
                lines = n
        body.values.append(values)
        body.kinds.append(kinds)
        body.styles.append(row_style)
        # Excel does not re-measure wrapped rows when it opens a file: give them room now.
        body.heights.append(min(lines * LINE_HEIGHT + 4, MAX_ROW_HEIGHT))
    attach(ws, body)
    last = header_row + len(rows)
    # Without rows the cell under the header is made, as it always was (the sheet's extent).
    ws.freeze_panes = f"A{header_row + 1}" if rows else ws.cell(header_row + 1, 1).coordinate
    ws.auto_filter.ref = f"A{header_row}:{_letter(len(columns))}{max(last, header_row)}"
    _print_setup(ws, header_row)
    return last


PAGE_FOOTER = "第 &P 页，共 &N 页"  # &P and &N: Excel's page number and page count


def print_heading(ws: Worksheet) -> str:
    """What the top margin of every printed page says: the workbook's title and the sheet's."""
    book = ws.parent.properties.title or ""
    return f"{book}　{ws.title}" if book and book != ws.title else ws.title


def _print_setup(ws: Worksheet, header_row: int) -> None:
    # A printed page is often separated from the others at a meeting: each one says what it
    # is and where it belongs.
    ws.oddHeader.center.text = print_heading(ws).replace("&", "&&")
    ws.oddHeader.center.size = 10
    ws.oddFooter.center.text = PAGE_FOOTER
    ws.oddFooter.center.size = 10
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4


def paint_row(
    ws: Worksheet, row: int, ncols: int, level: Level, *, only: int | None = None
) -> None:
    """Mark a row (or one cell of it) in its 督办 colour."""
    targets = [only] if only is not None else range(1, ncols + 1)
    painted = _painted(ws)

    def paint(style: Any, column: int) -> Any:
        bold = column == only
        key = (tuple(style), level, bold)
        found = painted.get(key)
        if found is None:  # styled once, then shared (as write_table does)
            background, color = LEVEL_COLORS[level]
            found = styled(ws, style, fill=fill(background), font=body_font(color=color, bold=bold))
            painted[key] = found
        return found

    if (body := rows_of(ws, row)) is not None:

        def change(styles: tuple[Any, ...]) -> tuple[Any, ...]:
            new = list(styles)
            for column in targets:
                new[column - 1] = paint(styles[column - 1], column)
            return tuple(new)

        body.restyle(row, ("paint", level, only), change)
        return
    for column in targets:
        cell = ws.cell(row=row, column=column)
        cell._style = copy(paint(cell._style, column))


_changes = itertools.count()


def restyle_cells(ws: Worksheet, cells: Iterable[tuple[int, int]], **changes: Any) -> None:
    """Set font=…, fill=…, protection=… on each (row, column), held table rows included."""
    made: dict[tuple[int, ...], Any] = {}
    change_key = ("restyle", next(_changes))
    for row, column in cells:
        body = rows_of(ws, row)
        if body is None:
            cell = ws.cell(row=row, column=column)
            for name, value in changes.items():
                setattr(cell, name, value)
            continue

        def change(styles: tuple[Any, ...], column: int = column) -> tuple[Any, ...]:
            key = tuple(styles[column - 1])
            if key not in made:
                made[key] = styled(ws, styles[column - 1], **changes)
            new = list(styles)
            new[column - 1] = made[key]
            return tuple(new)

        body.restyle(row, (change_key, column), change)


def _painted(ws: Worksheet) -> dict[Any, Any]:
    """The workbook's painted styles by (style before, level, bold); style ids are per workbook."""
    book = ws.parent
    found: dict[Any, Any] | None = getattr(book, "_safecity_painted", None)
    if found is None:
        found = {}
        book._safecity_painted = found
    return found


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def workbook_bytes(workbook: Workbook) -> bytes:
    return xlsx_rows.workbook_bytes(workbook)
