"""The safecity command line: parse, call the core, render, exit."""

# No `from __future__ import annotations` (see queries.py): the root callback's options
# are built once, not evaluated from text by Typer on every run.
import importlib
import os
import sys
from collections.abc import Iterable
from typing import Annotated, Any

import typer

from safecity_cli import __version__
from safecity_cli.cli.common import command, new_app

# Command name -> (module under safecity_cli.cli, attribute): a function or a sub-app.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("queries", "validate"),
    "list": ("queries", "list_tasks"),
    "show": ("queries", "show"),
    "overdue": ("queries", "overdue"),
    "due": ("queries", "due"),
    "units": ("queries", "units"),
    "schedule": ("queries", "schedule"),
    "stats": ("queries", "stats"),
    "init": ("progress", "init"),
    "update": ("progress", "update"),
    "close": ("progress", "close"),
    "history": ("progress", "history"),
    "undo": ("progress", "undo"),
    "approve": ("progress", "approve"),
    "reject": ("progress", "reject"),
    "git-setup": ("offices", "git_setup"),
    "merge-progress": ("offices", "merge_progress"),
    "report": ("reports", "app"),
    "export": ("exports", "export_app"),
    "import": ("exports", "import_app"),
    "assess": ("assess", "app"),
    "problem": ("problems", "app"),
    "evidence": ("evidence", "app"),
    "score": ("score", "score"),
    "notices": ("notices", "notices"),
    "reply": ("notices", "reply"),
}

HELP = (
    "国家安全发展示范城市创建工作任务台账：查询任务、记录进展、生成周报和台账。\n\n"
    "示例：safecity list --unit 区住建局；safecity overdue --date 2021-01-01；"
    "safecity report weekly"
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"safecity {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="显示版本号并退出"),
    ] = False,
) -> None:
    """国家安全发展示范城市创建工作任务台账：查询任务、记录进展、生成周报和台账。"""


def build_app(names: Iterable[str] | None = None) -> typer.Typer:
    """The app with the given commands (all by default), importing only their modules."""
    app = new_app(HELP)
    app.callback()(_root)
    for name in COMMANDS if names is None else names:
        module, attribute = COMMANDS[name]
        target = getattr(importlib.import_module(f"safecity_cli.cli.{module}"), attribute)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            command(app, name)(target)
    return app


def __getattr__(name: str) -> Any:
    """`safecity_cli.cli.app`: the whole command tree, built on first use."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


def main() -> None:
    # Typer inspects every registered function on every run; building only the command
    # asked for (and importing only its module) saves much of the start-up time.
    args = sys.argv[1:]
    wanted = next((a for a in args if not a.startswith("-")), None)
    completing = any(key.endswith("_COMPLETE") for key in os.environ)
    only = [wanted] if wanted in COMMANDS and not completing else None
    build_app(only)(prog_name="safecity")
