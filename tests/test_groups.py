"""Groups by list and by kind (issue 12, point 1): who may report, what the units JSON shows,
and what validate says about groups the office has still to fill in."""

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
    return result


def units_json(runner: CliRunner, data: Path | None = None) -> dict[str, Any]:
    args = ["units", "--format", "json", "--date", "2021-03-01"]
    result = run(runner, *args, *(["--data", str(data)] if data else []))
    assert result.exit_code == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target, ignore=shutil.ignore_patterns("progress"))
    return target


def _by_kind(root: Path, kinds: str = "[县级部门]") -> None:
    units = root / "units.yaml"
    text = units.read_text(encoding="utf-8")
    old = "  - name: 负有监管职责的部门\n    kind: 集合\n    members: []\n"
    assert old in text
    new = f"  - name: 负有监管职责的部门\n    kind: 集合\n    member_kinds: {kinds}\n"
    units.write_text(text.replace(old, new), encoding="utf-8")


# -- the embedded registry: the memberships the document gives ---------------------------------


def test_a_unit_task_103_names_reports_on_its_groups_task(
    runner: CliRunner, work_registry: Path
) -> None:
    # Task 51 names 区级负有安全生产监管职责的部门; task 103 names 区应急管理局 among them.
    result = run(
        runner, "update", "51", "-u", "区应急管理局", "-s", "推进中", "--note", "x",
        "--date", "2020-11-02", "--data", str(work_registry),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "已记录：任务 51 区应急管理局 推进中（2020年11月2日）\n"
    shown = run(runner, "show", "51", "--date", "2020-11-02", "--format", "json",
                "--data", str(work_registry))  # fmt: skip
    status = json.loads(shown.stdout)["unit_status"]
    assert status["区应急管理局"] == "推进中"
    assert "区级负有安全生产监管职责的部门" not in status  # its members are the parties
    assert status["区市场监管局"] == "未启动"


def test_the_issues_command_as_written(runner: CliRunner, work_registry: Path) -> None:
    result = run(runner, "update", "51", "-u", "区应急管理局", "-s", "推进中", "--note", "x",
                 "--data", str(work_registry))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("已记录：任务 51 区应急管理局 推进中（")


def test_the_group_itself_can_no_longer_report(runner: CliRunner, work_registry: Path) -> None:
    result = run(
        runner, "update", "51", "-u", "区级负有安全生产监管职责的部门", "-s", "推进中",
        "--date", "2020-11-02", "--data", str(work_registry),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "已列出成员单位，请由各成员单位分别报送" in result.stderr


def test_the_unit_book_counts_the_schedule_items_of_its_groups(runner: CliRunner) -> None:
    result = run(runner, "report", "unit", "住建", "--date", "2021-01-01")
    assert result.exit_code == 0, result.stderr
    # 7, 9–11, 13–15, 17–19 go to 区级部门和单位 (by kind); 16 to 各部门.
    assert "- 日程安排：涉及 11 项。" in result.stdout
    assert "涉及 0 项" not in result.stdout


def test_units_json_resolves_groups(runner: CliRunner) -> None:
    rows = units_json(runner)
    everyone = rows["区级部门和单位"]
    assert everyone["member_kinds"] == ["区级部门", "驻区/分局"]
    assert everyone["resolved_members"][:3] == ["区应急管理局", "区住建局", "区交运局"]
    assert "区法院" not in everyone["resolved_members"]  # 司法机关: not a kind it names
    assert rows["各街办"]["resolved_members"] == []
    assert rows["区住建局"]["resolved_members"] is None


# -- groups in a registry of one's own ------------------------------------------------------


def test_member_kinds_make_every_unit_of_the_kind_a_party(runner: CliRunner, mini: Path) -> None:
    _by_kind(mini)
    rows = units_json(runner, mini)
    group = rows["负有监管职责的部门"]
    assert group["members"] == ["县住建局", "县应急局", "县市场监管局", "县城管局"]
    assert group["resolved_members"] == group["members"]
    shown = run(
        runner, "show", "5", "--format", "json", "--date", "2021-03-01", "--data", str(mini)
    )
    assert list(json.loads(shown.stdout)["unit_status"]) == group["members"]
    ok = run(runner, "update", "5", "-u", "县城管局", "-s", "已完成", "--date", "2021-03-01",
             "--data", str(mini))  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    listed = run(runner, "list", "--unit", "县城管局", "--format", "json", "--date", "2021-03-01",
                 "--data", str(mini))  # fmt: skip
    five = next(r for r in json.loads(listed.stdout) if r["id"] == 5)
    assert five["via"] == "负有监管职责的部门"
    assert five["unit_status"] == {"县城管局": "已完成"}
    # Complete only when every member is: three have not reported.
    whole = run(
        runner, "show", "5", "--format", "json", "--date", "2021-03-01", "--data", str(mini)
    )
    assert json.loads(whole.stdout)["status"] == "推进中"


def test_members_by_name_and_by_kind_and_nested_groups(runner: CliRunner, mini: Path) -> None:
    units = mini / "units.yaml"
    text = units.read_text(encoding="utf-8")
    units.write_text(
        text.replace(
            "  - name: 负有监管职责的部门\n    kind: 集合\n    members: []\n",
            "  - name: 负有监管职责的部门\n    kind: 集合\n    members: [县消防大队, 各街道]\n"
            "    member_kinds: [县级部门]\n",
        ),
        encoding="utf-8",
    )
    group = units_json(runner, mini)["负有监管职责的部门"]
    assert group["members"] == [
        "县消防大队",
        "各街道",
        "县住建局",
        "县应急局",
        "县市场监管局",
        "县城管局",
    ]
    assert group["resolved_members"] == [
        "县消防大队", "东街道", "西街道", "县住建局", "县应急局", "县市场监管局", "县城管局",
    ]  # fmt: skip


def test_an_unknown_member_kind_is_an_error(runner: CliRunner, mini: Path) -> None:
    _by_kind(mini, "[县级部们]")
    result = run(runner, "validate", "--data", str(mini))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{mini / 'units.yaml'}:26: units[负有监管职责的部门].member_kinds: "
        "未知的单位类型「县级部们」，可选：县级部门、驻县单位、街道、集合",
        "错误：登记册有 1 处错误",
    ]


def test_a_group_by_kind_has_no_warning(runner: CliRunner, mini: Path) -> None:
    _by_kind(mini)
    result = run(runner, "validate", "--data", str(mini))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "（含 2 个集合）" in result.stdout


def test_validate_warns_about_groups_without_members(runner: CliRunner, mini: Path) -> None:
    result = run(runner, "validate", "--data", str(mini))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{mini / 'units.yaml'}:24: units[负有监管职责的部门].members: 集合单位没有成员："
        "任务 5 中它的那一部分只能由集合整体报送；请用 members 列出成员，或用 member_kinds "
        "按单位类型指定（警告）",
        f"{mini / 'tasks.yaml'}:10: tasks: 任务 5 的责任单位都是没有成员的集合单位，"
        "尚无具体单位报送（警告）",
    ]
    assert result.stdout.endswith("；2 条警告\n")


def test_entries_of_a_group_that_now_lists_members_are_flagged(
    runner: CliRunner, work_registry: Path
) -> None:
    progress = work_registry / "progress"
    progress.mkdir()
    path = progress / "区级负有安全生产监管职责的部门.yaml"
    path.write_text(
        "entries:\n"
        "  - {task: 51, unit: 区级负有安全生产监管职责的部门, status: 推进中, date: 2020-11-02,"
        " recorded_at: 2020-11-02T10:00:00}\n",
        encoding="utf-8",
    )
    result = run(runner, "validate", "--data", str(work_registry))
    assert result.exit_code == 0
    assert (
        f"{path}:2: entries[第1项].unit: 「区级负有安全生产监管职责的部门」已列出成员单位，"
        "这条记录不再计入，请由成员单位分别报送（警告）"
    ) in result.stderr.splitlines()
