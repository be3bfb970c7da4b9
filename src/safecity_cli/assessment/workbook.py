"""The 自评表 workbook (`export xlsx --assessment`) and the 复核 bundle's index sheet.

openpyxl is imported inside the functions, so commands that write no workbook never load it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from safecity_cli.assessment.report import AssessmentReport
from safecity_cli.dates import chinese_date
from safecity_cli.exchange.xlsx_style import Column, new_workbook, write_table, write_title

if TYPE_CHECKING:
    from openpyxl import Workbook

ASSESSMENT_SHEET, SUBTOTAL_SHEET, PROBLEM_SHEET = "自评表", "分项小计", "整改问题"

ASSESSMENT_COLUMNS = (
    Column("一级项", 14, wrap=True),
    Column("二级项", 14, wrap=True),
    Column("三级项", 18, wrap=True),
    Column("评价内容", 44, wrap=True),
    Column("评分标准", 44, wrap=True),
    Column("扣分", 7, center=True),
    Column("得分", 7, center=True),
    Column("证明材料", 20, wrap=True),
    Column("责任单位", 26, wrap=True),
    Column("完成时限和进度", 26, wrap=True),
)
SUBTOTAL_COLUMNS = (
    Column("一级项 / 二级项", 30, wrap=True),
    Column("细则分值", 10, center=True),
    Column("已录入分值", 11, center=True),
    Column("扣分", 8, center=True),
    Column("得分", 8, center=True),
)
PROBLEM_COLUMNS = (
    Column("编号", 7, center=True),
    Column("问题", 44, wrap=True),
    Column("来源", 7, center=True),
    Column("三级项", 8, center=True),
    Column("任务", 7, center=True),
    Column("责任单位", 20, wrap=True),
    Column("整改时限", 17, center=True),
    Column("状态", 9, center=True),
    Column("逾期天数", 8, center=True),
)
INDEX_COLUMNS = (
    Column("序号", 6, center=True),
    Column("文件", 50, wrap=True),
    Column("原文件名", 24, wrap=True),
    Column("一级项", 18, wrap=True),
    Column("三级项", 22, wrap=True),
    Column("任务", 7, center=True),
    Column("责任单位", 18, wrap=True),
    Column("日期", 17, center=True),
    Column("SHA-256", 66),
    Column("来源", 16, wrap=True),
)


def _number(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def build_assessment_workbook(report: AssessmentReport, *, created: datetime | None) -> Workbook:
    book = new_workbook(f"{report.round}表", created)
    ws = book.create_sheet(ASSESSMENT_SHEET)
    ncols = len(ASSESSMENT_COLUMNS)
    write_title(ws, 1, f"{report.program.name}{report.round}表", ncols)
    write_title(
        ws,
        2,
        f"截至{chinese_date(report.on)}。{report.coverage.text}；已录入部分扣 {report.deducted} 分，"
        f"得 {report.score} 分；{report.bonus}",
        ncols,
        size=11,
    )
    rows = [
        [*r.cells[:5], _number(r.deducted), _number(r.score), *r.cells[7:]] for r in report.rows
    ]
    write_table(ws, ASSESSMENT_COLUMNS, rows, header_row=3)

    sub = book.create_sheet(SUBTOTAL_SHEET)
    lines: list[Sequence[Any]] = []
    for lv in report.levels:
        lines.append([f"{lv.id}、{lv.title}", lv.points, lv.entered_points, lv.deducted, lv.score])
        for ch in report.children:
            if ch.parent == lv.id:
                lines.append(
                    [f"{ch.id}.{ch.title}", ch.points, ch.entered_points, ch.deducted, ch.score]
                )
    lines = [[row[0], *(_round(v) for v in row[1:])] for row in lines]
    write_title(sub, 1, f"{report.round}分项小计", len(SUBTOTAL_COLUMNS))
    write_table(sub, SUBTOTAL_COLUMNS, lines, header_row=2)

    prob = book.create_sheet(PROBLEM_SHEET)
    write_title(prob, 1, f"整改问题（截至{chinese_date(report.on)}）", len(PROBLEM_COLUMNS))
    write_table(
        prob,
        PROBLEM_COLUMNS,
        [
            [
                p.id,
                p.text,
                p.source,
                p.item or "",
                p.task if p.task is not None else "",
                p.unit,
                p.deadline,
                p.status,
                p.days_overdue if p.days_overdue is not None else "",
            ]
            for p in report.problems
        ],
        header_row=2,
    )
    return book


def _round(value: Any) -> Any:
    if isinstance(value, float):
        value = round(value, 2)
        return int(value) if value.is_integer() else value
    return value


def build_index_workbook(title: str, rows: Sequence[Sequence[Any]]) -> Workbook:
    book = new_workbook(title, None)
    ws = book.create_sheet("目录")
    write_title(ws, 1, title, len(INDEX_COLUMNS))
    write_table(ws, INDEX_COLUMNS, rows, header_row=2)
    return book
