"""Render report contexts through Jinja templates: strict, Markdown- or HTML-escaped, and
sandboxed whenever a template is not one of the packaged ones.

jinja2 is imported only inside the functions here, so commands that print no report do not
pay for it at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from safecity_cli.dates import chinese_date
from safecity_cli.errors import TemplateError, UsageError
from safecity_cli.registry.layout import embedded_templates_dir
from safecity_cli.render.formats import escape_markdown
from safecity_cli.text import printable

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES_DIR = "templates"  # DATA/templates/ overrides a default template of the same name


class ReportFormat(str, Enum):
    MD = "md"
    HTML = "html"
    DOCX = "docx"  # made from the Markdown rendering: GB/T 9704 layout, see reports/docx.py

    @property
    def binary(self) -> bool:
        return self is ReportFormat.DOCX

    @property
    def template_format(self) -> ReportFormat:
        """The templates a format is rendered from: a Word document from the Markdown ones."""
        return ReportFormat.MD if self is ReportFormat.DOCX else self


# What each file extension of an output file means; any other extension is refused.
EXTENSIONS = {
    ".md": ReportFormat.MD,
    ".markdown": ReportFormat.MD,
    ".txt": ReportFormat.MD,
    ".html": ReportFormat.HTML,
    ".htm": ReportFormat.HTML,
    ".docx": ReportFormat.DOCX,
}
WRITABLE = "、".join(EXTENSIONS)
# Extensions people try, with what to do instead.
_INSTEAD = {
    ".doc": "Word 文档请用 .docx，Word 2007 及以后的版本和 WPS 均可打开",
    ".pdf": "PDF 请生成 .html 后在浏览器中打印为 PDF，或生成 .docx 后在 Word、WPS 中另存为 PDF",
    ".odt": "请用 .docx，LibreOffice 可直接打开",
    ".rtf": "请用 .docx",
    ".wps": "请用 .docx，WPS 可直接打开",
}


def template_name(kind: str, fmt: ReportFormat) -> str:
    """weekly + md -> weekly.md.j2 (a Word document is made from weekly.md.j2 too)."""
    return f"{kind}.{fmt.template_format.value}.j2"


def output_format(path: Path) -> ReportFormat | None:
    """The format an output file's extension asks for; None without an extension.
    UsageError for an extension safecity cannot write, with the list of those it can."""
    suffix = path.suffix.lower()
    if not suffix:
        return None
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    hint = _INSTEAD.get(suffix)
    raise UsageError(
        f"不能生成 {suffix} 文件：{path}；报告可写为 {WRITABLE}" + (f"（{hint}）" if hint else "")
    )


def guess_format(fmt: ReportFormat | None, *paths: Path | None) -> ReportFormat:
    """--format when given, else HTML when the output file or the template is HTML, else md."""
    if fmt is not None:
        return fmt
    for path in paths:
        if path is not None and re.search(r"\.html?(\.j2)?$", path.name, re.IGNORECASE):
            return ReportFormat.HTML
    return ReportFormat.MD


# -- filters -----------------------------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(number: int) -> str:
    """1 -> 一, 12 -> 十二, 40 -> 四十 (Arabic digits from 100 on)."""
    if not 0 <= number < 100:
        return str(number)
    if number < 10:
        return _DIGITS[number]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def section_number(number: int) -> str:
    """一、 as official documents number first-level headings."""
    return f"{chinese_numeral(number)}、"


def subsection_number(number: int) -> str:
    """（一） for second-level headings."""
    return f"（{chinese_numeral(number)}）"


def issue_number(number: int | None) -> str:
    """第3期; before the program's first week there is no issue yet."""
    return f"第{number}期" if number is not None and number > 0 else "启动前"


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def progress_bar(rate: float, width: int = 10) -> str:
    """A text bar that reads in any Markdown viewer: ███░░░░░░░ (never full before 100%)."""
    filled = int(rate * width + 0.5)
    if 0 < rate < 1:
        filled = min(max(filled, 1), width - 1)
    return "█" * filled + "░" * (width - filled)


