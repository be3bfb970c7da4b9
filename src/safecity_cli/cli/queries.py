"""Commands that answer questions: validate, list, show, overdue, due, units, schedule, stats."""

# No `from __future__ import annotations`: Typer would evaluate every annotation of the
# command from its text on each run, which costs more than building them once here.
from typing import TYPE_CHECKING, Annotated

import typer

from safecity_cli.cli.common import (
    DataOpt,
    DateOpt,
    DistrictOpt,
    FormatOpt,
    NoCacheOpt,
    TaskRefArg,
    UnitOpt,
    WorkdaysOpt,
    as_of,
    complete_status,
    district_ref,
    emit,
    note,
    open_ledger,
    open_registry,
    open_rollup,
    open_tasks,
    task_number,
    write,
)
from safecity_cli.cli.common import show as show_rich
from safecity_cli.render.formats import DetailFormat, OutputFormat

if TYPE_CHECKING:
    from datetime import date as Date

    from safecity_cli.registry.models import Registry, Unit


def validate(data: DataOpt = None) -> None:
    """检查登记册（tasks.yaml、units.yaml、schedule.yaml、criteria.yaml、进展记录、自评与整改记录）是否完整、正确。

    列出发现的全部问题，每条写明「文件:行号: 字段: 说明」；有错误时退出码为 1。
    对汇总登记册（rollup.yaml）逐个检查其中各区县的登记册。

    示例：safecity validate --data ./我的登记册
    """
    from safecity_cli.assessment.checks import check_assessment
    from safecity_cli.cache import refresh
    from safecity_cli.errors import RegistryError
    from safecity_cli.index_db import discard, index_file
    from safecity_cli.ledger.files import check_ledger, check_progress
    from safecity_cli.registry.layout import data_dir, is_rollup
    from safecity_cli.registry.load import check_registry_parts, coverage_warnings

    root = data_dir(data)
    if is_rollup(root):
        from safecity_cli.cli.rollups import validate_rollup

        return validate_rollup(root)
    registry, problems, targets, units = check_registry_parts(root)
    if registry is not None:
        from safecity_cli.scoring.notices import check_notices

        problems += check_ledger(registry)
        problems += check_assessment(registry)
        problems += check_notices(registry)
    else:  # one run reports everything: the progress files too, as far as they can be checked
        problems += check_progress(
            root,
            targets.__contains__ if targets is not None else None,
            units.__contains__ if units is not None else None,
        )
    errors = [p for p in problems if not p.warning]
    if errors or registry is None:
        raise RegistryError(problems)
    # Who can report on what is worth a word only once the files themselves are right.
    problems += coverage_warnings(registry)
    for problem in problems:
        note(str(problem))
    refresh(registry)  # what the YAML says now, whatever the cache held before
    discard(index_file(root))  # and the index is built from it anew by the next query
    groups = sum(u.is_group for u in registry.units)
    write(
        f"登记册有效：{len(registry.tasks)} 项任务、{len(registry.categories)} 个类别、"
        f"{len(registry.units)} 个责任单位（含 {groups} 个集合）、{len(registry.phases)} 个阶段、"
        f"{len(registry.items)} 项日程、{sum(len(g.tasks) for g in registry.main_tasks)} 项主要任务"
        + (f"；{len(problems)} 条警告" if problems else "")
        + "\n"
    )
    if registry.criteria is not None:
        from safecity_cli.assessment.criteria import coverage

        write(f"评价细则：{coverage(registry.criteria).text}\n")


