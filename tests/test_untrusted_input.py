"""Hostile input (issue 11, 不可信输入): bounded work, refused control characters, inert cells."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from safecity_cli.cli import app
from safecity_cli.registry.lines import Lines
from safecity_cli.registry.yaml_files import line_of


def invoke(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


# -- validate is linear in the number of problems ----------------------------------------------


def test_four_thousand_unknown_units_are_each_reported_with_their_line(
    runner: CliRunner, work_registry: Path
) -> None:
    tasks = work_registry / "tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    first = text.count("\n") + 1
    tasks.write_text(
        text
        + "".join(
            f"  - id: {1000 + i}\n    category: 1\n    text: 任务{i}\n"
            f"    units: [不存在的单位{i}]\n    deadline: 2021 年 7 月\n"
            for i in range(4000)
        ),
        encoding="utf-8",
    )
    result = invoke(runner, "validate", "--data", str(work_registry))
    assert result.exit_code == 1
    unknown = [line for line in result.stderr.splitlines() if "未知的责任单位" in line]
    assert len(unknown) == 4000
    # task i starts at line first + 5i; its units list is the fourth line of it
    assert unknown[0].startswith(f"{tasks}:{first + 3}: tasks[序号1000].units: ")
    assert unknown[-1].startswith(f"{tasks}:{first + 5 * 3999 + 3}: tasks[序号4999].units: ")
    assert result.stderr.splitlines()[-1] == "错误：登记册有 4000 处错误"


def test_line_index_answers_as_line_of(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        "# head\nunits:\n  - name: 甲\n    aliases: [乙, 丙]\n  - {name: 丁}\nkinds: [x]\n",
        encoding="utf-8",
    )
    lines = Lines()
    locs: list[list[str | int]] = [
        [],
        ["units"],
        ["units", 0],
        ["units", 0, "aliases", 1],
        ["units", 1, "name"],
        ["units", 7, "name"],
        ["kinds", 0],
        ["missing", 3],
    ]
    assert [lines.line(path, loc) for loc in locs] == [line_of(path, loc) for loc in locs]
    assert [lines.line(path, loc) for loc in locs] == [2, 3, 3, 4, 5, 3, 6, 2]
    assert Lines().line(tmp_path / "absent.yaml", ["a"]) is None


# -- control characters: refused when recorded, neutralised when shown -------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["update", "27", "-u", "住建", "-s", "推进中", "--note", "a\x01b"],
            "错误：说明含有控制字符 U+0001（只允许换行和制表符），请删除",
        ),
        (
            ["update", "27", "-u", "住建", "-s", "推进中", "--note", "\x1b]0;T\x07\x1b[2J"],
            "错误：说明含有控制字符 U+001B（只允许换行和制表符），请删除",
        ),
        (
            ["update", "27", "-u", "住建", "-s", "推进中", "--note", "\udcff"],
            "错误：说明含有无法识别的字节（不是 UTF-8 编码的文字），请检查终端或文件的编码",
        ),
        (
            ["update", "27", "-u", "住建", "-s", "推进中", "--by", "张\n三"],
            "错误：报送人含有控制字符 U+000A，请删除",
        ),
        (
            ["update", "27", "-u", "住建", "-s", "推进中", "--evidence-link", "http://x/a\x85"],
            "错误：佐证材料含有控制字符 U+0085，请删除",
        ),
        (
            ["update", "27", "-u", "住\x1b[31m建", "-s", "推进中"],
            "错误：单位含有控制字符 U+001B，请删除",
        ),
        (
            ["close", "76", "--note", "\x07"],
            "错误：说明含有控制字符 U+0007（只允许换行和制表符），请删除",
        ),
        (["close", "76", "--by", "\x9b2J"], "错误：经办人含有控制字符 U+009B，请删除"),
    ],
)
def test_control_characters_are_refused_when_recorded(
    runner: CliRunner, work_registry: Path, args: list[str], message: str
) -> None:
    result = invoke(runner, *args, "--date", "2021-03-01", "--data", str(work_registry))
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert not list(work_registry.glob("progress/*.yaml"))  # nothing recorded


def test_a_note_may_hold_newlines_and_tabs(runner: CliRunner, work_registry: Path) -> None:
    result = invoke(
        runner,
        "update",
        "27",
        "-u",
        "住建",
        "-s",
        "推进中",
        "--note",
        "第一行\n\t第二行",
        "--date",
        "2021-03-01",
        "--data",
        str(work_registry),
    )
    assert result.exit_code == 0, result.stderr
    shown = invoke(runner, "history", "27", "--format", "json", "--data", str(work_registry))
    assert '"note": "第一行\\n\\t第二行"' in shown.stdout


HOSTILE_NOTE = '=HYPERLINK(\\"http://x\\",\\"点此\\")\\x01\\e]0;T\\a\\e[2J\\x9b'


@pytest.fixture
def tampered(work_registry: Path) -> Path:
    """A ledger written by hand (or by an older version) whose note holds terminal escapes."""
    progress = work_registry / "progress"
    progress.mkdir()
    (progress / "区住建局.yaml").write_text(
        "entries:\n- task: 27\n  unit: 区住建局\n  status: 推进中\n  date: 2021-03-01\n"
        f'  note: "{HOSTILE_NOTE}"\n  evidence: []\n  by: "\\e[31m张三"\n'
        "  recorded_at: '2021-03-01T10:00:00'\n",
        encoding="utf-8",
    )
    return work_registry


SHOWN_NOTE = '=HYPERLINK("http://x","点此")\ufffd\ufffd]0;T\ufffd\ufffd[2J\ufffd'


@pytest.mark.parametrize(
    "args",
    [
        ["history", "27"],
        ["history", "27", "--format", "md"],
        ["history", "27", "--format", "csv"],
        ["show", "27"],
        ["show", "27", "--format", "md"],
        ["list", "--unit", "住建", "--format", "csv"],
        ["report", "weekly", "--date", "2021-03-15"],
    ],
)
def test_stored_escapes_never_reach_the_terminal(
    runner: CliRunner, tampered: Path, args: list[str]
) -> None:
    result = invoke(runner, *args, "--data", str(tampered))
    assert result.exit_code == 0, result.stderr
    controls = [
        c for c in result.stdout if (ord(c) < 32 and c not in "\n\t\r") or 0x7F <= ord(c) <= 0x9F
    ]
    assert controls == []
    assert "\r" not in result.stdout.replace("\r\n", "")
    if args[0] in ("history", "show"):
        assert "]0;T" in result.stdout and "\ufffd" in result.stdout


def test_rich_markup_in_stored_text_is_shown_as_written(
    runner: CliRunner, work_registry: Path
) -> None:
    note = "[link=file:///etc/passwd]点此[/link] [bold red]"
    result = invoke(
        runner,
        "update",
        "27",
        "-u",
        "住建",
        "-s",
        "推进中",
        "--note",
        note,
        "--date",
        "2021-03-01",
        "--data",
        str(work_registry),
    )
    assert result.exit_code == 0
    shown = invoke(runner, "history", "27", "--data", str(work_registry))
    flat = shown.stdout.replace("\n", "").replace(" ", "")
    assert "[link=" in flat and "点此[/link]" in flat and "[boldred]" in flat  # not read as markup


def test_long_listings_streamed_as_text_are_sanitised(capsys: pytest.CaptureFixture[str]) -> None:
    from safecity_cli.cli.common import write
    from safecity_cli.render.formats import Listing, render_tsv

    text = render_tsv(Listing("t", ["说\x1b明"], [["a\x1b[2J\tb\nc\x07"]], None))
    assert text == "说\ufffd明\na\ufffd[2J b c\ufffd\n"
    write("\x1b[31m红\x1b[0m\x1b]0;T\x07", styles=True)  # Rich's colours stay, nothing else
    assert capsys.readouterr().out == "\x1b[31m红\x1b[0m\ufffd]0;T\ufffd"


def test_csv_cells_that_would_be_formulas_start_with_an_apostrophe() -> None:
    from safecity_cli.render.formats import render_csv

    rows = [
        ['=HYPERLINK("http://x","点此")'],
        ["+cmd|'/C calc'!A0"],
        ["@SUM(A1)"],
        ["-2+3"],
        ["\tx"],
        ["\rx"],
        ["-3"],
        ["+1.5"],
        ["-0.5e3"],
        ["12%"],
        ["普通文字"],
        [""],
        [7],
        [-3],
    ]
    text = render_csv(["说明"], rows)
    assert text.split("\r\n")[1:-1] == [
        '"\'=HYPERLINK(""http://x"",""点此"")"',
        "'+cmd|'/C calc'!A0",
        "'@SUM(A1)",
        "'-2+3",
        "'\tx",
        '"\'\rx"',
        "-3",
        "+1.5",
        "-0.5e3",
        "12%",
        "普通文字",
        '""',
        "7",
        "-3",
    ]


def test_export_csv_guards_task_text(runner: CliRunner, work_registry: Path) -> None:
    tasks = work_registry / "tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    tasks.write_text(
        text.replace("text: 近三年道路交通事故万车死亡率逐年下降。", "text: '=1+1 道路交通'"),
        encoding="utf-8",
    )
    result = invoke(runner, "export", "csv", "-o", "-", "--data", str(work_registry))
    assert result.exit_code == 0, result.stderr
    assert "\n2,一,'=1+1 道路交通," in result.stdout


def test_xlsx_never_holds_a_formula_and_never_fails_on_controls(
    runner: CliRunner, tampered: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    tasks = tampered / "tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    tasks.write_text(
        text.replace("text: 近三年道路交通事故万车死亡率逐年下降。", "text: '=1+1 道路交通'"),
        encoding="utf-8",
    )
    for extra in ([], ["--fillable", "--unit", "区住建局"]):
        out = tmp_path / f"台账{len(extra)}.xlsx"
        result = invoke(
            runner,
            "export",
            "xlsx",
            *extra,
            "--date",
            "2021-03-15",
            "-o",
            str(out),
            "--data",
            str(tampered),
        )
        assert result.exit_code == 0, result.stderr
        workbook = load_workbook(out)
        cells = [c for ws in workbook for row in ws.iter_rows() for c in row]
        assert [c for c in cells if c.data_type == "f"] == []
        texts = [c.value for c in cells if isinstance(c.value, str)]
        assert not any(ord(ch) < 32 and ch not in "\n\t\r" for t in texts for ch in t)
        if not extra:
            assert "=1+1 道路交通" in texts
            assert any(SHOWN_NOTE in t for t in texts)


def test_calendar_holds_no_control_characters(
    runner: CliRunner, tampered: Path, tmp_path: Path
) -> None:
    out = tmp_path / "日历.ics"
    result = invoke(runner, "export", "ics", "-o", str(out), "--data", str(tampered))
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes().decode("utf-8")
    assert "=HYPERLINK" in data.replace("\r\n ", "")
    assert [c for c in data.replace("\r\n", "") if ord(c) < 32 or 0x7F <= ord(c) <= 0x9F] == []


# -- import xlsx: bounded reading, tampered values ----------------------------------------------

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture
def returned(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """(registry, the 县应急局 sheet as the office issued it on 20 March 2021)."""
    import shutil

    monkeypatch.setattr("safecity_cli.cli.clock.today", lambda: date(2021, 3, 25))
    data = tmp_path / "mini"
    shutil.copytree(MINI, data)
    sheet = tmp_path / "回收" / "县应急局.xlsx"
    sheet.parent.mkdir()
    result = invoke(
        runner,
        "export",
        "xlsx",
        "--fillable",
        "--unit",
        "县应急局",
        "--date",
        "2021-03-20",
        "-o",
        str(sheet),
        "--data",
        str(data),
    )
    assert result.exit_code == 0, result.stderr
    return data, sheet


def import_sheet(runner: CliRunner, data: Path, sheet: Path) -> Result:
    return invoke(runner, "import", "xlsx", str(sheet), "--data", str(data))


def edit_book(sheet: Path, change: Callable[[Any], None]) -> None:
    from openpyxl import load_workbook

    book = load_workbook(sheet)
    change(book)
    book.save(sheet)


def test_a_workbook_over_the_size_limit_is_refused_unread(
    runner: CliRunner, returned: tuple[Path, Path]
) -> None:
    data, sheet = returned
    with sheet.open("ab") as handle:
        handle.write(b"\0" * (21 * 1024 * 1024))
    result = import_sheet(runner, data, sheet)
    assert result.exit_code == 2
    assert result.stderr == (
        f"错误：县应急局.xlsx 有 {sheet.stat().st_size / 1048576:.1f} MB，超过填报表的上限 "
        "20.0 MB，不能导入；请确认是 safecity 生成的填报表\n"
    )


def test_a_zip_bomb_is_refused_from_its_directory(
    runner: CliRunner, returned: tuple[Path, Path]
) -> None:
    import zipfile

    data, sheet = returned
    with (
        zipfile.ZipFile(sheet, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("xl/media/blank.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(101):
            member.write(b" " * (1 << 20))
    assert sheet.stat().st_size < 1024 * 1024
    result = import_sheet(runner, data, sheet)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "错误：县应急局.xlsx 中的 xl/media/blank.xml 解压后有 101.0 MB（压缩后 0."
    )
    assert result.stderr.endswith("MB），超过上限 100.0 MB，不能导入\n")


def test_a_stray_cell_at_the_last_row_is_refused_without_reading_a_million_rows(
    runner: CliRunner, returned: tuple[Path, Path]
) -> None:
    data, sheet = returned
    edit_book(sheet, lambda book: book["进展填报"].cell(row=1048576, column=1, value="x"))
    result = import_sheet(runner, data, sheet)
    assert result.exit_code == 2
    assert result.stderr == (
        "错误：县应急局.xlsx 工作表 进展填报 有 1048576 行，超过上限（表头以下 10000 行）；"
        "可能在表格下方很远处有多余的单元格，请删除后重新保存\n"
    )


def test_a_stray_cell_far_to_the_right_is_refused(
    runner: CliRunner, returned: tuple[Path, Path]
) -> None:
    data, sheet = returned
    edit_book(sheet, lambda book: book["进展填报"].cell(row=5, column=16384, value="x"))
    result = import_sheet(runner, data, sheet)
    assert result.exit_code == 2
    assert result.stderr == (
        "错误：县应急局.xlsx 工作表 进展填报 有 16384 列，超过上限 50 列；"
        "可能在表格右侧很远处有多余的单元格，请删除后重新保存\n"
    )


def test_a_sheet_that_understates_its_size_is_read_only_up_to_the_limit(
    runner: CliRunner, returned: tuple[Path, Path], tmp_path: Path
) -> None:
    import re
    import zipfile

    data, sheet = returned
    edit_book(sheet, lambda book: book["进展填报"].cell(row=1048576, column=8, value="说明"))
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(sheet) as source, zipfile.ZipFile(lying, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(
                    rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:K9"/>', content
                )
                assert count == 1
            target.writestr(item, content)
    result = import_sheet(runner, data, lying)
    assert result.exit_code == 2
    assert result.stderr == (
        "错误：lying.xlsx 工作表 进展填报 超过上限（表头以下 10000 行）；"
        "可能在表格下方很远处有多余的单元格，请删除后重新保存\n"
    )


TAMPERED_HINT = "（隐藏的标识表被改动过，请重新生成填报表）"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("D", "abc", "表头行「abc」应为 1 至 100 的整数"),
        ("D", 0, "表头行「0」应为 1 至 100 的整数"),
        ("D", -3, "表头行「-3」应为 1 至 100 的整数"),
        ("D", 1e9, "表头行「1000000000」应为 1 至 100 的整数"),
        ("D", None, "表头行「」应为 1 至 100 的整数"),
        ("D", "A1:B2", "表头行「A1:B2」应为 1 至 100 的整数"),
        ("E", "A1:B2", "填报人单元格「A1:B2」应为一个单元格，如 C3"),
        ("E", "abc", "填报人单元格「abc」应为一个单元格，如 C3"),
        ("E", 0, "填报人单元格「0」应为一个单元格，如 C3"),
        ("E", -3, "填报人单元格「-3」应为一个单元格，如 C3"),
        ("E", 1e9, "填报人单元格「1000000000」应为一个单元格，如 C3"),
        ("E", None, "填报人单元格「」应为一个单元格，如 C3"),
        ("B", None, "工作表名称「」无效"),
        ("B", 0, "工作表名称「0」无效"),
        ("C", None, "缺少单位名称"),
    ],
)
def test_tampered_meta_values_are_clear_errors(
    runner: CliRunner, returned: tuple[Path, Path], column: str, value: object, message: str
) -> None:
    data, sheet = returned

    def tamper(book: Any) -> None:
        book["_safecity"][f"{column}7"] = value

    edit_book(sheet, tamper)
    result = import_sheet(runner, data, sheet)
    assert result.exit_code == 2
    assert (
        result.stderr == f"错误：县应急局.xlsx 工作表 _safecity 第 7 行：{message}{TAMPERED_HINT}\n"
    )
    assert not list(data.glob("progress/*.yaml"))


def test_tampered_unit_in_meta_names_file_sheet_and_row(
    runner: CliRunner, returned: tuple[Path, Path]
) -> None:
    data, sheet = returned

    def tamper(book: Any) -> None:
        book["_safecity"]["C7"] = "不存在的局"

    edit_book(sheet, tamper)
    result = import_sheet(runner, data, sheet)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "错误：县应急局.xlsx 工作表 _safecity 第 7 行：未知的单位「不存在的局」"
    )


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("²", "序号「²」不是整数"),
        ("①", "序号「①」不是整数"),
        ("1" * 5000, f"序号「{'1' * 5000}」不是整数"),
        ("", "缺少任务序号"),
        (1e9, "没有序号为 1000000000 的任务"),
    ],
)
def test_tampered_task_numbers_are_row_errors(
    runner: CliRunner, returned: tuple[Path, Path], number: object, message: str
) -> None:
    data, sheet = returned

    def tamper(book: Any) -> None:
        ws = book["进展填报"]
        ws["A5"] = number
        ws["G5"] = "推进中"

    edit_book(sheet, tamper)
    result = import_sheet(runner, data, sheet)
    assert result.exit_code == 1
    assert result.stderr == (
        f"工作表 进展填报 第 5 行：{message}\n错误：填报表中有 1 行有问题，未记录任何内容\n"
    )


def test_formula_like_text_from_a_filled_sheet_stays_text(
    runner: CliRunner, returned: tuple[Path, Path]
) -> None:
    data, sheet = returned

    def tamper(book: Any) -> None:
        ws = book["进展填报"]
        ws["G5"] = "推进中"
        ws["H5"] = '=HYPERLINK("http://x")'
        ws["H5"].data_type = "s"  # typed as text ('=…) in Excel
        ws["G6"] = "推进中"
        ws["H6"] = "第一行\n第二行\t完"

    edit_book(sheet, tamper)
    result = import_sheet(runner, data, sheet)
    assert result.exit_code == 0, result.stderr
    history = invoke(runner, "history", "1", "--format", "csv", "--data", str(data))
    assert '\'=HYPERLINK(""http://x"")' in history.stdout


# -- templates: only regular files from the template folders, bounded work ------------------------


def weekly(runner: CliRunner, data: Path, *args: str) -> Result:
    return invoke(runner, "report", "weekly", "--date", "2021-03-15", "--data", str(data), *args)


@pytest.fixture
def templates(work_registry: Path, tmp_path: Path) -> Path:
    folder = work_registry / "templates"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("机密内容\n", encoding="utf-8")
    return folder


def test_a_symlinked_template_is_refused(
    runner: CliRunner, work_registry: Path, templates: Path, tmp_path: Path
) -> None:
    (templates / "weekly.md.j2").symlink_to(tmp_path / "secret.txt")
    result = weekly(runner, work_registry)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"错误：模板 weekly.md.j2：「weekly.md.j2」是符号链接（{templates / 'weekly.md.j2'}），"
        "出于安全考虑不予读取；请把模板文件本身放进模板目录\n"
    )


@pytest.mark.parametrize(
    ("include", "message"),
    [
        (
            "part.j2",
            "「part.j2」是符号链接（{templates}/part.j2），出于安全考虑不予读取；请把模板文件本身放进模板目录",
        ),
        (
            "sub/x.j2",
            "「sub/x.j2」是符号链接（{templates}/sub），出于安全考虑不予读取；请把模板文件本身放进模板目录",
        ),
        (
            "../secret.txt",
            "不能引用「../secret.txt」：模板只能引用模板目录中的文件（不能含 .. 或绝对路径）",
        ),
        (
            "{tmp}/secret.txt",
            "不能引用「{tmp}/secret.txt」：模板只能引用模板目录中的文件（不能含 .. 或绝对路径）",
        ),
        ("fifo.j2", "「fifo.j2」（{templates}/fifo.j2）不是普通文件，不予读取"),
    ],
)
def test_includes_cannot_leave_the_template_folders(
    runner: CliRunner,
    work_registry: Path,
    templates: Path,
    tmp_path: Path,
    include: str,
    message: str,
) -> None:
    import os

    (templates / "part.j2").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.j2").write_text("机密内容\n", encoding="utf-8")
    (templates / "sub").symlink_to(tmp_path / "sub")
    os.mkfifo(templates / "fifo.j2")
    name = include.format(tmp=tmp_path)
    for kind in ("include", "extends", "import"):
        (templates / "weekly.md.j2").write_text(
            f"# 周报\n{{% {kind} '{name}' %}}\n"
            if kind != "import"
            else f"# 周报\n{{% import '{name}' as m %}}\n",
            encoding="utf-8",
        )
        result = weekly(runner, work_registry)
        assert result.exit_code == 1
        assert result.stdout == ""
        where = f"错误：模板 {templates / 'weekly.md.j2'} 第 2 行："
        assert result.stderr == where + message.format(templates=templates, tmp=tmp_path) + "\n"


def test_the_given_template_may_be_a_link_and_include_its_neighbours(
    runner: CliRunner, work_registry: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "我的模板"
    folder.mkdir()
    (folder / "part.md.j2").write_text("共 {{ program.name }}", encoding="utf-8")
    (folder / "real.md.j2").write_text("{% include 'part.md.j2' %}\n", encoding="utf-8")
    (folder / "周报.md.j2").symlink_to(folder / "real.md.j2")
    result = weekly(runner, work_registry, "-t", str(folder / "周报.md.j2"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("共 ")


HOSTILE_TEMPLATES = [
    ("{{ (10**100) ** (10**100) }}", "乘方「**」的结果超过 4096 位二进制数，已拒绝"),
    (
        "{% set n = 10**6 %}{{ 'a' * n * n }}",
        "「*」重复的结果超过上限（2097152 个字符或元素），已拒绝",
    ),
    ("{{ [1] * 10**9 }}", "「*」重复的结果超过上限（2097152 个字符或元素），已拒绝"),
    ("{{ 7 ** (2 ** 40) }}", "乘方「**」的结果超过 4096 位二进制数，已拒绝"),
    ("{{ 9 ** 999 * 9 ** 999 }}", "乘法「*」的结果超过 4096 位二进制数，已拒绝"),
    (
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "range 最多 10000 个数，这里要 100000 个",
    ),
    (
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
        "循环或运算超过 2000000 步，已停止（模板可能有过深的循环嵌套或无穷递归）",
    ),
    (
        "{% set s = 'x' * 2000000 %}{% set s = s ~ s %}",
        "「~」连接的文字超过上限（2097152 个字符或元素），已拒绝",
    ),
    (
        "{% set s = 'x' * 2000000 %}{{ s + s }}",
        "「+」相加的结果超过上限（2097152 个字符或元素），已拒绝",
    ),
    ("{{ 'a' | center(1000000000) }}", "过滤器 center 的参数 1000000000 超过上限 1000，已拒绝"),
    (
        "{{ 0.5 | progress_bar(10**9) }}",
        "过滤器 progress_bar 的参数 1000000000 超过上限 1000，已拒绝",
    ),
    ("{{ 'a'.ljust(10**9) }}", "调用的参数 1000000000 超过上限 100000，已拒绝"),
    ("{{ '{:>999999999}'.format(1) }}", "格式说明「>999999999」的宽度过大，已拒绝"),
    ("{{ '%999999999d' % 1 }}", "格式说明「%999999999」的宽度过大，已拒绝"),
    ("{{ '%999999999d' | format(1) }}", "格式说明「%999999999」的宽度过大，已拒绝"),
    (
        "{% set s = 'a' * 100000 %}{{ s.replace('a', s) }}",
        "replace 替换的结果超过上限（2097152 个字符或元素），已拒绝",
    ),
    (
        "{% set s = 'a' * 100000 %}{{ s | replace('a', s) }}",
        "replace 替换的结果超过上限（2097152 个字符或元素），已拒绝",
    ),
    ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(1) }}", "嵌套或递归过深，已停止"),
    (
        "{% set x %}{% for i in range(10000) %}{{ 'a'.center(99999) }}{% endfor %}{% endset %}",
        "输出超过上限（20 MB），已停止",
    ),
    ("{{ 'a' | indent('x' * 5000) }}", "过滤器 indent 的参数 5000 超过上限 1000，已拒绝"),
    ("{{ [1] | tojson(indent=100000) }}", "过滤器 tojson 的参数 100000 超过上限 1000，已拒绝"),
]


@pytest.mark.parametrize(("source", "message"), HOSTILE_TEMPLATES)
def test_hostile_templates_are_stopped_with_their_line(
    runner: CliRunner, work_registry: Path, tmp_path: Path, source: str, message: str
) -> None:
    template = tmp_path / "坏.md.j2"
    template.write_text(f"# 标题\n{source}\n", encoding="utf-8")
    result = weekly(runner, work_registry, "-t", str(template))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"错误：模板 {template} 第 2 行：{message}\n"


def test_output_over_the_limit_is_stopped(
    runner: CliRunner, work_registry: Path, tmp_path: Path
) -> None:
    template = tmp_path / "大.md.j2"
    line = "x" * 1000
    template.write_text(
        "{% for i in range(10000) %}{% for j in range(3) %}" + line + "{% endfor %}{% endfor %}",
        encoding="utf-8",
    )
    result = weekly(runner, work_registry, "-t", str(template))
    assert result.exit_code == 1
    assert result.stderr == f"错误：模板 {template.name}：输出超过上限（20 MB），已停止\n"


def test_a_captured_block_over_the_limit_is_stopped(
    runner: CliRunner, work_registry: Path, tmp_path: Path
) -> None:
    template = tmp_path / "大.md.j2"
    template.write_text(
        "{% set big %}{% for i in range(10000) %}{% for j in range(3) %}"
        + "x" * 1000
        + "{% endfor %}{% endfor %}{% endset %}{{ big | length }}",
        encoding="utf-8",
    )
    result = weekly(runner, work_registry, "-t", str(template))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"错误：模板 {template} 第 1 行：输出超过上限（20 MB），已停止")


def test_the_time_limit_stops_a_render(work_registry: Path) -> None:
    from safecity_cli.errors import TemplateError
    from safecity_cli.reports.engine import Renderer, ReportFormat

    folder = work_registry / "templates"
    folder.mkdir()
    (folder / "x.md.j2").write_text(
        "# 标题\n{% for i in range(1000) %}{{ i }}{% endfor %}\n", encoding="utf-8"
    )
    renderer = Renderer(ReportFormat.MD, data_dir=work_registry)
    assert renderer.render("x", {}).startswith("# 标题\n0123")
    renderer._budget.seconds = 0.0  # as if the machine were very slow
    with pytest.raises(TemplateError) as raised:
        renderer.render("x", {})
    assert raised.value.message == f"模板 {folder / 'x.md.j2'} 第 2 行：渲染超过 0 秒，已停止"


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_only_the_packaged_templates_render_outside_the_sandbox(
    runner: CliRunner, work_registry: Path, tmp_path: Path, fmt: str
) -> None:
    from jinja2.sandbox import SandboxedEnvironment

    from safecity_cli.registry.layout import embedded_templates_dir
    from safecity_cli.reports.engine import Renderer, ReportFormat

    for task, unit, note in (
        ("27", "住建", "排查 *120* 处 | 整改_完成"),
        ("2", "交运", "<b>好</b>\n二"),
    ):
        result = invoke(
            runner, "update", task, "-u", unit, "-s", "推进中", "-n", note,
            "--date", "2021-03-10", "--data", str(work_registry),
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    name = f"weekly.{fmt}.j2"
    copy = tmp_path / "mine" / name
    copy.parent.mkdir()
    copy.write_bytes((embedded_templates_dir() / name).read_bytes())
    packaged = weekly(runner, work_registry, "-f", fmt)
    given = weekly(runner, work_registry, "-f", fmt, "-t", str(copy))
    assert packaged.exit_code == given.exit_code == 0, packaged.stderr + given.stderr
    assert "排查 \\*120\\* 处 \\| 整改\\_完成" in packaged.stdout or fmt == "html"
    assert given.stdout == packaged.stdout  # the same text, sandboxed or not

    overrides = work_registry / "templates"
    overrides.mkdir()
    fmt_ = ReportFormat(fmt)
    assert not isinstance(Renderer(fmt_).env, SandboxedEnvironment)
    assert isinstance(Renderer(fmt_, template=copy).env, SandboxedEnvironment)
    assert isinstance(Renderer(fmt_, data_dir=work_registry).env, SandboxedEnvironment)
    assert weekly(runner, work_registry, "-f", fmt).stdout == packaged.stdout

    # A user's template, given or in DATA/templates/, is still held to every limit.
    hostile = "{{ ().__class__.__base__.__subclasses__() }}\n" + copy.read_text(encoding="utf-8")
    copy.write_text(hostile, encoding="utf-8")
    (overrides / name).write_text(hostile, encoding="utf-8")
    for args, shown in ((["-t", str(copy)], copy), ([], overrides / name)):
        result = weekly(runner, work_registry, "-f", fmt, *args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith(f"错误：模板 {shown} 第 1 行：模板不能访问此属性或方法")


def test_limits_grow_only_with_the_registry() -> None:
    from safecity_cli.reports.sandbox import Budget

    district, province = Budget(104), Budget(101_000)
    assert (district.seconds, district.steps, district.output, district.text) == (
        5.0,
        2_000_000,
        20 * 1024 * 1024,
        2 * 1024 * 1024,
    )
    assert (province.seconds, province.steps) == (205.0, 12_000_000)
    assert (province.output, province.text) == (
        20 * 1024 * 1024 + 100_000 * 2048,
        2 * 1024 * 1024 + 20_000_000,
    )


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_final_deadline_far_away_still_gives_a_weekly_report(
    runner: CliRunner, work_registry: Path, fmt: str
) -> None:
    schedule = work_registry / "schedule.yaml"
    text = schedule.read_text(encoding="utf-8")
    assert text.count("final_deadline: 2021-07-31") == 1
    schedule.write_text(
        text.replace("final_deadline: 2021-07-31", "final_deadline: 2999-12-31"), encoding="utf-8"
    )
    result = weekly(runner, work_registry, "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert "2999" in result.stdout


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_reports_written_to_files_hold_no_control_characters(
    runner: CliRunner, tampered: Path, tmp_path: Path, fmt: str
) -> None:
    import zipfile

    out = tmp_path / f"任务书.{fmt}"
    result = invoke(
        runner,
        "report",
        "unit",
        "区住建局",
        "--date",
        "2021-03-15",
        "-f",
        fmt,
        "-o",
        str(out),
        "--data",
        str(tampered),
    )
    assert result.exit_code == 0, result.stderr
    if fmt == "docx":
        with zipfile.ZipFile(out) as archive:
            text = archive.read("word/document.xml").decode("utf-8")
    else:
        text = out.read_text(encoding="utf-8")
    assert "HYPERLINK" in text
    assert [c for c in text if (ord(c) < 32 and c not in "\n\t\r") or 0x7F <= ord(c) <= 0x9F] == []
