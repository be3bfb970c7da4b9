"""All-or-nothing writes of several progress files, even when the process is killed midway.

A write stages every new file in DATA/progress/.journal/, then writes the commit marker
(the list of files) with one rename, then renames each staged file over its target. A crash
before the marker leaves the journal uncommitted: it is discarded. A crash after it leaves a
committed journal: the next command finishes the renames. Either way the next command sees
all of the write or none of it, and no temporary file is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from safecity_cli.errors import LedgerError
from safecity_cli.files import fsync_dir, stage

JOURNAL_DIR = ".journal"
COMMIT = "COMMIT"


def commit(folder: Path, contents: Mapping[Path, bytes]) -> None:
    """Replace each file (all inside `folder`) with its new content, all or none.

    The caller holds the ledger's lock and has already recovered any earlier journal."""
    journal = folder / JOURNAL_DIR
    journal.mkdir(exist_ok=True)
    try:
        staged = [
            (target.name, stage(journal / target.name, data, mode_of=target).name)
            for target, data in contents.items()
        ]
        marker = stage(journal / COMMIT, json.dumps(staged, ensure_ascii=False))
        fsync_dir(journal)
    except BaseException:
        _discard(journal)
        raise
    os.replace(marker, journal / COMMIT)  # the one step that decides
    fsync_dir(journal)
    _apply(folder, journal)


def pending(folder: Path) -> bool:
    """Whether a write was interrupted here: a journal, or a stray temporary file."""
    try:
        return (folder / JOURNAL_DIR).exists() or any(folder.glob(".*.tmp"))
    except OSError:
        return False


def recover(folder: Path) -> None:
    """Finish a committed journal, discard an uncommitted one, remove stray temporary files.

    Only under the ledger's lock: then no writer is between its steps."""
    journal = folder / JOURNAL_DIR
    if journal.is_dir():
        if (journal / COMMIT).is_file():
            _apply(folder, journal)
        else:
            _discard(journal)
    for stray in folder.glob(".*.tmp"):  # left by a writer killed before the journal existed
        stray.unlink(missing_ok=True)


def _apply(folder: Path, journal: Path) -> None:
    try:
        staged = json.loads((journal / COMMIT).read_text(encoding="utf-8"))
        pairs = [(str(target), str(name)) for target, name in staged]
    except (OSError, ValueError, TypeError):
        raise LedgerError(
            f"进展记录的写入日志 {journal / COMMIT} 已损坏，无法判断上次写入是否完成；"
            "请检查 progress 目录中的文件后删除 .journal 目录"
        ) from None
    for target, name in pairs:
        if Path(target).name != target or Path(name).name != name or not target.endswith(".yaml"):
            raise LedgerError(
                f"进展记录的写入日志 {journal / COMMIT} 中有不允许的文件名「{target}」"
            )
        if (journal / name).is_file():  # already moved when an earlier recovery got this far
            os.replace(journal / name, folder / target)
    fsync_dir(folder)
    (journal / COMMIT).unlink()
    _discard(journal)


def _discard(journal: Path) -> None:
    shutil.rmtree(journal, ignore_errors=True)