def list_tasks(
    unit: UnitOpt = None,
    category: Annotated[
        str | None,
        typer.Option("--category", "-c", help="类别：1–7 或中文数字（如 三）", show_default=False),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            "-s",
            help="状态：未启动、推进中、已完成、已销号、延期、暂缓",
            show_default=False,
            autocompletion=complete_status,
        ),
    ] = None,
    due_before: Annotated[
        str | None, typer.Option("--due-before", help="截止日期早于此日期", show_default=False)
    ] = None,
    due_after: Annotated[
        str | None, typer.Option("--due-after", help="截止日期晚于此日期", show_default=False)
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", help="在任务内容中查找文字", show_default=False)
    ] = None,
    open_deadline: Annotated[
        bool, typer.Option("--open-deadline", help="只列无固定完成时限的任务（如 规划水平年）")
    ] = False,
    date: DateOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """列出任务，可按单位、类别、状态、截止日期、关键词筛选，条件可以组合。

    示例：safecity list --unit 区住建局 --category 3 --status 未启动
    """
    from safecity_cli.render.listings import task_listing
    from safecity_cli.tracking.query import TaskFilter, parse_category, parse_status, select_tasks

    if (rollup := open_rollup(data, district)) is not None:
        from safecity_cli.cli.rollups import list_rollup

        return list_rollup(
            rollup,
            as_of(date),
            fmt,
            no_cache,
            unit=unit,
            category=category,
            status=parse_status(status) if status is not None else None,
            due_before=as_of(due_before, "--due-before") if due_before else None,
            due_after=as_of(due_after, "--due-after") if due_after else None,
            search=search,
            open_deadline=open_deadline,
        )
    on = as_of(date)
    registry, who, ledger = open_tasks(data, no_cache=no_cache, unit=unit)
    filters = TaskFilter(
        unit=who,
        category=parse_category(registry, category) if category is not None else None,
        status=parse_status(status) if status is not None else None,
        due_before=as_of(due_before, "--due-before") if due_before else None,
        due_after=as_of(due_after, "--due-after") if due_after else None,
        search=search,
        open_deadline=open_deadline,
    )
    states = select_tasks(registry, ledger, on, filters)
    title = f"{filters.unit.name}的任务" if filters.unit else "任务清单"
    emit(task_listing(registry, states, title=title, unit=filters.unit), fmt)


