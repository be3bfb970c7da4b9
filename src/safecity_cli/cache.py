"""The content-keyed cache: a registry and its ledger loaded fast when their files have not changed.

The cache lives in the user's cache directory, one file per source file content (sha256)
and package version. It holds plain tuples written with `marshal`, which cannot run code
when read, behind a sha256 of those bytes: a file that does not match its checksum, or does
not decode, is deleted and rebuilt from the YAML, so a damaged cache can cost time but never
change an answer. Nothing in it depends on the machine's TZ or locale (dates as ordinals,
times with their offset). A cache hit needs neither PyYAML nor Pydantic.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import marshal
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

from safecity_cli import __version__
from safecity_cli.ledger.entries import Entry, Evidence, Kind, Ledger, Status
from safecity_cli.ledger.files import PROGRESS_DIR
from safecity_cli.registry.deadlines import Deadline, DeadlineKind
from safecity_cli.registry.layout import is_embedded, registry_files
from safecity_cli.registry.models import (
    AppliesToAll,
    Category,
    Criteria,
    CriteriaChild,
    CriteriaItem,
    CriteriaLevel,
    Escalation,
    MainTask,
    MainTaskGroup,
    Phase,
    Program,
    Registry,
    ScheduleItem,
    Scoring,
    ScoringRule,
    Task,
    Unit,
)

ENV_CACHE = "SAFECITY_CACHE_DIR"
_FORMAT = 6  # bump when the layout of the cached tuples changes


def cache_dir() -> Path:
    if env := os.environ.get(ENV_CACHE):
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("safecity", appauthor=False))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Bulk loads create objects but no reference cycles, so collecting during them only
    costs time (about three quarters of a 100k-task YAML load)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


SLOW_BYTES = 2_000_000  # a registry this large takes more than a second or two to validate


def load(
    path: Path,
    *,
    use_cache: bool = True,
    progress: Callable[[str], AbstractContextManager[object]] | None = None,
) -> Registry:
    """The registry in `path`, validated; from the cache when its files are unchanged.

    `progress(description)` wraps a slow full load so the caller can show that it is working.
    """
    with gc_paused():
        return _load(path, use_cache=use_cache, progress=progress)


def _load(
    path: Path,
    *,
    use_cache: bool = True,
    progress: Callable[[str], AbstractContextManager[object]] | None = None,
) -> Registry:
    if use_cache:
        try:
            files = registry_files(path)
            hashed = {f: f.read_bytes() for f in files}
            contents = [part for f in files for part in (f.name.encode(), hashed[f])]
        except OSError:
            use_cache = False  # the full load below reports the missing file properly
    if use_cache:
        key = content_key("registry", *contents)
        cached = read_cached(key)
        if cached is None and is_embedded(path):
            cached = _shipped(key)
        if cached is not None:
            try:
                return _registry_from(cached, path)
            except Exception:  # a foreign or damaged cache is rebuilt, never trusted
                discard(key)
    from safecity_cli.registry.load import load_registry

    size = sum(f.stat().st_size for f in registry_files(path) if f.is_file())
    if progress is not None and size > SLOW_BYTES:
        with progress(f"读取并校验登记册（{size / 1e6:.0f} MB）"):
            registry = load_registry(path, parts=TASK_PARTS if use_cache else None)
    else:
        registry = load_registry(path, parts=TASK_PARTS if use_cache else None)
    if use_cache and _unchanged(hashed):
        write_cached(key, _registry_to(registry))
    return registry


def load_ledger(registry: Registry, *, use_cache: bool = True, refresh: bool = False) -> Ledger:
    """The registry's progress ledger; from the cache when no progress file has changed.

    With `refresh`, read from the YAML and write the cache anew."""
    with gc_paused():
        return _load_ledger(registry, use_cache=use_cache, refresh=refresh)


def refresh(registry: Registry) -> None:
    """Rewrite the cache of a registry just validated from its YAML, and of its ledger
    (`validate` does this, so that it also repairs whatever the cache held)."""
    try:
        files = registry_files(registry.path)
        hashed = {f: f.read_bytes() for f in files}
    except OSError:
        return
    key = content_key("registry", *(part for f in files for part in (f.name.encode(), hashed[f])))
    if _unchanged(hashed):
        write_cached(key, _registry_to(registry))
    load_ledger(registry, refresh=True)


def _load_ledger(registry: Registry, *, use_cache: bool = True, refresh: bool = False) -> Ledger:
    """The whole ledger is cached as one file (a hit reads one file, and entries are decoded
    only for the tasks a command looks at); each progress file is also cached on its own,
    so after one unit's file changes only that file is parsed again.
    """
    from safecity_cli.ledger.files import load_ledger as load_uncached
    from safecity_cli.ledger.files import read_progress_file, settle

    folder = registry.path / PROGRESS_DIR
    if not use_cache or not folder.is_dir():
        return load_uncached(registry.path)
    settle(registry.path)  # an interrupted write is finished (or undone) before anything is read
    files = sorted(folder.glob("*.yaml"))
    contents = {file: file.read_bytes() for file in files}
    key = content_key("ledger", *(part for f in files for part in (f.name.encode(), contents[f])))
    cached = None if refresh else read_cached(key)
    if cached is not None:
        try:
            rows, adjusted = cached
            if read_cached(_pointer(folder)) != key:  # the same files seen in another folder
                write_cached(_pointer(folder), key)
            return Ledger.from_rows(
                rows, _entry_from, {task: date.fromordinal(day) for task, day in adjusted.items()}
            )
        except Exception:
            discard(key)

    file_keys = {f: content_key("progress", contents[f]) for f in files}
    rows_of: dict[Path, list[Any]] = {}
    entries_of: dict[Path, list[Entry]] = {}

    def read_rows(file: Path) -> list[Any]:
        """The file's entries as cached rows (parsed from the YAML when not cached yet)."""
        file_key = file_keys.get(file) or content_key("progress", file.read_bytes())
        rows = None if refresh else read_cached(file_key)
        if isinstance(rows, list):
            try:
                # a row that does not decode is not trusted
                entries_of[file] = [_entry_from(row) for row in rows]
                rows_of[file] = rows
                return rows
            except Exception:
                discard(file_key)
        entries = read_progress_file(file)
        entries_of[file] = entries
        rows = [_entry_to(e) for e in entries]
        if file in contents and _unchanged({file: contents[file]}):
            write_cached(file_key, rows)
        rows_of[file] = rows
        return rows

    if not refresh:
        patched = _patched(folder, files, file_keys, read_rows)
        if patched is not None:
            rows, adjusted, origins = patched
            _remember(key, folder, files, file_keys, rows, adjusted, origins, contents)
            return Ledger.from_rows(
                rows, _entry_from, {t: date.fromordinal(d) for t, d in adjusted.items()}
            )

    def read(file: Path) -> list[Entry]:
        read_rows(file)
        return entries_of[file]

    ledger = load_uncached(registry.path, read)
    if sorted(folder.glob("*.yaml")) == files:
        adjusted = {
            t: d.toordinal() for t in ledger.task_ids() if (d := ledger.earliest_adjustment(t))
        }
        rows = ledger.grouped_rows(_entry_to)
        _remember(key, folder, files, file_keys, rows, adjusted, _origins(files, rows_of), contents)
    return ledger


