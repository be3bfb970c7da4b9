"""考核 and 督办 follow-through: scoring.yaml, `score`, notices and replies, periodic reports."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.ledger.entries import Ledger
from safecity_cli.ledger.files import load_ledger
from safecity_cli.registry.load import load_registry
from safecity_cli.scoring.compute import Period, score_board
from safecity_cli.scoring.notices import NoticeBook

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SAFECITY_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.read_text(encoding="utf-8") == text, f"与 {path} 不同"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """The mini registry with its fixture ledger and the test 考核细则."""
    target = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", target)
    shutil.copytree(FIXTURES / "ledgers" / "mini" / "progress", target / "progress")
    shutil.copy(FIXTURES / "scoring" / "scoring.yaml", target / "scoring.yaml")
    return target


def run(runner: CliRunner, *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, list(args), prog_name="safecity")
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.stderr
    return result.stdout, result.stderr


# -- scoring.yaml ---------------------------------------------------------------------------------


def test_unknown_rule_and_negative_cap_are_refused_with_file_and_line(
    runner: CliRunner, mini: Path
) -> None:
    (mini / "scoring.yaml").write_text(
        "base: 100\nrules:\n  on_time: {points: 1}\n  overdue_tsk: {points: 2}\n"
        "  red: {points: 1, cap: -3}\n",
        encoding="utf-8",
    )
    _, err = run(runner, "validate", "--data", str(mini), code=1)
    path = mini / "scoring.yaml"
    assert err == (
        f"{path}:4: rules.overdue_tsk: 未知的考核规则「overdue_tsk」，是否指 overdue_task"
        "（可用：on_time、overdue_task、overdue_day、red、yellow、missed_period、unanswered_notice）\n"
        f"{path}:5: rules.red.cap: 封顶分不能为负数（-3）；扣分规则也写正数，由规则决定加或扣\n"
        "错误：登记册有 2 处错误\n"
    )


def test_a_misspelt_key_is_refused(runner: CliRunner, mini: Path) -> None:
    (mini / "scoring.yaml").write_text("base: 100\nbasis: 90\n", encoding="utf-8")
    _, err = run(runner, "score", "--data", str(mini), code=1)
    assert err.splitlines()[0] == f"{mini / 'scoring.yaml'}:2: basis: 未知字段（是否拼写错误？）"


def test_the_embedded_example_is_marked_as_one(runner: CliRunner) -> None:
    out, err = run(runner, "score", "--to", "2021-03-15", "--format", "json")
    assert json.loads(out)["example"] is True
    assert (
        err == "注意：所用考核细则为示例（scoring.yaml 中 example: true），分值未经正式文件确定\n"
    )


def test_a_registry_without_scoring_yaml(runner: CliRunner, tmp_path: Path) -> None:
    _, err = run(runner, "score", "--data", str(FIXTURES / "mini"), code=2)
    assert err == (
        "错误：登记册中没有考核细则（scoring.yaml）；请从内置登记册复制该文件"
        "（safecity init 会一并复制），再按本地的考核办法修改\n"
    )


# -- the computation ------------------------------------------------------------------------------


def test_each_rule_counts_and_caps_as_documented(mini: Path) -> None:
    registry = load_registry(mini)
    ledger = load_ledger(mini)
    board = score_board(registry, ledger, NoticeBook(), Period(date(2021, 1, 1), date(2021, 5, 10)))
    emergency = board.of("县应急局")
    assert emergency is not None
    # Task 6 (due 2021-02-15, done 03-30): 43 days, 红; task 1 (due 03-31, done 04-20): 20 days, 黄.
    assert [(r.rule, r.count, r.points, r.capped) for r in emergency.rules if r.count] == [
        ("overdue_task", 2, -5.0, True),
        ("overdue_day", 63, -4.0, True),
        ("red", 1, -2.0, False),
        ("yellow", 1, -1.0, False),
    ]
    assert (emergency.score, emergency.rank) == (88.0, 8)
    assert [(r.unit, r.score, r.rank) for r in board.rows[:2]] == [
        ("县住建局", 102.0, 1),
        ("县消防大队", 102.0, 1),
    ]


def test_only_the_part_of_a_period_counts(mini: Path) -> None:
    registry = load_registry(mini)
    board = score_board(
        registry, load_ledger(mini), NoticeBook(), Period(date(2021, 4, 1), date(2021, 7, 9))
    )
    emergency = board.of("县应急局")
    assert emergency is not None
    counts = {r.rule: r.count for r in emergency.rules if r.count}
    # Task 6 was finished before April: nothing of it falls in the period. Task 8 (每季度) had
    # no report in the second quarter: one period missed.
    assert counts == {
        "on_time": 2,
        "overdue_task": 1,
        "overdue_day": 20,
        "yellow": 1,
        "missed_period": 1,
    }
    west = board.of("西街道")
    assert west is not None and west.score == 91.1


def test_no_progress_at_all(mini: Path) -> None:
    registry = load_registry(mini)
    board = score_board(
        registry, Ledger(), NoticeBook(), Period(date(2021, 1, 1), date(2021, 2, 1))
    )
    # Task 6 (due 2021-02-15) not started past half its window: 黄 for both its units.
    assert [(r.unit, r.score) for r in board.rows if r.score != 100] == [
        ("县应急局", 99.0),
        ("县消防大队", 99.0),
    ]


# -- safecity score -------------------------------------------------------------------------------

SCORE_MD = """\
## 考核得分

