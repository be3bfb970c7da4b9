"""The renderers as pure functions: JSON, CSV, Markdown, and the Rich table at 100 columns."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, datetime

import pytest
from markdown_it import MarkdownIt
from rich.cells import cell_len
from rich.console import Console

from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.deadlines import DeadlineKind
from safecity_cli.registry.models import Registry
from safecity_cli.render.formats import (
    CHUNK_ROWS,
    Listing,
    OutputFormat,
    Rows,
    csv_chunks,
    escape_md_cell,
    json_chunks,
    render,
    render_csv,
    render_json,
    render_markdown,
    render_tsv,
    rich_table,
    tsv_chunks,
)
from safecity_cli.render.listings import schedule_listing, task_listing, unit_listing
from safecity_cli.tracking.query import TaskFilter, schedule_states, select_tasks, summarize_units

ON = date(2021, 3, 1)

# -- JSON -----------------------------------------------------------------------------------


def test_json_keeps_chinese_and_writes_iso_dates() -> None:
    text = render_json(
        {
            "单位": "区住建局",
            "date": date(2021, 1, 4),
            "at": datetime(2021, 1, 4, 9, 30),
            "kind": DeadlineKind.MONTH,
            "none": None,
        }
    )
    assert text == (
        "{\n"
        '  "单位": "区住建局",\n'
        '  "date": "2021-01-04",\n'
        '  "at": "2021-01-04T09:30:00",\n'
        '  "kind": "month",\n'
        '  "none": null\n'
        "}\n"
    )


def test_json_refuses_what_it_cannot_represent() -> None:
    with pytest.raises(TypeError, match="cannot serialise set"):
        render_json({"x": {1, 2}})


def test_json_of_an_empty_result() -> None:
    assert render_json([]) == "[]\n"


# -- CSV ------------------------------------------------------------------------------------


def test_csv_has_bom_and_crlf() -> None:
    text = render_csv(["序号", "内容"], [[1, "甲"], [2, "乙"]])
    assert text == "\ufeff序号,内容\r\n1,甲\r\n2,乙\r\n"


def test_csv_quotes_what_needs_quoting() -> None:
    rows = [["1", '含逗号,和“引号”以及"ASCII引号"', "两行\n文字"]]
    text = render_csv(["a", "b", "c"], rows)
    parsed = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert parsed == [["a", "b", "c"], *rows]


def test_csv_header_only() -> None:
    assert render_csv(["序号"], []) == "\ufeff序号\r\n"


# -- Markdown -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("普通文字", "普通文字"),
        ("A | B", "A \\| B"),
        ("||", "\\|\\|"),
        ("第一行\n第二行", "第一行<br>第二行"),
        ("第一行\r\n第二行", "第一行<br>第二行"),
        ("C:\\目录", "C:\\\\目录"),
        ("a\\|b", "a\\\\\\|b"),  # a backslash before a pipe cannot swallow the escape
        ("  两边空格  ", "两边空格"),
        ("", " "),
        (None, " "),
        (42, "42"),
    ],
)
def test_escape_md_cell(value: object, cell: str) -> None:
    assert escape_md_cell(value) == cell


def _md_rows(markdown: str) -> list[list[str]]:
    """Cell texts of the (single) table in a Markdown text, as a Markdown reader sees them."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows: list[list[str]] = []
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            children = tokens[i + 1].children or []
            rows[-1].append(
                "".join(
                    "\n" if c.type == "html_inline" and c.content == "<br>" else c.content
                    for c in children
                )
            )
    return rows


def test_markdown_table_round_trips_through_a_reader() -> None:
    headers = ["序号", "内容|说明", "单位"]
    rows = [["1", "排查 | 整改", "县城管局"], ["2", "第一行\n第二行", ""], ["3", "C:\\目录", None]]
    text = render_markdown(headers, rows)
    assert text.splitlines()[1] == "| --- | --- | --- |"
    assert text.endswith("|\n")
    assert _md_rows(text) == [
        ["序号", "内容|说明", "单位"],
        ["1", "排查 | 整改", "县城管局"],
        ["2", "第一行\n第二行", ""],
        ["3", "C:\\目录", ""],
    ]


