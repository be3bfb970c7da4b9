"""Load a registry directory: parse the YAML safely, validate it whole, build the model."""

from __future__ import annotations

import difflib
import functools
import itertools
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from safecity_cli.dates import FIRST_YEAR, LAST_YEAR
from safecity_cli.errors import Problem, RegistryError, UsageError
from safecity_cli.registry.deadlines import Deadline, DeadlineError, parse_deadline
from safecity_cli.registry.layout import (
    CRITERIA_FILE,
    SCHEDULE_FILE,
    SCORING_FILE,
    TASKS_DIR,
    TASKS_FILE,
    UNITS_FILE,
    is_embedded,
)
from safecity_cli.registry.lines import Lines
from safecity_cli.registry.models import (
    SCORING_RULES,
    AppliesToAll,
    Category,
    Criteria,
    CriteriaChild,
    CriteriaItem,
    CriteriaLevel,
    Escalation,
    MainTask,
    MainTaskGroup,
    Phase,
    Program,
    Registry,
    ScheduleItem,
    Scoring,
    ScoringRule,
    Task,
    Unit,
    item_key,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from safecity_cli.registry import schema


class PartCache(Protocol):
    """Rows of tasks/*.yaml files already validated, by the file's content (see cache.py)."""

    def get(self, content: bytes) -> list[Any] | None: ...

    def put(self, content: bytes, rows: list[Any]) -> None: ...


def load_registry(path: Path, *, parts: PartCache | None = None) -> Registry:
    """Load and validate the registry in `path`; RegistryError lists every problem found.

    With `parts`, a tasks/*.yaml file already validated in the same content is not parsed
    again."""
    registry, problems = check_registry(path, parts=parts)
    if registry is None:
        raise RegistryError(problems)
    return registry


def check_registry(
    path: Path, *, parts: PartCache | None = None
) -> tuple[Registry | None, list[Problem]]:
    """Validate everything; return the model (None when there are errors) and all problems."""
    if not path.is_dir():
        what = "是文件，不是登记册目录" if path.exists() else "不存在"
        raise UsageError(f"登记册目录{what}：{path}")
    registry, problems, _, _ = check_registry_parts(path, parts=parts)
    return registry, problems


def check_registry_parts(
    path: Path, *, parts: PartCache | None = None
) -> tuple[Registry | None, list[Problem], set[int | str] | None, set[str] | None]:
    """check_registry, and also what entries may name as far as the files could be read
    (tasks and 日程 keys, unit names; None where not at all), so that progress files are
    checked in the same run even when the registry has errors."""
    if not path.is_dir():
        what = "是文件，不是登记册目录" if path.exists() else "不存在"
        raise UsageError(f"登记册目录{what}：{path}")
    checker = _Checker(path, parts)
    registry = checker.run()
    return registry, checker.problems, checker.targets, checker.unit_names


def check_task_files(
    registry: Registry,
    changed: Mapping[str, bytes],
    taken: Container[int],
    *,
    parts: PartCache | None = None,
) -> dict[str, list[Task]] | None:
    """The tasks of the tasks/*.yaml files `changed` (name inside the registry -> what it
    holds now), each checked as a full load checks it against the rest of `registry`: the
    same schema, categories, units, deadlines and 三级项, and ids unique among themselves and
    not in `taken` (the other files' ids). None when anything is wrong: the caller then loads
    the whole registry, which reports every problem as validate does."""
    checker = _Checker(registry.path, parts)
    rows_of: dict[str, list[_TaskRow]] = {}
    for name, content in changed.items():
        rows = checker._part_rows(name, content)
        if rows is None:
            return None
        rows_of[name] = rows
    seen: set[int] = set()
    for rows in rows_of.values():
        for row in rows:
            if row[0] in seen or row[0] in taken:
                return None
            seen.add(row[0])
    known = {name: u for u in registry.units for name in (u.name, *u.aliases)}
    categories = [c.id for c in registry.categories]
    found = {
        name: checker._built(
            name, rows, categories, known, registry.program.start, registry.criteria
        )
        for name, rows in rows_of.items()
    }
    if any(not p.warning for p in checker.problems):
        return None
    if parts is not None:
        for name, content in changed.items():
            parts.put(content, rows_of[name])
    return found


# A task as written, wherever it came from: id, category, text, units, open_ended, deadline,
# criteria.
_TaskRow = tuple[int, int, str, tuple[str, ...], "str | None", str, tuple[str, ...]]


@dataclass
class _Checker:
    root: Path
    parts: PartCache | None = None
    problems: list[Problem] = field(default_factory=list)
    # (file, list field) -> where each entry kept from a file with errors stood in it
    positions: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    # What entries may refer to, as far as the files could be read (None: not at all).
    unit_names: set[str] | None = None
    targets: set[int | str] | None = None
    left_out: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    lines: Lines = field(default_factory=Lines)
    task_files: list[tuple[str, int]] = field(default_factory=list)  # file, tasks built from it

    def run(self) -> Registry | None:
        from safecity_cli.registry import schema

        tasks = self._parse(TASKS_FILE, schema.TasksFile)
        parts = self._task_parts()
        units = self._parse(UNITS_FILE, schema.UnitsFile)
        schedule = self._parse(SCHEDULE_FILE, schema.ScheduleFile)
        criteria: Criteria | bool | None = None
        if (self.root / CRITERIA_FILE).is_file():
            parsed = self._parse(CRITERIA_FILE, schema.CriteriaFile)
            criteria = self._check_criteria(parsed) if parsed is not None else False
        scoring = self._check_scoring() if (self.root / SCORING_FILE).is_file() else None
        known = self._check_units(units) if units and units.units is not None else None
        program = schedule.program if schedule else None
        registry_start = program.start if program else None
        built_tasks = (
            self._check_tasks(tasks, parts, known, registry_start, criteria) if tasks else None
        )
        built_schedule = self._check_schedule(schedule, known) if schedule else None
        if known is not None:
            self.unit_names = set(known) | {
                str(name)
                for entry in self.left_out.get((UNITS_FILE, "units"), ())
                for name in [entry.get("name"), *(entry.get("aliases") or [])]
                if isinstance(name, str)
            }
        if built_tasks is not None and built_schedule is not None:
            self.targets = {t.id for t in (tasks.tasks or []) if tasks is not None}
            self.targets |= {row[0] for _, rows in parts for row in rows}
            self.targets |= {f"S{it.id}" for it in (schedule.items or []) if schedule}
            for (file, key), entries in self.left_out.items():
                ids: set[int] = {e["id"] for e in entries if isinstance(e.get("id"), int)}
                if key == "tasks":
                    self.targets |= set(ids)
                elif file == SCHEDULE_FILE and key == "items":
                    self.targets |= {f"S{i}" for i in ids}
        if any(not p.warning for p in self.problems):
            return None
        assert tasks and units and schedule and known is not None
        assert built_tasks is not None and built_schedule is not None
        program, phases, items = built_schedule
        assert program is not None
        return Registry(
            path=self.root,
            embedded=is_embedded(self.root),
            program=program,
            categories=tuple(Category(c.id, c.numeral, c.title) for c in tasks.categories),
            tasks=built_tasks,
            units=tuple(dict.fromkeys(known.values())),
            kinds=tuple(units.kinds),
            phases=phases,
            items=items,
            main_tasks=tuple(
                MainTaskGroup(
                    g.numeral, g.heading, tuple(MainTask(t.id, t.title, t.text) for t in g.tasks)
                )
                for g in schedule.main_tasks
            ),
            applies_to_all=AppliesToAll(
                tuple(known[_canonical(known, u)].name for u in tasks.applies_to_all.units),
                tasks.applies_to_all.note,
            ),
            criteria=criteria if isinstance(criteria, Criteria) else None,
            scoring=scoring,
            task_files=tuple(self.task_files),
        )

    # -- parsing ---------------------------------------------------------------------------

    def _parse(self, name: str, model: type[BaseModel], content: bytes | None = None) -> Any:
        """The file's model (from `content` when given, as the file holds it); when parts of
        it are wrong, those are reported and what is left is still returned, so that one run
        reports every problem in every file."""
        from safecity_cli.registry import schema
        from safecity_cli.registry.yaml_files import YamlProblem, decode_text, load_yaml, parse_yaml

        path = self.root / name
        if content is None and not path.is_file():
            self.problems.append(Problem(str(path), None, "", "缺少登记册文件"))
            return None
        try:
            if content is None:
                raw = load_yaml(path, keep_bad=True)
            else:
                raw = parse_yaml(decode_text(content, path), path, keep_bad=True)
        except YamlProblem as exc:
            self.problems.extend(exc.problems)
            return None
        parsed, problems, positions = schema.check_model(path, raw, model)
        self.problems.extend(problems)
        for field_name, where in positions.items():
            self.positions[(name, field_name)] = where
            # An entry left out for an error of its own still exists for what refers to it.
            for index, entry in enumerate(raw.get(field_name) or ()):
                if index not in where and isinstance(entry, dict):
                    self.left_out.setdefault((name, field_name), []).append(entry)
        return parsed

    def _task_parts(self) -> list[tuple[str, list[_TaskRow]]]:
        """tasks/*.yaml in name order; with the cache, only files not seen before are parsed."""
        folder = self.root / TASKS_DIR
        parts: list[tuple[str, list[_TaskRow]]] = []
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            name = f"{TASKS_DIR}/{path.name}"
            content = path.read_bytes() if self.parts is not None else None
            before = len(self.problems)
            rows = self._part_rows(name, content)
            if rows is None:
                continue
            parts.append((name, rows))
            # Not the rows salvaged from a file with errors (a cache hit reports no problems),
            # nor those of a file that changed while it was read.
            clean = all(p.warning for p in self.problems[before:])
            if self.parts is not None and content is not None and clean:
                self._remember(path, content, rows)
        return parts

    def _remember(self, path: Path, content: bytes, rows: list[_TaskRow]) -> None:
        if self.parts is not None and path.read_bytes() == content:
            self.parts.put(content, rows)

    def _part_rows(self, name: str, content: bytes | None) -> list[_TaskRow] | None:
        """One tasks/*.yaml file's rows: from the cache when this content was validated
        before, else parsed (from `content`, or from the file); None when it cannot be read."""
        from safecity_cli.registry import schema

        if self.parts is not None and content is not None:
            cached = self.parts.get(content)
            if isinstance(cached, list):
                return [_row(*r) for r in cached]
        parsed = self._parse(name, schema.TaskPartFile, content)
        return None if parsed is None else [_row_of(t) for t in parsed.tasks]

    def _add(
        self,
        file: str,
        loc: Sequence[str | int],
        field_name: str,
        message: str,
        *,
        warning: bool = False,
    ) -> None:
        where = self.positions.get((file, str(loc[0]))) if len(loc) > 1 else None
        if where is not None and isinstance(loc[1], int) and loc[1] < len(where):
            loc = [loc[0], where[loc[1]], *loc[2:]]
        path = self.root / file
        line = self.lines.line(path, loc)
        self.problems.append(Problem(str(path), line, field_name, message, warning))

    # -- units -----------------------------------------------------------------------------

    def _check_units(self, units: schema.UnitsFile) -> dict[str, Unit]:
        seen: dict[str, str] = {}
        for i, u in enumerate(units.units):
            for j, name in enumerate([u.name, *u.aliases]):
                loc: list[str | int] = (
                    ["units", i, "name"] if j == 0 else ["units", i, "aliases", j - 1]
                )
                if name in seen:
                    self._add(
                        UNITS_FILE,
                        loc,
                        f"units[{u.name}]",
                        f"名称「{name}」与单位「{seen[name]}」重复",
                    )
                seen.setdefault(name, u.name)
            if units.kinds is not None and u.kind not in units.kinds:
                self._add(
                    UNITS_FILE,
                    ["units", i, "kind"],
                    f"units[{u.name}].kind",
                    f"未知的单位类型「{u.kind}」，可选：{'、'.join(units.kinds)}",
                )
        by_name = {u.name: u for u in units.units}
        canonical = {name: by_name[owner] for name, owner in seen.items()}
        built: dict[str, Unit] = {}
        for i, u in enumerate(units.units):
            members: list[str] = []
            for j, member in enumerate(u.members or []):
                target = canonical.get(member)
                if target is None:
                    self._add(
                        UNITS_FILE,
                        ["units", i, "members", j],
                        f"units[{u.name}].members",
                        _unknown_unit(member, seen),
                    )
                elif target.name == u.name:
                    self._add(
                        UNITS_FILE,
                        ["units", i, "members", j],
                        f"units[{u.name}].members",
                        "单位不能是自己的成员",
                    )
                elif target.name not in members:
                    members.append(target.name)
            for j, kind in enumerate(u.member_kinds or []):
                if units.kinds is not None and kind not in units.kinds:
                    self._add(
                        UNITS_FILE,
                        ["units", i, "member_kinds", j],
                        f"units[{u.name}].member_kinds",
                        f"未知的单位类型「{kind}」，可选：{'、'.join(units.kinds)}",
                    )
                members.extend(
                    other.name
                    for other in units.units
                    if other.kind == kind and other.name != u.name and other.name not in members
                )
            group = u.members is not None or u.member_kinds is not None
            built[u.name] = Unit(
                u.name,
                u.kind,
                tuple(u.aliases),
                tuple(members) if group else None,
                u.contact,
                u.phone,
                tuple(u.member_kinds or ()),
            )
        in_cycle: set[str] = set()
        for i, u in enumerate(units.units):
            # A group that contains itself would make expanding it into parties endless.
            if (
                built[u.name].members
                and u.name not in in_cycle
                and (cycle := _cycle(u.name, built))
            ):
                in_cycle.update(cycle)
                self._add(
                    UNITS_FILE,
                    ["units", i, "members"],
                    f"units[{u.name}].members",
                    f"成员关系形成循环：{' → '.join(cycle)}",
                )
        for alias, owner in seen.items():
            built.setdefault(alias, built[owner])  # aliases resolve through the same lookup
        return built

    # -- tasks -----------------------------------------------------------------------------

    def _check_tasks(
        self,
        tasks: schema.TasksFile,
        parts: list[tuple[str, list[_TaskRow]]],
        known: dict[str, Unit] | None,
        reference: Any,
        criteria: Criteria | bool | None = None,
    ) -> tuple[Task, ...]:
        category_ids = [c.id for c in tasks.categories or ()]
        for cid, count in Counter(category_ids).items():
            if count > 1:
                self._add(TASKS_FILE, ["categories"], "categories", f"类别编号 {cid} 重复")
        if known is not None:
            for j, name in enumerate(tasks.applies_to_all.units):
                if name not in known:
                    self._add(
                        TASKS_FILE,
                        ["applies_to_all", "units", j],
                        "applies_to_all.units",
                        _unknown_unit(name, known),
                    )
        sources = [(TASKS_FILE, [_row_of(t) for t in tasks.tasks or ()]), *parts]
        self._check_task_ids(sources)
        defined = category_ids if tasks.categories is not None else None
        built: list[Task] = []
        for file, rows in sources:
            found = self._built(file, rows, defined, known, reference, criteria)
            self.task_files.append((file, len(found)))
            built += found
        return tuple(built)

    def _built(
        self,
        file: str,
        rows: list[_TaskRow],
        category_ids: list[int] | None,
        known: dict[str, Unit] | None,
        reference: Any,
        criteria: Criteria | bool | None,
    ) -> list[Task]:
        """One file's tasks, each checked against the rest of the registry: its category
        (None: categories could not be read), units, deadline and 三级项."""
        categories = set(category_ids or ())
        built = []
        for i, row in enumerate(rows):
            task_id, category, text, written, open_ended, raw, named = row
            where = f"tasks[序号{task_id}]"
            if category_ids is not None and category not in categories:
                self._add(
                    file,
                    ["tasks", i, "category"],
                    f"{where}.category",
                    f"未知的类别 {category}，已定义：{'、'.join(map(str, category_ids))}",
                )
            units = self._resolve_units(file, ["tasks", i, "units"], where, written, known)
            deadline = self._deadline(file, ["tasks", i, "deadline"], where, raw, reference)
            served = self._task_criteria(file, i, where, named, criteria)
            if deadline is not None and units is not None:
                built.append(
                    Task(task_id, category, text, units, deadline, written, open_ended, served)
                )
        return built

    def _task_criteria(
        self,
        file: str,
        i: int,
        where: str,
        named: tuple[str, ...],
        criteria: Criteria | bool | None,
    ) -> tuple[str, ...]:
        """The 三级项 a task names, each one that criteria.yaml has (False: it is broken)."""
        served: list[str] = []
        for j, text in enumerate(named):
            key = item_key(text)
            loc: list[str | int] = ["tasks", i, "criteria", j]
            if criteria is None:
                self._add(
                    file,
                    loc,
                    f"{where}.criteria",
                    f"登记册没有 {CRITERIA_FILE}，不能引用三级项「{text}」",
                )
            elif criteria is not False and isinstance(criteria, Criteria):
                item = criteria.item(key)
                if item is None or not item.level:
                    known_ids = "、".join(it.id for it in criteria.items)
                    self._add(
                        file,
                        loc,
                        f"{where}.criteria",
                        f"未知的三级项「{text}」（{CRITERIA_FILE} 中已录入：{known_ids}）",
                    )
                elif key not in served:
                    served.append(key)
        return tuple(served)

    # -- scoring ---------------------------------------------------------------------------

    def _check_scoring(self) -> Scoring | None:
        """The 考核细则, or None when it has errors: unknown rules and negative points or caps
        are named with their line before the schema checks the rest."""
        from pydantic import ValidationError

        from safecity_cli.registry import schema
        from safecity_cli.registry.yaml_files import YamlProblem, load_yaml

        path = self.root / SCORING_FILE
        try:
            raw = load_yaml(path)
        except YamlProblem as exc:
            self.problems.append(exc.problem)
            return None
        before = len(self.problems)
        rules = raw.get("rules") if isinstance(raw, dict) else None
        if isinstance(rules, dict):
            cleaned = {}
            for name, rule in rules.items():
                if str(name) not in SCORING_RULES:
                    close = difflib.get_close_matches(str(name), SCORING_RULES, n=1, cutoff=0.5)
                    hint = f"，是否指 {close[0]}" if close else ""
                    self._add(
                        SCORING_FILE,
                        ["rules", name],
                        f"rules.{name}",
                        f"未知的考核规则「{name}」{hint}（可用：{'、'.join(SCORING_RULES)}）",
                    )
                    continue
                for key, what in (("points", "分值"), ("cap", "封顶分")):
                    value = rule.get(key) if isinstance(rule, dict) else None
                    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                        self._add(
                            SCORING_FILE,
                            ["rules", name, key],
                            f"rules.{name}.{key}",
                            f"{what}不能为负数（{value}）；扣分规则也写正数，由规则决定加或扣",
                        )
                cleaned[name] = rule
            raw = {**raw, "rules": cleaned}
        try:
            parsed = schema.ScoringFile.model_validate(raw)
        except ValidationError as exc:
            found = schema.validation_problems(path, raw, exc)
            seen = {(p.line, p.field) for p in self.problems[before:]}
            self.problems.extend(p for p in found if (p.line, p.field) not in seen)
            return None
        if len(self.problems) > before:
            return None
        built = [ScoringRule(name, r.points, r.cap) for name, r in parsed.rules.items()]
        built.sort(key=lambda r: SCORING_RULES.index(r.name))
        return Scoring(parsed.document, parsed.example, parsed.base, tuple(built))

    # -- criteria --------------------------------------------------------------------------

    def _check_criteria(self, parsed: schema.CriteriaFile) -> Criteria | bool:
        """The 评价细则 model, or False when it has errors (they are in self.problems).

        Ids are unique on each level (三级项 and 鼓励项 together). Points are checked as
        "children never exceed the parent": while the 细则 is only partly entered the
        children's sum is less than the parent's points, and that is not an error."""
        before = len([p for p in self.problems if not p.warning])
        f = CRITERIA_FILE
        first: dict[tuple[str, str], str] = {}

        def unique(kind: str, label: str, key: str, loc: list[str | int], where: str) -> None:
            if (kind, key) in first:
                self._add(f, loc, where, f"{label}编号「{key}」重复（{first[(kind, key)]} 中已有）")
            first.setdefault((kind, key), where)

        def exceeds(
            points: float | None, total: float, loc: list[str | int], where: str, what: str
        ) -> None:
            if points is not None and total > points + 1e-9:
                message = f"{what}合计 {_num(total)} 分，超过本项的 {_num(points)} 分"
                self._add(f, [*loc, "points"], f"{where}.points", message)

        levels = []
        for a, lv in enumerate(parsed.levels):
            la: list[str | int] = ["levels", a]
            unique("level", "一级项", lv.id, [*la, "id"], f"levels[{lv.id}]")
            children = []
            for b, ch in enumerate(lv.children):
                lb: list[str | int] = [*la, "children", b]
                unique("child", "二级项", ch.id, [*lb, "id"], f"levels[{lv.id}].children[{ch.id}]")
                items = []
                for c, it in enumerate(ch.items):
                    key = item_key(it.id)
                    unique("item", "三级项", key, [*lb, "items", c, "id"], f"三级项{key}")
                    items.append(
                        CriteriaItem(
                            key,
                            it.title,
                            _points(it.points) or it.points,
                            it.content,
                            it.scoring_rule,
                            it.source,
                            lv.id,
                            ch.id,
                        )
                    )
                exceeds(
                    ch.points,
                    sum(i.points for i in items),
                    lb,
                    f"levels[{lv.id}].children[{ch.id}]",
                    "所属三级项",
                )
                children.append(CriteriaChild(ch.id, ch.title, _points(ch.points), tuple(items)))
            below = sum(
                c.points if c.points is not None else sum(i.points for i in c.items)
                for c in children
            )
            exceeds(lv.points, below, la, f"levels[{lv.id}]", "所属二级项")
            levels.append(CriteriaLevel(lv.id, lv.title, _points(lv.points), tuple(children)))
        bonus = []
        for c, it in enumerate(parsed.bonus):
            key = item_key(it.id)
            unique("item", "鼓励项", key, ["bonus", c, "id"], f"鼓励项{key}")
            bonus.append(
                CriteriaItem(
                    key,
                    it.title,
                    _points(it.points) or it.points,
                    it.content,
                    it.scoring_rule,
                    it.source,
                )
            )
        if parsed.total_points is not None:
            total = sum(
                lv.points
                if lv.points is not None
                else sum(i.points for c in lv.children for i in c.items)
                for lv in levels
            )
            if total > parsed.total_points + 1e-9:
                self._add(
                    f,
                    ["total_points"],
                    "total_points",
                    f"一级项合计 {_num(total)} 分，超过评价细则满分 {_num(parsed.total_points)} 分",
                )
        if len([p for p in self.problems if not p.warning]) > before:
            return False
        total_points = _points(parsed.total_points)
        return Criteria(parsed.document, total_points, tuple(levels), tuple(bonus))

    def _check_task_ids(self, sources: list[tuple[str, list[_TaskRow]]]) -> None:
        if len(sources) == 1:
            self._check_ids(TASKS_FILE, "tasks", [row[0] for row in sources[0][1]], "任务序号")
            return
        first: dict[int, str] = {}
        for file, rows in sources:
            for i, row in enumerate(rows):
                if row[0] in first:
                    self._add(
                        file,
                        ["tasks", i, "id"],
                        f"tasks[第{i + 1}项].id",
                        f"任务序号 {row[0]} 重复（{first[row[0]]} 中已有）",
                    )
                first.setdefault(row[0], file)
        self._warn_gaps(TASKS_FILE, "tasks", set(first), "任务序号")

    def _resolve_units(
        self,
        file: str,
        loc: list[str | int],
        where: str,
        names: Iterable[str],
        known: dict[str, Unit] | None,
    ) -> tuple[str, ...] | None:
        if known is None:
            return None
        resolved: list[str] = []
        for j, name in enumerate(names):
            unit = known.get(name)
            if unit is None:
                self._add(file, [*loc, j], f"{where}.units", _unknown_unit(name, known))
            elif unit.name not in resolved:
                resolved.append(unit.name)
        return tuple(resolved)

    def _deadline(
        self, file: str, loc: list[str | int], where: str, text: str, reference: Any
    ) -> Any:
        try:
            return _parse_deadline(text, reference)
        except DeadlineError as exc:
            self._add(file, loc, f"{where}.{loc[-1]}", str(exc))  # .deadline, or a phase's .period
            return None

    def _check_ids(self, file: str, key: str, ids: list[int], label: str) -> None:
        for index, count in Counter(ids).items():
            if count > 1:
                at = ids.index(index, ids.index(index) + 1)
                self._add(file, [key, at, "id"], f"{key}[第{at + 1}项].id", f"{label} {index} 重复")
        self._warn_gaps(file, key, set(ids), label)

    def _warn_gaps(self, file: str, key: str, present: set[int], label: str) -> None:
        if (file, key) in self.positions:  # entries with errors of their own left out
            return
        # Count the gaps rather than list them: one mistyped id (100000000) must not build
        # a set of a hundred million numbers.
        gaps = max(present, default=0) - len(present)
        if gaps:
            missing = itertools.islice((i for i in range(1, max(present)) if i not in present), 10)
            listed = "、".join(map(str, missing)) + ("…" if gaps > 10 else "")
            self._add(file, [key], key, f"{label}不连续，缺少 {listed}", warning=True)

    # -- schedule --------------------------------------------------------------------------

    def _check_schedule(
        self, schedule: schema.ScheduleFile, known: dict[str, Unit] | None
    ) -> tuple[Program | None, tuple[Phase, ...], tuple[ScheduleItem, ...]]:
        p = schedule.program  # None when it has errors of its own: the rest is still checked
        program = None
        if p is not None:
            for name, day in (("start", p.start), ("final_deadline", p.final_deadline)):
                # 9999-12-31 as "no end" would overflow every calculation that looks past it.
                if not FIRST_YEAR <= day.year <= LAST_YEAR:
                    self._add(
                        SCHEDULE_FILE,
                        ["program", name],
                        f"program.{name}",
                        f"日期 {day.isoformat()} 超出范围（应在 {FIRST_YEAR}–{LAST_YEAR} 年之间）",
                    )
            if p.final_deadline < p.start:
                self._add(
                    SCHEDULE_FILE,
                    ["program", "final_deadline"],
                    "program.final_deadline",
                    "最终完成时限早于创建起始日期",
                )
            e = p.escalation
            program = Program(
                p.name,
                p.short_name or p.name,
                p.start,
                p.final_deadline,
                p.document,
                p.issuer,
                Escalation(e.blue_within_days, e.red_after_days, e.idle_window_share),
                p.operator.strip(),
                p.late_after_days,
            )
        start = p.start if p is not None else None
        phase_list, item_list = schedule.phases or [], schedule.items or []
        self._check_ids(SCHEDULE_FILE, "phases", [ph.id for ph in phase_list], "阶段编号")
        self._check_ids(SCHEDULE_FILE, "items", [it.id for it in item_list], "日程序号")
        main_ids = [t.id for g in schedule.main_tasks or () for t in g.tasks]
        for tid, count in Counter(main_ids).items():
            if count > 1:
                self._add(SCHEDULE_FILE, ["main_tasks"], "main_tasks", f"主要任务编号 {tid} 重复")
        phases = []
        for i, ph in enumerate(phase_list):
            period = self._deadline(
                SCHEDULE_FILE, ["phases", i, "period"], f"phases[{ph.name}]", ph.period, start
            )
            if period is not None:
                phases.append(
                    Phase(
                        ph.id,
                        ph.name,
                        ph.period,
                        period.start or period.end,
                        period.end,
                        ph.summary,
                    )
                )
        items = []
        for i, it in enumerate(item_list):
            where = f"items[序号{it.id}]"
            units = self._resolve_units(
                SCHEDULE_FILE, ["items", i, "units"], where, it.units, known
            )
            deadline = self._deadline(
                SCHEDULE_FILE, ["items", i, "deadline"], where, it.deadline, start
            )
            if units is not None and deadline is not None:
                items.append(ScheduleItem(it.id, it.text, units, deadline, tuple(it.units)))
        return program, tuple(phases), tuple(items)


def _cycle(start: str, units: dict[str, Unit]) -> list[str] | None:
    """The chain of members through which group `start` contains itself, if it does."""
    stack, visited = [[start]], {start}
    while stack:
        chain = stack.pop()
        for member in units[chain[-1]].members or ():
            if member == start:
                return [*chain, start]
            if member not in visited and member in units:
                visited.add(member)
                stack.append([*chain, member])
    return None


@functools.lru_cache(maxsize=4096)  # a large registry repeats a few hundred deadline texts
def _parse_deadline(text: str, reference: Any) -> Deadline:
    return parse_deadline(text, reference=reference)


def _row_of(t: schema.TaskEntry) -> _TaskRow:
    return (t.id, t.category, t.text, tuple(t.units), t.open_ended, t.deadline, tuple(t.criteria))


def _row(
    task_id: int,
    category: int,
    text: str,
    units: list[str],
    open_ended: str | None,
    raw: str,
    criteria: list[str] | tuple[str, ...] = (),
) -> _TaskRow:
    return (task_id, category, text, tuple(units), open_ended, raw, tuple(criteria))


def _points(value: float | None) -> float | None:
    """2.0 -> 2: points read as float stay whole numbers where they are."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _num(value: float) -> str:
    """2.0 -> 2, 0.5 -> 0.5."""
    return f"{value:g}"


def _canonical(known: dict[str, Unit], name: str) -> str:
    return known[name].name


def coverage_warnings(registry: Registry) -> list[Problem]:
    """Warnings about who can report: each group without members (the tasks and 日程 it leaves
    without a unit of its own to report), and the tasks all of whose units are such groups."""
    from safecity_cli.registry.yaml_files import line_of

    problems = []
    units_path = registry.path / UNITS_FILE
    empty = {u.name for u in registry.units if u.members == ()}
    for i, unit in enumerate(registry.units):
        if unit.name not in empty:
            continue
        named = [t.id for t in registry.tasks if unit.name in t.units]
        listed = [it.id for it in registry.items if unit.name in it.units]
        where = "、".join(
            text
            for text in (
                f"任务 {_id_ranges(named)}" if named else "",
                f"日程 {_id_ranges(listed)}" if listed else "",
            )
            if text
        )
        share = f"{where} 中它的那一部分只能由集合整体报送" if where else "尚未承担任务"
        problems.append(
            Problem(
                str(units_path),
                line_of(units_path, ["units", i, "name"]),
                f"units[{unit.name}].members",
                f"集合单位没有成员：{share}；请用 members 列出成员，或用 member_kinds 按单位类型指定",
                warning=True,
            )
        )
    orphans = [t.id for t in registry.tasks if t.units and all(n in empty for n in t.units)]
    if orphans:
        tasks_path = registry.path / TASKS_FILE
        problems.append(
            Problem(
                str(tasks_path),
                line_of(tasks_path, ["tasks"]),
                "tasks",
                f"任务 {_id_ranges(orphans)} 的责任单位都是没有成员的集合单位，尚无具体单位报送",
                warning=True,
            )
        )
    return problems


def _id_ranges(ids: Sequence[int], most: int = 20) -> str:
    """1–3、5: consecutive ids as ranges; past `most` ranges, the count of the rest."""
    runs: list[list[int]] = []
    for n in sorted(set(ids)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    text = "、".join(
        f"{r[0]}–{r[-1]}" if len(r) > 2 else "、".join(map(str, r)) for r in runs[:most]
    )
    rest = sum(len(r) for r in runs[most:])
    return f"{text}等（另有 {rest} 项）" if rest else text


def _unknown_unit(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    hint = f"，是否指：{'、'.join(close)}" if close else ""
    return f"未知的责任单位「{name}」（units.yaml 中没有此名称或别名）{hint}"
