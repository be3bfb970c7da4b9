"""The exception hierarchy; every message is Chinese and meant for the user."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    DATA_ERROR = 1
    USAGE_ERROR = 2


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
