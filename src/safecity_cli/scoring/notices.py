"""督办通知单 as records: DATA/notices/notices.yaml, append-only, issued and answered."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path

from safecity_cli.errors import LedgerError, Problem, RegistryError, UsageError
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.registry.units import expand

NOTICES_DIR = "notices"
NOTICES_FILE = "notices.yaml"
_NUMBER = re.compile(r"督办〔(\d{4})〕(\d+)号")


class NoticeState(str, Enum):
    PENDING = "待回复"
    ANSWERED = "已回复"
    LATE = "逾期未回复"


@dataclass(frozen=True, slots=True)
class IssuedNotice:
    year: int
    number: int
    date: dt.date
    reply_by: dt.date
    unit: str
    tasks: tuple[int, ...]
    recorded_at: datetime

    @property
    def id(self) -> str:
        return f"督办〔{self.year}〕{self.number}号"


@dataclass(frozen=True, slots=True)
class Reply:
    notice: str  # the notice's id, 督办〔2021〕1号
    unit: str
    date: dt.date
    note: str
    by: str
    recorded_at: datetime


@dataclass(frozen=True)
class NoticeBook:
    notices: tuple[IssuedNotice, ...] = ()
    replies: tuple[Reply, ...] = ()

    def find(self, text: str) -> IssuedNotice:
        """A notice by its number as printed (督办〔2021〕3号), 2021-3, or 3 when only one has it."""
        query = text.strip()
        if m := _NUMBER.fullmatch(query) or re.fullmatch(r"(\d{4})[-/年](\d+)号?", query):
            hits = [n for n in self.notices if (n.year, n.number) == (int(m[1]), int(m[2]))]
        elif re.fullmatch(r"\d+号?", query):
            hits = [n for n in self.notices if n.number == int(query.rstrip("号"))]
        else:
            hits = []
        if len(hits) == 1:
            return hits[0]
        if hits:
            ids = "、".join(n.id for n in hits)
            raise UsageError(f"「{text}」可指多份督办通知单：{ids}，请写出完整编号")
        raise UsageError(f"未知的督办通知单「{text}」；用 safecity notices 查看已发出的通知单")

    def replies_to(self, notice: IssuedNotice, on: date | None = None) -> list[Reply]:
        return [r for r in self.replies if r.notice == notice.id and (on is None or r.date <= on)]

    def as_of(self, on: date) -> NoticeBook:
        return NoticeBook(
            tuple(n for n in self.notices if n.date <= on),
            tuple(r for r in self.replies if r.date <= on),
        )


def parties(registry: Registry, notice: IssuedNotice) -> tuple[str, ...]:
    """Who must answer: the unit, or each member of a collective unit."""
    unit = registry.unit(notice.unit)
    return expand(registry, unit) if unit is not None else (notice.unit,)


def answered_by(
    registry: Registry, book: NoticeBook, notice: IssuedNotice, party: str, on: date
) -> date | None:
    """When `party` answered (its own reply or the addressee's), counting replies up to `on`."""
    days = [r.date for r in book.replies_to(notice, on) if r.unit in (party, notice.unit)]
    return min(days) if days else None


def state_of(registry: Registry, book: NoticeBook, notice: IssuedNotice, on: date) -> NoticeState:
    """已回复 once every party (or the addressee itself) has answered; 逾期未回复 past reply-by."""
    waiting = [
        p for p in parties(registry, notice) if not answered_by(registry, book, notice, p, on)
    ]
    if not waiting:
        return NoticeState.ANSWERED
    return NoticeState.LATE if on > notice.reply_by else NoticeState.PENDING


def received_by(registry: Registry, book: NoticeBook, unit: Unit) -> list[IssuedNotice]:
    """The notices a unit has received: addressed to it, or (a single unit) to a collective unit
    it belongs to; a collective unit counts those addressed to itself only."""
    if unit.members:
        return [n for n in book.notices if n.unit == unit.name]
    return [n for n in book.notices if n.unit == unit.name or unit.name in parties(registry, n)]


def unanswered_in_time(
    registry: Registry, book: NoticeBook, party: str, first: date, last: date
) -> list[IssuedNotice]:
    """Notices to `party` whose reply-by fell in [first, last) unanswered by then: each one a
    unit had to have answered within the period and did not."""
    found = []
    for notice in book.notices:
        if party not in parties(registry, notice):
            continue
        if not first <= notice.reply_by < last:
            continue
        answered = answered_by(registry, book, notice, party, last)
        if answered is None or answered > notice.reply_by:
            found.append(notice)
    return found


# -- the file --------------------------------------------------------------------------------


def notices_path(data_dir: Path) -> Path:
    return data_dir / NOTICES_DIR / NOTICES_FILE


def load_notices(data_dir: Path) -> NoticeBook:
    """The notices and replies recorded; RegistryError with file and line for a broken file."""
    path = notices_path(data_dir)
    if not path.is_file():  # most registries: no need to import PyYAML and Pydantic
        return NoticeBook()
    from pydantic import ValidationError

    from safecity_cli.registry.schema import validation_problems
    from safecity_cli.registry.yaml_files import YamlProblem, load_yaml
    from safecity_cli.scoring.schema import NoticesFile

    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        if exc.problem.message == "文件为空":
            return NoticeBook()
        raise RegistryError([exc.problem]) from None
    try:
        parsed = NoticesFile.model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(validation_problems(path, raw, exc)) from None
    notices = []
    for n in parsed.notices:
        m = _NUMBER.fullmatch(n.id)
        assert m is not None  # the schema checks the form
        notices.append(
            IssuedNotice(
                int(m[1]), int(m[2]), n.date, n.reply_by, n.unit, tuple(n.tasks), n.recorded_at
            )
        )
    replies = [Reply(r.notice, r.unit, r.date, r.note, r.by, r.recorded_at) for r in parsed.replies]
    return NoticeBook(tuple(notices), tuple(replies))


def issue(
    data_dir: Path,
    unit: str,
    on: date,
    reply_by: date,
    tasks: tuple[int, ...],
    recorded_at: datetime,
) -> tuple[IssuedNotice, bool]:
    """Record a notice (numbered on from the year's last) and return it with True; the same
    notice issued again (unit, date, reply-by and tasks) is returned as recorded, with False."""
    from safecity_cli.files import write_atomic
    from safecity_cli.ledger.files import locked

    with locked(data_dir):
        book = load_notices(data_dir)
        for old in book.notices:
            if (old.unit, old.date, old.reply_by, old.tasks) == (unit, on, reply_by, tasks):
                return old, False
        number = max((n.number for n in book.notices if n.year == on.year), default=0) + 1
        new = IssuedNotice(on.year, number, on, reply_by, unit, tasks, recorded_at)
        path = notices_path(data_dir)
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, _render(NoticeBook((*book.notices, new), book.replies)))
    return new, True


