"""The query commands end to end, on the embedded registry, with answers taken from the document.

Nothing is recorded in the embedded registry, so every task is 未启动 and "overdue" means
the deadline's last day is before the date asked about.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
from markdown_it import MarkdownIt
from typer.testing import CliRunner, Result

from safecity_cli import __version__
from safecity_cli.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"

# 附件2 完成时限, grouped by the month each deadline ends in (the document's own words).
ENDS_2020_10 = [46]  # 2020 年 10 月
ENDS_2020_12 = [  # 2020 年 12 月
    6, 7, 8, 9, 20, 22, 23, 24, 26, 27, 28, 30, 32, 33, 34, 36, 37, 38, 39, 41, 42, 44, 45,
    47, 50, 51, 52, 53, 54, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 67, 72, 73, 74, 75, 76,
    77, 79, 80, 82, 83, 84, 85, 86, 87, 88, 89, 90, 93, 94, 95, 96, 97, 98, 100, 101, 102, 103,
]  # fmt: skip
ENDS_2021_04 = [10, 11, 12, 13, 16, 17, 18, 19, 25, 29, 31, 40, 48, 55, 59, 78, 91, 92]
ENDS_2021_05 = [21]  # 2021 年 5 月
ENDS_2021_06 = [15, 35, 81, 99]  # 2021 年 6 月
ENDS_2021_07 = [1, 2, 3, 4, 5, 104]  # 2020 年 10 月-2021 年 7 月, 2021 年 7 月
ENDS_2021_12 = [43, 49, 68, 69, 70, 71]  # 2020 年-2021 年
NO_END = [14]  # 规划水平年

# 附件2 rows whose 责任单位 name 区住建局.
ZHUJIAN = [
    6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 21, 27, 28, 31, 33, 34, 35, 39, 42, 44, 45, 46, 47,
    48, 54, 58, 61, 62, 64, 65, 66, 67, 74, 77, 80, 81, 84, 88, 89, 93, 95, 96, 97, 98, 99,
    101, 103,
]  # fmt: skip
# Rows that reach 区住建局 through a group it belongs to: 区级负有安全生产监管职责的部门 (51…94;
# task 103 names it among them) and, by its kind, 区级部门和单位 (104).
THROUGH_DUTY = [51, 53, 55, 56, 59, 60, 73, 75, 94]
ZHUJIAN_ALL = sorted([*ZHUJIAN, *THROUGH_DUTY, 104])
# 附件2 rows that do not name 各街办 (备注 2 makes them 各街办's all the same).
WITHOUT_JIEBAN = [68, 76, 77, 89, 93, 102, 103]


def test_deadline_table_agrees_with_the_registry(runner: CliRunner) -> None:
    # The lists above are read off the document; check them against every task's JSON.
    groups = {
        "2020-10": ENDS_2020_10,
        "2020-12": ENDS_2020_12,
        "2021-04": ENDS_2021_04,
        "2021-05": ENDS_2021_05,
        "2021-06": ENDS_2021_06,
        "2021-07": ENDS_2021_07,
        "2021-12": ENDS_2021_12,
        None: NO_END,
    }
    ends = {row["id"]: row["deadline"]["end"] for row in as_json(runner, "list")}
    month = {tid: end[:7] if end else None for tid, end in ends.items()}
    assert month == {tid: key for key, group in groups.items() for tid in group}


def run(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args), prog_name="safecity")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def ok(runner: CliRunner, *args: str) -> Result:
    result = run(runner, *args)
    assert result.exit_code == 0, result.stderr
    return result


def as_json(runner: CliRunner, *args: str) -> Any:
    result = ok(runner, *args, "--format", "json")
    assert result.stderr == ""
    return json.loads(result.stdout)


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


@pytest.fixture
def mini(tmp_path: Path) -> str:
    """A copy of the shared mini registry (the original stays untouched)."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return str(target)


# -- list --unit ------------------------------------------------------------------------------


def test_tasks_of_zhujian(runner: CliRunner) -> None:
    rows = as_json(runner, "list", "--unit", "区住建局", "--date", "2021-01-01")
    assert ids(rows) == ZHUJIAN_ALL
    via = {row["id"]: row["via"] for row in rows}
    assert [tid for tid in ZHUJIAN if via[tid] is not None] == []  # named directly
    assert {via[tid] for tid in THROUGH_DUTY} == {"区级负有安全生产监管职责的部门"}
    assert via[104] == "区级部门和单位"
    assert all(row["unit_status"] == {"区住建局": "未启动"} for row in rows)


@pytest.mark.parametrize("spelling", ["住建", " 区住建局 ", "区住建"])
def test_unit_by_part_of_its_name(runner: CliRunner, spelling: str) -> None:
    assert ids(as_json(runner, "list", "--unit", spelling)) == ZHUJIAN_ALL


def test_unit_by_alias(runner: CliRunner) -> None:
    # 区城市管理局 is how task 15 writes 区城管局.
    rows = as_json(runner, "list", "--unit", "区城市管理局")
    assert ids(rows) == [8, 10, 15, 25, 31, 45, 61, 65, 91, 95, 96, 104]  # 104: 区级部门和单位


