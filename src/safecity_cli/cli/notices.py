"""`safecity notices` and `safecity reply`: the 督办通知单 issued, and a unit's answer to one."""

from __future__ import annotations

from typing import Annotated

import typer

from safecity_cli.cli.common import (
    DataOpt,
    DateOpt,
    FormatOpt,
    NoCacheOpt,
    UnitOpt,
    as_of,
    emit,
    find_unit,
    note,
    open_registry,
)
from safecity_cli.render.formats import OutputFormat


def notices(
    open_only: Annotated[
        bool, typer.Option("--open", help="只列出未回复的（待回复、逾期未回复）")
    ] = False,
    unit: UnitOpt = None,
    date: DateOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """列出已发出的督办通知单及其状态：待回复、已回复、逾期未回复。

    每份通知单由 safecity report notice 发出时登记（编号 督办〔年份〕N号），单位用 safecity reply 回复后即为「已回复」；发给集合单位的，全部成员单位回复后才算已回复。--unit 列出该单位收到的（含发给其所属集合单位的）。

    示例：safecity notices --open --unit 区住建局 --date 2021-03-25
    """
    from safecity_cli.scoring.listings import notice_rows, notices_listing
    from safecity_cli.scoring.notices import load_notices

    registry = open_registry(data, no_cache=no_cache)
    on = as_of(date)
    who = find_unit(registry, unit)
    rows = notice_rows(
        registry,
        load_notices(registry.path),
        on,
        open_only=open_only,
        unit=who.name if who else None,
    )
    emit(notices_listing(rows, on), fmt)


def reply(
    notice: Annotated[
        str,
        typer.Argument(
            metavar="通知单",
            help="通知单编号：督办〔2021〕3号，或 2021-3，或只写 3",
            show_default=False,
        ),
    ],
    unit: UnitOpt = None,
    note_text: Annotated[
        str,
        typer.Option("--note", "-n", help="落实情况（必填）", show_default=False, metavar="TEXT"),
    ] = "",
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="报送人（默认：环境变量 SAFECITY_USER；登记册在 git 仓库中时为 git config user.name）",
            show_default=False,
            metavar="NAME",
        ),
    ] = None,
    date: DateOpt = None,
    data: DataOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """记录单位对督办通知单的回复（落实情况），该单位的这份通知单即为已回复。

    回复日期（--date，默认今天）晚于回复期限的，记为逾期回复，仍按「督办逾期未回复」计入考核得分。

    示例：safecity reply 督办〔2021〕3号 --unit 区住建局 --note 已完成整改并报送材料 --data ./台账
    """
    from safecity_cli.cli.clock import recorded_now
    from safecity_cli.cli.gitrepo import recorder
    from safecity_cli.dates import chinese_date
    from safecity_cli.errors import UsageError
    from safecity_cli.scoring.notices import answer
    from safecity_cli.tracking.recording import ensure_writable

    registry = open_registry(data, no_cache=no_cache)
    ensure_writable(registry)
    who = find_unit(registry, unit)
    if who is None:
        raise UsageError("请用 --unit 指定回复的单位")
    on = as_of(date)
    who_by = recorder(by, registry.path)
    found, answered = answer(registry, notice, who, on, note_text, who_by, recorded_now())
    late = "（已过回复期限）" if answered.date > found.reply_by else ""
    note(f"已记录：{who.name}回复{found.id}（{chinese_date(on)}）{late}")
