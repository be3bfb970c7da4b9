"""The progress ledger: append-only YAML files under DATA/progress/, written atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safecity_cli.dates import DISTRICT_ZONE, in_district
from safecity_cli.errors import LedgerError

if TYPE_CHECKING:
    pass

ID_LENGTH = 12  # hex digits: unique among millions of entries, short enough to type


class Status(str, Enum):
    NOT_STARTED = "未启动"
    IN_PROGRESS = "推进中"
    DONE = "已完成"
    CLOSED = "已销号"
    DEFERRED = "延期"
    SUSPENDED = "暂缓"

    @property
    def complete(self) -> bool:
        return self in (Status.DONE, Status.CLOSED)


@dataclass(frozen=True, slots=True)
class Evidence:
    ref: str  # a path or URL as given
    size: int | None = None
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ref": self.ref}
        if self.sha256 is not None:
            data |= {"size": self.size, "sha256": self.sha256}
        return data


@dataclass(frozen=True, slots=True)
class Entry:
    task: int | str  # a task's id, or a 日程 item as "S12"
    unit: str | None  # None: the office closed the whole task
    status: Status
    date: dt.date
    recorded_at: datetime
    note: str = ""
    evidence: tuple[Evidence, ...] = ()
    by: str = ""
    new_deadline: dt.date | None = None
    id: str = ""  # written into the file; derived from the content for entries written before ids

    def __post_init__(self) -> None:
        if self.recorded_at.tzinfo is None:
            object.__setattr__(self, "recorded_at", in_district(self.recorded_at))
        if not self.id:
            object.__setattr__(self, "id", entry_id(self))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "task": self.task,
            "unit": self.unit,
            "status": self.status.value,
            "date": self.date,
        }
        if self.new_deadline is not None:
            data["new_deadline"] = self.new_deadline
        data |= {
            "note": self.note,
            "evidence": [e.to_dict() for e in self.evidence],
            "by": self.by,
            "recorded_at": self.recorded_at.astimezone(DISTRICT_ZONE).isoformat(
                timespec="microseconds"
            ),
        }
        return data


def entry_id(entry: Entry) -> str:
    """A short id from what the entry says and the instant it was recorded: the same entry
    always gets the same id, whatever the machine's clock zone."""
    moment = entry.recorded_at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    fields = [
        entry.task,
        entry.unit,
        entry.status.value,
        entry.date.isoformat(),
        entry.new_deadline.isoformat() if entry.new_deadline else None,
        entry.note,
        [[v.ref, v.size, v.sha256] for v in entry.evidence],
        entry.by,
        moment,
    ]
    text = json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_LENGTH]


class Ledger:
    """Every progress entry, grouped by task and in order.

    A ledger read from the cache keeps each task's entries as plain rows and decodes them
    on first use, so a query that touches a few tasks never builds the other entries.
    """

    __slots__ = ("_as_of", "_by_task", "_decode", "_earliest_adjustment", "_pending")

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._by_task: dict[int | str, list[Entry]] = {}
        self._as_of: dict[date, Ledger] = {}
        for entry in sorted(entries, key=_order):
            self._by_task.setdefault(entry.task, []).append(entry)
        self._pending: dict[int | str, list[Any]] = {}
        self._decode: Callable[[Any], Entry] | None = None
        self._earliest_adjustment: dict[int | str, dt.date] = {}
        for task_id, task_entries in self._by_task.items():
            adjusted = [e.new_deadline for e in task_entries if e.new_deadline is not None]
            if adjusted:
                self._earliest_adjustment[task_id] = min(adjusted)

    @classmethod
    def from_rows(
        cls,
        rows: dict[int | str, list[Any]],
        decode: Callable[[Any], Entry],
        earliest_adjustment: dict[int | str, dt.date],
    ) -> Ledger:
        """A ledger over encoded rows, each task's already in order."""
        ledger = cls()
        ledger._pending = rows
        ledger._decode = decode
        ledger._earliest_adjustment = earliest_adjustment
        return ledger

    def for_task(self, task_id: int | str) -> list[Entry]:
        """A task's entries (or a 日程 item's, by "S12"), oldest first (by date, then by when
        they were recorded)."""
        rows = self._pending.pop(task_id, None)
        if rows is not None and self._decode is not None:
            self._by_task[task_id] = [self._decode(row) for row in rows]
        return list(self._by_task.get(task_id, ()))

    def earliest_adjustment(self, task_id: int | str) -> dt.date | None:
        """The earliest adjusted deadline (延期) any entry gives the task, if any."""
        return self._earliest_adjustment.get(task_id)

    @property
    def entries(self) -> tuple[Entry, ...]:
        for task_id in list(self._pending):
            self.for_task(task_id)
        return tuple(e for task_entries in self._by_task.values() for e in task_entries)

    def grouped_rows(self, encode: Callable[[Entry], Any]) -> dict[int | str, list[Any]]:
        return {task: [encode(e) for e in self.for_task(task)] for task in self.task_ids()}

    def task_ids(self) -> list[int | str]:
        """Tasks first, then 日程 items (S1, S2, …)."""
        return sorted({*self._by_task, *self._pending}, key=_key_order)

    def as_of(self, day: date) -> Ledger:
        """The entries up to `day`; built once per day (a ledger is never changed once made,
        and --all-units asks for the same day once per unit)."""
        found = self._as_of.get(day)
        if found is None:
            found = Ledger(e for e in self.entries if e.date <= day)
            found._as_of[day] = found
            self._as_of[day] = found
        return found

    def latest(self) -> Entry | None:
        return max(self.entries, key=lambda e: e.recorded_at, default=None)

    def find(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def _key_order(key: int | str) -> tuple[int, int]:
    return (0, key) if isinstance(key, int) else (1, int(key[1:]) if key[1:].isdigit() else 0)


def _order(entry: Entry) -> tuple[date, datetime]:
    return entry.date, entry.recorded_at


def evidence_for(ref: str, base: Path, registry_dir: Path | None = None) -> Evidence:
    """Record a URL as given; a local file with its size and sha256 so a change shows later.

    A relative path is read from `base` (where the user typed it) and stored relative to
    the registry when the file lies inside it, else as an absolute path, so that a later
    check finds it from anywhere."""
    if "://" in ref:
        return Evidence(ref)
    path = (base / ref).resolve()
    if not path.is_file():
        raise LedgerError(f"佐证材料文件不存在：{ref}")
    stored = str(path)
    if registry_dir is not None and path.is_relative_to(registry_dir.resolve()):
        stored = path.relative_to(registry_dir.resolve()).as_posix()
    return Evidence(stored, path.stat().st_size, _sha256(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_evidence(evidence: Evidence, registry_dir: Path) -> str | None:
    """Why a recorded local file no longer matches (None when it does or it is a URL)."""
    if evidence.sha256 is None:
        return None
    path = registry_dir / evidence.ref
    if not path.is_file():
        return "文件已不存在"
    return None if _sha256(path) == evidence.sha256 else "文件内容已变化"


def same_report(a: Entry, b: Entry) -> bool:
    """Two entries that say the same thing (recorded at different moments)."""
    return _says(a) == _says(b)


def _says(e: Entry) -> tuple[Any, ...]:
    # A local file by its content: the same sheet imported from another folder names the
    # same evidence by another absolute path.
    refs = tuple(v.sha256 or v.ref for v in e.evidence)
    return (e.task, e.unit, e.status.value, e.date, e.note, e.by, e.new_deadline, refs)