def brief(text: str, length: int = 24) -> str:
    """The start of a long text, with an ellipsis when cut."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def _mermaid(value: Any) -> Any:
    """A label inside a Mermaid block: no characters its grammar would read."""
    from markupsafe import Markup

    text = " ".join(str(value).split())
    for plain, wide in ((":", "："), (";", "；"), ("#", "＃"), ("`", "'"), ("%", "％")):
        text = text.replace(plain, wide)
    return Markup(text)


def _nl2br(value: Any) -> Any:
    """HTML text with line breaks kept."""
    from markupsafe import Markup, escape

    lines = str(value).replace("\r\n", "\n").strip("\n").split("\n")
    return Markup("<br>").join(escape(line) for line in lines)


def _css_string(value: Any) -> Any:
    """Text inside a CSS string in a <style> element, where HTML entities are not read:
    the plain text (an HTML-escaped block unescaped), quotes, backslashes and < escaped."""
    from markupsafe import Markup

    text = value.unescape() if isinstance(value, Markup) else str(value)
    text = " ".join(text.split())
    for char in ("\\", '"', "<", ">", "&"):
        text = text.replace(char, f"\\{ord(char):x} ")
    return Markup(text)


def _iso(day: date) -> str:
    return day.isoformat()


def points(value: float | None) -> str:
    """Points as the 评价细则 writes them: 2, 0.5 (— where none is given)."""
    return "—" if value is None else f"{round(value, 2):g}"


FILTERS = {
    "chinese_date": chinese_date,
    "chinese_numeral": chinese_numeral,
    "section_number": section_number,
    "subsection_number": subsection_number,
    "issue_number": issue_number,
    "percent": percent,
    "progress_bar": progress_bar,
    "brief": brief,
    "iso": _iso,
    "points": points,
}


# -- the environment ---------------------------------------------------------------------------


class Renderer:
    """Templates for one format: `--template`, then DATA/templates/, then the packaged ones."""

    def __init__(
        self,
        fmt: ReportFormat,
        *,
        template: Path | None = None,
        data_dir: Path | None = None,
        recorded_through: str = "",
        tasks: int = 0,
    ) -> None:
        """`tasks`: the registry's size, from which the render limits grow (reports/sandbox.py)."""
        if template is not None and not template.is_file():
            raise UsageError(f"模板文件不存在：{template}")
        self.fmt = fmt
        self.recorded_through = recorded_through  # 记录截至: the --as-recorded that reproduces it
        self.template = template
        self.tasks = tasks
        overrides = [
            *([template.parent] if template is not None else []),
            *(
                [data_dir / TEMPLATES_DIR]
                if data_dir and (data_dir / TEMPLATES_DIR).is_dir()
                else []
            ),
        ]
        self.search = [*overrides, embedded_templates_dir()]
        # Only the packaged templates, ours as much as the code is, render outside the sandbox:
        # with --template or a DATA/templates/ folder any template a report loads may be a user's.
        self.trusted = not overrides
        self._env: Environment | None = None
        self._budget: Any = None

    @property
    def env(self) -> Environment:
        if self._env is None:
            if self.trusted:
                self._env = _packaged_environment(self.fmt.template_format)
            else:
                from safecity_cli.reports.sandbox import Budget

                self._budget = Budget(self.tasks)
                self._env = _environment(
                    self.fmt.template_format, self.search, self.template, self._budget
                )
        return self._env

    def render(self, kind: str, context: object) -> str:
        """The report text; TemplateError with the template's name and line when it breaks."""
        from jinja2 import TemplateNotFound, TemplateSyntaxError

        from safecity_cli.reports.sandbox import TemplateLimit, too_much_output

        name = self.template.name if self.template is not None else template_name(kind, self.fmt)
        variables = {"recorded_through": self.recorded_through, **_variables(context)}
        try:
            env = self.env
            if self._budget is None:
                text = env.get_template(name).render(variables)
            else:
                self._budget.reset()
                parts: list[str] = []
                keep, size, limit = parts.append, 0, self._budget.output
                for part in env.get_template(name).generate(variables):
                    size += len(part)
                    if size > limit:
                        raise too_much_output(limit)
                    keep(part)
                text = "".join(parts)
        except TemplateLimit as exc:
            located = _template_frame(exc.__traceback__)
            where = self._where(*located) if located else f"模板 {name}"
            raise TemplateError(f"{where}：{exc}") from None
        except (RecursionError, MemoryError) as exc:
            located = _template_frame(exc.__traceback__)
            where = self._where(*located) if located else f"模板 {name}"
            what = "嵌套或递归过深" if isinstance(exc, RecursionError) else "内存不足"
            raise TemplateError(f"{where}：{what}，已停止") from None
        except TemplateSyntaxError as exc:
            where = self._where(exc.filename or exc.name or name, exc.lineno)
            raise TemplateError(f"{where}：语法错误：{_syntax(exc.message or '')}") from None
        except TemplateNotFound as exc:
            located = _template_frame(exc.__traceback__)
            if located is None:
                folders = "、".join(str(p) for p in self.search)
                raise TemplateError(f"找不到模板「{exc.name}」（查找位置：{folders}）") from None
            raise TemplateError(
                f"{self._where(*located)}：找不到被引用的模板「{exc.name}」"
            ) from None
        except Exception as exc:  # a user's template may fail in any way; never a traceback
            located = _template_frame(exc.__traceback__)
            where = self._where(*located) if located else f"模板 {name}"
            raise TemplateError(f"{where}：{_describe(exc)}") from None
        # Stored notes may hold control characters: no report (Markdown, HTML, Word's XML) does.
        return printable(_tidy(text, self.fmt.template_format))

    def document(self, kind: str, context: object) -> str | bytes:
        """The report in the renderer's format: text, or a Word document's bytes."""
        text = self.render(kind, context)
        if self.fmt is not ReportFormat.DOCX:
            return text
        from safecity_cli.reports.docx import markdown_to_docx

        return markdown_to_docx(text)

    def _where(self, filename: str, line: int | None) -> str:
        shown = filename
        packaged = embedded_templates_dir().resolve()
        path = Path(filename)
        if path.is_absolute() and path.resolve().parent == packaged:
            shown = path.name  # a packaged template: its name says enough
        return f"模板 {shown}" + (f" 第 {line} 行" if line else "")


