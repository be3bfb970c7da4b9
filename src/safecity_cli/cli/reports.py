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
    from collections.abc import Callable, Iterator
    from datetime import date as Date

    from safecity_cli.registry.models import Registry
    from safecity_cli.reports.engine import ReportFormat
    from safecity_cli.reports.notice import Notice
    from safecity_cli.reports.task_book import TaskBook
    from safecity_cli.scoring.notices import NoticeBook

app = new_app(
    "生成报告：创建工作周报、月报、季报、阶段小结、通报、单位任务书、督办通知单、自评报告"
    "（Markdown、可打印的 HTML 或 Word 文档）。\n\n"
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


LimitOpt = Annotated[
    int,
    typer.Option(
        "--limit",
        min=0,
        help="督办事项中每个单位最多列出的任务数（默认 10；超出的写「另有 N 项」并列入附件；0 为不限）",
        show_default=False,
        metavar="N",
    ),
]


def weekly(
    date: DateOpt = None,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    workdays: WorkdaysOpt = False,
    limit: LimitOpt = 10,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """生成创建工作周报：该日期所在的一周（周一至周日），数据截至该日期。

    内容：期数与本周日期，当前阶段及剩余天数，本周和下周到期的日程，总体及分类完成情况（含进度图），本周报送的进展、新完成和新增逾期的任务，按单位分列的督办事项（三色督办）及逾期未回复的督办通知单，14 天内到期的任务，各单位完成率排名，较上周（新完成、新增逾期、报送进展和得分的增减）。

    督办事项中，同一任务有两个以上成员单位逾期的集合单位（如各街办）只列一次并注明成员数；每个单位最多列 --limit 项，其余列入文末附件。

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
    from safecity_cli.scoring.notices import load_notices

    ledger = open_ledger(registry, no_cache=no_cache)
    report = build_weekly(
        registry,
        ledger,
        on,
        workdays=workdays,
        notices=load_notices(registry.path),
        limit=limit,
    )
    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
        tasks=len(registry.tasks),
    )
    deliver(renderer.document("weekly", report), output, f"{issue_number(report.issue)}周报")


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
    book = _with_reminders(
        registry, build_task_book(registry, ledger, who, on, workdays=workdays)
    )
    from safecity_cli.reports.engine import Renderer

    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
        tasks=len(registry.tasks),
    )
    deliver(renderer.document("unit", book), output, f"{who.name}任务书")


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

    通知单同时登记在登记册的 notices/notices.yaml 中，编号为 督办〔年份〕N号；同一通知单再次生成时沿用原编号。单位用 safecity reply 回复，safecity notices 查看回复情况。

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
    report = _record_notice(registry, report)
    from safecity_cli.reports.engine import Renderer

    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
        tasks=len(registry.tasks),
    )
    deliver(renderer.document("notice", report), output, f"{who.name}督办通知单")


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
        tasks=len(registry.tasks),
    )
    deliver(renderer.document("assessment", report), output, f"{chosen}报告")


def _periodic(
    kind: str,
    date: str | None,
    output: Path | None,
    template: Path | None,
    fmt: str | None,
    workdays: bool,
    limit: int,
    data: Path | None,
    no_cache: bool,
) -> None:
    from safecity_cli.reports.engine import Renderer
    from safecity_cli.reports.periodic import build_periodic
    from safecity_cli.scoring.notices import load_notices

    registry = open_registry(data, no_cache=no_cache)
    ledger = open_ledger(registry, no_cache=no_cache)
    report = build_periodic(
        registry,
        ledger,
        kind,
        as_of(date),
        notices=load_notices(registry.path),
        workdays=workdays,
        limit=limit,
    )
    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
        tasks=len(registry.tasks),
    )
    deliver(renderer.document("periodic", report), output, f"{report.name}{report.title}")


def monthly(
    date: DateOpt = None,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    workdays: WorkdaysOpt = False,
    limit: LimitOpt = 10,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """生成创建工作月报：该日期所在的自然月，数据截至该日期，与上月对比。

    内容：总体及分类完成情况；较上期（本月与上月的新完成、新增逾期、报送进展，按单位分列，及得分增减）；本月新完成和新增逾期的任务；考核得分和名次变化；本月发出的督办通知单、逾期未回复的通知单和各单位督办事项（每个单位最多 --limit 项，其余见附件）。

    示例：safecity report monthly --date 2021-03-31 --output 三月月报.md
    """
    _periodic("monthly", date, output, template, fmt, workdays, limit, data, no_cache)


def quarterly(
    date: DateOpt = None,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    workdays: WorkdaysOpt = False,
    limit: LimitOpt = 10,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """生成创建工作季报：该日期所在的季度，数据截至该日期，与上季度对比（内容同月报）。

    示例：safecity report quarterly --date 2021-03-31 --output 一季度季报.html
    """
    _periodic("quarterly", date, output, template, fmt, workdays, limit, data, no_cache)


def phase(
    date: DateOpt = None,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    workdays: WorkdaysOpt = False,
    limit: LimitOpt = 10,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """生成阶段小结：该日期所在的创建阶段（schedule.yaml 中有起止日期的阶段），与上一阶段对比（内容同月报）。

    该日期不在任何有起止日期的阶段内时，说明各阶段的日期，不生成报告。

    示例：safecity report phase --date 2021-05-31 --output 组织实施阶段小结.md
    """
    _periodic("phase", date, output, template, fmt, workdays, limit, data, no_cache)


def circular(
    first: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="通报期间的开始日期（默认为 --to 所在月的 1 日）",
            show_default=False,
            metavar="DATE",
        ),
    ] = None,
    last: Annotated[
        str | None,
        typer.Option(
            "--to", help="通报期间的结束日期，数据截至当天（默认今天）", show_default=False,
            metavar="DATE",
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option("--top", min=0, help="红榜、黄榜各列出的单位数（默认 5；0 为不限）",
                     show_default=False, metavar="N"),
    ] = 5,
    output: OutputOpt = None,
    template: TemplateOpt = None,
    fmt: ReportFormatOpt = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """生成通报（供联席会议）：按考核细则计算的各单位得分排名，红榜、黄榜，以及与上次通报期间相比的名次变化。

    红榜：得分高于基础分且本期有按时完成任务的单位（得分从高到低）；黄榜：得分低于基础分的单位（从低到高）。上次通报期间：通报期间为整月时是之前同样多的整月，否则为之前同样长的天数。

    示例：safecity report circular --from 2021-03-01 --to 2021-03-31 -o 三月通报.html
    """
    from safecity_cli.reports.engine import Renderer
    from safecity_cli.reports.periodic import build_circular
    from safecity_cli.scoring.compute import Period
    from safecity_cli.scoring.notices import load_notices

    registry = open_registry(data, no_cache=no_cache)
    end = as_of(last, "--to")
    start = as_of(first, "--from") if first is not None else end.replace(day=1)
    ledger = open_ledger(registry, no_cache=no_cache)
    report = build_circular(
        registry,
        ledger,
        load_notices(registry.path),
        Period(start, end),
        top=top,
    )
    renderer = Renderer(
        _format(fmt, output, template),
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
        tasks=len(registry.tasks),
    )
    deliver(renderer.document("circular", report), output, "通报")


command(app, "weekly")(weekly)
command(app, "monthly")(monthly)
command(app, "quarterly")(quarterly)
command(app, "phase")(phase)
command(app, "circular")(circular)
command(app, "unit")(unit)
command(app, "notice")(notice)
command(app, "assessment")(assessment)


# -- helpers ------------------------------------------------------------------------------------


def _with_reminders(registry: Registry, book: TaskBook, notices: NoticeBook | None = None) -> TaskBook:
    """The task book with the unit's 催办 count: notices received up to its date, and open ones."""
    from dataclasses import replace

    from safecity_cli.scoring.notices import (
        answered_by,
        load_notices,
        received_by,
    )

    all_notices = (notices if notices is not None else load_notices(registry.path)).as_of(book.on)
    received = received_by(registry, all_notices, book.unit)
    mine = [book.unit.name] if not book.unit.members else []
    open_ = [
        n for n in received
        if any(answered_by(registry, all_notices, n, p, book.on) is None
               for p in (mine or [n.unit]))
    ]
    return replace(book, reminders=len(received), reminders_open=len(open_))


def _record_notice(registry: Registry, report: Notice) -> Notice:
    """The notice numbered and recorded in DATA/notices/ (the same one again keeps its number)."""
    from dataclasses import replace

    from safecity_cli.cli.clock import recorded_now
    from safecity_cli.dates import chinese_date
    from safecity_cli.scoring.notices import issue, load_notices, received_by

    if registry.embedded:
        note("内置登记册是只读的：本通知单未登记编号，也不会计入回复跟踪（请用 --data 指定登记册）")
        return report
    tasks = tuple(sorted(r.id for r in report.rows))
    issued, new = issue(
        registry.path, report.unit.name, report.on, report.reply_by, tasks, recorded_now()
    )
    before = [n for n in received_by(registry, load_notices(registry.path), report.unit)
              if (n.date, n.number) < (issued.date, issued.number)]
    note(f"{'已登记' if new else '此前已登记'}：{issued.id}，回复期限{chinese_date(issued.reply_by)}")
    return replace(report, number=issued.id, received=len(before))


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
    tasks = sum(len(office.registry.tasks) for office in loaded)
    renderer = Renderer(
        _format(fmt, output, template), template=template, data_dir=folder, tasks=tasks
    )
    deliver(renderer.document("rollup", report), output, f"{title}汇总周报（截至{chinese_date(on)}）")


command(app, "weekly")(weekly)
command(app, "unit")(unit)
command(app, "notice")(notice)
command(app, "assessment")(assessment)




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
    from safecity_cli.files import safe_name, save_outputs
    from safecity_cli.reports.engine import Renderer
    from safecity_cli.reports.task_book import TaskBooks, task_book_units

    chosen = _format(fmt, None, template)
    from safecity_cli.scoring.notices import load_notices

    ledger, notices = open_ledger(registry, no_cache=no_cache), load_notices(registry.path)
    renderer = Renderer(
        chosen,
        template=template,
        data_dir=registry.path,
        recorded_through=recorded_through(ledger, registry),
        tasks=len(registry.tasks),
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SafecityError(f"无法创建目录 {folder}：{exc.strerror or exc}") from None
    units = task_book_units(registry)
    books = TaskBooks(registry, ledger, on, workdays=workdays)

    def documents(progress: Callable[[int, int], None]) -> Iterator[tuple[Path, str | bytes]]:
        for done, who in enumerate(units, 1):
            book = _with_reminders(registry, books.book(who), notices)
            if book.total or book.items:
                path = folder / f"{safe_name(who.name)}.{chosen.value}"
                yield path, renderer.document("unit", book)
            progress(done, len(units))

    from safecity_cli.cache import gc_paused

    # Each book's rows and states are freed as it is written (no cycles among them), while
    # the rows the books share pile up: collecting would walk those again and again.
    with progress_bar("正在生成各单位任务书") as progress, gc_paused():
        written = save_outputs(documents(progress))
    note(f"已写入 {folder}：{written} 个单位的任务书")
