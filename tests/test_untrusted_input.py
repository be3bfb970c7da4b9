"""Hostile input (issue 11, 不可信输入): bounded work, refused control characters, inert cells."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from safecity_cli.cli import app
from safecity_cli.registry.lines import Lines
from safecity_cli.registry.yaml_files import line_of


def invoke(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


# -- validate is linear in the number of problems ----------------------------------------------


def test_four_thousand_unknown_units_are_each_reported_with_their_line(
    runner: CliRunner, work_registry: Path
) -> None:
    tasks = work_registry / "tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    first = text.count("\n") + 1
    tasks.write_text(
        text
        + "".join(
            f"  - id: {1000 + i}\n    category: 1\n    text: 任务{i}\n"
            f"    units: [不存在的单位{i}]\n    deadline: 2021 年 7 月\n"
            for i in range(4000)
        ),
        encoding="utf-8",
    )
    result = invoke(runner, "validate", "--data", str(work_registry))
    assert result.exit_code == 1
    unknown = [line for line in result.stderr.splitlines() if "未知的责任单位" in line]
    assert len(unknown) == 4000
    # task i starts at line first + 5i; its units list is the fourth line of it
    assert unknown[0].startswith(f"{tasks}:{first + 3}: tasks[序号1000].units: ")
    assert unknown[-1].startswith(f"{tasks}:{first + 5 * 3999 + 3}: tasks[序号4999].units: ")
    assert result.stderr.splitlines()[-1] == "错误：登记册有 4000 处错误"


def test_line_index_answers_as_line_of(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        "# head\nunits:\n  - name: 甲\n    aliases: [乙, 丙]\n  - {name: 丁}\nkinds: [x]\n",
        encoding="utf-8",
    )
    lines = Lines()
    locs: list[list[str | int]] = [
        [],
        ["units"],
        ["units", 0],
        ["units", 0, "aliases", 1],
        ["units", 1, "name"],
        ["units", 7, "name"],
        ["kinds", 0],
        ["missing", 3],
    ]
    assert [lines.line(path, loc) for loc in locs] == [line_of(path, loc) for loc in locs]
    assert [lines.line(path, loc) for loc in locs] == [2, 3, 3, 4, 5, 3, 6, 2]
    assert Lines().line(tmp_path / "absent.yaml", ["a"]) is None
