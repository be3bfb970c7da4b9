"""The 评价细则 as far as it is entered: finding an item, what is entered, tasks ↔ items."""

from __future__ import annotations

from dataclasses import dataclass

from safecity_cli.errors import UsageError
from safecity_cli.registry.layout import CRITERIA_FILE
from safecity_cli.registry.models import Criteria, CriteriaItem, Registry, Task, item_key


def criteria_of(registry: Registry) -> Criteria:
    """The registry's 评价细则; UsageError when it has no criteria.yaml."""
    if registry.criteria is None:
        raise UsageError(
            f"登记册中没有评价细则（{CRITERIA_FILE}）；请从内置登记册复制该文件，或按正式文件录入"
        )
    return registry.criteria


def resolve_item(registry: Registry, text: str) -> CriteriaItem:
    """A 三级项 (or 鼓励项) by id as people type it: 1, (1), （1）."""
    criteria = criteria_of(registry)
    item = criteria.item(item_key(text))
    if item is None:
        known = "、".join(i.id for i in (*criteria.items, *criteria.bonus))
        raise UsageError(f"未知的三级项「{text}」；{CRITERIA_FILE} 中已录入：{known}")
    return item


def num(value: float | None) -> str:
    """Points as the 细则 writes them: 2, 0.5, 1.6 (no float noise)."""
    if value is None:
        return "—"
    return f"{round(value, 2):g}"


@dataclass(frozen=True)
class Coverage:
    items: int
    points: float
    total_points: float | None

    @property
    def text(self) -> str:
        full = f"评价细则满分 {num(self.total_points)} 分" if self.total_points else "未写明满分"
        return f"已录入 {self.items} 个三级项，合计 {num(self.points)} 分；{full}"

    def to_json(self) -> dict[str, object]:
        return {
            "items": self.items,
            "points": round(self.points, 2),
            "total_points": self.total_points,
            "text": self.text,
        }


def coverage(criteria: Criteria) -> Coverage:
    items = criteria.items
    return Coverage(len(items), sum(i.points for i in items), criteria.total_points)


def tasks_for(registry: Registry, item_id: str) -> list[Task]:
    return [t for t in registry.tasks if item_id in t.criteria]


def units_for(registry: Registry, item_id: str) -> list[str]:
    """The responsible units of the tasks that serve an item, in task order."""
    units: list[str] = []
    for task in tasks_for(registry, item_id):
        units.extend(u for u in task.units if u not in units)
    return units


def path_of(criteria: Criteria, item: CriteriaItem) -> tuple[str, str]:
    """The item's 一级项 and 二级项 as headings: 一、城市安全源头治理, 1.城市安全规划."""
    if not item.level:
        return "鼓励项", ""
    level = criteria.level(item.level)
    child = criteria.child(item.child)
    return (
        f"{item.level}、{level.title}" if level else item.level,
        f"{item.child}.{child.title}" if child else item.child,
    )