def progress_rows(file: Path, content: bytes) -> list[Any]:
    """A progress file's entries as rows: from the cache when this content was parsed before,
    else parsed from `content` (RegistryError naming file and line when it is broken)."""
    key = content_key("progress", content)
    rows = read_cached(key)
    if isinstance(rows, list):
        try:
            for row in rows:  # a row that does not decode is not trusted
                _entry_from(row)
            return rows
        except Exception:
            discard(key)
    from safecity_cli.errors import RegistryError
    from safecity_cli.ledger.files import parse_progress
    from safecity_cli.registry.yaml_files import YamlProblem, decode_text

    try:
        text = decode_text(content, file)
    except YamlProblem as exc:
        raise RegistryError(exc.problems) from None
    rows = [_entry_to(e) for e in parse_progress(text, file)]
    write_cached(key, rows)
    return rows


def progress_entries(file: Path, content: bytes) -> list[Entry]:
    """A progress file's entries, from the cache when this content was parsed before."""
    return [_entry_from(row) for row in progress_rows(file, content)]


def remember_progress(content: bytes, entries: list[Entry]) -> None:
    """What a progress file just written holds, so the next read need not parse it."""
    write_cached(content_key("progress", content), [_entry_to(e) for e in entries])


def entry_from_row(row: tuple[Any, ...]) -> Entry:
    return _entry_from(row)


