"""import xlsx: a unit's filled sheet comes back into the ledger, through the checks of `update`."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.ledger.entries import Evidence, Status
from safecity_cli.ledger.files import PROGRESS_DIR, load_ledger
from safecity_cli.registry.load import load_registry
from safecity_cli.tracking.state import task_state

MINI = Path(__file__).parent / "fixtures" / "mini"
ISSUED = "2021-03-20"
TODAY = date(2021, 3, 25)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock reads 25 March 2021 (the future-date check depends on it)."""
    monkeypatch.setattr("safecity_cli.cli.clock.today", lambda: TODAY)


def issue(runner: CliRunner, data: Path | None, unit: str, folder: Path) -> Path:
    """The office hands a unit its fillable sheet."""
    folder.mkdir(exist_ok=True)
    out = folder / f"{unit}.xlsx"
    args = ["export", "xlsx", "--fillable", "--unit", unit, "--date", ISSUED, "-o", str(out)]
    result = runner.invoke(app, [*args, *(["--data", str(data)] if data else [])])
    assert result.exit_code == 0, result.stderr
    return out


def fill(path: Path, rows: dict[int, dict[str, object]], *, by: str | None = None) -> None:
    """The unit fills in rows (by task number) and saves, as it would in Excel."""
    book = load_workbook(path)
    ws = book["进展填报"]
    headers = {c.value: c.column for c in ws[4]}
    row_of = {ws.cell(row=r, column=1).value: r for r in range(5, ws.max_row + 1)}
    for task, values in rows.items():
        for header, value in values.items():
            ws.cell(row=row_of[task], column=headers[header]).value = value
    if by is not None:
        ws["C3"] = by
    book.save(path)


def import_(runner: CliRunner, data: Path, *files: Path, dry: bool = False) -> tuple[int, str, str]:
    args = ["import", "xlsx", *map(str, files), "--data", str(data)]
    result = runner.invoke(app, [*args, "--dry-run"] if dry else args)
    return result.exit_code, result.stdout, result.stderr


def ledger_files(data: Path) -> dict[str, bytes]:
    folder = data / PROGRESS_DIR
    return (
        {p.name: p.read_bytes() for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}
    )


