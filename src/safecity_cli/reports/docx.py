"""Render safecity's Markdown reports as Word documents in the GB/T 9704-2012 layout.

A Mermaid diagram (the briefing's Gantt chart) cannot be drawn in Word: it is replaced by a
line pointing to the HTML version, and the figure's caption (the paragraph right after it
that starts with 图中) goes with it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.parfmt import CT_PPr
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Length, Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.table import _Cell as _DocxCell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["markdown_to_docx"]

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_S4 = Pt(12)  # 小四
SIZE_5 = Pt(10.5)  # 五号
LINE_PITCH = Pt(28.95)  # 297 mm page, 225 mm text block / 22 lines

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_WIDTH = Mm(210 - 28 - 26)
# GB/T 9704 puts the dash line 7 mm below the text block; a 四号 line is about 5 mm tall.
FOOTER_DISTANCE = Mm(35 - 7 - 5)

EM_DASH = "\u2014"
BULLET = "\u2022"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
WIDE_TABLE_COLUMNS = 4  # more columns than this: 小四
WIDER_TABLE_COLUMNS = 5  # more than this: 五号
CELL_MARGIN = Mm(1)  # left and right inside each cell
# A column whose cells are all this short (display width: a Chinese character counts 2) keeps
# its longest cell on one line: 状态, 督办, 逾期 74 天 are never set one character per line.
SHORT_CELL = 12
LONG_COLUMN_FLOOR = 8  # the least a column of long texts gets: 4 Chinese characters
FIGURE_NOTE = "（此处的进度图见本报告的 HTML 版。）"
FIGURE_CAPTION = "图中"
WIDE_SPACE = "\u3000"
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}
_HEADING_FONTS = {2: (HEITI, False), 3: (KAITI, False)}
_DEEP_HEADING_FONT = (FANGSONG, True)


@dataclass(frozen=True)
class _Font:
    name: str
    size: Length
    bold: bool = False


BODY_FONT = _Font(FANGSONG, SIZE_3)
TITLE_FONT = _Font(XIAOBIAOSONG, SIZE_2)


@dataclass
class _Cell:
    inline: Token | None
    align: str | None
    header: bool


@dataclass
class _ListLevel:
    ordered: bool
    marker: str = ""
    pending: bool = False


@dataclass
class _State:
    lists: list[_ListLevel] = field(default_factory=list)
    quote_depth: int = 0
    title_pending: bool = False
    last_was_table: bool = False


def markdown_to_docx(markdown: str, *, title: str | None = None) -> bytes:
    """A .docx (GB/T 9704 layout) of a Markdown report as safecity's templates write it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(_keep_wide_spaces(markdown))
    doc = Document()
    _setup_styles(doc)
    _setup_page(doc)
    state = _State()
    if title is not None:
        _add_title(doc, [], text=title)
        state.title_pending = True
    _render_blocks(doc, tokens, state)
    _fix_core_properties(doc, title if title is not None else _first_h1(tokens))
    buffer = io.BytesIO()
    doc.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _setup_page(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.footer_distance = FOOTER_DISTANCE
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    # GB/T 9704 alternates outside edges (odd right, even left); centred is the accepted variant
    # and keeps one footer for all pages.
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _plain_spacing(paragraph, first_line_chars=0)
    page_font = _Font(SONGTI, SIZE_4)
    _add_run(paragraph, f"{EM_DASH} ", page_font)
    _add_field(paragraph, "PAGE", "1", page_font)
    _add_run(paragraph, f" {EM_DASH}", page_font)


def _setup_styles(doc: DocxDocument) -> None:
    _set_doc_defaults(doc)
    normal = doc.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _style_font(normal, BODY_FONT)
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    _set_indent(normal.element.get_or_add_pPr(), first_line_chars=2, size=SIZE_3)
    for level in range(2, 7):
        style = doc.styles[_heading_style(level)]
        assert isinstance(style, ParagraphStyle)
        name, bold = _HEADING_FONTS.get(level, _DEEP_HEADING_FONT)
        _style_font(style, _Font(name, SIZE_3, bold))
        style.paragraph_format.space_before = style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.keep_with_next = True


def _set_doc_defaults(doc: DocxDocument) -> None:
    # Styles not based on Normal (tables, footer runs) otherwise inherit Calibri and en-US.
    r_pr = doc.styles.element.find(
        qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr")
    )
    if r_pr is None:
        return
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is not None:
        r_pr.remove(fonts)
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FANGSONG)
    r_pr.insert(0, fonts)
    lang = r_pr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def _style_font(style: ParagraphStyle, font: _Font) -> None:
    # Drop the template's rPr: its theme font attributes would override the names set here.
    old = style.element.rPr
    if old is not None:
        style.element.remove(old)
    style.font.name = font.name
    style.font.size = font.size
    style.font.bold = font.bold
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font.name)


