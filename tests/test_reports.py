"""Reports as a library: filters, Markdown escaping, the report contexts and template errors."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from safecity_cli.errors import TemplateError, UsageError
from safecity_cli.ledger.entries import Entry, Ledger, Status
from safecity_cli.ledger.files import load_ledger
from safecity_cli.registry.load import load_registry
from safecity_cli.registry.models import Registry
from safecity_cli.render.formats import escape_markdown
from safecity_cli.reports.engine import (
    Renderer,
    ReportFormat,
    chinese_numeral,
    guess_format,
    issue_number,
    progress_bar,
    section_number,
    subsection_number,
)
from safecity_cli.reports.notice import build_notice
from safecity_cli.reports.task_book import build_task_book, task_book_units
from safecity_cli.reports.weekly import build_gantt, build_weekly, issue_of

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def mini() -> tuple[Registry, Ledger]:
    """The mini registry with its fixture ledger (read-only, so shared by the module)."""
    registry = load_registry(FIXTURES / "mini")
    return registry, load_ledger(FIXTURES / "ledgers" / "mini")


# -- filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "零"),
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (35, "三十五"),
        (99, "九十九"),
        (100, "100"),
    ],
)
def test_chinese_numerals(number: int, text: str) -> None:
    assert chinese_numeral(number) == text


def test_heading_numbers_and_issue() -> None:
    assert section_number(3) == "三、"
    assert subsection_number(12) == "（十二）"
    assert issue_number(25) == "第25期"
    assert issue_number(None) == "启动前"


@pytest.mark.parametrize(
    ("rate", "bar"),
    [
        (0, "░░░░░░░░░░"),
        (0.01, "█░░░░░░░░░"),
        (0.5, "█████░░░░░"),
        (0.99, "█████████░"),
        (1, "██████████"),
    ],
)
def test_progress_bar_never_full_before_done(rate: float, bar: str) -> None:
    assert progress_bar(rate) == bar


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a | b", r"a \| b"),
        ("**粗体** 与 _斜体_", r"\*\*粗体\*\* 与 \_斜体\_"),
        ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
        ("第一行\n第二行", "第一行<br>第二行"),
        ("- 不是列表", r"\- 不是列表"),
        ("1. 不是列表", r"1\. 不是列表"),
        ("0.0%", "0.0%"),
        ("# 不是标题", r"\# 不是标题"),
        ("a\\b", "a\\\\b"),
        ("普通中文，不变。", "普通中文，不变。"),
    ],
)
def test_markdown_escaping(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


def test_format_follows_output_then_template() -> None:
    assert guess_format(None, Path("周报.html")) is ReportFormat.HTML
    assert guess_format(None, None, Path("my.html.j2")) is ReportFormat.HTML
    assert guess_format(None, Path("周报.md")) is ReportFormat.MD
    assert guess_format(ReportFormat.MD, Path("周报.html")) is ReportFormat.MD


# -- the weekly briefing ---------------------------------------------------------------------------


def test_issue_counts_weeks_from_the_programs_first_monday(mini: tuple[Registry, Ledger]) -> None:
    program = mini[0].program  # starts Friday 2021-01-01: its week began Monday 2020-12-28
    assert issue_of(program, date(2020, 12, 28)) == 1
    assert issue_of(program, date(2021, 1, 4)) == 2
    assert issue_of(program, date(2020, 12, 21)) is None


def test_weekly_mid_phase(mini: tuple[Registry, Ledger]) -> None:
    registry, ledger = mini
    weekly = build_weekly(registry, ledger, date(2021, 4, 2))
    assert (weekly.week_start, weekly.week_end, weekly.issue) == (
        date(2021, 3, 29),
        date(2021, 4, 4),
        14,
    )
    assert weekly.phase is not None and weekly.phase.name == "组织实施阶段"
    assert weekly.phase.days_left == 59
    assert weekly.days_to_final == 89
    assert [r.id for r in weekly.newly_complete] == [6]
    assert [r.id for r in weekly.newly_overdue] == [1]
    assert [(e.unit, e.task) for e in weekly.entries] == [
        ("县城管局", 3),
        ("县应急局", 6),
        ("东街道", 3),
        ("县应急局", 4),
        ("负有监管职责的部门", 5),
    ]
    assert [(g.unit, [r.id for r in g.rows]) for g in weekly.escalation] == [("县应急局", [1])]
    assert weekly.escalation[0].rows[0].days_overdue == 2
    assert weekly.total == 8 and weekly.complete == 1 and weekly.overdue == 1


def test_weekly_escalation_orders_units_by_how_much_they_have_overdue(
    mini: tuple[Registry, Ledger],
) -> None:
    registry, ledger = mini
    weekly = build_weekly(registry, ledger, date(2021, 7, 9))
    groups = [(g.unit, [r.id for r in g.rows]) for g in weekly.escalation]
    # 西街道 never reported on task 3; 县应急局 reported nothing within the second quarter on
    # the quarterly task 8 (issue 12: recurring deadlines fall due each period); everyone
    # else finished (or is not yet late).
    assert groups == [("西街道", [3]), ("县应急局", [8])]
    assert weekly.escalation[0].rows[0].level == "红"
    assert weekly.days_to_final == -9


def test_weekly_with_no_progress_reads_as_not_started(mini: tuple[Registry, Ledger]) -> None:
    registry, _ = mini
    weekly = build_weekly(registry, Ledger(), date(2021, 4, 2))
    assert weekly.recorded == 0 and weekly.complete == 0
    assert dict((s.status, s.count) for s in weekly.by_status)["未启动"] == 8
    assert weekly.ranking and all(r.complete == 0 and r.rank == 1 for r in weekly.ranking)


def test_weekly_before_the_start(mini: tuple[Registry, Ledger]) -> None:
    registry, ledger = mini
    weekly = build_weekly(registry, ledger, date(2020, 12, 20))
    assert weekly.issue is None and not weekly.started
    assert weekly.days_to_start == 12 and weekly.phase is None
    assert weekly.entries == [] and weekly.escalation == []


def test_ranking_ties_share_a_rank(mini: tuple[Registry, Ledger]) -> None:
    registry, ledger = mini
    ranking = build_weekly(registry, ledger, date(2021, 7, 9)).ranking
    assert [(r.rank, r.unit, r.complete, r.tasks) for r in ranking] == [
        (1, "县住建局", 1, 1),
        (1, "县市场监管局", 1, 1),
        (1, "县城管局", 1, 1),
        (1, "县消防大队", 1, 1),
        (5, "县应急局", 4, 5),
        (6, "东街道", 2, 8),  # task 1 counts for everyone once the office 销号 it
        (7, "西街道", 1, 8),
        (8, "负有监管职责的部门", 0, 1),
    ]
    rates = [r.rate for r in ranking]
    assert rates == sorted(rates, reverse=True)


def test_weekly_counts_working_days_on_the_official_calendar(
    mini: tuple[Registry, Ledger],
) -> None:
    registry, ledger = mini
    # Task 1 fell due on 2021-03-31; 4月3日–5日 is the 清明 holiday.
    on = date(2021, 4, 6)
    calendar = build_weekly(registry, ledger, on).escalation[0].rows[0]
    working = build_weekly(registry, ledger, on, workdays=True)
    assert calendar.days_overdue == 6
    assert working.escalation[0].rows[0].days_overdue == 3
    assert working.day_unit == "个工作日"


def test_workdays_beyond_the_holiday_calendar_is_a_clear_error(
    mini: tuple[Registry, Ledger],
) -> None:
    registry, ledger = mini
    with pytest.raises(UsageError, match=r"法定节假日数据只覆盖 .*请去掉 --workdays"):
        build_weekly(registry, ledger, date(2099, 1, 5), workdays=True)


def test_gantt_places_phases_items_and_today(mini: tuple[Registry, Ledger]) -> None:
    registry, _ = mini
    gantt = build_gantt(registry, date(2021, 4, 2))
    assert gantt.undated == ["国家评议阶段"]
    phases, items = gantt.sections
    assert [(b.label, b.state) for b in phases.bars] == [
        ("动员部署阶段", "done"),
        ("组织实施阶段", "active"),
    ]
    # Issue 12: an item is done only once recorded; 日程1's date has passed unrecorded.
    assert [(b.label, b.milestone, b.state) for b in items.bars] == [
        ("日程1 印发实施方案", True, "crit"),
        ("日程2 完成自评报告", True, ""),
    ]
    recorded = Ledger(
        [Entry("S1", "县应急局", Status.DONE, date(2021, 1, 18), datetime(2021, 1, 18, 9))]
    )
    done = build_gantt(registry, date(2021, 4, 2), ledger=recorded).sections[1].bars[0]
    assert (done.label, done.state) == ("日程1 印发实施方案", "done")
    assert gantt.start == date(2021, 1, 1) and gantt.end == date(2021, 6, 30)
    assert 0 < gantt.today < 100
    assert [t.label for t in gantt.ticks] == ["2021年1月", "2月", "3月", "4月", "5月", "6月"]


# -- task books and notices -------------------------------------------------------------------------


def test_task_book_lists_tasks_through_groups(mini: tuple[Registry, Ledger]) -> None:
    registry, ledger = mini
    east = registry.unit("东街道")
    assert east is not None
    book = build_task_book(registry, ledger, east, date(2021, 4, 2))
    assert book.total == 8 and book.direct == 0 and book.groups == ["各街道"]
    rows = [r for c in book.categories for r in c.rows]
    assert {r.source for r in rows} == {"经各街道"}
    task3 = next(r for r in rows if r.id == 3)
    assert task3.note is not None and task3.note.unit == "东街道"
    assert [i.id for i in book.items] == [2]


def test_task_book_of_a_group_every_task_applies_to(embedded: Registry) -> None:
    unit = embedded.unit("各街办")
    assert unit is not None
    book = build_task_book(embedded, Ledger(), unit, date(2021, 3, 15))
    assert book.total == 104 and book.general == book.total - book.direct > 0
    assert book.groups == []


def test_all_units_skips_groups_that_list_members(mini: tuple[Registry, Ledger]) -> None:
    names = [u.name for u in task_book_units(mini[0])]
    assert "各街道" not in names and "负有监管职责的部门" in names


def test_notice_lists_overdue_and_yellow_red_most_urgent_first(
    mini: tuple[Registry, Ledger],
) -> None:
    registry, ledger = mini
    west = registry.unit("西街道")
    assert west is not None
    notice = build_notice(registry, ledger, west, date(2021, 5, 10))
    # 8 (每季度, through 全部任务适用): no report within the first quarter (issue 12).
    rows = [(r.id, r.level) for r in notice.rows]
    assert rows == [(6, "红"), (1, "红"), (8, "红"), (3, "黄"), (4, "黄")]
    assert notice.reply_by == date(2021, 5, 17)
    assert (notice.overdue, notice.red, notice.yellow) == (3, 3, 2)


def test_notice_reply_date_cannot_precede_it(mini: tuple[Registry, Ledger]) -> None:
    registry, ledger = mini
    unit = registry.unit("县应急局")
    assert unit is not None
    with pytest.raises(UsageError, match="回复期限2021年3月1日早于通知日期2021年4月2日"):
        build_notice(registry, ledger, unit, date(2021, 4, 2), reply_by=date(2021, 3, 1))


# -- templates ------------------------------------------------------------------------------------


def _render_with(
    tmp_path: Path, source: str, mini: tuple[Registry, Ledger], name: str = "t.md.j2"
) -> str:
    template = tmp_path / name
    template.write_text(source, encoding="utf-8")
    registry, ledger = mini
    report = build_weekly(registry, ledger, date(2021, 4, 2))
    return Renderer(ReportFormat.MD, template=template).render("weekly", report)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "第一行\n{% if %}\n",
            r"t\.md\.j2 第 2 行：语法错误：此处缺少表达式（Expected an expression",
        ),
        ("{% for x in y %}\n", r"t\.md\.j2 第 1 行：语法错误：模板意外结束"),
        (
            "{{ program.name }}\n\n{{ nonexistent }}\n",
            r"t\.md\.j2 第 3 行：变量「nonexistent」未定义",
        ),
        ("{{ program.nope }}\n", r"t\.md\.j2 第 1 行：.*没有属性「nope」"),
        ("{{ program.__class__.__mro__ }}\n", r"t\.md\.j2 第 1 行：模板不能访问此属性或方法"),
        # a report row's verdict is asked once per (type, name): still refused every time
        ("{{ program.__dataclass_fields__ }}\n", r"t\.md\.j2 第 1 行：模板不能访问此属性或方法"),
        ("{{ levels.red }}{{ levels.__dict__ }}\n", r"t\.md\.j2 第 1 行：模板不能访问此属性或方法"),
        ("{{ levels.red }}\n{{ gantt.__init__ }}\n", r"t\.md\.j2 第 2 行：模板不能访问此属性或方法"),
        ("{% for x in range(10**9) %}{% endfor %}\n", r"t\.md\.j2 第 1 行："),
        ("\n{% include 'nowhere.j2' %}\n", r"t\.md\.j2 第 2 行：找不到被引用的模板「nowhere\.j2」"),
        ("{{ 1 / 0 }}\n", r"t\.md\.j2 第 1 行：渲染出错（ZeroDivisionError"),
    ],
)
def test_a_broken_template_says_where(
    tmp_path: Path, mini: tuple[Registry, Ledger], source: str, message: str
) -> None:
    with pytest.raises(TemplateError, match=message) as caught:
        _render_with(tmp_path, source, mini)
    assert caught.value.exit_code == 1


def test_markdown_output_is_escaped_unless_marked_safe(
    tmp_path: Path, mini: tuple[Registry, Ledger]
) -> None:
    text = _render_with(tmp_path, "{{ '<b>|*' }} {{ '<b>' | safe }} {{ 'a:b' | mermaid }}\n", mini)
    assert text == "\\<b\\>\\|\\* <b> a：b\n"


def test_html_output_is_autoescaped(tmp_path: Path, mini: tuple[Registry, Ledger]) -> None:
    template = tmp_path / "t.html.j2"
    template.write_text("{{ '<script>' }}|{{ 'a\nb' | nl2br }}\n", encoding="utf-8")
    registry, ledger = mini
    report = build_weekly(registry, ledger, date(2021, 4, 2))
    text = Renderer(ReportFormat.HTML, template=template).render("weekly", report)
    assert text == "&lt;script&gt;|a<br>b\n"


def test_a_template_in_the_registry_overrides_the_packaged_one(
    tmp_path: Path, mini: tuple[Registry, Ledger]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "mini", data)
    (data / "templates").mkdir()
    (data / "templates" / "weekly.md.j2").write_text(
        "{{ program.short_name }} {{ issue | issue_number }}\n", encoding="utf-8"
    )
    registry, ledger = mini
    report = build_weekly(registry, ledger, date(2021, 4, 2))
    assert (
        Renderer(ReportFormat.MD, data_dir=data).render("weekly", report)
        == "示例县创建工作 第14期\n"
    )
    # The other templates still come with the package.
    assert "\\<" not in Renderer(ReportFormat.MD, data_dir=data).render(
        "notice", build_notice(registry, ledger, registry.units[1], date(2021, 4, 2))
    )


def test_a_missing_template_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="模板文件不存在"):
        Renderer(ReportFormat.MD, template=tmp_path / "nope.md.j2")


def test_a_past_week_reads_the_same_whatever_was_recorded_since(
    mini: tuple[Registry, Ledger],
) -> None:
    registry, ledger = mini
    on = date(2021, 4, 2)
    assert build_weekly(registry, ledger, on) == build_weekly(registry, ledger.as_of(on), on)