| 名次 | 单位 | 类型 | 承担任务 | 按时完成 | 逾期任务 | 逾期天数 | 红色督办 | 黄色督办 | 定期任务漏报 | 督办逾期未回复 | 得分 |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| 1 | 县住建局 | 县级部门 | 1 | 1 项 +2 |   |   |   |   |   |   | 102 |
| 1 | 县消防大队 | 驻县单位 | 1 | 1 项 +2 |   |   |   |   |   |   | 102 |
| 3 | 县市场监管局 | 县级部门 | 1 |   |   |   |   |   |   |   | 100 |
| 3 | 县城管局 | 县级部门 | 1 |   |   |   |   |   |   |   | 100 |
| 3 | 东街道 | 街道 | 2 |   |   |   |   |   |   |   | 100 |
| 3 | 负有监管职责的部门 | 集合 | 1 |   |   |   |   |   |   |   | 100 |
| 7 | 西街道 | 街道 | 2 |   |   |   |   | 1 项 -1 |   |   | 99 |
| 8 | 县应急局 | 县级部门 | 5 |   | 2 项 -5（封顶） | 63 天 -4（封顶） | 1 项 -2 | 1 项 -1 |   |   | 88 |

示例县考核细则（测试）；统计期间 2021年1月1日—2021年5月10日；基础分 100 分
"""


def test_score_as_markdown(runner: CliRunner, mini: Path) -> None:
    out, err = run(runner, "score", "--to", "2021-05-10", "--format", "md", "--data", str(mini))
    assert out == SCORE_MD and err == ""


def test_score_table_puts_the_breakdown_in_one_column(runner: CliRunner, mini: Path) -> None:
    out, _ = run(runner, "score", "--to", "2021-05-10", "-u", "县应急局", "--data", str(mini))
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[2].split() == ["名次", "单位", "承担任务", "得分", "加减分明细"]
    assert lines[4:6] == [
        "  8      县应急局   5          88     逾期任务 2 项 -5（封顶）；逾期天数 63 天",
        "                                      -4（封顶）；红色督办 1 项 -2；黄色督办 1 项 -1",
    ]


def test_score_json_contract(runner: CliRunner, mini: Path) -> None:
    out, _ = run(
        runner, "score", "--to", "2021-05-10", "-u", "各街道", "-f", "json", "--data", str(mini)
    )
    data = json.loads(out)
    assert list(data) == ["document", "example", "base", "from", "to", "rules", "units"]
    assert data["rules"][1] == {
        "rule": "overdue_task",
        "label": "逾期任务",
        "points": 3.0,
        "cap": 5.0,
    }
    # A collective unit is scored through its members.
    assert [(u["unit"], u["rank"], u["score"], u["groups"]) for u in data["units"]] == [
        ("东街道", 3, 100.0, ["各街道"]),
        ("西街道", 7, 99.0, ["各街道"]),
    ]
    assert data["units"][1]["breakdown"][4] == {
        "rule": "yellow",
        "label": "黄色督办",
        "count": 1,
        "points": -1.0,
        "capped": False,
    }


def test_score_csv_and_xlsx(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    out, _ = run(
        runner, "score", "--to", "2021-05-10", "-u", "县应急局", "-f", "csv", "--data", str(mini)
    )
    assert out.splitlines()[1] == "8,县应急局,县级部门,5,0,-5,-4,-2,-1,0,0,88"
    target = tmp_path / "得分.xlsx"
    _, err = run(
        runner, "score", "--to", "2021-05-10", "-f", "xlsx", "-o", str(target), "--data", str(mini)
    )
    assert err == f"已写入 {target}：考核得分\n"
    from openpyxl import load_workbook

    sheet = load_workbook(target).active
    assert sheet["A3"].value == "名次" and sheet["S3"].value == "得分"
    assert [c.value for c in sheet[11]][:6] == [8, "县应急局", "县级部门", 5, 0, 0]
    assert sheet["S11"].value == 88


def test_a_period_ending_before_it_starts(runner: CliRunner, mini: Path) -> None:
    _, err = run(
        runner, "score", "--from", "2021-05-20", "--to", "2021-05-01", "--data", str(mini), code=2
    )
    assert err == "错误：统计期间的结束日期2021年5月1日早于开始日期2021年5月20日\n"


# -- 督办通知单 ---------------------------------------------------------------------------------------


def issue(runner: CliRunner, mini: Path, unit: str, on: str, reply_by: str) -> str:
    _, err = run(
        runner,
        "report",
        "notice",
        "-u",
        unit,
        "--date",
        on,
        "--reply-by",
        reply_by,
        "--data",
        str(mini),
    )
    return err


def test_the_notice_lifecycle(runner: CliRunner, mini: Path) -> None:
    assert issue(runner, mini, "县应急局", "2021-03-15", "2021-03-22") == (
        "已登记：督办〔2021〕1号，回复期限2021年3月22日\n"
    )
    assert issue(runner, mini, "各街道", "2021-04-15", "2021-04-20") == (
        "已登记：督办〔2021〕2号，回复期限2021年4月20日\n"
    )
    # The same notice printed again keeps its number and is not recorded twice.
    assert issue(runner, mini, "县应急局", "2021-03-15", "2021-03-22") == (
        "此前已登记：督办〔2021〕1号，回复期限2021年3月22日\n"
    )
    out, _ = run(runner, "notices", "--date", "2021-04-18", "-f", "md", "--data", str(mini))
    assert out == (
        "## 督办通知单\n\n"
        "| 编号 | 日期 | 单位 | 任务 | 回复期限 | 状态 | 回复 |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| 督办〔2021〕1号 | 2021年3月15日 | 县应急局 | 6 | 2021年3月22日 | 逾期未回复（已过 27 天） |   |\n"
        "| 督办〔2021〕2号 | 2021年4月15日 | 各街道 | 1、4、6、8 | 2021年4月20日 | 待回复（2/2 个单位未回复） |   |\n"
        "\n共 2 份（截至2021年4月18日），待回复 1 份，逾期未回复 1 份\n"
    )
    _, err = run(
        runner,
        "reply",
        "2",
        "-u",
        "东街道",
        "--note",
        "已落实",
        "--date",
        "2021-04-18",
        "--data",
        str(mini),
    )
    assert err == "已记录：东街道回复督办〔2021〕2号（2021年4月18日）\n"
    _, err = run(
        runner,
        "reply",
        "督办〔2021〕1号",
        "-u",
        "县应急局",
        "--note",
        "队伍已组建",
        "--date",
        "2021-03-30",
        "--data",
        str(mini),
    )
    assert err == "已记录：县应急局回复督办〔2021〕1号（2021年3月30日）（已过回复期限）\n"
    rows = json.loads(
        run(runner, "notices", "--date", "2021-05-01", "-f", "json", "--data", str(mini))[0]
    )
    assert [(r["id"], r["state"], r["waiting"]) for r in rows] == [
        ("督办〔2021〕1号", "已回复", []),
        ("督办〔2021〕2号", "逾期未回复", ["西街道"]),
    ]
    assert rows[0]["replies"] == [
        {"unit": "县应急局", "date": "2021-03-30", "note": "队伍已组建", "by": "", "late": True}
    ]
    open_rows = json.loads(
        run(
            runner,
            "notices",
            "--open",
            "-u",
            "西街道",
            "--date",
            "2021-05-01",
            "-f",
            "json",
            "--data",
            str(mini),
        )[0]
    )
    assert [r["id"] for r in open_rows] == ["督办〔2021〕2号"]
    # Both count in the score: one answered late, one not answered by 西街道.
    data = json.loads(
        run(
            runner,
            "score",
            "--from",
            "2021-03-01",
            "--to",
            "2021-04-30",
            "-f",
            "json",
            "--data",
            str(mini),
        )[0]
    )
    late = {u["unit"]: u["breakdown"][6]["count"] for u in data["units"]}
    assert (late["县应急局"], late["西街道"], late["东街道"]) == (1, 1, 0)
    # 催办: notices received, in `units` and in the task book.
    units = json.loads(
        run(runner, "units", "--date", "2021-05-01", "-f", "json", "--data", str(mini))[0]
    )
    assert {u["name"]: u["reminders"] for u in units}["西街道"] == 1
    assert {u["name"]: u["reminders"] for u in units}["各街道"] == 1
    book, _ = run(runner, "report", "unit", "西街道", "--date", "2021-05-01", "--data", str(mini))
    assert "- 催办：已收到督办通知单 1 份，其中尚未回复 1 份。\n" in book


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["9", "-u", "东街道", "--note", "x"],
            "错误：未知的督办通知单「9」；用 safecity notices 查看已发出的通知单",
        ),
        (
            ["1", "-u", "县住建局", "--note", "x"],
            "错误：督办〔2021〕1号是发给县应急局的，县住建局不需要回复",
        ),
        (["1", "-u", "县应急局", "--note", " "], "错误：请用 --note 写明落实情况"),
        (
            ["1", "-u", "县应急局", "--note", "x", "--date", "2021-03-01"],
            "错误：回复日期2021年3月1日早于通知日期2021年3月15日",
        ),
        (["1", "--note", "x"], "错误：请用 --unit 指定回复的单位"),
    ],
)
def test_replies_that_are_refused(
    runner: CliRunner, mini: Path, args: list[str], message: str
) -> None:
    issue(runner, mini, "县应急局", "2021-03-15", "2021-03-22")
    before = (mini / "notices" / "notices.yaml").read_bytes()
    _, err = run(runner, "reply", *args, "--data", str(mini), code=2)
    assert err == message + "\n"
    assert (mini / "notices" / "notices.yaml").read_bytes() == before


def test_a_second_reply_is_refused(runner: CliRunner, mini: Path) -> None:
    issue(runner, mini, "县应急局", "2021-03-15", "2021-03-22")
    args = ["reply", "1", "-u", "县应急局", "--note", "x", "--date", "2021-03-20"]
    run(runner, *args, "--data", str(mini))
    _, err = run(runner, *args, "--data", str(mini), code=1)
    assert err == "错误：县应急局已回复过督办〔2021〕1号，未重复记录\n"


def test_the_embedded_registry_records_no_notice(runner: CliRunner) -> None:
    _, err = run(runner, "report", "notice", "-u", "区住建局", "--date", "2021-03-15")
    assert err == (
        "内置登记册是只读的：本通知单未登记编号，也不会计入回复跟踪（请用 --data 指定登记册）\n"
    )
    _, err = run(runner, "reply", "1", "-u", "区住建局", "--note", "x", code=1)
    assert err.startswith("错误：内置登记册是只读的")


def test_the_notice_shows_its_number_and_earlier_ones(runner: CliRunner, mini: Path) -> None:
    issue(runner, mini, "西街道", "2021-04-15", "2021-04-20")
    out, _ = run(
        runner,
        "report",
        "notice",
        "-u",
        "西街道",
        "--date",
        "2021-05-10",
        "--reply-by",
        "2021-05-14",
        "--data",
        str(mini),
    )
    assert out.startswith(
        "# 督办通知单\n\n督办〔2021〕2号　（本单位第 2 次收到督办通知单）\n\n**西街道**：\n"
    )


# -- the weekly briefing --------------------------------------------------------------------------


def test_weekly_lists_late_notices_and_caps_each_unit(runner: CliRunner, mini: Path) -> None:
    issue(runner, mini, "县应急局", "2021-03-15", "2021-03-22")
    out, _ = run(
        runner, "report", "weekly", "--date", "2021-04-02", "--limit", "0", "--data", str(mini)
    )
    assert (
        "### 督办通知单逾期未回复\n\n"
        "截至2021年4月2日，已发出督办通知单 1 份，其中 1 份已过回复期限仍未回复：\n\n"
        "| 编号 | 单位 | 发出日期 | 回复期限 | 已过 | 未回复的单位 |\n"
        "| --- | --- | --- | --- | ---: | --- |\n"
        "| 督办〔2021〕1号 | 县应急局 | 2021年3月15日 | 2021年3月22日 | 11 天 | 县应急局 |\n"
    ) in out
    # Last week's score lost 5 points for the notice unanswered by 2021-03-22.
    assert "| 县应急局 | 1 | 0 | 1 | 0 | 2 | 0 | 91.6 | 88.3 | +3.3 |" in out


def test_a_collective_unit_stands_once_and_long_lists_go_to_the_annex(
    runner: CliRunner, mini: Path
) -> None:
    shutil.rmtree(mini / "progress")  # nobody reported: both 街道 are late on task 3
    out, _ = run(
        runner, "report", "weekly", "--date", "2021-06-10", "--limit", "1", "--data", str(mini)
    )
    section = out[out.index("## 四、督办事项") : out.index("## 五、")]
    headings = [line for line in section.splitlines() if line.startswith("### ")]
    assert headings == [
        "### （一）县应急局（逾期 3 项，其中红色 3 项）",
        "### （二）县消防大队（逾期 1 项，其中红色 1 项）",
        "### （三）县住建局（逾期 1 项，其中红色 1 项）",
        "### （四）县城管局（逾期 1 项）",
        "### （五）各街道（2 个成员单位，逾期 1 项）",
    ]
    assert (
        "| 序号 | 主要目标任务 | 完成时限 | 逾期 | 督办 | 逾期的成员单位 |\n"
        "| ---: | --- | --- | ---: | --- | --- |\n"
        "| 3 | 开展燃气管线隐患排查 \\| 整改率 100%。 | 2021年4月-2021年5月 | 10 天 | 黄 | 东街道、西街道 |\n"
    ) in section
    assert section.count("另有 2 项，见附件。") == 1
    annex = out[out.index("## 附件：督办事项全表") :]
    assert annex == (
        "## 附件：督办事项全表\n\n"
        "正文各单位的督办事项只列出前 1 项，全部如下。\n\n"
        "### （一）县应急局（逾期 3 项）\n\n"
        "| 序号 | 主要目标任务 | 完成时限 | 逾期 | 督办 | 最新进展 |\n"
        "| ---: | --- | --- | ---: | --- | --- |\n"
        "| 6 | 组建专业应急救援队伍。 | 2021年2月15日前 | 115 天 | 红 | 未报送进展 |\n"
        "| 1 | 编制城市安全专项规划。 | 2021年3月 | 71 天 | 红 | 未报送进展 |\n"
        "| 8 | 每季度开展一次应急演练。 | 每季度（2021年第一季度） | 71 天 | 红 | 未报送进展 |\n"
    )


# -- 月报、季报、阶段小结、通报 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "when", "name"),
    [
        ("monthly", "2021-04-30", "monthly-2021-04.md"),
        ("quarterly", "2021-06-30", "quarterly-2021-q2.md"),
        ("phase", "2021-05-10", "phase-2021-05-10.md"),
    ],
)
def test_periodic_reports(runner: CliRunner, mini: Path, kind: str, when: str, name: str) -> None:
    issue(runner, mini, "县应急局", "2021-03-15", "2021-03-22")
    out, _ = run(runner, "report", kind, "--date", when, "--data", str(mini))
    check_golden(name, out)


def test_periodic_html(runner: CliRunner, mini: Path) -> None:
    out, _ = run(
        runner, "report", "monthly", "--date", "2021-04-30", "-f", "html", "--data", str(mini)
    )
    assert out.startswith("<!DOCTYPE html>") and "<h2>二、较上期</h2>" in out
    assert '<td>县应急局</td><td class="num">1</td><td class="num">1</td>' in out


def test_a_date_outside_every_dated_phase(runner: CliRunner, mini: Path) -> None:
    _, err = run(runner, "report", "phase", "--date", "2021-07-01", "--data", str(mini), code=2)
    assert err == (
        "错误：2021年7月1日不在任何有起止日期的创建阶段内；"
        "有日期的阶段：动员部署阶段（2021年1月1日—2021年1月31日）、"
        "组织实施阶段（2021年2月1日—2021年5月31日）\n"
    )


def test_circular(runner: CliRunner, mini: Path) -> None:
    issue(runner, mini, "县应急局", "2021-03-15", "2021-03-22")
    out, _ = run(
        runner,
        "report",
        "circular",
        "--from",
        "2021-03-01",
        "--to",
        "2021-03-31",
        "--data",
        str(mini),
    )
    check_golden("circular-2021-03.md", out)
    html, _ = run(
        runner, "report", "circular", "--to", "2021-03-31", "-f", "html", "--data", str(mini)
    )
    assert "<h2>一、红榜</h2>" in html and "<h2>二、黄榜</h2>" in html
    _, err = run(
        runner,
        "report",
        "circular",
        "--from",
        "2021-04-01",
        "--to",
        "2021-03-31",
        "--data",
        str(mini),
        code=2,
    )
    assert err == "错误：统计期间的结束日期2021年3月31日早于开始日期2021年4月1日\n"


def test_validate_checks_the_notices_file(runner: CliRunner, mini: Path) -> None:
    issue(runner, mini, "县应急局", "2021-03-15", "2021-03-22")
    path = mini / "notices" / "notices.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("unit: 县应急局", "unit: 县应急厅"),
        encoding="utf-8",
    )
    _, err = run(runner, "validate", "--data", str(mini), code=1)
    assert err == (
        f"{path}:6: notices[督办〔2021〕1号].unit: 未知的单位「县应急厅」\n错误：登记册有 1 处错误\n"
    )


def test_the_html_annex_stays_in_the_body(runner: CliRunner, mini: Path) -> None:
    shutil.rmtree(mini / "progress")
    out, _ = run(
        runner,
        "report",
        "weekly",
        "--date",
        "2021-06-10",
        "--limit",
        "1",
        "-f",
        "html",
        "--data",
        str(mini),
    )
    assert "<title>示例县安全发展示范城市创建工作周报 第24期</title>" in out
    assert out.count("附件：督办事项全表") == 1
    assert out.index('<h2 class="annex">附件：督办事项全表</h2>') > out.index("较上周</h2>")
    assert "<p>另有 2 项，见附件。</p>" in out
