"""HTML reports that print: page rules, columns no narrower than their words, a Gantt axis whose
labels never meet, percentages inside their cells; checked by parsing the HTML and its CSS, and
(when headless Chromium is installed) by printing to PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest
from markupsafe import Markup
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.ledger.entries import Status
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.reports.engine import Renderer, ReportFormat
from safecity_cli.reports.weekly import AXIS_MM, LABEL_EM_MM, label_mm

FIXTURES = Path(__file__).parent / "fixtures"
REPORTS = {
    "weekly": (["weekly"], "西安市临潼区国家安全发展示范城市创建工作周报 第25期"),
    "unit": (["unit", "区住建局"], "区住建局创建工作任务书"),
    "notice": (["notice", "--unit", "区交运局"], "督办通知单（区交运局）"),
}
STATUS_WORDS = {s.value for s in Status} | {"已到期", "即将到期", "今日到期", "未到期"}
LEVELS = {"红", "黄", "蓝"}


@pytest.fixture(scope="module")
def lintong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("print") / "lintong"
    shutil.copytree(embedded_data_dir(), target, ignore=shutil.ignore_patterns("progress"))
    shutil.copytree(FIXTURES / "ledgers" / "lintong" / "progress", target / "progress")
    return target


def render(data: Path | None, args: list[str], when: str = "2021-03-15") -> str:
    where = ["--data", str(data)] if data is not None else []
    result = CliRunner().invoke(app, ["report", *args, "--date", when, "--format", "html", *where])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def pages(lintong: Path) -> dict[str, str]:
    return {name: render(lintong, args) for name, (args, _) in REPORTS.items()}


# -- the CSS ---------------------------------------------------------------------------------------


def style_of(html: str) -> str:
    match = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert match
    return match[1]


def rule(css: str, selector: str) -> dict[str, str]:
    """The declarations of the rule whose selector list is exactly `selector`."""
    for match in re.finditer(r"(?m)^([^{}@\n][^{}]*?)\s*\{([^{}]*)\}", css):
        if [s.strip() for s in match[1].split(",")] == [s.strip() for s in selector.split(",")]:
            pairs = (d.split(":", 1) for d in match[2].split(";") if ":" in d)
            return {k.strip(): v.strip() for k, v in pairs}
    raise AssertionError(f"no rule for {selector}")


def em(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)em", value)
    assert match, value
    return float(match[1])


@pytest.mark.parametrize("name", REPORTS)
def test_page_rules_put_the_title_and_page_numbers_in_the_margins(
    pages: dict[str, str], name: str
) -> None:
    css = style_of(pages[name])
    page = re.search(r"@page \{(.*?)\n\}", css, re.DOTALL)
    assert page
    body = page[1]
    assert body.startswith(" size: A4; margin: ")  # the margin boxes need the margin's room
    title = re.search(r'@top-center \{ content: "([^"]*)";', body)
    assert title and title[1] == REPORTS[name][1]
    assert re.search(r"<title>([^<]*)</title>", pages[name])[1] == REPORTS[name][1]  # type: ignore[index]
    assert '@bottom-center { content: "第 " counter(page) " 页，共 " counter(pages) " 页";' in body


def test_a_title_cannot_break_out_of_its_css_string() -> None:
    css_string = Renderer(ReportFormat.HTML).env.filters["css_string"]
    assert (
        css_string(Markup('甲 &amp; "乙" \\ </style>'))
        == "甲 \\26  \\22 乙\\22  \\5c  \\3c /style\\3e "
    )
    assert css_string("一\n二") == "一 二"


def test_headings_and_short_words_never_break() -> None:
    css = style_of(render(None, ["weekly"]))
    assert rule(css, "th")["white-space"] == "nowrap"
    assert rule(css, ".word")["white-space"] == "nowrap"
    assert rule(css, "td.col-level")["white-space"] == "nowrap"
    # and the columns keep room for the words even where a browser lets them shrink
    assert em(rule(css, "td.col-status")["min-width"]) >= min(len(w) for w in STATUS_WORDS) + 0.5
    assert em(rule(css, "td.col-note")["min-width"]) >= len("未报送进展")
    assert em(rule(css, "td.col-level")["min-width"]) >= 1 + 0.5


# -- the tables ------------------------------------------------------------------------------------


@dataclass
class Cell:
    classes: set[str]
    text: str = ""
    words: list[str] = field(default_factory=list)  # texts inside <span class="word">
    badges: list[str] = field(default_factory=list)  # 督办 marks: <span class="level …">


class Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[Cell]]] = []
        self.cell: Cell | None = None
        self.spans: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = Cell(classes)
            self.tables[-1][-1].append(self.cell)
        elif tag == "span":
            self.spans.append(
                "word" if "word" in classes else "level" if "level" in classes else None
            )
            if self.cell is not None and self.spans[-1] == "word":
                self.cell.words.append("")
            elif self.cell is not None and self.spans[-1] == "level":
                self.cell.badges.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self.cell = None
        elif tag == "span":
            self.spans.pop()

    def handle_data(self, data: str) -> None:
        if self.cell is None:
            return
        self.cell.text += data
        if "word" in self.spans:
            self.cell.words[-1] += data
        if "level" in self.spans:
            self.cell.badges[-1] += data


def tables(html: str) -> list[list[list[Cell]]]:
    parser = Tables()
    parser.feed(html)
    return [t for t in parser.tables if t and t[0] and t[0][0].text != "责任单位"]


def columns(table: list[list[Cell]]) -> dict[str, list[Cell]]:
    heads = [c.text for c in table[0]]
    return {h: [row[i] for row in table[1:] if i < len(row)] for i, h in enumerate(heads)}


@pytest.mark.parametrize("name", REPORTS)
def test_status_level_and_note_columns_hold_their_words_whole(
    pages: dict[str, str], name: str
) -> None:
    found = set()
    for table in tables(pages[name]):
        for head, cells in columns(table).items():
            if head == "状态":
                for cell in cells:
                    assert "col-status" in cell.classes
                    status = re.split(r"[，（]", cell.text)[0]
                    assert status in STATUS_WORDS | {"合计"}, cell.text
                    if status != "合计":
                        assert cell.words[0].startswith(status)  # never broken inside the word
                        found.add("状态")
            elif head == "督办":
                for cell in cells:
                    assert "col-level" in cell.classes
                    assert cell.text == "".join(cell.badges) and set(cell.badges) <= LEVELS
                    found.add("督办")
            elif head in ("最新进展", "进展说明"):
                for cell in cells:
                    assert "col-note" in cell.classes
                    if cell.text in ("未报送进展", "—"):
                        assert cell.words == [cell.text]
                        found.add(cell.text)
    assert {"状态", "督办"} <= found


def test_the_notice_says_未报送进展_in_one_piece() -> None:
    html = render(None, ["notice", "--unit", "区交运局"])  # no progress recorded at all
    notes = [c for t in tables(html) for c in columns(t).get("最新进展", [])]
    silent = [c for c in notes if c.text == "未报送进展"]
    assert silent and all(c.words == ["未报送进展"] for c in silent)


def test_percentages_sit_inside_their_cells(pages: dict[str, str]) -> None:
    html = pages["weekly"]
    css = style_of(html)
    assert rule(css, ".progress")["width"].endswith("em")  # not a share of a cell being sized
    assert rule(css, "td.nowrap")["white-space"] == "nowrap"
    cells = re.findall(r'<td class="nowrap"><span class="progress">.*?</td>', html)
    assert len(cells) > 7
    assert all(re.search(r'<span class="percent">\d+\.\d%</span></td>$', c) for c in cells)


# -- the Gantt axis --------------------------------------------------------------------------------


def axis(html: str) -> list[tuple[float, str]]:
    block = re.search(r'<div class="gantt-axis">(.*?)</div>', html, re.DOTALL)
    assert block
    return [(float(x), label) for x, label in re.findall(r'left: ([\d.]+)%">([^<]+)<', block[1])]


@pytest.mark.parametrize(
    "when", ["2020-09-01", "2020-10-20", "2021-03-15", "2021-07-31", "2022-06-01", "2024-01-01"]
)
def test_gantt_labels_never_meet(when: str) -> None:
    html = render(None, ["weekly"], when)
    css = style_of(html)
    # the model of the axis in weekly.py is the one this CSS draws
    assert rule(css, ".gantt")["font-size"] == "9pt" and abs(LABEL_EM_MM - 3.175) < 0.001
    assert rule(css, ".gantt-axis")["margin-left"] == "32%"
    assert rule(css, ".gantt-track")["width"] == "68%" and abs(AXIS_MM - 174 * 0.68) < 0.001
    assert rule(css, "body")["max-width"] == "174mm"
    ticks = axis(html)
    assert len(ticks) >= 3
    for (left, label), (right, _) in pairwise(ticks):
        gap_mm = (right - left) / 100 * AXIS_MM
        assert gap_mm >= label_mm(label), (when, label, gap_mm)
        assert label_mm(label) >= len(label) * LABEL_EM_MM * 0.55


# -- printed by a real browser ---------------------------------------------------------------------

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_chromium_prints_the_notice_with_title_and_page_numbers(
    pages: dict[str, str], tmp_path: Path
) -> None:
    source, pdf = tmp_path / "notice.html", tmp_path / "notice.pdf"
    source.write_text(pages["notice"], encoding="utf-8")
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",  # the browser's own header and footer left on, as people print
            f"--print-to-pdf={pdf}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    total = text.count("\f")
    assert 1 < total <= 5  # 12 items and the receipt; it took 8 pages with the cramped columns
    for page in range(1, total + 1):
        assert f"第 {page} 页，共 {total} 页" in text
    assert text.count("督办通知单（区交运局）") >= total
    assert "file://" not in text
    assert "未\n启\n动" not in text and "推进中" in text
