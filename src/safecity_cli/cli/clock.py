"""The one place that reads the clock: the default for --date and the time a record is made."""

from __future__ import annotations

from datetime import date, datetime


def now() -> datetime:
    """This moment, in the machine's zone."""
    return datetime.now().astimezone()


def today() -> date:
    return now().date()


def recorded_now() -> datetime:
    """When an entry is recorded (orders entries of one day, and finds the last for undo), in
    the district's zone whatever the machine's."""
    from safecity_cli.dates import DISTRICT_ZONE

    return now().astimezone(DISTRICT_ZONE)
