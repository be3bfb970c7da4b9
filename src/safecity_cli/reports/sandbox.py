"""Jinja with bounds: template files only from the template folders; loops, arithmetic, time and
output limited, so a hostile template fails with a message instead of taking the machine.

Imported only when a report is rendered (it imports jinja2).
"""

from __future__ import annotations

import functools
import os
import re
import stat
import time
import types
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import is_dataclass
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, TemplateNotFound, nodes
from jinja2.runtime import Macro, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The limits (README: 不可信输入). A weekly report of the district takes a few thousand steps.
SECONDS = 5.0
STEPS = 2_000_000  # loop iterations, calls, attribute look-ups and operators, per report
OUTPUT_CHARS = 20 * 1024 * 1024
TEXT_CHARS = 2 * 1024 * 1024  # one string or sequence made inside a template
INT_BITS = 4096  # about 1,200 decimal digits
RANGE_ITEMS = 10_000
ARGUMENT = 100_000  # an integer argument to a Python method
SIZE_ARGUMENT = 1_000  # a filter's width or count: center(80), indent(4), batch(3)
TEMPLATE_BYTES = 1024 * 1024
# A provincial registry's weekly report is big by right: beyond SMALL tasks the limits grow with
# the registry (which the template cannot change), per task:
SMALL = 1000
PER_TASK = {"seconds": 0.002, "steps": 100, "output": 2048, "text": 200}
_CHECK_EVERY = 1024  # steps between looks at the clock


class TemplateLimit(Exception):
    """A template went past a limit; the message is Chinese, the location is added later."""


class TemplateRefused(TemplateLimit):
    """A template name that does not lead to a regular file inside a template folder."""


class Budget:
    """Steps and seconds left for one render."""

    def __init__(self, tasks: int = 0) -> None:
        extra = max(tasks - SMALL, 0)
        self.seconds = SECONDS + extra * PER_TASK["seconds"]
        self.steps = STEPS + extra * int(PER_TASK["steps"])
        self.output = OUTPUT_CHARS + extra * int(PER_TASK["output"])
        self.text = TEXT_CHARS + extra * int(PER_TASK["text"])
        self.reset()

    def reset(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.left = self.steps
        self.made = 0

    def produced(self, value: object) -> None:
        """Text a `{{ … }}` writes: what a capture ({% set %}, a macro) holds before it is joined
        is bounded too. Captured text written again counts twice, hence the double allowance."""
        self.made += len(value) if isinstance(value, str) else 16
        if self.made > 2 * self.output:
            raise too_much_output(self.output)

    def tick(self, cost: int = 1) -> None:
        self.left -= cost
        if self.left < 0:
            raise TemplateLimit(
                f"循环或运算超过 {self.steps} 步，已停止（模板可能有过深的循环嵌套或无穷递归）"
            )
        if self.left % _CHECK_EVERY < cost and time.monotonic() > self.deadline:
            raise TemplateLimit(f"渲染超过 {self.seconds:g} 秒，已停止")


# -- files ---------------------------------------------------------------------------------------


class FolderLoader(BaseLoader):
    """Templates by name from folders, each a regular file reached without a symlink or `..`.

    `given` is the --template file: trusted as the user named it, but what it includes or
    extends is looked up like any other name.
    """

    def __init__(self, folders: Sequence[Path], given: Path | None = None) -> None:
        self.folders = list(folders)
        self.given = given

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        if self.given is not None and template == self.given.name:
            path = self.given
        else:
            path = self._find(template)
        size = path.stat().st_size
        if size > TEMPLATE_BYTES:
            raise TemplateRefused(
                f"模板文件「{template}」有 {size} 字节，超过上限 {TEMPLATE_BYTES}"
            )
        return path.read_text(encoding="utf-8"), str(path), lambda: True

    def _find(self, name: str) -> Path:
        pieces = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in pieces:
            raise TemplateRefused(
                f"不能引用「{name}」：模板只能引用模板目录中的文件（不能含 .. 或绝对路径）"
            )
        pieces = [p for p in pieces if p not in ("", ".")]
        if not pieces or any("\0" in p for p in pieces):
            raise TemplateNotFound(name)
        for folder in self.folders:
            path = folder
            for piece in pieces:
                path = path / piece
                try:
                    mode = os.lstat(path).st_mode
                except OSError:
                    break  # not in this folder
                if stat.S_ISLNK(mode):
                    raise TemplateRefused(
                        f"「{name}」是符号链接（{path}），出于安全考虑不予读取；"
                        "请把模板文件本身放进模板目录"
                    )
            else:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    raise TemplateRefused(f"「{name}」（{path}）不是普通文件，不予读取")
                return path
        raise TemplateNotFound(name)


# -- the environment -----------------------------------------------------------------------------


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set)) else 0


