"""Status rules through the CLI (issue 12): a task's status from every party, recurring
deadlines by period, new deadline forms in a registry, and --workdays wording."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from safecity_cli.cli import app

MINI = Path(__file__).parent / "fixtures" / "mini"


def run(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args), prog_name="safecity")
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.stderr
    return result


def as_json(runner: CliRunner, *args: str) -> Any:
    return json.loads(run(runner, *args, "--format", "json").stdout)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target, ignore=shutil.ignore_patterns("progress"))
    return target


# -- 2. status from every party ---------------------------------------------------------------


def test_one_partys_suspension_exempts_that_party_only(
    runner: CliRunner, work_registry: Path
) -> None:
    data = str(work_registry)
    run(runner, "update", "9", "-u", "区交运局", "-s", "暂缓", "--note", "待市级统一部署",
        "--date", "2020-11-20", "--data", data)  # fmt: skip
    shown = as_json(runner, "show", "9", "--date", "2021-01-05", "--data", data)
    assert shown["unit_status"] == {
        "区交运局": "暂缓",
        "区住建局": "未启动",
        "区应急管理局": "未启动",
        "各街办": "未启动",
        "各园区管委会": "未启动",
    }
    assert (shown["status"], shown["days_overdue"], shown["level"]) == ("未启动", 5, "黄")
    late = as_json(runner, "overdue", "--date", "2021-01-05", "--data", data)
    assert 9 in [row["id"] for row in late]
    # The suspended party itself is not overdue.
    mine = as_json(runner, "overdue", "--date", "2021-01-05", "-u", "区交运局", "--data", data)
    assert 9 not in [row["id"] for row in mine]
    listed = as_json(runner, "list", "--status", "暂缓", "--date", "2021-01-05", "--data", data)
    assert listed == []


def test_a_task_is_suspended_only_when_nothing_else_is_open(runner: CliRunner, mini: Path) -> None:
    data = str(mini)
    run(runner, "update", "1", "-u", "县住建局", "-s", "已完成", "--date", "2021-02-01",
        "--data", data)  # fmt: skip
    run(runner, "update", "1", "-u", "县应急局", "-s", "暂缓", "--date", "2021-02-02",
        "--data", data)  # fmt: skip
    shown = as_json(runner, "show", "1", "--date", "2021-05-01", "--data", data)
    assert (shown["status"], shown["days_overdue"], shown["level"]) == ("暂缓", None, None)


# -- 3. recurring deadlines by period -------------------------------------------------------


def test_a_quarterly_task_without_a_report_for_q1_is_overdue(runner: CliRunner, mini: Path) -> None:
    data = str(mini)
    rows = as_json(runner, "overdue", "--date", "2021-04-05", "--data", data)
    eight = next(row for row in rows if row["id"] == 8)
    assert (eight["period"], eight["effective_deadline"], eight["days_overdue"]) == (
        "2021年第一季度",
        "2021-03-31",
        5,
    )
    assert eight["level"] == "黄"
    table = run(runner, "overdue", "--date", "2021-04-05", "--data", data).stdout
    assert "每季度（2021年第一季度）" in table


def test_a_report_within_the_period_keeps_it_from_being_overdue(
    runner: CliRunner, mini: Path
) -> None:
    data = str(mini)
    run(runner, "update", "8", "-u", "县应急局", "-s", "推进中", "--note", "一季度演练已完成",
        "--date", "2021-03-20", "--data", data)  # fmt: skip
    assert 8 not in [r["id"] for r in as_json(runner, "overdue", "--date", "2021-04-05",
                                              "--data", data)]  # fmt: skip
    shown = as_json(runner, "show", "8", "--date", "2021-04-05", "--data", data)
    assert (shown["period"], shown["effective_deadline"], shown["days_left"]) == (
        "2021年第二季度",
        "2021-06-30",
        86,
    )
    # No report within the second quarter: overdue for it once it has ended.
    later = as_json(runner, "show", "8", "--date", "2021-07-10", "--data", data)
    assert (later["period"], later["days_overdue"]) == ("2021年第二季度", 10)
    text = run(runner, "show", "8", "--date", "2021-07-10", "--data", data).stdout
    assert "2021年第二季度（2021年6月30日到期）" in text


def test_a_weekly_briefing_names_the_period(runner: CliRunner, mini: Path) -> None:
    out = run(runner, "report", "weekly", "--date", "2021-04-05", "--data", str(mini)).stdout
    assert "| 8 | 每季度开展一次应急演练。 | 每季度（2021年第一季度） | 5 天 | 黄 |" in out


# -- 11. more deadline forms, in a registry ----------------------------------------------------


def test_new_deadline_forms_load_and_fall_due(runner: CliRunner, mini: Path) -> None:
    tasks = mini / "tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    forms = {
        "deadline: 2021年3月\n": "deadline: 2021年一季度\n",
        "deadline: 2021年6月底前\n": "deadline: 2021年3月中旬\n",
        "deadline: 2021年4月-2021年5月\n": "deadline: 2021年2月1日—2021年2月20日\n",
        "deadline: 2021年上半年\n": "deadline: 2021年3月下旬\n",
        "deadline: 2021年-2022年\n": "deadline: 每年11月底前\n",
        "deadline: 规划水平年\n": "deadline: 常态化推进\n",
    }
    for old, new in forms.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    tasks.write_text(text, encoding="utf-8")
    assert run(runner, "validate", "--data", str(mini)).stdout.startswith("登记册有效")
    rows = {r["id"]: r["deadline"] for r in as_json(runner, "list", "--data", str(mini))}
    assert (rows[1]["kind"], rows[1]["end"]) == ("quarter", "2021-03-31")
    assert (rows[2]["kind"], rows[2]["start"], rows[2]["end"]) == (
        "ten_days",
        "2021-03-11",
        "2021-03-20",
    )
    assert (rows[3]["kind"], rows[3]["start"], rows[3]["end"]) == (
        "day_range",
        "2021-02-01",
        "2021-02-20",
    )
    assert rows[4]["end"] == "2021-03-31"
    assert rows[5]["kind"] == "recurring"
    assert rows[7]["kind"] == "open"
    yearly = as_json(runner, "show", "5", "--date", "2021-03-01", "--data", str(mini))
    assert (yearly["period"], yearly["effective_deadline"]) == ("2021年11月底前", "2021-11-30")


def test_a_refused_form_lists_the_accepted_ones(runner: CliRunner, mini: Path) -> None:
    tasks = mini / "tasks.yaml"
    tasks.write_text(
        tasks.read_text(encoding="utf-8").replace("deadline: 2021年3月\n", "deadline: 开春后\n"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", "--data", str(mini)])
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(
        f"{tasks}:14: tasks[序号1].deadline: 无法识别的完成时限「开春后」；可用的写法："
    )
    assert "2021年一季度" in first and "每年11月底前" in first and "常态化推进" in first


# -- 12. --workdays says 个工作日 ------------------------------------------------------------------


def test_workdays_tables_say_working_days(runner: CliRunner, mini: Path) -> None:
    # Task 1 ends 2021年3月31日; 4月3日–5日 are the 清明 holidays.
    data = str(mini)
    plain = run(runner, "overdue", "--date", "2021-04-06", "--data", data).stdout
    working = run(runner, "overdue", "--date", "2021-04-06", "--workdays", "--data", data).stdout
    assert "6 天" in plain and "个工作日" not in plain
    assert "3 个工作日" in working and " 3 天" not in working
    due = run(runner, "due", "--date", "2021-03-26", "--within", "10", "--workdays",
              "--data", data).stdout  # fmt: skip
    assert "3 个工作日" in due  # 3月29日–31日
    shown = run(runner, "show", "1", "--date", "2021-04-06", "--workdays", "--data", data).stdout
    assert "逾期 3 个工作日" in shown
    assert "逾期 6 天" in run(runner, "show", "1", "--date", "2021-04-06", "--data", data).stdout
    book = run(runner, "report", "unit", "县住建局", "--date", "2021-04-06", "--workdays",
               "--data", data).stdout  # fmt: skip
    assert "逾期 3 个工作日" in book
