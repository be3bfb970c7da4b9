"""自评与复核: the 评价细则 as data, tasks ↔ items, findings and scores, 整改 problems, evidence."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from safecity_cli.cache import load
from safecity_cli.cli import app
from safecity_cli.errors import RegistryError
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.registry.load import load_registry
from safecity_cli.registry.models import Registry

MINI = Path(__file__).parent / "fixtures" / "mini"
COVERAGE = "已录入 8 个三级项，合计 16 分；评价细则满分 100 分"


def run(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def ok(runner: CliRunner, *args: str) -> Result:
    result = run(runner, *args)
    assert result.exit_code == 0, result.stderr
    return result


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- the 评价细则 as data -------------------------------------------------------------------------


def test_embedded_criteria_are_the_eight_known_items(embedded: Registry) -> None:
    criteria = embedded.criteria
    assert criteria is not None
    assert [(i.id, i.points) for i in criteria.items] == [
        ("(1)", 2),
        ("(2)", 2),
        ("(3)", 1),
        ("(4)", 2),
        ("(5)", 2),
        ("(6)", 2),
        ("(7)", 2),
        ("(11)", 3),
    ]
    assert [(lv.id, lv.title, lv.points) for lv in criteria.levels] == [
        ("一", "城市安全源头治理", 18),
        ("二", "城市安全风险防控", 32),
    ]
    assert [(c.id, c.points) for lv in criteria.levels for c in lv.children] == [
        ("1", 5),
        ("2", 9),
        ("4", 7),
    ]
    assert criteria.total_points == 100 and criteria.bonus == ()
    item = criteria.item("(2)")
    assert item is not None and item.content.startswith("建设项目按规定开展安全预评价")
    assert item.scoring_rule.endswith("每发现上述一处情况扣0.5分,2分扣完为止。")


def test_tasks_map_to_the_items_both_readings_agreed_on(embedded: Registry) -> None:
    mapped = {t.id: t.criteria for t in embedded.tasks if t.criteria}
    assert mapped == {
        6: ("(1)",),
        7: ("(2)",),
        8: ("(3)",),
        10: ("(4)",),
        11: ("(5)",),
        12: ("(5)",),
        13: ("(6)",),
        14: ("(7)",),
        21: ("(11)",),
    }


def test_criteria_survive_the_cache(tmp_path: Path) -> None:
    first = load(embedded_data_dir())
    second = load(embedded_data_dir())  # from the cache
    assert second.criteria == first.criteria
    assert [t.criteria for t in second.tasks] == [t.criteria for t in first.tasks]


def test_a_registry_without_criteria_still_loads() -> None:
    registry = load_registry(MINI)
    assert registry.criteria is None


def test_init_copies_the_criteria(runner: CliRunner, tmp_path: Path) -> None:
    result = ok(runner, "init", str(tmp_path / "台账"))
    assert (tmp_path / "台账" / "criteria.yaml").read_bytes() == (
        embedded_data_dir() / "criteria.yaml"
    ).read_bytes()
    # tasks, units, schedule, the 评价细则 and the example 考核细则 (scoring.yaml)
    assert (tmp_path / "台账" / "scoring.yaml").is_file()
    assert "5 个文件" in result.stderr


def test_validate_says_how_much_is_entered(runner: CliRunner) -> None:
    assert ok(runner, "validate").stdout.endswith(f"评价细则：{COVERAGE}\n")


def problems_of(path: Path) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    return [str(p) for p in caught.value.problems]


def test_children_may_not_exceed_their_parent(work_registry: Path) -> None:
    edit(
        work_registry / "criteria.yaml",
        "        title: 城市安全规划\n        points: 5",
        "        title: 城市安全规划\n        points: 4",
    )
    path = work_registry / "criteria.yaml"
    assert problems_of(work_registry) == [
        f"{path}:15: levels[一].children[1].points: 所属三级项合计 5 分，超过本项的 4 分"
    ]


def test_criteria_ids_are_unique(work_registry: Path) -> None:
    edit(work_registry / "criteria.yaml", '- id: "(3)"', '- id: "(2)"')
    (problem,) = problems_of(work_registry)
    assert problem.startswith(f"{work_registry / 'criteria.yaml'}:")
    assert problem.endswith("三级项(2): 三级项编号「(2)」重复（三级项(2) 中已有）")


def test_a_task_may_name_only_entered_items(work_registry: Path) -> None:
    edit(work_registry / "tasks.yaml", 'criteria: ["(7)"]', 'criteria: ["(9)"]')
    (problem,) = problems_of(work_registry)
    assert problem == (
        f"{work_registry / 'tasks.yaml'}:96: tasks[序号14].criteria: 未知的三级项「(9)」"
        "（criteria.yaml 中已录入：(1)、(2)、(3)、(4)、(5)、(6)、(7)、(11)）"
    )


def test_naming_items_needs_a_criteria_file(tmp_path: Path) -> None:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    text = (target / "tasks.yaml").read_text(encoding="utf-8")
    first = text.index("    deadline:")
    end = text.index("\n", first)
    (target / "tasks.yaml").write_text(
        text[: end + 1] + '    criteria: ["1"]\n' + text[end + 1 :], encoding="utf-8"
    )
    (problem,) = problems_of(target)
    assert problem.endswith("登记册没有 criteria.yaml，不能引用三级项「1」")


# -- tasks ↔ items ----------------------------------------------------------------------------


def test_show_and_list_name_a_tasks_items(runner: CliRunner) -> None:
    assert "评价细则" in ok(runner, "show", "12").stdout
    assert "(5)消防站（2 分）" in ok(runner, "show", "12", "-f", "md").stdout
    rows = json.loads(ok(runner, "list", "--category", "2", "-f", "json").stdout)
    assert {r["id"]: r["criteria"] for r in rows}[11] == ["(5)"]
    assert {r["id"]: r["criteria"] for r in rows}[9] == []


def test_assess_items_and_gaps(runner: CliRunner) -> None:
    items = json.loads(ok(runner, "assess", "items", "-f", "json").stdout)
    assert [(i["id"], i["tasks"]) for i in items] == [
        ("(1)", [6]),
        ("(2)", [7]),
        ("(3)", [8]),
        ("(4)", [10]),
        ("(5)", [11, 12]),
        ("(6)", [13]),
        ("(7)", [14]),
        ("(11)", [21]),
    ]
    gaps = json.loads(ok(runner, "assess", "gaps", "-f", "json").stdout)
    assert gaps["items_without_tasks"] == []
    assert len(gaps["tasks_without_items"]) == 95
    assert 9 in gaps["tasks_without_items"] and 6 not in gaps["tasks_without_items"]


# -- findings and scores --------------------------------------------------------------------------


def record(runner: CliRunner, data: Path, *args: str) -> Result:
    return run(runner, "assess", "record", *args, "--data", str(data))


def test_record_and_score(runner: CliRunner, work_registry: Path) -> None:
    d = str(work_registry)
    ok(
        runner,
        "assess",
        "record",
        "1",
        "--deduct",
        "0.5",
        "--reason",
        "未制定排水防涝规划",
        "--unit",
        "水务",
        "--round",
        "1",
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    ok(
        runner,
        "assess",
        "record",
        "（1）",
        "--deduct",
        "2",
        "--reason",
        "未进行中期评估",
        "--round",
        "1",
        "--date",
        "2021-03-02",
        "--data",
        d,
    )
    ok(
        runner,
        "assess",
        "record",
        "(3)",
        "--deduct",
        "0.2",
        "--reason",
        "缺电梯安全管理办法",
        "--round",
        "第一次模拟自评",
        "--date",
        "2021-03-02",
        "--data",
        d,
    )
    card = json.loads(
        ok(
            runner,
            "assess",
            "score",
            "--round",
            "1",
            "--date",
            "2021-04-01",
            "-f",
            "json",
            "--data",
            d,
        ).stdout
    )
    assert card["round"] == "第一次模拟自评"
    assert card["coverage"] == {"items": 8, "points": 16, "total_points": 100, "text": COVERAGE}
    first, second, third = card["items"][:3]
    assert (first["id"], first["deducted"], first["score"], first["capped"]) == ("(1)", 2, 0, True)
    assert (second["id"], second["deducted"], second["score"]) == ("(3)", 0.2, 0.8)
    assert third["deducted"] == 0
    assert first["tasks"] == [
        {"id": 6, "status": "未启动", "level": "红", "deadline": "2020 年 12 月"}
    ]
    assert "区水务局" in first["units"] and "区发改委" in first["units"]
    assert [f["reason"] for f in first["findings"]] == ["未制定排水防涝规划", "未进行中期评估"]
    assert card["children"][0] == {
        "id": "1",
        "level": "一",
        "title": "城市安全规划",
        "points": 5,
        "entered_points": 5,
        "deducted": 2.2,
        "score": 2.8,
    }
    assert card["levels"][1] == {
        "id": "二",
        "title": "城市安全风险防控",
        "points": 32,
        "entered_points": 3,
        "deducted": 0,
        "score": 3,
    }
    assert card["total"] == {
        "entered_points": 16,
        "deducted": 2.2,
        "score": 13.8,
        "total_points": 100,
    }
    assert card["bonus"] == {"points": 0, "awarded": 0, "items": []}
    # Before the findings' dates they do not count.
    early = json.loads(
        ok(
            runner,
            "assess",
            "score",
            "--round",
            "1",
            "--date",
            "2021-03-01",
            "-f",
            "json",
            "--data",
            d,
        ).stdout
    )
    assert early["total"]["deducted"] == 0.5
    table = ok(runner, "assess", "score", "--round", "1", "--date", "2021-04-01", "--data", d)
    assert "2（已扣完）" in table.stdout and table.stderr == COVERAGE + "\n"


def test_rounds_compare_side_by_side(runner: CliRunner, work_registry: Path) -> None:
    d = str(work_registry)
    ok(
        runner,
        "assess",
        "record",
        "4",
        "--deduct",
        "1",
        "--reason",
        "改造率≤80%",
        "--round",
        "1",
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    ok(
        runner,
        "assess",
        "record",
        "4",
        "--deduct",
        "0.2",
        "--reason",
        "消火栓缺 1 处",
        "--round",
        "2",
        "--date",
        "2021-05-01",
        "--data",
        d,
    )
    # Without --round: the latest round with findings.
    assert (
        json.loads(ok(runner, "assess", "score", "-f", "json", "--data", d).stdout)["round"]
        == "第二次模拟自评"
    )
    compared = json.loads(
        ok(runner, "assess", "score", "--compare", "1", "2", "-f", "json", "--data", d).stdout
    )
    assert compared["rounds"] == ["第一次模拟自评", "第二次模拟自评"]
    four = next(i for i in compared["items"] if i["id"] == "(4)")
    assert four["scores"] == [
        {"round": "第一次模拟自评", "deducted": 1, "score": 1},
        {"round": "第二次模拟自评", "deducted": 0.2, "score": 1.8},
    ]
    assert four["change"] == 0.8 and compared["total"]["change"] == 0.8
    csv = ok(runner, "assess", "score", "--compare", "1", "正式", "-f", "csv", "--data", d).stdout
    assert csv.splitlines()[0] == (
        "\ufeff三级项,名称,分值,第一次扣分,第一次得分,正式扣分,正式得分,变化"
    )


def test_findings_are_appended_never_rewritten(runner: CliRunner, work_registry: Path) -> None:
    d = str(work_registry)
    ok(
        runner,
        "assess",
        "record",
        "2",
        "--deduct",
        "0.5",
        "--reason",
        "甲",
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    path = work_registry / "assessment" / "findings.yaml"
    before = path.read_bytes()
    ok(
        runner,
        "assess",
        "record",
        "2",
        "--deduct",
        "0.5",
        "--reason",
        "乙",
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    after = path.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    assert "id: K2" in after.decode("utf-8")
    assert ok(runner, "validate", "--data", d).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["9", "--deduct", "1", "--reason", "x"],
            "错误：未知的三级项「9」；criteria.yaml 中已录入：(1)、(2)、(3)、(4)、(5)、(6)、(7)、(11)",
        ),
        (["1", "--deduct", "0", "--reason", "x"], "错误：扣分分值应大于 0（给出的是 0）"),
        (["1", "--deduct", "-1", "--reason", "x"], "错误：扣分分值应大于 0（给出的是 -1）"),
        (["3", "--deduct", "1.5", "--reason", "x"], "错误：扣分 1.5 分超过三级项 (3) 的分值 1 分"),
        (
            ["1", "--deduct", "1", "--reason", "x", "--round", "3次"],
            "错误：未知的自评轮次「3次」，可选：1（第一次模拟自评）、2（第二次模拟自评）、正式（正式自评）",
        ),
        (["1", "--reason", "x"], "错误：请用 --deduct 给出扣分分值"),
        (
            ["1", "--deduct", "1", "--reason", " "],
            "错误：请用 --reason 写明扣分原因（对照评分标准）",
        ),
        (
            ["1", "--deduct", "1", "--reason", "x", "-e", "没有这个文件.pdf"],
            "错误：佐证材料文件不存在：没有这个文件.pdf",
        ),
        (
            ["1", "--deduct", "1", "--reason", "x", "-e", "."],
            "错误：佐证材料「.」是一个目录，请给出文件（多个文件请重复 --evidence）",
        ),
    ],
)
def test_bad_findings_are_refused_and_nothing_is_written(
    runner: CliRunner, work_registry: Path, args: list[str], message: str
) -> None:
    before = snapshot(work_registry)
    result = record(runner, work_registry, *args)
    # A bad command line is a usage error (2); a file that is not there, a refused record (1).
    assert result.exit_code == (1 if "佐证材料" in message else 2)
    assert result.stderr == message + "\n"
    assert snapshot(work_registry) == before


def test_the_embedded_registry_takes_no_findings(runner: CliRunner) -> None:
    result = run(runner, "assess", "record", "1", "--deduct", "1", "--reason", "x")
    assert result.exit_code == 1 and "内置登记册是只读的" in result.stderr


# -- 自评报告 and the workbook ----------------------------------------------------------------------


def test_report_and_workbook(runner: CliRunner, work_registry: Path, tmp_path: Path) -> None:
    d = str(work_registry)
    ok(
        runner,
        "assess",
        "record",
        "6",
        "--deduct",
        "1",
        "--reason",
        "桥梁缺限高标识",
        "--unit",
        "交运",
        "--round",
        "1",
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    text = ok(
        runner, "report", "assessment", "--round", "1", "--date", "2021-04-01", "--data", d
    ).stdout
    assert text.startswith("# 西安市临潼区国家安全发展示范城市创建工作第一次模拟自评报告\n")
    assert f"- {COVERAGE}；以下得分只计已录入的三级项。" in text
    assert (
        "| 一级项 | 二级项 | 三级项 | 评价内容 | 评分标准 | 扣分 | 得分 | 证明材料 | 责任单位 | 完成时限和进度 |"
        in text
    )
    assert "| (6)道路交通安全设施（2 分） | 1 | 桥梁缺限高标识（扣 1） |" in text
    assert "| **一、城市安全源头治理** | 18 | 13 | 1 | 12 |" in text
    html = tmp_path / "自评报告.html"
    ok(
        runner,
        "report",
        "assessment",
        "--round",
        "1",
        "--date",
        "2021-04-01",
        "-o",
        str(html),
        "--data",
        d,
    )
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    book_path = tmp_path / "自评表.xlsx"
    ok(
        runner,
        "export",
        "xlsx",
        "--assessment",
        "--round",
        "1",
        "--date",
        "2021-04-01",
        "-o",
        str(book_path),
        "--data",
        d,
    )
    from openpyxl import load_workbook

    book = load_workbook(book_path)
    assert book.sheetnames == ["自评表", "分项小计", "整改问题"]
    sheet = book["自评表"]
    assert [c.value for c in sheet[3]] == [
        "一级项",
        "二级项",
        "三级项",
        "评价内容",
        "评分标准",
        "扣分",
        "得分",
        "证明材料",
        "责任单位",
        "完成时限和进度",
    ]
    six = next(
        row for row in sheet.iter_rows(min_row=4, values_only=True) if str(row[2]).startswith("(6)")
    )
    assert six[5:7] == (1, 1)
    assert six[9] == "任务13：2021 年 4 月，未启动"


# -- 整改 problems -------------------------------------------------------------------------------


def test_problems_from_registration_to_closing(
    runner: CliRunner, work_registry: Path, tmp_path: Path
) -> None:
    d = str(work_registry)
    ok(
        runner,
        "problem",
        "add",
        "市政消火栓完好率未达 100%",
        "--unit",
        "住建",
        "--deadline",
        "2021-05-31",
        "--source",
        "自评",
        "--item",
        "4",
        "--task",
        "10",
        "--date",
        "2021-03-05",
        "--data",
        d,
    )
    second = ok(
        runner,
        "problem",
        "add",
        "易涝点未改造",
        "--unit",
        "区水务局",
        "--deadline",
        "2021-04-30",
        "--source",
        "暗访",
        "--date",
        "2021-03-05",
        "--data",
        d,
    )
    assert second.stderr == "已登记整改问题 Z2\n"
    receipt = tmp_path / "验收单.pdf"
    receipt.write_bytes(b"%PDF-1.4 receipt")
    ok(
        runner,
        "problem",
        "update",
        "Z1",
        "-u",
        "区住建局",
        "-s",
        "已完成",
        "--note",
        "已补齐",
        "-e",
        str(receipt),
        "--date",
        "2021-05-20",
        "--data",
        d,
    )
    ok(runner, "problem", "close", "z1", "--date", "2021-05-25", "--data", d)
    rows = json.loads(
        ok(runner, "problem", "list", "--date", "2021-06-15", "-f", "json", "--data", d).stdout
    )
    assert [(r["id"], r["status"], r["closed"], r["days_overdue"], r["level"]) for r in rows] == [
        ("Z1", "已销号", True, None, None),
        ("Z2", "未启动", False, 46, "红"),
    ]
    assert rows[0]["item"] == "(4)" and rows[0]["task"] == 10 and rows[0]["unit"] == "区住建局"
    assert [e["action"] for e in rows[0]["entries"]] == ["登记", "进展", "销号"]
    assert rows[0]["entries"][1]["evidence"] == [
        {
            "name": "验收单.pdf",
            "sha256": hashlib.sha256(b"%PDF-1.4 receipt").hexdigest(),
            "size": 16,
        }
    ]
    opened = json.loads(
        ok(
            runner, "problem", "list", "--open", "--date", "2021-04-20", "-f", "json", "--data", d
        ).stdout
    )
    assert [(r["id"], r["days_left"], r["level"]) for r in opened] == [
        ("Z1", 41, "黄"),
        ("Z2", 10, "黄"),  # not started with more than half its window gone
    ]
    mine = json.loads(
        ok(runner, "problem", "list", "--unit", "水务", "-f", "json", "--data", d).stdout
    )
    assert [r["id"] for r in mine] == ["Z2"]
    overdue = ok(runner, "overdue", "--date", "2021-06-15", "-f", "json", "--data", d)
    assert overdue.stderr == "另有 1 项整改问题逾期（Z2），用 safecity problem list --open 查看\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--deadline", "2021-05-01"], "错误：请用 --unit 指定整改责任单位"),
        (["x", "--unit", "住建"], "错误：请用 --deadline 指定整改时限"),
        (
            ["x", "--unit", "住建", "--deadline", "2021-05-01", "--source", "巡查"],
            "错误：未知的问题来源「巡查」，可选：自评、复核、督查、暗访",
        ),
        (
            ["x", "--unit", "住建", "--deadline", "2021-05-01", "--item", "99"],
            "错误：未知的三级项「99」；criteria.yaml 中已录入：(1)、(2)、(3)、(4)、(5)、(6)、(7)、(11)",
        ),
    ],
)
def test_bad_problems_are_refused(
    runner: CliRunner, work_registry: Path, args: list[str], message: str
) -> None:
    before = snapshot(work_registry)
    result = run(
        runner, "problem", "add", *args, "--date", "2021-03-01", "--data", str(work_registry)
    )
    assert result.exit_code == 2 and result.stderr == message + "\n"
    assert snapshot(work_registry) == before


def test_a_problem_closes_only_once_done(runner: CliRunner, work_registry: Path) -> None:
    d = str(work_registry)
    ok(
        runner,
        "problem",
        "add",
        "x",
        "--unit",
        "住建",
        "--deadline",
        "2021-05-01",
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    result = run(runner, "problem", "close", "Z1", "--date", "2021-03-02", "--data", d)
    assert result.exit_code == 1
    assert (
        result.stderr
        == "错误：整改问题 Z1 在2021年3月2日前尚未报告「已完成」（现为「未启动」），不能销号\n"
    )
    other = run(
        runner,
        "problem",
        "update",
        "Z1",
        "-u",
        "区水务局",
        "-s",
        "推进中",
        "--date",
        "2021-03-02",
        "--data",
        d,
    )
    assert other.stderr == "错误：整改问题 Z1 的责任单位是「区住建局」，不能由「区水务局」报送\n"


# -- the evidence archive and the bundle ----------------------------------------------------------


def test_evidence_check_finds_missing_and_changed_files(
    runner: CliRunner, work_registry: Path, tmp_path: Path
) -> None:
    d = str(work_registry)
    plan = tmp_path / "规划.docx"
    plan.write_bytes(b"plan v1")
    ok(
        runner,
        "assess",
        "record",
        "1",
        "--deduct",
        "0.5",
        "--reason",
        "x",
        "-e",
        str(plan),
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    plan.write_bytes(b"plan v2")  # the original changing later does not touch the archive
    assert ok(runner, "evidence", "check", "--data", d).stdout == (
        "材料完好：档案中 1 个文件，进展记录引用的本地文件 0 份，均未缺失、未改动\n"
    )
    sha = hashlib.sha256(b"plan v1").hexdigest()
    stored = work_registry / "evidence" / f"{sha}.docx"
    assert stored.read_bytes() == b"plan v1"
    stored.write_bytes(b"tampered")
    changed = run(runner, "evidence", "check", "--data", d)
    assert changed.exit_code == 1
    assert changed.stderr == (
        f"evidence/{sha}.docx（规划.docx）：文件内容已变化（SHA-256 与档案记录不符）\n错误：佐证材料有 1 处问题\n"
    )
    stored.unlink()
    gone = run(runner, "evidence", "check", "--data", d)
    assert gone.exit_code == 1 and "（规划.docx）：文件已不存在" in gone.stderr


def test_the_bundle_reads_back(runner: CliRunner, work_registry: Path, tmp_path: Path) -> None:
    d = str(work_registry)
    plan = tmp_path / "规划.docx"
    plan.write_bytes(b"plan")
    photo = tmp_path / "照片.jpg"
    photo.write_bytes(b"photo")
    ok(
        runner,
        "assess",
        "record",
        "1",
        "--deduct",
        "0.5",
        "--reason",
        "x",
        "-e",
        str(plan),
        "--evidence-link",
        "https://example.org/a",
        "--unit",
        "水务",
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    ok(
        runner,
        "update",
        "9",
        "--unit",
        "区住建局",
        "-s",
        "推进中",
        "-e",
        str(photo),
        "--date",
        "2021-03-02",
        "--data",
        d,
    )
    target = tmp_path / "材料.zip"
    result = ok(runner, "export", "bundle", "-o", str(target), "--data", d)
    assert result.stderr == f"已写入 {target}：2 份材料及目录（目录.md、目录.xlsx、目录.json）\n"
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == [
            "一、城市安全源头治理/(1)城市总体规划及防灾减灾等专项规划/规划.docx",
            "未对应三级项的任务/任务9/照片.jpg",
            "目录.md",
            "目录.xlsx",
            "目录.json",
        ]
        assert archive.read("未对应三级项的任务/任务9/照片.jpg") == b"photo"
        index = json.loads(archive.read("目录.json"))
        markdown = archive.read("目录.md").decode("utf-8")
        book = archive.read("目录.xlsx")
    assert index["files"][0] == {
        "file": "一、城市安全源头治理/(1)城市总体规划及防灾减灾等专项规划/规划.docx",
        "name": "规划.docx",
        "level": "一、城市安全源头治理",
        "item": "(1)城市总体规划及防灾减灾等专项规划",
        "task": None,
        "unit": "区水务局",
        "date": "2021-03-01",
        "sha256": hashlib.sha256(b"plan").hexdigest(),
        "source": "扣分记录 K1",
    }
    assert index["files"][1]["task"] == 9 and index["files"][1]["source"] == "进展记录"
    assert hashlib.sha256(b"photo").hexdigest() in markdown
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(book))["目录"]
    assert [c.value for c in sheet[2]] == [
        "序号",
        "文件",
        "原文件名",
        "一级项",
        "三级项",
        "任务",
        "责任单位",
        "日期",
        "SHA-256",
        "来源",
    ]
    assert sheet.max_row == 4
    only = tmp_path / "只含任务9.zip"
    ok(runner, "export", "bundle", "-o", str(only), "--task", "9", "--data", d)
    with zipfile.ZipFile(only) as archive:
        assert [n for n in archive.namelist() if not n.startswith("目录")] == [
            "未对应三级项的任务/任务9/照片.jpg"
        ]


def test_update_copies_evidence_into_the_archive(
    runner: CliRunner, work_registry: Path, tmp_path: Path
) -> None:
    d = str(work_registry)
    report = tmp_path / "整治报告.pdf"
    report.write_bytes(b"report")
    link = tmp_path / "只记路径.pdf"
    link.write_bytes(b"link")
    ok(
        runner,
        "update",
        "9",
        "--unit",
        "区住建局",
        "-s",
        "推进中",
        "-e",
        str(report),
        "-e",
        "https://example.org/b",
        "--evidence-link",
        str(link),
        "--date",
        "2021-03-02",
        "--data",
        d,
    )
    (entry,) = json.loads(ok(runner, "history", "9", "-f", "json", "--data", d).stdout)
    sha = hashlib.sha256(b"report").hexdigest()
    assert entry["evidence"] == [
        {"ref": f"evidence/{sha}.pdf", "size": 6, "sha256": sha},
        {"ref": "https://example.org/b"},
        {"ref": str(link.resolve()), "size": 4, "sha256": hashlib.sha256(b"link").hexdigest()},
    ]
    report.unlink()  # the copy travels with the registry
    assert (work_registry / "evidence" / f"{sha}.pdf").read_bytes() == b"report"
    assert ok(runner, "evidence", "check", "--data", d).stdout == (
        "材料完好：档案中 1 个文件，进展记录引用的本地文件 2 份，均未缺失、未改动\n"
    )
    target = tmp_path / "b.zip"
    ok(runner, "export", "bundle", "-o", str(target), "--data", d)
    with zipfile.ZipFile(target) as archive:
        assert "未对应三级项的任务/任务9/整治报告.pdf" in archive.namelist()


def test_update_refuses_a_missing_evidence_file(runner: CliRunner, work_registry: Path) -> None:
    before = snapshot(work_registry)
    result = run(
        runner,
        "update",
        "9",
        "--unit",
        "区住建局",
        "-s",
        "推进中",
        "-e",
        "无此文件.pdf",
        "--date",
        "2021-03-02",
        "--data",
        str(work_registry),
    )
    assert result.exit_code == 1 and result.stderr == "错误：佐证材料文件不存在：无此文件.pdf\n"
    assert snapshot(work_registry) == before


def test_the_weekly_briefing_lists_open_problems(runner: CliRunner, work_registry: Path) -> None:
    d = str(work_registry)
    assert (
        "整改问题" not in ok(runner, "report", "weekly", "--date", "2021-05-31", "--data", d).stdout
    )
    ok(
        runner,
        "problem",
        "add",
        "易涝点未改造",
        "--unit",
        "水务",
        "--deadline",
        "2021-04-30",
        "--date",
        "2021-03-05",
        "--data",
        d,
    )
    text = ok(runner, "report", "weekly", "--date", "2021-05-31", "--data", d).stdout
    assert "## 七、整改问题\n" in text
    assert (
        "| Z1 | 易涝点未改造 | 自评 | 区水务局 | 2021年4月30日 | 未启动，逾期 31 天 | 红 |" in text
    )


def test_validate_checks_the_assessment_files(runner: CliRunner, work_registry: Path) -> None:
    d = str(work_registry)
    ok(
        runner,
        "assess",
        "record",
        "2",
        "--deduct",
        "0.5",
        "--reason",
        "甲",
        "--date",
        "2021-03-01",
        "--data",
        d,
    )
    path = work_registry / "assessment" / "findings.yaml"
    edit(path, "item: (2)", "item: (9)")
    result = run(runner, "validate", "--data", d)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:5: findings[第1项].item: 扣分记录引用了未录入的三级项「(9)」\n错误：登记册有 1 处错误\n"
    )
    edit(path, "item: (9)", "item: [")
    broken = run(runner, "validate", "--data", d)
    assert broken.exit_code == 1 and broken.stderr.startswith(f"{path}:")


def test_update_and_close_take_a_problem_like_a_task(
    runner: CliRunner, work_registry: Path
) -> None:
    d = str(work_registry)
    add = ["problem", "add", "消火栓 2 处损坏", "-u", "住建", "--deadline", "2021-05-01"]
    ok(runner, *add, "--source", "自评", "--date", "2021-03-01", "--data", d)
    done = ["update", "Z1", "-u", "住建", "-s", "已完成", "--note", "已修复"]
    ok(runner, *done, "--date", "2021-03-05", "--data", d)
    ok(runner, "close", "Z1", "--note", "复查合格", "--date", "2021-03-06", "--data", d)
    listed = json.loads(ok(runner, "problem", "list", "-f", "json", "--data", d).stdout)
    assert [(p["id"], p["status"]) for p in listed] == [("Z1", "已销号")]
    refused = run(runner, "update", "Z9", "-u", "住建", "-s", "推进中", "--data", d)
    assert refused.exit_code != 0 and "Z9" in refused.stderr
