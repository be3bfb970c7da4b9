"""export json / csv: the whole registry in the contract of `list`; and what every export shares."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.errors import UsageError
from safecity_cli.files import save_output as write_file

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("unit", [[], ["--unit", "东街道"]])
def test_dump_is_exactly_what_list_prints(
    runner: CliRunner, mini: Path, fmt: str, unit: list[str]
) -> None:
    args = ["--date", "2021-03-20", "--data", str(mini), *unit]
    listed = runner.invoke(app, ["list", "--format", fmt, *args])
    dumped = runner.invoke(app, ["export", fmt, *args])
    assert dumped.exit_code == 0, dumped.stderr
    assert dumped.stdout == listed.stdout
    assert dumped.stderr == ""


def test_json_dump_has_every_task_with_its_status(runner: CliRunner, mini: Path) -> None:
    result = runner.invoke(app, ["export", "json", "--date", "2021-03-20", "--data", str(mini)])
    data = json.loads(result.stdout)
    assert [t["id"] for t in data] == [1, 2, 3, 4, 5, 6, 7, 8]
    six = data[5]
    assert (six["status"], six["level"], six["effective_deadline"]) == (
        "未启动",
        "红",
        "2021-02-15",
    )


def test_dump_to_a_file(runner: CliRunner, mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "任务.csv"
    result = runner.invoke(
        app, ["export", "csv", "--date", "2021-03-20", "--data", str(mini), "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"已写入 {out}：共 8 项任务\n"
    text = out.read_bytes().decode("utf-8")
    assert text.startswith(
        "\ufeff序号,类别,主要目标任务,责任单位,完成时限,截止日期,状态,督办,最新进展日期,最新进展\r\n"
    )


def test_write_file_replaces_atomically_and_keeps_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    write_file(target, b"one")
    write_file(target, b"two")
    assert target.read_bytes() == b"two"
    assert not list(tmp_path.glob(".a.txt.*"))
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_file_into_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="输出路径是一个目录"):
        write_file(tmp_path, b"x")


def test_every_export_and_import_command_has_chinese_help_with_an_example(
    runner: CliRunner,
) -> None:
    for group, commands in (("export", ["xlsx", "ics", "json", "csv"]), ("import", ["xlsx"])):
        result = runner.invoke(app, [group, "--help"])
        assert result.exit_code == 0 and "示例" in result.stdout
        for name in commands:
            result = runner.invoke(app, [group, name, "--help"])
            assert result.exit_code == 0, result.stdout
            assert "示例：safecity " in result.stdout
            assert "--data" in result.stdout
            assert "显示此帮助并退出" in result.stdout


def test_start_up_does_not_load_openpyxl_or_icalendar() -> None:
    code = (
        "import sys, safecity_cli.cli; "
        "print(sorted(m for m in ('openpyxl', 'icalendar', 'rich.progress') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
