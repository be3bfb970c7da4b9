"""Read and write YAML safely: C loader when present, no aliases, errors with file and line."""

from __future__ import annotations

import codecs
import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

from safecity_cli.errors import Problem

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Refused(ConstructorError):
    """A value the loader refuses, with a message already written for the user."""


_TAG_NAMES = {
    "tag:yaml.org,2002:timestamp": "日期",
    "tag:yaml.org,2002:int": "整数",
    "tag:yaml.org,2002:float": "数字",
    "tag:yaml.org,2002:bool": "布尔值（true 或 false）",
}


class BadValue(str):
    """A scalar PyYAML cannot construct (2021-02-30 as a date): kept as its text, so the rest
    of the file is still checked, and reported with its field by bad_values()."""

    message: str
    line: int

    def __new__(cls, text: str, message: str, line: int) -> BadValue:
        value = super().__new__(cls, text)
        value.message, value.line = message, line
        return value


def bad_values(
    data: Any, loc: tuple[str | int, ...] = ()
) -> list[tuple[list[str | int], BadValue]]:
    """Where the loaded data holds values the loader could not construct."""
    found: list[tuple[list[str | int], BadValue]] = []
    if isinstance(data, BadValue):
        found.append((list(loc), data))
    elif isinstance(data, dict):
        for key, value in data.items():
            found += bad_values(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += bad_values(value, (*loc, index))
    return found


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loading that also refuses anchors, aliases and merge keys, and notes duplicate keys.

    Registries never need them, and refusing them is what stops an alias bomb: the
    document is rejected at the first reuse instead of expanding into gigabytes later.
    """

    keep_bad = False  # True: a value that cannot be constructed becomes a BadValue

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Any, int, int]] = []  # key, its line, the first one's line

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:  # only reachable again through an alias
            raise _Refused(None, None, "不允许使用 YAML 锚点和别名（& 与 *）", node.start_mark)
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            # PyYAML's own scalar constructors fail with plain exceptions on values that
            # only look like their type: 2021-13-01 (a timestamp), `!!int 十`.
            what = _TAG_NAMES.get(node.tag, "值")
            value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            message = f"「{value}」不是有效的{what}"
            if self.keep_bad and isinstance(node, yaml.ScalarNode):
                return BadValue(node.value, message, node.start_mark.line + 1)
            raise _Refused(None, None, message, node.start_mark) from None

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key, _ in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                raise _Refused(None, None, "不允许使用 YAML 合并键（<<）", key.start_mark)
        super().flatten_mapping(node)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """PyYAML's mapping, except that a key given twice is noted instead of the later value
        silently replacing the earlier (`tasks: []` appended to tasks.yaml would empty it)."""
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep)  # type: ignore[no-any-return]
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise _Refused(None, None, "映射的键不能是列表或映射", key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in first:
                self.duplicates.append((key, line, first[key]))
            else:
                first[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def read_text(path: Path) -> str:
    """Read a file as UTF-8 (a BOM is accepted); any other encoding is a Problem."""
    try:
        data = path.read_bytes()
    except OSError as exc:  # unreadable: permissions, a directory, a vanished network share
        raise YamlProblem(
            Problem(str(path), None, "", f"无法读取文件（{exc.strerror or exc}）")
        ) from None
    return decode_text(data, path)


def decode_text(data: bytes, path: Path) -> str:
    """A file's bytes as UTF-8 (a BOM is accepted); any other encoding is a Problem."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        hint = "，疑似 GBK 编码" if _decodes_as_gbk(data) else ""
        raise YamlProblem(
            Problem(str(path), line, "", f"文件不是 UTF-8 编码{hint}，请另存为 UTF-8")
        ) from None


def _decodes_as_gbk(data: bytes) -> bool:
    try:
        data.decode("gbk")
    except UnicodeDecodeError:
        return False
    return True


# What YAML accepts in a stream (YAML 1.1 "printable"); anything else is a ReaderError.
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class YamlProblem(Exception):
    """A file that cannot be parsed at all; carries the Problem to report (`problems` when a
    file has several, e.g. every duplicate key)."""

    def __init__(self, problem: Problem, *more: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.problems = [problem, *more]


class _KeepingLoader(_Loader):
    keep_bad = True


def load_yaml(path: Path, *, keep_bad: bool = False) -> Any:
    """Parse one YAML file safely; raises YamlProblem with file and line. With `keep_bad`,
    a scalar that cannot be constructed (2021-02-30) is kept as a BadValue instead, for the
    caller to report with its field (bad_values) while checking the rest."""
    return parse_yaml(read_text(path), path, keep_bad=keep_bad)


def parse_yaml(text: str, path: Path, *, keep_bad: bool = False) -> Any:
    """Parse YAML text as if it were the file `path` (what a file is about to hold)."""
    if not text.strip():
        raise YamlProblem(Problem(str(path), None, "", "文件为空"))
    loader = (_KeepingLoader if keep_bad else _Loader)(text)
    try:
        data = loader.get_single_data()
    except ReaderError:
        bad = _UNPRINTABLE.search(text)
        line = text.count("\n", 0, bad.start()) + 1 if bad else None
        code = f" U+{ord(bad.group()):04X}" if bad else ""
        raise YamlProblem(
            Problem(str(path), line, "", f"文件含有不允许的控制字符{code}，请删除")
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlProblem(Problem(str(path), line, "", _describe(exc))) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Problem(str(path), None, "", f"YAML 无法解析：{exc}")) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        found = sorted(loader.duplicates, key=lambda d: d[1])
        raise YamlProblem(*(_duplicate(path, *d) for d in found))
    if data is None:  # only comments: as empty as a file of zero bytes
        raise YamlProblem(Problem(str(path), None, "", "文件为空"))
    return data


def _duplicate(path: Path, key: Any, line: int, first: int) -> Problem:
    message = (
        f"键「{key}」重复（第 {first} 行已有）：YAML 会让后写的悄悄取代先写的，请删去或合并其中一个"
    )
    return Problem(str(path), line, "", message)


def _describe(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or ""
    if "could not determine a constructor" in problem:
        return "不允许的 YAML 标签（只接受普通数据，拒绝 !!python 等标签）"
    if isinstance(exc, _Refused):
        return problem
    for english, chinese in _SYNTAX:
        if english in problem:
            return f"YAML 语法错误：{chinese}（{problem}）"
    return f"YAML 语法错误：{exc.context + '，' if exc.context else ''}{problem}"


# PyYAML's most common complaints, with what usually causes them.
_SYNTAX = (
    (
        "mapping values are not allowed",
        "这里不能出现「键: 值」，可能是上一行缩进不对或文字中的冒号需要加引号",
    ),
    ("found character '\\t' that cannot start any token", "含有制表符，YAML 只能用空格缩进"),
    ("could not find expected ':'", "缺少冒号「:」"),
    ("did not find expected key", "缩进不对齐，或列表项前缺少「- 」"),
    ("did not find expected ',' or ']'", "方括号列表没有正确结束，缺少逗号或「]」"),
    ("did not find expected ',' or '}'", "花括号映射没有正确结束，缺少逗号或「}」"),
    ("found unexpected end of stream", "文件在引号或括号还没结束时就结束了"),
    ("found duplicate anchor", "重复的锚点"),
    ("expected <block end>, but found", "缩进不对齐"),
    ("while scanning a quoted scalar", "引号没有配对"),
)


def line_of(path: Path, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the value at `loc` (keys and list indexes), or of its nearest parent.

    Only called when reporting an error, so the happy path never pays for the marks.
    """
    try:
        node = yaml.compose(read_text(path), Loader=_BaseLoader)
    except (yaml.YAMLError, YamlProblem):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for step in loc:
        child = _child(node, step)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def compose_node(text: str) -> yaml.Node | None:
    """The node tree of YAML text, with positions (the C composer when present)."""
    node: yaml.Node | None = yaml.compose(text, Loader=_BaseLoader)
    return node


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(step):
                found: yaml.Node = value
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        item: yaml.Node = node.value[step]
        return item
    return None


class _Dumper(_BaseDumper):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True  # equal objects (one parsed date) must not become anchors the loader refuses


def dump_yaml(data: Any) -> str:
    """Readable, diff-friendly YAML: block style, Chinese unescaped, key order kept."""
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1000,
    )
    return text
