"""Derived lookups computed once per registry (unit → tasks), so no question costs units × tasks."""

from __future__ import annotations

from safecity_cli.registry.models import Registry, Task, Unit
from safecity_cli.registry.units import named_positions, names_unit

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
    common, through = names_unit(registry, registry.applies_to_all.units, unit)
    if not common:
        return tuple((registry.tasks[i], via) for i, via in named.items())
    fallback = through if through is not None else unit.name
    return tuple((task, named.get(i, fallback)) for i, task in enumerate(registry.tasks))
