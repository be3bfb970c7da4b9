"""Reading YAML safely: plain data only, no anchors, errors with a line, any encoding but UTF-8
refused."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest

from safecity_cli.registry.yaml_files import YamlProblem, dump_yaml, line_of, load_yaml, read_text


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "数据.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problem(path: Path) -> tuple[int | None, str]:
    with pytest.raises(YamlProblem) as caught:
        load_yaml(path)
    assert caught.value.problem.file == str(path)
    return caught.value.problem.line, caught.value.problem.message


def test_plain_data(tmp_path: Path) -> None:
    path = write(tmp_path, "单位: 区住建局\n开始: 2020-10-01\n序号: [1, 2]\n")
    assert load_yaml(path) == {"单位": "区住建局", "开始": date(2020, 10, 1), "序号": [1, 2]}


def test_bom_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, codecs.BOM_UTF8 + "单位: 区住建局\n".encode())
    assert read_text(path) == "单位: 区住建局\n"
    assert load_yaml(path) == {"单位": "区住建局"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (None, "文件为空")),
        ("  \n\n", (None, "文件为空")),
        ("# 只有注释\n", (None, "文件为空")),
        (
            "a: [1\n",
            (
                2,
                "YAML 语法错误：方括号列表没有正确结束，缺少逗号或「]」（did not find expected ',' or ']'）",
            ),
        ),
        (
            "a: 1\n---\nb: 2\n",
            (
                2,
                "YAML 语法错误：expected a single document in the stream，but found another document",
            ),
        ),
        (
            "a: !!python/object/apply:os.getcwd []\n",
            (1, "不允许的 YAML 标签（只接受普通数据，拒绝 !!python 等标签）"),
        ),
        (
            "a: !!python/name:os.system\n",
            (1, "不允许的 YAML 标签（只接受普通数据，拒绝 !!python 等标签）"),
        ),
        ("a: !custom 1\n", (1, "不允许的 YAML 标签（只接受普通数据，拒绝 !!python 等标签）")),
        ("a: &x 1\nb: *x\n", (1, "不允许使用 YAML 锚点和别名（& 与 *）")),
        ("a: &x [*x]\n", (1, "不允许使用 YAML 锚点和别名（& 与 *）")),
        ("base: {k: 1}\nb:\n  <<: {k: 2}\n", (3, "不允许使用 YAML 合并键（<<）")),
        ("a: 2021-02-29\n", (1, "「2021-02-29」不是有效的日期")),
        ("a:\n  - !!int 十二\n", (2, "「十二」不是有效的整数")),
        ("a: !!float 一点五\n", (1, "「一点五」不是有效的数字")),
        ("a: !!bool 是\n", (1, "「是」不是有效的布尔值（true 或 false）")),
        ("a: !!timestamp 明天\n", (1, "「明天」不是有效的日期")),
        ("a: 1\nb: 文字\x00\n", (2, "文件含有不允许的控制字符 U+0000，请删除")),
        ("a: 1\n\n\nb: \x1b[31m\n", (4, "文件含有不允许的控制字符 U+001B，请删除")),
    ],
    ids=lambda v: repr(v)[:30] if isinstance(v, str) else "",
)
def test_refused(tmp_path: Path, text: str, expected: tuple[int | None, str]) -> None:
    assert problem(write(tmp_path, text)) == expected


def test_an_alias_bomb_is_refused_at_the_first_alias(tmp_path: Path) -> None:
    # Nine levels of nine: a billion strings if expanded. Refusal must not expand any.
    rows = ['a: &a ["哈","哈","哈","哈","哈","哈","哈","哈","哈"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    assert problem(write(tmp_path, "\n".join(rows) + "\n")) == (
        1,
        "不允许使用 YAML 锚点和别名（& 与 *）",
    )


def test_an_anchor_used_once_is_harmless(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, "a: &x 1\n")) == {"a": 1}


@pytest.mark.parametrize(
    ("data", "line", "hint"),
    [
        ("单位: 区住建局\n".encode("gbk"), 1, "，疑似 GBK 编码"),
        ("a: 1\nb: 2\n单位: 区住建局\n".encode("gbk"), 3, "，疑似 GBK 编码"),
        (b"a: 1\nb: \xff\xfe\xff\n", 2, ""),
    ],
)
def test_not_utf8(tmp_path: Path, data: bytes, line: int, hint: str) -> None:
    assert problem(write(tmp_path, data)) == (line, f"文件不是 UTF-8 编码{hint}，请另存为 UTF-8")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "a: 1\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert problem(path) == (None, "无法读取文件（Permission denied）")


def test_line_of_finds_nested_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tasks:\n  - id: 1\n    units: [甲, 乙]\n  - id: 2\n    units:\n      - 丙\n      - 丁\n",
    )
    assert line_of(path, ["tasks"]) == 2
    assert line_of(path, ["tasks", 1]) == 4
    assert line_of(path, ["tasks", 1, "units", 1]) == 7
    assert line_of(path, ["tasks", 0, "units", 1]) == 3  # a flow list stays on its line
    assert line_of(path, ["tasks", 1, "deadline"]) == 4  # missing: its parent
    assert line_of(path, ["tasks", 9]) == 2
    assert line_of(path, []) == 1


def test_line_of_a_broken_file_is_unknown(tmp_path: Path) -> None:
    assert line_of(write(tmp_path, "a: [\n"), ["a"]) is None
    assert line_of(write(tmp_path, "单位: 区住建局\n".encode("gbk")), ["a"]) is None


def test_dump_is_readable_and_round_trips(tmp_path: Path) -> None:
    data = {
        "entries": [
            {"task": 28, "unit": "区住建局", "date": date(2021, 1, 4), "note": "已完成：100%"}
        ]
    }
    text = dump_yaml(data)
    assert "区住建局" in text and "\\u" not in text
    assert text.splitlines()[0] == "entries:"
    assert load_yaml(write(tmp_path, text)) == data
