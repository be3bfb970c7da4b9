"""Loading a registry directory as a library: the model, the problems, what is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from safecity_cli.errors import Problem, RegistryError, UsageError
from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.registry.load import check_registry, load_registry

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "registry"
    shutil.copytree(MINI, target)
    return target


def append_units(root: Path, text: str) -> None:
    with (root / "units.yaml").open("a", encoding="utf-8") as f:
        f.write(text)


def messages(root: Path) -> list[str]:
    registry, problems = check_registry(root)
    assert registry is None
    return [p.message for p in problems]


def test_mini_model(root: Path) -> None:
    registry = load_registry(root)
    assert not registry.embedded
    assert registry.path == root
    assert [u.name for u in registry.units][:3] == ["县住建局", "县应急局", "县市场监管局"]
    assert registry.unit("县应急管理局") is registry.unit("县应急局")
    group = registry.unit("各街道")
    assert group is not None and group.is_group and group.members == ("东街道", "西街道")
    task = registry.task(2)
    assert task is not None and task.open_ended == "等相关部门"
    assert registry.task(99) is None
    assert registry.applies_to_all.units == ("各街道",)


def test_embedded_is_marked() -> None:
    assert load_registry(embedded_data_dir()).embedded


def test_load_registry_raises_with_every_problem(root: Path) -> None:
    text = (root / "tasks.yaml").read_text(encoding="utf-8")
    text = text.replace("deadline: 2021年3月\n", "deadline: 下个月\n")
    text = text.replace(
        "units: [县应急局]\n    deadline: 2021年上半年",
        "units: [县应急]\n    deadline: 2021年上半年",
    )
    (root / "tasks.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(root)
    error = caught.value
    assert error.exit_code == 1
    assert [(Path(p.file).name, p.line, p.field) for p in error.problems] == [
        ("tasks.yaml", 14, "tasks[序号1].deadline"),
        ("tasks.yaml", 29, "tasks[序号4].units"),
    ]
    assert error.lines()[-1] == "错误：登记册有 2 处错误"


def test_warnings_do_not_stop_loading(root: Path) -> None:
    text = (root / "tasks.yaml").read_text(encoding="utf-8").replace("  - id: 8\n", "  - id: 10\n")
    (root / "tasks.yaml").write_text(text, encoding="utf-8")
    registry, problems = check_registry(root)
    assert registry is not None
    assert [str(p) for p in problems] == [
        f"{root / 'tasks.yaml'}:10: tasks: 任务序号不连续，缺少 8、9（警告）"
    ]


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="登记册目录不存在"):
        check_registry(tmp_path / "nowhere")


def test_problem_text() -> None:
    assert (
        str(Problem("a.yaml", 3, "tasks[序号1].units", "说明"))
        == "a.yaml:3: tasks[序号1].units: 说明"
    )
    assert str(Problem("a.yaml", None, "", "文件为空")) == "a.yaml: 文件为空"
    assert str(Problem("a.yaml", 1, "x", "说明", warning=True)) == "a.yaml:1: x: 说明（警告）"


@pytest.mark.parametrize(
    ("units", "message"),
    [
        (
            "  - {name: 甲组, kind: 集合, members: [乙组]}\n"
            "  - {name: 乙组, kind: 集合, members: [丙组]}\n"
            "  - {name: 丙组, kind: 集合, members: [甲组]}\n",
            "成员关系形成循环：甲组 → 乙组 → 丙组 → 甲组",
        ),
        (  # through an alias
            "  - {name: 甲组, kind: 集合, members: [乙]}\n"
            "  - {name: 乙组, kind: 集合, aliases: [乙], members: [甲组, 东街道]}\n",
            "成员关系形成循环：甲组 → 乙组 → 甲组",
        ),
        (
            "  - {name: 甲组, kind: 集合, members: [甲组]}\n",
            "单位不能是自己的成员",
        ),
    ],
)
def test_membership_cycles_are_refused(root: Path, units: str, message: str) -> None:
    append_units(root, units)
    assert messages(root) == [message]


def test_a_group_of_groups_is_fine(root: Path) -> None:
    append_units(root, "  - {name: 全县, kind: 集合, members: [各街道, 县应急管理局]}\n")
    registry = load_registry(root)
    whole = registry.unit("全县")
    assert whole is not None and whole.members == ("各街道", "县应急局")


def test_unknown_units_everywhere(root: Path) -> None:
    text = (
        (root / "tasks.yaml")
        .read_text(encoding="utf-8")
        .replace("units: [各街道]\n  note", "units: [各社区]\n  note")
    )
    (root / "tasks.yaml").write_text(text, encoding="utf-8")
    schedule = (
        (root / "schedule.yaml")
        .read_text(encoding="utf-8")
        .replace("units: [县应急局, 各街道]", "units: [县应急局, 各镇]")
    )
    (root / "schedule.yaml").write_text(schedule, encoding="utf-8")
    registry, problems = check_registry(root)
    assert registry is None
    assert [(Path(p.file).name, p.line, p.field) for p in problems] == [
        ("tasks.yaml", 7, "applies_to_all.units"),
        ("schedule.yaml", 21, "items[序号2].units"),
    ]
    assert problems[0].message.startswith("未知的责任单位「各社区」")
