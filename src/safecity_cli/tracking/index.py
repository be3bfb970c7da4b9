"""Derived lookups computed once per registry (unit → tasks), so no question costs units × tasks."""

from __future__ import annotations

from safecity_cli.registry.models import Registry, Task, Unit
from safecity_cli.registry.units import expand, named_positions

Applies = tuple[tuple[Task, "str | None"], ...]


def unit_tasks(registry: Registry, unit: Unit) -> Applies:
    """The tasks that apply to `unit`, in registry order, each with the group it comes through
    (None when named directly): exactly what `units.applies_to` answers task by task."""
    found: Applies = registry.remember(
        ("unit-tasks", unit.name), lambda: _unit_tasks(registry, unit)
    )
    return found


def _unit_tasks(registry: Registry, unit: Unit) -> Applies:
    named = named_positions(registry).get(unit.name, {})
    common = _through(registry, registry.applies_to_all.units, unit.name)
    if common is False:
        return tuple((registry.tasks[i], via) for i, via in named.items())
    fallback = common if isinstance(common, str) else unit.name
    return tuple((task, named.get(i, fallback)) for i, task in enumerate(registry.tasks))


def _through(registry: Registry, names: tuple[str, ...], unit: str) -> str | bool | None:
    """How `names` cover `unit` (units.names_unit): None directly, a group's name, False not."""
    if unit in names:
        return None
    for name in names:
        group = registry.unit(name)
        if (
            group is not None
            and group.is_group
            and (group.name == unit or unit in expand(registry, group))
        ):
            return group.name
    return False
