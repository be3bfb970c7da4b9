"""Render listings as a table, tab-separated rows, JSON, CSV or Markdown; each a pure function to text."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from functools import cache
from itertools import islice
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from safecity_cli.text import csv_cell, printable

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table


class OutputFormat(str, Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MD = "md"


class DetailFormat(str, Enum):
    """One record (show) is no table for CSV: the listing formats less that one."""

    TABLE = OutputFormat.TABLE.value
    JSON = OutputFormat.JSON.value
    MD = OutputFormat.MD.value


_Item = TypeVar("_Item")
CHUNK_ROWS = 2000  # rows written to stdout at a time


class Rows(Sequence[Any], Generic[_Item]):
    """A listing's rows (or JSON items) made from its items: kept once looked at (a table
    reads them several times), or made one at a time by `stream`, so that 100k tasks written
    as CSV or JSON never hold all their rows, or all the text, at once."""

    __slots__ = ("_items", "_made", "_make")

    def __init__(self, items: Sequence[_Item], make: Callable[[_Item], Any]) -> None:
        self._items = items
        self._make = make
        self._made: list[Any] | None = None

    def stream(self) -> Iterator[Any]:
        return iter(self._made) if self._made is not None else map(self._make, self._items)

    def _rows(self) -> list[Any]:
        if self._made is None:
            self._made = [self._make(item) for item in self._items]
        return self._made

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows())

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._rows()[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._rows() == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._rows())


def stream(rows: Sequence[Any]) -> Iterator[Any]:
    """The rows one at a time, made as they are asked for when they can be."""
    return rows.stream() if isinstance(rows, Rows) else iter(rows)


def _batches(rows: Iterable[_Item]) -> Iterator[list[_Item]]:
    it = iter(rows)
    while batch := list(islice(it, CHUNK_ROWS)):
        yield batch


@dataclass
class Listing:
    """What a listing command shows: one table for people, one JSON payload for scripts."""

    title: str
    headers: list[str]
    rows: Sequence[list[str]]  # a list, or Rows made from the listing's items
    data: Any  # the JSON payload, or a function that builds it (only JSON output needs it)
    empty: str = "没有符合条件的记录"
    caption: str = ""
    wrap: dict[int, int] = field(default_factory=dict)  # long-text column -> its share of width
    row_styles: list[str | None] = field(default_factory=list)
    # CSV is data, not the table's text: numbers as numbers, ISO dates, columns of its own.
    csv_rows: Sequence[list[Any]] | None = None
    csv_headers: list[str] | None = None  # when the CSV columns differ from the table's
    whole: tuple[int, ...] = ()  # columns whose cells never fold (ids people copy)
    # On a narrow terminal: the column that must stay readable, and the columns given up for
    # it, first to last (see `narrowed`).
    keep: int | None = None
    drop: tuple[int, ...] = ()
    narrow: bool = False  # laid out for a narrow terminal: the kept column holds KEEP_CELLS


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def render_json(data: Any) -> str:
    """Stable JSON for scripts: Chinese unescaped, ISO dates, trailing newline.

    An array is written one element per line: still one JSON document, readable with
    line tools, and fast at 100k rows (the indenting encoder is pure Python)."""
    return "".join(json_chunks(data))


def json_chunks(data: Any) -> Iterator[str]:
    """render_json's text in pieces, an array (a list or Rows) a few thousand items at a time."""
    import json

    if not isinstance(data, (list, Rows)):
        yield json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"
    elif not data:
        yield "[]\n"
    else:
        # What json.dumps(item, …) writes, from one encoder (dumps makes one per call).
        compact = json.JSONEncoder(
            ensure_ascii=False, default=_json_default, separators=(", ", ": ")
        ).encode
        before = "[\n"
        for batch in _batches(stream(data)):
            yield before + ",\n".join(map(compact, batch))
            before = ",\n"
        yield "\n]\n"


