"""Dates as people type them, and as Chinese reports print them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import cache

from safecity_cli.errors import UsageError


@cache
def _forms() -> tuple[re.Pattern[str], ...]:
    """The ways a date may be typed, compiled when one is first given."""
    return (
        re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
        re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
        re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
        re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    )


_TODAY = {"today", "今天", "今日"}

DISTRICT_ZONE = timezone(timedelta(hours=8))
"""The district's clock (China Standard Time, no daylight saving): every timestamp safecity
writes carries this offset, and one written without an offset is read in it, whatever the
machine's TZ says."""

FIRST_YEAR, LAST_YEAR = 1900, 2999  # dates outside these are typing mistakes, not records


def in_district(moment: datetime) -> datetime:
    """An aware moment: a naive one is taken to be district time (old ledgers wrote them so)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=DISTRICT_ZONE)


def parse_date(text: str, today: date, *, option: str = "日期") -> date:
    """2021-01-01, 2021/1/1, 2021.1.1, 2021年1月1日 or today; UsageError otherwise."""
    value = text.strip()
    if value.lower() in _TODAY:
        return today
    for form in _forms():
        if m := form.fullmatch(value):
            if not FIRST_YEAR <= int(m[1]) <= LAST_YEAR:
                raise UsageError(f"{option}「{text}」的年份超出范围（{FIRST_YEAR}–{LAST_YEAR} 年）")
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise UsageError(f"{option}「{text}」不存在（月份或日期超出范围）") from None
    raise UsageError(
        f"{option}「{text}」无法识别，请写成 2021-01-01、2021/1/1、2021.1.1、2021年1月1日 或 today"
    )


def chinese_date(day: date | None) -> str:
    """2021年1月4日 (no leading zeros, as official documents write dates)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"
