"""Units as people name them and as tasks name them: resolution, groups, who a task applies to."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from itertools import chain

from safecity_cli.errors import UsageError
from safecity_cli.registry.models import Registry, ScheduleItem, Task, Unit


def resolve_unit(registry: Registry, text: str) -> Unit:
    """A unit by name, alias, or an unambiguous part of a name; UsageError otherwise."""
    query = text.strip()
    if unit := registry.unit(query):
        return unit
    names = {n: registry.unit(n) for u in registry.units for n in (u.name, *u.aliases)}
    hits = {u.name: u for n, u in names.items() if u is not None and query and query in n}
    if len(hits) == 1:
        return next(iter(hits.values()))
    if hits:
        raise UsageError(f"「{text}」可指多个单位：{'、'.join(sorted(hits))}，请写得更具体一些")
    close = difflib.get_close_matches(query, list(names), n=3, cutoff=0.4)
    hint = f"；是否指：{'、'.join(close)}" if close else "；用 safecity units 查看全部单位"
    raise UsageError(f"未知的单位「{text}」{hint}")


def resolve_target(registry: Registry, text: str | int) -> Task | ScheduleItem:
    """A task by its number (27) or a 日程 item by S and its number (S12); UsageError otherwise."""
    value = str(text).strip()
    if value.isdigit():
        if task := registry.task(int(value)):
            return task
        raise UsageError(f"没有序号为 {value} 的任务（共 {registry.task_count} 项）")
    if value[:1] in ("S", "s") and value[1:].isdigit():
        if item := registry.item(int(value[1:])):
            return item
        raise UsageError(
            f"没有日程 {value.upper()}（日程安排表共 {len(registry.items)} 项："
            f"S1–S{len(registry.items)}）"
        )
    raise UsageError(
        f"「{text}」不是任务序号或日程序号：任务写数字（如 27），日程写 S 加序号（如 S12）"
    )


def target_label(key: int | str) -> str:
    """任务 27, 日程 S12."""
    return f"日程 {key}" if isinstance(key, str) else f"任务 {key}"


def expand(registry: Registry, unit: Unit) -> tuple[str, ...]:
    """The parties a unit stands for: itself, or its members (recursively) once it lists any."""
    if not unit.members:
        return (unit.name,)
    result: tuple[str, ...] = registry.remember(
        ("expand", unit.name), lambda: _expand(registry, unit)
    )
    return result


def _expand(registry: Registry, unit: Unit) -> tuple[str, ...]:
    seen: list[str] = []
    visited: set[str] = set()  # validation refuses membership loops; this keeps us finite anyway
    stack = [unit]
    while stack:
        current = stack.pop()
        if current.members:
            if current.name in visited:
                continue
            visited.add(current.name)
            for member in reversed(current.members):
                if (found := registry.unit(member)) and found.name not in seen:
                    stack.append(found)
        elif current.name not in seen:
            seen.append(current.name)
    return tuple(seen)


def parties_of(registry: Registry, task: Task | ScheduleItem) -> tuple[str, ...]:
    """Who must report 已完成 for the task (or 日程 item) to be complete (a group without
    members is one party)."""
    found: tuple[str, ...] = registry.remember(
        ("parties", task.key), lambda: _parties_of(registry, task)
    )
    return found


def _parties_of(registry: Registry, task: Task | ScheduleItem) -> tuple[str, ...]:
    named: _Named = registry.remember(("named-parties",), lambda: _Named(registry))
    # ordered, and each party once without a scan per member
    return tuple(dict.fromkeys(chain.from_iterable(map(named.__getitem__, task.units))))


class _Named(dict[str, tuple[str, ...]]):
    """The parties each name a task gives stands for (none for a name the registry lacks),
    worked out once per name: tens of thousands of tasks name a few thousand units."""

    __slots__ = ("registry",)

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry

    def __missing__(self, name: str) -> tuple[str, ...]:
        unit = self.registry.unit(name)
        parties = self[name] = expand(self.registry, unit) if unit is not None else ()
        return parties


def applies_to(
    registry: Registry, task: Task | ScheduleItem, unit: Unit
) -> tuple[bool, str | None]:
    """Whether a task is the unit's, and through which group (None when named directly);
    every task applies to the groups of 附件2 备注2 (registry.applies_to_all), a 日程 item
    only to the units it names."""
    applies, via = names_unit(registry, task.units, unit)
    if applies or isinstance(task, ScheduleItem):
        return applies, via
    applies, via = names_unit(registry, registry.applies_to_all.units, unit)
    return applies, (via or unit.name) if applies else None


def names_unit(registry: Registry, names: Sequence[str], unit: Unit) -> tuple[bool, str | None]:
    """Whether a list of responsible units covers `unit`: by name, or through a group the
    unit is or belongs to (returned as the second item)."""
    if unit.name in names:
        return True, None
    for name in names:
        group = registry.unit(name)
        if group is None or not group.is_group:
            continue
        if group.name == unit.name or unit.name in expand(registry, group):
            return True, group.name
    return False, None


def item_applies(registry: Registry, item: ScheduleItem, unit: Unit) -> bool:
    """Whether a 日程 item is the unit's: by the same rule as its tasks (status.names_unit)."""
    return names_unit(registry, item.units, unit)[0]


def named_positions(registry: Registry) -> dict[str, dict[int, str | None]]:
    """Unit name → {task position: via} for the units each task names, directly or through
    a group (the first group in the task's order, as names_unit finds it)."""

    def build() -> dict[str, dict[int, str | None]]:
        index: dict[str, dict[int, str | None]] = {}
        for position, task in enumerate(registry.tasks):
            for name, via in named_by(registry, task):
                index.setdefault(name, {}).setdefault(position, via)
        return {name: dict(sorted(tasks.items())) for name, tasks in index.items()}

    result: dict[str, dict[int, str | None]] = registry.remember(("named-index",), build)
    return result


def named_by(registry: Registry, task: Task) -> Iterator[tuple[str, str | None]]:
    """Each unit the task names, directly (via None) and then through each group it names
    (via that group), as names_unit finds them; a unit may come more than once, the first
    time as names_unit reports it."""
    for name in task.units:
        yield name, None
    for name in task.units:
        group = registry.unit(name)
        if group is not None and group.is_group:
            for member in (group.name, *expand(registry, group)):
                yield member, group.name
