"""Table rows written as sheet XML (xlsx_rows) make the workbook openpyxl makes of them as cells."""

from __future__ import annotations

import io
import math
import random
import re
import shutil
import unicodedata
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.etree.ElementTree import canonicalize

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, Protection
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.exchange.fillable import build_fillable_workbook
from safecity_cli.exchange.ledger_book import build_ledger_workbook
from safecity_cli.exchange.xlsx_rows import materialize
from safecity_cli.exchange.xlsx_style import (
    COMMON_WIDE,
    DATE_FORMAT,
    Column,
    display_width,
    fill,
    lines_needed,
    new_workbook,
    paint_row,
    restyle_cells,
    workbook_bytes,
    write_table,
    write_title,
)
from safecity_cli.ledger.files import load_ledger
from safecity_cli.registry.load import load_registry
from safecity_cli.tracking.state import Level

MINI = Path(__file__).parent / "fixtures" / "mini"
CREATED = datetime(2021, 3, 20, 9, 0)


def parts(content: bytes) -> dict[str, str]:
    """Each part of the package, XML canonicalised (UTF-8 or character references alike)."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            text = canonicalize(archive.read(name).decode())
            if name == "docProps/core.xml":  # the moment of saving
                text = re.sub(r"<dcterms:modified[^<]*</dcterms:modified>", "", text)
            found[name] = text
    return found


def as_cells(workbook: Workbook) -> bytes:
    """The workbook saved by openpyxl alone, its held rows made cells first."""
    for ws in workbook.worksheets:
        materialize(ws)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


COLUMNS = (
    Column("序号", 6, center=True),
    Column("内容", 20, wrap=True),
    Column("日期", 17, center=True),
    Column("比例", 9, center=True),
    Column("备注", 12, wrap=True),
)
ODD_ROWS = [
    [1, "甲 & 乙 <丙> 丁", date(2021, 3, 1), 0.5, None],
    [2, "回车\r换行\n制表\t", datetime(2021, 3, 1, 12, 30), float("nan"), " 前后有空格 "],
    [3, "=1+2", None, True, "#N/A"],
    [4, "", date(1900, 1, 2), 10**17, "控制\x01字符\ud800"],
    [5, "长" * 40000, "文字", -3, "“引号”……—①ＡＢ한글かな𠀀"],
    [6, "甲 & 乙 <丙> 丁", date(2021, 3, 1), None, None],
]


def odd_book() -> Workbook:
    workbook = new_workbook("测试工作簿", CREATED)
    ws = workbook.create_sheet("表")
    write_title(ws, 1, "标题", len(COLUMNS))
    write_table(ws, COLUMNS, ODD_ROWS, header_row=2, formats={4: "0.0%"})
    paint_row(ws, 3, len(COLUMNS), Level.RED)
    paint_row(ws, 4, len(COLUMNS), Level.YELLOW, only=3)
    paint_row(ws, 8, len(COLUMNS), Level.RED)
    restyle_cells(ws, [(5, 1), (5, 2)], font=Font(name="宋体", bold=True))
    restyle_cells(
        ws, [(r, 5) for r in range(3, 9)], protection=Protection(locked=False), fill=fill("FFF9DB")
    )
    empty = workbook.create_sheet("空表")
    write_table(empty, COLUMNS, [], header_row=2)
    return workbook


def test_held_rows_are_the_cells_openpyxl_would_write() -> None:
    assert parts(workbook_bytes(odd_book())) == parts(as_cells(odd_book()))


def test_the_ledger_and_fillable_workbooks_are_the_cell_by_cell_ones(tmp_path: Path) -> None:
    mini = tmp_path / "mini"
    shutil.copytree(MINI, mini)
    registry = load_registry(mini)
    ledger = load_ledger(mini)
    on = date(2021, 3, 20)
    unit = registry.unit("县住建局")
    assert unit is not None
    for build in (
        lambda: build_ledger_workbook(registry, ledger, on, created=CREATED).workbook,
        lambda: build_ledger_workbook(registry, ledger, on, unit, created=CREATED).workbook,
        lambda: build_fillable_workbook(registry, ledger, on, unit, created=CREATED).workbook,
    ):
        assert parts(workbook_bytes(build())) == parts(as_cells(build()))


def test_values_styles_and_extent_read_back() -> None:
    book = load_workbook(io.BytesIO(workbook_bytes(odd_book())))
    ws = book["表"]
    assert ws["B3"].value == "甲 & 乙 <丙> 丁"
    assert ws["B4"].value == "回车\r换行\n制表\t" and ws["E4"].value == " 前后有空格 "
    assert ws["B5"].value == "=1+2" and ws["B5"].data_type == "s"  # text, never a formula
    assert ws["E5"].value == "#N/A" and ws["D5"].value is True
    assert ws["E6"].value == "控制\ufffd字符\ufffd" and len(ws["B7"].value) == 32767
    assert ws["C3"].value == datetime(2021, 3, 1) and ws["C3"].number_format == DATE_FORMAT
    assert ws["D3"].number_format == "0.0%" and ws["D6"].value == 10**17
    assert ws["A3"].fill.fgColor.rgb == "00FFC7CE" and ws["C4"].font.b
    assert ws["A4"].fill.fill_type is None and ws["A5"].font.b
    assert not ws["E3"].protection.locked and ws["D3"].protection.locked
    assert ws["A8"].border.left.style == "thin" and ws["A8"].fill.fgColor.rgb == "00FFC7CE"
    assert ws.row_dimensions[7].height == 409  # Excel's limit for the very long text
    assert ws.dimensions == "A1:E8" and book["空表"].dimensions == "A2:E2"
    streamed = load_workbook(io.BytesIO(workbook_bytes(odd_book())), read_only=True)
    assert streamed["表"].max_row == 8 and streamed["表"].max_column == 5


def test_the_task_sheet_keeps_styles_widths_heights_and_print_setup(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "台账.xlsx"
    result = runner.invoke(
        app, ["export", "xlsx", "--data", str(MINI), "--date", "2021-03-20", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    ws = load_workbook(out)["任务台账"]
    assert ws.dimensions == "A1:J10" and ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:J10" and [str(r) for r in ws.merged_cells.ranges] == ["A1:J1"]
    widths = [6, 14, 56, 30, 16, 17, 9, 8, 32, 8]
    assert [ws.column_dimensions[c].width for c in "ABCDEFGHIJ"] == widths
    assert ws.print_title_rows == "$2:$2" and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.oddHeader.center.text == "示例县创建工作工作台账　任务台账"
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    for row in range(3, 11):
        text = ws.cell(row, 3)
        assert text.font.name == "宋体" and text.font.sz == 11 and text.border.top.style == "thin"
        assert text.alignment.wrap_text and text.alignment.vertical == "top"
        assert ws.cell(row, 1).alignment.horizontal == "center"
        lines = max(lines_needed(ws.cell(row, c).value, w) for c, w in ((2, 14), (3, 56), (4, 30)))
        assert ws.row_dimensions[row].height >= lines * 14.25 + 4
    assert {ws.cell(r, 6).number_format for r in range(3, 11) if ws.cell(r, 6).value} == {
        DATE_FORMAT
    }


def test_the_common_wide_blocks_are_wide_in_this_python() -> None:
    ranges = re.findall(r"(.)-(.)", COMMON_WIDE.pattern)
    for first, last in ranges:
        for code in range(ord(first), ord(last) + 1):
            assert unicodedata.east_asian_width(chr(code)) in "WF", hex(code)


@pytest.mark.parametrize("usable", [1.0, 4.5, 12.5, 28.5, 54.5, 10.0])
def test_lines_are_counted_as_display_width_adds_them(usable: float) -> None:
    def added(text: str) -> int:
        return max(1, math.ceil(display_width(text) / usable))

    pick = random.Random(7)
    alphabet = "中文安全城市“”—…、，。（）：；ab 12A#·①한かなカ𠀀Ｑｑ\x01"
    texts = [
        "".join(pick.choice(alphabet) for _ in range(pick.randint(0, 90))) for _ in range(3000)
    ]
    texts += ["中" * wide + "a" * narrow for wide in range(40) for narrow in range(120)]
    for text in texts:
        assert lines_needed(text, usable + 1.5) == added(text), text
