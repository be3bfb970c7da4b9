"""A key written twice in any YAML file safecity reads is an error, never a silent overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.registry.yaml_files import YamlProblem, load_yaml

TWICE = "：YAML 会让后写的悄悄取代先写的，请删去或合并其中一个"


def _validate(runner: CliRunner, data: Path) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["validate", "--data", str(data)])
    assert result.stdout == "" or result.exit_code == 0
    return result.exit_code, result.stderr.splitlines()


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_an_appended_empty_task_list_is_refused(runner: CliRunner, work_registry: Path) -> None:
    tasks = work_registry / "tasks.yaml"
    first = tasks.read_text(encoding="utf-8").splitlines().index("tasks:") + 1
    with tasks.open("a", encoding="utf-8") as handle:
        handle.write("tasks: []\n")
    assert _validate(runner, work_registry) == (
        1,
        [
            f"{tasks}:{_line_count(tasks)}: 键「tasks」重复（第 {first} 行已有）{TWICE}",
            "错误：登记册有 1 处错误",
        ],
    )
    listed = runner.invoke(app, ["list", "--data", str(work_registry), "--format", "json"])
    assert listed.exit_code == 1 and listed.stdout == ""


def test_a_second_deadline_in_a_task_and_start_in_program_are_both_listed(
    runner: CliRunner, work_registry: Path
) -> None:
    tasks, schedule, units = (
        work_registry / n for n in ("tasks.yaml", "schedule.yaml", "units.yaml")
    )
    lines = tasks.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("    deadline:"))
    lines.insert(at + 1, "    deadline: 2099 年 1 月\n")
    tasks.write_text("".join(lines), encoding="utf-8")
    text = schedule.read_text(encoding="utf-8")
    start = text.splitlines().index("  start: 2020-10-01") + 1
    schedule.write_text(
        text.replace("  start: 2020-10-01\n", "  start: 2020-10-01\n  start: 2021-01-01\n"),
        encoding="utf-8",
    )
    # A problem of another kind in a third file: all in one list.
    units.write_text(
        units.read_text(encoding="utf-8").replace("kind: 区级部门", "kind: 区级部", 1),
        encoding="utf-8",
    )
    code, lines_out = _validate(runner, work_registry)
    assert code == 1
    assert lines_out[0] == f"{tasks}:{at + 2}: 键「deadline」重复（第 {at + 1} 行已有）{TWICE}"
    assert lines_out[1] == f"{schedule}:{start + 1}: 键「start」重复（第 {start} 行已有）{TWICE}"
    assert lines_out[2].startswith(f"{units}:") and "未知的单位类型「区级部」" in lines_out[2]
    assert lines_out[-1] == "错误：登记册有 3 处错误"


def test_a_second_entries_block_in_a_progress_file_is_refused(
    runner: CliRunner, work_registry: Path
) -> None:
    data = str(work_registry)
    for day in ("2020-11-20", "2020-12-20"):
        args = ["update", "27", "-u", "住建", "-s", "推进中", "--date", day, "--data", data]
        assert runner.invoke(app, args).exit_code == 0
    path = work_registry / "progress" / "区住建局.yaml"
    first = path.read_text(encoding="utf-8").splitlines().index("entries:") + 1
    with path.open("a", encoding="utf-8") as handle:
        handle.write("entries: []\n")
    assert _validate(runner, work_registry) == (
        1,
        [
            f"{path}:{_line_count(path)}: 键「entries」重复（第 {first} 行已有）{TWICE}",
            "错误：登记册有 1 处错误",
        ],
    )
    history = runner.invoke(app, ["history", "27", "--data", data])
    assert history.exit_code == 1 and "键「entries」重复" in history.stderr
    update = ["update", "27", "-u", "住建", "-s", "已完成", "--date", "2020-12-21", "--data", data]
    refused = runner.invoke(app, update)
    assert refused.exit_code == 1 and "键「entries」重复" in refused.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n", [(5, "c", 3)]),
        ("- {x: 1, x: 2}\n- y: 1\n  y: 1\n", [(1, "x", 1), (3, "y", 2)]),
        ("1: a\n'1': b\n", []),  # an integer key and a string key are different keys
    ],
)
def test_duplicates_at_any_depth(
    tmp_path: Path, text: str, expected: list[tuple[int, str, int]]
) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    if not expected:
        load_yaml(path)
        return
    with pytest.raises(YamlProblem) as caught:
        load_yaml(path)
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (line, f"键「{key}」重复（第 {first} 行已有）{TWICE}") for line, key, first in expected
    ]


def test_the_c_loader_is_still_used() -> None:
    import yaml

    from safecity_cli.registry import yaml_files

    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(yaml_files._Loader, yaml.CSafeLoader)
