"""The query functions without the CLI: units by name, categories, filters, phases, statistics."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from safecity_cli.errors import UsageError
from safecity_cli.ledger.entries import Entry, Ledger, Status
from safecity_cli.registry.load import load_registry
from safecity_cli.registry.models import Registry
from safecity_cli.registry.units import resolve_unit
from safecity_cli.tracking.query import (
    ItemState,
    TaskFilter,
    compute_stats,
    current_phase,
    find_due,
    find_overdue,
    parse_category,
    parse_status,
    schedule_states,
    select_tasks,
    summarize_units,
)
from safecity_cli.tracking.state import TaskState

NOTHING = Ledger()
MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    target = tmp_path_factory.mktemp("queries") / "mini"
    shutil.copytree(MINI, target)
    return load_registry(target)


def entry(task: int, unit: str | None, status: Status, day: date) -> Entry:
    """A progress record as `safecity update` would append it."""
    return Entry(task, unit, status, day, datetime.combine(day, datetime.min.time()))


def ids(states: list[TaskState]) -> list[int]:
    return [s.task.id for s in states]


# -- resolve_unit -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("区住建局", "区住建局"),  # exact
        (" 区住建局 ", "区住建局"),  # as pasted, with spaces
        ("区城市管理局", "区城管局"),  # alias
        ("自然规划临潼分局", "资源规划临潼分局"),  # alias
        ("负有安全生产监管职责的区级部门", "区级负有安全生产监管职责的部门"),  # alias of a group
        ("住建", "区住建局"),  # part of a name
        ("骊山", "区骊山国有生态林场"),
        ("森林公园", "区骊山国有生态林场"),  # part of an alias only
        ("生态环境", "生态环境临潼分局"),  # in a name and its alias: still one unit
        ("各街办", "各街办"),
    ],
)
def test_resolve_unit(embedded: Registry, text: str, name: str) -> None:
    assert resolve_unit(embedded, text).name == name


def test_resolve_unit_ambiguous(embedded: Registry) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_unit(embedded, "临潼分局")
    assert caught.value.message == (
        "「临潼分局」可指多个单位：供电临潼分局、公安临潼分局、生态环境临潼分局、"
        "资源规划临潼分局，请写得更具体一些"
    )
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("住建局x", "未知的单位「住建局x」；是否指：区住建局"),
        ("区消防大队", "未知的单位「区消防大队」；是否指：区消防救援大队"),
        ("xyz", "未知的单位「xyz」；用 safecity units 查看全部单位"),
        ("", "未知的单位「」；用 safecity units 查看全部单位"),
    ],
)
def test_resolve_unit_unknown(embedded: Registry, text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_unit(embedded, text)
    assert caught.value.message == message


# -- parse_category / parse_status ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cid"),
    [
        ("1", 1),
        ("3", 3),
        (" 3 ", 3),
        ("三", 3),
        ("三、", 3),
        ("七", 7),
        ("加强城市安全风险防控", 3),
    ],
)
def test_parse_category(embedded: Registry, text: str, cid: int) -> None:
    assert parse_category(embedded, text) == cid


@pytest.mark.parametrize("text", ["8", "0", "八", "三三", "三、四"])
def test_parse_category_unknown(embedded: Registry, text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_category(embedded, text)
    assert caught.value.message.startswith(
        f"未知的类别「{text}」，可选：1（一、城市安全状况显著改善）、"
    )
    assert caught.value.message.endswith("、7（七、创建工作中的特色亮点工作）")


def test_parse_status() -> None:
    assert parse_status(" 已完成 ") is Status.DONE
    with pytest.raises(UsageError, match="未知的状态「完成」"):
        parse_status("完成")


# -- select_tasks -----------------------------------------------------------------------------


def test_no_filter_is_every_task_in_order(embedded: Registry) -> None:
    assert ids(select_tasks(embedded, NOTHING, date(2021, 1, 1), TaskFilter())) == list(
        range(1, 105)
    )


def test_filters_combine(embedded: Registry) -> None:
    on = date(2021, 1, 1)
    zhujian = embedded.unit("区住建局")
    by_unit = TaskFilter(unit=zhujian, category=3)
    assert ids(select_tasks(embedded, NOTHING, on, by_unit)) == [
        21, 27, 28, 31, 33, 34, 35, 39, 42, 44, 45, 46, 47, 48,
    ]  # fmt: skip
    before = TaskFilter(unit=zhujian, category=3, due_before=date(2021, 1, 1))
    assert ids(select_tasks(embedded, NOTHING, on, before)) == [
        27, 28, 33, 34, 39, 42, 44, 45, 46, 47,
    ]  # fmt: skip
    searched = TaskFilter(unit=zhujian, category=3, due_before=date(2021, 1, 1), search="隐患")
    assert ids(select_tasks(embedded, NOTHING, on, searched)) == [33, 42, 44, 45, 47]
    after = TaskFilter(unit=zhujian, category=3, due_after=date(2020, 12, 31))
    assert ids(select_tasks(embedded, NOTHING, on, after)) == [21, 31, 35, 48]


def test_due_before_and_after_are_strict(embedded: Registry) -> None:
    on = date(2021, 1, 1)
    assert ids(select_tasks(embedded, NOTHING, on, TaskFilter(due_before=date(2020, 10, 31)))) == []
    assert ids(select_tasks(embedded, NOTHING, on, TaskFilter(due_before=date(2020, 11, 1)))) == [
        46
    ]
    late = select_tasks(embedded, NOTHING, on, TaskFilter(due_after=date(2021, 7, 31)))
    assert ids(late) == [43, 49, 68, 69, 70, 71]  # 2020 年-2021 年 ends 2021-12-31


def test_open_deadline_and_search(embedded: Registry) -> None:
    on = date(2021, 1, 1)
    assert ids(select_tasks(embedded, NOTHING, on, TaskFilter(open_deadline=True))) == [14]
    found = select_tasks(embedded, NOTHING, on, TaskFilter(search="  黑名单 "))
    assert ids(found) == [89]


def test_search_inside_quotes(mini: Registry) -> None:
    found = select_tasks(mini, NOTHING, date(2021, 3, 1), TaskFilter(search="一张图"))
    assert ids(found) == [2]  # 执行“一张图一张表”


def test_status_filter_follows_the_ledger(embedded: Registry) -> None:
    ledger = Ledger(
        (
            entry(27, "区住建局", Status.DONE, date(2020, 12, 10)),
            entry(44, "区住建局", Status.IN_PROGRESS, date(2020, 12, 1)),
        )
    )
    zhujian = embedded.unit("区住建局")
    on = date(2021, 1, 1)
    done = select_tasks(embedded, ledger, on, TaskFilter(unit=zhujian, status=Status.DONE))
    assert ids(done) == [27]
    going = select_tasks(embedded, ledger, on, TaskFilter(unit=zhujian, status=Status.IN_PROGRESS))
    assert ids(going) == [44]
    # Before it was reported, 27 was not done yet.
    earlier = select_tasks(
        embedded, ledger, date(2020, 12, 9), TaskFilter(unit=zhujian, status=Status.DONE)
    )
    assert ids(earlier) == []
    # The whole task 27 is not done: 各街办 and 各园区管委会 have not reported.
    whole = select_tasks(embedded, ledger, on, TaskFilter(status=Status.DONE))
    assert ids(whole) == []


# -- overdue and due --------------------------------------------------------------------------


def test_find_overdue_excludes_what_a_unit_completed(embedded: Registry) -> None:
    zhujian = embedded.unit("区住建局")
    on = date(2021, 1, 1)
    before = find_overdue(embedded, NOTHING, on, zhujian)
    ledger = Ledger((entry(27, "区住建局", Status.DONE, date(2020, 12, 10)),))
    after = find_overdue(embedded, ledger, on, zhujian)
    assert ids(after) == [i for i in ids(before) if i != 27]
    assert ids(before)[0] == 46
    assert before[0].days_overdue == 62


def test_find_due(embedded: Registry) -> None:
    due = find_due(embedded, NOTHING, date(2021, 4, 20), 10)
    assert ids(due) == [10, 11, 12, 13, 16, 17, 18, 19, 25, 29, 31, 40, 48, 55, 59, 78, 91, 92]
    assert {s.days_left for s in due} == {10}
    assert find_due(embedded, NOTHING, date(2021, 4, 20), 9) == []
    with pytest.raises(UsageError, match="--within 应为不小于 0 的天数"):
        find_due(embedded, NOTHING, date(2021, 4, 20), -1)


# -- phases and the schedule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "name"),
    [
        (date(2020, 9, 30), None),
        (date(2020, 10, 1), "动员部署阶段"),
        (date(2020, 10, 31), "动员部署阶段"),
        (date(2020, 11, 1), "组织实施阶段"),
        (date(2021, 5, 31), "组织实施阶段"),
        (date(2021, 6, 1), "自评完善阶段"),
        (date(2021, 6, 30), "自评完善阶段"),
        (date(2021, 7, 1), "省级复核阶段"),
        (date(2021, 7, 31), "省级复核阶段"),
        (date(2021, 8, 1), "国家评议阶段"),
    ],
)
def test_current_phase(embedded: Registry, on: date, name: str | None) -> None:
    phase = current_phase(embedded, on)
    assert (phase.name if phase else None) == name


def test_current_phase_in_mini(mini: Registry) -> None:
    assert current_phase(mini, date(2020, 12, 31)) is None
    assert current_phase(mini, date(2021, 1, 31)).name == "动员部署阶段"  # type: ignore[union-attr]
    assert current_phase(mini, date(2021, 6, 1)).name == "国家评议阶段"  # type: ignore[union-attr]


def test_schedule_states(embedded: Registry) -> None:
    states = {
        s.item.id: (s.state, s.days_left) for s in schedule_states(embedded, date(2020, 11, 1))
    }
    assert states[1] == (ItemState.PASSED, -6)  # 2020 年 10 月 26 日前
    assert states[2] == (ItemState.PASSED, -1)  # 2020 年 10 月 31 日前
    assert states[3] == (ItemState.DUE_SOON, 4)  # 2020 年 11 月 5 日前
    assert states[4] == (ItemState.DUE_SOON, 9)
    assert states[5] == (ItemState.UPCOMING, 19)
    assert states[20] == (ItemState.UNDATED, None)  # 按照国家确定时间实施
    assert len(states) == 20


def test_schedule_soon_threshold(embedded: Registry) -> None:
    on = date(2020, 11, 6)  # 14 days before item 5 (2020-11-20)
    states = {s.item.id: s.state for s in schedule_states(embedded, on)}
    assert states[5] is ItemState.DUE_SOON
    states = {s.item.id: s.state for s in schedule_states(embedded, on, soon_days=13)}
    assert states[5] is ItemState.UPCOMING


# -- statistics -------------------------------------------------------------------------------


def test_compute_stats(embedded: Registry) -> None:
    stats = compute_stats(embedded, NOTHING, date(2021, 1, 1))
    assert stats.total == 104
    assert stats.overdue == 68
    assert [(label, n) for label, n, _ in stats.by_category] == [
        ("一、城市安全状况显著改善", 5),
        ("二、加强城市安全源头治理", 15),
        ("三、加强城市安全风险防控", 28),
        ("四、加强城市安全监督管理", 27),
        ("五、提升城市安全保障能力", 19),
        ("六、提升城市安全应急救援能力", 9),
        ("七、创建工作中的特色亮点工作", 1),
    ]
    assert dict(stats.by_status) == {
        "未启动": 104,
        "推进中": 0,
        "已完成": 0,
        "已销号": 0,
        "延期": 0,
        "暂缓": 0,
    }
    assert stats.by_month == [
        ("2020-10", 1),
        ("2020-12", 67),
        ("2021-04", 18),
        ("2021-05", 1),
        ("2021-06", 4),
        ("2021-07", 6),
        ("2021-12", 6),
        ("无固定期限", 1),
    ]
    units = {name: (tasks, overdue) for name, tasks, _, overdue in stats.by_unit}
    # 47 named, 9 through 区级负有安全生产监管职责的部门 (7 of them due in 2020 年 12 月), and 104
    assert units["区住建局"] == (57, 42)
    assert units["区财政局"] == (7, 4)  # 20, 76, 78, 87, 92, 98, and 104 by its kind
    # Only units a task names directly; a group named nowhere is left out.
    assert "各部门" not in units  # only in 附件3 (日程安排表)


def test_compute_stats_counts_completion(embedded: Registry) -> None:
    ledger = Ledger(
        (
            entry(76, "区财政局", Status.DONE, date(2020, 12, 20)),
            entry(76, None, Status.CLOSED, date(2020, 12, 28)),
        )
    )
    stats = compute_stats(embedded, ledger, date(2021, 1, 1))
    assert dict(stats.by_status)["已销号"] == 1
    assert dict(stats.by_status)["未启动"] == 103
    assert stats.overdue == 67
    assert stats.by_category[4][1:] == (19, 1)


def test_summarize_units_by_kind(embedded: Registry) -> None:
    courts = summarize_units(embedded, NOTHING, date(2021, 1, 1), "司法机关")
    assert [(s.unit.name, s.tasks, s.direct) for s in courts] == [
        ("区法院", 1, 1),
        ("区检察院", 1, 1),
    ]
    with pytest.raises(UsageError, match="未知的单位类型「乡镇」"):
        summarize_units(embedded, NOTHING, date(2021, 1, 1), "乡镇")
