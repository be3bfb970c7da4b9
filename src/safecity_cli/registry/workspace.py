"""A user's own working registry, copied from the embedded one."""

from __future__ import annotations

import shutil
from pathlib import Path

from safecity_cli.errors import UsageError
from safecity_cli.files import write_atomic
from safecity_cli.registry.layout import OPTIONAL_FILES, REGISTRY_FILES, embedded_data_dir


def init_registry(target: Path) -> list[Path]:
    """Copy the embedded registry into `target`; refuse to touch an existing registry."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} 已存在且不是目录")
    existing = [name for name in REGISTRY_FILES + OPTIONAL_FILES if (target / name).exists()]
    if existing or (target / "progress").exists():
        found = "、".join(existing) or "progress/"
        raise UsageError(f"{target} 中已有登记册（{found}），不会覆盖；请换一个目录")
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in REGISTRY_FILES + OPTIONAL_FILES:
        if name in OPTIONAL_FILES and not (embedded_data_dir() / name).is_file():
            continue
        shutil.copyfile(embedded_data_dir() / name, target / name)
        copied.append(target / name)
    write_git_files(target)
    return copied


MERGE_DRIVER = "safecity-progress"  # the name .gitattributes and the git config share
GIT_IGNORE = (
    "# safecity：锁文件、写入时的临时文件和日志不纳入版本管理\n",
    "progress/.lock\n",
    "*.tmp\n",
    "progress/.journal/\n",
)
GIT_ATTRIBUTES = (
    "# safecity：进展记录按条目合并（先在仓库中运行一次 safecity git-setup）\n",
    f"progress/*.yaml merge={MERGE_DRIVER}\n",
)


def write_git_files(target: Path) -> list[Path]:
    """.gitignore and .gitattributes for carrying the registry in git; lines already there
    (the user's own included) are kept, only the missing ones are added."""
    written = []
    for name, lines in ((".gitignore", GIT_IGNORE), (".gitattributes", GIT_ATTRIBUTES)):
        path = target / name
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        have = {line.strip() for line in old.splitlines()}
        missing = [line for line in lines if line.strip() not in have]
        if any(not line.startswith("#") for line in missing):
            joined = old + ("\n" if old and not old.endswith("\n") else "") + "".join(missing)
            write_atomic(path, joined)
            written.append(path)
    return written