@pytest.mark.parametrize("group", ["各街办", "各园区管委会"])
def test_every_task_applies_to_the_jiedao_and_parks(runner: CliRunner, group: str) -> None:
    rows = as_json(runner, "list", "--unit", group, "--date", "2021-01-01")
    assert ids(rows) == list(range(1, 105))
    via = {row["id"]: row["via"] for row in rows}
    assert [tid for tid, v in via.items() if v] == WITHOUT_JIEBAN
    assert {via[tid] for tid in WITHOUT_JIEBAN} == {group}


def test_group_rows_say_where_they_come_from(runner: CliRunner) -> None:
    result = ok(runner, "list", "--unit", "各街办", "--search", "市财政保障")
    assert result.stdout.splitlines()[0].strip() == "各街办的任务"
    assert "来源" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.strip().startswith("76"))
    assert "经各街办" in row
    assert "共 1 项任务，其中 1 项经集合单位适用" in result.stdout


def test_list_filters(runner: CliRunner) -> None:
    assert ids(as_json(runner, "list", "--category", "三")) == list(range(21, 49))
    assert ids(as_json(runner, "list", "--category", "3")) == list(range(21, 49))
    assert ids(as_json(runner, "list", "--category", "三、")) == list(range(21, 49))
    assert ids(as_json(runner, "list", "--open-deadline")) == NO_END
    # 燃气 as written, 可燃气体 (task 33) included: the search is for the characters.
    assert ids(as_json(runner, "list", "--search", "燃气")) == [8, 10, 31, 33, 34, 35, 81, 97]
    assert len(as_json(runner, "list", "--status", "未启动")) == 104
    before = as_json(runner, "list", "--due-before", "2021-01-01", "--due-after", "2020-11-30")
    assert ids(before) == ENDS_2020_12
    combined = as_json(
        runner, "list", "-u", "住建", "-c", "3", "--due-before", "2021/1/1", "--search", "隐患"
    )
    assert ids(combined) == [33, 42, 44, 45, 47]


def test_list_errors(runner: CliRunner) -> None:
    result = run(runner, "list", "--category", "八")
    assert result.exit_code == 2
    assert result.stderr == (
        "错误：未知的类别「八」，可选：1（一、城市安全状况显著改善）、2（二、加强城市安全源头治理）、"
        "3（三、加强城市安全风险防控）、4（四、加强城市安全监督管理）、5（五、提升城市安全保障能力）、"
        "6（六、提升城市安全应急救援能力）、7（七、创建工作中的特色亮点工作）\n"
    )
    result = run(runner, "list", "--status", "完成")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "错误：未知的状态「完成」，可选：未启动、推进中、已完成、已销号、延期、暂缓\n"
    )


# -- overdue ----------------------------------------------------------------------------------


def test_overdue_on_new_year_2021(runner: CliRunner) -> None:
    rows = as_json(runner, "overdue", "--date", "2021-01-01")
    # Most overdue first: 46 (2020 年 10 月) by 62 days, then every 2020 年 12 月 task by one.
    assert ids(rows) == ENDS_2020_10 + ENDS_2020_12
    assert rows[0]["days_overdue"] == 62
    assert {row["days_overdue"] for row in rows[1:]} == {1}
    assert {row["status"] for row in rows} == {"未启动"}


def test_overdue_on_may_day_2021(runner: CliRunner) -> None:
    rows = as_json(runner, "overdue", "--date", "2021-05-01")
    assert ids(rows) == ENDS_2020_10 + ENDS_2020_12 + ENDS_2021_04
    days = {row["id"]: row["days_overdue"] for row in rows}
    assert days[46] == 182
    assert {days[i] for i in ENDS_2020_12} == {121}
    assert {days[i] for i in ENDS_2021_04} == {1}
    assert 21 not in days  # 2021 年 5 月 runs to the 31st


def test_overdue_starts_the_day_after_the_deadline(runner: CliRunner) -> None:
    assert ids(as_json(runner, "overdue", "--date", "2020-12-31")) == [46]
    result = ok(runner, "overdue", "--date", "2020-10-31")
    assert result.stdout == ""
    assert result.stderr == "没有符合条件的任务\n"


def test_overdue_for_one_unit(runner: CliRunner) -> None:
    rows = as_json(runner, "overdue", "--date", "2021-05-01", "--unit", "区住建局")
    expected = [46] + [i for i in ENDS_2020_12 + ENDS_2021_04 if i in ZHUJIAN_ALL]
    assert ids(rows) == expected


def test_overdue_table(runner: CliRunner) -> None:
    result = ok(runner, "overdue", "--date", "2020-12-31")
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "截至2020年12月31日逾期未完成的任务"
    assert re.match(
        r"\s+46\s+三\s+持续开展全市群租房安全\s+.*2020 年 10 月\s+未启动\s+红\s+61 天", lines[4]
    )
    assert lines[-1].strip() == "共 1 项任务"


