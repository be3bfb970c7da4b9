"""Writing files so that a crash, a full disk or a locked file never leaves half of one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from safecity_cli.errors import SafecityError, UsageError

_UNSAFE = set('/\\:*?"<>|')


def safe_name(text: str) -> str:
    """Text usable in a file name on Windows, macOS and Linux."""
    return "".join("_" if c in _UNSAFE or ord(c) < 32 else c for c in text).strip() or "_"


def write_all_atomic(contents: Mapping[Path, str | bytes]) -> None:
    """Write several files so that either all change or none: every temporary file is
    written and synced before the first rename."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in contents.items():
            staged.append((_stage(path, data), path))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    for folder in {path.parent for path in contents}:
        _fsync_dir(folder)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write through a temporary file, fsync, then rename: a crash leaves the old file whole."""
    write_all_atomic({path: data})


def save_output(path: Path, data: str | bytes) -> None:
    """A report or export the user asked for, with Chinese errors: UsageError for a place
    that cannot be written to, SafecityError when writing fails (e.g. Excel has it open)."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"输出路径是一个目录，请写出文件名：{path}")
    if not folder.is_dir():
        raise UsageError(f"输出目录不存在：{folder}")
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise SafecityError(
            f"无法写入文件 {path}：{exc.strerror or exc}（如该文件已在 Excel 或 WPS 中打开，请先关闭）"
        ) from None


def stage(path: Path, data: str | bytes, *, mode_of: Path | None = None) -> Path:
    """A synced temporary file beside `path` holding `data`, with the mode of `mode_of` (a
    file it will later replace elsewhere) or of `path`."""
    tmp = _stage(path, data)
    if mode_of is not None:
        os.chmod(tmp, _mode(mode_of))
    return tmp


def fsync_dir(folder: Path) -> None:
    """Make renames in `folder` durable (no-op where directories cannot be synced)."""
    _fsync_dir(folder)


def _stage(path: Path, data: str | bytes) -> Path:
    """The data in a synced temporary file beside `path`, ready to be renamed over it."""
    import tempfile  # only a command that writes needs it (it costs start-up)

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _mode(path))  # mkstemp makes it private; colleagues share these files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _mode(path: Path) -> int:
    """The mode of the file being replaced, or what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
