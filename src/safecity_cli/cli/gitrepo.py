"""The git repository a registry lives in: running git, and who the user is in it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from safecity_cli.errors import SafecityError

ENV_USER = "SAFECITY_USER"


def git(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git run in `folder`; SafecityError when git is missing or (with `check`) fails."""
    if shutil.which("git") is None:
        raise SafecityError("未找到 git 命令；请先安装 git（如 apt-get install git）")
    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise SafecityError(f"git {' '.join(args)} 失败：{said[-1] if said else done.returncode}")
    return done


def repository_of(folder: Path) -> Path | None:
    """The top of the git work tree holding `folder`, or None when it is in none."""
    if shutil.which("git") is None or not folder.is_dir():
        return None
    done = git(folder, "rev-parse", "--show-toplevel", check=False)
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def recorder(by: str | None, registry_dir: Path, operator: str = "") -> str:
    """Who is recording: --by, else $SAFECITY_USER, else the registry's `operator:`
    (schedule.yaml program settings), else git's user.name when the registry is in a git
    repository, else nobody named."""
    if by is not None:
        return by
    if env := os.environ.get(ENV_USER):
        return env
    if operator:
        return operator
    if repository_of(registry_dir) is None:
        return ""
    done = git(registry_dir, "config", "--get", "user.name", check=False)
    return done.stdout.strip() if done.returncode == 0 else ""
