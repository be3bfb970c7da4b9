"""Deadlines and 日程 items as an iCalendar (RFC 5545) feed of all-day events.

Each event's UID is built from the registry's identity and the task or item number, so a
calendar that imports a newer export updates its events instead of adding copies.
icalendar is imported inside `build_calendar`, so other commands never load it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from safecity_cli.dates import chinese_date
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.deadlines import Deadline
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.registry.units import item_applies
from safecity_cli.render.wording import deadline_cell, latest_progress, units_cell
from safecity_cli.text import without_controls
from safecity_cli.tracking.query import ScheduleItemState, TaskFilter, schedule_states, select_tasks
from safecity_cli.tracking.state import TaskState

if TYPE_CHECKING:
    from icalendar import Alarm, Event

PRODID = "-//safecity//国家安全发展示范城市创建工作任务台账//ZH"
SUMMARY_CHARS = 30
DEFAULT_REMIND_DAYS = 3
MAX_REMIND_DAYS = 90
REMIND_HOUR = 9  # the reminder pops up at 9:00 on the day, not at midnight


@dataclass(frozen=True)
class CalendarFeed:
    data: bytes
    tasks: int  # task events
    items: int  # 日程 events
    undated: int  # tasks and items left out: no date to put them on


def task_uid(registry: Registry, task_id: int) -> str:
    return f"task-{task_id}-{registry.key}@safecity"


def item_uid(registry: Registry, item_id: int) -> str:
    return f"item-{item_id}-{registry.key}@safecity"


def build_calendar(
    registry: Registry,
    ledger: Ledger,
    on: date,
    unit: Unit | None = None,
    *,
    stamp: datetime,
    remind: int = DEFAULT_REMIND_DAYS,
) -> CalendarFeed:
    """One all-day event per dated task (on its governing end date) and per dated 日程 item;
    a recurring deadline (每季度) becomes one repeating event. `stamp` is the DTSTAMP (UTC).
    Each event not yet complete reminds `remind` days before, at 9:00 (0: no reminders)."""
    from icalendar import Calendar

    program = registry.program
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    who = f"（{unit.name}）" if unit else ""
    calendar.add("x-wr-calname", f"{program.short_name}{who}")
    calendar.add(
        "x-wr-caldesc", f"{program.name}任务完成时限与日程安排，状态截至{chinese_date(on)}"
    )
    undated = tasks = items = 0
    for state in select_tasks(registry, ledger, on, TaskFilter(unit=unit)):
        event = _task_event(registry, state, stamp)
        if event is None:
            undated += 1
            continue
        # A reminder of a day already past would only pop up on import; a 每季度 task recurs.
        recurs = state.task.deadline.every_months is not None
        if remind and not state.complete and (recurs or not state.overdue):
            event.add_component(_alarm(remind, str(event["summary"])))
        calendar.add_component(event)
        tasks += 1
    for item_state in schedule_states(registry, on, ledger=ledger):
        if unit is not None and not item_applies(registry, item_state.item, unit):
            continue
        event = _item_event(registry, item_state, stamp)
        if event is None:
            undated += 1
            continue
        if remind and (item_state.days_left is None or item_state.days_left >= 0):
            event.add_component(_alarm(remind, str(event["summary"])))
        calendar.add_component(event)
        items += 1
    return CalendarFeed(calendar.to_ical(), tasks, items, undated)


def _task_event(registry: Registry, state: TaskState, stamp: datetime) -> Event | None:
    task = state.task
    category = registry.category(task.category)
    status = state.status.value + (f"，{state.level.value}色督办" if state.level else "")
    if state.overdue:
        status += f"，逾期 {state.days_overdue} 天"
    lines = [
        f"任务{task.id}：{task.text}",
        f"类别：{category.numeral}、{category.title}" if category else "",
        f"责任单位：{units_cell(registry, state)}",
        f"完成时限：{deadline_cell(state)}",
        f"状态（截至{chinese_date(state.on)}）：{status}",
    ]
    if (latest := latest_progress(state.latest)) is not None:
        lines.append(f"最新进展：{latest}")
    summary = f"任务{task.id}到期：{_short(task.text)}"
    if state.complete:
        summary += f"（{state.status.value}）"
    day = state.deadline if task.deadline.end is not None else None
    return _event(
        registry,
        task_uid(registry, task.id),
        summary,
        "\n".join(line for line in lines if line),
        ["创建任务", category.title if category else str(task.category)],
        task.deadline,
        day,
        stamp,
    )


def _item_event(registry: Registry, state: ScheduleItemState, stamp: datetime) -> Event | None:
    from safecity_cli.render.listings import item_status_text

    item = state.item
    lines = [
        f"日程{item.id}：{item.text}",
        f"责任单位：{'、'.join(item.units)}",
        f"完成时限：{item.deadline.raw}",
        f"状态：{item_status_text(state)}",  # as recorded: done only once reported done
    ]
    return _event(
        registry,
        item_uid(registry, item.id),
        f"日程{item.id}：{_short(item.text)}",
        "\n".join(lines),
        ["日程安排"],
        item.deadline,
        item.deadline.end,
        stamp,
    )


def _event(
    registry: Registry,
    uid: str,
    summary: str,
    description: str,
    categories: list[str],
    deadline: Deadline,
    day: date | None,
    stamp: datetime,
) -> Event | None:
    from icalendar import Event

    rule: dict[str, Any] | None = None
    if deadline.every_months is not None:
        # The period ends (31 March, 30 June…) from the start of the programme to its end.
        day = deadline.next_due(registry.program.start)
        until = registry.program.final_deadline
        if day is not None and day < until:
            rule = {
                "freq": "monthly",
                "interval": deadline.every_months,
                "bymonthday": -1,
                "until": until,
            }
    if day is None:
        return None
    event = Event()
    event.add("uid", uid)
    # RFC 5545 wants DTSTAMP in UTC; a naive moment is taken to be UTC already.
    utc = stamp.astimezone(timezone.utc) if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
    event.add("dtstamp", utc)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    if rule is not None:
        event.add("rrule", rule)
    # Calendars show text as raw as it comes: no control byte from a note may reach them.
    event.add("summary", without_controls(summary, keep=""))
    event.add("description", without_controls(description))
    event.add("categories", [without_controls(c, keep="") for c in categories])
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    return event


def _alarm(days: int, summary: str) -> Alarm:
    """A reminder `days` before the all-day event's day, at REMIND_HOUR on that day."""
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{summary}（还有 {days} 天）")
    alarm.add("trigger", -timedelta(days=days) + timedelta(hours=REMIND_HOUR))
    return alarm


def _short(text: str) -> str:
    text = text.strip().rstrip("。")
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"