# -- due --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "within", "expected", "days_left"),
    [
        ("2021-04-20", "10", ENDS_2021_04, 10),
        ("2021-04-30", "0", ENDS_2021_04, 0),  # due today counts
        ("2021-05-01", "30", ENDS_2021_05, 30),
        ("2021-06-01", "30", ENDS_2021_06, 29),
        ("2021-04-16", None, ENDS_2021_04, 14),  # the default: 14 days
    ],
)
def test_due_within(
    runner: CliRunner, on: str, within: str | None, expected: list[int], days_left: int
) -> None:
    args = ["due", "--date", on] + (["--within", within] if within else [])
    rows = as_json(runner, *args)
    assert ids(rows) == expected
    assert {row["days_left"] for row in rows} == {days_left}


@pytest.mark.parametrize(("on", "within"), [("2021-04-20", "9"), ("2021-04-15", None)])
def test_due_nothing(runner: CliRunner, on: str, within: str | None) -> None:
    args = ["due", "--date", on] + (["--within", within] if within else [])
    result = ok(runner, *args)
    assert result.stdout == ""
    assert result.stderr == "没有符合条件的任务\n"


def test_due_soonest_first(runner: CliRunner) -> None:
    rows = as_json(runner, "due", "--date", "2021-04-20", "--within", "45")
    assert ids(rows) == ENDS_2021_04 + ENDS_2021_05
    assert [row["days_left"] for row in rows] == [10] * 18 + [41]


def test_due_for_one_unit(runner: CliRunner) -> None:
    rows = as_json(runner, "due", "--date", "2021-04-20", "--within", "10", "--unit", "住建")
    assert ids(rows) == [10, 11, 12, 16, 31, 48, 55, 59]  # 55, 59 through 区级负有…的部门


def test_due_negative_within(runner: CliRunner) -> None:
    result = run(runner, "due", "--within", "-1")
    assert result.exit_code == 2
    assert result.stderr == "错误：--within 应为不小于 0 的天数\n"


# -- schedule and phases ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "phase", "days_left"),
    [
        ("2020-09-30", None, None),
        ("2020-10-01", "动员部署阶段", 30),
        ("2020-10-31", "动员部署阶段", 0),
        ("2020-11-01", "组织实施阶段", 211),
        ("2021-05-31", "组织实施阶段", 0),
        ("2021-06-01", "自评完善阶段", 29),
        ("2021-07-31", "省级复核阶段", 0),
        ("2021-08-01", "国家评议阶段", None),  # 具体时间行程待定: after the last dated phase
        ("2022-03-01", "国家评议阶段", None),
    ],
)
def test_current_phase(
    runner: CliRunner, on: str, phase: str | None, days_left: int | None
) -> None:
    data = as_json(runner, "schedule", "--date", on)
    assert data["date"] == on
    assert data["current_phase"] == phase
    current = [p for p in data["phases"] if p["current"]]
    assert [p["name"] for p in current] == ([phase] if phase else [])
    if current:
        assert current[0]["days_left"] == days_left


def test_schedule_captions(runner: CliRunner) -> None:
    before = ok(runner, "schedule", "--date", "2020-09-30").stdout
    assert "截至2020年9月30日，创建工作尚未开始；共 5 个阶段、20 项日程" in before
    after = ok(runner, "schedule", "--date", "2021-08-01").stdout
    assert "截至2021年8月1日，当前：国家评议阶段；共 5 个阶段、20 项日程" in after


def test_schedule_json_contract(runner: CliRunner) -> None:
    data = as_json(runner, "schedule", "--date", "2020-11-01")
    assert [(p["name"], p["start"], p["end"], p["current"]) for p in data["phases"]] == [
        ("动员部署阶段", "2020-10-01", "2020-10-31", False),
        ("组织实施阶段", "2020-11-01", "2021-05-31", True),
        ("自评完善阶段", "2021-06-01", "2021-06-30", False),
        ("省级复核阶段", "2021-07-01", "2021-07-31", False),
        ("国家评议阶段", None, None, False),
    ]
    items = data["items"]
    assert ids(items) == list(range(1, 21))
    assert {"id", "text", "units", "deadline"} <= set(items[0])
    assert items[2] == {
        "id": 3,
        "text": "拟定《西安市临潼区国家安全发展示范城市创建实施方案（送审稿）》,报请区政府审议。",
        "units": ["区政府办", "区创建领导小组办公室"],
        "deadline": {
            "raw": "2020 年 11 月 5 日前",
            "kind": "day",
            "start": None,
            "end": "2020-11-05",
        },
        "state": "即将到期",
        "days_left": 4,
        # What its units recorded (issue 12: items are reportable as S3).
        "key": "S3",
        "status": "未启动",
        "unit_status": {"区政府办": "未启动", "区创建领导小组办公室": "未启动"},
        "days_overdue": None,
        "level": "黄",
    }
    states = {item["id"]: (item["state"], item["days_left"]) for item in items}
    assert states[1] == ("已到期", -6)
    assert states[5] == ("未到期", 19)
    assert states[6] == ("未到期", 272)  # 2020 年 10 月—2021年 7 月
    assert states[20] == ("无具体日期", None)  # 按照国家确定时间实施


