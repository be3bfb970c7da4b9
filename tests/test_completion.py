"""Shell completion offers unit names (and aliases) and statuses in bash, zsh and fish."""

from __future__ import annotations

import os
import subprocess
import sys


def complete(shell: str, line: str) -> str:
    words = line.split(" ")
    env = {**os.environ, "_SAFECITY_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env |= {"COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    else:
        env |= {"_TYPER_COMPLETE_ARGS": line, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    code = "import sys; sys.argv[0] = 'safecity'; from safecity_cli.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bash_completes_a_unit_name() -> None:
    assert complete("bash", "safecity list --unit 区住").split() == ["区住建局"]


def test_zsh_completes_by_alias_and_names_the_unit() -> None:
    out = complete("zsh", "safecity overdue -u 公安")
    assert "公安临潼分局" in out


def test_fish_completes_a_unit_name() -> None:
    assert complete("fish", "safecity list -u 区应").split() == ["区应急管理局"]


def test_statuses_complete() -> None:
    assert complete("bash", "safecity list --status 已").split() == ["已完成", "已销号"]


def test_task_and_schedule_ids_complete() -> None:
    assert complete("bash", "safecity show 10").split() == ["10", "100", "101", "102", "103", "104"]
    assert complete("bash", "safecity update S1").split()[:3] == ["S1", "S10", "S11"]
