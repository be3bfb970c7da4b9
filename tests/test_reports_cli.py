"""`safecity report` from the command line: golden reports, valid Markdown, files, errors.

Golden files live in tests/golden/; after an intended change, regenerate them with
    SAFECITY_UPDATE_GOLDEN=1 /tmp/venv/bin/pytest tests/test_reports_cli.py
and read the diff before committing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.registry.layout import embedded_data_dir

FIXTURES = Path(__file__).parent / "fixtures"
LEDGERS = FIXTURES / "ledgers"
GOLDEN = Path(__file__).parent / "golden"


def with_ledger(tmp_path: Path, registry: Path, ledger: str | None) -> Path:
    """A writable copy of a registry, with one of the fixture ledgers as its progress."""
    target = tmp_path / f"{registry.name}-{ledger or 'empty'}"
    shutil.copytree(registry, target, ignore=shutil.ignore_patterns("progress"))
    if ledger is not None:
        shutil.copytree(LEDGERS / ledger / "progress", target / "progress")
    return target


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return with_ledger(tmp_path, FIXTURES / "mini", "mini")


@pytest.fixture
def lintong(tmp_path: Path) -> Path:
    return with_ledger(tmp_path, embedded_data_dir(), "lintong")


def report(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["report", *args])
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SAFECITY_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.read_text(encoding="utf-8") == text, f"与 {path} 不同"


# -- Markdown and HTML that parse ------------------------------------------------------------------

_MD = MarkdownIt("commonmark").enable("table")


def md_tables(text: str) -> dict[str, list[list[str]]]:
    """Every table by its header row (joined with |): rows of cell texts, header first.
    A cell's text is what a reader sees: escapes resolved, <br> as a line break."""
    tables: dict[str, list[list[str]]] = {}
    rows: list[list[str]] = []
    cell: list[str] | None = None
    for token in _MD.parse(text):
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            cell = []
        elif token.type == "inline" and cell is not None:
            for child in token.children or []:
                if child.type == "html_inline" and child.content == "<br>":
                    cell.append("\n")
                elif child.type in ("text", "code_inline", "html_inline"):
                    cell.append(child.content)
        elif token.type in ("th_close", "td_close"):
            assert cell is not None
            rows[-1].append("".join(cell))
            cell = None
        elif token.type == "table_close":
            tables.setdefault("|".join(rows[0]), rows)
    return tables


def check_markdown(text: str) -> dict[str, list[list[str]]]:
    """Every table line has as many cells as its header, and no raw HTML but <br> gets through."""
    tokens = _MD.parse(text)
    for token in tokens:
        if token.type == "html_block":
            pytest.fail(f"原样 HTML 块：{token.content!r}")
        for child in token.children or []:
            if child.type == "html_inline":
                assert child.content == "<br>", f"原样 HTML：{child.content!r}"
    lines = text.split("\n")
    for token in tokens:
        if token.type == "table_open" and token.map:
            first, last = token.map
            width = len(_cells(lines[first]))
            for line in lines[first:last]:
                assert len(_cells(line)) == width, f"列数不一致：{line}"
    return md_tables(text)


def _cells(line: str) -> list[str]:
    return re.split(r"(?<!\\)\|", line.strip().strip("|"))


class _Balance(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> 未配对：{self.stack[-3:]}"
        self.stack.pop()


def check_html(text: str) -> None:
    assert text.startswith("<!DOCTYPE html>")
    assert "@page { size: A4;" in text
    parser = _Balance()
    parser.feed(text)
    assert parser.stack == []
    assert "<script" not in text


# -- golden reports on the fixture registry ------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "name"),
    [
        ("2020-12-20", "weekly-before-start.md"),
        ("2021-04-02", "weekly-mid-phase.md"),
        ("2021-07-09", "weekly-after-final.md"),
    ],
)
def test_weekly_golden(runner: CliRunner, mini: Path, when: str, name: str) -> None:
    text = report(runner, "weekly", "--date", when, "--data", str(mini))
    check_markdown(text)
    check_golden(name, text)


def test_weekly_html_golden(runner: CliRunner, mini: Path) -> None:
    text = report(runner, "weekly", "--date", "2021-04-02", "--format", "html", "--data", str(mini))
    check_html(text)
    check_golden("weekly-mid-phase.html", text)


def test_task_book_golden(runner: CliRunner, mini: Path) -> None:
    text = report(runner, "unit", "县应急局", "--date", "2021-04-02", "--data", str(mini))
    tables = check_markdown(text)
    check_golden("unit-县应急局.md", text)
    header = "序号|主要目标任务|完成时限|状态|督办|最新进展"
    assert [row[0] for row in tables[header][1:]] == ["1", "2"]  # the first category's table


