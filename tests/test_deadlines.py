"""Every deadline form the documents use, parsed to its window."""

from __future__ import annotations

from datetime import date

import pytest

from safecity_cli.registry.deadlines import DeadlineError, DeadlineKind, parse_deadline

START = date(2020, 10, 1)


@pytest.mark.parametrize(
    ("raw", "kind", "start", "end"),
    [
        ("2020 年 11 月 5 日前", DeadlineKind.DAY, None, date(2020, 11, 5)),
        ("2020 年 10 月 26 日前", DeadlineKind.DAY, None, date(2020, 10, 26)),
        ("2020 年 12 月", DeadlineKind.MONTH, date(2020, 12, 1), date(2020, 12, 31)),
        ("2021 年 2 月", DeadlineKind.MONTH, date(2021, 2, 1), date(2021, 2, 28)),
        ("2021年6月底前", DeadlineKind.MONTH, date(2021, 6, 1), date(2021, 6, 30)),
        (
            "2020 年 10 月-2021 年 7 月",
            DeadlineKind.MONTH_RANGE,
            date(2020, 10, 1),
            date(2021, 7, 31),
        ),
        (
            "2020 年 10 月—2021年 7 月",
            DeadlineKind.MONTH_RANGE,
            date(2020, 10, 1),
            date(2021, 7, 31),
        ),
        ("2020 年-2021 年", DeadlineKind.YEAR_RANGE, date(2020, 1, 1), date(2021, 12, 31)),
        ("2021年底前", DeadlineKind.YEAR, date(2021, 1, 1), date(2021, 12, 31)),
        ("2021年上半年", DeadlineKind.HALF_YEAR, date(2021, 1, 1), date(2021, 6, 30)),
        ("2021年下半年", DeadlineKind.HALF_YEAR, date(2021, 7, 1), date(2021, 12, 31)),
        ("2021年第二季度", DeadlineKind.QUARTER, date(2021, 4, 1), date(2021, 6, 30)),
        # A quarter without a year: the first one not over before the program starts.
        ("第三季度", DeadlineKind.QUARTER, date(2021, 7, 1), date(2021, 9, 30)),
        ("第四季度", DeadlineKind.QUARTER, date(2020, 10, 1), date(2020, 12, 31)),
        ("规划水平年", DeadlineKind.OPEN, None, None),
        ("按照国家确定时间实施", DeadlineKind.OPEN, None, None),
        ("长期坚持", DeadlineKind.OPEN, None, None),
        ("具体时间行程待定", DeadlineKind.OPEN, None, None),
        ("每季度", DeadlineKind.RECURRING, None, None),
        # Forms other plans and the office use (issue 12, point 11).
        ("2021年一季度", DeadlineKind.QUARTER, date(2021, 1, 1), date(2021, 3, 31)),
        ("2021年四季度", DeadlineKind.QUARTER, date(2021, 10, 1), date(2021, 12, 31)),
        ("2021年第一季度", DeadlineKind.QUARTER, date(2021, 1, 1), date(2021, 3, 31)),
        ("2021年3月上旬", DeadlineKind.TEN_DAYS, date(2021, 3, 1), date(2021, 3, 10)),
        ("2021年3月中旬", DeadlineKind.TEN_DAYS, date(2021, 3, 11), date(2021, 3, 20)),
        ("2021年2月下旬", DeadlineKind.TEN_DAYS, date(2021, 2, 21), date(2021, 2, 28)),
        ("2024年2月下旬", DeadlineKind.TEN_DAYS, date(2024, 2, 21), date(2024, 2, 29)),
        (
            "2020年11月15日—2020年12月15日",
            DeadlineKind.DAY_RANGE,
            date(2020, 11, 15),
            date(2020, 12, 15),
        ),
        (
            "2020年11月15日-2020年12月15日",
            DeadlineKind.DAY_RANGE,
            date(2020, 11, 15),
            date(2020, 12, 15),
        ),
        (
            "2020年11月15日至2020年12月15日",
            DeadlineKind.DAY_RANGE,
            date(2020, 11, 15),
            date(2020, 12, 15),
        ),
        (
            "2020 年 11 月 15 日至 12 月 15 日",
            DeadlineKind.DAY_RANGE,
            date(2020, 11, 15),
            date(2020, 12, 15),
        ),
        ("每年11月底前", DeadlineKind.RECURRING, None, None),
        ("常态化推进", DeadlineKind.OPEN, None, None),
    ],
)
def test_forms(raw: str, kind: DeadlineKind, start: date | None, end: date | None) -> None:
    deadline = parse_deadline(raw, reference=START)
    assert (deadline.raw, deadline.kind, deadline.start, deadline.end) == (raw, kind, start, end)


def test_recurring_falls_due_at_each_period_end() -> None:
    quarterly = parse_deadline("每季度", reference=START)
    assert quarterly.next_due(date(2021, 2, 10)) == date(2021, 3, 31)
    assert parse_deadline("每月").next_due(date(2021, 2, 10)) == date(2021, 2, 28)
    assert parse_deadline("每年").next_due(date(2021, 2, 10)) == date(2021, 12, 31)


def test_periods_are_named_as_the_office_names_them() -> None:
    quarterly = parse_deadline("每季度")
    labels = [p.label for p in quarterly.periods(date(2020, 10, 1), date(2021, 4, 5))]
    assert labels == ["2020年第四季度", "2021年第一季度", "2021年第二季度"]
    assert parse_deadline("每月").period_of(date(2021, 2, 10)).label == "2021年2月"
    assert parse_deadline("每半年").period_of(date(2021, 8, 1)).label == "2021年下半年"
    assert parse_deadline("每年").period_of(date(2021, 8, 1)).label == "2021年"


def test_yearly_by_a_month_falls_due_at_that_months_end() -> None:
    yearly = parse_deadline("每年11月底前")
    assert yearly.next_due(date(2021, 2, 10)) == date(2021, 11, 30)
    assert yearly.next_due(date(2021, 12, 1)) == date(2022, 11, 30)
    period = yearly.period_of(date(2021, 2, 10))
    assert (period.start, period.end, period.label) == (
        date(2020, 12, 1),
        date(2021, 11, 30),
        "2021年11月底前",
    )


def test_a_refused_form_lists_the_accepted_ones() -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_deadline("下个月", reference=START)
    message = str(caught.value)
    assert message.startswith("无法识别的完成时限「下个月」；可用的写法：2020年11月5日前、")
    for form in ("2021年一季度", "2021年3月上旬（中旬、下旬）", "每年11月底前", "常态化推进"):
        assert form in message
    assert "2020年11月15日—2020年12月15日" in message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("尽快", "无法识别的完成时限「尽快」"),
        ("2021年3月末旬", "无法识别的完成时限"),
        ("2020年12月15日—2020年11月15日", "结束早于开始"),
        ("2021年2月30日—2021年3月5日", "日期不存在"),
        ("每年13月底前", "月份不存在"),
        ("2021年五季度", "无法识别的完成时限"),
        ("2020 年 13 月", "月份不存在"),
        ("2021 年 2 月 30 日前", "日期不存在"),
        ("2021 年 7 月-2020 年 10 月", "结束早于开始"),
    ],
)
def test_unrecognised_texts_are_quoted(raw: str, message: str) -> None:
    with pytest.raises(DeadlineError, match=message):
        parse_deadline(raw, reference=START)
