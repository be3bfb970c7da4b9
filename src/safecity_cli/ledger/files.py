"""The ledger's files: DATA/progress/*.yaml, read whole, appended to as text under a lock."""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safecity_cli.errors import LedgerError, Problem, RegistryError
from safecity_cli.files import safe_name
from safecity_cli.ledger.entries import Entry, Evidence, Kind, Ledger, Status, same_report

if TYPE_CHECKING:
    from safecity_cli.registry.models import Registry

PROGRESS_DIR = "progress"
OFFICE_FILE = "_office.yaml"  # the office's 销号 of whole tasks
LOCK_FILE = ".lock"


# -- reading ---------------------------------------------------------------------------------


def load_ledger(data_dir: Path, read_file: Callable[[Path], list[Entry]] | None = None) -> Ledger:
    """Every entry under DATA/progress/; RegistryError with file and line for a broken file.

    `read_file` lets the cache answer for files it has already read."""
    read = read_file or read_progress_file
    folder = data_dir / PROGRESS_DIR
    if not folder.is_dir():
        return Ledger()
    settle(data_dir)
    entries: list[Entry] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            entries.extend(read(path))
        except RegistryError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RegistryError(problems)
    return Ledger(tuple(entries))


def read_progress_file(path: Path) -> list[Entry]:
    from safecity_cli.registry.yaml_files import YamlProblem, read_text

    try:
        text = read_text(path)
    except YamlProblem as exc:
        raise RegistryError(exc.problems) from None
    return parse_progress(text, path)


def parse_progress(text: str, path: Path) -> list[Entry]:
    """The entries of a progress file's text (`path` names it in problems)."""
    from pydantic import ValidationError

    from safecity_cli.ledger.schema import ProgressFile
    from safecity_cli.registry.schema import validation_problems
    from safecity_cli.registry.yaml_files import YamlProblem, parse_yaml

    try:
        raw = parse_yaml(text, path)
    except YamlProblem as exc:
        if exc.problem.message == "文件为空":
            return []
        raise RegistryError(exc.problems) from None
    try:
        parsed = ProgressFile.model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(validation_problems(path, raw, exc)) from None
    return [
        Entry(
            e.task,
            e.unit,
            Status(e.status),
            e.date,
            e.recorded_at,
            e.note,
            tuple(Evidence(v.ref, v.size, v.sha256) for v in e.evidence),
            e.by,
            e.new_deadline,
            e.id or "",
            Kind(e.kind or ""),
            e.ref or "",
        )
        for e in parsed.entries
    ]


def check_ledger(registry: Registry) -> list[Problem]:
    """Every problem in every progress file: broken files, and entries that name a task or
    unit the registry does not know (with file and line)."""

    def listed_group(name: str) -> bool:
        unit = registry.unit(name)
        return unit is not None and bool(unit.members)

    return check_progress(
        registry.path,
        lambda key: registry.target(key) is not None,
        lambda name: registry.unit(name) is not None,
        listed_group,
    )


