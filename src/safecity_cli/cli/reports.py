"""`safecity report`: the weekly briefing, a unit's 任务书 and a 督办通知单, from templates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from safecity_cli.cli.common import (
    DataOpt,
    DateOpt,
    DistrictOpt,
    NoCacheOpt,
    UnitOpt,
    WorkdaysOpt,
    as_of,
    command,
    deliver,
    find_unit,
    new_app,
    note,
    open_ledger,
    open_registry,
    open_rollup,
    progress_bar,
    recorded_through,
)

if TYPE_CHECKING:
    from datetime import date as Date

    from safecity_cli.registry.models import Registry
    from safecity_cli.reports.engine import ReportFormat

app = new_app(
    "生成报告：创建工作周报、单位任务书、督办通知单、自评报告（Markdown、可打印的 HTML 或 Word 文档）。\n\n"
    "报告按 --date 日期计算，同一登记册、进展记录和日期总是生成完全相同的报告。\n\n"
    "示例：safecity report weekly --date 2021-03-15 --output 周报.md",
)

OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="写入此文件（默认输出到屏幕）；按扩展名生成：.md Markdown，.html 可打印 HTML，.docx Word 文档",
        show_default=False,
        dir_okay=False,
        metavar="FILE",
    ),
]
TemplateOpt = Annotated[
    Path | None,
    typer.Option(
        "--template",
        "-t",
        help="使用此模板文件代替内置模板（也可把同名文件放在 登记册/templates/ 下）",
        show_default=False,
        dir_okay=False,
        metavar="FILE",
    ),
]
ReportFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="报告格式：md（Markdown）、html（可打印，A4）或 docx（Word，公文格式）；默认按 --output 的扩展名，否则 md",
        show_default=False,
        metavar="FORMAT",
    ),
]


def weekly(
    date: DateOpt = None,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    workdays: WorkdaysOpt = False,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """生成创建工作周报：该日期所在的一周（周一至周日），数据截至该日期。

    内容：期数与本周日期，当前阶段及剩余天数，本周和下周到期的日程，总体及分类完成情况（含进度图），本周报送的进展、新完成和新增逾期的任务，按单位分列的督办事项（三色督办），14 天内到期的任务，各单位完成率排名。

    对汇总登记册（rollup.yaml）生成汇总周报：各区县对照、完成率排名和分区县情况。

    示例：safecity report weekly --date 2021-03-15 --output 周报.md

    示例：safecity report weekly --date 2021-03-15 --output 周报.docx（Word 文档，公文格式）
    """
    from safecity_cli.reports.engine import Renderer, issue_number
    from safecity_cli.reports.weekly import build_weekly

    if (rollup := open_rollup(data, district)) is not None:
        return _rollup_weekly(rollup, as_of(date), output, template, fmt, workdays, no_cache)
    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    ledger = open_ledger(registry, no_cache=no_cache)
    report = build_weekly(registry, ledger, on, workdays=workdays)
    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
    )
    _deliver(renderer.document("weekly", report), output, f"{issue_number(report.issue)}周报")


def unit(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[单位]", help="责任单位：全称、别名或能唯一确定的简称", show_default=False
        ),
    ] = None,
    all_units: Annotated[
        bool, typer.Option("--all-units", help="为每个责任单位各生成一份任务书（需 --output-dir）")
    ] = False,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            help="与 --all-units 一起使用：任务书写入此目录，每个单位一个文件",
            show_default=False,
            file_okay=False,
            metavar="DIR",
        ),
    ] = None,
    date: DateOpt = None,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    workdays: WorkdaysOpt = False,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """生成单位任务书：该单位承担的全部任务及日程安排。

    包括直接承担的和经集合单位（如各街办）承担的任务，每项的完成时限、状态、督办等级和最新进展，以及日程安排表中该单位的事项。

    示例：safecity report unit 区住建局 --output 区住建局任务书.md

    示例：safecity report unit --all-units --output-dir 任务书
    """
    from safecity_cli.errors import UsageError
    from safecity_cli.reports.task_book import build_task_book

    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    if all_units:
        if name is not None:
            raise UsageError("--all-units 与单位名称不能同时给出")
        if output is not None:
            raise UsageError("--all-units 时请用 --output-dir 指定目录，而不是 --output")
        if output_dir is None:
            raise UsageError("--all-units 需要用 --output-dir 指定写入的目录")
        _all_task_books(registry, on, output_dir, template, fmt, workdays, no_cache)
        return
    if output_dir is not None:
        raise UsageError("--output-dir 只能与 --all-units 一起使用；单个单位请用 --output")
    who = find_unit(registry, name)
    if who is None:
        raise UsageError("请给出责任单位名称，或用 --all-units 为每个单位生成任务书")
    ledger = open_ledger(registry, no_cache=no_cache)
    book = build_task_book(registry, ledger, who, on, workdays=workdays)
    from safecity_cli.reports.engine import Renderer

    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
    )
    _deliver(renderer.document("unit", book), output, f"{who.name}任务书")


def notice(
    unit: UnitOpt = None,
    reply_by: Annotated[
        str | None,
        typer.Option(
            "--reply-by",
            help="要求报送落实情况的日期（默认为 --date 之后 7 天）",
            show_default=False,
            metavar="DATE",
        ),
    ] = None,
    date: DateOpt = None,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    workdays: WorkdaysOpt = False,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """生成督办通知单：该单位逾期及黄色、红色督办的任务，写明回复期限，附回执。

    该单位没有需要督办的任务时，只在屏幕上说明，不生成通知单。

    示例：safecity report notice --unit 区住建局 --date 2021-03-15 --reply-by 2021-03-22
    """
    from safecity_cli.dates import chinese_date
    from safecity_cli.errors import UsageError
    from safecity_cli.reports.notice import build_notice

    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    who = find_unit(registry, unit)
    if who is None:
        raise UsageError("请用 --unit 指定要督办的责任单位")
    reply = as_of(reply_by, "--reply-by") if reply_by is not None else None
    ledger = open_ledger(registry, no_cache=no_cache)
    report = build_notice(
        registry,
        ledger,
        who,
        on,
        reply_by=reply,
        workdays=workdays,
    )
    if not report.rows:
        note(f"{who.name}截至{chinese_date(on)}没有逾期或黄色、红色督办的任务，不需要发督办通知单")
        return
    from safecity_cli.reports.engine import Renderer

    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
    )
    _deliver(renderer.document("notice", report), output, f"{who.name}督办通知单")


def assessment(
    round_: Annotated[
        str | None,
        typer.Option(
            "--round",
            "-r",
            help="自评轮次：1、2、正式（默认为最近一轮有扣分记录的轮次）",
            show_default=False,
            metavar="ROUND",
        ),
    ] = None,
    date: DateOpt = None,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """生成自评报告：总体得分，失分项，评价细则逐项自评表，问题整改情况。

    逐项自评表的列：一级项、二级项、三级项、评价内容、评分标准、扣分、得分、证明材料、责任单位、完成时限和进度。
    报告写明评价细则已录入多少（如「已录入 8 个三级项，合计 16 分；评价细则满分 100 分」），得分只计已录入的三级项。

    示例：safecity report assessment --round 1 --date 2021-04-01 -o 第一次模拟自评报告.html --data ./台账
    """
    from safecity_cli.assessment.findings import current_round, load_findings, parse_round
    from safecity_cli.assessment.report import build_assessment
    from safecity_cli.reports.engine import Renderer

    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    findings = load_findings(registry.path)
    chosen = parse_round(round_) if round_ else current_round(findings)
    ledger = open_ledger(registry, no_cache=no_cache)
    report = build_assessment(registry, ledger, chosen, on, findings)
    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
    )
    _deliver(renderer.document("assessment", report), output, f"{chosen}报告")


def _rollup_weekly(
    rollup: tuple[Path, list[Any]],
    on: Date,
    output: Path | None,
    template: Path | None,
    fmt: str | None,
    workdays: bool,
    no_cache: bool,
) -> None:
    from safecity_cli.cli.rollups import offices
    from safecity_cli.dates import chinese_date
    from safecity_cli.reports.engine import Renderer
    from safecity_cli.reports.rollup_weekly import build_rollup_weekly

    folder = rollup[0]
    loaded = list(offices(rollup, no_cache))
    title = folder.resolve().name
    report = build_rollup_weekly(title, loaded, on, workdays=workdays)
    renderer = Renderer(_format(fmt, output, template), template=template, data_dir=folder)
    deliver(renderer.render("rollup", report), output, f"{title}汇总周报（截至{chinese_date(on)}）")


command(app, "weekly")(weekly)
command(app, "unit")(unit)
command(app, "notice")(notice)
command(app, "assessment")(assessment)


# -- helpers ------------------------------------------------------------------------------------


def _format(fmt: str | None, output: Path | None, template: Path | None) -> ReportFormat:
    """--format, else the output file's extension, else the template's; an extension safecity
    cannot write is refused, and a Word document only goes into a .docx and back."""
    from safecity_cli.errors import UsageError
    from safecity_cli.reports.engine import ReportFormat, guess_format, output_format

    target = None if output is None or str(output) == "-" else output
    named = output_format(target) if target is not None else None
    if fmt is None:
        if named is ReportFormat.DOCX:
            chosen = ReportFormat.DOCX
        else:
            chosen = guess_format(None, target, template)
    else:
        try:
            chosen = ReportFormat(fmt.strip().lower())
        except ValueError:
            choices = "、".join(f.value for f in ReportFormat)
            raise UsageError(f"未知的报告格式「{fmt}」，可选：{choices}") from None
        if target is not None and (named is ReportFormat.DOCX) != (chosen is ReportFormat.DOCX):
            raise UsageError(
                f"--format {chosen.value} 与输出文件 {target} 的扩展名不符；"
                "Word 文档请用 --format docx 并写入 .docx 文件"
            )
    if (
        chosen is ReportFormat.DOCX
        and template is not None
        and guess_format(None, template) is ReportFormat.HTML
    ):
        raise UsageError(
            f"Word 文档由 Markdown 模板生成，--template 请给出 .md.j2 模板：{template}"
        )
    return chosen


def _deliver(content: str | bytes, output: Path | None, what: str) -> None:
    """As `deliver`, except that a Word document (bytes) goes to stdout only when it is
    redirected, never onto a terminal, and is written there as it is."""
    if isinstance(content, bytes) and (output is None or str(output) == "-"):
        from safecity_cli.cli.common import stdout_is_terminal, write_bytes
        from safecity_cli.errors import UsageError

        if stdout_is_terminal():
            raise UsageError(
                "Word 文档不能显示在屏幕上：请用 -o 指定文件（如 -o 周报.docx），或重定向到文件（> 周报.docx）"
            )
        write_bytes(content)
        return
    deliver(content, output, what)


def _all_task_books(
    registry: Registry,
    on: Date,
    folder: Path,
    template: Path | None,
    fmt: str | None,
    workdays: bool,
    no_cache: bool,
) -> None:
    from safecity_cli.errors import SafecityError
    from safecity_cli.files import safe_name, save_output
    from safecity_cli.reports.engine import Renderer
    from safecity_cli.reports.task_book import build_task_book, task_book_units

    chosen = _format(fmt, None, template)
    ledger = open_ledger(registry, no_cache=no_cache)
    renderer = Renderer(
        chosen,
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SafecityError(f"无法创建目录 {folder}：{exc.strerror or exc}") from None
    units = task_book_units(registry)
    written = 0
    with progress_bar("正在生成各单位任务书") as progress:
        for done, who in enumerate(units, 1):
            book = build_task_book(registry, ledger, who, on, workdays=workdays)
            if book.total or book.items:
                path = folder / f"{safe_name(who.name)}.{chosen.value}"
                save_output(path, renderer.document("unit", book))
                written += 1
            progress(done, len(units))
    note(f"已写入 {folder}：{written} 个单位的任务书")
