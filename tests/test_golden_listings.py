"""Every listing command in every format, byte for byte, on the embedded registry and a small ledger.

After an intended change, regenerate with
    SAFECITY_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_listings.py
and read the diff before committing.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.registry.layout import embedded_data_dir

GOLDEN = Path(__file__).parent / "golden" / "listings"

# A small ledger: three units' reports, an office 销号 and a 延期, at fixed recorded times.
PROGRESS = {
    "区住建局.yaml": """entries:
- task: 27
  unit: 区住建局
  status: 推进中
  date: 2020-11-20
  note: 已开展防高坠专项检查 12 次
  evidence: []
  by: 张三
  recorded_at: '2020-11-20T17:00:00.000000'
- task: 44
  unit: 区住建局
  status: 延期
  date: 2020-12-20
  new_deadline: 2021-03-31
  note: 排查范围扩大，申请延期
  evidence: []
  by: 张三
  recorded_at: '2020-12-20T09:30:00.000000'
""",
    "各街办.yaml": """entries:
- task: 27
  unit: 各街办
  status: 已完成
  date: 2020-12-15
  note: 辖区在建工地全部完成自查
  evidence: []
  by: ''
  recorded_at: '2020-12-15T10:00:00.000000'
""",
    "区财政局.yaml": """entries:
- task: 76
  unit: 区财政局
  status: 已完成
  date: 2020-12-01
  note: 专项资金已拨付
  evidence: []
  by: 李四
  recorded_at: '2020-12-01T11:00:00.000000'
""",
    "_office.yaml": """entries:
- task: 76
  unit: null
  status: 已销号
  date: 2020-12-10
  note: 经核查同意销号
  evidence: []
  by: 创建办
  recorded_at: '2020-12-10T15:00:00.000000'
""",
}

ON = "2021-01-15"
COMMANDS = {
    "list": ["list", "--unit", "区住建局", "--date", ON],
    "overdue": ["overdue", "--date", ON],
    "due": ["due", "--date", "2020-12-15", "--within", "30"],
    "units": ["units", "--date", ON],
    "schedule": ["schedule", "--date", ON],
    "stats": ["stats", "--date", ON],
    "show": ["show", "27", "--date", ON],
    "history": ["history", "27"],
}
FORMATS = ["table", "json", "csv", "md"]


@pytest.fixture
def small_ledger(tmp_path: Path) -> Path:
    target = tmp_path / "registry"
    shutil.copytree(embedded_data_dir(), target, ignore=shutil.ignore_patterns("progress"))
    (target / "progress").mkdir()
    for name, text in PROGRESS.items():
        (target / "progress" / name).write_text(text, encoding="utf-8")
    return target


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SAFECITY_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="")
    assert path.read_bytes().decode("utf-8") == text, f"与 {path} 不同"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_listing_output_is_exactly_as_recorded(
    runner: CliRunner, small_ledger: Path, command: str, fmt: str
) -> None:
    args = [*COMMANDS[command], "--format", fmt, "--data", str(small_ledger)]
    result = runner.invoke(app, args)
    if command == "show" and fmt == "csv":  # one task is no table: refused as a usage error
        assert result.exit_code == 2
        check_golden("show.csv.stderr", result.stderr)
        return
    assert result.exit_code == 0, result.stderr
    check_golden(f"{command}.{fmt}", result.stdout)


def test_history_unit_filter_keeps_only_that_unit(runner: CliRunner, small_ledger: Path) -> None:
    result = runner.invoke(
        app, ["history", "27", "--unit", "各街办", "--format", "json", "--data", str(small_ledger)]
    )
    assert result.exit_code == 0, result.stderr
    assert '"unit": "各街办"' in result.stdout
    assert "区住建局" not in result.stdout


def test_close_records_an_office_entry(runner: CliRunner, small_ledger: Path) -> None:
    for unit in ("区住建局", "各园区管委会"):
        done = ["update", "27", "-u", unit, "-s", "已完成", "--date", "2021-01-10"]
        assert runner.invoke(app, [*done, "--data", str(small_ledger)]).exit_code == 0
    result = runner.invoke(app, ["close", "27", "--date", ON, "--data", str(small_ledger)])
    assert result.exit_code == 0, result.stderr
    office = (small_ledger / "progress" / "_office.yaml").read_text(encoding="utf-8")
    assert office.count("status: 已销号") == 2 and "task: 27" in office
    shown = runner.invoke(
        app, ["show", "27", "--format", "json", "--date", ON, "--data", str(small_ledger)]
    )
    assert '"status": "已销号"' in shown.stdout


def test_an_internal_error_is_one_chinese_line_and_exit_1(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.delenv("SAFECITY_DEBUG", raising=False)
    monkeypatch.setattr("safecity_cli.tracking.query.select_tasks", broken)
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("错误：safecity 内部错误（ZeroDivisionError：division by zero）")


@pytest.mark.parametrize("group", ["report", "export", "import"])
def test_a_group_without_its_subcommand_shows_help_and_exits_2(
    runner: CliRunner, group: str
) -> None:
    result = runner.invoke(app, [group])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"用法：root {group} [OPTIONS] COMMAND")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_tables_never_break_a_date_at_80_columns(
    runner: CliRunner, small_ledger: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, [*COMMANDS[command], "--data", str(small_ledger)])
    assert result.exit_code == 0, result.stderr
    assert "年" in result.stdout
    # 2021年3月11 at a line's end with 日 on the next is what a broken date looks like
    assert not re.search(r"\d{4}年\d{1,2}月\d{1,2}(?![日\d])", result.stdout)
