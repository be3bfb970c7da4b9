"""Commands that record progress: init, update, close, history, undo."""

from __future__ import annotations

from datetime import datetime
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
    district_ref,
    emit,
    find_unit,
    note,
    open_ledger,
    open_registry,
    open_rollup,
    task_number,
)
from safecity_cli.dates import chinese_date
from safecity_cli.errors import ExitCode
from safecity_cli.registry.units import target_label
from safecity_cli.render.formats import OutputFormat

if TYPE_CHECKING:
    from safecity_cli.assessment.store import Stored
    from safecity_cli.ledger.entries import Entry, Ledger


def recorded_now() -> datetime:
    """When an entry is recorded (orders entries of one day, and finds the last for undo), in
    the district's zone whatever the machine's."""
    from safecity_cli.dates import DISTRICT_ZONE

    return clock.now().astimezone(DISTRICT_ZONE)


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
        str, typer.Argument(metavar="ID", help="任务序号（如 27），或日程序号 S1…S20（如 S12）")
    ],
    unit: Annotated[str, typer.Option("--unit", "-u", help="报送单位：全称、别名或简称")],
    status: Annotated[
        str, typer.Option("--status", "-s", help="状态：未启动、推进中、已完成、已销号、延期、暂缓")
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
            help="报送人（默认：环境变量 SAFECITY_USER；登记册在 git 仓库中时为 git config user.name）",
            show_default=False,
        ),
    ] = None,
    new_deadline: Annotated[
        str | None,
        typer.Option(
            "--new-deadline",
            help="状态为「延期」时调整后的完成时限（日期，写法同 --date）",
            show_default=False,
            metavar="DATE",
        ),
    ] = None,
    data: DataOpt = None,
) -> None:
    """记录一个单位对一项任务（或一项日程）的进展（追加一条记录，不修改已有记录）。

    日程安排表的事项写作 S1…S20，如 safecity update S12 -u 区创建领导小组办公室 -s 已完成。

    示例：safecity update 27 --unit 住建 --status 推进中 --note "已完成排查 120 处" --data ./台账
    """
    from safecity_cli.cli.gitrepo import recorder
    from safecity_cli.tracking.recording import Report, check_report, ensure_writable, record

    registry = open_registry(data)  # the cache is checksummed and keyed by content
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
        by=recorder(by, registry.path),
        new_deadline=as_of(new_deadline, "--new-deadline") if new_deadline else None,
    )
    base, day, checked = Path.cwd(), clock.today(), []

    def check(ledger: Ledger) -> list[Entry]:  # under the lock, against the ledger as it is now
        entry = check_report(
            registry, ledger, report, today=day, recorded_at=recorded_now(), evidence_base=base
        )
        if files:
            entry = _archived(entry, len(evidence or ()), staged)
        checked.append(entry)
        return [entry]

    record(registry, check)
    entry = checked[0]
    if files:
        _archive(registry.path, entry, staged)
    extra = f"，完成时限调整为{chinese_date(entry.new_deadline)}" if entry.new_deadline else ""
    note(
        f"已记录：{target_label(entry.task)} {entry.unit} {entry.status.value}"
        f"（{chinese_date(entry.date)}）{extra}"
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
        str, typer.Argument(metavar="ID", help="任务序号（如 27），或日程序号 S1…S20（如 S12）")
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
            help="经办人（默认：环境变量 SAFECITY_USER；登记册在 git 仓库中时为 git config user.name）",
            show_default=False,
        ),
    ] = None,
    data: DataOpt = None,
) -> None:
    """创建办对整项任务（或一项日程，如 S12）销号：所有责任单位都已报告完成后才可销号。

    示例：safecity close 27 --note "经核查已完成" --data ./台账
    """
    from safecity_cli.cli.gitrepo import recorder
    from safecity_cli.registry.units import resolve_target
    from safecity_cli.tracking.recording import check_close, ensure_writable, record

    registry = open_registry(data)  # the cache is checksummed and keyed by content
    ensure_writable(registry)
    on, day, who = as_of(date), clock.today(), recorder(by, registry.path)

    def check(ledger: Ledger) -> list[Entry]:  # under the lock: of 16 closers, one succeeds
        return [
            check_close(
                registry,
                ledger,
                task_id,
                on,
                today=day,
                recorded_at=recorded_now(),
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
    """列出一项任务（或一项日程，如 S12）的全部进展记录，按时间先后排列。

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
    registry = open_registry(data)
    key = resolve_target(registry, task_id).key

    who = find_unit(registry, unit)
    until = as_of(date) if date is not None else None
    names = {who.name, *expand(registry, who)} if who else None
    entries = [
        e
        for e in open_ledger(registry).for_task(key)
        if (until is None or e.date <= until) and (names is None or e.unit in names)
    ]
    title = f"{target_label(key)} 的进展记录" + (f"（{who.name}）" if who else "")
    emit(history_listing(entries, title), fmt)
    for entry in entries:
        for item in entry.evidence:
            if problem := check_evidence(item, registry.path):
                note(
                    f"注意：{chinese_date(entry.date)} {entry.unit} 的佐证材料 {item.ref} {problem}"
                )


def undo(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不询问，直接撤销")] = False,
    data: DataOpt = None,
) -> None:
    """撤销本登记册最后记录的一条进展（先显示该条并请求确认）。

    示例：safecity undo --data ./台账
    """
    from safecity_cli.errors import LedgerError
    from safecity_cli.ledger.files import remove_entry
    from safecity_cli.tracking.recording import ensure_writable

    registry = open_registry(data)  # the cache is checksummed and keyed by content
    ensure_writable(registry)
    last = open_ledger(registry).latest()
    if last is None:
        raise LedgerError("没有可撤销的进展记录")
    who = last.unit or "（创建办销号）"
    note(
        f"最后一条记录（编号 {last.id}）：{target_label(last.task)} {who} {last.status.value}"
        f"（{chinese_date(last.date)}）" + (f"：{last.note}" if last.note else "")
    )
    if not yes and not typer.confirm("确认撤销这条记录吗？", default=False, err=True):
        note("未撤销。")
        raise typer.Exit(ExitCode.DATA_ERROR)
    remove_entry(registry.path, last.id, must_be_latest=True)
    note(f"已撤销（记录编号 {last.id}）。")