def _heading_style(level: int) -> str:
    return f"Heading {min(level, 6) - 1}"


def _fix_core_properties(doc: DocxDocument, title: str) -> None:
    props = doc.core_properties
    props.title = title
    props.author = "safecity"
    props.last_modified_by = "safecity"
    props.comments = ""
    props.revision = 1
    # A timestamp would make every rendering of the same Markdown differ.
    element = props._element
    for tag in ("dcterms:created", "dcterms:modified"):
        for child in element.findall(qn(tag)):
            element.remove(child)
    # The template ships a thumbnail of an unrelated blank page; file browsers would show it.
    rels = doc.part.package.rels
    for r_id in [r_id for r_id, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[r_id]


def _normalise_zip(data: bytes) -> bytes:
    # zipfile stamps each member with the wall clock; rewrite with a fixed time for stable bytes.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 0
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def _keep_wide_spaces(markdown: str) -> str:
    # The table parser strips every Unicode space around a cell, 全角空格 included, so the
    # receipt's "　　年　　月　　日" would lose its blanks; an entity survives the strip.
    return "\n".join(
        line.replace(WIDE_SPACE, "&#12288;") if line.lstrip().startswith("|") else line
        for line in markdown.split("\n")
    )


def _first_h1(tokens: Sequence[Token]) -> str:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return _plain_text(tokens[i + 1].children or [])
    return ""


def _render_blocks(doc: DocxDocument, tokens: Sequence[Token], state: _State) -> None:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "table_open":
            end = _closing(tokens, i, "table_close")
            if state.last_was_table:
                _add_paragraph(doc, [], state)  # adjacent tables would merge into one
            _add_table(doc, tokens[i:end])
            state.last_was_table = True
            i = end + 1
            continue
        state.last_was_table = False
        if kind == "heading_open":
            _add_heading(doc, tokens[i + 1].children or [], int(token.tag[1]), state)
            i += 3
            continue
        if kind == "paragraph_open":
            _add_paragraph(doc, tokens[i + 1].children or [], state)
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            state.lists.append(_ListLevel(ordered=kind == "ordered_list_open"))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            state.lists.pop()
        elif kind == "list_item_open":
            level = state.lists[-1]
            level.marker = f"{token.info}{token.markup}" if level.ordered else BULLET
            level.pending = True
        elif kind == "blockquote_open":
            state.quote_depth += 1
        elif kind == "blockquote_close":
            state.quote_depth -= 1
        elif kind == "fence" and _is_diagram(token):
            _add_paragraph(doc, [Token("text", "", 0, content=FIGURE_NOTE)], state)
            if _is_caption(tokens, i + 1):
                i += 3
        elif kind in ("fence", "code_block"):
            _add_code(doc, token, state)
        elif kind == "hr":
            _add_rule(doc)
        # html_block is dropped: safecity's reports carry no meaningful block HTML.
        i += 1


def _closing(tokens: Sequence[Token], start: int, kind: str) -> int:
    for j in range(start, len(tokens)):
        if tokens[j].type == kind:
            return j
    return len(tokens) - 1


def _add_title(doc: DocxDocument, children: Sequence[Token], *, text: str | None = None) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_indent(paragraph._p.get_or_add_pPr(), first_line_chars=0, size=SIZE_2)
    if text is not None:
        _add_run(paragraph, text, TITLE_FONT)
    else:
        _add_inline(paragraph, children, TITLE_FONT)
    doc.add_paragraph()  # GB/T 9704: the text starts one blank line below the title


def _add_heading(doc: DocxDocument, children: Sequence[Token], level: int, state: _State) -> None:
    if level == 1:
        if state.title_pending:
            state.title_pending = False  # the caller's title replaces the first "#" heading
        else:
            _add_title(doc, children)
        return
    name, bold = _HEADING_FONTS.get(level, _DEEP_HEADING_FONT)
    paragraph = doc.add_paragraph(style=_heading_style(level))
    _add_inline(paragraph, children, _Font(name, SIZE_3, bold))


def _add_paragraph(doc: DocxDocument, children: Sequence[Token], state: _State) -> None:
    paragraph = doc.add_paragraph()
    list_depth = len(state.lists)
    left = 2 * state.quote_depth + 2 * max(list_depth - 1, 0)
    first = 0 if state.quote_depth else 2
    if left:
        _set_indent(paragraph._p.get_or_add_pPr(), first_line_chars=first, size=SIZE_3, left=left)
    if state.lists and state.lists[-1].pending:
        state.lists[-1].pending = False
        _add_run(paragraph, f"{state.lists[-1].marker} ", BODY_FONT)
    _add_inline(paragraph, children, BODY_FONT)


def _is_diagram(token: Token) -> bool:
    # Diagram sources (the briefing's gantt chart) mean nothing to a Word reader.
    return token.info.strip().split(" ")[0].lower() == "mermaid"


def _is_caption(tokens: Sequence[Token], i: int) -> bool:
    return (
        i + 1 < len(tokens)
        and tokens[i].type == "paragraph_open"
        and tokens[i + 1].content.startswith(FIGURE_CAPTION)
    )


def _add_code(doc: DocxDocument, token: Token, state: _State) -> None:
    for line in token.content.rstrip("\n").split("\n"):
        paragraph = doc.add_paragraph()
        _set_indent(
            paragraph._p.get_or_add_pPr(),
            first_line_chars=0,
            size=SIZE_3,
            left=2 * state.quote_depth,
        )
        _add_run(paragraph, line, BODY_FONT)


def _add_rule(doc: DocxDocument) -> None:
    paragraph = doc.add_paragraph()
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(attr), value)
    borders.append(bottom)
    _insert_in_order(p_pr, borders, ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc"))


def _collect_rows(tokens: Sequence[Token]) -> list[list[_Cell]]:
    rows: list[list[_Cell]] = []
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            style = str(token.attrGet("style") or "")
            align = style.split(":", 1)[1].strip() if style.startswith("text-align:") else None
            inline = tokens[i + 1] if tokens[i + 1].type == "inline" else None
            rows[-1].append(_Cell(inline, align, token.type == "th_open"))
    return rows


def _add_table(doc: DocxDocument, tokens: Sequence[Token]) -> None:
    rows = _collect_rows(tokens)
    if not rows:
        return
    columns = max(len(row) for row in rows)
    size = (
        SIZE_4
        if columns <= WIDE_TABLE_COLUMNS
        else SIZE_S4
        if columns <= WIDER_TABLE_COLUMNS
        else SIZE_5
    )
    font = _Font(FANGSONG, size)
    table = doc.add_table(rows=len(rows), cols=columns)
    if "Table Grid" in doc.styles:
        table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_properties(table)
    widths = _column_widths(rows, columns, size)
    for index, width in enumerate(widths):
        table.columns[index].width = width
    # table.cell() re-walks the whole grid on every call: a 40-row table took seconds.
    grid = [[_DocxCell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]
    for r, row in enumerate(rows):
        if r == 0:
            header = OxmlElement("w:tblHeader")  # repeat the header row on every page
            table.rows[0]._tr.get_or_add_trPr().append(header)
        for c in range(columns):
            cell = grid[r][c]
            cell.width = widths[c]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            _plain_spacing(paragraph, first_line_chars=0)
            if c >= len(row):
                continue
            data = row[c]
            if data.header:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif data.align in _ALIGN:
                paragraph.alignment = _ALIGN[data.align]
            else:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            cell_font = _Font(font.name, font.size, data.header)
            children = (data.inline.children or []) if data.inline else []
            _add_inline(paragraph, children, cell_font)


def _table_properties(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    width = tbl_pr.find(qn("w:tblW"))
    if width is not None:
        width.set(qn("w:type"), "dxa")
        width.set(qn("w:w"), str(TEXT_WIDTH.twips))
    # Explicit borders keep the grid even when a viewer ignores or lacks the "Table Grid" style.
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        for attr, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0")):
            line.set(qn(attr), value)
        line.set(qn("w:color"), "auto")
        borders.append(line)
    _insert_in_order(tbl_pr, borders, ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"))
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        margin = OxmlElement(f"w:{edge}")
        margin.set(qn("w:w"), str(CELL_MARGIN.twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    _insert_in_order(tbl_pr, margins, ("w:tblLook",))


def _column_widths(rows: Sequence[Sequence[_Cell]], columns: int, size: Length) -> list[Length]:
    """Each column first gets its heading on one line (and, where every cell is short, its
    longest cell); what is left of the text width goes to the long-text columns by their
    typical length, so 序号-like columns stay narrow and none is narrower than its words."""
    least: list[int] = []
    weights: list[int] = []
    for c in range(columns):
        cells = [row[c] for row in rows if c < len(row)]
        header = max((_display_width(x) for x in cells if x.header), default=4)
        body = [_display_width(x) for x in cells if not x.header] or [header]
        short = max(body) <= SHORT_CELL
        least.append(max(header, max(body) if short else LONG_COLUMN_FLOOR))
        weights.append(0 if short else max(header, min(sum(body) // len(body), 60)) + 2)
    half = size // 2  # a display unit: half a Chinese character
    minimum = [Length(units * half + 2 * CELL_MARGIN + Mm(0.4)) for units in least]
    spare = TEXT_WIDTH - sum(minimum)
    if spare <= 0 or not any(weights):
        # Too many columns to keep every word whole: share the width by the minimums.
        total = sum(minimum)
        return [Length(TEXT_WIDTH * m // total) for m in minimum]
    total_weight = sum(weights)
    return [Length(m + spare * w // total_weight) for m, w in zip(minimum, weights, strict=True)]


def _display_width(cell: _Cell) -> int:
    text = _plain_text(cell.inline.children or []) if cell.inline else ""
    return sum(2 if _is_wide(ch) else 1 for ch in text)


def _plain_text(children: Sequence[Token]) -> str:
    return "".join(t.content for t in children if t.type in ("text", "code_inline"))


def _is_wide(char: str) -> bool:
    return ord(char) >= 0x2E80


def _softbreak(children: Sequence[Token], index: int, before: str) -> str:
    # A line wrapped inside Chinese text must not turn into a space between two characters.
    after = next((t.content for t in children[index + 1 :] if t.content), "")
    if before and after and _is_wide(before[-1]) and _is_wide(after[0]):
        return ""
    return " "


def _add_inline(paragraph: Paragraph, children: Sequence[Token], font: _Font) -> None:
    buffer: list[str] = []
    bold = 0
    written = ""

    def flush() -> None:
        text = "".join(buffer)
        buffer.clear()
        if text:
            _add_run(paragraph, text, _Font(font.name, font.size, font.bold or bold > 0))

    def line_break() -> None:
        flush()
        _add_run(paragraph, "", font).add_break()

    for index, token in enumerate(children):
        kind = token.type
        if kind in ("text", "code_inline"):
            buffer.append(token.content)
            written += token.content
        elif kind == "softbreak":
            text = _softbreak(children, index, written)
            buffer.append(text)
            written += text
        elif kind == "hardbreak":
            line_break()
        elif kind == "html_inline":
            if _BR.fullmatch(token.content.strip()):
                line_break()
        elif kind == "image":
            buffer.append(_plain_text(token.children or []))
        elif kind in ("strong_open", "strong_close"):
            flush()
            bold += 1 if kind == "strong_open" else -1
        # em is rendered plain (official documents use no italics); link marks keep their text.
    flush()


def _add_run(paragraph: Paragraph, text: str, font: _Font) -> Run:
    run = paragraph.add_run(text)
    run.font.name = font.name
    run.font.size = font.size
    run.font.bold = font.bold or None
    # font.name only sets w:ascii/w:hAnsi; Chinese characters take the w:eastAsia font.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font.name)
    return run


def _add_field(paragraph: Paragraph, instruction: str, placeholder: str, font: _Font) -> None:
    for kind, text in (
        ("begin", None),
        ("instr", instruction),
        ("separate", None),
        ("text", placeholder),
        ("end", None),
    ):
        run = _add_run(paragraph, "", font)
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        elif kind == "text":
            element = OxmlElement("w:t")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._element.append(element)


def _plain_spacing(paragraph: Paragraph, *, first_line_chars: int) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(0)
    _set_indent(paragraph._p.get_or_add_pPr(), first_line_chars=first_line_chars, size=SIZE_3)


def _set_indent(p_pr: CT_PPr, *, first_line_chars: int, size: Length, left: int = 0) -> None:
    # The *Chars attributes make Word indent by characters; the twips values serve other viewers.
    ind = p_pr.get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(first_line_chars * 100))
    ind.set(qn("w:firstLine"), str(first_line_chars * size.twips))
    if left:
        ind.set(qn("w:leftChars"), str(left * 100))
        ind.set(qn("w:left"), str(left * size.twips))


def _insert_in_order(
    parent: BaseOxmlElement, child: BaseOxmlElement, successors: Sequence[str]
) -> None:
    # OOXML child order is schema-fixed; Word rejects files that break it.
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)
