"""Help pages wrapped by display width: a Chinese character takes two columns, words stay whole."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from typer._click.core import Context
from typer._click.formatting import HelpFormatter

# A date (2021年1月1日) or a run of Latin letters, digits and ASCII punctuation stays on one
# line; anything else (a Chinese character, a space) is a piece of its own.
_PIECES = re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|[!-~]+|\s+|.")
# Chinese layout rules (禁则): these never begin a line, these never end one.
_NO_LINE_START = set("，。、；：？！）》」』】”’…—%")
_NO_LINE_END = set("（《「『【“‘")


def wrap(text: str, width: int) -> list[str]:
    """`text` (one paragraph) in lines at most `width` display columns wide, where possible."""
    lines: list[str] = []
    line: list[str] = []  # the pieces of the line being filled
    for piece in _PIECES.findall(" ".join(text.split())):
        if cell_len("".join(line)) + cell_len(piece) <= width or not "".join(line).strip():
            line.append(piece)
            continue
        if piece.isspace():
            lines.append("".join(line))
            line = []
            continue
        carried: list[str] = []
        if piece[0] in _NO_LINE_START:  # the last word before it goes along
            while len(line) > 1 and (not carried or carried[0][0] in _NO_LINE_START):
                carried.insert(0, line.pop())
        while len(line) > 1 and line[-1] in _NO_LINE_END:
            carried.insert(0, line.pop())
        lines.append("".join(line).rstrip())
        line = [*carried, piece]
    if "".join(line).strip():
        lines.append("".join(line).rstrip())
    return lines


def paragraphs(text: str) -> list[list[str]]:
    """Paragraphs split at blank lines; one starting with \\b keeps its lines as written."""
    result = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        lines = block.splitlines()
        if lines and lines[0].strip() == "\b":
            result.append(["\b", *lines[1:]])
        else:
            result.append([_join(line.strip() for line in lines)])
    return result


def _join(lines: Iterable[str]) -> str:
    """A paragraph's lines as one: a space between Latin words, none between Chinese ones."""
    text = ""
    for line in lines:
        wide = text and (cell_len(text[-1]) == 2 or (line and cell_len(line[0]) == 2))
        text += line if not text or wide else " " + line
    return text


def cell_len(text: str) -> int:
    from rich.cells import cell_len as measure  # only help pages need it: not on every start-up

    return measure(text)


class DisplayWidthFormatter(HelpFormatter):
    """Click's help layout, measured in display columns instead of characters."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        blocks = []
        for block in paragraphs(text):
            if block[0] == "\b":
                blocks.append("\n".join(indent + line for line in block[1:]))
            else:
                width = max(self.width - self.current_indent, 20)
                blocks.append("\n".join(indent + line for line in wrap(block[0], width)))
        self.write("\n\n".join(blocks) + "\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_col = min(max((cell_len(a) for a, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(" " * self.current_indent + first)
            if not second:
                self.write("\n")
                continue
            if cell_len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cell_len(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            width = max(self.width - first_col - self.current_indent, 10)
            lines = [line for p in paragraphs(second) for line in wrap(p[-1], width)] or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")


class SafecityContext(Context):
    formatter_class = DisplayWidthFormatter

    def make_formatter(self) -> HelpFormatter:
        # The terminal's width (at most 80, as click does), also under click's test runner,
        # which would otherwise force 80 whatever COLUMNS says.
        import shutil

        width = max(min(shutil.get_terminal_size().columns, 80) - 2, 50)
        return DisplayWidthFormatter(width=width)