def _origins(files: list[Path], rows_of: dict[Path, list[Any]]) -> dict[int | str, list[int]]:
    """Which file (by its place in `files`) each of a task's rows comes from, in the ledger's
    order: by date, then time recorded, then file and place in it (Ledger's stable sort)."""
    tagged: dict[int | str, list[tuple[Any, ...]]] = {}
    for rank, file in enumerate(files):
        for position, row in enumerate(rows_of.get(file, ())):
            tagged.setdefault(row[0], []).append(
                (row[3], datetime.fromisoformat(row[4]), rank, position)
            )
    return {task: [t[2] for t in sorted(rows)] for task, rows in tagged.items()}


def _remember(
    key: str,
    folder: Path,
    files: list[Path],
    file_keys: dict[Path, str],
    rows: dict[int | str, list[Any]],
    adjusted: dict[int | str, int],
    origins: dict[int | str, list[int]],
    contents: dict[Path, bytes],
) -> None:
    """The whole ledger under its key; beside it which file each row came from, and a pointer
    from the folder to it, so that after one file changes the next load patches this one."""
    if not _unchanged(contents):
        return
    write_cached(key, (rows, adjusted))
    write_cached(
        content_key("sources", key.encode()),
        ([f.name for f in files], [file_keys[f] for f in files], origins),
    )
    write_cached(_pointer(folder), key)


def _pointer(folder: Path) -> str:
    return content_key("latest", str(folder.resolve()).encode())


_PATCH_SHARE = 0.25  # beyond this share of files changed, reading them all is as quick


def _patched(
    folder: Path,
    files: list[Path],
    file_keys: dict[Path, str],
    read_rows: Callable[[Path], list[Any]],
) -> tuple[dict[int | str, list[Any]], dict[int | str, int], dict[int | str, list[int]]] | None:
    """The ledger as rows, from the last whole ledger cached for this folder with only the
    files changed since read again, and only their tasks re-ordered; None when there is none
    to patch (or anything is off)."""
    try:
        last_key = read_cached(_pointer(folder))
        if not isinstance(last_key, str):
            return None
        side = read_cached(content_key("sources", last_key.encode()))
        last = read_cached(last_key)
        if side is None or last is None:
            return None
        old_names, old_keys, origins = side
        old_rows, old_adjusted = last
        new = {f.name: file_keys[f] for f in files}
        old = dict(zip(old_names, old_keys, strict=True))
        changed = {n for n in {*new, *old} if new.get(n) != old.get(n)}
        if not changed or len(changed) > max(1, len(files) * _PATCH_SHARE):
            return None
        names = [f.name for f in files]
        rank = {n: i for i, n in enumerate(names)}
        gone = {i for i, n in enumerate(old_names) if n in changed}
        rows = dict(old_rows)
        adjusted = dict(old_adjusted)
        if names == old_names:
            new_origins = dict(origins)
        else:  # a file came or went: every file's place may have moved
            moved = [rank.get(n, -1) for n in old_names]
            new_origins = {t: [moved[o] for o in found] for t, found in origins.items()}
        added: dict[int | str, list[tuple[Any, ...]]] = {}
        for f in files:
            if f.name in changed:
                for position, row in enumerate(read_rows(f)):
                    added.setdefault(row[0], []).append((row, rank[f.name], position))
        touched = set(added)
        touched.update(t for t, found in origins.items() if not gone.isdisjoint(found))
        for task in touched:
            tagged = [
                (row, rank.get(old_names[origin], -1), seq)
                for seq, (row, origin) in enumerate(
                    zip(old_rows.get(task, ()), origins.get(task, ()), strict=True)
                )
                if origin not in gone
            ]
            tagged += added.get(task, [])
            if not tagged:
                rows.pop(task, None)
                new_origins.pop(task, None)
                adjusted.pop(task, None)
                continue
            tagged.sort(key=lambda t: (t[0][3], datetime.fromisoformat(t[0][4]), t[1], t[2]))
            rows[task] = [t[0] for t in tagged]
            new_origins[task] = [t[1] for t in tagged]
            later = [t[0][8] for t in tagged if t[0][8] is not None]
            if later:
                adjusted[task] = min(later)
            else:
                adjusted.pop(task, None)
        return {t: rows[t] for t in sorted(rows)}, adjusted, new_origins
    except Exception:  # a foreign or damaged cache: read everything instead
        return None


