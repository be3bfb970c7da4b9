"""Deadline texts as the documents write them, and what they mean in dates."""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from safecity_cli.errors import WorkdayRangeError


class DeadlineKind(str, Enum):
    DAY = "day"
    DAY_RANGE = "day_range"
    TEN_DAYS = "ten_days"
    MONTH = "month"
    MONTH_RANGE = "month_range"
    YEAR = "year"
    YEAR_RANGE = "year_range"
    HALF_YEAR = "half_year"
    QUARTER = "quarter"
    RECURRING = "recurring"
    OPEN = "open"


KIND_LABELS = {
    DeadlineKind.DAY: "具体日期",
    DeadlineKind.DAY_RANGE: "日期区间",
    DeadlineKind.TEN_DAYS: "旬",
    DeadlineKind.MONTH: "月份",
    DeadlineKind.MONTH_RANGE: "月份区间",
    DeadlineKind.YEAR: "年度",
    DeadlineKind.YEAR_RANGE: "年度区间",
    DeadlineKind.HALF_YEAR: "半年",
    DeadlineKind.QUARTER: "季度",
    DeadlineKind.RECURRING: "周期性",
    DeadlineKind.OPEN: "无固定期限",
}


@dataclass(frozen=True, slots=True)
class Period:
    """One period of a recurring deadline (a month, quarter, half year or year): due at its end."""

    start: date
    end: date
    label: str  # 2021年第一季度


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline: the original text, its kind, and the window it gives (None where it has none)."""

    raw: str
    kind: DeadlineKind
    start: date | None = None
    end: date | None = None
    every_months: int | None = None  # recurring deadlines only
    ends_in_month: int = 12  # recurring: the calendar month a period ends in (每年11月底前: 11)

    @property
    def is_open(self) -> bool:
        return self.end is None

    def due_on(self, on: date) -> date | None:
        """The end that governs on `on`: the period end for a recurring deadline."""
        return self.next_due(on) if self.every_months else self.end

    def next_due(self, on: date) -> date | None:
        """The end date that next falls due on or after `on` (recurring ones: the period end)."""
        if self.every_months is not None:
            return self.period_of(on).end
        return self.end if self.end is not None and self.end >= on else None

    def period_of(self, on: date) -> Period:
        """The period of a recurring deadline that `on` falls in."""
        assert self.every_months is not None
        return _period(self.every_months, self.ends_in_month, on)

    def periods(self, first: date, last: date) -> list[Period]:
        """The periods from the one `first` falls in through the one `last` falls in."""
        if self.every_months is None or last < first:
            return []
        return list(_periods(self.every_months, self.ends_in_month, first, last))


# Thousands of recurring tasks share a handful of (period length, date) pairs in one query.
@functools.lru_cache(maxsize=4096)
def _period(months: int, ends_in_month: int, on: date) -> Period:
    index = on.year * 12 + on.month - 1
    last = index + (ends_in_month - 1 - index) % months
    first = last - months + 1
    start = date(first // 12, first % 12 + 1, 1)
    end = _month_end(last // 12, last % 12 + 1)
    return Period(start, end, _period_label(start, end, months, ends_in_month))


@functools.lru_cache(maxsize=1024)
def _periods(months: int, ends_in_month: int, first: date, last: date) -> tuple[Period, ...]:
    found: list[Period] = []
    period = _period(months, ends_in_month, first)
    while period.start <= last:
        found.append(period)
        period = _period(months, ends_in_month, period.end + timedelta(days=1))
    return tuple(found)


class DeadlineError(ValueError):
    """A deadline text that none of the known forms matches."""


_DASH = r"[-—–~～至到]"
_BEFORE = r"(?:前|以前|之前)?"
_END_OF = r"(?:底|末)?"
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_DAY = rf"(\d{{4}})年(\d{{1,2}})月(\d{{1,2}})日{_BEFORE}"
_DAY_RANGE = rf"(\d{{4}})年(\d{{1,2}})月(\d{{1,2}})日{_DASH}(?:(\d{{4}})年)?(?:(\d{{1,2}})月)?(\d{{1,2}})日{_BEFORE}"
_TEN_DAYS = rf"(\d{{4}})年(\d{{1,2}})月(上|中|下)旬{_END_OF}{_BEFORE}"
_MONTH = rf"(\d{{4}})年(\d{{1,2}})月{_END_OF}{_BEFORE}"
_MONTH_RANGE = (
    rf"(\d{{4}})年(\d{{1,2}})月(?:份)?{_DASH}(?:(\d{{4}})年)?(\d{{1,2}})月{_END_OF}{_BEFORE}"
)
_YEAR = rf"(\d{{4}})年(?:度)?{_END_OF}{_BEFORE}"
_YEAR_RANGE = rf"(\d{{4}})(?:年)?{_DASH}(\d{{4}})年{_END_OF}{_BEFORE}"
_HALF = rf"(\d{{4}})年(上|下)半年{_END_OF}{_BEFORE}"
_QUARTER = rf"(?:(\d{{4}})年)?(?:第)?([一二三四1-4])季度{_END_OF}{_BEFORE}"
_RECURRING = {"每月": 1, "每季度": 3, "每半年": 6, "每年": 12}
_YEARLY_BY = rf"每年(\d{{1,2}})月{_END_OF}{_BEFORE}"
_OPEN = (
    r"规划水平年|长期坚持|长期|持续推进|常态化(?:推进|开展)?|(?:具体)?(?:时间)?(?:行程)?待定|"
    r"按照?(?:国家|上级|省|市)?(?:确定|规定|要求)的?时间(?:实施|完成|执行)?"
)


def parse_deadline(raw: str, *, reference: date | None = None) -> Deadline:
    """Parse a 完成时限 text.

    `reference` (the program start) places a quarter written without a year: the first
    such quarter that has not ended before the program starts.
    """
    try:
        return _parse(raw, reference)
    except DeadlineError:
        raise
    except ValueError:  # a year `date` cannot hold: 0000年, or a quarter after 9999
        raise DeadlineError(f"完成时限「{raw}」中的年份超出范围") from None


def _parse(raw: str, reference: date | None) -> Deadline:
    text = re.sub(r"\s+", "", raw)
    if any(not 1900 <= int(year) <= 2999 for year in re.findall(r"\d{4}", text)):
        raise DeadlineError(f"完成时限「{raw}」中的年份超出范围（1900–2999 年）")
    if m := _match(_DAY, text):
        end = _date(raw, int(m[1]), int(m[2]), int(m[3]))
        return Deadline(raw, DeadlineKind.DAY, None, end)
    if m := _match(_DAY_RANGE, text):
        start = _date(raw, int(m[1]), int(m[2]), int(m[3]))
        end = _date(raw, int(m[4] or m[1]), int(m[5] or m[2]), int(m[6]))
        return Deadline(raw, DeadlineKind.DAY_RANGE, *_ordered(raw, start, end))
    if m := _match(_TEN_DAYS, text):
        year, month = int(m[1]), _month(raw, m[2])
        first, last = {"上": (1, 10), "中": (11, 20), "下": (21, None)}[m[3]]
        end = date(year, month, last) if last else _month_end(year, month)
        return Deadline(raw, DeadlineKind.TEN_DAYS, date(year, month, first), end)
    if m := _match(_MONTH, text):
        year, month = int(m[1]), _month(raw, m[2])
        return Deadline(raw, DeadlineKind.MONTH, date(year, month, 1), _month_end(year, month))
    if m := _match(_MONTH_RANGE, text):
        start_year, start_month = int(m[1]), _month(raw, m[2])
        end_year, end_month = int(m[3] or m[1]), _month(raw, m[4])
        start, end = date(start_year, start_month, 1), _month_end(end_year, end_month)
        return Deadline(raw, DeadlineKind.MONTH_RANGE, *_ordered(raw, start, end))
    if m := _match(_YEAR, text):
        year = int(m[1])
        return Deadline(raw, DeadlineKind.YEAR, date(year, 1, 1), date(year, 12, 31))
    if m := _match(_YEAR_RANGE, text):
        start, end = date(int(m[1]), 1, 1), date(int(m[2]), 12, 31)
        return Deadline(raw, DeadlineKind.YEAR_RANGE, *_ordered(raw, start, end))
    if m := _match(_HALF, text):
        year, first = int(m[1]), m[2] == "上"
        start = date(year, 1 if first else 7, 1)
        return Deadline(raw, DeadlineKind.HALF_YEAR, start, _month_end(year, 6 if first else 12))
    if m := _match(_QUARTER, text):
        quarter = _NUMERALS[m[2]]
        year = int(m[1]) if m[1] else _year_of_quarter(quarter, reference)
        start = date(year, quarter * 3 - 2, 1)
        return Deadline(raw, DeadlineKind.QUARTER, start, _month_end(year, quarter * 3))
    if text in _RECURRING:
        return Deadline(raw, DeadlineKind.RECURRING, every_months=_RECURRING[text])
    if m := _match(_YEARLY_BY, text):
        month = _month(raw, m[1])
        return Deadline(raw, DeadlineKind.RECURRING, every_months=12, ends_in_month=month)
    if _match(_OPEN, text):
        return Deadline(raw, DeadlineKind.OPEN)
    raise DeadlineError(f"无法识别的完成时限「{raw}」；{ACCEPTED_FORMS}")


ACCEPTED_FORMS = (
    "可用的写法：2020年11月5日前、2020年11月15日—2020年12月15日、2020年12月、2021年6月底前、"
    "2021年3月上旬（中旬、下旬）、2020年10月-2021年7月、2021年底前、2020年-2021年、"
    "2021年上半年、2021年一季度（第一季度）、每月、每季度、每半年、每年、每年11月底前、"
    "规划水平年、长期坚持、常态化推进、按照国家确定时间实施、具体时间行程待定"
)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _match(pattern: str, text: str) -> re.Match[str] | None:
    return _compiled(pattern).fullmatch(text)


def _date(raw: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DeadlineError(f"完成时限「{raw}」中的日期不存在") from None


def _month(raw: str, text: str) -> int:
    month = int(text)
    if not 1 <= month <= 12:
        raise DeadlineError(f"完成时限「{raw}」中的月份不存在")
    return month


def _ordered(raw: str, start: date, end: date) -> tuple[date, date]:
    if end < start:
        raise DeadlineError(f"完成时限「{raw}」的结束早于开始")
    return start, end


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_of_quarter(quarter: int, reference: date | None) -> int:
    if reference is None:
        raise DeadlineError("未写年份的季度需要登记册的创建起始日期来确定年份")
    year = reference.year
    return year if _month_end(year, quarter * 3) >= reference else year + 1


_QUARTER_NAMES = "一二三四"


def _period_label(start: date, end: date, months: int, ends_in_month: int) -> str:
    """How the office names a period: 2021年3月, 2021年第一季度, 2021年上半年, 2021年."""
    if months == 1:
        return f"{start.year}年{start.month}月"
    if months == 3 and ends_in_month % 3 == 0:
        return f"{start.year}年第{_QUARTER_NAMES[(start.month - 1) // 3]}季度"
    if months == 6 and ends_in_month % 6 == 0:
        return f"{start.year}年{'上' if start.month == 1 else '下'}半年"
    if months == 12:
        return f"{start.year}年" if ends_in_month == 12 else f"{end.year}年{end.month}月底前"
    return f"{start.year}年{start.month}月—{end.year}年{end.month}月"


def window_start(deadline: Deadline, program_start: date) -> date:
    """Where a deadline's window opens; a single day counts from the program start."""
    if deadline.start is not None:
        return deadline.start
    if deadline.end is not None and deadline.end < program_start:
        return deadline.end
    return program_start


