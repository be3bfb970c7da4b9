"""The exception hierarchy; every message is Chinese and meant for the user."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """What `safecity` exits with; documented in the README (退出码)."""

    OK = 0
    DATA_ERROR = 1  # bad data, a refused record, a failed check, an internal error
    USAGE_ERROR = 2  # the command line itself: an unknown option, a bad date, a missing command
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a registry file, printed as `file:line: field: message`."""

    file: str
    line: int | None
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where, self.field, self.message] if self.field else [where, self.message]
        text = ": ".join(parts)
        return f"{text}（警告）" if self.warning else text


class SafecityError(Exception):
    """Base of every error safecity reports to a user."""

    exit_code = ExitCode.DATA_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """What the user reads on stderr."""
        return [f"错误：{self.message}"]


class UsageError(SafecityError):
    """The command line itself is wrong: a bad date, an unknown unit or status."""

    exit_code = ExitCode.USAGE_ERROR


class RegistryError(SafecityError):
    """A registry (or ledger) directory has problems; carries every one found."""

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if not p.warning]
        super().__init__(f"登记册有 {len(errors)} 处错误")
        self.problems = problems

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + [f"错误：{self.message}"]


class LedgerError(SafecityError):
    """A progress record was refused or could not be written; nothing was changed."""


class TemplateError(SafecityError):
    """A report template is broken (name and line in the message)."""


class WorkdayRangeError(UsageError):
    """A date lies outside the years the official holiday calendar covers."""


class ImportRowsError(LedgerError):
    """Rows of a returned workbook were refused; nothing from it was recorded."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"填报表中有 {len(problems)} 行有问题，未记录任何内容")
        self.problems = problems

    def lines(self) -> list[str]:
        return [*self.problems, f"错误：{self.message}"]