def test_notice_golden(runner: CliRunner, mini: Path) -> None:
    args = ["--unit", "西", "--date", "2021-05-10", "--reply-by", "2021-05-14"]
    text = report(runner, "notice", *args, "--data", str(mini))
    tables = check_markdown(text)
    check_golden("notice-西街道.md", text)
    rows = tables["序号|主要目标任务|完成时限|状态|时限情况|督办|最新进展"]
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [
        ("6", "逾期 84 天", "红"),
        ("1", "逾期 40 天", "红"),
        ("8", "逾期 40 天", "红"),  # 每季度: nothing reported within the first quarter (issue 12)
        ("3", "剩余 21 天", "黄"),
        ("4", "剩余 51 天", "黄"),
    ]
    assert "于**2021年5月14日**前" in text


def test_weekly_tables_have_the_expected_rows_and_columns(runner: CliRunner, mini: Path) -> None:
    text = report(runner, "weekly", "--date", "2021-04-02", "--data", str(mini))
    tables = check_markdown(text)
    shapes = {header: (len(rows) - 1, len(rows[0])) for header, rows in tables.items()}
    assert shapes["状态|任务数|占比"] == (7, 3)  # six statuses and the total
    assert shapes["类别|任务数|已完成|未完成|其中逾期|完成进度"] == (3, 6)
    assert shapes["日期|单位|序号|任务|状态|进展说明"] == (5, 6)
    assert shapes["名次|单位|承担任务|已完成|完成率"] == (8, 5)
    entries = tables["日期|单位|序号|任务|状态|进展说明"]
    notes = {row[1]: row[5] for row in entries[1:]}
    # Notes come back exactly as reported: pipes, markup and a line break included.
    assert notes["县城管局"] == "排查方案 | 已印发，分两批实施"
    assert notes["东街道"] == "已排查燃气管线 12 公里；<script>alert(1)</script>"
    assert entries[4][5] == "平台完成招标，进入建设阶段\n预计 6 月上线"
    assert (
        "```mermaid\ngantt\n" in text
        and "截至2021年4月2日 :milestone, crit, 2021-04-02, 0d" in text
    )


def test_the_readme_briefing_on_the_embedded_registry(runner: CliRunner, lintong: Path) -> None:
    """Five months of recorded progress on the 临潼区 registry: the README's example."""
    text = report(runner, "weekly", "--date", "2021-03-15", "--data", str(lintong))
    check_markdown(text)
    check_golden("weekly-lintong-2021-03-15.md", text)
    assert "**第25期**　2021年3月15日—2021年3月21日" in text


# -- text that looks like markup ------------------------------------------------------------------

NASTY = "编制 *城市* 安全规划 | 含 <script>alert(1)</script> 与 a\\b\n第二行 _完_"


@pytest.fixture
def nasty(tmp_path: Path) -> Path:
    target = with_ledger(tmp_path, FIXTURES / "mini", "mini")
    tasks = target / "tasks.yaml"
    quoted = NASTY.replace("\\", "\\\\").replace("\n", "\\n")
    tasks.write_text(
        tasks.read_text(encoding="utf-8").replace(
            "text: 编制城市安全专项规划。", f'text: "{quoted}"'
        ),
        encoding="utf-8",
    )
    return target


@pytest.mark.parametrize(
    "command", [["weekly"], ["unit", "县住建局"], ["notice", "--unit", "东街道"]]
)
def test_markup_in_task_text_is_shown_as_written(
    runner: CliRunner, nasty: Path, command: list[str]
) -> None:
    args = [*command, "--date", "2021-04-20", "--data", str(nasty)]
    tables = check_markdown(report(runner, *args))
    cells = [cell for rows in tables.values() for row in rows for cell in row]
    wanted = NASTY if command[0] != "weekly" else None
    if wanted is not None:
        assert any(cell.startswith(wanted) for cell in cells), cells
    else:  # the weekly shortens long texts; what is shown is still literal
        assert any(cell.startswith("编制 *城市* 安全规划 | 含 <script>") for cell in cells), cells
    html = report(runner, *args, "--format", "html")
    check_html(html)
    assert "&lt;script&gt;alert(1)" in html


