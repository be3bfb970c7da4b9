"""The registry as an immutable domain model: plain dataclasses, cheap to pickle and load."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from safecity_cli.registry.deadlines import Deadline


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    numeral: str
    title: str


@dataclass(frozen=True, slots=True)
class Unit:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    # None: a single unit; a tuple: a group's direct members, those listed by name and then
    # every unit of one of its member_kinds (resolved when the registry is loaded)
    members: tuple[str, ...] | None = None
    contact: str | None = None
    phone: str | None = None
    member_kinds: tuple[str, ...] = ()

    @property
    def is_group(self) -> bool:
        return self.members is not None


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    category: int
    text: str
    units: tuple[str, ...]  # canonical names, in document order
    deadline: Deadline
    written_units: tuple[str, ...] = ()  # the spellings the document uses
    open_ended: str | None = None  # e.g. 等相关部门: more units than those named are responsible
    criteria: tuple[str, ...] = ()  # the 评价细则 三级项 the task serves, e.g. ("(1)",)

    @property
    def key(self) -> int:
        """How the ledger names it: the task's id."""
        return self.id


@dataclass(frozen=True, slots=True)
class Phase:
    id: int
    name: str
    period: str
    start: date | None
    end: date | None
    summary: str = ""


@dataclass(frozen=True, slots=True)
class ScheduleItem:
    id: int
    text: str
    units: tuple[str, ...]
    deadline: Deadline
    written_units: tuple[str, ...] = ()
    open_ended: str | None = None  # items have none; here so an item reads like a task

    @property
    def key(self) -> str:
        """How the ledger names it: S12 for 日程 12."""
        return f"S{self.id}"

    @property
    def category(self) -> int:
        """Items belong to no category of 附件2 (0), so code over tasks can read them too."""
        return 0

    @property
    def criteria(self) -> tuple[str, ...]:
        """Items serve no 三级项 of their own (the tasks do)."""
        return ()


@dataclass(frozen=True, slots=True)
class MainTask:
    id: int
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class MainTaskGroup:
    numeral: str
    heading: str
    tasks: tuple[MainTask, ...]


@dataclass(frozen=True, slots=True)
class Escalation:
    """三色督办 thresholds, in days."""

    blue_within_days: int = 14
    red_after_days: int = 30
    idle_window_share: float = 0.5


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    short_name: str
    start: date
    final_deadline: date
    document: str = ""
    issuer: str = ""
    escalation: Escalation = field(default_factory=Escalation)
    operator: str = ""  # who records when neither --by nor SAFECITY_USER says (README, 报送人)
    late_after_days: int = 7  # an entry recorded later than this after its date is 补录


@dataclass(frozen=True, slots=True)
class AppliesToAll:
    """Groups every task applies to (附件2 备注 2), whatever the task's own unit list says."""

    units: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class CriteriaItem:
    """A 三级项 of the 评价细则 (or a 鼓励项, with `level` and `child` empty)."""

    id: str  # "(1)"
    title: str
    points: float
    content: str = ""
    scoring_rule: str = ""
    source: str = ""
    level: str = ""  # the 一级项's id
    child: str = ""  # the 二级项's id


@dataclass(frozen=True, slots=True)
class CriteriaChild:
    """A 二级项: its points where known, and the 三级项 entered so far."""

    id: str
    title: str
    points: float | None
    items: tuple[CriteriaItem, ...]


@dataclass(frozen=True, slots=True)
class CriteriaLevel:
    """A 一级项."""

    id: str
    title: str
    points: float | None
    children: tuple[CriteriaChild, ...]


@dataclass(frozen=True, slots=True)
class Criteria:
    """The 评价细则 as far as it is entered (criteria.yaml)."""

    document: str
    total_points: float | None
    levels: tuple[CriteriaLevel, ...]
    bonus: tuple[CriteriaItem, ...] = ()

    @property
    def items(self) -> tuple[CriteriaItem, ...]:
        return tuple(i for lv in self.levels for c in lv.children for i in c.items)

    def item(self, item_id: str) -> CriteriaItem | None:
        for item in (*self.items, *self.bonus):
            if item.id == item_id:
                return item
        return None

    def level(self, level_id: str) -> CriteriaLevel | None:
        return next((lv for lv in self.levels if lv.id == level_id), None)

    def child(self, child_id: str) -> CriteriaChild | None:
        return next((c for lv in self.levels for c in lv.children if c.id == child_id), None)


