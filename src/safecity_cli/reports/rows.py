"""What the reports say, as plain data: the rows every report shares, a unit's 任务书 and a
督办通知单. Templates only lay these out; nothing here knows Jinja."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from safecity_cli.dates import chinese_date
from safecity_cli.errors import UsageError
from safecity_cli.ledger.entries import Ledger, Status
from safecity_cli.registry.models import Escalation, Program, Registry, ScheduleItem, Unit
from safecity_cli.registry.units import expand, names_unit
from safecity_cli.render.wording import deadline_cell, written_units
from safecity_cli.tracking.query import TaskFilter, select_tasks
from safecity_cli.tracking.state import Level, TaskState

REPLY_DAYS = 7  # a 督办通知单 asks for a reply within a week unless --reply-by says otherwise


def day_unit(workdays: bool) -> str:
    return "个工作日" if workdays else "天"


def office_name(program: Program) -> str:
    """Who signs: the issuer's office (领导小组办公室)."""
    return f"{program.issuer}办公室" if program.issuer else "创建工作领导小组办公室"


@dataclass(frozen=True)
class Note:
    """A unit's latest progress note on a task."""

    date: date
    unit: str  # （创建办） for the office's 销号
    text: str


@dataclass(frozen=True)
class TaskRow:
    id: int
    numeral: str  # the category's 一、二…
    category: str  # 一、城市安全状况显著改善
    text: str
    units: str  # canonical names, 等相关部门 where the document has it
    deadline: str  # the original text, and the adjusted date after 延期
    due: date | None
    status: str
    level: str | None  # 红、黄、蓝 or None
    days_overdue: int | None
    days_left: int | None
    via: str | None  # the group a unit's task comes through
    note: Note | None
    source: str | None = None  # for a unit's reports: 经各街办, or 全部任务适用 (None: named)


@dataclass(frozen=True)
class ItemRow:
    """A 日程安排 item and where it stands."""

    id: int
    text: str
    units: str
    deadline: str
    due: date | None
    days_left: int | None
    via: str | None = None

    @property
    def state(self) -> str:
        if self.days_left is None:
            return "无具体日期"
        if self.days_left < 0:
            return f"已到期（已过 {-self.days_left} 天）"
        if self.days_left == 0:
            return "今日到期"
        return f"还有 {self.days_left} 天"


@dataclass(frozen=True)
class LevelCounts:
    red: int = 0
    yellow: int = 0
    blue: int = 0

    @property
    def total(self) -> int:
        return self.red + self.yellow + self.blue


def count_levels(states: list[TaskState]) -> LevelCounts:
    levels = [s.level for s in states]
    return LevelCounts(
        levels.count(Level.RED), levels.count(Level.YELLOW), levels.count(Level.BLUE)
    )


def latest_note(
    ledger: Ledger, task_id: int, on: date, units: Collection[str] | None = None
) -> Note | None:
    """The newest entry with a note on or before `on`, from `units` when given."""
    for entry in reversed(ledger.for_task(task_id)):
        if entry.date > on or not entry.note:
            continue
        if units is not None and entry.unit not in units:
            continue
        return Note(entry.date, entry.unit or "（创建办）", entry.note)
    return None


def task_row(
    registry: Registry,
    ledger: Ledger,
    state: TaskState,
    *,
    units: Collection[str] | None = None,
    owner: Unit | None = None,
) -> TaskRow:
    """A task as a report row; `units` limits the note to those units' own entries, `owner`
    (the unit a report is for) says how the task came to be its."""
    task = state.task
    source = None
    if state.via is not None:
        source = (
            "全部任务适用" if owner is not None and state.via == owner.name else f"经{state.via}"
        )
    category = registry.category(task.category)
    return TaskRow(
        task.id,
        category.numeral if category else str(task.category),
        f"{category.numeral}、{category.title}" if category else str(task.category),
        task.text,
        written_units(registry, task.units, task.open_ended),
        deadline_cell(state),
        state.deadline,
        state.status.value,
        state.level.value if state.level else None,
        state.days_overdue,
        state.days_left,
        state.via,
        latest_note(ledger, task.id, state.on, units),
        source,
    )


def item_row(registry: Registry, item: ScheduleItem, due: date | None, on: date) -> ItemRow:
    return ItemRow(
        item.id,
        item.text,
        "、".join(item.units),
        item.deadline.raw,
        due,
        (due - on).days if due is not None else None,
    )


def item_due(item: ScheduleItem, on: date) -> date | None:
    """The date an item falls due: its end, or for a recurring one the end of the period."""
    return item.deadline.due_on(on)


# -- a unit's 任务书 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryTasks:
    numeral: str  # the document's number for the category: 一
    name: str  # 城市安全状况显著改善
    rows: list[TaskRow]

    @property
    def title(self) -> str:
        return f"{self.numeral}、{self.name}"


