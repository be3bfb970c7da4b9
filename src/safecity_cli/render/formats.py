"""Render listings as a table, tab-separated rows, JSON, CSV or Markdown; each a pure function to text."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

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


@dataclass
class Listing:
    """What a listing command shows: one table for people, one JSON payload for scripts."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    data: Any  # the JSON payload, or a function that builds it (only JSON output needs it)
    empty: str = "没有符合条件的记录"
    caption: str = ""
    wrap: dict[int, int] = field(default_factory=dict)  # long-text column -> its share of width
    row_styles: list[str | None] = field(default_factory=list)
    # CSV is data, not the table's text: numbers as numbers, ISO dates, columns of its own.
    csv_rows: list[list[Any]] | None = None
    csv_headers: list[str] | None = None  # when the CSV columns differ from the table's
    whole: tuple[int, ...] = ()  # columns whose cells never fold (ids people copy)


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
    if isinstance(data, list):
        if not data:
            return "[]\n"
        items = ",\n".join(_compact(item) for item in data)
        return f"[\n{items}\n]\n"
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"


def _compact(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, default=_json_default, separators=(", ", ": "))


def render_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV that Excel and WPS open correctly: UTF-8 with a BOM, CRLF line ends; text that a
    spreadsheet would take for a formula (=, +, -, @ …) starts with an apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    writer.writerows([csv_cell(c) for c in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
# At the start of a line: a list item (- a, 1. a), a rule or a setext underline (---, ===).
_MD_BULLET = re.compile(r"^(\s*)([-+=])(?=\s|[-=\s]*$)")
_MD_ORDERED = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)")
# Whatever any of the three might change; text without it is returned as it is.
_MD_ANY = re.compile(r"[\\`*_\[\]<>|~&#\r\n]|^\s*[-+=]|^\s*\d{1,9}[.)]")


def escape_markdown(value: Any) -> str:
    """Text that CommonMark shows literally, on one line (table cells included): markup
    characters backslash-escaped, line breaks as <br>."""
    text = "" if value is None else str(value)
    if text.isdigit() or not _MD_ANY.search(text):  # most cells: nothing in them is markup
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_ORDERED.sub(r"\1\\\2", _MD_BULLET.sub(r"\1\\\2", text))
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


def render(
    listing: Listing, fmt: OutputFormat, *, width: int | None = None, color: bool = False
) -> str:
    """The listing as text in `fmt`; a table is laid out for `width` columns."""
    if fmt is OutputFormat.TABLE:
        return render_table(listing, width=width, color=color)
    if fmt is OutputFormat.JSON:
        return render_json(listing.data() if callable(listing.data) else listing.data)
    if fmt is OutputFormat.CSV:
        return render_csv(
            listing.csv_headers if listing.csv_headers is not None else listing.headers,
            listing.csv_rows if listing.csv_rows is not None else listing.rows,
        )
    if fmt is OutputFormat.MD:
        title = f"## {listing.title}\n\n" if listing.title else ""
        caption = f"\n{listing.caption}\n" if listing.caption else ""
        return title + render_markdown(listing.headers, listing.rows) + caption
    raise ValueError(fmt)


def render_tsv(listing: Listing) -> str:
    """Plain rows for a pipe or a listing too long for a table: a header line, tab-separated cells."""
    lines = ["\t".join(listing.headers)]
    lines += [
        "\t".join(c.replace("\t", " ").replace("\n", " ") for c in row) for row in listing.rows
    ]
    return printable("\n".join(lines) + "\n")  # stored text never drives the terminal


def render_table(listing: Listing, *, width: int | None = None, color: bool = False) -> str:
    return render_rich(rich_table(listing), width=width, color=color)


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
_UNBREAKABLE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|-?\d+ (?:天|个工作日)|\S{1,3}")


def _unbreakable(cell: str) -> bool:
    return _UNBREAKABLE.fullmatch(cell) is not None


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
            table.add_column(printable(header), overflow="fold", ratio=listing.wrap[index], width=8)
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