# -- the embedded registry on many dates ---------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        "2020-09-01",
        "2020-10-01",
        "2020-12-31",
        "2021-03-15",
        "2021-07-31",
        "2021-08-02",
        "2022-06-01",
    ],
)
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_embedded_registry_renders_on_any_date(runner: CliRunner, when: str, fmt: str) -> None:
    weekly = report(runner, "weekly", "--date", when, "--format", fmt)
    book = report(runner, "unit", "区住建局", "--date", when, "--format", fmt)
    if fmt == "md":
        check_markdown(weekly)
        check_markdown(book)
        assert weekly.startswith("# 西安市临潼区国家安全发展示范城市创建工作周报\n")
    else:
        check_html(weekly)
        check_html(book)


@pytest.mark.parametrize("when", ["2020-12-31", "2021-03-15", "2021-07-31"])
def test_embedded_registry_with_progress(runner: CliRunner, lintong: Path, when: str) -> None:
    for args in (["weekly"], ["unit", "各街办"], ["notice", "--unit", "区交运局"]):
        text = report(runner, *args, "--date", when, "--data", str(lintong))
        check_markdown(text)


def test_same_inputs_give_byte_identical_reports(lintong: Path) -> None:
    outputs = set()
    for seed in ("1", "2"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "safecity_cli",
                "report",
                "weekly",
                "--date",
                "2021-03-15",
                "--data",
                str(lintong),
                "--no-cache",
            ],
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


# -- files, formats and the command line -----------------------------------------------------------


