"""The SQLite index: an answer about some tasks reads only those tasks and their entries.

The YAML files stay the source of truth. The index (one SQLite file per registry folder, in
the cache directory) is a store of keyed rows: the validated registry without its tasks, each
task, each unit's tasks, the tasks by the month their deadline ends, each task's progress
entries in the ledger's order, and what each source file held when it was read. Every row
carries a CRC-32 of its kind, key and content, checked whenever it is read, and every set the
index reads is known to be complete (each unit, task and month the registry has has a row):
a damaged row, or a file SQLite cannot read, deletes the index and builds it again, so the
index can cost time but never change an answer.

Before each use every source file is compared with what the index saw (size, modification
time, inode, change time), all of them packed into one value compared whole. A changed
tasks/*.yaml is checked alone against the registry the index holds and only its tasks'
rows change; any other changed registry file (or any problem) rebuilds the registry's rows
from the validated registry (`cache.load`), whose errors are validate's; a changed progress
file replaces only that file's entries in the tasks it names. A file modified within two
seconds of being indexed is compared by content the next time (git's "racy" rule), so a
save inside the clock's resolution is seen.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sqlite3
import stat
import time
import zlib
from array import array
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from safecity_cli import __version__, cache
from safecity_cli.errors import Problem, RegistryError
from safecity_cli.ledger.entries import Kind, Ledger
from safecity_cli.ledger.files import LOCK_FILE, PROGRESS_DIR, settle
from safecity_cli.registry.layout import OPTIONAL_FILES, REGISTRY_FILES, TASKS_DIR, TASKS_FILE
from safecity_cli.registry.models import Registry, Task, Unit
from safecity_cli.registry.units import named_by, named_positions, names_unit

_FORMAT = 6  # bump when what the rows hold changes
RACY_NS = 2_000_000_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rows("
    "kind TEXT NOT NULL, key NOT NULL, body BLOB NOT NULL, checksum INTEGER NOT NULL, "
    "PRIMARY KEY (kind, key)) WITHOUT ROWID"
)
# The kinds of row, each under its key:
#   meta    "format"; "shell": the registry without its tasks, how many it has and the
#           files they are in; "order": its task ids in order; "months": the months
#           deadlines end in; "adjusted": each task's earliest 延期; "sources": what each
#           source file held when it was read; "glance": every source file's name and stat
#           packed in one value (b"": look at each file, one was racy)
#   task    task id -> the task
#   unit    unit name -> its task ids
#   month   the month a deadline ends in (RECURRING, OPEN) -> task ids
#   ledger  task id or 日程 key -> its entries in the ledger's order, and each one's file and place
#   file    progress file name -> the tasks it names
#   part    task file name (tasks.yaml, tasks/*.yaml) -> its task ids in order
_META, _TASK, _UNIT, _MONTH, _LEDGER, _FILE, _PART = (
    "meta", "task", "unit", "month", "ledger", "file", "part"
)
RECURRING, OPEN = -1, -2
_REGISTRY, _PROGRESS = "registry", "progress"


class Damaged(Exception):
    """A row that does not match its checksum, a row that should be there and is not, or an
    index another version wrote."""


@dataclass(frozen=True)
class Wanted:
    """The tasks an answer needs: those of `unit` (None: of any unit) and, of those, only the
    ones that may be overdue on `overdue_on`, that may fall due within `due_within` days of
    `due_on`, or the task `task` names. Each test keeps every task the query's own would."""

    unit: Unit | None = None
    overdue_on: date | None = None
    due_on: date | None = None
    due_within: int = 0
    task: int | str | None = None  # a 日程 item ("S12") needs no task at all
    as_of: date | None = None  # only the ledger as it stood on this day (Ledger.as_of)


def index_file(path: Path) -> Path:
    folder = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    return cache.cache_dir() / f"index-{folder}.sqlite"


_DAMAGE = (sqlite3.DatabaseError, Damaged, ValueError, EOFError, TypeError, KeyError)


