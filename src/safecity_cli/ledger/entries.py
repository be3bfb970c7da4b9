"""The progress ledger: append-only YAML files under DATA/progress/, written atomically."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cached_property
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

    @cached_property  # asked millions of times at 100k tasks: a plain attribute after the first
    def complete(self) -> bool:
        return self in (Status.DONE, Status.CLOSED)


class Kind(str, Enum):
    """What an entry is: a unit's report (the default, not written), a 延期 that waits for
    the office's decision, the office's decision on one, or the reversal of an entry."""

    REPORT = ""
    REQUEST = "延期申请"
    APPROVE = "批准"
    REJECT = "驳回"
    UNDO = "撤销"

    @cached_property
    def control(self) -> bool:
        """An entry about another entry (`ref`): it is no report and counts as none."""
        return self in (Kind.APPROVE, Kind.REJECT, Kind.UNDO)


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
    kind: Kind = Kind.REPORT
    ref: str = ""  # the id of the entry a decision or a 撤销 is about

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
        }
        if self.kind is not Kind.REPORT:
            data["kind"] = self.kind.value
        if self.ref:
            data["ref"] = self.ref
        data["date"] = self.date
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
    if entry.kind is not Kind.REPORT or entry.ref:  # ids of plain reports stay as they were
        fields += [entry.kind.value, entry.ref]
    import hashlib
    import json

    text = json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_LENGTH]


@dataclass(frozen=True, slots=True)
class _View:
    """What a task's records come to: the entries that count, and the decisions on requests."""

    entries: list[Entry]
    decisions: dict[str, Entry]  # request id -> the office's decision that counts
    reversals: dict[str, Entry]  # reversed entry id -> the 撤销 entry


_UNDO = Kind.UNDO  # module names are quicker to reach than Enum members, per record
_DECISIONS = frozenset((Kind.APPROVE, Kind.REJECT))
_NONE: dict[str, Entry] = {}  # never written: the decisions and reversals of most tasks


def _view(records: list[Entry]) -> _View:
    if not any(r.kind.control for r in records):  # most tasks: every record is a report
        return _View(records, _NONE, _NONE)
    reversals: dict[str, Entry] = {}
    for record in records:
        if record.kind is _UNDO:
            reversals.setdefault(record.ref, record)
    decisions: dict[str, Entry] = {}
    for record in records:
        if record.kind in _DECISIONS and record.id not in reversals:
            decisions.setdefault(record.ref, record)
    entries = [r for r in records if not r.kind.control and r.id not in reversals]
    return _View(entries, decisions, reversals)