# -- units ------------------------------------------------------------------------------------


def test_units_json_contract(runner: CliRunner) -> None:
    rows = as_json(runner, "units", "--date", "2021-01-01")
    assert len(rows) == 44
    by_name = {row["name"]: row for row in rows}
    zhujian = by_name["区住建局"]
    assert {"name", "kind", "aliases", "members", "tasks", "overdue"} <= set(zhujian)
    assert (zhujian["kind"], zhujian["aliases"], zhujian["members"]) == ("区级部门", [], None)
    assert (zhujian["tasks"], zhujian["direct_tasks"], zhujian["complete"], zhujian["open"]) == (
        57,
        47,
        0,
        57,
    )
    late = ENDS_2020_10 + ENDS_2020_12
    assert zhujian["overdue"] == len([i for i in late if i in ZHUJIAN_ALL])
    duty = by_name["区级负有安全生产监管职责的部门"]
    assert duty["kind"] == "集合"
    assert duty["aliases"] == [
        "负有安全生产监管职责的部门",
        "负有安全生产监管职责的区级部门",
        "负有安全生产监督管理职责的部门",
    ]
    # The units 附件2 names before 「等负有安全生产监管职责的部门」 (tasks 58, 66, 67, 69–71, 103)
    members = ["公安临潼分局", "区住建局", "区交运局", "区应急管理局", "区市场监管局"]
    assert (duty["members"], duty["resolved_members"], duty["member_kinds"]) == (
        members,
        members,
        [],
    )
    everyone = by_name["区级部门和单位"]
    assert everyone["member_kinds"] == ["区级部门", "驻区/分局"]
    assert everyone["members"] == everyone["resolved_members"]
    assert "区住建局" in everyone["members"] and "区消防救援大队" in everyone["members"]
    assert len(everyone["members"]) == 29  # 23 区级部门 and 6 驻区/分局
    assert by_name["各街办"]["resolved_members"] == []  # the office has still to name them
    assert zhujian["resolved_members"] is None and zhujian["member_kinds"] is None
    # 51, 53, 55, 56, 59, 60 and (under its aliases) 73, 94, 75
    assert duty["tasks"] == 9
    assert by_name["各街办"]["tasks"] == 104
    assert by_name["各街办"]["direct_tasks"] == 104 - len(WITHOUT_JIEBAN)


def test_units_by_kind(runner: CliRunner) -> None:
    rows = as_json(runner, "units", "--kind", "驻区/分局")
    assert [r["name"] for r in rows] == [
        "公安临潼分局",
        "区消防救援大队",
        "生态环境临潼分局",
        "资源规划临潼分局",
        "区气象局",
        "供电临潼分局",
    ]
    result = run(runner, "units", "--kind", "乡镇")
    assert result.exit_code == 2
    assert result.stderr == (
        "错误：未知的单位类型「乡镇」，可选：区级部门、驻区/分局、街办/园区、议事协调机构、"
        "司法机关、群团组织、集合\n"
    )


def test_units_table_shows_every_column(runner: CliRunner) -> None:
    # At 100 columns the last two columns used to be cropped off silently.
    header = ok(runner, "units").stdout.splitlines()[2].split()
    assert header == [
        "单位",
        "类型",
        "别名",
        "成员",
        "任务数",
        "直接承担",
        "已完成",
        "未完成",
        "逾期",
        "催办",
    ]


# -- stats ------------------------------------------------------------------------------------


def test_stats_json(runner: CliRunner) -> None:
    data = as_json(runner, "stats", "--date", "2021-01-01")
    assert (data["date"], data["total"], data["overdue"]) == ("2021-01-01", 104, 68)
    assert [(c["category"], c["tasks"]) for c in data["by_category"]] == [
        ("一、城市安全状况显著改善", 5),
        ("二、加强城市安全源头治理", 15),
        ("三、加强城市安全风险防控", 28),
        ("四、加强城市安全监督管理", 27),
        ("五、提升城市安全保障能力", 19),
        ("六、提升城市安全应急救援能力", 9),
        ("七、创建工作中的特色亮点工作", 1),
    ]
    assert data["by_status"] == {
        "未启动": 104,
        "推进中": 0,
        "已完成": 0,
        "已销号": 0,
        "延期": 0,
        "暂缓": 0,
    }
    assert data["by_month"] == {
        "2020-10": len(ENDS_2020_10),
        "2020-12": len(ENDS_2020_12),
        "2021-04": len(ENDS_2021_04),
        "2021-05": len(ENDS_2021_05),
        "2021-06": len(ENDS_2021_06),
        "2021-07": len(ENDS_2021_07),
        "2021-12": len(ENDS_2021_12),
        "无固定期限": len(NO_END),
    }
    top = [(u["unit"], u["tasks"]) for u in data["by_unit"][:5]]
    assert top == [
        ("各园区管委会", 104),
        ("各街办", 104),
        ("区应急管理局", 61),
        ("区住建局", 57),
        ("区交运局", 55),
    ]