def answer(
    registry: Registry,
    notice_text: str,
    unit: Unit,
    on: date,
    note: str,
    by: str,
    recorded_at: datetime,
) -> tuple[IssuedNotice, Reply]:
    """Record a unit's reply to a notice; refuse an unknown notice, a unit it was not sent to,
    a reply dated before the notice, and a second reply from the same unit."""
    from safecity_cli.dates import chinese_date
    from safecity_cli.files import write_atomic
    from safecity_cli.ledger.files import locked

    with locked(registry.path):
        book = load_notices(registry.path)
        notice = book.find(notice_text)
        if unit.name != notice.unit and unit.name not in parties(registry, notice):
            raise UsageError(f"{notice.id}是发给{notice.unit}的，{unit.name}不需要回复")
        if on < notice.date:
            raise UsageError(f"回复日期{chinese_date(on)}早于通知日期{chinese_date(notice.date)}")
        if any(r.unit == unit.name for r in book.replies_to(notice)):
            raise LedgerError(f"{unit.name}已回复过{notice.id}，未重复记录")
        if not note.strip():
            raise UsageError("请用 --note 写明落实情况")
        reply = Reply(notice.id, unit.name, on, note.strip(), by, recorded_at)
        write_atomic(
            notices_path(registry.path), _render(NoticeBook(book.notices, (*book.replies, reply)))
        )
    return notice, reply


def _render(book: NoticeBook) -> str:
    from safecity_cli.registry.yaml_files import dump_yaml

    header = (
        "# 督办通知单及其回复。由 safecity 追加写入（report notice 发出，reply 回复）；"
        "不要修改已有条目。\n"
    )
    return header + dump_yaml(
        {
            "notices": [
                {
                    "id": n.id,
                    "date": n.date,
                    "reply_by": n.reply_by,
                    "unit": n.unit,
                    "tasks": list(n.tasks),
                    "recorded_at": n.recorded_at.isoformat(timespec="microseconds"),
                }
                for n in book.notices
            ],
            "replies": [
                {
                    "notice": r.notice,
                    "unit": r.unit,
                    "date": r.date,
                    "note": r.note,
                    "by": r.by,
                    "recorded_at": r.recorded_at.isoformat(timespec="microseconds"),
                }
                for r in book.replies
            ],
        }
    )


def check_notices(registry: Registry) -> list[Problem]:
    """Problems in notices.yaml: a broken file, or a notice or reply naming a unit, task or
    notice the registry does not know (with line)."""
    from safecity_cli.registry.yaml_files import line_of

    path = notices_path(registry.path)
    try:
        book = load_notices(registry.path)
    except RegistryError as exc:
        return list(exc.problems)
    problems = []

    def add(loc: list[str | int], field: str, message: str) -> None:
        problems.append(Problem(str(path), line_of(path, loc), field, message))

    ids = {n.id for n in book.notices}
    for i, n in enumerate(book.notices):
        if registry.unit(n.unit) is None:
            add(["notices", i, "unit"], f"notices[{n.id}].unit", f"未知的单位「{n.unit}」")
        for j, task in enumerate(n.tasks):
            if registry.task(task) is None:
                add(
                    ["notices", i, "tasks", j], f"notices[{n.id}].tasks", f"不存在的任务序号 {task}"
                )
    for i, r in enumerate(book.replies):
        if r.notice not in ids:
            add(
                ["replies", i, "notice"],
                f"replies[第{i + 1}项].notice",
                f"回复的督办通知单「{r.notice}」不存在",
            )
        if registry.unit(r.unit) is None:
            add(["replies", i, "unit"], f"replies[第{i + 1}项].unit", f"未知的单位「{r.unit}」")
    return problems
