"""The ledger's files: DATA/progress/*.yaml, read whole, appended atomically under a lock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from safecity_cli.errors import LedgerError, Problem, RegistryError
from safecity_cli.files import safe_name, write_all_atomic, write_atomic
from safecity_cli.ledger.entries import Entry, Evidence, Ledger, Status, same_report

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
    from pydantic import ValidationError

    from safecity_cli.ledger.schema import ProgressFile
    from safecity_cli.registry.schema import validation_problems
    from safecity_cli.registry.yaml_files import YamlProblem, load_yaml

    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        if exc.problem.message == "文件为空":
            return []
        raise RegistryError([exc.problem]) from None
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


@contextmanager
def locked(data_dir: Path) -> Iterator[Path]:
    """Serialise writers on one registry; yields the progress folder."""
    from filelock import FileLock, Timeout

    folder = data_dir / PROGRESS_DIR
    folder.mkdir(exist_ok=True)
    try:
        with FileLock(str(folder / LOCK_FILE), timeout=30):
            yield folder
    except Timeout:
        raise LedgerError(
            "另一个 safecity 命令正在写入进展记录，30 秒内未能获得文件锁，请稍后重试"
        ) from None


def append_entries(data_dir: Path, new: list[Entry], *, skip_repeats: bool = False) -> int:
    """Append entries (each to its unit's file) under the lock; all or nothing per file.

    With `skip_repeats`, an entry that says the same as one already in the file is left
    out. Returns how many entries were written."""
    written = 0
    with locked(data_dir) as folder:
        by_file: dict[str, list[Entry]] = {}
        for entry in new:
            by_file.setdefault(file_name(entry.unit), []).append(entry)
        texts: dict[Path, str] = {}
        for name, entries in by_file.items():
            path = folder / name
            existing = read_progress_file(path) if path.exists() else []
            if skip_repeats:
                entries = [e for e in entries if not any(same_report(e, o) for o in existing)]
            if entries:
                texts[path] = _render(existing + entries, entries[0].unit)
                written += len(entries)
        write_all_atomic(texts)
    return written


def remove_entry(data_dir: Path, target: Entry) -> None:
    """Remove one entry from the file that holds it (usually, but not always, its unit's)."""
    with locked(data_dir) as folder:
        usual = folder / file_name(target.unit)
        others = sorted(p for p in folder.glob("*.yaml") if p != usual)
        for path in [usual, *others] if usual.exists() else others:
            entries = read_progress_file(path)
            if target in entries:
                entries.remove(target)
                write_atomic(path, _render(entries, target.unit))
                return
        raise LedgerError("要撤销的记录已不存在（可能已被其他人撤销），未做任何改动")


def _render(entries: list[Entry], unit: str | None) -> str:
    from safecity_cli.registry.yaml_files import dump_yaml

    owner = f"{unit} 的进展记录" if unit else "创建办对整项任务的销号记录"
    header = f"# {owner}。由 safecity 追加写入；更正请追加新记录，不要修改已有条目。\n"
    return header + dump_yaml({"entries": [e.to_dict() for e in entries]})