# The rules scoring.yaml may name, in the order they are applied and shown.
SCORING_RULES = (
    "on_time",
    "overdue_task",
    "overdue_day",
    "red",
    "yellow",
    "missed_period",
    "unanswered_notice",
)


@dataclass(frozen=True, slots=True)
class ScoringRule:
    name: str  # one of SCORING_RULES
    points: float  # per occurrence: added for on_time, deducted for the others
    cap: float | None = None  # at most this many points in all; None: no cap


@dataclass(frozen=True, slots=True)
class Scoring:
    """The 考核细则 (scoring.yaml)."""

    document: str
    example: bool
    base: float
    rules: tuple[ScoringRule, ...]

    def rule(self, name: str) -> ScoringRule | None:
        return next((r for r in self.rules if r.name == name), None)


@dataclass(frozen=True, slots=True)
class Registry:
    path: Path
    embedded: bool
    program: Program
    categories: tuple[Category, ...]
    tasks: tuple[Task, ...]
    units: tuple[Unit, ...]
    kinds: tuple[str, ...]
    phases: tuple[Phase, ...]
    items: tuple[ScheduleItem, ...]
    main_tasks: tuple[MainTaskGroup, ...]
    applies_to_all: AppliesToAll
    criteria: Criteria | None = None  # None: the registry has no criteria.yaml
    scoring: Scoring | None = None  # None: the registry has no scoring.yaml
    whole: int | None = None  # narrowed to some of its tasks (index_db): how many it has in all
    # Each file the tasks were read from (tasks.yaml, tasks/*.yaml) and how many it holds, in
    # the tasks' order; empty when narrowed. The index re-checks one changed file by it.
    task_files: tuple[tuple[str, int], ...] = field(default=(), repr=False, compare=False)
    _unit_index: dict[str, Unit] = field(default_factory=dict, repr=False, compare=False)
    _task_index: dict[int, Task] = field(default_factory=dict, repr=False, compare=False)
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)
    _category_index: dict[int, Category] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._unit_index.update({u.name: u for u in self.units})
        self._unit_index.update({a: u for u in self.units for a in u.aliases})
        self._task_index.update({t.id: t for t in self.tasks})
        self._category_index.update({c.id: c for c in self.categories})

    def narrowed_to(self, tasks: tuple[Task, ...], *, whole: int | None = None) -> Registry:
        """The same registry holding only `tasks` (in registry order) of the `whole` it has."""
        return Registry(
            self.path,
            self.embedded,
            self.program,
            self.categories,
            tasks,
            self.units,
            self.kinds,
            self.phases,
            self.items,
            self.main_tasks,
            self.applies_to_all,
            self.criteria,
            self.scoring,
            self.task_count if whole is None else whole,
        )

    @property
    def task_count(self) -> int:
        """How many tasks the registry has, also when only some are loaded."""
        return len(self.tasks) if self.whole is None else self.whole

    def task(self, task_id: int) -> Task | None:
        return self._task_index.get(task_id)

    def item(self, item_id: int) -> ScheduleItem | None:
        """A 日程 item by its number."""
        return next((i for i in self.items if i.id == item_id), None)

    def target(self, key: int | str) -> Task | ScheduleItem | None:
        """What a ledger entry reports on: a task (27) or a 日程 item ("S12")."""
        if isinstance(key, str):
            number = key[1:]
            return self.item(int(number)) if key[:1] == "S" and number.isdigit() else None
        return self.task(key)

    def unit(self, name: str) -> Unit | None:
        """A unit by canonical name or alias."""
        return self._unit_index.get(name)

    def remember(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Memoise something derived from this (immutable) registry, e.g. a group's members."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def category(self, category_id: int) -> Category | None:
        return self._category_index.get(category_id)

    @property
    def key(self) -> str:
        """A short, stable identity of the registry (its program name and start date).

        It names calendar events and marks fillable workbooks, so it must not depend on where
        the registry directory happens to live.
        """
        import hashlib

        seed = f"{self.program.name}|{self.program.start.isoformat()}"
        return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:12]


def item_key(text: str) -> str:
    """A 三级项 id as people type it, in the form criteria.yaml uses: 1, （1）, (1) -> (1)."""
    key = text.strip().replace("（", "(").replace("）", ")").replace(" ", "")
    return f"({key})" if key.isdigit() else key
