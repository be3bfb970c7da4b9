"""What every command shares: options, error handling at one boundary, output to the terminal."""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

# Typer keeps its own copy of click from 0.26 on; pyproject.toml pins typer to match.
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer._click.types import IntParamType
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from safecity_cli.cli.help_format import SafecityContext
from safecity_cli.cli.l10n import USAGE, install
from safecity_cli.errors import ExitCode, SafecityError
from safecity_cli.render.formats import Listing, OutputFormat, render_chunks
from safecity_cli.text import printable

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.progress import Progress, TaskID

    from safecity_cli.ledger.entries import Ledger
    from safecity_cli.registry.models import Registry, Unit


_USAGE_MESSAGES = [
    (r"No such option: (\S+) \(Possible options: (.+)\)", "没有选项 {0}，是否指 {1}？"),
    (r"No such option: (\S+) Did you mean (\S+)\?", "没有选项 {0}，是否指 {1}？"),
    (r"No such option: (\S+)", "没有选项 {0}"),
    (r"No such command '(.+?)'\. Did you mean '(.+?)'\?", "没有命令「{0}」，是否指 {1}？"),
    (r"No such command '(.+?)'\.", "没有命令「{0}」"),
    (r"Missing option (.+?)\.?", "缺少必填选项 {0}"),
    (r"Missing argument (.+?)\.?", "缺少参数 {0}"),
    (r"Option (.+?) requires an argument\.", "选项 {0} 需要一个值"),
    (r"Got unexpected extra arguments? ?(?:\(s\))? \((.+)\)", "多余的参数：{0}"),
    (r"Invalid value for (.+?): '(.*?)' is not a valid int.*", "{0} 应为整数，「{1}」不是"),
    (r"Invalid value for (.+?): (.+?) is not in the range (.+)\.", "{0} 的值 {1} 超出范围 {2}"),
    (r"Invalid value for (.+?): '(.*?)' is not one of (.*)\.", "{0} 的值「{1}」无效，可选：{2}"),
    (r"Invalid value for (.+?): (.*)", "{0} 的值无效：{1}"),
]


def _chinese_usage(message: str) -> str:
    """Click's usage errors, said in Chinese (its wording is English and not translated)."""
    text = " ".join(message.split())
    for pattern, template in _USAGE_MESSAGES:
        if m := re.fullmatch(pattern, text, re.S):
            return template.format(*(g.replace("'", "").replace(", ", "、") for g in m.groups()))
    return text


_BUILTIN_HELP = {
    "Show this message and exit.": "显示此帮助并退出",
    "Install completion for the current shell.": "为当前 shell 安装命令补全",
    "Show completion for the current shell, to copy it or customize the installation.": "显示当前 shell 的补全脚本，以便复制或自定义安装",
}


class _ChineseHelpOption:
    """Typer's own options (--help, completion) and headings explain themselves in Chinese too."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE)

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "help", None) in _BUILTIN_HELP:
                param.help = _BUILTIN_HELP[param.help]
        return params


# Commands that write: they record now, so "as recorded at an earlier time" means nothing.
_RECORDING = {
    f"safecity_cli.cli.{name}"
    for name in (
        "progress.init",
        "progress.update",
        "progress.close",
        "progress.undo",
        "progress.approve",
        "progress.reject",
        "offices.git_setup",
        "offices.merge_progress",
        "exports.import_xlsx",
        "assess.record",
        "problems.add",
        "problems.update",
        "problems.close",
        "notices.reply",
    )
}
AS_RECORDED_HELP = (
    "只按此时间以前记录的进展计算（日期表示当天结束时，或 ISO 时间如 2021-03-15T18:00:00+08:00）；"
    "报告中「记录截至」的时间传回此处可重现该报告"
)
_as_recorded: list[datetime | None] = [None]  # the running command's --as-recorded


class SafecityCommand(_ChineseHelpOption, TyperCommand):
    """A command whose --help text is Chinese too; every command that reads takes
    --as-recorded (applied where the ledger is opened: `open_ledger`)."""

    context_class = SafecityContext

    def __init__(self, name: str | None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        target = inspect.unwrap(kwargs["callback"]) if kwargs.get("callback") else None
        where = f"{getattr(target, '__module__', '')}.{getattr(target, '__name__', '')}"
        if target is not None and where not in _RECORDING:
            from typer.core import TyperOption

            self.params.append(
                TyperOption(
                    param_decls=["--as-recorded", "as_recorded"],
                    type=str,
                    default=None,
                    metavar="TIME",
                    help=AS_RECORDED_HELP,
                )
            )

    def invoke(self, ctx: Any) -> Any:
        text = ctx.params.pop("as_recorded", None)
        _as_recorded[0] = parse_recorded(text) if text is not None else None
        try:
            return super().invoke(ctx)
        finally:
            _as_recorded[0] = None


def parse_recorded(text: str) -> datetime:
    """--as-recorded: a date is the end of that day in the district, a date-time as given
    (without an offset, district time)."""
    from datetime import time, timedelta

    from safecity_cli.dates import DISTRICT_ZONE, in_district, parse_date
    from safecity_cli.errors import UsageError as Refused

    cleaned = text.strip()
    if "T" in cleaned or " " in cleaned or ":" in cleaned:
        try:
            return in_district(datetime.fromisoformat(cleaned.replace(" ", "T", 1)))
        except ValueError:
            raise Refused(
                f"--as-recorded 的值「{text}」不是有效的时间；应为日期（如 2021-03-15）"
                "或 ISO 时间（如 2021-03-15T18:00:00+08:00）"
            ) from None
    from safecity_cli.cli import clock

    day = parse_date(cleaned, clock.today(), option="--as-recorded 日期")
    end = datetime.combine(day + timedelta(days=1), time(), DISTRICT_ZONE)
    return end - timedelta(microseconds=1)


def as_recorded() -> datetime | None:
    """The running command's --as-recorded moment, if it was given."""
    return _as_recorded[0]


