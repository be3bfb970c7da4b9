"""A large registry may split its tasks over tasks/*.yaml; an edit re-reads only that file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from safecity_cli import cache
from safecity_cli.errors import RegistryError
from safecity_cli.registry import yaml_files as yamlio
from safecity_cli.registry.load import check_registry, load_registry

FIXTURES = Path(__file__).parent / "fixtures"

PART_A = """\
tasks:
  - id: 9
    category: 2
    text: 开展地下管线普查。
    units: [县住建局]
    deadline: 2021年4月
"""
PART_B = """\
tasks:
  - id: 10
    category: 3
    text: 修订应急预案。
    units: [县应急管理局, 东街道]
    deadline: 2021年5月31日前
"""


@pytest.fixture
def split(tmp_path: Path) -> Path:
    path = tmp_path / "split"
    shutil.copytree(FIXTURES / "mini", path)
    (path / "tasks").mkdir()
    (path / "tasks" / "a.yaml").write_text(PART_A, encoding="utf-8")
    (path / "tasks" / "b.yaml").write_text(PART_B, encoding="utf-8")
    return path


def test_tasks_from_every_file_in_order(split: Path) -> None:
    registry = load_registry(split)
    assert [t.id for t in registry.tasks] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    task = registry.task(10)
    assert task is not None
    assert task.units == ("县应急局", "东街道")  # the alias resolved across files
    assert task.deadline.end is not None and task.deadline.end.isoformat() == "2021-05-31"


def test_problems_name_the_part_file_and_line(split: Path) -> None:
    (split / "tasks" / "b.yaml").write_text(
        PART_B.replace("id: 10", "id: 3").replace("东街道", "北街道"), encoding="utf-8"
    )
    registry, problems = check_registry(split)
    assert registry is None
    part = split / "tasks" / "b.yaml"
    assert [str(p) for p in problems] == [
        f"{part}:2: tasks[第1项].id: 任务序号 3 重复（tasks.yaml 中已有）",
        f"{part}:5: tasks[序号3].units: 未知的责任单位「北街道」（units.yaml 中没有此名称或别名），"
        "是否指：西街道、各街道、东街道",
    ]


def test_a_broken_part_file_is_reported_like_any_other(split: Path) -> None:
    (split / "tasks" / "a.yaml").write_text("tasks:\n  - id: 9\n    categry: 2\n", encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(split)
    lines = [str(p) for p in caught.value.problems]
    part = split / "tasks" / "a.yaml"
    assert f"{part}:3: tasks[序号9].categry: 未知字段（是否拼写错误？）" in lines


def test_an_edit_re_reads_only_the_changed_file(
    split: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.load(split)
    read: list[str] = []
    real = yamlio.parse_yaml  # every file's text is parsed here, read from disk or not

    def spy(text: str, path: Path, **options: bool) -> object:  # keep_bad: past errors
        read.append(path.relative_to(split).as_posix())
        return real(text, path, **options)

    monkeypatch.setattr(yamlio, "parse_yaml", spy)
    part = split / "tasks" / "b.yaml"
    part.write_text(PART_B.replace("修订应急预案", "修订专项应急预案"), encoding="utf-8")
    registry = cache.load(split)
    assert registry.task(10).text == "修订专项应急预案。"  # type: ignore[union-attr]
    assert "tasks/a.yaml" not in read and "tasks/b.yaml" in read
    assert registry == load_registry(split)


def test_a_part_file_with_errors_stays_an_error_on_every_load(split: Path) -> None:
    """What validates of a broken file is not cached as the file's rows: a second load would
    then find no problem and quietly leave the broken task out."""
    part = split / "tasks" / "b.yaml"
    broken = PART_A.replace("tasks:\n", "").replace("id: 9", "id: 11")
    part.write_text(PART_B + broken.replace("category: 2", "category: 二"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RegistryError) as caught:
            cache.load(split)
        assert [str(p) for p in caught.value.problems] == [
            f"{part}:8: tasks[序号11].category: 应为整数"
        ]
    part.write_text(PART_B, encoding="utf-8")
    assert [t.id for t in cache.load(split).tasks][-1] == 10


def test_a_gap_in_the_numbering_across_files_is_a_warning(split: Path) -> None:
    (split / "tasks" / "b.yaml").write_text(PART_B.replace("id: 10", "id: 12"), encoding="utf-8")
    registry, problems = check_registry(split)
    assert registry is not None
    assert [(p.warning, p.message) for p in problems] == [(True, "任务序号不连续，缺少 10、11")]
