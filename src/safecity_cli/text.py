"""Text that crosses a boundary: refused control characters in, neutralised text out."""

from __future__ import annotations

import re
from functools import cache

REPLACEMENT = "\ufffd"

# C0 and C1 controls and DEL; tab and newline are the two a note may hold.
_CONTROL = "[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_CONTROL_OR_BREAK = "[\x00-\x1f\x7f-\x9f]"
# Lone surrogates: how Python hands over command-line bytes that are not UTF-8 (`$'\xff'`).
_UNDECODABLE = "[\ud800-\udfff]"
_REMOVABLE = "[\x00-\x1f\x7f-\x9f\ud800-\udfff]"
# On a terminal: controls except tab and line ends; a CR only as part of CRLF (CSV's line end).
_TERMINAL_CHARS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"
_TERMINAL = re.compile(_TERMINAL_CHARS + "|\r(?!\n)")

_SHEET = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"
SHEET_REFUSED = _SHEET  # what sheet_text replaces (a pattern's text)
_STYLED = "(\x1b\\[[0-9;]*m)|" + _TERMINAL.pattern

# What a spreadsheet reads as the start of a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?"


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """Compiled when first needed: every command prints, few check input or write sheets."""
    return re.compile(pattern)


def input_problem(text: str, *, lines: bool = False) -> str | None:
    """Why `text` cannot be recorded (a Chinese phrase), or None; `lines` allows tab and newline."""
    if _pattern(_UNDECODABLE).search(text):
        return "含有无法识别的字节（不是 UTF-8 编码的文字），请检查终端或文件的编码"
    if bad := _pattern(_CONTROL if lines else _CONTROL_OR_BREAK).search(text):
        allowed = "（只允许换行和制表符）" if lines else ""
        return f"含有控制字符 U+{ord(bad.group()):04X}{allowed}，请删除"
    return None


def printable(text: str, *, styles: bool = False) -> str:
    """Text safe to send to a terminal: no escape sequences, whatever the stored data holds;
    with `styles`, colour codes (ESC [ 1;31 m) stay, any other sequence does not."""
    # In two parts: one set of characters is searched three times as fast as a pattern with a
    # branch (22 MB of JSON at 100k tasks), and a CR is rare.
    if not _pattern(_TERMINAL_CHARS).search(text) and (
        "\r" not in text or not _TERMINAL.search(text)
    ):
        return text
    if styles:
        return _pattern(_STYLED).sub(lambda m: m[1] or REPLACEMENT, text)
    return _TERMINAL.sub(REPLACEMENT, text)


def without_controls(text: str, *, keep: str = "\n\t") -> str:
    """Text with controls (and undecodable bytes) other than `keep` removed."""
    return _pattern(_REMOVABLE).sub(lambda m: m.group() if m.group() in keep else "", text)


def sheet_text(text: str) -> str:
    """Text a workbook can hold (XML refuses most C0 controls) and shows without surprises."""
    return _pattern(_SHEET).sub(REPLACEMENT, text)


def is_formula_like(text: str) -> bool:
    """A text cell a spreadsheet would evaluate; plain numbers (-3, +1.5) are not."""
    return text.startswith(FORMULA_START) and not _pattern(_NUMBER).fullmatch(text)


def csv_cell(value: object) -> object:
    """A CSV cell: text that would start a formula gets a leading apostrophe, as OWASP advises."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value
