"""`safecity score`: each unit's score over a period under the 考核细则, and the ranking."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safecity_cli.cli.common import (
    DataOpt,
    NoCacheOpt,
    UnitOpt,
    as_of,
    deliver,
    emit,
    find_unit,
    note,
    open_ledger,
    open_registry,
    save,
)

if TYPE_CHECKING:
    from datetime import date as Date

    from safecity_cli.scoring.compute import Period


class ScoreFormat(str, Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MD = "md"
    XLSX = "xlsx"


FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="统计期间的开始日期（默认为创建工作起始日期）",
        show_default=False,
        metavar="DATE",
    ),
]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="统计期间的结束日期，数据截至当天（默认今天）",
        show_default=False,
        metavar="DATE",
    ),
]


def period_of(program_start: Date, first: str | None, last: str | None) -> Period:
    """The period --from/--to name (the program's start and today by default)."""
    from safecity_cli.scoring.compute import Period

    end = as_of(last, "--to")
    start = as_of(first, "--from") if first is not None else program_start
    return Period(start, end)


def score(
    first: FromOpt = None,
    last: ToOpt = None,
    unit: UnitOpt = None,
    fmt: Annotated[
        ScoreFormat,
        typer.Option(
            "--format",
            "-f",
            help="输出格式：table（默认）、json、csv、md、xlsx（xlsx 写入文件）",
            case_sensitive=False,
            show_default=False,
        ),
    ] = ScoreFormat.TABLE,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="写入此文件（xlsx 默认为当前目录的「考核得分_结束日期.xlsx」）",
            show_default=False,
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """考核得分：按考核细则（登记册的 scoring.yaml）计算各单位在统计期间的得分、分项加扣分和名次。

    得分 = 基础分 + 按时完成加分 − 逾期任务、逾期天数、红色/黄色督办、定期任务漏报、督办逾期未回复扣分（各项不超过封顶分）。集合单位（如各街道）的任务由其成员单位各自计分；--unit 为集合单位时列出其全部成员。

    示例：safecity score --from 2021-03-01 --to 2021-03-31 --format md
    """
    from safecity_cli.cli import clock
    from safecity_cli.registry.units import expand
    from safecity_cli.render.formats import OutputFormat
    from safecity_cli.scoring.compute import score_board
    from safecity_cli.scoring.listings import EXAMPLE_NOTE, score_listing, score_workbook
    from safecity_cli.scoring.notices import load_notices

    registry = open_registry(data, no_cache=no_cache)
    period = period_of(registry.program.start, first, last)
    who = find_unit(registry, unit)
    board = score_board(
        registry, open_ledger(registry, no_cache=no_cache), load_notices(registry.path), period
    )
    rows = list(board.rows)
    if who is not None:
        names = set(expand(registry, who))
        rows = [r for r in rows if r.unit in names]
    if board.scoring.example:
        note(f"注意：{EXAMPLE_NOTE}")
    if fmt is ScoreFormat.XLSX:
        target = output or Path(f"考核得分_{period.last.isoformat()}.xlsx")
        save(target, score_workbook(board, rows, clock.now().replace(tzinfo=None)), "考核得分")
        return
    listing = score_listing(board, rows, compact=fmt is ScoreFormat.TABLE)
    if output is not None:
        from safecity_cli.render.formats import render

        deliver(render(listing, OutputFormat(fmt.value)), output, "考核得分")
        return
    emit(listing, OutputFormat(fmt.value))