# -- unit names that are not one unit ---------------------------------------------------------

AMBIGUOUS = (
    "错误：「临潼分局」可指多个单位：供电临潼分局、公安临潼分局、生态环境临潼分局、"
    "资源规划临潼分局，请写得更具体一些\n"
)


@pytest.mark.parametrize("command", ["list", "overdue", "due"])
def test_ambiguous_unit(runner: CliRunner, command: str) -> None:
    result = run(runner, command, "--unit", "临潼分局", "--date", "2021-01-01")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == AMBIGUOUS


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("住建局x", "错误：未知的单位「住建局x」；是否指：区住建局\n"),
        ("区应急局", "错误：未知的单位「区应急局」；是否指：区应急管理局、区财政局、区秦保局\n"),
        ("xyz", "错误：未知的单位「xyz」；用 safecity units 查看全部单位\n"),
    ],
)
@pytest.mark.parametrize("command", ["list", "overdue", "due"])
def test_unknown_unit(runner: CliRunner, command: str, name: str, message: str) -> None:
    result = run(runner, command, "--unit", name)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message


# -- dates ------------------------------------------------------------------------------------

DATED = ["list", "overdue", "due", "units", "schedule", "stats"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2021-13-01", "错误：--date 日期「2021-13-01」不存在（月份或日期超出范围）\n"),
        ("2021年2月30日", "错误：--date 日期「2021年2月30日」不存在（月份或日期超出范围）\n"),
        (
            "明天",
            "错误：--date 日期「明天」无法识别，请写成 2021-01-01、2021/1/1、2021.1.1、2021年1月1日 或 today\n",
        ),
        (
            "01/01/2021",
            "错误：--date 日期「01/01/2021」无法识别，请写成 2021-01-01、2021/1/1、2021.1.1、2021年1月1日 或 today\n",
        ),
    ],
)
@pytest.mark.parametrize("command", DATED)
def test_bad_date(runner: CliRunner, command: str, text: str, message: str) -> None:
    result = run(runner, command, "--date", text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message


def test_bad_due_before(runner: CliRunner) -> None:
    result = run(runner, "list", "--due-before", "2021-02-30")
    assert result.exit_code == 2
    assert result.stderr == "错误：--due-before 日期「2021-02-30」不存在（月份或日期超出范围）\n"


@pytest.mark.parametrize(
    "text",
    [
        "2021-04-20",
        "2021/4/20",
        "2021年4月20日",
        "2021 年 4 月 20 日",
        "2021.4.20",
        "today",
        "今天",
    ],
)
@pytest.mark.parametrize("command", DATED)
def test_date_forms(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, command: str, text: str
) -> None:
    # The clock is read in one place; pin it so "today" is 2021-04-20.
    monkeypatch.setattr("safecity_cli.cli.clock.today", lambda: date(2021, 4, 20))
    expected = as_json(runner, command, "--date", "2021-04-20")
    assert expected  # every command has something to say that day
    assert as_json(runner, command, "--date", text) == expected
    assert as_json(runner, command) == expected  # no --date: today


# -- formats ----------------------------------------------------------------------------------

FORMAT_COMMANDS = [
    ("list", "--unit", "区住建局"),
    ("overdue", "--date", "2021-01-01"),
    ("due", "--date", "2021-04-20", "--within", "10"),
    ("units", "--date", "2021-01-01"),
    ("schedule", "--date", "2021-03-15"),
    ("stats", "--date", "2021-01-01"),
]
FORMAT_IDS = [c[0] for c in FORMAT_COMMANDS]


def _md_tables(markdown: str) -> list[list[list[str]]]:
    """Every table in a Markdown text as rows of cell texts, header row first."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[str]]] = []
    row: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            inline = tokens[i + 1]
            row.append(inline.content.replace("\\|", "|") if inline.type == "inline" else "")
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables


@pytest.mark.parametrize("args", FORMAT_COMMANDS, ids=FORMAT_IDS)
def test_table_format(runner: CliRunner, args: tuple[str, ...]) -> None:
    result = ok(runner, *args)
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert "─" in lines[3]  # title, blank line, header, rule


@pytest.mark.parametrize("args", FORMAT_COMMANDS, ids=FORMAT_IDS)
def test_json_format(runner: CliRunner, args: tuple[str, ...]) -> None:
    result = ok(runner, *args, "--format", "json")
    assert result.stderr == ""
    assert result.stdout.endswith("}\n") or result.stdout.endswith("]\n")
    assert json.loads(result.stdout)
    assert "\\u" not in result.stdout  # Chinese as Chinese


@pytest.mark.parametrize("args", FORMAT_COMMANDS, ids=FORMAT_IDS)
def test_csv_format(runner: CliRunner, args: tuple[str, ...]) -> None:
    result = ok(runner, *args, "-f", "csv")
    assert result.stderr == ""
    raw = result.stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel and WPS read UTF-8
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) > 1
    assert len({len(row) for row in rows}) == 1


@pytest.mark.parametrize("args", FORMAT_COMMANDS, ids=FORMAT_IDS)
def test_markdown_format(runner: CliRunner, args: tuple[str, ...]) -> None:
    result = ok(runner, *args, "--format", "md")
    assert result.stderr == ""
    assert result.stdout.startswith("## ")
    tables = _md_tables(result.stdout)
    assert len(tables) == 1
    assert len(tables[0]) > 1


def test_csv_rows_of_list(runner: CliRunner) -> None:
    raw = ok(runner, "list", "--unit", "区住建局", "--date", "2021-01-01", "-f", "csv").stdout_bytes
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
        "序号",
        "类别",
        "主要目标任务",
        "责任单位",
        "完成时限",
        "截止日期",
        "状态",
        "督办",
        "来源",
        "最新进展日期",
        "最新进展",
    ]
    assert [int(row[0]) for row in rows[1:]] == ZHUJIAN_ALL
    assert rows[1][4:6] == ["2020 年 12 月", "2020-12-31"]
    assert rows[1][3].endswith("区消防救援大队等相关部门，各街办、各园区管委会")


def _csv(runner: CliRunner, *args: str) -> list[dict[str, str]]:
    raw = ok(runner, *args, "-f", "csv").stdout_bytes
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture
def mini_progress(mini: str) -> str:
    shutil.copytree(FIXTURES / "ledgers" / "mini" / "progress", Path(mini) / "progress")
    return mini


def test_csv_of_tasks_is_data(runner: CliRunner, mini_progress: str) -> None:
    """Numbers without 天, ISO dates, the deadline's end after 延期, the latest note."""
    args = ("--date", "2021-04-02", "--data", mini_progress)
    (overdue,) = _csv(runner, "overdue", *args)
    assert (overdue["序号"], overdue["截止日期"], overdue["逾期天数"]) == ("1", "2021-03-31", "2")
    (moved,) = _csv(runner, "list", "--unit", "县市场监管局", *args)
    assert (moved["完成时限"], moved["截止日期"]) == ("2021年6月底前", "2021-07-31")  # 延期
    listed = {row["序号"]: row for row in _csv(runner, "list", *args)}
    assert (listed["1"]["最新进展日期"], listed["1"]["最新进展"]) == (
        "2021-03-16",
        "规划已通过专家评审，**正式印发**",
    )
    assert listed["7"]["截止日期"] == "" and listed["7"]["完成时限"] == "规划水平年"
    as_json = {str(t["id"]): t for t in json.loads(ok(runner, "list", *args, "-f", "json").stdout)}
    for key, row in listed.items():
        assert row["截止日期"] == (as_json[key]["effective_deadline"] or "")
        assert row["最新进展"] == (as_json[key]["latest_note"] or "")
    due = _csv(runner, "due", "--within", "60", *args)
    assert due and all(row["剩余天数"].isdigit() for row in due)


def test_csv_of_units_schedule_and_stats_is_data(runner: CliRunner, mini: str) -> None:
    args = ("--date", "2021-03-20", "--data", mini)
    units = _csv(runner, "units", *args)
    assert all(row[k].isdigit() for row in units for k in ("任务数", "已完成", "逾期"))
    schedule = _csv(runner, "schedule", *args)
    assert list(schedule[0]) == [
        "类型",
        "序号",
        "内容",
        "责任单位",
        "完成时限",
        "开始日期",
        "截止日期",
        "状态",
        "剩余天数",
    ]
    current = next(row for row in schedule if row["状态"] == "当前阶段")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", current["截止日期"]) and current["剩余天数"].isdigit()
    items = [row for row in schedule if row["类型"] == "日程"]
    assert any(row["剩余天数"].startswith("-") for row in items)  # an item already past
    stats = _csv(runner, "stats", *args)
    assert all(row["任务数"].isdigit() for row in stats)
    assert all(row["逾期"] == "" or row["逾期"].isdigit() for row in stats)


def test_markdown_of_list_matches_json(runner: CliRunner) -> None:
    md = ok(runner, "list", "--unit", "区住建局", "--date", "2021-01-01", "-f", "md").stdout
    (table,) = _md_tables(md)
    rows = as_json(runner, "list", "--unit", "区住建局", "--date", "2021-01-01")
    assert [r[2] for r in table[1:]] == [row["text"] for row in rows]
    assert md.startswith("## 区住建局的任务\n\n")
    assert md.endswith("\n共 57 项任务，其中 10 项经集合单位适用\n")


# -- the JSON contract ------------------------------------------------------------------------

TASK_KEYS = {"id", "category", "text", "units", "deadline", "status"}


def test_task_json_contract(runner: CliRunner) -> None:
    rows = as_json(runner, "list", "--search", "群租房", "--date", "2021-01-01")
    (row,) = rows
    assert set(row) >= TASK_KEYS
    assert row["id"] == 46
    assert row["category"] == 3
    assert row["text"].startswith("持续开展全市群租房安全专项整治行动")
    assert row["units"] == ["公安临潼分局", "区住建局", "各街办", "各园区管委会"]
    assert row["deadline"] == {
        "raw": "2020 年 10 月",
        "kind": "month",
        "start": "2020-10-01",
        "end": "2020-10-31",
    }
    assert row["status"] == "未启动"
    assert "days_overdue" not in row and "days_left" not in row


def test_open_deadline_json(runner: CliRunner) -> None:
    (row,) = as_json(runner, "list", "--open-deadline")
    assert row["deadline"] == {"raw": "规划水平年", "kind": "open", "start": None, "end": None}


def test_overdue_and_due_json_contract(runner: CliRunner) -> None:
    overdue = as_json(runner, "overdue", "--date", "2021-01-01")
    assert all(TASK_KEYS | {"days_overdue"} <= set(row) for row in overdue)
    due = as_json(runner, "due", "--date", "2021-04-20", "--within", "10")
    assert all(TASK_KEYS | {"days_left"} <= set(row) for row in due)


def test_units_are_canonical_in_json(runner: CliRunner) -> None:
    # Task 7 writes 自然规划临潼分局; scripts get the canonical name.
    (row,) = as_json(runner, "list", "--search", "严格安全准入")
    assert "资源规划临潼分局" in row["units"]
    assert "自然规划临潼分局" not in row["units"]


# -- empty results ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "stdout"),
    [("table", ""), ("json", "[]\n"), ("md", None), ("csv", None)],
)
def test_empty_result_is_success(runner: CliRunner, fmt: str, stdout: str | None) -> None:
    result = ok(runner, "list", "--search", "月球基地", "--format", fmt)
    assert result.stderr == "没有符合条件的任务\n"
    if stdout is not None:
        assert result.stdout == stdout
    elif fmt == "csv":  # the header row only
        assert result.stdout == (
            "\ufeff序号,类别,主要目标任务,责任单位,完成时限,截止日期,状态,督办,最新进展日期,最新进展\n"
        )
    else:
        assert _md_tables(result.stdout) == [
            [["序号", "类别", "主要目标任务", "责任单位", "完成时限", "状态", "督办"]]
        ]


