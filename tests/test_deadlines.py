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


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("尽快", "无法识别的完成时限「尽快」"),
        ("2020 年 13 月", "月份不存在"),
        ("2021 年 2 月 30 日前", "日期不存在"),
        ("2021 年 7 月-2020 年 10 月", "结束早于开始"),
    ],
)
def test_unrecognised_texts_are_quoted(raw: str, message: str) -> None:
    with pytest.raises(DeadlineError, match=message):
        parse_deadline(raw, reference=START)