@dataclass(frozen=True)
class TaskBook:
    program: Program
    office: str
    unit: Unit
    on: date
    day_unit: str
    total: int
    direct: int  # tasks that name the unit
    through_groups: int  # tasks it has as a member of a group they name
    groups: list[str]  # those groups
    general: int  # tasks it has only because every task applies to it (附件2 备注)
    general_note: str
    complete: int
    in_progress: int
    not_started: int
    overdue: int
    levels: LevelCounts
    categories: list[CategoryTasks]
    items: list[ItemRow]
    thresholds: Escalation


def unit_items(registry: Registry, unit: Unit, on: date) -> list[ItemRow]:
    """Schedule items naming the unit, or a group it belongs to."""
    rows = []
    for item in registry.items:
        applies, via = names_unit(registry, item.units, unit)
        if not applies:
            continue
        row = item_row(registry, item, item_due(item, on), on)
        rows.append(ItemRow(row.id, row.text, row.units, row.deadline, row.due, row.days_left, via))
    return rows


def build_task_book(
    registry: Registry, ledger: Ledger, unit: Unit, on: date, *, workdays: bool = False
) -> TaskBook:
    """Everything the unit is responsible for as of `on`: its tasks by category, its dates."""
    ledger = ledger.as_of(on)
    states = select_tasks(registry, ledger, on, TaskFilter(unit=unit), workdays=workdays)
    parties = expand(registry, unit)
    categories = []
    for category in registry.categories:
        mine = [s for s in states if s.task.category == category.id]
        if mine:
            rows = [task_row(registry, ledger, s, units=parties, owner=unit) for s in mine]
            categories.append(CategoryTasks(category.numeral, category.title, rows))
    return TaskBook(
        program=registry.program,
        office=office_name(registry.program),
        unit=unit,
        on=on,
        day_unit=day_unit(workdays),
        total=len(states),
        direct=sum(s.via is None for s in states),
        through_groups=sum(s.via is not None and s.via != unit.name for s in states),
        groups=list(dict.fromkeys(s.via for s in states if s.via and s.via != unit.name)),
        general=sum(s.via == unit.name for s in states),
        general_note=registry.applies_to_all.note,
        complete=sum(s.complete for s in states),
        in_progress=sum(
            s.status in (Status.IN_PROGRESS, Status.DEFERRED) and not s.complete for s in states
        ),
        not_started=sum(s.status is Status.NOT_STARTED for s in states),
        overdue=sum(s.overdue for s in states),
        levels=count_levels(states),
        categories=categories,
        items=unit_items(registry, unit, on),
        thresholds=registry.program.escalation,
    )


def task_book_units(registry: Registry) -> list[Unit]:
    """The units that get a 任务书 with --all-units: every one that reports (a group that lists
    members is covered by its members' books)."""
    return [u for u in registry.units if not u.members]


# -- a 督办通知单 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    program: Program
    office: str
    unit: Unit
    on: date
    reply_by: date
    day_unit: str
    rows: list[TaskRow]
    overdue: int
    red: int
    yellow: int
    thresholds: Escalation


_LEVEL_ORDER = {Level.RED: 0, Level.YELLOW: 1, Level.BLUE: 2}


def build_notice(
    registry: Registry,
    ledger: Ledger,
    unit: Unit,
    on: date,
    *,
    reply_by: date | None = None,
    workdays: bool = False,
) -> Notice:
    """The unit's overdue tasks and those at 黄 or 红, most urgent first; the reply date."""
    ledger = ledger.as_of(on)
    reply = reply_by if reply_by is not None else on + timedelta(days=REPLY_DAYS)
    if reply < on:
        raise UsageError(f"回复期限{chinese_date(reply)}早于通知日期{chinese_date(on)}")
    states = select_tasks(registry, ledger, on, TaskFilter(unit=unit), workdays=workdays)
    urgent = [s for s in states if s.overdue or s.level in (Level.RED, Level.YELLOW)]
    urgent.sort(
        key=lambda s: (
            _LEVEL_ORDER.get(s.level, 3) if s.level else 3,
            -(s.days_overdue if s.days_overdue is not None else -1),
            s.task.id,
        )
    )
    parties = expand(registry, unit)
    return Notice(
        program=registry.program,
        office=office_name(registry.program),
        unit=unit,
        on=on,
        reply_by=reply,
        day_unit=day_unit(workdays),
        rows=[task_row(registry, ledger, s, units=parties, owner=unit) for s in urgent],
        overdue=sum(s.overdue for s in urgent),
        red=sum(s.level is Level.RED for s in urgent),
        yellow=sum(s.level is Level.YELLOW for s in urgent),
        thresholds=registry.program.escalation,
    )