def open_index(
    path: Path, *, progress: Callable[[str], AbstractContextManager[object]] | None = None
) -> Index | None:
    """The index of the registry in `path`, brought up to date with its files; None when it
    cannot be kept (the cache directory is not writable, the index is locked too long).
    RegistryError for broken files, as a full load gives it."""
    file = index_file(path)
    for _ in range(2):  # a damaged index is deleted and built once more
        db = None
        try:
            db = _connect(file)
            _refresh(db, path, progress)
            db.execute("BEGIN")  # what follows reads one snapshot, whoever writes meanwhile
            return Index(file, path, db)
        except (sqlite3.OperationalError, OSError):  # locked too long, read-only, disk full
            if db is not None:
                db.close()
            return None
        except _DAMAGE:
            if db is not None:
                db.close()
            discard(file)
        except BaseException:
            if db is not None:
                db.close()
            raise
    return None


def discard(file: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with suppress(OSError):
            Path(f"{file}{suffix}").unlink(missing_ok=True)


def _connect(file: Path) -> sqlite3.Connection:
    file.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(file, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # a cache: a power cut may lose an update
        db.execute(_SCHEMA)
        stamp = f"{__version__}:{_FORMAT}"
        if _get(db, _META, ["format"]).get("format") != stamp:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM rows")
            _put(db, _META, [("format", stamp)])
            db.execute("COMMIT")
    except BaseException:
        db.close()
        raise
    return db


# -- checksummed rows ------------------------------------------------------------------------


def _crc(kind: str, key: Any, body: bytes) -> int:
    # CRC-32 finds every flip of up to three bits and every burst up to 32 bits long. The
    # key goes in as text: marshal writes an interned string differently from an equal one.
    return zlib.crc32(f"{kind}\0{key!r}".encode(), zlib.crc32(body))


def _packed(kind: str, key: Any, value: Any) -> tuple[str, Any, bytes, int]:
    body = marshal.dumps(value)
    return kind, key, body, _crc(kind, key, body)


def _unpacked(kind: str, key: Any, body: bytes, checksum: int) -> Any:
    if _crc(kind, key, body) != checksum:
        raise Damaged(f"{kind} {key!r}")
    return marshal.loads(body)


def _put(db: sqlite3.Connection, kind: str, items: Iterable[tuple[Any, Any]]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?)",
        (_packed(kind, key, value) for key, value in items),
    )


def _get(
    db: sqlite3.Connection, kind: str, keys: Iterable[Any], *, complete: bool = False
) -> dict[Any, Any]:
    """The rows of `kind` under `keys` that there are; with `complete`, Damaged unless every
    one is there."""
    wanted = list(dict.fromkeys(keys))
    if len(wanted) == 1:
        found = db.execute(
            "SELECT key, body, checksum FROM rows WHERE kind = ? AND key = ?", (kind, wanted[0])
        )
    else:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted(key PRIMARY KEY) WITHOUT ROWID")
        db.execute("DELETE FROM wanted")
        db.executemany("INSERT INTO wanted VALUES (?)", ((k,) for k in wanted))
        # CROSS JOIN keeps this order: each wanted key looked up in the table's key
        found = db.execute(
            "SELECT rows.key, body, checksum FROM wanted CROSS JOIN rows "
            "ON rows.kind = ? AND rows.key = wanted.key",
            (kind,),
        )
    rows = {key: _unpacked(kind, key, body, checksum) for key, body, checksum in found}
    if complete and len(rows) != len(wanted):
        raise Damaged(f"{kind}: {len(wanted) - len(rows)} rows missing")
    return rows


def _drop(db: sqlite3.Connection, kind: str, keys: Iterable[Any] | None = None) -> None:
    if keys is None:
        db.execute("DELETE FROM rows WHERE kind = ?", (kind,))
    else:
        db.executemany("DELETE FROM rows WHERE kind = ? AND key = ?", ((kind, k) for k in keys))


# -- keeping the index current ---------------------------------------------------------------

Stat = tuple[int, int, int, int]  # size, modification time, inode, change time
_Source = tuple[str, str, Stat | None]  # kind, where, its stat now (None: cannot be read)


def _sources(path: Path) -> dict[str, _Source]:
    """Every file the index depends on, by its name inside the registry folder, with its
    kind, where it is and its stat: the files registry_files and the ledger read, found with
    one directory listing per folder (thousands of progress files: no Path, no glob each)."""
    found: dict[str, _Source] = {}
    for name in REGISTRY_FILES:
        file = f"{path}{os.sep}{name}"
        found[name] = (_REGISTRY, file, _stat(file))
    for name in OPTIONAL_FILES:
        file = f"{path}{os.sep}{name}"
        with suppress(OSError):
            if stat.S_ISREG(os.stat(file).st_mode):
                found[name] = (_REGISTRY, file, _stat(file))
    found.update(_listed(path / TASKS_DIR, TASKS_DIR, _REGISTRY)[0])
    progress, interrupted = _listed(path / PROGRESS_DIR, PROGRESS_DIR, _PROGRESS)
    if interrupted:  # finished (or undone) before anything is read, then listed again
        settle(path)
        progress = _listed(path / PROGRESS_DIR, PROGRESS_DIR, _PROGRESS)[0]
    found.update(progress)
    return found


def _listed(folder: Path, prefix: str, kind: str) -> tuple[dict[str, _Source], bool]:
    """The folder's *.yaml files (none when it is not a folder), and whether it shows the
    traces of an interrupted write (ledger.journal's)."""
    where = str(folder)
    try:
        # Listed through the folder's descriptor, each entry's stat is looked up in the folder
        # alone, not along the whole path: half the time for thousands of files.
        fd = os.open(where, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if _BY_FD else None
    except OSError:
        return {}, False
    try:
        with os.scandir(where if fd is None else fd) as listing:
            entries = list(listing)
        files = [e for e in entries if e.name.endswith(".yaml")]
        stats: list[Stat | None]
        try:
            stats = [_stat_of(e.stat()) for e in files]
        except OSError:  # one went meanwhile: the rest still count
            stats = [_entry_stat(e) for e in files]
    except OSError:  # not a folder (or gone): no files in it
        return {}, False
    finally:
        if fd is not None:
            os.close(fd)
    traces = [e.name for e in entries if e.name[:1] == "." and e.name != LOCK_FILE]
    found = {
        f"{prefix}/{e.name}": (kind, f"{where}{os.sep}{e.name}", seen)
        for e, seen in zip(files, stats, strict=True)
    }
    return found, any(_interrupted(name) for name in traces)


def _stat_of(s: os.stat_result) -> Stat:
    return s.st_size, s.st_mtime_ns, s.st_ino, s.st_ctime_ns


def _entry_stat(entry: os.DirEntry[str]) -> Stat | None:
    try:
        return _stat_of(entry.stat())
    except OSError:
        return None


_BY_FD = os.scandir in os.supports_fd


def _interrupted(name: str) -> bool:
    """Whether a progress folder's entry is a trace of a write that did not finish (what
    journal.pending looks for)."""
    from safecity_cli.ledger.journal import JOURNAL_DIR  # only then: it needs json

    return name == JOURNAL_DIR or name.endswith(".tmp")  # settle looks closer


def _stat(file: str) -> Stat | None:
    try:
        return _stat_of(os.stat(file))
    except OSError:
        return None


def _glance(seen: Iterable[tuple[str, Stat | None]]) -> bytes | None:
    """Every file's name and stat packed into one value, compared whole on every command:
    None when a file cannot be read (then each file is looked at)."""
    files = sorted(seen)
    if any(found is None for _, found in files):
        return None
    try:  # before 1970 (negative): each file instead
        packed = array("Q", [n for _, found in files for n in found or ()]).tobytes()
    except OverflowError:
        return None
    names = "\0".join([name for name, _ in files]).encode("utf-8", "surrogateescape")
    return names + b"\0\0" + packed  # no name holds NUL or is empty: NUL NUL ends the names


def _untrusted(db: sqlite3.Connection, sources: dict[str, _Source]) -> dict[str, Any]:
    """The files whose stat differs from what the index saw, that were racy then, or that
    came or went; each with what the index saw of it (None for a new file)."""
    stored = dict(_get(db, _META, ["sources"]).get("sources", {}))
    doubtful: dict[str, Any] = {}
    for name, (_, _, now) in sources.items():
        seen = stored.pop(name, None)
        if seen is None or seen[3] or tuple(seen[1]) != now:
            doubtful[name] = seen
    doubtful.update(stored)  # gone since
    return doubtful


def _refresh(
    db: sqlite3.Connection,
    path: Path,
    progress: Callable[[str], AbstractContextManager[object]] | None,
) -> None:
    sources = _sources(path)
    now = _glance((name, found[2]) for name, found in sources.items())
    if now is not None and _get(db, _META, ["glance"]).get("glance") == now:
        return  # no file changed, came or went, and none was racy when last indexed
    if not _untrusted(db, sources) and _has(db, _META, "shell"):
        return
    db.execute("BEGIN IMMEDIATE")  # one writer; whoever waited sees what the first one did
    try:
        _update(db, path, sources, progress)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _has(db: sqlite3.Connection, kind: str, key: Any) -> bool:
    found = db.execute("SELECT 1 FROM rows WHERE kind = ? AND key = ?", (kind, key))
    return found.fetchone() is not None


def _update(
    db: sqlite3.Connection,
    path: Path,
    sources: dict[str, _Source],
    progress: Callable[[str], AbstractContextManager[object]] | None,
) -> None:
    now = time.time_ns()
    changed: dict[str, tuple[str, bytes | None]] = {}  # name -> kind, content now (None: gone)
    seen: list[tuple[str, tuple[Any, ...]]] = []
    doubtful = _untrusted(db, sources)
    for name, before in doubtful.items():
        if name not in sources:
            changed[name] = (before[0], None)
            continue
        kind, file, _ = sources[name]
        stat = _stat(file)  # before reading: a change after it shows in the stat next time
        if stat is None:
            raise FileNotFoundError(file)  # gone meanwhile: this command reads the YAML itself
        content = Path(file).read_bytes()
        digest = hashlib.sha256(content).digest()
        seen.append((name, (kind, stat, digest, stat[1] >= now - RACY_NS)))
        if before is None or before[2] != digest:
            changed[name] = (kind, content)
    edited = {name: holds for name, (kind, holds) in changed.items() if kind == _REGISTRY}
    added: list[int | str] = []  # tasks and items that may have no ledger row yet
    if not _has(db, _META, "shell") or edited:
        patched = _patched_tasks(db, path, edited)
        if patched is None:
            registry = cache.load(path, progress=progress)
            _index_registry(db, registry)
            added = [t.id for t in registry.tasks] + [i.key for i in registry.items]
        else:
            added = list(patched)
    problems: list[Problem] = []
    replaced: dict[str, list[Any] | None] = {}  # progress file -> its rows now (None: gone)
    for name, (kind, holds) in sorted(changed.items()):
        if kind != _PROGRESS:
            continue
        try:
            replaced[name] = (
                None if holds is None else cache.progress_rows(Path(sources[name][1]), holds)
            )
        except RegistryError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RegistryError(problems)
    _index_progress(db, replaced, {n for n, before in doubtful.items() if before is not None})
    # Every task and item has its ledger row, empty or not.
    have = _keys(db, _LEDGER, added)
    _put(db, _LEDGER, ((k, ([], [])) for k in added if k not in have))
    # One row for thousands of files: read only when the glance differs.
    known = _get(db, _META, ["sources"]).get("sources", {})
    for name in changed:
        if name not in sources:
            known.pop(name, None)
    known.update(seen)
    _put(db, _META, [("sources", known)])
    racy = any(held[3] for held in known.values())
    glance = None if racy else _glance((name, tuple(held[1])) for name, held in known.items())
    _put(db, _META, [("glance", glance or b"")])


def _keys(db: sqlite3.Connection, kind: str, keys: Iterable[Any]) -> set[Any]:
    """Which of `keys` have a row of `kind`, without reading the rows."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted(key PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM wanted")
    db.executemany("INSERT INTO wanted VALUES (?)", ((k,) for k in wanted))
    found = db.execute(
        "SELECT rows.key FROM wanted CROSS JOIN rows ON rows.kind = ? AND rows.key = wanted.key",
        (kind,),
    )
    return {key for (key,) in found}


def _patched_tasks(
    db: sqlite3.Connection, path: Path, edited: dict[str, bytes | None]
) -> list[int] | None:
    """When only tasks/*.yaml files changed (came, went or were edited), their tasks put in
    place of the ones they held: each checked as a full load would check it, against the
    rest of the registry as the index holds it. The ids of tasks new to the index; None when
    the whole registry must be loaded instead (another file changed, or anything is wrong
    with these: the full load reports it as validate does)."""
    if not edited or any(not n.startswith(f"{TASKS_DIR}/") for n in edited):
        return None
    from safecity_cli.registry.load import check_task_files  # only now: a warm query needs none

    stored = _get(db, _META, ["shell"]).get("shell")
    if stored is None or not stored[2]:
        return None
    shell_row, _, files = stored
    order = _get(db, _META, ["order"], complete=True)["order"]
    shell = cache.registry_from_row(shell_row, path)
    held = _get(db, _PART, files, complete=True)
    before = [i for name in edited for i in held.get(name, ())]
    now = {name: content for name, content in edited.items() if content is not None}
    checked = check_task_files(shell, now, set(order).difference(before), parts=cache.TASK_PARTS)
    if checked is None:
        return None
    gone = [name for name in edited if name not in now]
    files = sorted({*files, *now}.difference(gone), key=_file_order)
    ids = {name: [t.id for t in checked[name]] if name in now else held[name] for name in files}
    new_order = [i for name in files for i in ids[name]]
    old = {i: cache.task_from_row(row) for i, row in _get(db, _TASK, before, complete=True).items()}
    new = {t.id: t for tasks in checked.values() for t in tasks}
    rows = {i: cache.task_row(t) for i, t in new.items()}
    # Compared as values, as _index_registry does.
    rewritten = {i for i in new if i not in old or cache.task_row(old[i]) != rows[i]}
    _drop(db, _TASK, [i for i in old if i not in new])
    _put(db, _TASK, ((i, rows[i]) for i in rewritten))
    _drop(db, _PART, gone)
    _put(db, _PART, ((name, ids[name]) for name in now if ids[name] != held.get(name)))
    # A task whose place moved may stand elsewhere in its unit's and month's lists.
    moved = new_order != order
    differs = {*old, *new} if moved else rewritten | {i for i in old if i not in new}
    if differs:
        rank = {i: n for n, i in enumerate(new_order)}
        units = _relisted(db, _UNIT, differs, rank, old, new, _units_of(shell), None)
        _put(db, _UNIT, units.items())
        had = set(_get(db, _META, ["months"], complete=True)["months"])
        months = _relisted(db, _MONTH, differs, rank, old, new, lambda t: {_month_of(t)}, had)
        _put(db, _MONTH, ((m, ids) for m, ids in months.items() if ids))
        _drop(db, _MONTH, [m for m, ids in months.items() if not ids])
        had.update(m for m, ids in months.items() if ids)
        had.difference_update(m for m, ids in months.items() if not ids)
        _put(db, _META, [("months", sorted(had))])
    if moved:
        _put(db, _META, [("order", new_order)])
    if len(new_order) != len(order) or files != stored[2]:
        _put(db, _META, [("shell", (shell_row, len(new_order), files))])
    return [i for i in new if i not in old]


def _units_of(registry: Registry) -> Callable[[Task], set[str]]:
    return lambda task: {name for name, _ in named_by(registry, task)}


def _relisted(
    db: sqlite3.Connection,
    kind: str,
    differs: set[int],
    rank: dict[int, int],
    old: dict[int, Task],
    new: dict[int, Task],
    keys_of: Callable[[Task], set[Any]],
    listed: set[Any] | None,
) -> dict[Any, list[int]]:
    """The lists of `kind` (a unit's or a month's task ids in the registry's order) that a
    task in `differs` was or is on, with those tasks as they are now in their places now.
    Each key has its row, or only those in `listed` (a month while a deadline ends in it)."""
    keys: set[Any] = set()
    joining: dict[Any, list[int]] = {}
    for i in differs:
        if i in old:
            keys.update(keys_of(old[i]))
        if i in new:
            for key in keys_of(new[i]):
                joining.setdefault(key, []).append(i)
    keys.update(joining)
    found = _get(db, kind, keys if listed is None else keys & listed, complete=True)
    lists = {}
    for key in keys:
        ids = [i for i in found.get(key, ()) if i not in differs] + joining.get(key, [])
        ids.sort(key=rank.__getitem__)
        lists[key] = ids
    return lists


def _file_order(name: str) -> tuple[bool, str]:
    """The order task files are read in: tasks.yaml, then tasks/*.yaml by name."""
    return name != TASKS_FILE, name


def _index_registry(db: sqlite3.Connection, registry: Registry) -> None:
    """The registry's rows; a task's row is written only when it differs from the one there
    (one district's file changed: its tasks, not all 100k)."""
    old = dict(db.execute("SELECT key, body FROM rows WHERE kind = ?", (_TASK,)))
    new = {t.id: cache.task_row(t) for t in registry.tasks}
    _drop(db, _TASK, [k for k in old if k not in new])
    # Compared as values: marshal's bytes for equal values differ with how shared they were.
    _put(db, _TASK, ((k, row) for k, row in new.items() if _decoded(old.get(k)) != row))
    for kind in (_UNIT, _MONTH):
        _drop(db, kind)
    named = named_positions(registry)
    _put(
        db,
        _UNIT,
        ((u.name, [registry.tasks[p].id for p in named.get(u.name, ())]) for u in registry.units),
    )
    months: dict[int, list[int]] = {}
    for task in registry.tasks:
        months.setdefault(_month_of(task), []).append(task.id)
    _put(db, _MONTH, months.items())
    _drop(db, _PART)
    files: list[str] = []  # none when the registry does not say (then no file is patched)
    if sum(count for _, count in registry.task_files) == len(registry.tasks):
        start = 0
        for name, count in registry.task_files:
            _put(db, _PART, [(name, [t.id for t in registry.tasks[start : start + count]])])
            files.append(name)
            start += count
    shell = (cache.shell_row(registry), len(new), files)
    _put(db, _META, [("shell", shell), ("order", list(new)), ("months", sorted(months))])


def _decoded(body: bytes | None) -> Any:
    try:
        return None if body is None else marshal.loads(body)
    except (ValueError, EOFError, TypeError):  # damaged: written anew
        return None


def _month_of(task: Task) -> int:
    if task.deadline.every_months is not None:
        return RECURRING
    end = task.deadline.end
    return OPEN if end is None else end.year * 12 + end.month - 1


def _index_progress(
    db: sqlite3.Connection, replaced: dict[str, list[Any] | None], indexed: set[str]
) -> None:
    """Each task's entries are one row, in the ledger's order, each tagged with its file and
    place; a changed file's entries are taken out of the tasks it named and put into the
    tasks it names, so the work is the changed file's tasks, not the whole ledger."""
    named = _get(db, _FILE, replaced)
    touched: dict[int | str, list[Any]] = {}
    for name, rows in replaced.items():
        if name not in named and name in indexed:
            raise Damaged(f"{name}: the tasks it named are missing")
        had = named.get(name, [])
        mine = sorted({row[0] for row in rows or ()}, key=str)
        new = [k for k in (*had, *mine) if k not in touched]
        for key, (rows_of, places) in _get(db, _LEDGER, new).items():
            touched[key] = [(*r, *at) for r, at in zip(rows_of, places, strict=True)]
        for key in new:
            touched.setdefault(key, [])
        for key in had:
            touched[key] = [r for r in touched[key] if r[-2] != name]
        for seq, row in enumerate(rows or ()):
            touched[row[0]].append((*row, name, seq))
        if rows is None:
            _drop(db, _FILE, [name])
        else:
            _put(db, _FILE, [(name, mine)])
    if not touched:
        return
    for rows in touched.values():
        rows.sort(key=_ledger_order)
    _put(  # the rows as the ledger decodes them, and beside them the file and place of each
        db,
        _LEDGER,
        ((k, ([r[:-2] for r in rows], [r[-2:] for r in rows])) for k, rows in touched.items()),
    )
    adjusted = _get(db, _META, ["adjusted"]).get("adjusted", {})
    for key, rows in touched.items():
        later = [r[8] for r in rows if r[8] is not None]
        if later:
            adjusted[key] = min(later)
        else:
            adjusted.pop(key, None)
    _put(db, _META, [("adjusted", adjusted)])


def _ledger_order(row: tuple[Any, ...]) -> tuple[int, datetime, str, int]:
    """Ledger's order: by date, then time recorded, then file and place in it."""
    return row[3], datetime.fromisoformat(row[4]), row[-2], row[-1]


# -- answering -------------------------------------------------------------------------------


class Index:
    """An index just brought up to date: the registry's shell, and its tasks on demand."""

    def __init__(self, file: Path, path: Path, db: sqlite3.Connection) -> None:
        self.file, self.path, self._db = file, path, db
        shell, self._count, _ = _get(db, _META, ["shell"], complete=True)["shell"]
        self.registry = cache.registry_from_row(shell, path)
        self._order: list[int] | None = None

    @property
    def order(self) -> list[int]:
        """Every task id in the registry's order (read when first asked: 100k of them)."""
        if self._order is None:
            self._order = _get(self._db, _META, ["order"], complete=True)["order"]
            if len(self._order) != self._count:
                raise Damaged("order")
        return self._order

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *_: object) -> None:
        self._db.close()

    def answer(self, wanted: Wanted) -> tuple[Registry, Ledger] | None:
        """The registry narrowed to what `wanted` may need, and those tasks' ledger; None
        when that may be every task, or when the index turns out damaged (it is deleted,
        so the next command builds it anew)."""
        try:
            registry = self.narrowed(wanted)
            return None if registry is None else (registry, self.ledger(registry, wanted.as_of))
        except _DAMAGE:
            self._db.close()
            discard(self.file)
            return None

    def narrowed(self, wanted: Wanted) -> Registry | None:
        """The registry holding only the tasks `wanted` may need; None when that may be every
        task (no test narrows it, or 附件2 备注2 gives the unit every task)."""
        db, shell = self._db, self.registry
        chosen: set[int] | None = None
        ordered: list[int] | None = None  # the one list chosen from, when in registry order

        def keep(ids: Iterable[int], *, in_order: bool = False) -> None:
            nonlocal chosen, ordered
            ids = list(ids)
            ordered = ids if chosen is None and in_order else None
            chosen = set(ids) if chosen is None else chosen.intersection(ids)

        if wanted.task is not None:  # as resolve_target reads it: 27, "27", or "S12"
            ref = str(wanted.task).strip()
            keep([int(ref)] if ref.isdigit() else [], in_order=True)
        if wanted.unit is not None:
            if names_unit(shell, shell.applies_to_all.units, wanted.unit)[0]:
                return None
            name = wanted.unit.name
            keep(_get(db, _UNIT, [name], complete=True)[name], in_order=True)
        if wanted.overdue_on is not None:
            on = wanted.overdue_on
            keep(self._ending(lambda m: m == RECURRING or 0 <= m <= _month(on), lambda d: d < on))
        if wanted.due_on is not None:
            first, last = wanted.due_on, wanted.due_on + timedelta(days=max(wanted.due_within, 0))
            keep(
                self._ending(lambda m: m < 0 or _month(first) <= m <= _month(last), lambda _: True)
            )
        if chosen is None:
            return None
        found = _get(db, _TASK, sorted(chosen), complete=wanted.task is None)
        order = self.order if ordered is None else ordered
        tasks = tuple(cache.task_from_row(found[i]) for i in order if i in found)
        return shell.narrowed_to(tasks, whole=self._count)

    def _ending(self, month: Callable[[int], bool], adjusted: Callable[[date], bool]) -> set[int]:
        """Tasks whose deadline ends in a month `month` keeps, or whose entries name a 延期
        that `adjusted` keeps."""
        db = self._db
        months = [m for m in _get(db, _META, ["months"], complete=True)["months"] if month(m)]
        ids = {i for found in _get(db, _MONTH, months, complete=True).values() for i in found}
        later = _get(db, _META, ["adjusted"]).get("adjusted", {})
        ids.update(k for k, d in later.items() if isinstance(k, int) and adjusted(_day(d)))
        return ids

    def ledger(self, registry: Registry, as_of: date | None = None) -> Ledger:
        """The entries of the registry's tasks and of every 日程 item, and no others; with
        `as_of`, as they stood that day (what Ledger.as_of keeps), the rest never decoded."""
        keys: list[int | str] = [t.id for t in registry.tasks] + [i.key for i in registry.items]
        found = _get(self._db, _LEDGER, keys, complete=True)
        rows = {key: held for key, (held, _) in found.items() if held}
        if as_of is not None:
            rows = _as_of(rows, as_of)
        adjusted = {
            key: _day(min(later))
            for key, held in rows.items()
            if (later := [r[8] for r in held if r[8] is not None])
        }
        return _Narrowed.over(rows, adjusted, frozenset(keys))


def ledger_now(registry: Registry) -> Ledger:
    """The ledger of the registry's tasks as the files hold it now (the checks under the
    write lock read it): from the index for a narrowed registry, else the whole ledger."""
    if registry.whole is not None and (index := open_index(registry.path)) is not None:
        with index:
            try:
                return index.ledger(registry)
            except _DAMAGE:
                discard(index.file)
    return cache.load_ledger(registry)


_UNDO = Kind.UNDO.value


def _as_of(rows: dict[int | str, list[Any]], day: date) -> dict[int | str, list[Any]]:
    """Ledger.as_of over rows still encoded (cache._entry_to): a 撤销 at any date, any other
    record from its own date on; the order stays the ledger's."""
    last = day.toordinal()
    kept = {key: [r for r in held if r[3] <= last or r[10] == _UNDO] for key, held in rows.items()}
    return {key: held for key, held in kept.items() if held}


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _day(ordinal: int) -> date:
    return date.fromordinal(ordinal)


class _Narrowed(Ledger):
    """The entries of some tasks only: asking for any other task's is a mistake in the
    caller, which must not pass for an empty answer."""

    __slots__ = ("_keys",)
    _keys: frozenset[int | str]

    @classmethod
    def over(
        cls,
        rows: dict[int | str, list[Any]],
        adjusted: dict[int | str, date],
        keys: frozenset[int | str],
    ) -> _Narrowed:
        ledger = cls.from_rows(rows, cache.entry_from_row, adjusted)
        assert isinstance(ledger, _Narrowed)
        ledger._keys = keys
        return ledger

    def _stored(self, task_id: int | str) -> list[Any]:  # every question about a task asks this
        if task_id not in self._keys:
            raise LookupError(f"索引只读入了部分任务的记录，没有读入 {task_id} 的（程序错误）")
        return super()._stored(task_id)