def recorded_through(ledger: Ledger, registry: Registry) -> str:
    """The stamp a report prints (记录截至): --as-recorded if given, else the newest record's
    time; passed back as --as-recorded it gives the same report. With nothing recorded, the
    moment before the program's first day: no entry can be recorded earlier (its date may not
    be later than the day it is recorded), and unlike the clock it gives the same text on
    every run."""
    from datetime import time, timedelta

    from safecity_cli.dates import DISTRICT_ZONE

    moment = as_recorded() or ledger.newest_recorded()
    if moment is None:
        start = datetime.combine(registry.program.start, time(), DISTRICT_ZONE)
        moment = start - timedelta(microseconds=1)
    return moment.astimezone(DISTRICT_ZONE).isoformat(timespec="microseconds")


class SafecityGroup(_ChineseHelpOption, TyperGroup):
    """Turns safecity's own errors into Chinese lines on stderr and an exit code, never a traceback."""

    context_class = SafecityContext

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SafecityError as exc:
            for line in exc.lines():
                note(line)
            raise typer.Exit(int(exc.exit_code)) from None
        except NoArgsIsHelpError as exc:  # a command group given no command: show its help
            sys.stderr.write(exc.ctx.get_help() + "\n")
            raise typer.Exit(ExitCode.USAGE_ERROR) from None
        except UsageError as exc:  # the command line itself: say it in Chinese
            note(f"错误：{_chinese_usage(exc.format_message())}")
            where = exc.ctx.command_path if exc.ctx is not None else "safecity"
            note(f"用 {where} -h 查看用法和示例")
            raise typer.Exit(ExitCode.USAGE_ERROR) from None
        except KeyboardInterrupt:
            note("已中断")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except OSError as exc:  # a full disk, a file open in another program, no permission
            where = f"：{exc.filename}" if exc.filename else ""
            note(f"错误：文件读写失败（{exc.strerror or exc}）{where}；已有数据未被改动")
            raise typer.Exit(ExitCode.DATA_ERROR) from None
        except typer.Abort:  # a prompt that got no answer (end of input, Ctrl-D)
            note("已取消，未做任何改动")
            raise typer.Exit(ExitCode.DATA_ERROR) from None
        except (typer.Exit, TyperException):
            raise  # Typer's own flow: exits, aborts and the usage errors it reports itself
        except Exception as exc:
            if os.environ.get("SAFECITY_DEBUG"):
                raise
            note(
                f"错误：safecity 内部错误（{type(exc).__name__}：{exc}）。请把所用命令和这条信息"
                "告知维护人员；设置环境变量 SAFECITY_DEBUG=1 可看到详细信息"
            )
            raise typer.Exit(ExitCode.DATA_ERROR) from None


def note(message: str) -> None:
    sys.stderr.write(f"{printable(message)}\n")  # an error may quote stored or typed text


