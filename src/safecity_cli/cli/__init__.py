"""The safecity command line: parse, call the core, render, exit."""

from __future__ import annotations

from typing import Annotated

import typer

from safecity_cli import __version__
from safecity_cli.cli import exports, progress, queries, reports
from safecity_cli.cli.common import command, new_app

app = new_app(
    "国家安全发展示范城市创建工作任务台账：查询任务、记录进展、生成周报和台账。\n\n"
    "示例：safecity list --unit 区住建局；safecity overdue --date 2021-01-01；"
    "safecity report weekly",
)
command(app, "validate")(queries.validate)
command(app, "list")(queries.list_tasks)
command(app, "show")(queries.show)
command(app, "overdue")(queries.overdue)
command(app, "due")(queries.due)
command(app, "units")(queries.units)
command(app, "schedule")(queries.schedule)
command(app, "stats")(queries.stats)
command(app, "init")(progress.init)
command(app, "update")(progress.update)
command(app, "close")(progress.close)
command(app, "history")(progress.history)
command(app, "undo")(progress.undo)
app.add_typer(exports.export_app, name="export")
app.add_typer(exports.import_app, name="import")
app.add_typer(reports.app, name="report")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"safecity {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="显示版本号并退出"),
    ] = False,
) -> None:
    """国家安全发展示范城市创建工作任务台账：查询任务、记录进展、生成周报和台账。"""


def main() -> None:
    app(prog_name="safecity")
