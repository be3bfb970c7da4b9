"""Commands that record progress: init, update, close, history, undo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safecity_cli.cli import clock
from safecity_cli.cli.common import (
    DataOpt,
    DateOpt,
    DistrictOpt,
    FormatOpt,
    TaskRefArg,
    UnitOpt,
    as_of,
    complete_task,
    district_ref,
    emit,
    note,
    open_ledger,
    open_registry,
    open_rollup,
    open_tasks,
    task_number,
)
from safecity_cli.dates import chinese_date
from safecity_cli.errors import ExitCode
from safecity_cli.ledger.entries import Kind
from safecity_cli.registry.units import target_label
from safecity_cli.render.formats import OutputFormat

if TYPE_CHECKING:
    from safecity_cli.assessment.store import Stored
    from safecity_cli.ledger.entries import Entry, Ledger
    from safecity_cli.registry.models import Registry


BY_HELP = (
    "{}（默认：环境变量 SAFECITY_USER，否则 schedule.yaml 中 program 的 operator，"
    "登记册在 git 仓库中时再为 git config user.name）"
)


def _is_problem(ref: str) -> bool:
    """Z3: a 整改问题, which `update` and `close` hand to `problem update` / `problem close`."""
    text = ref.strip()
    return text[:1] in ("Z", "z") and text[1:].isdigit()


def init(
    directory: Annotated[
        Path, typer.Argument(metavar="目录", help="新登记册的目录（不能已有登记册）")
    ],
) -> None:
    """复制内置登记册到指定目录，作为自己的工作登记册（用于修改和记录进展）。

    之后的命令用 --data 目录（或环境变量 SAFECITY_DATA）指向它。

    示例：safecity init ./临潼创建台账
    """
    from safecity_cli.registry.workspace import init_registry

    copied = init_registry(directory)
    note(f"已在 {directory} 建立登记册（{len(copied)} 个文件）。")
    note(f"记录进展示例：safecity update 27 --unit 区住建局 --status 推进中 --data {directory}")


def update(
    task_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="任务序号（如 27）、日程序号 S1…S20（如 S12）或整改问题编号（如 Z3）",
            autocompletion=complete_task,
        ),
    ],
    unit: Annotated[str, typer.Option("--unit", "-u", help="报送单位：全称、别名或简称")],
    status: Annotated[
        str,
        typer.Option(
            "--status",
            "-s",
            help="状态：未启动、推进中、已完成、延期（即申请延期，须创建办批准）、暂缓；销号由创建办用 close 办理",
        ),
    ],
    note_text: Annotated[str, typer.Option("--note", "-n", help="进展说明")] = "",
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence",
            "-e",
            help="佐证材料文件，复制进登记册的材料档案（evidence/，按 SHA-256 存放）；网址只记录，可重复",
        ),
    ] = None,
    evidence_link: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence-link",
            help="只记录路径或网址、不复制的佐证材料（本地文件记录大小和 SHA-256），可重复",
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="报送日期，如 2021-01-01、2021/1/1、2021年1月1日（默认今天），不能晚于今天",
            show_default=False,
            metavar="DATE",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help=BY_HELP.format("报送人"),
            show_default=False,
        ),
    ] = None,
    new_deadline: Annotated[
        str | None,
        typer.Option(
            "--new-deadline",
            help="状态为「延期」时申请调整到的完成时限（日期，写法同 --date），创建办批准后生效",
            show_default=False,
            metavar="DATE",
        ),
    ] = None,
    data: DataOpt = None,
) -> None:
    """记录一个单位对一项任务（或一项日程）的进展（追加一条记录，不修改已有记录）。

    日程安排表的事项写作 S1…S20，如 safecity update S12 -u 区创建领导小组办公室 -s 已完成。

    「延期」是延期申请：创建办用 safecity approve 批准后新时限才生效，批准前仍按原时限计算。「已销号」只能由创建办用 safecity close 办理。

    示例：safecity update 27 --unit 住建 --status 推进中 --note "已完成排查 120 处" --data ./台账

    示例：safecity update 27 --unit 住建 --status 延期 --new-deadline 2021-04-30 --note "设备未到货"
    """
    if _is_problem(task_id):  # 整改问题 Z3 are reported on like tasks
        from safecity_cli.cli import problems

        return problems.update(
            task_id,
            unit,
            status,
            note_text,
            new_deadline,
            evidence,
            evidence_link,
            date,
            by or "",
            data,
        )
    from safecity_cli.cli.gitrepo import recorder
    from safecity_cli.tracking.recording import Report, check_report, ensure_writable, record

    registry, _, _ = open_tasks(data, task=task_id)  # only the task: from the index
    ensure_writable(registry)
    files = [ref for ref in evidence or () if "://" not in ref]
    staged: list[Stored] = []
    if files:
        from safecity_cli.assessment.store import stage_file

        staged = [stage_file(ref, Path.cwd()) for ref in files]  # refuses a missing file, a folder
    report = Report(
        task=task_id,
        unit=unit,
        status=status,
        date=as_of(date, "--date"),
        note=note_text,
        evidence=tuple(evidence or ()) + tuple(evidence_link or ()),
        by=recorder(by, registry.path, registry.program.operator),
        new_deadline=as_of(new_deadline, "--new-deadline") if new_deadline else None,
    )
    base, day, checked = Path.cwd(), clock.today(), []

    def check(ledger: Ledger) -> list[Entry]:  # under the lock, against the ledger as it is now
        entry = check_report(
            registry,
            ledger,
            report,
            today=day,
            recorded_at=clock.recorded_now(),
            evidence_base=base,
        )
        if files:
            entry = _archived(entry, len(evidence or ()), staged)
        checked.append(entry)
        return [entry]

    record(registry, check)
    entry = checked[0]
    if files:
        _archive(registry.path, entry, staged)
    if entry.new_deadline is not None:
        note(
            f"已记录延期申请：{target_label(entry.task)} {entry.unit} 申请延期至"
            f"{chinese_date(entry.new_deadline)}（{chinese_date(entry.date)}，记录编号 {entry.id}）；"
            f"待创建办批准（safecity approve {entry.id} --unit {entry.unit}），批准前仍按原时限计算"
        )
        return
    note(
        f"已记录：{target_label(entry.task)} {entry.unit} {entry.status.value}"
        f"（{chinese_date(entry.date)}）"
    )


def _archived(entry: Entry, count: int, staged: list[Stored]) -> Entry:
    """The entry with its first `count` evidence items (the --evidence ones) that are local
    files named by their copies in the archive (written by `_archive` once recorded)."""
    from dataclasses import replace

    from safecity_cli.assessment.paths import EVIDENCE_DIR
    from safecity_cli.ledger.entries import Evidence

    by_hash = {s.sha256: s for s in staged}
    evidence = [
        Evidence(f"{EVIDENCE_DIR}/{by_hash[e.sha256].archive_name}", e.size, e.sha256)
        if index < count and e.sha256 in by_hash
        else e
        for index, e in enumerate(entry.evidence)
    ]
    return replace(entry, evidence=tuple(evidence))


def _archive(data_dir: Path, entry: Entry, staged: list[Stored]) -> None:
    """Copy the files into the archive. After the record is written, not under its lock: a
    refused record leaves no copy behind (a crash in between shows in `evidence check`)."""
    from safecity_cli.assessment.store import writing

    with writing(data_dir) as writer:
        for stored in staged:
            writer.archive(stored, entry.date, entry.recorded_at)


def close(
    task_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="任务序号（如 27），或日程序号 S1…S20（如 S12）",
            autocompletion=complete_task,
        ),
    ],
    note_text: Annotated[str, typer.Option("--note", "-n", help="销号说明")] = "",
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="销号日期，写法同 update 的 --date（默认今天）",
            show_default=False,
            metavar="DATE",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help=BY_HELP.format("经办人"),
            show_default=False,
        ),
    ] = None,
    data: DataOpt = None,
) -> None:
    """创建办对整项任务（或一项日程，如 S12）销号：所有责任单位都已报告完成后才可销号。

    示例：safecity close 27 --note "经核查已完成" --data ./台账
    """
    if _is_problem(task_id):  # and closed like tasks
        from safecity_cli.cli import problems

        return problems.close(task_id, note_text, date, by or "", data)
    from safecity_cli.cli.gitrepo import recorder
    from safecity_cli.registry.units import resolve_target
    from safecity_cli.tracking.recording import check_close, ensure_writable, record

    registry, _, _ = open_tasks(data, task=task_id)  # only the task: from the index
    ensure_writable(registry)
    on, day, who = (
        as_of(date),
        clock.today(),
        recorder(by, registry.path, registry.program.operator),
    )

    def check(ledger: Ledger) -> list[Entry]:  # under the lock: of 16 closers, one succeeds
        return [
            check_close(
                registry,
                ledger,
                task_id,
                on,
                today=day,
                recorded_at=clock.recorded_now(),
                note=note_text,
                by=who,
            )
        ]

    record(registry, check)
    key = resolve_target(registry, task_id).key
    note(f"已销号：{target_label(key)}（{chinese_date(on)}）")


def history(
    ref: TaskRefArg,
    unit: UnitOpt = None,
    date: DateOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    district: DistrictOpt = None,
) -> None:
    """列出一项任务（或一项日程，如 S12）的全部进展记录，按时间先后排列：包括延期申请及创建办的批准、驳回，撤销记录及被撤销的记录（标「已撤销」）。

    状态之后标「（补录）」的，是记录时间晚于报送日期超过 N 天的记录（N 为 schedule.yaml 中 program 的 late_after_days，默认 7）。

    示例：safecity history 27 --unit 区住建局 --format json；汇总登记册：safecity history 临潼区:27
    """
    from safecity_cli.ledger.entries import check_evidence
    from safecity_cli.registry.units import expand, resolve_target
    from safecity_cli.render.listings import history_listing

    if (rollup := open_rollup(data, district)) is not None:
        from safecity_cli.cli.rollups import history_rollup

        until = as_of(date) if date is not None else None
        return history_rollup(rollup, district_ref(ref, district), unit, until, fmt)
    task_id = task_number(ref)
    registry, who, ledger = open_tasks(data, unit=unit, task=task_id)
    key = resolve_target(registry, task_id).key
    until = as_of(date) if date is not None else None
    names = {who.name, *expand(registry, who)} if who else None
    entries = [
        e
        for e in ledger.records(key)
        if (until is None or e.date <= until) and (names is None or e.unit in names)
    ]
    title = f"{target_label(key)} 的进展记录" + (f"（{who.name}）" if who else "")
    late = registry.program.late_after_days
    emit(history_listing(entries, title, ledger=ledger, late_after=late), fmt)
    for entry in entries:
        for item in entry.evidence:
            if problem := check_evidence(item, registry.path):
                note(
                    f"注意：{chinese_date(entry.date)} {entry.unit} 的佐证材料 {item.ref} {problem}"
                )


def undo(
    entry_id: Annotated[
        str | None,
        typer.Option(
            "--entry",
            help="要撤销的记录编号（见 history 的「编号」列；默认为最后记录的一条）",
            show_default=False,
            metavar="ID",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不询问，直接撤销")] = False,
    by: Annotated[
        str | None,
        typer.Option("--by", help=BY_HELP.format("撤销人"), show_default=False),
    ] = None,
    data: DataOpt = None,
) -> None:
    """撤销一条进展记录：追加一条「撤销」记录指明被撤销的记录编号，不删除任何内容；被撤销的记录不再计入任何查询、报告和导出。

    默认撤销本登记册最后记录的一条（先显示该条并请求确认）；--entry 指定任一条。撤销记录本身不能再撤销：要恢复被撤销的内容，请重新记录。

    示例：safecity undo --data ./台账

    示例：safecity undo --entry 3f2a9c01b7de --yes --data ./台账
    """
    from safecity_cli.tracking.recording import check_undo, ensure_writable, record

    registry = open_registry(data)  # the cache is checksummed and keyed by content
    ensure_writable(registry)
    ledger = open_ledger(registry)
    day, who = clock.today(), recorder_for(by, registry)
    shown = check_undo(ledger, entry_id, day, recorded_at=clock.recorded_now(), by=who)
    target = ledger.find(shown.ref)
    assert target is not None
    note(f"{'最后一条' if entry_id is None else '要撤销的'}记录：{describe(target)}")
    if not yes and not typer.confirm("确认撤销这条记录吗？", default=False, err=True):
        note("未撤销。")
        raise typer.Exit(ExitCode.DATA_ERROR)
    done: list[Entry] = []

    def check(now: Ledger) -> list[Entry]:  # under the lock: the record may have changed since
        expected = target.id if entry_id is None else None
        target_id = entry_id if entry_id is not None else None
        done.append(
            check_undo(
                now, target_id, day, recorded_at=clock.recorded_now(), by=who, expected=expected
            )
        )
        return done

    record(registry, check)
    note(f"已撤销记录 {target.id}（撤销记录编号 {done[0].id}；原记录仍保留在文件中，不再计入）。")


def describe(entry: Entry) -> str:
    """One line on an entry: its id, what it says, who recorded it and when."""
    who = entry.unit or "（创建办销号）"
    what = entry.kind.value if entry.kind.value else entry.status.value
    by = f"，{entry.by} 记录" if entry.by else ""
    when = entry.recorded_at.strftime("%Y-%m-%d %H:%M")
    return (
        f"编号 {entry.id}：{target_label(entry.task)} {who} {what}（{chinese_date(entry.date)}）"
        + (f"：{entry.note}" if entry.note else "")
        + f"（{when}{by}）"
    )


def recorder_for(by: str | None, registry: Registry) -> str:
    from safecity_cli.cli.gitrepo import recorder

    return recorder(by, registry.path, registry.program.operator)


def _decide(
    kind: Kind,
    request_id: str,
    unit: str,
    note_text: str,
    date: str | None,
    by: str | None,
    data: Path | None,
) -> None:
    from safecity_cli.tracking.recording import check_decision, ensure_writable, record

    registry = open_registry(data)  # the cache is checksummed and keyed by content
    ensure_writable(registry)
    on, day, who = as_of(date), clock.today(), recorder_for(by, registry)
    done: list[Entry] = []

    def check(ledger: Ledger) -> list[Entry]:  # under the lock: one decision per request
        entry = check_decision(
            registry,
            ledger,
            request_id,
            unit,
            kind,
            on,
            today=day,
            recorded_at=clock.recorded_now(),
            note=note_text,
            by=who,
        )
        done.append(entry)
        return [entry]

    record(registry, check)
    entry = done[0]
    assert entry.new_deadline is not None
    if kind is Kind.APPROVE:
        note(
            f"已批准：{target_label(entry.task)} {entry.unit} 延期至{chinese_date(entry.new_deadline)}"
            f"（{chinese_date(on)}，记录编号 {entry.id}）"
        )
    else:
        note(
            f"已驳回：{target_label(entry.task)} {entry.unit} 的延期申请（{chinese_date(on)}，记录编号"
            f" {entry.id}），仍按原时限计算"
        )


RequestArg = Annotated[
    str, typer.Argument(metavar="ID", help="延期申请的记录编号（见 history 的「编号」列）")
]
DecisionUnitOpt = Annotated[
    str, typer.Option("--unit", "-u", help="提出申请的单位：全称、别名或简称（须与申请一致）")
]
DecisionDateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="决定日期，写法同 update 的 --date（默认今天）",
        show_default=False,
        metavar="DATE",
    ),
]


def approve(
    request_id: RequestArg,
    unit: DecisionUnitOpt,
    note_text: Annotated[str, typer.Option("--note", "-n", help="批准意见")] = "",
    date: DecisionDateOpt = None,
    by: Annotated[
        str | None, typer.Option("--by", help=BY_HELP.format("经办人"), show_default=False)
    ] = None,
    data: DataOpt = None,
) -> None:
    """创建办批准一个单位的延期申请：自决定日期起按申请的新时限计算。

    每个申请只能决定一次；申请不存在、已决定或不是该单位的，拒绝并说明。

    示例：safecity approve 3f2a9c01b7de --unit 住建 --note "同意延期" --data ./台账
    """
    _decide(Kind.APPROVE, request_id, unit, note_text, date, by, data)


def reject(
    request_id: RequestArg,
    unit: DecisionUnitOpt,
    note_text: Annotated[str, typer.Option("--note", "-n", help="驳回理由（必填）")],
    date: DecisionDateOpt = None,
    by: Annotated[
        str | None, typer.Option("--by", help=BY_HELP.format("经办人"), show_default=False)
    ] = None,
    data: DataOpt = None,
) -> None:
    """创建办驳回一个单位的延期申请：仍按原时限计算，申请保留在记录中。

    示例：safecity reject 3f2a9c01b7de --unit 住建 --note "理由不充分，请按期完成" --data ./台账
    """
    _decide(Kind.REJECT, request_id, unit, note_text, date, by, data)