def days_between(start: date, end: date, *, workdays: bool = False) -> int:
    """Days from `start` to `end` (positive when end is later); optionally working days only.

    Working days follow the official Chinese calendar (statutory holidays and 调休 make-up
    days) through the chinesecalendar package; WorkdayRangeError past the years it knows.
    """
    if not workdays:
        return (end - start).days
    sign, low, high = (1, start, end) if start <= end else (-1, end, start)
    return sign * count_workdays(low + timedelta(days=1), high)


def count_workdays(first: date, last: date) -> int:
    """Working days in [first, last] on the official calendar."""
    if last < first:
        return 0
    import chinese_calendar  # only --workdays needs it

    try:
        return len(chinese_calendar.get_workdays(first, last))
    except NotImplementedError:
        span = (
            f"{first.year}年{first.month}月{first.day}日至{last.year}年{last.month}月{last.day}日"
        )
        raise WorkdayRangeError(
            f"法定节假日数据只覆盖 {_covered_years()}，无法按工作日计算{span}的天数；"
            "请去掉 --workdays，按自然日计算"
        ) from None


def _covered_years() -> str:
    import chinese_calendar

    years = sorted({d.year for d in chinese_calendar.holidays})
    return f"{years[0]}–{years[-1]} 年" if years else "（无数据）"