def check_progress(
    data_dir: Path,
    has_target: Callable[[int | str], bool] | None,
    has_unit: Callable[[str], bool] | None,
    listed_group: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """Every problem in every progress file, read past its first one: broken entries, and
    entries naming a task, 日程 item or unit unknown to `has_target`/`has_unit` (None: the
    registry itself could not be read that far, so that check is left out)."""
    from safecity_cli.ledger.schema import ProgressFile
    from safecity_cli.registry.schema import check_model
    from safecity_cli.registry.yaml_files import YamlProblem, line_of, load_yaml

    problems: list[Problem] = []
    folder = data_dir / PROGRESS_DIR
    if folder.is_dir():
        settle(data_dir)
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        try:
            raw = load_yaml(path, keep_bad=True)
        except YamlProblem as exc:
            if exc.problem.message != "文件为空":
                problems.append(exc.problem)
            continue
        parsed, found, positions = check_model(path, raw, ProgressFile)
        problems.extend(found)
        kept = parsed.entries if parsed is not None and parsed.entries is not None else []
        where_of = positions.get("entries", list(range(len(kept))))
        entries = [(where_of[n], e) for n, e in enumerate(kept)]
        for i, entry in entries:
            where = f"entries[第{i + 1}项]"
            if entry.id is not None and entry.id in seen:
                line = line_of(path, ["entries", i])
                message = f"记录编号 {entry.id} 重复（{seen[entry.id]}已有）"
                problems.append(Problem(str(path), line, f"{where}.id", message))
            if entry.id is not None:
                seen.setdefault(entry.id, f"{path.name} 第{i + 1}项")
            if has_target is not None and not has_target(entry.task):
                line = line_of(path, ["entries", i, "task"])
                message = (
                    f"进展记录引用了不存在的日程 {entry.task}"
                    if isinstance(entry.task, str)
                    else f"进展记录引用了不存在的任务序号 {entry.task}"
                )
                problems.append(Problem(str(path), line, f"{where}.task", message))
            if entry.unit is not None and has_unit is not None and not has_unit(entry.unit):
                line = line_of(path, ["entries", i, "unit"])
                message = f"进展记录引用了未知的单位「{entry.unit}」"
                problems.append(Problem(str(path), line, f"{where}.unit", message))
            elif entry.unit is not None and listed_group is not None and listed_group(entry.unit):
                # Recorded before the group listed its members: its members report now.
                line = line_of(path, ["entries", i, "unit"])
                message = f"「{entry.unit}」已列出成员单位，这条记录不再计入，请由成员单位分别报送"
                problems.append(Problem(str(path), line, f"{where}.unit", message, warning=True))
    return problems


# -- writing ---------------------------------------------------------------------------------


def file_name(unit: str | None) -> str:
    if unit is None:
        return OFFICE_FILE
    return safe_name(unit) + ".yaml"


_held = 0  # how deeply this process holds the lock (reading under it must not lock again)


@contextmanager
def locked(data_dir: Path) -> Iterator[Path]:
    """Serialise writers on one registry; yields the progress folder.

    Whoever takes the lock first finishes or discards a write that was interrupted."""
    global _held
    from filelock import FileLock, Timeout

    from safecity_cli.ledger.journal import recover

    folder = data_dir / PROGRESS_DIR
    folder.mkdir(exist_ok=True)
    try:
        with FileLock(str(folder / LOCK_FILE), timeout=30):
            _held += 1
            try:
                recover(folder)
                yield folder
            finally:
                _held -= 1
    except Timeout:
        raise LedgerError(
            "另一个 safecity 命令正在写入进展记录，30 秒内未能获得文件锁，请稍后重试"
        ) from None


def settle(data_dir: Path) -> None:
    """Before reading: finish or discard a write that was interrupted (kill -9, power cut)."""
    from safecity_cli.ledger.journal import pending

    folder = data_dir / PROGRESS_DIR
    if _held or not pending(folder):
        return
    try:
        with locked(data_dir):
            pass
    except OSError:  # a read-only copy: only a committed journal changes what a read sees
        from safecity_cli.ledger.journal import COMMIT, JOURNAL_DIR

        if (folder / JOURNAL_DIR / COMMIT).is_file():
            raise LedgerError(
                f"{folder} 中有一次已提交但未完成的写入，需要有写权限的用户运行任一 safecity 命令"
                "来完成它"
            ) from None


def append_entries(data_dir: Path, new: list[Entry], *, skip_repeats: bool = False) -> int:
    """Append entries (each to its unit's file) under the lock; all or nothing.

    With `skip_repeats`, an entry that says the same as one already in the file is left
    out. Returns how many entries were written."""
    return append_checked(data_dir, lambda _: new, skip_repeats=skip_repeats)


def append_checked(
    data_dir: Path,
    build: Callable[[Ledger], Sequence[Entry]],
    *,
    skip_repeats: bool = False,
    read_ledger: Callable[[], Ledger] | None = None,
    read_file: Callable[[Path, bytes], list[Entry]] | None = None,
    written: Callable[[bytes, list[Entry]], None] | None = None,
) -> int:
    """Under the lock: read the ledger afresh, let `build` check against it and say what to
    append (it raises to refuse), then append that. `read_ledger` (the cache) reads faster;
    without it the ledger is read only if `build` looks at it. `read_file(path, content)`
    (the cache too) says what a file's content holds. `written(content, entries)` learns
    what each file written now holds (the cache keeps it, so no one parses it again)."""
    with locked(data_dir) as folder:
        ledger = read_ledger() if read_ledger is not None else _LazyLedger(data_dir)
        new = list(build(ledger))
        by_file: dict[str, list[Entry]] = {}
        for entry in new:
            by_file.setdefault(file_name(entry.unit), []).append(entry)
        contents: dict[Path, bytes] = {}
        holds: dict[Path, list[Entry]] = {}
        count = 0
        for name, entries in by_file.items():
            path = folder / name
            old = path.read_bytes() if path.exists() else None
            if old is None:
                existing = []
            elif read_file is not None:
                existing = read_file(path, old)
            else:
                existing = read_progress_file(path)
            if skip_repeats:
                entries = [e for e in entries if not any(same_report(e, o) for o in existing)]
            if entries:
                contents[path] = appended(path, old, existing, entries)
                holds[path] = existing + entries  # what appended() checked the text reads as
                count += len(entries)
        if contents:
            from safecity_cli.ledger.journal import commit

            commit(folder, contents)
            if written is not None:
                for path, content in contents.items():
                    written(content, holds[path])
    return count


class _LazyLedger(Ledger):
    """The ledger as the files hold it now, read only if a check looks at it."""

    __slots__ = ("_data_dir", "_loaded")

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self._data_dir = data_dir
        self._loaded: Ledger | None = None

    def _real(self) -> Ledger:
        if self._loaded is None:
            self._loaded = load_ledger(self._data_dir)
        return self._loaded

    def records(self, task_id: int | str) -> list[Entry]:
        return self._real().records(task_id)

    def earliest_adjustment(self, task_id: int | str) -> dt.date | None:
        return self._real().earliest_adjustment(task_id)

    def task_ids(self) -> list[int | str]:
        return self._real().task_ids()


# -- the text of a progress file ---------------------------------------------------------------


def appended(path: Path, old: bytes | None, existing: list[Entry], new: list[Entry]) -> bytes:
    """The file's bytes followed by the new entries: nothing already written changes.

    The new entries go at the end, under `entries:`, which must therefore be the file's last
    key; the result is parsed again and must hold exactly the old entries and the new."""
    if old is None or not _has_data(old):
        head = old or b""
        if head and not head.endswith(b"\n"):
            head += b"\n"
        if not head.strip():
            head = _header(new[0].unit).encode("utf-8")
        text = head + b"entries:\n" + _blocks(new, "", "\n").encode("utf-8")
    else:
        old, indent = _continuable(path, old)
        newline = "\r\n" if b"\r\n" in old else "\n"
        tail = b"" if old.endswith(b"\n") else newline.encode()
        text = old + tail + _blocks(new, indent, newline).encode("utf-8")
    _expect(path, text, existing + new)
    return text


def _has_data(content: bytes) -> bool:
    """Whether a file holds more than blank lines and comments."""
    lines = content.decode("utf-8-sig", errors="replace").splitlines()
    return any(line.strip() and not line.lstrip().startswith("#") for line in lines)


def _entries_node(text: str) -> Any:
    import yaml

    from safecity_cli.registry.yaml_files import compose_node

    node = compose_node(text)
    if not isinstance(node, yaml.MappingNode) or not node.value:
        raise LedgerError("文件顶层不是「entries:」")
    key, value = node.value[-1]
    if key.value != "entries":
        raise LedgerError("「entries:」不是文件中最后一个键")
    return value


def _continuable(path: Path, old: bytes) -> tuple[bytes, str]:
    """The file's bytes as new list items can follow them, and the items' indentation."""
    import yaml

    bom = codecs.BOM_UTF8 if old.startswith(codecs.BOM_UTF8) else b""
    text = old[len(bom) :].decode("utf-8")
    try:
        value = _entries_node(text)
    except LedgerError as exc:
        raise LedgerError(
            f"{path}：{exc.message}，无法只在末尾追加记录；请把 entries: 放在文件最后"
        ) from None
    if not isinstance(value, yaml.SequenceNode):
        return old, ""
    if not value.flow_style:
        return old, " " * value.start_mark.column
    if value.value:
        raise LedgerError(
            f"{path}：entries 写成了方括号列表，无法只在末尾追加记录；"
            "请改为每条记录以「- 」开头的写法"
        )
    # `entries: []`, as undo used to leave a file it emptied: the brackets hold nothing to keep.
    start, end = value.start_mark.index, value.end_mark.index
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return bom + (text[:start] + text[end:]).encode("utf-8"), ""


def _expect(path: Path, text: bytes, entries: list[Entry]) -> None:
    """Refuse to write a file that would not read back as exactly these entries."""
    try:
        found = parse_progress(text.decode("utf-8-sig"), path)
    except (RegistryError, UnicodeDecodeError):
        found = None
    if found != entries:
        raise LedgerError(
            f"{path} 的写法无法在末尾追加记录而不改动已有内容，未做任何改动；"
            "请检查该文件（可运行 safecity validate）"
        )


def _blocks(entries: list[Entry], indent: str, newline: str) -> str:
    from safecity_cli.registry.yaml_files import dump_yaml

    lines = dump_yaml([e.to_dict() for e in entries]).splitlines()
    return "".join((indent + line if line else line) + newline for line in lines)


def _header(unit: str | None) -> str:
    owner = f"{unit} 的进展记录" if unit else "创建办对整项任务的销号记录"
    return f"# {owner}。由 safecity 追加写入；更正请追加新记录，不要修改已有条目。\n"
