"""What every export shares: file names, atomic writing, the registry's identity, and the dumps."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from safecity_cli.dates import chinese_date
from safecity_cli.errors import UsageError
from safecity_cli.ledger import Entry, Ledger
from safecity_cli.listings import task_listing
from safecity_cli.models import Registry, ScheduleItem, Unit
from safecity_cli.output import OutputFormat, render
from safecity_cli.query import TaskFilter, select_tasks
from safecity_cli.status import expand

# Called as work goes on with (done, total); the CLI turns it into a progress bar.
ProgressFn = Callable[[int, int], None]

_UNSAFE = set('/\\:*?"<>|')


def registry_key(registry: Registry) -> str:
    """A short, stable identity of a registry (its program name and start date).

    It names calendar events and marks fillable workbooks, so it must not depend on where
    the registry directory happens to live.
    """
    seed = f"{registry.program.name}|{registry.program.start.isoformat()}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:12]


def safe_name(text: str) -> str:
    """Text usable in a file name on Windows, macOS and Linux."""
    return "".join("_" if c in _UNSAFE or ord(c) < 32 else c for c in text).strip() or "_"


def default_name(kind: str, on: date | None, unit: Unit | None, suffix: str) -> str:
    """工作台账_区住建局_2021-03-01.xlsx and the like."""
    parts = [kind]
    if unit is not None:
        parts.append(safe_name(unit.name))
    if on is not None:
        parts.append(on.isoformat())
    return "_".join(parts) + suffix


def item_applies(registry: Registry, item: ScheduleItem, unit: Unit) -> bool:
    """Whether a 日程 item names the unit, a group it belongs to, or (for a group) a member."""
    mine = {unit.name, *expand(registry, unit)}
    for name in item.units:
        named = registry.unit(name)
        if named is not None and mine & {name, *expand(registry, named)}:
            return True
    return False


def latest_progress(entry: Entry | None) -> str | None:
    """2021年3月1日 区住建局：已完成初稿."""
    if entry is None:
        return None
    who = entry.unit or "创建办"
    return f"{chinese_date(entry.date)} {who}：{entry.note or entry.status.value}"


def write_file(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, then rename: never a half file.

    UsageError (in Chinese) when the folder is missing or the file cannot be replaced,
    e.g. because Excel or WPS has it open.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"输出目录不存在：{folder}")
    if path.is_dir():
        raise UsageError(f"输出路径是一个目录，请写出文件名：{path}")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"无法写入文件 {path}：{exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _file_mode(path))  # mkstemp makes it private; a shared export should not be
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(
            f"无法写入文件 {path}：{exc.strerror or exc}（如该文件已在 Excel 或 WPS 中打开，请先关闭）"
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_mode(path: Path) -> int:
    """The mode a new file gets under the user's umask, or the mode of the file it replaces."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# -- dumps: the JSON and CSV contract of `list` -------------------------------------------------


@dataclass(frozen=True)
class Dump:
    text: str
    tasks: int


def dump_tasks(
    registry: Registry, ledger: Ledger, on: date, fmt: OutputFormat, unit: Unit | None = None
) -> Dump:
    """Every task (or a unit's) with its status as of `on`, exactly as `list --format` prints it."""
    if fmt not in (OutputFormat.JSON, OutputFormat.CSV):
        raise ValueError(fmt)
    states = select_tasks(registry, ledger, on, TaskFilter(unit=unit))
    title = f"{unit.name}的任务" if unit else "任务清单"
    listing = task_listing(registry, states, title=title, unit=unit)
    return Dump(render(listing, fmt), len(states))