install()


def new_app(help_text: str, **kwargs: Any) -> typer.Typer:
    """A Typer app (or sub-app) with Chinese help and errors; register commands with
    `command(app, name)` so their --help is Chinese as well."""
    return typer.Typer(
        help=help_text,
        cls=SafecityGroup,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        **kwargs,
    )


def command(app: typer.Typer, name: str) -> Any:
    """Register a command on `app` with Chinese help and error handling."""
    return app.command(name, cls=SafecityCommand)


DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="登记册目录（默认：环境变量 SAFECITY_DATA，否则为内置登记册）",
        show_default=False,
        metavar="DIR",
    ),
]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="按此日期计算状态：2021-01-01、2021/1/1、2021年1月1日 或 today（默认今天）",
        show_default=False,
        metavar="DATE",
    ),
]


def _completion_registry(ctx: typer.Context) -> Registry | None:
    """The registry the command line being completed names, if it loads (never an error)."""
    from safecity_cli.cache import load
    from safecity_cli.registry.layout import data_dir

    option = ctx.params.get("data")
    try:
        return load(data_dir(Path(option) if option else None))
    except Exception:  # a shell completing a half-typed line must never see an error
        return None


def complete_unit(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Unit names and aliases that contain what has been typed, for the shell's completion."""
    registry = _completion_registry(ctx)
    if registry is None:
        return []
    names = [(n, u.name) for u in registry.units for n in (u.name, *u.aliases)]
    return [(n, "" if n == owner else owner) for n, owner in names if incomplete in n]


def complete_status(incomplete: str) -> list[str]:
    from safecity_cli.ledger.entries import Status

    return [s.value for s in Status if s.value.startswith(incomplete)]


def complete_task(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Task ids (27) and 日程 ids (S12) that start with what has been typed, each with the
    start of its text."""
    registry = _completion_registry(ctx)
    if registry is None:
        return []
    found = [(str(t.id), t.text[:20]) for t in registry.tasks]
    found += [(i.key, i.text[:20]) for i in registry.items]
    return [(key, text) for key, text in found if key.upper().startswith(incomplete.upper())]


UnitOpt = Annotated[
    str | None,
    typer.Option(
        "--unit",
        "-u",
        help="责任单位：全称、别名或能唯一确定的简称（如 住建）",
        show_default=False,
        metavar="UNIT",
        autocompletion=complete_unit,
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="输出格式：table（默认，终端表格）、json、csv、md",
        case_sensitive=False,
        show_default=False,
    ),
]
WorkdaysOpt = Annotated[
    bool,
    typer.Option("--workdays", help="逾期天数、剩余天数按法定工作日计算（含调休）"),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="不使用缓存，直接读取 YAML")]
DistrictOpt = Annotated[
    str | None,
    typer.Option(
        "--district",
        help="只看汇总登记册（rollup.yaml）中的这个区县",
        show_default=False,
        metavar="NAME",
    ),
]


class _TaskRef(IntParamType):
    """A task number, or a 日程 item as S12; on a roll-up also 临潼区:27, kept as text (the
    district is checked later)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if not isinstance(value, str) or value.strip().isdigit():
            return super().convert(value, param, ctx)
        return value.strip()  # an item, a district's task, or a mistake resolve_target explains


TaskRefArg = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="任务序号（如 27）或日程序号（如 S12）；汇总登记册中写作 区县:序号，如 临潼区:27",
        click_type=_TaskRef(),
        autocompletion=complete_task,
    ),
]


def task_number(ref: int | str) -> int | str:
    """A task or 日程 item of a single registry: 临潼区:27 belongs to a roll-up."""
    if isinstance(ref, int) or not (":" in ref or "：" in ref):
        return ref
    from safecity_cli.errors import UsageError as Refused

    raise Refused(
        f"「{ref}」带有区县名，只能用于汇总登记册（含 rollup.yaml 的目录）；本登记册的任务只写序号"
    )


def district_ref(ref: int | str, district: str | None) -> str:
    """A roll-up's task as 区县:序号; `show 27 --district 临潼区` says the same."""
    if isinstance(ref, int):
        return f"{district}:{ref}" if district else str(ref)
    return ref


def as_of(text: str | None, option: str = "--date") -> date:
    from safecity_cli.cli import clock
    from safecity_cli.dates import parse_date

    day = clock.today()
    return day if text is None else parse_date(text, day, option=f"{option} 日期")