def test_empty_units_of_a_kind(runner: CliRunner, mini: str) -> None:
    with (Path(mini) / "units.yaml").open("r", encoding="utf-8") as f:
        assert "kinds: [县级部门, 驻县单位, 街道, 集合]" in f.read()
    result = ok(runner, "units", "--data", mini, "--kind", "驻县单位")
    assert "县消防大队" in result.stdout
    # A kind declared but unused by any unit: no rows, still a success.
    text = (Path(mini) / "units.yaml").read_text(encoding="utf-8")
    (Path(mini) / "units.yaml").write_text(
        text.replace("[县级部门, 驻县单位, 街道, 集合]", "[县级部门, 驻县单位, 街道, 集合, 乡镇]"),
        encoding="utf-8",
    )
    result = ok(runner, "units", "--data", mini, "--kind", "乡镇")
    assert result.stdout == ""
    assert result.stderr == "没有符合条件的单位\n"


# -- the mini registry ------------------------------------------------------------------------


def test_mini_list_and_groups(runner: CliRunner, mini: str) -> None:
    rows = as_json(runner, "list", "--data", mini, "--date", "2021-03-01")
    assert ids(rows) == list(range(1, 9))
    # 东街道 is a member of 各街道, which every task applies to.
    east = as_json(runner, "list", "--data", mini, "--unit", "东街道")
    assert ids(east) == list(range(1, 9))
    assert {row["via"] for row in east} == {"各街道"}
    assert ids(as_json(runner, "list", "--data", mini, "--unit", "县住建局")) == [1]
    assert ids(as_json(runner, "list", "--data", mini, "--unit", "县城市管理局")) == [3]


