"""export xlsx: the 工作台账 workbook and the units' fillable sheets, read back with openpyxl."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.exchange.fillable import reporting_units
from safecity_cli.exchange.ledger_book import build_ledger_workbook
from safecity_cli.exchange.xlsx_style import DATE_FORMAT
from safecity_cli.ledger.entries import Ledger
from safecity_cli.ledger.files import load_ledger
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.registry.load import load_registry
from safecity_cli.registry.units import applies_to
from safecity_cli.tracking.recording import Report, check_report, record

MINI = Path(__file__).parent / "fixtures" / "mini"
ON = "2021-03-20"
RED, YELLOW = "FFC7CE", "FFEB9C"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the mini registry (program 2021-01-01 – 2021-06-30, 8 tasks)."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


def export(runner: CliRunner, *args: str) -> tuple[str, str]:
    result = runner.invoke(app, ["export", "xlsx", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout, result.stderr


def rows(ws: Worksheet, first: int) -> list[tuple[object, ...]]:
    return list(ws.iter_rows(min_row=first, values_only=True))


def fill_of(ws: Worksheet, coordinate: str) -> str:
    cell = ws[coordinate]
    return str(cell.fill.fgColor.rgb)[-6:] if cell.fill.fill_type == "solid" else ""


def test_ledger_workbook_has_three_sheets_with_frozen_filtered_headers(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "台账.xlsx"
    _, err = export(runner, "--date", ON, "--data", str(mini), "-o", str(out))
    assert err == (
        f"已写入 {out}：任务台账共 8 项任务（逾期 1 项），单位汇总 9 个单位，"
        "日程安排 3 个阶段、3 项日程\n"
    )
    book = load_workbook(out)
    assert book.sheetnames == ["任务台账", "单位汇总", "日程安排"]
    tasks = book["任务台账"]
    assert tasks["A1"].value == (
        "示例县创建工作工作台账（截至2021年3月20日，共 8 项任务，已完成 0 项，逾期 1 项）"
    )
    assert rows(tasks, 2)[0] == (
        "序号",
        "类别",
        "主要目标任务",
        "责任单位",
        "完成时限",
        "截止日期",
        "状态",
        "督办等级",
        "最新进展",
        "逾期天数",
    )
    for ws, last_column, last_row in ((tasks, "J", 10), (book["单位汇总"], "H", 11)):
        assert ws.freeze_panes == "A3"
        assert ws.auto_filter.ref == f"A2:{last_column}{last_row}"
        assert ws["A2"].font.b and fill_of(ws, "A2") == "1F4E78"
        assert ws.print_title_rows == "$2:$2"
    assert book["日程安排"].freeze_panes == "A3"


def test_every_printed_page_says_what_it_is_and_fits_the_width(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "台账.xlsx"
    export(runner, "--date", ON, "--data", str(mini), "-o", str(out))
    fillable = tmp_path / "填报.xlsx"
    export(
        runner,
        "--fillable",
        "-u",
        "县住建局",
        "--date",
        ON,
        "--data",
        str(mini),
        "-o",
        str(fillable),
    )
    sheets = [*load_workbook(out).worksheets, load_workbook(fillable)["进展填报"]]
    headings = [ws.oddHeader.center.text for ws in sheets]
    assert headings == [
        "示例县创建工作工作台账　任务台账",
        "示例县创建工作工作台账　单位汇总",
        "示例县创建工作工作台账　日程安排",
        "县住建局任务进展填报表　进展填报",
    ]
    for ws in sheets:
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert int(ws.page_setup.paperSize) == 9  # A4
    # the header rows printed again on every page
    assert [ws.print_title_rows for ws in sheets] == ["$2:$2", "$2:$2", "$2:$2", "$4:$4"]


def test_task_rows_keep_the_original_deadline_text_and_a_real_date(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "台账.xlsx"
    export(runner, "--date", ON, "--data", str(mini), "-o", str(out))
    ws = load_workbook(out)["任务台账"]
    by_id = {row[0]: row for row in rows(ws, 3)}
    assert by_id[2] == (
        2,
        "一、源头治理",
        "完善危险化学品安全管理办法，执行“一张图一张表”。",
        "县应急局、县市场监管局等相关部门",
        "2021年6月底前",
        datetime(2021, 6, 30),
        "未启动",
        None,
        None,
        None,
    )
    assert by_id[6][5:] == (datetime(2021, 2, 15), "未启动", "红", None, 33)
    assert by_id[7][4:6] == ("规划水平年", None)  # no date to give
    assert ws["F3"].number_format == DATE_FORMAT
    assert ws["C3"].alignment.wrap_text
    assert ws.column_dimensions["C"].width > ws.column_dimensions["A"].width


def test_overdue_rows_are_highlighted_by_level(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "台账.xlsx"
    export(runner, "--date", ON, "--data", str(mini), "-o", str(out))
    ws = load_workbook(out)["任务台账"]
    row_of = {ws.cell(row=r, column=1).value: r for r in range(3, ws.max_row + 1)}
    red = row_of[6]  # 33 days overdue: the whole row in red
    assert {fill_of(ws, f"{c}{red}") for c in "ABCDEFGHIJ"} == {RED}
    # Task 1 is idle past half its window (黄) but not overdue: only its level cell is marked.
    yellow = row_of[1]
    assert ws[f"H{yellow}"].value == "黄" and fill_of(ws, f"H{yellow}") == YELLOW
    assert fill_of(ws, f"A{yellow}") == "" and fill_of(ws, f"C{yellow}") == ""
    assert fill_of(ws, f"A{row_of[3]}") == ""


def test_unit_summary_and_schedule_sheets(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    export(runner, "--date", ON, "--data", str(mini), "-o", str(out))
    book = load_workbook(out)
    units = book["单位汇总"]
    assert rows(units, 2)[0] == (
        "责任单位",
        "类型",
        "任务数",
        "直接承担",
        "已完成",
        "未完成",
        "逾期",
        "完成率",
    )
    summary = {row[0]: row[1:] for row in rows(units, 3)}
    assert summary["县消防大队"] == ("驻县单位", 1, 1, 0, 1, 1, 0)
    assert summary["东街道"] == ("街道", 8, 0, 0, 8, 1, 0)
    assert units["H3"].number_format == "0.0%"
    schedule = book["日程安排"]
    assert rows(schedule, 3) == [
        ("阶段", 1, "动员部署阶段", None, "2021年1月", datetime(2021, 1, 31), "已结束"),
        (
            "阶段",
            2,
            "组织实施阶段",
            None,
            "2021年2月-2021年5月",
            datetime(2021, 5, 31),
            "当前阶段，剩余 72 天",
        ),
        ("阶段", 3, "国家评议阶段", None, "具体时间待定", None, "时间待定"),
        (
            "日程",
            1,
            "印发实施方案",
            "县应急局",
            "2021年1月20日前",
            datetime(2021, 1, 20),
            "未启动，逾期 59 天",  # issue 12: not done until recorded, so overdue
        ),
        (
            "日程",
            2,
            "完成自评报告",
            "县应急局、各街道",
            "2021年5月31日前",
            datetime(2021, 5, 31),
            "未启动，剩余 72 天",
        ),
        (
            "日程",
            3,
            "迎接国家评议",
            "县应急局",
            "按照国家确定时间实施",
            None,
            "未启动（无具体日期）",
        ),
    ]
    assert schedule["C4"].font.b  # the current phase stands out


def test_unit_filter_keeps_only_the_units_share(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "消防.xlsx"
    _, err = export(runner, "--date", ON, "--unit", "消防", "--data", str(mini), "-o", str(out))
    assert "共 1 项任务" in err
    book = load_workbook(out)
    assert [row[0] for row in rows(book["任务台账"], 3)] == [6]
    assert "（县消防大队）" in book["任务台账"]["A1"].value
    assert [row[0] for row in rows(book["单位汇总"], 3)] == ["县消防大队"]
    assert [row[:2] for row in rows(book["日程安排"], 3)] == [("阶段", 1), ("阶段", 2), ("阶段", 3)]


def test_a_group_shows_its_members_and_their_schedule(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "街道.xlsx"
    export(runner, "--date", ON, "--unit", "各街道", "--data", str(mini), "-o", str(out))
    book = load_workbook(out)
    assert [row[0] for row in rows(book["单位汇总"], 3)] == ["各街道", "东街道", "西街道"]
    assert [row[:2] for row in rows(book["日程安排"], 6)] == [("日程", 2)]


def test_latest_progress_comes_from_the_ledger(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    registry = load_registry(mini)
    entry = check_report(
        registry,
        load_ledger(mini),
        Report(4, "县应急局", "推进中", date(2021, 3, 5), note="平台招标完成"),
        today=date(2021, 3, 20),
        recorded_at=datetime(2021, 3, 5, 9, 0),
        evidence_base=mini,
    )
    record(registry, [entry])
    out = tmp_path / "台账.xlsx"
    export(runner, "--date", ON, "--data", str(mini), "-o", str(out))
    ws = load_workbook(out)["任务台账"]
    row = next(r for r in rows(ws, 3) if r[0] == 4)
    assert row[6:9] == ("推进中", None, "2021年3月5日 县应急局：平台招标完成")
    # As of a date before the entry, the ledger has nothing yet.
    export(runner, "--date", "2021-03-04", "--data", str(mini), "-o", str(out))
    row = next(r for r in rows(load_workbook(out)["任务台账"], 3) if r[0] == 4)
    assert row[6:9] == ("未启动", None, None)


def test_default_file_name_is_dated(
    runner: CliRunner, mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _, err = export(runner, "--date", ON, "--unit", "县住建局", "--data", str(mini))
    assert err.startswith("已写入 工作台账_县住建局_2021-03-20.xlsx：")
    assert (tmp_path / "工作台账_县住建局_2021-03-20.xlsx").is_file()
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_missing_output_folder_is_a_usage_error(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["export", "xlsx", "--data", str(mini), "-o", str(tmp_path / "无此目录" / "a.xlsx")]
    )
    assert result.exit_code == 2
    assert result.stderr == f"错误：输出目录不存在：{tmp_path / '无此目录'}\n"


def test_the_embedded_registry_exports_every_task(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "临潼.xlsx"
    _, err = export(runner, "--date", "2021-03-01", "-o", str(out))
    assert "任务台账共 104 项任务" in err
    ws = load_workbook(out)["任务台账"]
    assert ws.max_row == 2 + 104
    heights = [ws.row_dimensions[r].height for r in range(3, ws.max_row + 1)]
    assert all(h is not None and 14 < h <= 409 for h in heights)  # room for wrapped Chinese text


# -- the fillable sheet -----------------------------------------------------------------------


def test_fillable_sheet_for_a_unit(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "填报.xlsx"
    _, err = export(
        runner, "--fillable", "--unit", "应急", "--date", ON, "--data", str(mini), "-o", str(out)
    )
    assert err == f"已写入 {out}：县应急局的填报表，共 5 项任务\n"
    book = load_workbook(out)
    assert book.sheetnames == ["进展填报", "_safecity"]
    ws = book["进展填报"]
    assert ws["A1"].value == "县应急局创建工作任务进展填报表"
    assert rows(ws, 4)[0] == (
        "序号",
        "类别",
        "主要目标任务",
        "完成时限",
        "截止日期",
        "当前状态",
        "填报状态",
        "进展说明",
        "佐证材料",
        "报送日期",
        "调整后时限",
    )
    # Its own tasks only: 3, 5 and 7 belong to other units and to the groups it is not in.
    assert [row[0] for row in rows(ws, 5)] == [1, 2, 4, 6, 8]
    first = rows(ws, 5)[0]
    assert first[:7] == (
        1,
        "一",
        "编制城市安全专项规划。",
        "2021年3月",
        datetime(2021, 3, 31),
        "未启动",
        None,
    )
    assert first[9] == datetime(2021, 3, 20)  # 报送日期 defaults to the date the sheet was issued
    assert ws["J5"].number_format == DATE_FORMAT
    assert ws.freeze_panes == "A5"


def test_fillable_status_is_a_drop_down_and_fixed_cells_are_locked(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "填报.xlsx"
    export(
        runner,
        "--fillable",
        "--unit",
        "县应急局",
        "--date",
        ON,
        "--data",
        str(mini),
        "-o",
        str(out),
    )
    book = load_workbook(out)
    ws = book["进展填报"]
    last = ws.max_row
    assert last == 9  # five tasks under the header in row 4
    validations = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    status = validations[f"G5:G{last}"]
    assert status.type == "list"
    assert status.formula1 == '"未启动,推进中,已完成,延期,暂缓"'
    assert status.showErrorMessage and status.error.startswith("请从下拉列表中选择")
    assert validations[f"J5:J{last}"].type == "date"
    assert validations[f"K5:K{last}"].type == "date"
    assert ws.protection.sheet
    for column in "ABCDEF":
        assert ws[f"{column}5"].protection.locked
    for column in "GHIJK":
        assert not ws[f"{column}5"].protection.locked
        assert fill_of(ws, f"{column}5") == "FFF9DB"
    assert not ws["C3"].protection.locked  # 填报人


def test_fillable_carries_unit_and_registry_in_a_hidden_sheet(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "填报.xlsx"
    export(
        runner, "--fillable", "--unit", "东街道", "--date", ON, "--data", str(mini), "-o", str(out)
    )
    book = load_workbook(out)
    meta = book["_safecity"]
    assert meta.sheet_state == "hidden"
    assert book.security is not None and book.security.lockStructure
    values = {row[0]: row[1:] for row in meta.iter_rows(values_only=True)}
    assert values["登记册"][0] == "示例县安全发展示范城市创建工作"
    assert values["登记册标识"][0] == load_registry(mini).key
    assert values["下发日期"][0] == datetime(2021, 3, 20)
    assert values["工作表"][:2] == ("进展填报", "东街道")


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        (
            "各街道",
            "错误：「各街道」已列出成员单位，由各成员单位分别报送；请为其成员单位分别生成填报表：东街道、西街道\n",
        ),
        ("县市场监管局x", None),
    ],
)
def test_fillable_refuses_a_group_with_members(
    runner: CliRunner, mini: Path, tmp_path: Path, unit: str, message: str | None
) -> None:
    result = runner.invoke(
        app,
        [
            "export",
            "xlsx",
            "--fillable",
            "--unit",
            unit,
            "--data",
            str(mini),
            "-o",
            str(tmp_path / "a.xlsx"),
        ],
    )
    assert result.exit_code == 2
    if message:
        assert result.stderr == message
    else:
        assert result.stderr.startswith("错误：未知的单位「县市场监管局x」")


def test_the_units_that_fill_in_are_those_with_tasks_that_list_no_members() -> None:
    for registry in (load_registry(MINI), load_registry(embedded_data_dir())):
        expected = [
            u
            for u in registry.units
            if not u.members and any(applies_to(registry, t, u)[0] for t in registry.tasks)
        ]
        assert reporting_units(registry) == expected and expected


def test_fillable_for_every_unit_writes_one_workbook_each(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "下发"
    _, err = export(runner, "--fillable", "--date", ON, "--data", str(mini), "-o", str(folder))
    names = sorted(p.name for p in folder.iterdir())
    # Every unit that reports for itself; 各街道 lists members, so 东街道 and 西街道 get theirs.
    assert names == sorted(
        f"进展填报_{u}_2021-03-20.xlsx"
        for u in (
            "县住建局",
            "县应急局",
            "县市场监管局",
            "县城管局",
            "县消防大队",
            "东街道",
            "西街道",
            "负有监管职责的部门",
        )
    )
    assert err.startswith(f"已写入 8 份填报表到 {folder}（共 ")


def test_progress_is_reported_step_by_step_to_the_end(mini: Path) -> None:
    seen: list[tuple[int, int]] = []
    build_ledger_workbook(
        load_registry(mini), Ledger(), date(2021, 3, 20), progress=lambda *step: seen.append(step)
    )
    total = 9 + 2  # the tasks, each of the 9 units, the schedule
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_output_may_name_a_folder_but_not_the_screen(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    _, err = export(runner, "--date", ON, "--data", str(mini), "-o", str(tmp_path))
    assert err.startswith(f"已写入 {tmp_path / '工作台账_2021-03-20.xlsx'}：")
    result = runner.invoke(app, ["export", "xlsx", "--data", str(mini), "-o", "-"])
    assert result.exit_code == 2
    assert result.stderr == "错误：Excel 工作簿不能输出到屏幕，请用 -o 指定文件名\n"