def test_round_trip_dry_run_then_import_then_again(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    sheet = issue(runner, mini, "县应急局", tmp_path / "回收")
    (tmp_path / "回收" / "材料").mkdir()
    pdf = tmp_path / "回收" / "材料" / "验收.pdf"
    pdf.write_bytes(b"%PDF-1.4 acceptance")
    fill(
        sheet,
        {
            1: {"填报状态": "推进中", "进展说明": "规划初稿已完成"},
            4: {
                "填报状态": "已完成",
                "进展说明": "平台通过验收",
                "佐证材料": "材料/验收.pdf\nhttps://example.org/pingtai",
                "报送日期": datetime(2021, 3, 22),
            },
            6: {"填报状态": "延期", "调整后时限": datetime(2021, 4, 30), "进展说明": "队伍组建中"},
        },
        by="张三",
    )

    code, out, err = import_(runner, mini, sheet, dry=True)
    assert code == 0, err
    assert err == "试运行：将为 县应急局 记录 3 条进展；未写入任何内容\n"
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    assert lines[0] == "将记录的进展（试运行，未写入）"
    assert lines[1].split() == [
        "任务",
        "日期",
        "单位",
        "状态",
        "说明",
        "佐证材料",
        "报送人",
        "调整后时限",
    ]
    assert [line.split()[:4] for line in lines if line[0].isdigit()] == [
        ["1", "2021年3月20日", "县应急局", "推进中"],
        ["4", "2021年3月22日", "县应急局", "已完成"],
        ["6", "2021年3月20日", "县应急局", "延期申请（待"],  # the table wraps the cell
    ]
    assert ledger_files(mini) == {}

    code, out, err = import_(runner, mini, sheet)
    assert code == 0, err
    assert err == "已为 县应急局 记录 3 条进展\n"
    entries = sorted(load_ledger(mini).entries, key=lambda e: e.task)
    assert [(e.task, e.unit, e.status, e.date, e.note, e.by, e.new_deadline) for e in entries] == [
        (1, "县应急局", Status.IN_PROGRESS, date(2021, 3, 20), "规划初稿已完成", "张三", None),
        (4, "县应急局", Status.DONE, date(2021, 3, 22), "平台通过验收", "张三", None),
        (
            6,
            "县应急局",
            Status.DEFERRED,
            date(2021, 3, 20),
            "队伍组建中",
            "张三",
            date(2021, 4, 30),
        ),
    ]
    # Evidence paths are read relative to the workbook's folder and kept with size and hash.
    assert entries[1].evidence == (
        Evidence(
            str(pdf),
            len(b"%PDF-1.4 acceptance"),
            hashlib.sha256(b"%PDF-1.4 acceptance").hexdigest(),
        ),
        Evidence("https://example.org/pingtai"),
    )
    registry = load_registry(mini)
    unit = registry.unit("县应急局")
    state = task_state(registry, load_ledger(mini), registry.task(6), TODAY, unit=unit)  # type: ignore[arg-type]
    # An imported 延期 is a request: the original deadline governs until the office approves.
    assert state.deadline == date(2021, 2, 15) and state.overdue
    assert [e.new_deadline for e in state.requests] == [date(2021, 4, 30)]

    before = ledger_files(mini)
    code, out, err = import_(runner, mini, sheet)
    assert code == 0, err
    assert err == "没有需要记录的新进展（县应急局：填报 3 行，3 行与台账中已有记录相同，已跳过）\n"
    assert out == ""
    assert ledger_files(mini) == before


def test_only_new_rows_are_recorded_when_a_sheet_comes_back_again(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    sheet = issue(runner, mini, "东街道", tmp_path / "回收")
    fill(sheet, {3: {"填报状态": "推进中", "进展说明": "排查 12 处"}})  # 3 is 各街道's task
    assert import_(runner, mini, sheet)[0] == 0
    fill(sheet, {5: {"填报状态": "已完成", "报送日期": "2021/3/24"}})
    code, _, err = import_(runner, mini, sheet)
    assert code == 0, err
    assert err == "已为 东街道 记录 1 条进展，1 行与台账中已有记录相同，已跳过\n"
    assert sorted((e.task, e.date) for e in load_ledger(mini).entries) == [
        (3, date(2021, 3, 20)),
        (5, date(2021, 3, 24)),
    ]


def test_every_bad_row_is_listed_and_nothing_is_written(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    sheet = issue(runner, mini, "县应急局", tmp_path / "回收")
    book = load_workbook(sheet)
    ws = book["进展填报"]
    ws["A6"] = 99  # the sheet is protected, but a determined user can still change a number
    ws["A7"] = 3  # a task that is not 县应急局's
    book.save(sheet)
    fill(
        sheet,
        {
            1: {"填报状态": "推进中", "进展说明": "这一行本身没有问题"},
            99: {"填报状态": "推进中"},
            3: {"填报状态": "推进中"},
            6: {"填报状态": "完成了"},
            8: {"填报状态": "推进中", "报送日期": "2021-02-30"},
        },
    )
    _append_rows(sheet)
    code, out, err = import_(runner, mini, sheet)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        "工作表 进展填报 第 6 行：没有序号为 99 的任务",
        "工作表 进展填报 第 7 行：任务 3 的责任单位中没有「县应急局」，不能由其报送",
        "工作表 进展填报 第 8 行：未知的状态「完成了」，可选：未启动、推进中、已完成、已销号、延期、暂缓",
        "工作表 进展填报 第 9 行：报送日期「2021-02-30」不存在（月份或日期超出范围）",
        "工作表 进展填报 第 10 行：报送日期2021年4月1日晚于今天（2021年3月25日），不能预先记录",
        "工作表 进展填报 第 11 行：填报状态为「延期」时须填写「调整后时限」",
        "工作表 进展填报 第 12 行：填写了进展说明、佐证材料或调整后时限，但未选择填报状态",
        f"工作表 进展填报 第 13 行：佐证材料文件不存在：{tmp_path / '回收' / '无此文件.pdf'}",
        "工作表 进展填报 第 14 行：报送日期2020年12月1日早于创建工作起始日期2021年1月1日",
        "错误：填报表中有 9 行有问题，未记录任何内容",
    ]
    assert ledger_files(mini) == {}
    code, _, err = import_(runner, mini, sheet, dry=True)  # a dry run finds the same
    assert code == 1 and err.endswith("错误：填报表中有 9 行有问题，未记录任何内容\n")


def _append_rows(sheet: Path) -> None:
    """More bad rows below the unit's tasks, each with a task number that is the unit's."""
    book = load_workbook(sheet)
    ws = book["进展填报"]
    bad = [
        {"填报状态": "推进中", "报送日期": datetime(2021, 4, 1)},
        {"填报状态": "延期"},
        {"进展说明": "忘了选状态"},
        {"填报状态": "已完成", "佐证材料": "无此文件.pdf"},
        {"填报状态": "推进中", "报送日期": "2020年12月1日"},
    ]
    headers = {c.value: c.column for c in ws[4]}
    for offset, values in enumerate(bad, start=10):
        ws.cell(row=offset, column=1).value = 1
        for header, value in values.items():
            ws.cell(row=offset, column=headers[header]).value = value
    book.save(sheet)


def test_several_files_are_all_or_nothing(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    good = issue(runner, mini, "县住建局", tmp_path / "回收")
    bad = issue(runner, mini, "西街道", tmp_path / "回收")
    fill(good, {1: {"填报状态": "推进中"}})
    fill(bad, {1: {"填报状态": "延期"}})
    code, _, err = import_(runner, mini, good, bad)
    assert code == 1
    assert err.splitlines() == [
        "文件 西街道.xlsx 工作表 进展填报 第 5 行：填报状态为「延期」时须填写「调整后时限」",
        "错误：填报表中有 1 行有问题，未记录任何内容",
    ]
    assert ledger_files(mini) == {}
    fill(bad, {1: {"填报状态": "暂缓"}})
    code, _, err = import_(runner, mini, good, bad)
    assert code == 0, err
    assert err == "已为 县住建局、西街道 记录 2 条进展\n"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("missing", "错误：文件不存在：{path}\n"),
        (
            "text",
            "错误：无法读取 坏.xlsx：不是有效的 Excel 工作簿（.xlsx）。如是 .xls 或 .et 文件，请在 Excel 或 WPS 中另存为 .xlsx 后再导入\n",
        ),
        (
            "ledger",
            "错误：坏.xlsx 不是 safecity 生成的填报表（缺少「_safecity」工作表）；请用 safecity export xlsx --fillable --unit 单位 生成填报表\n",
        ),
    ],
)
def test_files_that_are_not_fillable_sheets(
    runner: CliRunner, mini: Path, tmp_path: Path, make: str, message: str
) -> None:
    path = tmp_path / "坏.xlsx"
    if make == "text":
        path.write_text("序号,状态\n1,已完成\n", encoding="utf-8")
    elif make == "ledger":
        args = ["export", "xlsx", "--data", str(mini), "--date", ISSUED, "-o", str(path)]
        assert runner.invoke(app, args).exit_code == 0
    code, _, err = import_(runner, mini, path)
    assert code == 2
    assert err == message.format(path=path)


def test_a_sheet_from_another_registry_is_refused(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    sheet = issue(runner, None, "区住建局", tmp_path / "回收")  # from the embedded registry
    code, _, err = import_(runner, mini, sheet)
    assert code == 2
    assert err == (
        "错误：区住建局.xlsx 是「西安市临潼区国家安全发展示范城市创建工作」的填报表，"
        "与当前登记册「示例县安全发展示范城市创建工作」不符；请用 --data 指定对应的登记册\n"
    )


def test_the_embedded_registry_is_read_only_but_a_dry_run_may_check(
    runner: CliRunner, tmp_path: Path
) -> None:
    sheet = issue(runner, None, "区住建局", tmp_path / "回收")
    fill(sheet, {6: {"填报状态": "推进中"}})
    result = runner.invoke(app, ["import", "xlsx", str(sheet)])
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：内置登记册是只读的，不能记录进展。")
    result = runner.invoke(app, ["import", "xlsx", str(sheet), "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "试运行：将为 区住建局 记录 1 条进展；未写入任何内容\n"


def test_an_untouched_sheet_records_nothing(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    sheet = issue(runner, mini, "县城管局", tmp_path / "回收")
    code, out, err = import_(runner, mini, sheet)
    assert (code, out) == (0, "")
    assert err == "没有需要记录的新进展（县城管局：填报 0 行）\n"
    assert ledger_files(mini) == {}


def test_a_sheet_cannot_close_a_task_even_typed_in(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    # The drop-down leaves 已销号 out; typed in over it, the row is still refused (issue 12).
    sheet = issue(runner, mini, "县应急局", tmp_path / "回收")
    fill(sheet, {4: {"填报状态": "已销号"}})
    code, out, err = import_(runner, mini, sheet)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "工作表 进展填报 第 7 行：「已销号」只能由创建办对整项任务办理：各责任单位报告「已完成」后，"
        "由创建办运行 safecity close 任务序号",
        "错误：填报表中有 1 行有问题，未记录任何内容",
    ]
    assert ledger_files(mini) == {}