_Loaded = TypeVar("_Loaded")


def open_registry(data: Path | None, *, no_cache: bool = False) -> Registry:
    from safecity_cli.cache import gc_paused, load
    from safecity_cli.registry.layout import data_dir

    path = data_dir(data)
    refuse_rollup(path)
    with gc_paused():
        return _settled(load(path, use_cache=not no_cache, progress=working))


def _settled(loaded: _Loaded) -> _Loaded:
    """What was just loaded lives until the command ends: the collector need not walk it
    again (at 100k tasks each full collection walked them all, a third of a query), and
    the states a command derives from it make no cycles worth collecting often. Called
    with the collector paused: resumed first, it would walk everything just loaded once."""
    import gc

    gc.freeze()
    gc.set_threshold(200_000, 50, 1000)
    return loaded


def refuse_rollup(path: Path) -> None:
    """A roll-up only answers queries: recording and the other commands go to a district."""
    from safecity_cli.registry.layout import ROLLUP_FILE, is_rollup

    if not is_rollup(path):
        return
    from safecity_cli.errors import SafecityError
    from safecity_cli.rollup import read_rollup

    districts = read_rollup(path)
    shown = "；".join(f"{d.name}：--data {d.path}" for d in districts[:3])
    more = f"；等 {len(districts)} 个区县" if len(districts) > 3 else ""
    raise SafecityError(
        f"{path} 是汇总登记册（{ROLLUP_FILE}），只能用于查询（list、overdue、due、units、stats、"
        f"show、history、validate、report weekly、export xlsx）；记录进展等请用 --data 指向区县自己的登记册（{shown}{more}）"
    )


def open_rollup(data: Path | None, district: str | None) -> tuple[Path, list[Any]] | None:
    """The roll-up's folder and districts (only the one --district names), or None when
    --data is a single registry (where --district is refused)."""
    from safecity_cli.registry.layout import data_dir, is_rollup

    path = data_dir(data)
    if not is_rollup(path):
        if district is not None:
            from safecity_cli.errors import UsageError

            raise UsageError("--district 只能用于汇总登记册（含 rollup.yaml 的目录）")
        return None
    from safecity_cli.rollup import pick, read_rollup

    return path, pick(path, read_rollup(path), district)


def open_ledger(registry: Registry, *, no_cache: bool = False) -> Ledger:
    """The registry's ledger, as recorded by --as-recorded when the command was given it."""
    from safecity_cli.cache import gc_paused, load_ledger

    with gc_paused():
        return _recorded(_settled(load_ledger(registry, use_cache=not no_cache)))


def _recorded(ledger: Ledger) -> Ledger:
    moment = as_recorded()
    return ledger if moment is None else ledger.as_recorded(moment)


def open_tasks(
    data: Path | None,
    *,
    no_cache: bool = False,
    unit: str | None = None,
    **wanted: Any,
) -> tuple[Registry, Unit | None, Ledger]:
    """What an answer about some tasks needs: the registry, the unit --unit names, and the
    ledger. With the cache, from the index (index_db) and holding only the tasks that
    `Wanted(unit, **wanted)` may need and their entries; else, or when that is every task,
    the whole registry."""
    from safecity_cli.registry.layout import data_dir

    path = data_dir(data)
    refuse_rollup(path)
    if not no_cache:
        from safecity_cli.cache import gc_paused
        from safecity_cli.index_db import Wanted, open_index

        index = open_index(path, progress=working)
        if index is not None:
            # Settled before the collector resumes: else its first pass walks every row just
            # decoded (at 100k tasks, 27k tasks and their entries), only to keep them all.
            with index, gc_paused():
                who = find_unit(index.registry, unit)
                found = index.answer(Wanted(unit=who, **wanted))
                if found is not None:
                    registry, ledger = _settled(found)
                    return registry, who, _recorded(ledger)
    registry = open_registry(data, no_cache=no_cache)
    return registry, find_unit(registry, unit), open_ledger(registry, no_cache=no_cache)


def working(description: str) -> AbstractContextManager[object]:
    """A progress display on stderr (only on a terminal) for work of unknown length."""
    if not sys.stderr.isatty():
        return nullcontext()
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    progress.add_task(description, total=None)
    return progress