class _TaskParts:
    """tasks/*.yaml rows by file content, so an unchanged part of a split registry is not
    validated again when another part changes."""

    def get(self, content: bytes) -> list[Any] | None:
        rows = read_cached(content_key("tasks-part", content))
        return rows if isinstance(rows, list) else None

    def put(self, content: bytes, rows: list[Any]) -> None:
        write_cached(content_key("tasks-part", content), rows)


TASK_PARTS = _TaskParts()


def _unchanged(hashed: dict[Path, bytes]) -> bool:
    """Whether the files still hold what was hashed: a file saved while it was being read
    must not leave its new content in the cache under the old content's key."""
    try:
        return all(file.read_bytes() == content for file, content in hashed.items())
    except OSError:
        return False


def content_key(kind: str, *contents: bytes) -> str:
    digest = hashlib.sha256(f"{kind}:{__version__}:{_FORMAT}".encode())
    for content in contents:
        digest.update(len(content).to_bytes(8, "little"))
        digest.update(content)
    return f"{kind}-{digest.hexdigest()[:40]}"


_DIGEST = 32  # bytes of sha256 in front of each cache file's payload


def read_cached(key: str) -> Any:
    """What `write_cached` stored under `key`; None (and the file deleted) if it is missing,
    does not match its checksum or does not decode."""
    try:
        raw = (cache_dir() / key).read_bytes()
    except OSError:
        return None
    payload = _decoded(raw, key)
    if payload is None:
        discard(key)
    return payload


def _decoded(raw: bytes, key: str) -> Any:
    digest, body = raw[:_DIGEST], raw[_DIGEST:]
    try:
        if hashlib.sha256(body).digest() != digest:
            raise ValueError("checksum")
        payload = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    if not (isinstance(payload, tuple) and len(payload) == 2 and payload[0] == key):
        return None
    return payload[1]


SHIPPED = Path(__file__).with_name("embedded.cache")  # the embedded registry, validated


def _shipped(key: str) -> Any:
    """The embedded registry as the package ships it validated, so a fresh install starts
    warm; only when it was built from these very files (the key says so) and is intact."""
    try:
        return _decoded(SHIPPED.read_bytes(), key)
    except OSError:
        return None


def shipped_bytes() -> bytes:
    """What SHIPPED must hold: the embedded registry validated from its YAML, keyed by content.
    Rebuild with `python -c "import safecity_cli.cache as c; c.SHIPPED.write_bytes(c.shipped_bytes())"`."""
    from safecity_cli.registry.layout import embedded_data_dir
    from safecity_cli.registry.load import load_registry

    path = embedded_data_dir()
    files = registry_files(path)
    key = content_key("registry", *(p for f in files for p in (f.name.encode(), f.read_bytes())))
    body = marshal.dumps((key, _registry_to(load_registry(path))))
    return hashlib.sha256(body).digest() + body