class Ledger:
    """Every progress entry, grouped by task and in order.

    The files hold records of every kind; what a query sees (`for_task`, `entries`) is the
    reports that count: a reversed entry (撤销) and the control entries themselves are left
    out. A ledger read from the cache keeps each task's records as plain rows and decodes
    them on first use, so a query that touches a few tasks never builds the other entries.
    """

    __slots__ = (
        "_as_of",
        "_by_task",
        "_decode",
        "_earliest_adjustment",
        "_entries",
        "_pending",
        "_views",
    )

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._by_task: dict[int | str, list[Entry]] = {}
        self._as_of: dict[date, Ledger] = {}
        for entry in sorted(entries, key=_order):
            self._by_task.setdefault(entry.task, []).append(entry)
        self._pending: dict[int | str, list[Any]] = {}
        self._decode: Callable[[Any], Entry] | None = None
        self._earliest_adjustment: dict[int | str, dt.date] = {}
        self._views: dict[int | str, _View] = {}
        self._entries: tuple[Entry, ...] | None = None
        for task_id, task_entries in self._by_task.items():
            # Every new_deadline any record names, counted or not: a bound for quick tests.
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

    def records(self, task_id: int | str) -> list[Entry]:
        """Every record of a task (or a 日程 item's, by "S12") as written, reversed ones and
        撤销/批准/驳回 included."""
        return list(self._stored(task_id))

    def _stored(self, task_id: int | str) -> list[Entry]:
        rows = self._pending.pop(task_id, None)
        if rows is not None and self._decode is not None:
            self._by_task[task_id] = [self._decode(row) for row in rows]
        return self._by_task.get(task_id, [])

    def _view_of(self, task_id: int | str) -> _View:
        view = self._views.get(task_id)
        if view is None:
            # Kept: reports ask for a task's entries again and again (--all-units once for
            # each unit that reported on it and once more for its row's note).
            view = self._views[task_id] = _view(self._stored(task_id))
        return view

    def for_task(self, task_id: int | str) -> list[Entry]:
        """A task's (or a 日程 item's) entries that count, oldest first (by date, then by
        when they were recorded): reports and 延期 requests not reversed."""
        return list(self._view_of(task_id).entries)

    def decision(self, request: Entry) -> Entry | None:
        """The office's decision (批准/驳回, not reversed) on a 延期 request, if any."""
        return self._view_of(request.task).decisions.get(request.id)

    def reversal(self, entry: Entry) -> Entry | None:
        """The 撤销 entry that reverses this one, if any."""
        return self._view_of(entry.task).reversals.get(entry.id)

    def earliest_adjustment(self, task_id: int | str) -> dt.date | None:
        """The earliest adjusted deadline (延期) any record names for the task, if any: a
        bound for quick tests (whether it counts is for the task's state to say)."""
        return self._earliest_adjustment.get(task_id)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every entry that counts, task by task (made once: a report asks several times)."""
        if self._entries is None:
            self._entries = tuple(e for task in self.task_ids() for e in self.for_task(task))
        return self._entries

    @property
    def all_records(self) -> tuple[Entry, ...]:
        return tuple(e for task in self.task_ids() for e in self.records(task))

    def grouped_rows(self, encode: Callable[[Entry], Any]) -> dict[int | str, list[Any]]:
        return {task: [encode(e) for e in self.records(task)] for task in self.task_ids()}

    def task_ids(self) -> list[int | str]:
        """Tasks first, then 日程 items (S1, S2, …)."""
        return sorted({*self._by_task, *self._pending}, key=target_order)

    def as_of(self, day: date) -> Ledger:
        """The ledger as it stood on `day`: a 撤销 holds at any date (the reversed entry was
        a mistake), everything else from its own date on. Built once per day (a ledger is
        never changed once made, and --all-units asks for the same day once per unit)."""
        found = self._as_of.get(day)
        if found is None:
            # What Ledger(kept records) makes, task by task: sorting each task's few records
            # is the same stable order as sorting them all, at a fraction of the cost.
            found = Ledger()
            for task_id in self.task_ids():
                kept = [e for e in self._stored(task_id) if e.date <= day or e.kind is _UNDO]
                if not kept:
                    continue
                if len(kept) > 1:
                    kept.sort(key=_order)
                found._by_task[task_id] = kept
                adjusted = [e.new_deadline for e in kept if e.new_deadline is not None]
                if adjusted:
                    found._earliest_adjustment[task_id] = min(adjusted)
            found._as_of[day] = found
            self._as_of[day] = found
        return found

    def as_recorded(self, moment: datetime) -> Ledger:
        """The ledger as it had been recorded at `moment`: later records are ignored."""
        return Ledger(e for e in self.all_records if e.recorded_at <= moment)

    def newest_recorded(self) -> datetime | None:
        """When the newest record was made (the stamp a report gives by default)."""
        return max((e.recorded_at for e in self.all_records), default=None)

    def latest(self) -> Entry | None:
        """The last record still in force that can be reversed (not a 撤销 itself)."""
        live = [e for e in self.all_records if e.kind is not Kind.UNDO and self.reversal(e) is None]
        return max(live, key=lambda e: e.recorded_at, default=None)

    def find(self, entry_id: str) -> Entry | None:
        return next((e for e in self.all_records if e.id == entry_id), None)

    def pending_requests(self, on: date) -> list[Entry]:
        """延期 requests dated by `on` that the office had not decided by then."""
        return [
            e
            for e in self.entries
            if e.kind is Kind.REQUEST and e.date <= on and not decided(self, e, on)
        ]


_REQUEST = Kind.REQUEST


def decided(ledger: Ledger, request: Entry, on: date) -> Entry | None:
    """The decision on a request that had been taken by `on`."""
    decision = ledger.decision(request)
    return decision if decision is not None and decision.date <= on else None


def approved(ledger: Ledger, entry: Entry, on: date) -> bool:
    """Whether a 延期 moves the deadline as of `on`: a request once the office approved it;
    a 延期 written before requests existed (no kind) always (it was granted then)."""
    if entry.kind is not _REQUEST:
        return True
    decision = decided(ledger, entry, on)
    return decision is not None and decision.kind is Kind.APPROVE


def target_order(key: int | str) -> tuple[int, int]:
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
    import hashlib

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
    return (
        e.task,
        e.unit,
        e.status.value,
        e.date,
        e.note,
        e.by,
        e.new_deadline,
        refs,
        e.kind,
        e.ref,
    )