# -- render(): one listing, each format -----------------------------------------------------

LISTING = Listing(
    "任务清单",
    ["序号", "完成时限"],
    [["1", "2021年1月4日"]],
    [{"id": 1, "end": date(2021, 1, 4)}],
    caption="共 1 项任务",
    csv_rows=[["1", "2021-01-04"]],
)


def test_render_json_uses_the_data() -> None:
    assert json.loads(render(LISTING, OutputFormat.JSON)) == [{"id": 1, "end": "2021-01-04"}]


def test_render_csv_uses_the_machine_rows() -> None:
    assert render(LISTING, OutputFormat.CSV) == "\ufeff序号,完成时限\r\n1,2021-01-04\r\n"


def test_render_csv_falls_back_to_the_rows() -> None:
    plain = Listing("t", ["序号"], [["1"]], [])
    assert render(plain, OutputFormat.CSV) == "\ufeff序号\r\n1\r\n"


def test_render_markdown_has_title_and_caption() -> None:
    assert render(LISTING, OutputFormat.MD) == (
        "## 任务清单\n\n| 序号 | 完成时限 |\n| --- | --- |\n| 1 | 2021年1月4日 |\n\n共 1 项任务\n"
    )


def test_render_draws_tables_as_text_for_a_width() -> None:
    text = render(LISTING, OutputFormat.TABLE, width=40)
    assert text.splitlines()[0].strip() == "任务清单"
    assert all(cell_len(line) <= 40 for line in text.splitlines())
    assert "2021年1月4日" in text and "\x1b[" not in text
    assert "\x1b[" in render(LISTING, OutputFormat.TABLE, width=40, color=True)


def test_render_tsv_is_one_plain_line_per_row() -> None:
    rows = Listing("t", ["序号", "内容"], [["1", "甲\t乙\n丙"]], [])
    assert render_tsv(rows) == "序号\t内容\n1\t甲 乙 丙\n"


def _made(row: int) -> list[str]:
    # Every few rows a cell ends in a lone CR, which the terminal must not get (U+FFFD), and
    # every row ends a line whose CR-LF it must keep: the pieces are cut at whole lines.
    return [str(row), "=1+1" if row % 7 == 0 else f"第{row}项\r", "甲\t乙\n丙"]


def test_csv_and_tsv_in_pieces_are_the_whole_text_and_make_rows_as_written() -> None:
    count = 2 * CHUNK_ROWS + 3
    rows = Rows(range(count), _made)
    listing = Listing("t", ["序号", "内容", "备注"], rows, [])
    pieces = list(csv_chunks(listing.headers, rows))
    assert len(pieces) == 3 and all(p.endswith("\r\n") for p in pieces)
    whole = io.StringIO()
    csv.writer(whole, lineterminator="\r\n").writerows(
        [
            ["序号", "内容", "备注"],
            *(["'" + c if c.startswith("=") else c for c in _made(r)] for r in range(count)),
        ]
    )
    assert "".join(pieces) == render_csv(listing.headers, rows) == "\ufeff" + whole.getvalue()

    def line(r: int) -> str:
        return "\t".join([str(r), "=1+1" if r % 7 == 0 else f"第{r}项\ufffd", "甲 乙 丙"])

    lines = [line(r) for r in range(count)]
    assert (
        "".join(tsv_chunks(listing))
        == render_tsv(listing)
        == "\n".join(["序号\t内容\t备注", *lines, ""])
    )
    assert rows._made is None  # streamed, never all held


