"""Writing files so that a crash, a full disk or a locked file never leaves half of one."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
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


def save_outputs(contents: Iterable[tuple[Path, str | bytes]]) -> int:
    """Many reports at once (a folder of them, one per unit), all or none: each is written to
    a staging folder beside its place as `contents` yields it, all are synced together, and
    only then is each renamed into place; an error before that (a broken template, a full
    disk, Ctrl+C) removes the staging folder and leaves the folder as it was. What a command
    killed outright (kill -9, a power cut) left staged is removed by the next one. Errors in
    Chinese as save_output. Returns how many files were written."""
    import shutil

    staged: list[tuple[Path, Path]] = []
    staging: dict[Path, Path] = {}  # folder -> this process's staging folder in it
    together = sys.platform.startswith("linux")  # where sync() waits for every file
    try:
        for path, data in contents:
            if path.is_dir():
                raise UsageError(f"输出路径是一个目录，请写出文件名：{path}")
            try:
                if path.parent not in staging:
                    staging[path.parent] = _staging_folder(path.parent)
                staged.append(
                    (_stage(path, data, sync=not together, within=staging[path.parent]), path)
                )
            except OSError as exc:
                raise _unwritable(path, exc) from None
        if together:
            # One sync for all: on Linux sync() gives every file what fsync() would (man 2
            # sync), where an fsync per file and per rename took ~2 ms each on a busy disk.
            os.sync()
    except BaseException:
        for folder in staging.values():
            shutil.rmtree(folder, ignore_errors=True)
        raise
    for done, (tmp, path) in enumerate(staged):
        try:
            os.replace(tmp, path)
        except BaseException as exc:  # a locked file, or Ctrl+C between two renames
            for folder in staging.values():
                shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, OSError):
                raise _unwritable(path, exc, f"；此前的 {done} 个文件已写入，其余未写入") from None
            raise
    for folder, own in staging.items():
        shutil.rmtree(own, ignore_errors=True)
        _fsync_dir(folder)
    return len(staged)


_STAGING = ".safecity-staging"


def _staging_folder(folder: Path) -> Path:
    """A folder of this process's own inside `folder`, after removing those of processes on
    this machine that are gone. Named by host and process, so a folder shared over the
    network never loses what a live process on another machine is writing."""
    import shutil
    import socket

    mine = f"{_STAGING}.{safe_name(socket.gethostname())}."
    for left in folder.iterdir():
        pid = left.name[len(mine) :] if left.name.startswith(mine) else ""
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    own = folder / f"{mine}{os.getpid()}"
    own.mkdir(exist_ok=True)
    return own


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _unwritable(path: Path, exc: OSError, more: str = "") -> SafecityError:
    return SafecityError(
        f"无法写入文件 {path}：{exc.strerror or exc}"
        f"（如该文件已在 Word、Excel 或 WPS 中打开，请先关闭）{more}"
    )


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


def _stage(path: Path, data: str | bytes, *, sync: bool = True, within: Path | None = None) -> Path:
    """The data in a temporary file beside `path` (or in the folder `within`, on the same
    disk), synced unless the caller syncs it later, ready to be renamed over it."""
    import tempfile  # only a command that writes needs it (it costs start-up)

    fd, tmp = tempfile.mkstemp(dir=within or path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _mode(path))  # mkstemp makes it private; colleagues share these files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            if sync:
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
