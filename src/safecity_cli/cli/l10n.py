"""Chinese for the few English words Typer prints itself in help pages and prompts."""

from __future__ import annotations

from typing import Any

# Typer looks these up through gettext (`_`) in typer.core at the moment it prints them.
CATALOG = {
    "Options": "选项",
    "Arguments": "参数",
    "Commands": "命令",
    "required": "必填",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "Aborted!": "已取消，未做任何改动",
    "Missing command.": "缺少子命令",
}
USAGE = "用法："


def translate(message: str) -> str:
    return CATALOG.get(message, message)


def install() -> None:
    import typer.core

    core: Any = typer.core
    core._ = translate