# The settings every template renders with, sandboxed or not: the same text either way.
_OPTIONS: dict[str, Any] = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "auto_reload": False,
}


def _environment(
    fmt: ReportFormat, search: list[Path], given: Path | None, budget: Any
) -> Environment:
    """The sandbox, for templates any of which may be a user's (README: 不可信输入)."""
    from jinja2 import StrictUndefined

    from safecity_cli.reports.sandbox import BoundedEnvironment, FolderLoader, guard_filters

    def counted(value: Any) -> None:
        budget.produced(value)  # counted even when captured by {% set %} or a macro

    env = BoundedEnvironment(
        budget=budget,
        loader=FolderLoader(search, given),
        undefined=StrictUndefined,
        autoescape=fmt is ReportFormat.HTML,
        finalize=_finalize(fmt, counted),
        **_OPTIONS,
    )
    env.filters.update(_filters())
    env.filters = guard_filters(env.filters, budget)
    return env


_PACKAGED: dict[ReportFormat, Environment] = {}


def _packaged_environment(fmt: ReportFormat) -> Environment:
    """Plain Jinja for the packaged templates alone: no step, time or output accounting,
    which a big report paid for on every cell. Compiled templates are kept for the process."""
    env = _PACKAGED.get(fmt)
    if env is None:
        from jinja2 import Environment, StrictUndefined

        from safecity_cli.reports.sandbox import FolderLoader

        env = _PACKAGED[fmt] = Environment(
            loader=FolderLoader([embedded_templates_dir()]),
            undefined=StrictUndefined,
            autoescape=fmt is ReportFormat.HTML,
            finalize=_finalize(fmt, None),
            **_OPTIONS,
        )
        env.filters.update(_filters())
    return env


_ESCAPED_KEPT = 200_000  # distinct texts whose Markdown escape is remembered