class _DelayedBar:
    """Progress on stderr that shows itself only once a job has run longer than `delay` seconds."""

    def __init__(self, label: str, delay: float) -> None:
        from time import monotonic

        self.label, self.delay, self.started = label, delay, monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        from time import monotonic

        if self.bar is None:
            if monotonic() - self.started < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn(self.label),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        assert self.task is not None
        self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def progress_bar(label: str, delay: float = 0.5) -> Iterator[Callable[[int, int], None]]:
    """A progress bar (done, total) for long work, on a terminal only; scripts see nothing."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    bar = _DelayedBar(label, delay)
    try:
        yield bar
    finally:
        bar.stop()


def find_unit(registry: Registry, text: str | None) -> Unit | None:
    from safecity_cli.registry.units import resolve_unit

    return resolve_unit(registry, text) if text is not None else None


def terminal_width() -> int | None:
    """The width tables are laid out for: the terminal's own, else $COLUMNS (default 100)."""
    return None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "100") or 100)


def show(renderable: RenderableType) -> None:
    """Something Rich draws (a table, a task's detail), on stdout; colour only on a terminal."""
    from safecity_cli.render.formats import render_rich

    color = sys.stdout.isatty()
    write(render_rich(renderable, width=terminal_width(), color=color), styles=color)


LARGE_TABLE = 500  # rows; beyond this a Rich table costs seconds and no one reads it as a table


def emit(listing: Listing, fmt: OutputFormat) -> None:
    """Data to stdout; an empty result says so on stderr and is still a success."""
    if not listing.rows:
        note(listing.empty)
        if fmt is OutputFormat.TABLE:
            return
    if fmt is OutputFormat.TABLE and not tables_wanted():
        from safecity_cli.render.formats import tsv_chunks

        for chunk in tsv_chunks(listing):  # a pipe or a file: rows to read, as gh prints them
            write(chunk)
        return
    if fmt is OutputFormat.TABLE and len(listing.rows) > LARGE_TABLE:
        from safecity_cli.render.formats import tsv_chunks

        note(
            f"{listing.caption}；超过 {LARGE_TABLE} 行，按行输出制表符分隔的文本"
            "（需要表格文件请用 --format csv）"
        )
        for chunk in tsv_chunks(listing):
            write(chunk)
        return
    color = sys.stdout.isatty()
    # In pieces of whole lines: 100k rows of CSV are never all held as text at once.
    for text in render_chunks(listing, fmt, width=terminal_width(), color=color):
        write(text, styles=color and fmt is OutputFormat.TABLE)


ENV_FORCE_TABLE = "SAFECITY_FORCE_TABLE"


def tables_wanted() -> bool:
    """Whether `--format table` draws a table: on a terminal, or when SAFECITY_FORCE_TABLE=1
    asks for one anyway (tests, a pager); otherwise it prints tab-separated rows."""
    return sys.stdout.isatty() or os.environ.get(ENV_FORCE_TABLE, "") not in ("", "0")


def write(text: str, *, styles: bool = False) -> None:
    """Text to stdout; controls from stored text are shown as U+FFFD, never obeyed. With
    `styles`, the colour codes Rich drew (ESC [ … m) are kept, and no other sequence."""
    try:
        sys.stdout.write(printable(text, styles=styles))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader had enough (`| head`): no error, as when the whole text went in one write.
        # What is still buffered goes nowhere, so that exiting does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


def write_bytes(data: bytes) -> None:
    """A binary document (a .docx) to a redirected stdout."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def deliver(content: str | bytes, output: Path | None, what: str) -> None:
    """The one way output leaves a command: stdout without a file (or with -), else `save`.

    Bytes that are text (a calendar) are shown as text; a binary document (a .docx) goes to
    stdout only when it is redirected, never onto a terminal."""
    if output is not None and str(output) != "-":
        save(output, content, what)
        return
    if isinstance(content, str):
        write(content)
        return
    try:
        write(content.decode("utf-8"))
    except UnicodeDecodeError:
        if stdout_is_terminal():
            from safecity_cli.errors import UsageError as Refused

            raise Refused(
                "Word 文档不能显示在屏幕上：请用 -o 指定文件（如 -o 周报.docx），"
                "或重定向到文件（> 周报.docx）"
            ) from None
        write_bytes(content)


def save(path: Path, content: str | bytes, what: str) -> None:
    """The file written atomically (all or nothing), and one line on stderr saying what it holds."""
    from safecity_cli.files import save_output

    save_output(path, content)
    note(f"已写入 {path}：{what}")