def test_a_json_array_in_pieces_is_the_whole_document() -> None:
    count = CHUNK_ROWS + 1
    items = Rows(
        range(count), lambda n: {"id": n, "text": f"第{n}项\u0085", "end": date(2021, 1, 4)}
    )
    pieces = list(json_chunks(items))
    assert len(pieces) == 3 and items._made is None
    whole = [{"id": n, "text": f"第{n}项\u0085", "end": date(2021, 1, 4)} for n in range(count)]
    assert "".join(pieces) == render_json(whole) == render_json(items)
    assert json.loads("".join(pieces))[-1] == {
        "id": count - 1,
        "text": f"第{count - 1}项\u0085",
        "end": "2021-01-04",
    }
    assert list(json_chunks(Rows([], str))) == ["[]\n"]


def test_rows_read_as_a_list_once_looked_at() -> None:
    made: list[int] = []
    rows = Rows([1, 2], lambda n: made.append(n) or [str(n)])
    assert len(rows) == 2 and bool(rows) and made == []
    assert rows == [["1"], ["2"]] and rows[1] == ["2"] and list(rows) == [["1"], ["2"]]
    assert made == [1, 2]  # made once, then kept


def test_formats_are_the_documented_four() -> None:
    assert [f.value for f in OutputFormat] == ["table", "json", "csv", "md"]


# -- the Rich table at 100 columns ----------------------------------------------------------


def draw(listing: Listing, width: int = 100) -> str:
    console = Console(
        file=io.StringIO(), width=width, no_color=True, soft_wrap=False, highlight=False
    )
    console.print(rich_table(listing))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def cell_slice(line: str, start: int, end: int | None) -> str:
    """The characters of `line` between two cell offsets (wide characters take two cells)."""
    out, at = [], 0
    for char in line:
        if at >= start and (end is None or at < end):
            out.append(char)
        at += cell_len(char)
    return "".join(out)


def column(drawn: str, headers: list[str], index: int) -> list[str]:
    """Each row's text in one column, wrapped lines joined, whitespace dropped."""
    lines = drawn.splitlines()
    head = next(i for i, line in enumerate(lines) if all(h in line for h in headers))
    offsets = [cell_len(lines[head][: lines[head].index(h)]) for h in headers]
    start = offsets[index]
    end = offsets[index + 1] if index + 1 < len(offsets) else None
    rows: list[str] = []
    for line in lines[head + 2 :]:
        if not line.strip():
            break  # the blank line before the caption
        if line[: offsets[1]].strip():  # a new row starts where the first column has text
            rows.append("")
        rows[-1] += "".join(cell_slice(line, start, end).split())
    return rows


def visible(text: str) -> Counter[str]:
    return Counter(c for c in text if not c.isspace() and c != "─")


def everything_in(listing: Listing) -> Counter[str]:
    parts = [listing.title, listing.caption, *listing.headers]
    parts += [cell for row in listing.rows for cell in row]
    return visible("".join(parts))


@pytest.fixture(scope="module")
def all_tasks(embedded: Registry) -> Listing:
    states = select_tasks(embedded, Ledger(), ON, TaskFilter())
    return task_listing(embedded, states, title="任务清单")


def test_no_line_is_wider_than_the_console(all_tasks: Listing) -> None:
    assert max(cell_len(line) for line in draw(all_tasks).splitlines()) <= 100


def test_every_task_text_is_printed_whole(embedded: Registry, all_tasks: Listing) -> None:
    texts = column(draw(all_tasks), all_tasks.headers, 2)
    assert texts == ["".join(t.text.split()) for t in embedded.tasks]
    longest = max(embedded.tasks, key=lambda t: len(t.text))
    assert longest.id == 31
    assert "".join(longest.text.split()) in texts


def test_every_unit_cell_is_printed_whole(all_tasks: Listing) -> None:
    cells = column(draw(all_tasks), all_tasks.headers, 3)
    assert cells == ["".join(row[3].split()) for row in all_tasks.rows]


