"""Word documents: the GB/T 9704 layout of the Markdown reports, read back with python-docx,
and `report … -o X.docx` / `--format docx` on the command line."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.reports.docx import CELL_MARGIN, FIGURE_NOTE, SHORT_CELL, markdown_to_docx

FIXTURES = Path(__file__).parent / "fixtures"
# The real reports the office circulates, rendered from the embedded registry and the
# fixture ledger: the briefing (tables, a Gantt chart), a task book, a 督办 notice.
SAMPLES = {
    "weekly": ["weekly"],
    "unit": ["unit", "区住建局"],
    "notice": ["notice", "--unit", "区交运局"],
}
SAMPLE_FILES = list(SAMPLES)

SMALL = """# 测试报告标题

导语段落，含**加粗文字**、`代码`、[链接文字](http://example.invalid)和<span>标签</span>。

## 一、总体情况

- 第一项
- 第二项

1. 甲
2. 乙

> 引用的说明。

### （一）分项

#### 1. 细项

转义 \\* 星号\\_下划线。

| 序号 | 内容 |
| ---: | --- |
| 1 | 第一行<br>第二行 |
| 2 | **重点** |

```mermaid
gantt
    title 不应出现
```

---

结尾段落。
"""


def _load(markdown: str, **kwargs: str) -> DocxDocument:
    return Document(io.BytesIO(markdown_to_docx(markdown, **kwargs)))


@pytest.fixture(scope="module")
def lintong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("docx") / "lintong"
    shutil.copytree(embedded_data_dir(), target, ignore=shutil.ignore_patterns("progress"))
    shutil.copytree(FIXTURES / "ledgers" / "lintong" / "progress", target / "progress")
    return target


@pytest.fixture(scope="module")
def samples(lintong: Path) -> dict[str, str]:
    runner = CliRunner()
    texts = {}
    for name, args in SAMPLES.items():
        result = runner.invoke(
            app, ["report", *args, "--date", "2021-03-15", "--data", str(lintong)]
        )
        assert result.exit_code == 0, result.stderr
        texts[name] = result.stdout
    return texts


def _east_asia(run: Run) -> str | None:
    fonts = run._element.rPr.rFonts if run._element.rPr is not None else None
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def _text_runs(paragraph: Paragraph) -> list[Run]:
    return [run for run in paragraph.runs if run.text.strip()]


def _assert_font(paragraph: Paragraph, name: str, size: Length, bold: bool | None = None) -> None:
    runs = _text_runs(paragraph)
    assert runs, paragraph.text
    for run in runs:
        assert run.font.name == name
        assert _east_asia(run) == name
        assert run.font.size == size
        if bold is not None:
            assert bool(run.font.bold) is bold


def _close(actual: Length | None, expected: Length) -> bool:
    return actual is not None and abs(actual - expected) <= Mm(0.05)


def _markdown_tables(markdown: str) -> list[list[list[str]]]:
    """Pipe-table rows split by hand, independently of markdown-it, for the sample files."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        # ASCII spaces only: a leading 全角空格 is content (the receipt's 　　年　　月　　日).
        cells = [cell.strip(" ") for cell in line.strip().strip("|").split("|")]
        if all(set(cell) <= set("-: ") and cell for cell in cells):
            continue
        if current is None:
            current = []
            tables.append(current)
        current.append(cells)
    return tables


def _row_texts(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_page_size_and_margins() -> None:
    section = _load(SMALL).sections[0]
    assert _close(section.page_width, Mm(210))
    assert _close(section.page_height, Mm(297))
    assert _close(section.top_margin, Mm(37))
    assert _close(section.bottom_margin, Mm(35))
    assert _close(section.left_margin, Mm(28))
    assert _close(section.right_margin, Mm(26))


def test_normal_style() -> None:
    normal = _load(SMALL).styles["Normal"]
    assert normal.font.name == "仿宋_GB2312"
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.font.size == Pt(16)
    fmt = normal.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert abs(fmt.line_spacing - Pt(28.95)) < Pt(0.05)
    assert normal.element.pPr.ind.get(qn("w:firstLineChars")) == "200"


def test_every_run_names_east_asian_font(samples: dict[str, str]) -> None:
    doc = _load(samples["weekly"])
    paragraphs = list(doc.paragraphs)
    paragraphs += [p for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    paragraphs += doc.sections[0].footer.paragraphs
    runs = [run for p in paragraphs for run in p.runs]
    assert runs
    for run in runs:
        assert _east_asia(run) == run.font.name, run.text


def test_title_from_first_heading() -> None:
    doc = _load(SMALL)
    title = doc.paragraphs[0]
    assert title.text == "测试报告标题"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    _assert_font(title, "方正小标宋简体", Pt(22))
    assert doc.core_properties.title == "测试报告标题"


def test_title_argument_replaces_first_heading() -> None:
    doc = _load(SMALL, title="另给的标题")
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "另给的标题"
    assert "测试报告标题" not in texts
    _assert_font(doc.paragraphs[0], "方正小标宋简体", Pt(22))


def test_heading_fonts() -> None:
    doc = _load(SMALL)
    by_text = {p.text: p for p in doc.paragraphs}
    _assert_font(by_text["一、总体情况"], "黑体", Pt(16))
    _assert_font(by_text["（一）分项"], "楷体_GB2312", Pt(16))
    _assert_font(by_text["1. 细项"], "仿宋_GB2312", Pt(16), bold=True)


def test_inline_markup_lists_and_quotes() -> None:
    doc = _load(SMALL)
    texts = [p.text for p in doc.paragraphs]
    lead = next(p for p in doc.paragraphs if p.text.startswith("导语"))
    assert lead.text == "导语段落，含加粗文字、代码、链接文字和标签。"
    assert [r.text for r in lead.runs if r.bold] == ["加粗文字"]
    _assert_font(lead, "仿宋_GB2312", Pt(16))
    assert "转义 * 星号_下划线。" in texts
    assert {"• 第一项", "• 第二项", "1. 甲", "2. 乙"} <= set(texts)
    quote = next(p for p in doc.paragraphs if p.text == "引用的说明。")
    assert quote.paragraph_format.left_indent is not None
    assert quote.paragraph_format.left_indent > 0
    assert not any("gantt" in t or "不应出现" in t for t in texts)
    assert texts[-1] == "结尾段落。"


def test_small_table() -> None:
    table = _load(SMALL).tables[0]
    assert _row_texts(table) == [["序号", "内容"], ["1", "第一行\n第二行"], ["2", "重点"]]
    assert table.style is not None and table.style.name == "Table Grid"
    assert table.cell(2, 1).paragraphs[0].runs[0].bold
    assert table.cell(1, 0).paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_tables(samples: dict[str, str], name: str) -> None:
    markdown = samples[name]
    doc = _load(markdown)
    expected = _markdown_tables(markdown)
    assert expected, "sample has tables"
    assert [_row_texts(t) for t in doc.tables] == expected
    for table in doc.tables:
        rows = table.rows
        assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(
            r._tr.trPr is None or r._tr.trPr.find(qn("w:tblHeader")) is None for r in rows[1:]
        )
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        edges = {child.tag.split("}")[1]: child.get(qn("w:val")) for child in borders}
        assert edges == dict.fromkeys(
            ["top", "left", "bottom", "right", "insideH", "insideV"], "single"
        )
        for row in rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in _text_runs(paragraph):
                        assert run.font.name == _east_asia(run) == "仿宋_GB2312"
                        assert run.font.size in (Pt(10.5), Pt(12), Pt(14))


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_headings_and_paragraphs(samples: dict[str, str], name: str) -> None:
    markdown = samples[name]
    doc = _load(markdown)
    texts = [p.text for p in doc.paragraphs]
    for line in markdown.splitlines():
        if line.startswith("#"):
            assert line.lstrip("#").strip() in texts
    first_h1 = next(line[2:] for line in markdown.splitlines() if line.startswith("# "))
    assert texts[0] == first_h1
    fonts = {"## ": "黑体", "### ": "楷体_GB2312"}
    for p in doc.paragraphs:
        prefix = next((k for k in fonts if f"{k}{p.text}" in markdown.splitlines()), None)
        if prefix:
            _assert_font(p, fonts[prefix], Pt(16))


def test_footer_page_number() -> None:
    footer = _load(SMALL).sections[0].footer
    paragraph = footer.paragraphs[0]
    xml = paragraph._p.xml
    assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
    instr = paragraph._p.findall(".//" + qn("w:instrText"))
    assert [i.text.strip() for i in instr] == ["PAGE"]
    runs = paragraph.runs
    assert runs[0].text.rstrip().endswith("—")
    assert runs[-1].text.lstrip().startswith("—")
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    for run in runs:
        assert run.font.name == _east_asia(run) == "宋体"
        assert run.font.size == Pt(14)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_deterministic(samples: dict[str, str], name: str) -> None:
    markdown = samples[name]
    first = markdown_to_docx(markdown)
    assert first == markdown_to_docx(markdown)
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "dcterms:created" not in core and "dcterms:modified" not in core


def test_empty_markdown() -> None:
    doc = _load("")
    assert doc.paragraphs == [] or all(not p.text for p in doc.paragraphs)


# -- what safecity's reports need beyond plain Markdown -------------------------------------------


def test_the_gantt_chart_and_its_caption_give_way_to_a_pointer(samples: dict[str, str]) -> None:
    markdown = samples["weekly"]
    assert "```mermaid" in markdown and "图中未画出时间待定的阶段" in markdown
    texts = [p.text for p in _load(markdown).paragraphs]
    assert FIGURE_NOTE in texts
    assert not any(t.startswith("图中") or "gantt" in t for t in texts)
    note = texts.index(FIGURE_NOTE)
    assert texts[note - 1].startswith("• 三色督办") and texts[note + 1] == "（一）按状态统计"


def test_leading_wide_spaces_in_cells_are_kept(samples: dict[str, str]) -> None:
    receipt = _load(samples["notice"]).tables[-1]
    assert _row_texts(receipt)[-1] == ["报送日期", "　　年　　月　　日"]


def test_a_paragraph_that_is_not_a_caption_stays_after_a_diagram() -> None:
    texts = [p.text for p in _load("```mermaid\ngantt\n```\n\n说明文字。\n").paragraphs]
    assert texts == [FIGURE_NOTE, "说明文字。"]


# -- the command line ------------------------------------------------------------------------------


def _invoke(lintong: Path, *args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(
        app, ["report", *args, "--date", "2021-03-15", "--data", str(lintong)]
    )
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_every_report_as_a_docx_file(
    lintong: Path, samples: dict[str, str], tmp_path: Path, name: str
) -> None:
    out = tmp_path / f"{name}.docx"
    code, stdout, stderr = _invoke(lintong, *SAMPLES[name], "-o", str(out))
    assert code == 0, stderr
    assert stdout == b""
    # A 督办通知单 is also recorded: one line says under which number, before the file's.
    assert stderr.splitlines()[-1].startswith(f"已写入 {out}：")
    assert out.read_bytes() == markdown_to_docx(samples[name])  # made from the md rendering
    doc = Document(str(out))
    assert doc.paragraphs[0].text == samples[name].splitlines()[0].removeprefix("# ")
    assert _close(doc.sections[0].page_width, Mm(210))


def test_format_docx_to_a_redirected_stdout(lintong: Path, samples: dict[str, str]) -> None:
    code, stdout, stderr = _invoke(lintong, "weekly", "--format", "docx")
    assert (code, stderr) == (0, "")
    assert stdout == markdown_to_docx(samples["weekly"])


def test_format_docx_onto_a_terminal_is_refused(
    lintong: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safecity_cli.cli.common.stdout_is_terminal", lambda: True)
    code, stdout, stderr = _invoke(lintong, "weekly", "-f", "docx")
    assert (code, stdout) == (2, b"")
    assert stderr == (
        "错误：Word 文档不能显示在屏幕上：请用 -o 指定文件（如 -o 周报.docx），"
        "或重定向到文件（> 周报.docx）\n"
    )


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("周报.doc", "（Word 文档请用 .docx，Word 2007 及以后的版本和 WPS 均可打开）"),
        (
            "周报.pdf",
            "（PDF 请生成 .html 后在浏览器中打印为 PDF，或生成 .docx 后在 Word、WPS 中另存为 PDF）",
        ),
        ("周报.odt", "（请用 .docx，LibreOffice 可直接打开）"),
        ("周报.xlsx", ""),
    ],
)
def test_extensions_safecity_cannot_write_are_refused(
    lintong: Path, tmp_path: Path, name: str, hint: str
) -> None:
    out = tmp_path / name
    code, stdout, stderr = _invoke(lintong, "weekly", "-o", str(out))
    assert (code, stdout) == (2, b"")
    suffix = out.suffix
    assert stderr == (
        f"错误：不能生成 {suffix} 文件：{out}；报告可写为 .md、.markdown、.txt、.html、.htm、.docx{hint}\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "md", "-o", "周报.docx"], "错误：--format md 与输出文件 周报.docx 的扩展名不符"),
        (["-f", "docx", "-o", "周报.md"], "错误：--format docx 与输出文件 周报.md 的扩展名不符"),
        (["-f", "docx", "-t", "weekly.html.j2"], "错误：Word 文档由 Markdown 模板生成"),
    ],
)
def test_a_word_document_goes_only_into_a_docx(
    lintong: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "weekly.html.j2").write_text("<p>{{ total }}</p>\n", encoding="utf-8")
    code, _, stderr = _invoke(lintong, "weekly", *args)
    assert code == 2
    assert stderr.startswith(message)
    assert not list(tmp_path.glob("周报.*"))


def test_all_units_as_word_documents(tmp_path: Path) -> None:
    mini = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", mini)
    folder = tmp_path / "任务书"
    code, _, stderr = _invoke(
        mini, "unit", "--all-units", "--output-dir", str(folder), "-f", "docx"
    )
    assert code == 0, stderr
    assert stderr == f"已写入 {folder}：8 个单位的任务书\n"
    files = sorted(folder.iterdir())
    assert len(files) == 8 and {p.suffix for p in files} == {".docx"}
    doc = Document(str(folder / "县应急局.docx"))
    assert doc.paragraphs[0].text == "县应急局创建工作任务书"
    assert doc.tables and doc.tables[0].rows[0].cells[0].text == "序号"


def _width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_no_column_is_narrower_than_its_heading_or_its_short_words(
    samples: dict[str, str], name: str
) -> None:
    """The notice's 状态, 督办 and 时限情况 columns were one character wide: 推/进/中."""
    doc = _load(samples[name])
    for table in doc.tables:
        rows = _row_texts(table)
        size = next(r.font.size for c in table.rows[0].cells for p in c.paragraphs for r in p.runs)
        half = size // 2
        pad = 2 * CELL_MARGIN
        widths = [table.cell(0, i).width for i in range(len(rows[0]))]
        assert sum(widths) <= Mm(156) + Mm(0.1)
        for i, heading in enumerate(rows[0]):
            body = [row[i] for row in rows[1:]]
            need = _width(heading)
            if body and max(map(_width, body)) <= SHORT_CELL:
                need = max(need, *map(_width, body))
            assert widths[i] >= need * half + pad, (name, heading, widths[i], need)


def test_the_notice_keeps_its_status_words_on_one_line(samples: dict[str, str]) -> None:
    table = _load(samples["notice"]).tables[0]
    heads = [c.text for c in table.rows[0].cells]
    assert heads == ["序号", "主要目标任务", "完成时限", "状态", "时限情况", "督办", "最新进展"]
    size = Pt(10.5)  # seven columns: 五号
    assert table.rows[1].cells[3].paragraphs[0].runs[0].font.size == size
    for column, word in ((3, "推进中"), (4, "逾期 74 天"), (5, "督办")):
        assert table.cell(0, column).width >= _width(word) * (size // 2) + 2 * CELL_MARGIN


# -- opened by a real word processor ---------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_libreoffice_opens_the_notice(samples: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "督办通知单.docx"
    source.write_bytes(markdown_to_docx(samples["notice"]))
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "督办通知单.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pages = text.count("\f")
    assert 1 < pages <= 6
    for page in range(1, pages + 1):
        assert re.search(rf"—\s*{page}\s*—", text)
    assert text.lstrip().startswith("督办通知单")
    # the short columns hold their words on one line: as many whole 推进中 and 逾期 74 天 as
    # the notice's Markdown has
    for word in ("推进中", "逾期 74 天"):
        assert text.count(word) == samples["notice"].count(word) > 0, word


@pytest.mark.parametrize("kind", ["monthly", "quarterly", "phase"])
def test_periodic_reports_are_word_documents_too(
    runner: CliRunner, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / f"{kind}.docx"
    result = runner.invoke(app, ["report", kind, "--date", "2021-04-30", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes()[:2] == b"PK"  # a .docx is a zip, not Markdown text
    assert Document(str(target)).paragraphs[0].text.startswith("西安市临潼区")