def show(
    ref: TaskRefArg,
    date: DateOpt = None,
    fmt: Annotated[
        DetailFormat,
        typer.Option(
            "--format", "-f", help="输出格式：table（默认）、json、md", show_default=False
        ),
    ] = DetailFormat.TABLE,
    workdays: WorkdaysOpt = False,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """显示一项任务（或一项日程，如 S12）的全部信息：内容、类别、各责任单位及其状态、完成时限、最新进展。

    示例：safecity show 28；汇总登记册：safecity show 临潼区:28 --data ./西安市
    """
    from safecity_cli.registry.units import resolve_target
    from safecity_cli.render.detail import task_detail
    from safecity_cli.render.formats import render_json

    if (rollup := open_rollup(data, district)) is not None:
        from safecity_cli.cli.rollups import show_rollup

        return show_rollup(rollup, district_ref(ref, district), as_of(date), fmt, no_cache)
    task_id = task_number(ref)
    registry, _, ledger = open_tasks(data, no_cache=no_cache, task=task_id)
    task = resolve_target(registry, task_id)
    detail = task_detail(registry, ledger, task, as_of(date), workdays=workdays)
    if fmt is DetailFormat.JSON:
        write(render_json(detail.data))
    elif fmt is DetailFormat.TABLE:
        show_rich(detail.rich())
    else:
        write(detail.markdown())


def overdue(
    date: DateOpt = None,
    unit: UnitOpt = None,
    workdays: WorkdaysOpt = False,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """列出截至某日已过完成时限、尚未完成的任务，逾期最久的在前。

    无固定完成时限的任务不会逾期；指定 --unit 时只看该单位自己的完成情况。

    示例：safecity overdue --date 2021-01-01 --unit 住建
    """
    from safecity_cli.dates import chinese_date
    from safecity_cli.render.listings import task_listing
    from safecity_cli.tracking.query import find_overdue

    if (rollup := open_rollup(data, district)) is not None:
        from safecity_cli.cli.rollups import overdue_rollup

        return overdue_rollup(rollup, as_of(date), fmt, no_cache, unit=unit, workdays=workdays)
    on = as_of(date)
    registry, who, ledger = open_tasks(data, no_cache=no_cache, unit=unit, overdue_on=on, as_of=on)
    states = find_overdue(registry, ledger, on, who, workdays=workdays)
    title = f"截至{chinese_date(on)}逾期未完成的任务" + (f"（{who.name}）" if who else "")
    emit(
        task_listing(
            registry, states, title=title, extra="days_overdue", unit=who, workdays=workdays
        ),
        fmt,
    )
    _overdue_problems(registry, on, who, workdays)


def _overdue_problems(registry: "Registry", on: "Date", who: "Unit | None", workdays: bool) -> None:
    """整改问题 are not tasks: `overdue` names the overdue ones on stderr, `problem list` lists them."""
    from safecity_cli.assessment.paths import PROBLEMS_FILE, file_path

    if not file_path(registry.path, PROBLEMS_FILE).is_file():
        return
    from safecity_cli.assessment.problems import load_problems, problem_states

    late = [
        p
        for p in problem_states(registry, load_problems(registry.path), on, workdays=workdays)
        if p.overdue and (who is None or p.unit == who.name)
    ]
    if late:
        ids = "、".join(p.id for p in late)
        note(f"另有 {len(late)} 项整改问题逾期（{ids}），用 safecity problem list --open 查看")


def due(
    # No `min=0`: Click would refuse a negative number in English; find_due says it in Chinese.
    within: Annotated[
        int, typer.Option("--within", "-w", help="未来多少天内到期（天数，不小于 0）")
    ] = 14,
    date: DateOpt = None,
    unit: UnitOpt = None,
    workdays: WorkdaysOpt = False,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """列出未来若干天内到期、尚未完成的任务，最先到期的在前。

    示例：safecity due --within 30 --date 2020-12-01
    """
    from safecity_cli.dates import chinese_date
    from safecity_cli.render.listings import task_listing
    from safecity_cli.tracking.query import find_due

    if (rollup := open_rollup(data, district)) is not None:
        from safecity_cli.cli.rollups import due_rollup

        return due_rollup(rollup, as_of(date), within, fmt, no_cache, unit=unit, workdays=workdays)
    on = as_of(date)
    registry, who, ledger = open_tasks(
        data, no_cache=no_cache, unit=unit, due_on=on, due_within=within, as_of=on
    )
    states = find_due(registry, ledger, on, within, who, workdays=workdays)
    title = f"{chinese_date(on)}起 {within} 天内到期的任务" + (f"（{who.name}）" if who else "")
    emit(
        task_listing(registry, states, title=title, extra="days_left", unit=who, workdays=workdays),
        fmt,
    )


def units(
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", "-k", help="只列此类型的单位，如 区级部门、集合", show_default=False
        ),
    ] = None,
    date: DateOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """列出全部责任单位：类型、别名、成员，以及任务数、未完成数、逾期数和催办次数。

    催办：截至该日期收到的督办通知单份数（含发给其所属集合单位的，见 safecity notices）。

    示例：safecity units --kind 驻区/分局
    """
    from safecity_cli.render.listings import unit_listing
    from safecity_cli.tracking.query import summarize_units

    if (rollup := open_rollup(data, district)) is not None:
        from safecity_cli.cli.rollups import units_rollup

        return units_rollup(rollup, as_of(date), fmt, no_cache, kind=kind)
    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    from safecity_cli.scoring.notices import load_notices, received_by

    summaries = summarize_units(registry, open_ledger(registry, no_cache=no_cache), on, kind)
    book = load_notices(registry.path).as_of(on)
    reminders = {s.unit.name: len(received_by(registry, book, s.unit)) for s in summaries}
    emit(unit_listing(summaries, on, registry, reminders), fmt)


def schedule(
    date: DateOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """显示创建工作的五个阶段（标出当前阶段及剩余天数）和日程安排表各项的状态。

    示例：safecity schedule --date 2021-03-15
    """
    from safecity_cli.render.listings import schedule_listing
    from safecity_cli.tracking.query import schedule_states

    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    ledger = open_ledger(registry, no_cache=no_cache)
    emit(schedule_listing(registry, schedule_states(registry, on, ledger=ledger), on), fmt)


def stats(
    date: DateOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
    district: DistrictOpt = None,
) -> None:
    """按类别、状态、责任单位和截止月份统计任务数。

    示例：safecity stats --date 2021-05-01 --format md
    """
    from safecity_cli.render.listings import stats_listing
    from safecity_cli.tracking.query import compute_stats

    if (rollup := open_rollup(data, district)) is not None:
        from safecity_cli.cli.rollups import stats_rollup

        return stats_rollup(rollup, as_of(date), fmt, no_cache)
    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    emit(
        stats_listing(compute_stats(registry, open_ledger(registry, no_cache=no_cache), on), on),
        fmt,
    )
