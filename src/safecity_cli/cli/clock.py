"""The one place that reads the clock: the default for --date and the time a record is made."""

from __future__ import annotations

from datetime import date, datetime


def now() -> datetime:
    """This moment, in the machine's zone."""
    return datetime.now().astimezone()


def today() -> date:
    return now().date()
