"""Commands for registries kept by several offices in git: git-setup, merge-progress."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from safecity_cli.cli.common import DataOpt, note

DRIVER_COMMAND = "safecity merge-progress %O %A %B %P"


def git_setup(data: DataOpt = None) -> None:
    """在登记册所在的 git 仓库中安装进展记录的合并方式（每个副本运行一次）。

    两个办公室各自记录进展后用 git 合并时，同一单位的进展文件按条目合并：双方新增的条目都保留、
    不重复，按记录时间排列；只有双方改了同一条已有记录才报告冲突。还会补齐登记册目录中的
    .gitignore 和 .gitattributes。默认使用 --data、环境变量 SAFECITY_DATA，否则当前目录。

    示例：safecity git-setup --data ./临潼创建台账
    """
    from safecity_cli.cli.gitrepo import git, repository_of
    from safecity_cli.errors import UsageError
    from safecity_cli.registry.layout import ENV_DATA
    from safecity_cli.registry.workspace import MERGE_DRIVER, write_git_files

    folder = data or (Path(os.environ[ENV_DATA]) if os.environ.get(ENV_DATA) else Path.cwd())
    if not folder.is_dir():
        raise UsageError(f"登记册目录不存在：{folder}")
    top = repository_of(folder)
    if top is None:
        raise UsageError(
            f"{folder} 不在 git 仓库中；请先在登记册目录中运行 git init（或 git clone 已有的仓库）"
        )
    git(folder, "config", f"merge.{MERGE_DRIVER}.name", "safecity 进展记录按条目合并")
    git(folder, "config", f"merge.{MERGE_DRIVER}.driver", DRIVER_COMMAND)
    for path in write_git_files(folder):
        note(f"已写入 {path}（请 git add 并提交）")
    note(f"已在 git 仓库 {top} 中设置进展记录的合并方式（merge.{MERGE_DRIVER}）。")
    if shutil.which("safecity") is None:
        note("注意：命令行中找不到 safecity 命令；git 合并时要调用它，请把它所在的目录加入 PATH")


def merge_progress(
    base: Annotated[Path, typer.Argument(metavar="祖先", help="共同祖先版本（git 的 %O）")],
    ours: Annotated[Path, typer.Argument(metavar="本方", help="本方版本，合并结果写回这里（%A）")],
    theirs: Annotated[Path, typer.Argument(metavar="对方", help="对方版本（%B）")],
    shown: Annotated[
        str | None, typer.Argument(metavar="路径", help="仓库中的文件路径，用于提示（%P）")
    ] = None,
) -> None:
    """git 合并进展记录文件时调用的合并程序（由 safecity git-setup 配置，一般不必手动运行）。

    按条目合并双方的进展记录，结果写入本方文件；有冲突时说明是哪条记录，在文件中标出双方的
    不同之处，退出码为 1。

    示例：safecity merge-progress 祖先.yaml 本方.yaml 对方.yaml progress/区住建局.yaml
    """
    from safecity_cli.ledger.merge import merge_files

    lines = merge_files(base, ours, theirs, shown or str(ours))
    if lines:
        for line in lines:
            note(f"safecity：{line}")
        raise typer.Exit(1)