def test_mini_overdue_and_due(runner: CliRunner, mini: str) -> None:
    overdue = as_json(runner, "overdue", "--data", mini, "--date", "2021-05-01")
    # Issue 12: 每季度 falls due at the end of each quarter, and nothing was reported within
    # the first one, so task 8 is overdue for it (it used to be never overdue).
    assert [(r["id"], r["days_overdue"]) for r in overdue] == [(6, 75), (1, 31), (8, 31)]
    assert overdue[2]["period"] == "2021年第一季度"
    due = as_json(runner, "due", "--data", mini, "--date", "2021-03-20", "--within", "14")
    # 规划水平年 never falls due.
    assert [(r["id"], r["days_left"]) for r in due] == [(1, 11), (8, 11)]
    assert ids(as_json(runner, "list", "--data", mini, "--open-deadline")) == [7, 8]


def test_mini_schedule_units_stats(runner: CliRunner, mini: str) -> None:
    schedule = as_json(runner, "schedule", "--data", mini, "--date", "2021-07-01")
    assert schedule["current_phase"] == "国家评议阶段"
    assert [p["name"] for p in schedule["phases"]] == [
        "动员部署阶段",
        "组织实施阶段",
        "国家评议阶段",
    ]
    units = as_json(runner, "units", "--data", mini, "--date", "2021-03-01")
    group = next(u for u in units if u["name"] == "各街道")
    assert group["members"] == ["东街道", "西街道"]
    assert next(u for u in units if u["name"] == "县住建局")["phone"] == "029-00000001"
    stats = as_json(runner, "stats", "--data", mini, "--date", "2021-05-01")
    assert (stats["total"], stats["overdue"]) == (8, 3)  # 8: no report for a quarter (issue 12)


