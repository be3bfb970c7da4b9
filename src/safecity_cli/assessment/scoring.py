"""Self-scoring: each item's deduction (capped at its points), subtotals, the total and the bonus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from safecity_cli.assessment.criteria import Coverage, coverage, criteria_of, path_of, tasks_for
from safecity_cli.assessment.findings import Finding
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import CriteriaItem, Registry
from safecity_cli.tracking.state import TaskState, task_state


@dataclass(frozen=True)
class ItemScore:
    item: CriteriaItem
    level: str  # 一、城市安全源头治理
    child: str  # 1.城市安全规划
    findings: tuple[Finding, ...]
    deducted: float  # capped at the item's points
    score: float
    capped: bool  # the findings together deduct more than the item has
    units: tuple[str, ...]
    tasks: tuple[TaskState, ...]

    @property
    def losing(self) -> bool:
        return self.deducted > 0

    @property
    def reasons(self) -> str:
        return "；".join(f"{f.reason}（扣 {_n(f.deduct)}）" for f in self.findings)

    @property
    def task_text(self) -> str:
        return (
            "；".join(f"任务{s.task.id} {s.status.value}" for s in self.tasks) or "（无对应任务）"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "title": self.item.title,
            "level": self.item.level,
            "child": self.item.child,
            "points": self.item.points,
            "deducted": _r(self.deducted),
            "score": _r(self.score),
            "capped": self.capped,
            "findings": [f.to_json() for f in self.findings],
            "units": list(self.units),
            "tasks": [
                {
                    "id": s.task.id,
                    "status": s.status.value,
                    "level": s.level.value if s.level else None,
                    "deadline": s.task.deadline.raw,
                }
                for s in self.tasks
            ],
        }


@dataclass(frozen=True)
class Subtotal:
    kind: str  # 一级项 or 二级项
    id: str
    title: str
    points: float | None  # as the 细则 gives it
    entered_points: float  # of the 三级项 entered under it
    deducted: float
    parent: str = ""  # a 二级项's 一级项

    @property
    def score(self) -> float:
        return self.entered_points - self.deducted

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if self.parent:
            data["level"] = self.parent
        return data | {
            "title": self.title,
            "points": self.points,
            "entered_points": _r(self.entered_points),
            "deducted": _r(self.deducted),
            "score": _r(self.score),
        }


@dataclass(frozen=True)
class Scorecard:
    round: str
    on: date
    coverage: Coverage
    items: tuple[ItemScore, ...]  # in the 细则's order
    children: tuple[Subtotal, ...]
    levels: tuple[Subtotal, ...]
    bonus: tuple[ItemScore, ...]

    @property
    def ordered(self) -> list[ItemScore]:
        """Items losing points first (most lost first), then the rest in the 细则's order."""
        losing = sorted((s for s in self.items if s.losing), key=lambda s: -s.deducted)
        return losing + [s for s in self.items if not s.losing]

    @property
    def deducted(self) -> float:
        return sum(s.deducted for s in self.items)

    @property
    def score(self) -> float:
        return self.coverage.points - self.deducted

    @property
    def bonus_points(self) -> float:
        return sum(s.item.points for s in self.bonus)

    @property
    def bonus_awarded(self) -> float:
        return sum(s.score for s in self.bonus)

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "date": self.on,
            "coverage": self.coverage.to_json(),
            "items": [s.to_json() for s in self.ordered],
            "children": [c.to_json() for c in self.children],
            "levels": [lv.to_json() for lv in self.levels],
            "total": {
                "entered_points": _r(self.coverage.points),
                "deducted": _r(self.deducted),
                "score": _r(self.score),
                "total_points": self.coverage.total_points,
            },
            "bonus": {
                "points": _r(self.bonus_points),
                "awarded": _r(self.bonus_awarded),
                "items": [s.to_json() for s in self.bonus],
            },
        }


def score(
    registry: Registry, ledger: Ledger, findings: list[Finding], round_name: str, on: date
) -> Scorecard:
    """The round's scores as of `on` (findings dated later are left out)."""
    criteria = criteria_of(registry)
    chosen = [f for f in findings if f.round == round_name and f.date <= on]
    ledger = ledger.as_of(on)

    def one(item: CriteriaItem) -> ItemScore:
        own = tuple(f for f in chosen if f.item == item.id)
        tasks = tuple(task_state(registry, ledger, t, on) for t in tasks_for(registry, item.id))
        units: list[str] = []
        for t in tasks:
            units.extend(u for u in t.task.units if u not in units)
        units.extend(f.unit for f in own if f.unit and f.unit not in units)
        if item.level:
            raw = sum(f.deduct for f in own)
            taken = min(raw, item.points)
            result = item.points - taken
        else:  # a 鼓励项: awards add up to its points
            raw = sum(f.award for f in own)
            taken, result = 0.0, min(raw, item.points)
        level, child = path_of(criteria, item)
        capped = raw > item.points + 1e-9
        return ItemScore(item, level, child, own, taken, result, capped, tuple(units), tasks)

    items = tuple(one(i) for i in criteria.items)
    children, levels = [], []
    for lv in criteria.levels:
        for ch in lv.children:
            mine = [s for s in items if s.item.child == ch.id and s.item.level == lv.id]
            children.append(
                Subtotal(
                    "二级项",
                    ch.id,
                    ch.title,
                    ch.points,
                    sum(s.item.points for s in mine),
                    sum(s.deducted for s in mine),
                    lv.id,
                )
            )
        mine = [s for s in items if s.item.level == lv.id]
        levels.append(
            Subtotal(
                "一级项",
                lv.id,
                lv.title,
                lv.points,
                sum(s.item.points for s in mine),
                sum(s.deducted for s in mine),
            )
        )
    return Scorecard(
        round_name,
        on,
        coverage(criteria),
        items,
        tuple(children),
        tuple(levels),
        tuple(one(i) for i in criteria.bonus),
    )


def _r(value: float) -> float:
    return round(value, 2)


def _n(value: float) -> str:
    return f"{round(value, 2):g}"