def _too_big(what: str, limit: int) -> TemplateLimit:
    return TemplateLimit(f"{what}超过上限（{limit} 个字符或元素），已拒绝")


def too_much_output(limit: int) -> TemplateLimit:
    return TemplateLimit(f"输出超过上限（{limit / (1024 * 1024):.0f} MB），已停止")


_WIDTH = re.compile(r"(\d{6,})|\*")  # a width or precision of six digits, or taken from an argument


def _check_format(text: str, style: str) -> None:
    """Refuse format strings that ask for huge padding ('%999999999s', '{:>999999999}')."""
    if style == "%":
        specs = re.findall(r"%[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?", text)
    else:
        specs = re.findall(r"\{[^{}]*:([^{}]*)\}", text)
    for spec in specs:
        if _WIDTH.search(spec):
            raise TemplateLimit(f"格式说明「{spec[:20]}」的宽度过大，已拒绝")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with a step budget, bounded operators, a capped `range` and guarded joins."""

    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])
    intercepted_unops = frozenset(["-", "+"])

    def __init__(self, *args: Any, budget: Budget, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget
        self._safe_names: dict[tuple[type, str], bool] = {}
        self.globals.pop("lipsum", None)  # lipsum(n=10**9) writes a book
        self.globals["range"] = self._range
        self.globals["_safecity_loop"] = self._loop
        self.globals["_safecity_concat"] = self._concat

    # compiled templates join every buffer (macros, blocks, {% set %}) through this
    def concat(self, parts: Iterable[str]) -> str:
        buffer = list(parts)
        if sum(map(len, buffer)) > self.budget.output:
            raise too_much_output(self.budget.output)
        return "".join(buffer)

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > RANGE_ITEMS:
            raise TemplateLimit(f"range 最多 {RANGE_ITEMS} 个数，这里要 {len(numbers)} 个")
        return numbers

    def _loop(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            self.budget.tick()
            yield item

    def _concat(self, *parts: Any) -> str:
        """`a ~ b`: refused before the join when the parts are too long together."""
        self.budget.tick()
        if sum(len(str(p)) for p in parts) > self.budget.text:
            raise _too_big("「~」连接的文字", self.budget.text)
        join = markup_join if self.autoescape else str_join
        return join(parts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.budget.tick()
        _check_binop(operator, left, right, self.budget.text)
        return super().call_binop(context, operator, left, right)

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        self.budget.tick()
        return super().call_unop(context, operator, arg)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget.tick()
        kind = type(obj)
        row = _ROWS.get(kind)
        if row is None:
            row = _is_row(kind)
        if row:
            # The sandbox's getattr, step for step, with its verdict on each (row type, name)
            # asked once: it depends on nothing else, and asking (a dozen ABC isinstance
            # checks) was most of the time a big report spent per cell.
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                return super().getattr(obj, attribute)
            if isinstance(value, _METHODS):
                wrapped = self.wrap_str_format(value)
                if wrapped is not None:
                    return wrapped
            safe = self._safe_names.get((kind, attribute))
            if safe is None:
                safe = self._safe_names[kind, attribute] = self.is_safe_attribute(
                    obj, attribute, value
                )
            return value if safe else self.unsafe_undefined(obj, attribute)
        if isinstance(obj, str) and attribute in ("format", "format_map"):
            _check_format(obj, "{")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.budget.tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.budget.tick()
        if isinstance(__obj, Macro):  # its own work is counted step by step, its output by concat
            return ImmutableSandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        limit = __self.budget.text
        _check_arguments(__obj, args, kwargs, limit)
        result = ImmutableSandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        if _size(result) > limit:
            raise _too_big("调用的结果", limit)
        return result

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every loop counts its iterations; every `~` checks its length before it joins."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            counted: nodes.Expr = loop.iter  # type: ignore[assignment]
            loop.iter = _global_call("_safecity_loop", [counted], loop.iter.lineno)
        for parent in [tree, *tree.find_all(nodes.Node)]:
            for field in parent.fields:
                value = getattr(parent, field, None)
                if isinstance(value, nodes.Concat):
                    setattr(parent, field, _joined(value))
                elif isinstance(value, list):
                    value[:] = [_joined(v) if isinstance(v, nodes.Concat) else v for v in value]
        tree.set_environment(self)
        return tree


_ROWS: dict[type, bool] = {}
_METHODS = (types.MethodType, types.BuiltinMethodType)  # what wrap_str_format looks at


def _is_row(kind: type) -> bool:
    """One of safecity's own dataclasses (a report's rows and figures): no subclass of a
    container, function or type, so what the sandbox allows of it follows from its type."""
    row = _ROWS[kind] = (
        is_dataclass(kind)
        and kind.__module__.startswith("safecity_cli.")
        and not issubclass(kind, (Collection, type))
        and not issubclass(kind, Callable)  # type: ignore[arg-type]  # the ABC, at run time
    )
    return row


def _global_call(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    call = nodes.Call(nodes.Name(name, "load"), args, [], None, None)
    call.set_lineno(lineno)
    return call


def _joined(concat: nodes.Concat) -> nodes.Call:
    # the same list: a Concat nested in this one is replaced in place when its turn comes
    return _global_call("_safecity_concat", concat.nodes, concat.lineno)


def _check_binop(operator: str, left: Any, right: Any, limit: int) -> None:
    for value in (left, right):
        if isinstance(value, int) and value.bit_length() > INT_BITS:
            raise TemplateLimit(f"整数超过 {INT_BITS} 位二进制数，已拒绝")
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and ints and right > 0 and abs(left) > 1:
        if (abs(left).bit_length() - 1) * right > INT_BITS:
            raise TemplateLimit(f"乘方「**」的结果超过 {INT_BITS} 位二进制数，已拒绝")
    elif operator == "*" and ints:
        if left.bit_length() + right.bit_length() > INT_BITS:
            raise TemplateLimit(f"乘法「*」的结果超过 {INT_BITS} 位二进制数，已拒绝")
    elif operator == "*":
        times, sequence = (right, left) if isinstance(right, int) else (left, right)
        if isinstance(times, int) and _size(sequence) * times > limit:
            raise _too_big("「*」重复的结果", limit)
    elif operator == "+" and _size(left) + _size(right) > limit:
        raise _too_big("「+」相加的结果", limit)
    elif operator == "%" and isinstance(left, str):
        _check_format(left, "%")


def _check_arguments(func: Any, args: Sequence[Any], kwargs: dict[str, Any], limit: int) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > ARGUMENT:
            raise TemplateLimit(f"调用的参数 {value} 超过上限 {ARGUMENT}，已拒绝")
    owner = getattr(func, "__self__", None)
    if isinstance(owner, str) and getattr(func, "__name__", "") == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        count = owner.count(old) if old else len(owner) + 1
        if len(owner) + count * max(len(new) - len(old), 0) > limit:
            raise _too_big("replace 替换的结果", limit)


# Filter parameters that size what a filter builds: (position after the value, name).
_SIZING = {
    "center": ((0, "width"),),
    "indent": ((0, "width"),),
    "batch": ((0, "linecount"),),
    "slice": ((0, "slices"),),
    "progress_bar": ((0, "width"),),
    "tojson": ((0, "indent"),),
}


def guard_filters(filters: dict[str, Any], budget: Budget) -> dict[str, Any]:
    """Every filter counts as a step; those that size their output have their sizes capped,
    and nothing a filter returns may exceed the text limit."""
    return {name: _guarded(name, func, budget) for name, func in filters.items()}


def _guarded(name: str, func: Any, budget: Budget) -> Any:
    passes = getattr(func, "jinja_pass_arg", None) is not None

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget.tick()
        rest = args[2:] if passes else args[1:]
        value = args[1] if passes and len(args) > 1 else args[0] if args else None
        for position, keyword in _SIZING.get(name, ()):
            size = kwargs.get(keyword, rest[position] if len(rest) > position else None)
            if isinstance(size, str):  # indent("…"): a prefix for every line
                size = len(size)
            if isinstance(size, int) and abs(size) > SIZE_ARGUMENT:
                raise TemplateLimit(f"过滤器 {name} 的参数 {size} 超过上限 {SIZE_ARGUMENT}，已拒绝")
        if name == "format" and isinstance(value, str):
            _check_format(value, "%")
        if name == "replace" and isinstance(value, str) and len(rest) >= 2:
            _check_arguments(value.replace, rest, {}, budget.text)
        result = func(*args, **kwargs)
        if _size(result) > budget.text:
            raise _too_big(f"过滤器 {name} 的结果", budget.text)
        return result

    return guarded