def test_mini_markdown_escapes_pipes(runner: CliRunner, mini: str) -> None:
    md = ok(runner, "list", "--data", mini, "--category", "二", "-f", "md").stdout
    assert "| 3 | 二 | 开展燃气管线隐患排查 \\| 整改率 100%。 | 县城管局、各街道 |" in md
    (table,) = _md_tables(md)
    assert table[1][:3] == ["3", "二", "开展燃气管线隐患排查 | 整改率 100%。"]
    assert {len(row) for row in table} == {7}


def test_mini_csv_keeps_pipes(runner: CliRunner, mini: str) -> None:
    raw = ok(runner, "list", "--data", mini, "-c", "2", "-f", "csv").stdout_bytes
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[1][2] == "开展燃气管线隐患排查 | 整改率 100%。"


def test_mini_written_units_with_open_end(runner: CliRunner, mini: str) -> None:
    table = ok(runner, "list", "--data", mini, "--search", "危险化学品", "-f", "md").stdout
    assert "县应急局、县市场监管局等相关部门" in table


# -- help and version -------------------------------------------------------------------------


def _commands() -> Iterator[tuple[list[str], Any]]:
    """Every command and sub-command of the app, however it was registered."""

    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


COMMANDS = list(_commands())
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_query_commands_are_all_there() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"validate", "list", "show", "overdue", "due", "units", "schedule", "stats"} <= names


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "safecity" for p, _ in COMMANDS]
)
def test_help_is_chinese_with_an_example(runner: CliRunner, path: list[str], command: Any) -> None:
    for flag in ("--help", "-h"):
        result = ok(runner, *path, flag)
        assert result.stdout.startswith(f"用法：{' '.join(['safecity', *path])} ")
        text = result.stdout.split("\n\n", 1)[1]  # after the usage line
        assert CJK.search(text.splitlines()[0].strip()), f"{path}: the description is not Chinese"
        assert "示例：safecity" in result.stdout, f"{path}: no example"
        assert not re.search(
            r"\b(Usage|Options|Arguments|Commands|required|default)\b", result.stdout
        )
        for section in ("选项", "参数"):
            for entry in _help_entries(result.stdout, section):
                assert CJK.search(entry), f"{path}: no Chinese help for {entry.split()[0]}"


def _help_entries(text: str, section: str) -> list[str]:
    """The entries of one section of a help page, continuation lines joined."""
    if f"\n{section}:\n" not in text:
        return []
    body = text.split(f"\n{section}:\n", 1)[1].split("\n\n", 1)[0]
    entries: list[str] = []
    for line in body.splitlines():
        if re.match(r"  \S", line):
            entries.append(line)
        else:
            entries[-1] += line
    return entries


def test_version(runner: CliRunner) -> None:
    for flag in ("--version", "-V"):
        result = ok(runner, flag)
        assert result.stdout == f"safecity {__version__}\n"
    assert __version__ == version("safecity")


def test_no_arguments_shows_help_on_stderr_and_exits_2(runner: CliRunner) -> None:
    result = run(runner)
    assert result.stderr.startswith("用法：safecity [OPTIONS] COMMAND")
    assert "示例：safecity" in result.stderr
    assert result.stdout == ""
    assert result.exit_code == 2


# -- show -------------------------------------------------------------------------------------


def test_show_one_task(runner: CliRunner) -> None:
    data = as_json(runner, "show", "32", "--date", "2021-01-01")
    assert (data["id"], data["days_overdue"], data["status"]) == (32, 1, "未启动")
    assert data["units"][1] == "区骊山国有生态林场"
    table = ok(runner, "show", "32", "--date", "2021-01-01").stdout
    # The panel shows the units as the document spells them.
    assert "区骊山国有生态林场（区骊山国家森林公园管理处）" in "".join(table.split())
    md = ok(runner, "show", "28", "--format", "md").stdout
    assert md.startswith("## 任务 28\n")


def test_show_refuses_what_it_cannot_do(runner: CliRunner) -> None:
    result = run(runner, "show", "28", "--format", "csv")
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr.splitlines()[0]
        == "错误：--format / -f 的值「csv」无效，可选：table、json、md"
    )
    result = run(runner, "show", "105")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "错误：没有序号为 105 的任务（共 104 项）\n"
