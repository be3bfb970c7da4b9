"""`safecity assess`: the 评价细则's items, their tasks, self-scoring findings and scores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safecity_cli.cli import clock
from safecity_cli.cli.common import (
    DataOpt,
    DateOpt,
    FormatOpt,
    NoCacheOpt,
    UnitOpt,
    as_of,
    command,
    emit,
    new_app,
    note,
    open_ledger,
    open_registry,
)
from safecity_cli.render.formats import OutputFormat

app = new_app(
    "自评：评价细则三级项及对应任务、记录自评扣分、计算得分（三轮：第一次模拟自评、第二次模拟自评、正式自评）。\n\n"
    "示例：safecity assess items；safecity assess record 1 --deduct 0.5 --reason … --data ./台账；"
    "safecity assess score --round 1",
)

RoundOpt = Annotated[
    str | None,
    typer.Option(
        "--round",
        "-r",
        help="自评轮次：1（第一次模拟自评）、2（第二次模拟自评）、正式（正式自评），也可写全称；"
        "默认为最近一轮有扣分记录的轮次",
        show_default=False,
        metavar="ROUND",
    ),
]


def items(
    fmt: FormatOpt = OutputFormat.TABLE, data: DataOpt = None, no_cache: NoCacheOpt = False
) -> None:
    """列出已录入的评价细则三级项：所属一级项、二级项，分值，对应的任务和责任单位。

    示例：safecity assess items --format json
    """
    from safecity_cli.assessment.listings import items_listing

    registry = open_registry(data, no_cache=no_cache)
    emit(items_listing(registry), fmt)


def gaps(
    fmt: FormatOpt = OutputFormat.TABLE, data: DataOpt = None, no_cache: NoCacheOpt = False
) -> None:
    """列出没有对应任务的三级项和没有对应三级项的任务。

    示例：safecity assess gaps --format csv
    """
    from safecity_cli.assessment.listings import gaps_listing

    registry = open_registry(data, no_cache=no_cache)
    emit(gaps_listing(registry), fmt)


def record(
    item: Annotated[str, typer.Argument(metavar="ITEM", help="三级项编号，如 1、(1) 或 （1）")],
    deduct: Annotated[
        float | None,
        typer.Option("--deduct", "-d", help="扣分（大于 0，不超过该项分值）", show_default=False),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="扣分原因（对照评分标准）")] = "",
    award: Annotated[
        float | None,
        typer.Option("--award", help="鼓励项的加分（只用于鼓励项）", show_default=False),
    ] = None,
    unit: UnitOpt = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence",
            "-e",
            help="佐证材料文件，复制进登记册的材料档案（evidence/，按 SHA-256 存放），可重复",
            show_default=False,
        ),
    ] = None,
    evidence_link: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence-link", help="只记录路径或网址、不复制的佐证材料，可重复", show_default=False
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date", help="自评日期（默认今天），不能晚于今天", show_default=False, metavar="DATE"
        ),
    ] = None,
    round_: RoundOpt = None,
    by: Annotated[str, typer.Option("--by", help="记录人")] = "",
    data: DataOpt = None,
) -> None:
    """记录一条自评扣分（追加写入 登记册/assessment/findings.yaml，不修改已有记录）。

    同一三级项可多次扣分，合计扣分以该项分值为限（扣完为止）。任何一项检查不通过都不写入。

    示例：safecity assess record 1 --deduct 0.5 --reason "未制定排水防涝规划" --unit 区水务局 --round 1 --data ./台账
    """
    from safecity_cli.assessment.criteria import num
    from safecity_cli.assessment.findings import FindingInput, record_finding
    from safecity_cli.cli.clock import recorded_now
    from safecity_cli.dates import chinese_date

    registry = open_registry(data, no_cache=True)
    finding = record_finding(
        registry,
        FindingInput(
            item,
            deduct,
            award,
            reason,
            unit,
            tuple(evidence or ()),
            tuple(evidence_link or ()),
            as_of(date) if date is not None else None,
            round_,
            by,
        ),
        today=clock.today(),
        recorded_at=recorded_now(),
        base=Path.cwd(),
    )
    what = f"加 {num(finding.award)} 分" if finding.award else f"扣 {num(finding.deduct)} 分"
    files = f"，佐证材料 {len(finding.evidence)} 份" if finding.evidence else ""
    note(
        f"已记录 {finding.id}：{finding.round} 三级项 {finding.item} {what}"
        f"（{chinese_date(finding.date)}）{files}"
    )


def score(
    date: DateOpt = None,
    round_: RoundOpt = None,
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--compare",
            help="并排对比两轮得分，如 --compare 1 2",
            show_default=False,
            metavar="R1 R2",
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """自评得分：每个三级项的扣分和得分（扣完为止），二级项、一级项小计，合计和鼓励项。

    失分的三级项排在前面，并列出责任单位（经任务对应）和对应任务的状态；--date 之后的扣分记录不计。

    示例：safecity assess score --round 1 --format md；safecity assess score --compare 1 2
    """
    from safecity_cli.assessment.findings import current_round, load_findings, parse_round
    from safecity_cli.assessment.listings import compare_listing, score_listing
    from safecity_cli.assessment.scoring import score as compute
    from safecity_cli.errors import UsageError

    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    findings = load_findings(registry.path)
    ledger = open_ledger(registry, no_cache=no_cache)
    if compare is not None:
        if round_ is not None:
            raise UsageError("--compare 与 --round 不能同时使用")
        first, second = (parse_round(r) for r in compare)
        emit(
            compare_listing(
                compute(registry, ledger, findings, first, on),
                compute(registry, ledger, findings, second, on),
            ),
            fmt,
        )
        return
    chosen = parse_round(round_) if round_ else current_round(findings)
    card = compute(registry, ledger, findings, chosen, on)
    emit(score_listing(card), fmt)
    if fmt is OutputFormat.TABLE:
        note(card.coverage.text)


command(app, "items")(items)
command(app, "gaps")(gaps)
command(app, "record")(record)
command(app, "score")(score)
