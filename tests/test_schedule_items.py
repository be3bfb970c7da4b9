"""日程 items are reported on like tasks, by S1…S20, and are done only when recorded (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner, Result

from safecity_cli.cli import app


def run(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args), prog_name="safecity")
    assert "Traceback" not in result.output
    return result


def ok(runner: CliRunner, *args: str) -> Result:
    result = run(runner, *args)
    assert result.exit_code == 0, result.stderr
    return result


def schedule_items(runner: CliRunner, data: Path, on: str) -> dict[int, Any]:
    out = ok(runner, "schedule", "--format", "json", "--date", on, "--data", str(data)).stdout
    return {item["id"]: item for item in json.loads(out)["items"]}


def test_update_close_history_show_an_item(runner: CliRunner, work_registry: Path) -> None:
    data = str(work_registry)
    done = ok(runner, "update", "S12", "-u", "区创建领导小组办公室", "-s", "已完成",
              "--note", "模拟自评已完成", "--date", "2021-01-29", "--data", data)  # fmt: skip
    assert done.stderr == "已记录：日程 S12 区创建领导小组办公室 已完成（2021年1月29日）\n"
    stored = yaml.safe_load((work_registry / "progress" / "区创建领导小组办公室.yaml").read_text())
    assert stored["entries"][0]["task"] == "S12"  # the same field tasks use, as a string

    history = json.loads(ok(runner, "history", "S12", "-f", "json", "--data", data).stdout)
    assert [(e["task"], e["unit"], e["status"]) for e in history] == [
        ("S12", "区创建领导小组办公室", "已完成")
    ]
    shown = json.loads(
        ok(runner, "show", "S12", "-f", "json", "--date", "2021-02-01", "--data", data).stdout
    )
    assert (shown["id"], shown["category_title"], shown["status"]) == ("S12", "日程安排", "已完成")
    closed = ok(runner, "close", "s12", "--date", "2021-02-02", "--data", data)
    assert closed.stderr == "已销号：日程 S12（2021年2月2日）\n"
    assert schedule_items(runner, work_registry, "2021-02-03")[12]["status"] == "已销号"
    # Task 12 is another thing altogether.
    assert json.loads(ok(runner, "show", "12", "-f", "json", "--data", data).stdout)["id"] == 12


def test_an_item_is_done_only_when_recorded(runner: CliRunner, work_registry: Path) -> None:
    items = schedule_items(runner, work_registry, "2021-03-15")
    twelve = items[12]
    assert (twelve["state"], twelve["status"], twelve["days_overdue"]) == ("已到期", "未启动", 43)
    assert twelve["level"] == "红"
    table = ok(runner, "schedule", "--date", "2021-03-15", "--data", str(work_registry)).stdout
    assert "未启动，逾期 43 天" in table
    weekly = ok(runner, "report", "weekly", "--date", "2021-03-15", "--data", str(work_registry))
    assert "日程12 （1）结合专项整治工作，集中… :milestone, crit, 2021-01-31, 0d" in weekly.stdout
    ok(runner, "update", "S12", "-u", "区创建领导小组办公室", "-s", "已完成",
       "--date", "2021-01-30", "--data", str(work_registry))  # fmt: skip
    weekly = ok(runner, "report", "weekly", "--date", "2021-03-15", "--data", str(work_registry))
    assert "日程12 （1）结合专项整治工作，集中… :milestone, done, 2021-01-31, 0d" in weekly.stdout
    assert schedule_items(runner, work_registry, "2021-03-15")[12]["status"] == "已完成"


def test_a_group_items_parties_are_its_members(runner: CliRunner, work_registry: Path) -> None:
    # 日程 7 goes to 区级部门和单位 (every 区级部门 and 驻区/分局): 区住建局 reports its part.
    data = str(work_registry)
    ok(runner, "update", "S7", "-u", "住建", "-s", "已完成", "--date", "2020-11-25", "--data", data)
    seven = schedule_items(runner, work_registry, "2020-11-26")[7]
    assert seven["unit_status"]["区住建局"] == "已完成"
    assert seven["status"] == "推进中"  # the other units have not
    book = ok(runner, "report", "unit", "区住建局", "--date", "2020-11-26", "--data", data).stdout
    assert "| 7 | 各街办、各园区管委会及区级部门和单位根据" in book
    assert "| 2020 年 11 月 30 日前 | 已完成 |" in book


def test_refusals_name_the_item(runner: CliRunner, work_registry: Path) -> None:
    data = str(work_registry)
    wrong_unit = run(runner, "update", "S12", "-u", "区住建局", "-s", "已完成",
                     "--date", "2021-01-30", "--data", data)  # fmt: skip
    assert wrong_unit.exit_code == 1
    assert wrong_unit.stderr == "错误：日程 S12 的责任单位中没有「区住建局」，不能由其报送\n"
    missing = run(runner, "show", "S21", "--data", data)
    assert missing.exit_code == 2
    assert missing.stderr == "错误：没有日程 S21（日程安排表共 20 项：S1–S20）\n"
    garbled = run(runner, "history", "十二", "--data", data)
    assert garbled.exit_code == 2
    assert "任务写数字（如 27），日程写 S 加序号（如 S12）" in garbled.stderr
    early = run(runner, "close", "S12", "--date", "2021-02-02", "--data", data)
    assert early.exit_code == 1
    assert early.stderr == (
        "错误：日程 S12 尚未完成，不能销号；未报告完成的单位：区创建领导小组办公室\n"
    )


def test_validate_checks_item_references(runner: CliRunner, work_registry: Path) -> None:
    progress = work_registry / "progress"
    progress.mkdir()
    (progress / "区创建领导小组办公室.yaml").write_text(
        "entries:\n"
        "  - {task: S12, unit: 区创建领导小组办公室, status: 已完成, date: 2021-01-30,"
        " recorded_at: 2021-01-30T10:00:00}\n"
        "  - {task: S30, unit: 区创建领导小组办公室, status: 已完成, date: 2021-01-30,"
        " recorded_at: 2021-01-30T10:00:00}\n"
        "  - {task: X1, unit: 区创建领导小组办公室, status: 已完成, date: 2021-01-30,"
        " recorded_at: 2021-01-30T10:00:00}\n",
        encoding="utf-8",
    )
    result = run(runner, "validate", "--data", str(work_registry))
    assert result.exit_code == 1
    path = progress / "区创建领导小组办公室.yaml"
    assert result.stderr.splitlines() == [
        f"{path}:4: entries[第3项].task: 应为任务序号（正整数）或日程序号（如 S12）",
        f"{path}:3: entries[第2项].task: 进展记录引用了不存在的日程 S30",
        "错误：登记册有 2 处错误",
    ]