def render_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV that Excel and WPS open correctly: UTF-8 with a BOM, CRLF line ends; text that a
    spreadsheet would take for a formula (=, +, -, @ …) starts with an apostrophe."""
    return "".join(csv_chunks(headers, rows))


def csv_chunks(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Iterator[str]:
    """render_csv's text in pieces of whole lines, the rows made as they are written."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([csv_cell(h) for h in headers])
    for batch in _batches(stream(rows)):
        writer.writerows([csv_cell(c) for c in row] for row in batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


@cache
def _markdown() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The patterns below, compiled for the first Markdown cell (not at every start-up)."""
    return (
        re.compile(r"([\\`*_\[\]<>|~&#])"),
        # At the start of a line: a list item (- a, 1. a), a rule or a setext underline.
        re.compile(r"^(\s*)([-+=])(?=\s|[-=\s]*$)"),
        re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)"),
        # Whatever any of the three might change; text without it is returned as it is.
        re.compile(r"[\\`*_\[\]<>|~&#\r\n]|^\s*[-+=]|^\s*\d{1,9}[.)]"),
    )


def escape_markdown(value: Any) -> str:
    """Text that CommonMark shows literally, on one line (table cells included): markup
    characters backslash-escaped, line breaks as <br>."""
    text = "" if value is None else str(value)
    special, bullet, ordered, anything = _markdown()
    if text.isdigit() or not anything.search(text):  # most cells: nothing in them is markup
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    text = special.sub(r"\\\1", text)
    text = ordered.sub(r"\1\\\2", bullet.sub(r"\1\\\2", text))
    return text.replace("\n", "<br>")


def escape_md_cell(value: Any) -> str:
    """A Markdown table cell: shown literally, on one line, never empty."""
    return escape_markdown(value).strip() or " "


def render_markdown(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = [
        "| " + " | ".join(escape_md_cell(h) for h in headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    lines += ["| " + " | ".join(escape_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _json_data(listing: Listing) -> Any:
    return listing.data() if callable(listing.data) else listing.data


def _csv_table(listing: Listing) -> tuple[list[str], Any]:
    """The CSV's headers and rows: its own where the listing has them, else the table's."""
    headers = listing.csv_headers if listing.csv_headers is not None else listing.headers
    return headers, listing.csv_rows if listing.csv_rows is not None else listing.rows


def render_chunks(
    listing: Listing, fmt: OutputFormat, *, width: int | None = None, color: bool = False
) -> Iterator[str]:
    """`render`'s text in pieces: CSV and JSON arrays made as they are written, the others at once."""
    if fmt is OutputFormat.JSON:
        return json_chunks(_json_data(listing))
    if fmt is OutputFormat.CSV:
        return csv_chunks(*_csv_table(listing))
    return iter((render(listing, fmt, width=width, color=color),))


def render(
    listing: Listing, fmt: OutputFormat, *, width: int | None = None, color: bool = False
) -> str:
    """The listing as text in `fmt`; a table is laid out for `width` columns."""
    if fmt is OutputFormat.TABLE:
        return render_table(listing, width=width, color=color)
    if fmt is OutputFormat.JSON:
        return render_json(_json_data(listing))
    if fmt is OutputFormat.CSV:
        return render_csv(*_csv_table(listing))
    if fmt is OutputFormat.MD:
        title = f"## {listing.title}\n\n" if listing.title else ""
        caption = f"\n{listing.caption}\n" if listing.caption else ""
        return title + render_markdown(listing.headers, listing.rows) + caption
    raise ValueError(fmt)


def render_tsv(listing: Listing) -> str:
    """Plain rows for a pipe or a listing too long for a table: a header line, tab-separated cells."""
    return "".join(tsv_chunks(listing))


def tsv_chunks(listing: Listing) -> Iterator[str]:
    """render_tsv's text in pieces of whole lines, the rows made as they are written."""
    yield printable("\t".join(listing.headers) + "\n")
    for batch in _batches(stream(listing.rows)):
        lines = [_tsv_line(row) for row in batch]
        lines.append("")
        yield printable("\n".join(lines))  # stored text never drives the terminal


def _tsv_line(row: Sequence[str]) -> str:
    line = "\t".join(row)
    if line.count("\t") == len(row) - 1 and "\n" not in line:  # no cell holds either: most rows
        return line
    return "\t".join(c.replace("\t", " ").replace("\n", " ") for c in row)


def render_table(listing: Listing, *, width: int | None = None, color: bool = False) -> str:
    return render_rich(rich_table(narrowed(listing, width)), width=width, color=color)


KEEP_CELLS = 32  # the task text keeps at least 16 Chinese characters a line
WIDE = 100  # from this width on every column is shown, as it always was


def narrowed(listing: Listing, width: int | None) -> Listing:
    """The listing for a terminal `width` columns wide: below WIDE, while the kept column would
    get fewer than KEEP_CELLS, the `drop` columns are left out one by one, in their order, and
    the caption says which."""
    from rich.cells import cell_len

    if width is None or width >= WIDE or listing.keep is None or not listing.drop:
        return listing

    def natural(index: int) -> int:
        if index in listing.wrap and index != listing.keep:
            return 8
        cells = [cell_len(listing.headers[index])]
        cells += [cell_len(r[index]) for r in listing.rows if isinstance(r[index], str)]
        return max(cells)

    shown = list(range(len(listing.headers)))
    for gone in (None, *listing.drop):
        if gone is not None:
            shown.remove(gone)
        others = sum(natural(i) + 3 for i in shown if i != listing.keep)
        if width - others - 3 >= KEEP_CELLS:
            break
    if len(shown) == len(listing.headers):
        return listing
    place = {old: new for new, old in enumerate(shown)}
    left_out = "、".join(h for i, h in enumerate(listing.headers) if i not in place)
    note = f"终端较窄，未显示：{left_out}（加宽终端或用 --format csv 查看）"
    return Listing(
        listing.title,
        [listing.headers[i] for i in shown],
        [[row[i] for i in shown] for row in listing.rows],
        listing.data,
        empty=listing.empty,
        caption=f"{listing.caption}；{note}" if listing.caption else note,
        wrap={place[i]: r for i, r in listing.wrap.items() if i in place},
        row_styles=listing.row_styles,
        whole=tuple(place[i] for i in listing.whole if i in place),
        keep=place[listing.keep],
        narrow=True,
    )


def render_rich(renderable: RenderableType, *, width: int | None, color: bool) -> str:
    """What Rich draws for a terminal `width` columns wide, as text (ANSI styles only with `color`)."""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        soft_wrap=False,
        highlight=False,
    )
    console.print(renderable)
    return buffer.getvalue()


