"""export ics: a valid RFC 5545 feed, parsed back with the icalendar library."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.exchange.ics import build_calendar, item_uid, task_uid
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.load import load_registry

MINI = Path(__file__).parent / "fixtures" / "mini"
STAMP = datetime(2021, 3, 20, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


def events(data: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(data)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_one_all_day_event_per_dated_task_and_item(mini: Path) -> None:
    registry = load_registry(mini)
    feed = build_calendar(registry, Ledger(), date(2021, 3, 20), stamp=STAMP)
    found = events(feed.data)
    dated = [t.id for t in registry.tasks if t.deadline.end is not None]
    assert dated == [1, 2, 3, 4, 5, 6]
    # Task 7 (规划水平年) and item 3 (按照国家确定时间实施) have no date; task 8 (每季度) repeats.
    assert set(found) == {task_uid(registry, i) for i in [*dated, 8]} | {
        item_uid(registry, 1),
        item_uid(registry, 2),
    }
    assert (feed.tasks, feed.items, feed.undated) == (7, 2, 2)
    for event in found.values():
        start, end = event["DTSTART"].dt, event["DTEND"].dt  # type: ignore[index]
        assert type(start) is date and end == date.fromordinal(start.toordinal() + 1)
        assert event["DTSTAMP"].dt == STAMP  # type: ignore[index]


def test_event_says_what_is_due_who_owns_it_and_the_original_text(mini: Path) -> None:
    registry = load_registry(mini)
    feed = build_calendar(registry, Ledger(), date(2021, 3, 20), stamp=STAMP)
    event = events(feed.data)[task_uid(registry, 6)]
    assert event["DTSTART"].dt == date(2021, 2, 15)  # type: ignore[index]
    assert str(event["SUMMARY"]) == "任务6到期：组建专业应急救援队伍"  # type: ignore[index]
    assert str(event["DESCRIPTION"]).split("\n") == [  # type: ignore[index]
        "任务6：组建专业应急救援队伍。",
        "类别：三、应急救援",
        "责任单位：县消防大队、县应急局",
        "完成时限：2021年2月15日前",
        "状态（截至2021年3月20日）：未启动，红色督办，逾期 33 天",
    ]
    assert [str(c) for c in event["CATEGORIES"].cats] == ["创建任务", "应急救援"]  # type: ignore[index]
    item = events(feed.data)[item_uid(registry, 2)]
    assert str(item["SUMMARY"]) == "日程2：完成自评报告"  # type: ignore[index]
    assert "责任单位：县应急局、各街道" in str(item["DESCRIPTION"])  # type: ignore[index]


def test_a_recurring_deadline_is_one_repeating_event(mini: Path) -> None:
    registry = load_registry(mini)
    feed = build_calendar(registry, Ledger(), date(2021, 3, 20), stamp=STAMP)
    event = events(feed.data)[task_uid(registry, 8)]
    assert event["DTSTART"].dt == date(2021, 3, 31)  # type: ignore[index]
    rule = event["RRULE"]  # type: ignore[index]
    assert rule["FREQ"] == ["MONTHLY"] and rule["INTERVAL"] == [3]
    assert rule["BYMONTHDAY"] == [-1] and rule["UNTIL"] == [date(2021, 6, 30)]


def test_uids_are_stable_so_a_reimport_updates(mini: Path) -> None:
    registry = load_registry(mini)
    march = build_calendar(registry, Ledger(), date(2021, 3, 20), stamp=STAMP)
    june = build_calendar(
        registry, Ledger(), date(2021, 6, 1), stamp=datetime(2021, 6, 1, tzinfo=timezone.utc)
    )
    assert set(events(march.data)) == set(events(june.data))
    # The identity follows the registry's content, not the folder it sits in.
    moved = mini.parent / "elsewhere"
    shutil.copytree(mini, moved)
    assert task_uid(load_registry(moved), 1) == task_uid(registry, 1)


def test_feed_is_well_formed_rfc5545(mini: Path) -> None:
    feed = build_calendar(load_registry(mini), Ledger(), date(2021, 3, 20), stamp=STAMP)
    assert feed.data.startswith(b"BEGIN:VCALENDAR\r\n") and feed.data.endswith(b"END:VCALENDAR\r\n")
    lines = feed.data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)  # folded at 75 octets
    assert b"\n" not in feed.data.replace(b"\r\n", b"")
    calendar = Calendar.from_ical(feed.data)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"]).startswith("-//safecity//")
    assert str(calendar["X-WR-CALNAME"]) == "示例县创建工作"
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            assert required in event


def test_cli_writes_a_file_and_filters_by_unit(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "消防.ics"
    result = runner.invoke(
        app,
        [
            "export",
            "ics",
            "--unit",
            "消防",
            "--date",
            "2021-03-20",
            "--data",
            str(mini),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"已写入 {out}：共 1 项任务、0 项日程\n"
    registry = load_registry(mini)
    found = events(out.read_bytes())
    assert set(found) == {task_uid(registry, 6)}
    assert (
        str(Calendar.from_ical(out.read_bytes())["X-WR-CALNAME"]) == "示例县创建工作（县消防大队）"
    )


def test_cli_default_name_and_stdout(
    runner: CliRunner, mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["export", "ics", "--date", "2021-03-20", "--data", str(mini)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "已写入 任务日历.ics：共 7 项任务、2 项日程；2 项无具体日期，未列入\n"
    result = runner.invoke(
        app, ["export", "ics", "--date", "2021-03-20", "--data", str(mini), "-o", "-"]
    )
    assert result.exit_code == 0 and result.stderr == ""
    assert len(events(result.stdout.encode())) == 9


# -- reminders -----------------------------------------------------------------------------------


def alarms(data: bytes) -> dict[str, list[object]]:
    return {uid: list(e.walk("VALARM")) for uid, e in events(data).items()}  # type: ignore[attr-defined]


def test_open_deadlines_remind_three_days_before_at_nine(mini: Path) -> None:
    registry = load_registry(mini)
    feed = build_calendar(registry, Ledger(), date(2021, 3, 20), stamp=STAMP)
    found = alarms(feed.data)
    reminded = {uid for uid, found_alarms in found.items() if found_alarms}
    # Task 6 (2021-02-15) and item 1 (2021-01-20) are past: a reminder would only pop up on
    # import. Task 8 (每季度) recurs, so its next quarters are reminded.
    assert reminded == {task_uid(registry, i) for i in (1, 2, 3, 4, 5, 8)} | {item_uid(registry, 2)}
    (alarm,) = found[task_uid(registry, 1)]
    assert str(alarm["ACTION"]) == "DISPLAY"  # type: ignore[index]
    assert alarm["TRIGGER"].dt == timedelta(days=-3, hours=9)  # type: ignore[index]
    assert str(alarm["DESCRIPTION"]) == (  # type: ignore[index]
        "任务1到期：编制城市安全专项规划（还有 3 天）"
    )


def test_remind_zero_sets_no_reminder(mini: Path) -> None:
    feed = build_calendar(load_registry(mini), Ledger(), date(2021, 3, 20), stamp=STAMP, remind=0)
    assert b"VALARM" not in feed.data
    assert len(events(feed.data)) == 9


def test_cli_remind_days_and_per_unit_feed(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "住建.ics"
    args = ["export", "ics", "--unit", "县住建局", "--date", "2021-03-20", "--data", str(mini)]
    result = runner.invoke(app, [*args, "--remind", "7", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    registry = load_registry(mini)
    found = alarms(out.read_bytes())
    assert any(found.values())
    assert all(
        a["TRIGGER"].dt == timedelta(days=-7, hours=9)  # type: ignore[index]
        for found_alarms in found.values()
        for a in found_alarms
    )
    assert task_uid(registry, 6) not in found  # still only the unit's own tasks
    assert str(Calendar.from_ical(out.read_bytes())["X-WR-CALNAME"]).endswith("（县住建局）")
    result = runner.invoke(app, [*args, "-o", "-"])  # the default: 3 days
    feed = alarms(result.stdout.encode())
    triggers = {a["TRIGGER"].dt for found_alarms in feed.values() for a in found_alarms}  # type: ignore[index]
    assert triggers == {timedelta(days=-3, hours=9)}


@pytest.mark.parametrize("value", ["-1", "91"])
def test_cli_remind_out_of_range(runner: CliRunner, mini: Path, value: str) -> None:
    result = runner.invoke(
        app, ["export", "ics", "--data", str(mini), "--remind", value, "-o", "-"]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"错误：--remind 应为 0 到 90 之间的天数（0 表示不设提醒），而不是 {value}\n"
    )