def test_output_file_is_written_and_said_on_stderr(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "周报.md"
    result = runner.invoke(
        app, ["report", "weekly", "--date", "2021-04-02", "--data", str(mini), "--output", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"已写入 {out}：第14期周报\n"
    assert out.read_text(encoding="utf-8") == report(
        runner, "weekly", "--date", "2021-04-02", "--data", str(mini)
    )


def test_an_html_output_file_gets_html(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "督办.html"
    args = ["notice", "-u", "西街道", "--date", "2021-05-10", "--data", str(mini), "-o", str(out)]
    report(runner, *args)
    check_html(out.read_text(encoding="utf-8"))


def test_all_units_write_one_book_each(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    folder = tmp_path / "任务书"
    result = runner.invoke(
        app,
        [
            "report",
            "unit",
            "--all-units",
            "--output-dir",
            str(folder),
            "--date",
            "2021-04-02",
            "--data",
            str(mini),
        ],
    )
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        f"{n}.md"
        for n in [
            "县住建局",
            "县应急局",
            "县市场监管局",
            "县城管局",
            "县消防大队",
            "东街道",
            "西街道",
            "负有监管职责的部门",
        ]
    )
    assert result.stderr == f"已写入 {folder}：8 个单位的任务书\n"
    single = report(runner, "unit", "县应急局", "--date", "2021-04-02", "--data", str(mini))
    assert (folder / "县应急局.md").read_text(encoding="utf-8") == single


def test_all_units_on_the_embedded_registry_in_html(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "books"
    report(
        runner,
        "unit",
        "--all-units",
        "--output-dir",
        str(folder),
        "--format",
        "html",
        "--date",
        "2021-03-15",
    )
    files = list(folder.glob("*.html"))
    # 44 units less the three groups whose members are listed (their members get the books).
    assert len(files) == 41
    check_html((folder / "区住建局.html").read_text(encoding="utf-8"))


def test_a_user_template_in_the_registry(runner: CliRunner, mini: Path) -> None:
    (mini / "templates").mkdir()
    (mini / "templates" / "notice.md.j2").write_text(
        "请{{ unit.name }}于{{ reply_by | chinese_date }}前回复（{{ rows | length }} 项）\n",
        encoding="utf-8",
    )
    text = report(runner, "notice", "-u", "西街道", "--date", "2021-05-10", "--data", str(mini))
    assert text == "请西街道于2021年5月17日前回复（5 项）\n"  # 5 with the quarterly task 8


def test_a_broken_user_template(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    broken = tmp_path / "坏模板.md.j2"
    broken.write_text("# {{ program.name }}\n\n{% for row in rows %}\n", encoding="utf-8")
    result = runner.invoke(
        app, ["report", "weekly", "--data", str(mini), "--date", "2021-04-02", "-t", str(broken)]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"错误：模板 {broken} 第 3 行：语法错误：")
    assert "Traceback" not in result.stderr


def test_a_broken_base_template_is_named(runner: CliRunner, mini: Path) -> None:
    (mini / "templates").mkdir()
    base = mini / "templates" / "base.html.j2"
    base.write_text("<!DOCTYPE html>\n{{ oops }}\n", encoding="utf-8")
    result = runner.invoke(
        app, ["report", "weekly", "--data", str(mini), "--date", "2021-04-02", "-f", "html"]
    )
    assert result.exit_code == 1
    assert result.stderr == f"错误：模板 {base} 第 2 行：变量「oops」未定义\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["weekly", "--format", "pdf"], "错误：未知的报告格式「pdf」，可选：md、html、docx"),
        (["weekly", "--template", "no-such.md.j2"], "错误：模板文件不存在：no-such.md.j2"),
        (["weekly", "--date", "2099-01-05", "--workdays"], "请去掉 --workdays，按自然日计算"),
        (["unit"], "错误：请给出责任单位名称，或用 --all-units 为每个单位生成任务书"),
        (["unit", "--all-units"], "错误：--all-units 需要用 --output-dir 指定写入的目录"),
        (
            ["unit", "县应急局", "--all-units", "--output-dir", "x"],
            "错误：--all-units 与单位名称不能同时给出",
        ),
        (
            ["unit", "县应急局", "--output-dir", "x"],
            "错误：--output-dir 只能与 --all-units 一起使用",
        ),
        (["unit", "不存在的局"], "错误：未知的单位「不存在的局」"),
        (["notice"], "错误：请用 --unit 指定要督办的责任单位"),
        (["notice", "-u", "县应急局", "--reply-by", "2021-03-01"], "早于通知日期"),
    ],
)
def test_usage_errors(runner: CliRunner, mini: Path, args: list[str], message: str) -> None:
    command, *rest = args  # the case's own options come last, so they win
    result = runner.invoke(
        app, ["report", command, "--date", "2021-04-02", "--data", str(mini), *rest]
    )
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_output_folder_that_does_not_exist(
    runner: CliRunner, mini: Path, tmp_path: Path
) -> None:
    out = tmp_path / "没有" / "周报.md"
    result = runner.invoke(app, ["report", "weekly", "--data", str(mini), "--output", str(out)])
    assert result.exit_code == 2  # like every other wrong path on the command line
    assert result.stderr == f"错误：输出目录不存在：{out.parent}\n"


def test_no_notice_when_nothing_needs_escalating(runner: CliRunner, mini: Path) -> None:
    result = runner.invoke(
        app, ["report", "notice", "-u", "县住建局", "--date", "2021-04-02", "--data", str(mini)]
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert (
        result.stderr
        == "县住建局截至2021年4月2日没有逾期或黄色、红色督办的任务，不需要发督办通知单\n"
    )


def test_every_report_command_explains_itself_in_chinese(runner: CliRunner) -> None:
    result = runner.invoke(app, ["report", "--help"])
    assert result.exit_code == 0 and "示例：safecity report weekly" in result.stdout
    for name in ("weekly", "unit", "notice"):
        result = runner.invoke(app, ["report", name, "--help"])
        assert result.exit_code == 0, result.stdout
        assert f"示例：safecity report {name}" in result.stdout
        for option in ("--date", "--output", "--template", "--format", "--workdays", "--data"):
            assert option in result.stdout
        assert "显示此帮助并退出" in result.stdout


def test_jinja_is_loaded_only_for_reports() -> None:
    code = (
        "import sys; from safecity_cli.cli import app; "
        "print(sorted(m for m in ('jinja2', 'markupsafe') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_tasks_due_soon_carry_days_left_and_blue(runner: CliRunner, mini: Path) -> None:
    text = report(runner, "weekly", "--date", "2021-06-20", "--data", str(mini))
    rows = check_markdown(text)["序号|主要目标任务|责任单位|完成时限|剩余|状态|督办"]
    assert [(r[0], r[4], r[6]) for r in rows[1:]] == [("4", "10 天", "蓝"), ("8", "10 天", "蓝")]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_task_book_sections_are_numbered_in_order(runner: CliRunner, fmt: str) -> None:
    """区住建局 has no task of category 一: its book still starts at （一）, names kept."""
    text = report(runner, "unit", "区住建局", "--date", "2021-03-15", "--format", fmt)
    pattern = r"^### (.+)$" if fmt == "md" else r"<h3>(.+)</h3>"
    assert re.findall(pattern, text, re.MULTILINE) == [
        "（一）加强城市安全源头治理",
        "（二）加强城市安全风险防控",
        "（三）加强城市安全监督管理",
        "（四）提升城市安全保障能力",
        "（五）提升城市安全应急救援能力",
        "（六）创建工作中的特色亮点工作",  # through 区级部门和单位, which it belongs to by kind
    ]