def _finalize(fmt: ReportFormat, counted: Callable[[Any], None] | None) -> Callable[[Any], Any]:
    """What `{{ … }}` writes: — for None, and in Markdown the text escaped (Markdown's
    autoescape); `counted` sees each value first."""
    from markupsafe import Markup

    markdown = fmt is ReportFormat.MD
    # The same texts come again and again (a task's text in each unit's book, a deadline or a
    # status in many rows): each is escaped once.
    escaped: dict[str, str] = {}

    def finalize(value: Any) -> Any:
        if value is None:
            return "—"
        if counted is not None:
            counted(value)
        kind = type(value)
        if kind is int or not markdown:  # most cells of a big report: nothing to escape
            return value
        if kind is str:
            text = escaped.get(value)
            if text is None:
                if len(escaped) >= _ESCAPED_KEPT:
                    escaped.clear()
                text = escaped[value] = escape_markdown(value)
            return text
        return value if isinstance(value, Markup) else escape_markdown(value)

    return finalize


def _filters() -> dict[str, Any]:
    from markupsafe import Markup

    return {
        **FILTERS,
        "mermaid": _mermaid,
        "nl2br": _nl2br,
        "css_string": _css_string,
        "md": lambda v: Markup(escape_markdown(v)),
    }


def _variables(context: object) -> dict[str, Any]:
    """A report dataclass's fields (and properties) become the template's top-level names."""
    if isinstance(context, Mapping):
        return dict(context)
    if is_dataclass(context) and not isinstance(context, type):
        names = [f.name for f in fields(context)]
        names += [
            name
            for name, value in vars(type(context)).items()
            if isinstance(value, property) and not name.startswith("_")
        ]
        return {name: getattr(context, name) for name in names}
    raise TypeError(f"report context must be a dataclass or a mapping, not {type(context)}")


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost template frame (file, line) of a traceback Jinja has rewritten."""
    found = None
    while tb is not None:
        scope = tb.tb_frame.f_globals
        if "__jinja_exception__" in scope:
            found = (str(scope.get("__file__", "")), tb.tb_lineno)
        tb = tb.tb_next
    return found


# Jinja's commonest syntax complaints, with what usually causes them (original kept after).
_SYNTAX = (
    ("Unexpected end of template", "模板意外结束，可能缺少 {% endif %} 或 {% endfor %}"),
    ("Expected an expression", "此处缺少表达式"),
    ("Encountered unknown tag", "未知的标签"),
    ("unexpected '}'", "多余的「}」"),
    ("unexpected end of template", "模板意外结束"),
    ("expected token", "表达式写法有误"),
)


def _syntax(message: str) -> str:
    for english, chinese in _SYNTAX:
        if message.startswith(english) or english in message:
            return f"{chinese}（{message}）"
    return message


_UNDEFINED = re.compile(r"^'([^']+)' is undefined$")
_NO_ATTRIBUTE = re.compile(r"^'(.+)' has no attribute '([^']+)'$")


def _describe(exc: Exception) -> str:
    from jinja2 import UndefinedError
    from jinja2.exceptions import SecurityError

    message = str(exc)
    if isinstance(exc, SecurityError):
        return f"模板不能访问此属性或方法（{message}）"
    if isinstance(exc, UndefinedError):
        if m := _UNDEFINED.match(message):
            return f"变量「{m[1]}」未定义"
        if m := _NO_ATTRIBUTE.match(message):
            owner = m[1].removesuffix(" object").rsplit(".", 1)[-1]
            return f"「{owner}」没有属性「{m[2]}」"
        return f"取值未定义（{message}）"
    return f"渲染出错（{type(exc).__name__}: {message}）"


def _tidy(text: str, fmt: ReportFormat) -> str:
    """One trailing newline; in Markdown no trailing spaces and no runs of blank lines."""
    if fmt is ReportFormat.MD:
        lines = [line.rstrip() for line in text.split("\n")]
        kept: list[str] = []
        for line in lines:
            if line or (kept and kept[-1]):
                kept.append(line)
        text = "\n".join(kept)
    return text.strip("\n") + "\n"
