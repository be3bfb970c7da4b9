"""The rows every report shares, as plain data; templates only lay them out, nothing here knows Jinja."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import Registry, ScheduleItem, Unit
from safecity_cli.render.wording import deadline_cell, written_units
from safecity_cli.tracking.state import Level, TaskState


def day_unit(workdays: bool) -> str:
    return "个工作日" if workdays else "天"


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
    # A task book's 状态 cell, 推进中，逾期 3 天 (None in other reports: their day unit is theirs).
    state: str | None = None


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
    status: str = "未启动"  # as recorded (update S12 …): done only when recorded
    complete: bool = False
    days_overdue: int | None = None
    level: str = ""

    @property
    def state(self) -> str:
        if self.complete:
            return self.status
        if self.days_overdue is not None:
            return f"{self.status}，逾期 {self.days_overdue} 天"
        if self.days_left is None:
            return f"{self.status}（无具体日期）"
        if self.days_left < 0:  # past its date, yet not late: a 延期 or a 暂缓 holds it
            return f"{self.status}（已过 {-self.days_left} 天）"
        if self.days_left == 0:
            return f"{self.status}，今日到期"
        return f"{self.status}，还有 {self.days_left} 天"


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


def item_row(
    registry: Registry,
    item: ScheduleItem,
    due: date | None,
    on: date,
    progress: TaskState | None = None,
    via: str | None = None,
) -> ItemRow:
    return ItemRow(
        item.id,
        item.text,
        "、".join(item.units),
        item.deadline.raw,
        due,
        (due - on).days if due is not None else None,
        via,
        progress.status.value if progress else "未启动",
        progress.complete if progress else False,
        progress.days_overdue if progress else None,
        progress.level.value if progress and progress.level else "",
    )


def item_due(item: ScheduleItem, on: date) -> date | None:
    """The date an item falls due: its end, or for a recurring one the end of the period."""
    return item.deadline.due_on(on)
