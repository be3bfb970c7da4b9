"""Commands that carry the ledger out of and back into safecity: export xlsx/ics/json/csv, import xlsx."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from safecity_cli.cli import clock
from safecity_cli.cli.common import (
    DataOpt,
    DateOpt,
    DistrictOpt,
    NoCacheOpt,
    UnitOpt,
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
    save,
    show,
)

if TYPE_CHECKING:
    from datetime import date as Date

    from safecity_cli.ledger.entries import Ledger
    from safecity_cli.registry.models import Registry, Unit
    from safecity_cli.render.formats import Listing, OutputFormat

export_app = new_app(
    "导出任务台账：Excel 工作台账和单位填报表、日历文件（.ics）、JSON 和 CSV。\n\n"
    "示例：safecity export xlsx --date 2021-03-01；"
    "safecity export xlsx --fillable --unit 区住建局；safecity export ics -o 任务日历.ics",
)
import_app = new_app(
    "导入各单位填回的 Excel 填报表，经与 update 相同的检查后记入进展台账。\n\n"
    "示例：safecity import xlsx 进展填报_区住建局_2021-03-01.xlsx --dry-run",
)

OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="输出文件（默认见命令说明）",
        show_default=False,
        metavar="FILE",
    ),
]
DumpOutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="输出文件（默认输出到屏幕，- 也表示屏幕）",
        show_default=False,
        metavar="FILE",
    ),
]


# -- export ---------------------------------------------------------------------------------------


def _target(output: Path | None, default: str, *, binary: bool = False) -> Path:
    """Where a file goes: -o as given, the default name inside a folder -o names, or here."""
    if output is None:
        return Path(default)
    if str(output) == "-" and binary:
        from safecity_cli.errors import UsageError

        raise UsageError("Excel 工作簿不能输出到屏幕，请用 -o 指定文件名")
    return output / default if output.is_dir() else output


def export_xlsx(
    date: DateOpt = None,
    unit: UnitOpt = None,
    fillable: Annotated[
        bool,
        typer.Option(
            "--fillable",
            help="生成单位填报表（下拉选择状态、锁定不可修改的内容），供单位填写后用 import xlsx 导入",
        ),
    ] = False,
    assessment: Annotated[
        bool,
        typer.Option(
            "--assessment",
            help="导出自评表（评价细则逐项自评、分项小计、整改问题三个工作表），与 report assessment 的列相同",
        ),
    ] = False,
    round_: Annotated[
        str | None,
        typer.Option(
            "--round",
            "-r",
            help="与 --assessment 一起使用：自评轮次 1、2、正式",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """导出 Excel 工作台账（任务台账、单位汇总、日程安排三个工作表），状态按 --date 计算。

    加 --assessment 导出自评表，写入「自评表_轮次_日期.xlsx」。
    对汇总登记册（rollup.yaml）：一个「区县汇总」工作表，加每个区县一个任务台账工作表。

    默认写入当前目录的「工作台账_日期.xlsx」（-o 为目录时写入该目录）；指定 --unit 时只含该单位的任务。

    加 --fillable 生成单位填报表：--unit 指定单位时写入「进展填报_单位_日期.xlsx」；
    不指定 --unit 时为每个有任务的单位各生成一份，写入目录「进展填报_日期」（或 -o 指定的目录）。

    示例：safecity export xlsx --date 2021-03-01 -o 三月台账.xlsx；
    safecity export xlsx --fillable --unit 区住建局；safecity export xlsx --assessment --round 1
    """
    from safecity_cli.exchange.dumps import default_name
    from safecity_cli.exchange.ledger_book import build_ledger_workbook
    from safecity_cli.exchange.xlsx_style import workbook_bytes

    if (rollup := open_rollup(data, district)) is not None:
        if fillable or unit is not None:
            from safecity_cli.errors import UsageError

            raise UsageError(
                "汇总登记册的台账不分单位：--fillable 和 --unit 请用于区县自己的登记册"
            )
        return _export_rollup(rollup, as_of(date), output, no_cache)
    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    who = find_unit(registry, unit)
    ledger = open_ledger(registry, no_cache=no_cache)
    created = clock.now().astimezone(timezone.utc).replace(tzinfo=None)
    if assessment:
        if fillable or who is not None:
            from safecity_cli.errors import UsageError

            raise UsageError("--assessment 不能与 --fillable 或 --unit 一起使用")
        _export_assessment(registry, ledger, on, round_, output, created)
        return
    if round_ is not None:
        from safecity_cli.errors import UsageError

        raise UsageError("--round 只能与 --assessment 一起使用")
    if fillable:
        _export_fillable(registry, ledger, on, who, output, created)
        return
    path = _target(output, default_name("工作台账", on, who, ".xlsx"), binary=True)
    with progress_bar("正在生成工作台账") as progress:
        book = build_ledger_workbook(registry, ledger, on, who, created=created, progress=progress)
        content = workbook_bytes(book.workbook)
    save(
        path,
        content,
        f"任务台账共 {book.tasks} 项任务（逾期 {book.overdue} 项），"
        f"单位汇总 {book.units} 个单位，日程安排 {book.phases} 个阶段、{book.items} 项日程",
    )


def _export_assessment(
    registry: Registry,
    ledger: Ledger,
    on: Date,
    round_: str | None,
    output: Path | None,
    created: datetime,
) -> None:
    from safecity_cli.assessment.findings import current_round, load_findings, parse_round
    from safecity_cli.assessment.report import build_assessment
    from safecity_cli.assessment.workbook import build_assessment_workbook
    from safecity_cli.exchange.xlsx_style import workbook_bytes

    findings = load_findings(registry.path)
    chosen = parse_round(round_) if round_ else current_round(findings)
    report = build_assessment(registry, ledger, chosen, on, findings)
    path = _target(output, f"自评表_{chosen}_{on.isoformat()}.xlsx", binary=True)
    content = workbook_bytes(build_assessment_workbook(report, created=created))
    save(path, content, f"{chosen}表，{report.coverage.text}；整改问题 {len(report.problems)} 项")


def _export_rollup(
    rollup: tuple[Path, list[Any]], on: Date, output: Path | None, no_cache: bool
) -> None:
    from safecity_cli.cli.rollups import offices
    from safecity_cli.exchange.dumps import default_name
    from safecity_cli.exchange.ledger_book import build_rollup_workbook
    from safecity_cli.exchange.xlsx_style import workbook_bytes

    title = rollup[0].resolve().name
    path = _target(output, default_name(f"{title}工作台账", on, None, ".xlsx"), binary=True)
    loaded = list(offices(rollup, no_cache))
    created = clock.now().astimezone(timezone.utc).replace(tzinfo=None)
    with progress_bar("正在生成汇总台账") as progress:
        book = build_rollup_workbook(title, loaded, on, created=created, progress=progress)
        content = workbook_bytes(book.workbook)
    save(
        path,
        content,
        f"区县汇总 {book.districts} 个区县，共 {book.tasks} 项任务（逾期 {book.overdue} 项），"
        "每个区县一个任务台账工作表",
    )


def _export_fillable(
    registry: Registry,
    ledger: Ledger,
    on: Date,
    who: Unit | None,
    output: Path | None,
    created: datetime,
) -> None:
    from safecity_cli.exchange.dumps import default_name
    from safecity_cli.exchange.fillable import build_fillable_workbook, reporting_units
    from safecity_cli.exchange.xlsx_style import workbook_bytes
    from safecity_cli.files import save_output

    if who is not None:
        book = build_fillable_workbook(registry, ledger, on, who, created=created)
        path = _target(output, default_name("进展填报", on, who, ".xlsx"), binary=True)
        save(path, workbook_bytes(book.workbook), f"{who.name}的填报表，共 {book.tasks} 项任务")
        return
    folder = output or Path(default_name("进展填报", on, None, ""))
    if folder.exists() and not folder.is_dir():
        from safecity_cli.errors import UsageError

        raise UsageError(f"不指定 --unit 时 -o 应为目录（将为每个单位各写一份填报表）：{folder}")
    folder.mkdir(exist_ok=True)
    units = reporting_units(registry)
    tasks = 0
    with progress_bar("正在生成各单位填报表") as progress:
        for done, member in enumerate(units):
            progress(done, len(units))
            book = build_fillable_workbook(registry, ledger, on, member, created=created)
            save_output(
                folder / default_name("进展填报", on, member, ".xlsx"),
                workbook_bytes(book.workbook),
            )
            tasks += book.tasks
        progress(len(units), len(units))
    note(f"已写入 {len(units)} 份填报表到 {folder}（共 {tasks} 项任务）")


def export_ics(
    date: DateOpt = None,
    unit: UnitOpt = None,
    remind: Annotated[
        int,
        typer.Option(
            "--remind",
            help="截止日前几天提醒（当天上午 9 点）；0 表示不设提醒",
            metavar="DAYS",
        ),
    ] = 3,
    output: OutputOpt = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """导出日历文件（.ics）：每项有明确时限的任务和日程安排为截止当天的全天事件。

    事件写明任务内容、责任单位、原文完成时限和截至 --date 的状态；「每季度」等周期性任务为重复事件。
    尚未完成的任务和尚未到期的日程在截止日前 --remind 天（默认 3 天）上午 9 点提醒。
    每个事件的标识固定，重新导入日历时更新原有事件而不会重复。
    默认写入当前目录的「任务日历.ics」（指定 --unit 时为「任务日历_单位.ics」）；-o - 输出到屏幕。

    示例：safecity export ics --unit 区住建局 --remind 5 -o 住建局任务.ics
    """
    from safecity_cli.errors import UsageError
    from safecity_cli.exchange.dumps import default_name
    from safecity_cli.exchange.ics import MAX_REMIND_DAYS, build_calendar

    if not 0 <= remind <= MAX_REMIND_DAYS:
        raise UsageError(
            f"--remind 应为 0 到 {MAX_REMIND_DAYS} 之间的天数（0 表示不设提醒），而不是 {remind}"
        )
    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    who = find_unit(registry, unit)
    feed = build_calendar(
        registry,
        open_ledger(registry, no_cache=no_cache),
        on,
        who,
        stamp=clock.now().astimezone(timezone.utc),
        remind=remind,
    )
    skipped = f"；{feed.undated} 项无具体日期，未列入" if feed.undated else ""
    what = f"共 {feed.tasks} 项任务、{feed.items} 项日程{skipped}"
    if output is not None and str(output) == "-":
        deliver(feed.data, output, what)
        return
    save(_target(output, default_name("任务日历", None, who, ".ics")), feed.data, what)


def _dump(
    fmt: OutputFormat,
    date: str | None,
    unit: str | None,
    output: Path | None,
    data: Path | None,
    no_cache: bool,
) -> None:
    from safecity_cli.exchange.dumps import default_name, dump_tasks

    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    dump = dump_tasks(
        registry, open_ledger(registry, no_cache=no_cache), on, fmt, find_unit(registry, unit)
    )
    if output is None or str(output) == "-":
        deliver(dump.text, output, "")
        return
    path = _target(output, default_name("任务清单", on, None, f".{fmt.value}"))
    save(path, dump.text.encode("utf-8"), f"共 {dump.tasks} 项任务")


def export_json(
    date: DateOpt = None,
    unit: UnitOpt = None,
    output: DumpOutputOpt = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """导出全部任务及截至 --date 的状态（JSON，与 list --format json 的字段相同），供其他程序使用。

    示例：safecity export json --date 2021-03-01 -o tasks.json
    """
    from safecity_cli.render.formats import OutputFormat

    _dump(OutputFormat.JSON, date, unit, output, data, no_cache)


def export_csv(
    date: DateOpt = None,
    unit: UnitOpt = None,
    output: DumpOutputOpt = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """导出全部任务及截至 --date 的状态（CSV，与 list --format csv 的列相同，Excel 可直接打开）。

    示例：safecity export csv -o 任务清单.csv
    """
    from safecity_cli.render.formats import OutputFormat

    _dump(OutputFormat.CSV, date, unit, output, data, no_cache)


def export_bundle(
    output: OutputOpt = None,
    unit: UnitOpt = None,
    item: Annotated[
        str | None,
        typer.Option("--item", help="只含此三级项的材料，如 4 或 (4)", show_default=False),
    ] = None,
    task: Annotated[
        int | None, typer.Option("--task", help="只含此任务的材料", show_default=False)
    ] = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """打包复核材料（.zip）：每个一级项/三级项一个文件夹（未对应三级项的任务每项一个文件夹），

    内含扣分记录、整改问题存入档案的材料和进展记录引用的本地文件，以及目录（目录.md、目录.xlsx、目录.json），
    逐份写明对应的任务或三级项、单位、日期和 SHA-256。默认写入「复核材料.zip」。

    示例：safecity export bundle -o 复核材料.zip --data ./台账；safecity export bundle --item 4 -o 三级项4.zip
    """
    from safecity_cli.assessment.bundle import build_bundle
    from safecity_cli.assessment.criteria import resolve_item
    from safecity_cli.errors import UsageError

    registry = open_registry(data, no_cache=no_cache)
    who = find_unit(registry, unit)
    chosen = resolve_item(registry, item) if item is not None else None
    if task is not None and registry.task(task) is None:
        raise UsageError(f"没有序号为 {task} 的任务（共 {len(registry.tasks)} 项）")
    bundle = build_bundle(
        registry, open_ledger(registry, no_cache=no_cache), unit=who, item=chosen, task=task
    )
    for line in bundle.missing:
        note(f"注意：{line}，未打包（用 safecity evidence check 检查）")
    if not bundle.files:
        note("没有符合条件的佐证材料，未生成材料包")
        return
    path = _target(output, "复核材料.zip", binary=True)
    title = f"{registry.program.name}复核材料目录"
    files = len(bundle.files)
    save(path, bundle.zip_bytes(title), f"{files} 份材料及目录（目录.md、目录.xlsx、目录.json）")


# -- import ---------------------------------------------------------------------------------------


def import_xlsx(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...", help="单位填回的填报表（.xlsx），可一次导入多份", show_default=False
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="只检查并列出将记录的进展，不写入")
    ] = False,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """把单位填回的填报表记入进展台账，检查与 update 相同。

    只导入选择了「填报状态」的行；报送日期留空时按下发日期记录；佐证材料的相对路径按填报表所在文件夹解析。
    任何一行有问题（任务不存在、不是该单位的任务、状态或日期无效等），逐行列出「工作表 X 第 N 行」
    并且整批不写入任何内容。与台账中已有记录相同的行自动跳过，同一份表重复导入不会重复记录。

    示例：safecity import xlsx 进展填报_区住建局_2021-03-01.xlsx --dry-run --data ./登记册
    """
    from safecity_cli.cli.clock import recorded_now
    from safecity_cli.exchange.importing import (
        ImportPlan,
        import_listing,
        plan_import,
        read_returned,
    )
    from safecity_cli.ledger.entries import Entry
    from safecity_cli.tracking.recording import ensure_writable, record

    registry = open_registry(data, no_cache=no_cache)
    if not dry_run:
        ensure_writable(registry)
    day = clock.today()
    returned = [read_returned(path, registry, today=day) for path in files]
    plans: list[ImportPlan] = []

    def check(ledger: Ledger) -> tuple[Entry, ...]:
        # Under the lock when recording: duplicates are judged against the ledger as it is
        # at the moment of writing, so two imports of one sheet at once record it once.
        plans.append(plan_import(registry, ledger, returned, today=day, recorded_at=recorded_now()))
        return plans[-1].entries

    if dry_run:
        check(open_ledger(registry, no_cache=no_cache))
    else:
        record(registry, check)
    plan = plans[-1]
    skipped = f"，{plan.duplicates} 行与台账中已有记录相同，已跳过" if plan.duplicates else ""
    units = "、".join(plan.units)
    if not plan.entries:
        note(f"没有需要记录的新进展（{units}：填报 {plan.filled} 行{skipped}）")
        return
    if dry_run:
        _print_table(import_listing(plan.entries, "将记录的进展（试运行，未写入）"))
        note(f"试运行：将为 {units} 记录 {len(plan.entries)} 条进展{skipped}；未写入任何内容")
        return
    _print_table(import_listing(plan.entries, "已记录的进展"))
    note(f"已为 {units} 记录 {len(plan.entries)} 条进展{skipped}")


def _print_table(listing: Listing) -> None:
    from safecity_cli.cli.common import tables_wanted

    if not tables_wanted():
        from safecity_cli.cli.common import write
        from safecity_cli.render.formats import render_tsv

        write(render_tsv(listing))
        return
    from safecity_cli.render.formats import rich_table

    show(rich_table(listing))


command(export_app, "xlsx")(export_xlsx)
command(export_app, "ics")(export_ics)
command(export_app, "json")(export_json)
command(export_app, "csv")(export_csv)
command(export_app, "bundle")(export_bundle)
command(import_app, "xlsx")(import_xlsx)