# A date (2021年3月11日), a number of days or a status word is never broken across lines.
@cache
def _unbreakable_cell() -> re.Pattern[str]:
    return re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|-?\d+ (?:天|个工作日)|\S{1,3}")


def _unbreakable(cell: str) -> bool:
    return _unbreakable_cell().fullmatch(cell) is not None


def rich_table(listing: Listing) -> Table:
    """A Rich table laid out for a person: wrapped text, aligned Chinese, marked rows."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(printable(listing.title)) if listing.title else None,
        caption=Text(printable(listing.caption)) if listing.caption else None,
        box=box.SIMPLE_HEAD,
        expand=bool(listing.wrap),
        title_justify="left",
        caption_justify="left",
    )
    for index, header in enumerate(listing.headers):
        if index in listing.wrap:
            # With a ratio, `width` is the least the column keeps when space runs short.
            least = KEEP_CELLS if listing.narrow and index == listing.keep else 8
            table.add_column(
                printable(header), overflow="fold", ratio=listing.wrap[index], width=least
            )
        else:
            # Short cells keep their natural width (Rich sizes ratio-less columns first) and
            # fold only when the table cannot fit otherwise: a no_wrap column there makes
            # the console crop whole columns off the right edge.
            # A header keeps its whole width, so it never breaks mid-word.
            whole = index in listing.whole
            widest = max(
                [
                    cell_len(header),
                    *(
                        cell_len(row[index])
                        for row in listing.rows
                        if isinstance(row[index], str) and (whole or _unbreakable(row[index]))
                    ),
                ]
            )
            table.add_column(printable(header), overflow="fold", min_width=widest)
    styles = listing.row_styles or [None] * len(listing.rows)
    for row, style in zip(listing.rows, styles, strict=True):
        # Text, not str: stored text is shown as written, never read as Rich markup ([link=…]).
        table.add_row(*(Text(printable(c)) if isinstance(c, str) else c for c in row), style=style)
    return table