def write_cached(key: str, data: Any) -> None:
    """Best effort: a cache that cannot be written only costs speed."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        body = marshal.dumps((key, data))
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(hashlib.sha256(body).digest() + body)
        os.replace(tmp, folder / key)
    except (OSError, ValueError):
        pass


def discard(key: str) -> None:
    """Forget a cache file that cannot be trusted, so it is rebuilt."""
    with suppress(OSError):
        (cache_dir() / key).unlink(missing_ok=True)


# -- the model as plain tuples -----------------------------------------------------------------


def _day(value: date | None) -> int | None:
    return value.toordinal() if value is not None else None


def _from_day(value: int | None) -> date | None:
    return date.fromordinal(value) if value is not None else None


def _deadline_to(d: Deadline) -> tuple[Any, ...]:
    return (d.raw, d.kind.value, _day(d.start), _day(d.end), d.every_months, d.ends_in_month)


@functools.lru_cache(maxsize=4096)  # tasks read one by one share a few hundred deadlines
def _deadline_from(row: tuple[Any, ...]) -> Deadline:
    raw, kind, start, end, every, ends_in = row
    return Deadline(raw, DeadlineKind(kind), _from_day(start), _from_day(end), every, ends_in)


def task_row(t: Task) -> tuple[Any, ...]:
    """One task as a plain tuple, its deadline inline (the index stores tasks one by one)."""
    return (t.id, t.category, t.text, t.units, _deadline_to(t.deadline), t.written_units,
            t.open_ended, t.criteria)


def task_from_row(row: tuple[Any, ...]) -> Task:
    i, c, text, u, d, w, o, cr = row
    return Task(i, c, text, u, _deadline_from(d), w, o, cr)


def shell_row(r: Registry) -> tuple[Any, ...]:
    """The registry without its tasks, as plain tuples."""
    return _registry_to(r, with_tasks=False)


def registry_from_row(row: tuple[Any, ...], path: Path) -> Registry:
    return _registry_from(row, path)


def _registry_to(r: Registry, *, with_tasks: bool = True) -> tuple[Any, ...]:
    deadlines: dict[Deadline, int] = {}
    tasks = r.tasks if with_tasks else ()
    for deadline in (*(t.deadline for t in tasks), *(i.deadline for i in r.items)):
        deadlines.setdefault(deadline, len(deadlines))
    p, e = r.program, r.program.escalation
    return (
        (
            p.name,
            p.short_name,
            _day(p.start),
            _day(p.final_deadline),
            p.document,
            p.issuer,
            e.blue_within_days,
            e.red_after_days,
            e.idle_window_share,
            p.operator,
            p.late_after_days,
        ),
        [(c.id, c.numeral, c.title) for c in r.categories],
        [_deadline_to(d) for d in deadlines],
        [
            (
                t.id,
                t.category,
                t.text,
                t.units,
                deadlines[t.deadline],
                t.written_units,
                t.open_ended,
                t.criteria,
            )
            for t in tasks
        ],
        [
            (u.name, u.kind, u.aliases, u.members, u.contact, u.phone, u.member_kinds)
            for u in r.units
        ],
        r.kinds,
        [(ph.id, ph.name, ph.period, _day(ph.start), _day(ph.end), ph.summary) for ph in r.phases],
        [(i.id, i.text, i.units, deadlines[i.deadline], i.written_units) for i in r.items],
        [(g.numeral, g.heading, [(m.id, m.title, m.text) for m in g.tasks]) for g in r.main_tasks],
        (r.applies_to_all.units, r.applies_to_all.note),
        _criteria_to(r.criteria),
        _scoring_to(r.scoring),
        list(r.task_files) if with_tasks else [],
    )


def _scoring_to(s: Scoring | None) -> tuple[Any, ...] | None:
    if s is None:
        return None
    return (s.document, s.example, s.base, [(r.name, r.points, r.cap) for r in s.rules])


def _scoring_from(row: tuple[Any, ...] | None) -> Scoring | None:
    if row is None:
        return None
    document, example, base, rules = row
    return Scoring(document, example, base, tuple(ScoringRule(*r) for r in rules))


def _item_to(i: CriteriaItem) -> tuple[Any, ...]:
    return (i.id, i.title, i.points, i.content, i.scoring_rule, i.source, i.level, i.child)


def _criteria_to(c: Criteria | None) -> tuple[Any, ...] | None:
    if c is None:
        return None
    return (
        c.document,
        c.total_points,
        [
            (
                lv.id,
                lv.title,
                lv.points,
                [
                    (ch.id, ch.title, ch.points, [_item_to(i) for i in ch.items])
                    for ch in lv.children
                ],
            )
            for lv in c.levels
        ],
        [_item_to(i) for i in c.bonus],
    )


def _criteria_from(row: tuple[Any, ...] | None) -> Criteria | None:
    if row is None:
        return None
    document, total, levels, bonus = row
    return Criteria(
        document,
        total,
        tuple(
            CriteriaLevel(
                lid,
                title,
                points,
                tuple(
                    CriteriaChild(cid, ctitle, cpoints, tuple(CriteriaItem(*i) for i in items))
                    for cid, ctitle, cpoints, items in children
                ),
            )
            for lid, title, points, children in levels
        ),
        tuple(CriteriaItem(*i) for i in bonus),
    )


def _registry_from(row: tuple[Any, ...], path: Path) -> Registry:
    (program, categories, deadlines, tasks, units, kinds, phases, items, groups, common, crit,
     rules, task_files) = row
    name, short, start, final, document, issuer, blue, red, idle, operator, late = program
    table = [_deadline_from(d) for d in deadlines]
    return Registry(
        path=path,
        embedded=is_embedded(path),
        program=Program(
            name,
            short,
            date.fromordinal(start),
            date.fromordinal(final),
            document,
            issuer,
            Escalation(blue, red, idle),
            operator,
            late,
        ),
        categories=tuple(Category(*c) for c in categories),
        tasks=tuple(
            Task(i, c, text, u, table[d], w, o, cr) for i, c, text, u, d, w, o, cr in tasks
        ),
        units=tuple(Unit(*u) for u in units),
        kinds=tuple(kinds),
        phases=tuple(
            Phase(i, n, per, _from_day(s), _from_day(e), summ) for i, n, per, s, e, summ in phases
        ),
        items=tuple(ScheduleItem(i, text, u, table[d], w) for i, text, u, d, w in items),
        main_tasks=tuple(
            MainTaskGroup(n, h, tuple(MainTask(*m) for m in ms)) for n, h, ms in groups
        ),
        applies_to_all=AppliesToAll(*common),
        criteria=_criteria_from(crit),
        scoring=_scoring_from(rules),
        task_files=tuple((name, count) for name, count in task_files),
    )


def _entry_to(e: Entry) -> tuple[Any, ...]:
    return (
        e.task,
        e.unit,
        e.status.value,
        _day(e.date),
        e.recorded_at.isoformat(),  # aware: the same text under any TZ
        e.note,
        [(v.ref, v.size, v.sha256) for v in e.evidence],
        e.by,
        _day(e.new_deadline),
        e.id,
        e.kind.value,
        e.ref,
    )


_KIND = {kind.value: kind for kind in Kind}
_STATUS = {status.value: status for status in Status}  # a dict lookup: Status(...) is slower


def _entry_from(row: tuple[Any, ...]) -> Entry:
    task, unit, status, day, recorded, note, evidence, by, new_deadline, entry_id, kind, ref = row
    return Entry(
        task,
        unit,
        _STATUS[status],
        date.fromordinal(day),
        datetime.fromisoformat(recorded),
        note,
        tuple(Evidence(*v) for v in evidence) if evidence else (),
        by,
        date.fromordinal(new_deadline) if new_deadline is not None else None,
        entry_id,
        _KIND[kind],
        ref,
    )
