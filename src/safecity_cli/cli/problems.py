"""`safecity problem`: 整改问题 found in 自评, 复核, 督查 or 暗访 — registered, reported on, closed."""

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
    WorkdaysOpt,
    as_of,
    command,
    emit,
    find_unit,
    new_app,
    note,
    open_registry,
)
from safecity_cli.render.formats import OutputFormat

app = new_app(
    "整改问题：登记自评、复核、督查、暗访发现的问题（编号 Z1、Z2…），报送整改进展，销号；"
    "逾期和三色督办与任务相同。\n\n"
    '示例：safecity problem add "消火栓缺失 3 处" --unit 区住建局 --deadline 2021-05-31 --source 自评 --item 4；'
    "safecity problem list --open",
)

ProblemId = Annotated[str, typer.Argument(metavar="ID", help="整改问题编号，如 Z3")]
DayOpt = Annotated[
    str | None,
    typer.Option(
        "--date", help="日期（默认今天），不能晚于今天", show_default=False, metavar="DATE"
    ),
]


def add(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="问题内容")],
    unit: UnitOpt = None,
    deadline: Annotated[
        str | None,
        typer.Option("--deadline", help="整改时限（日期）", show_default=False, metavar="DATE"),
    ] = None,
    source: Annotated[
        str, typer.Option("--source", help="问题来源：自评、复核、督查、暗访")
    ] = "自评",
    item: Annotated[
        str | None,
        typer.Option("--item", help="对应的评价细则三级项，如 4 或 (4)", show_default=False),
    ] = None,
    task: Annotated[
        int | None, typer.Option("--task", help="对应的任务序号", show_default=False)
    ] = None,
    date: DayOpt = None,
    by: Annotated[str, typer.Option("--by", help="登记人")] = "",
    data: DataOpt = None,
) -> None:
    """登记一项整改问题，编号依次为 Z1、Z2…（追加写入 登记册/assessment/problems.yaml）。

    示例：safecity problem add "市政消火栓完好率未达 100%" --unit 区住建局 --deadline 2021-05-31 --source 自评 --item 4 --task 10 --data ./台账
    """
    from safecity_cli.assessment.problems import add_problem
    from safecity_cli.cli.clock import recorded_now

    registry = open_registry(data, no_cache=True)
    new_id = add_problem(
        registry,
        text,
        unit=unit,
        deadline=as_of(deadline, "--deadline") if deadline else None,
        source=source.strip(),
        item=item,
        task=task,
        on=as_of(date),
        today=clock.today(),
        recorded_at=recorded_now(),
        by=by,
    )
    note(f"已登记整改问题 {new_id}")


def list_problems(
    open_only: Annotated[bool, typer.Option("--open", help="只列未销号、未完成的问题")] = False,
    unit: UnitOpt = None,
    date: DateOpt = None,
    workdays: WorkdaysOpt = False,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """列出整改问题：来源、对应的三级项和任务、责任单位、整改时限、状态、逾期天数和督办等级。

    示例：safecity problem list --open --unit 区住建局 --date 2021-06-15
    """
    from safecity_cli.assessment.listings import problem_listing
    from safecity_cli.assessment.problems import load_problems, problem_states
    from safecity_cli.dates import chinese_date

    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    who = find_unit(registry, unit)
    states = problem_states(registry, load_problems(registry.path), on, workdays=workdays)
    if open_only:
        states = [s for s in states if not s.complete]
    if who is not None:
        states = [s for s in states if s.unit == who.name]
    title = f"截至{chinese_date(on)}的整改问题" + (f"（{who.name}）" if who else "")
    emit(problem_listing(states, title), fmt)


def update(
    problem_id: ProblemId,
    unit: Annotated[str, typer.Option("--unit", "-u", help="报送单位（问题的责任单位）")],
    status: Annotated[
        str, typer.Option("--status", "-s", help="状态：未启动、推进中、已完成、延期、暂缓")
    ],
    note_text: Annotated[str, typer.Option("--note", "-n", help="整改进展说明")] = "",
    new_deadline: Annotated[
        str | None,
        typer.Option(
            "--new-deadline",
            help="状态为「延期」时调整后的整改时限",
            show_default=False,
            metavar="DATE",
        ),
    ] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence", "-e", help="佐证材料文件，复制进材料档案，可重复", show_default=False
        ),
    ] = None,
    evidence_link: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence-link", help="只记录路径或网址的佐证材料，可重复", show_default=False
        ),
    ] = None,
    date: DayOpt = None,
    by: Annotated[str, typer.Option("--by", help="报送人")] = "",
    data: DataOpt = None,
) -> None:
    """报送一项整改问题的进展（追加一条记录）。

    示例：safecity problem update Z1 -u 区住建局 -s 已完成 --note "已补齐 3 处消火栓" -e 验收单.pdf --data ./台账
    """
    from safecity_cli.assessment.problems import report_problem
    from safecity_cli.cli.clock import recorded_now

    registry = open_registry(data, no_cache=True)
    state = report_problem(
        registry,
        problem_id,
        unit=unit,
        status=status,
        note=note_text,
        on=as_of(date),
        today=clock.today(),
        recorded_at=recorded_now(),
        new_deadline=as_of(new_deadline, "--new-deadline") if new_deadline else None,
        evidence=tuple(evidence or ()),
        links=tuple(evidence_link or ()),
        base=Path.cwd(),
        by=by,
    )
    note(f"已记录：整改问题 {state.id} {state.unit} {state.status}")


def close(
    problem_id: ProblemId,
    note_text: Annotated[str, typer.Option("--note", "-n", help="销号说明")] = "",
    date: DayOpt = None,
    by: Annotated[str, typer.Option("--by", help="经办人")] = "",
    data: DataOpt = None,
) -> None:
    """创建办对整改问题销号：责任单位报告「已完成」后才可销号。

    示例：safecity problem close Z1 --note "经复查已整改到位" --data ./台账
    """
    from safecity_cli.assessment.problems import close_problem
    from safecity_cli.cli.clock import recorded_now

    registry = open_registry(data, no_cache=True)
    state = close_problem(
        registry,
        problem_id,
        note=note_text,
        on=as_of(date),
        today=clock.today(),
        recorded_at=recorded_now(),
        by=by,
    )
    note(f"已销号：整改问题 {state.id}")


command(app, "add")(add)
command(app, "list")(list_problems)
command(app, "update")(update)
command(app, "close")(close)