def test_short_columns_stay_on_one_line(all_tasks: Listing) -> None:
    deadlines = column(draw(all_tasks), all_tasks.headers, 4)
    drawn = draw(all_tasks)
    assert deadlines[0] == "2020年10月-2021年7月"
    assert "2020 年 10 月-2021 年 7 月" in drawn  # not folded, spaces and all


def test_nothing_is_lost_anywhere(embedded: Registry, all_tasks: Listing) -> None:
    unit = embedded.unit("各街办")
    by_unit = task_listing(
        embedded,
        select_tasks(embedded, Ledger(), ON, TaskFilter(unit=unit)),
        title="各街办的任务",
        unit=unit,
        extra="days_left",
    )
    units = unit_listing(summarize_units(embedded, Ledger(), ON), ON)
    schedule = schedule_listing(embedded, schedule_states(embedded, ON), ON)
    for listing in (all_tasks, by_unit, units, schedule):
        assert visible(draw(listing)) == everything_in(listing), listing.title


def test_units_table_keeps_its_last_columns(embedded: Registry) -> None:
    # The long group names once pushed 未完成 and 逾期 past the right edge, where the
    # console cropped them without a trace.
    listing = unit_listing(summarize_units(embedded, Ledger(), ON), ON)
    header = draw(listing).splitlines()[2]
    assert header.split() == listing.headers


def test_long_short_cells_fold_instead_of_vanishing() -> None:
    # Short columns holding long text (an adjusted deadline, a long group as 来源) once made
    # the table wider than the console; the right-hand columns were cropped.
    headers = [
        "序号",
        "类别",
        "主要目标任务",
        "责任单位",
        "完成时限",
        "状态",
        "督办",
        "来源",
        "剩余天数",
    ]
    row = [
        "1",
        "一",
        "近三年亿元国内生产总值生产安全事故死亡率逐年下降。",
        "区安委会各成员单位、各街办、各园区管委会",
        "2020 年 10 月-2021 年 7 月（调整为2021年10月31日）",
        "延期",
        "蓝",
        "经区级负有安全生产监管职责的部门",
        "123 天",
    ]
    listing = Listing("任务", headers, [row], [], wrap={2: 3, 3: 2})
    drawn = draw(listing)
    assert max(cell_len(line) for line in drawn.splitlines()) <= 100
    assert visible(drawn) == everything_in(listing)


def test_a_table_without_long_columns_is_not_stretched() -> None:
    listing = Listing("统计", ["分组", "任务数"], [["类别", "5"]], [])
    assert max(cell_len(line) for line in draw(listing).splitlines()) < 30


def test_a_table_to_a_pipe_is_tab_separated_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """gh's convention: stdout not a terminal, `--format table` prints a header line and one
    tab-separated line per row, nothing truncated or folded; the same rows as the table."""
    from typer.testing import CliRunner

    from safecity_cli.cli import app

    monkeypatch.delenv("SAFECITY_FORCE_TABLE", raising=False)
    monkeypatch.delenv("SAFECITY_DATA", raising=False)
    args = ["list", "--unit", "区住建局", "--date", "2021-01-01"]
    piped = CliRunner().invoke(app, args)
    assert piped.exit_code == 0
    lines = piped.stdout.splitlines()
    assert lines[0] == "序号\t类别\t主要目标任务\t责任单位\t完成时限\t状态\t督办\t来源"
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(row) == 8 for row in rows)
    as_json = CliRunner().invoke(app, [*args, "--format", "json"])
    import json

    tasks = json.loads(as_json.stdout)
    assert [int(row[0]) for row in rows] == [t["id"] for t in tasks]
    assert [row[2] for row in rows] == [t["text"] for t in tasks]  # whole, never cut
    monkeypatch.setenv("SAFECITY_FORCE_TABLE", "1")
    drawn = CliRunner().invoke(app, args)
    assert "\t" not in drawn.stdout and "区住建局的任务" in drawn.stdout
