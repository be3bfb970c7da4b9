"""Pydantic models of the registry files as written, and their errors said in Chinese."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from safecity_cli.errors import Problem

if TYPE_CHECKING:
    from safecity_cli.registry.lines import Lines

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PositiveId = Annotated[int, Field(ge=1, le=999_999_999, strict=True)]


class Strict(BaseModel):
    # Frozen, and unknown keys are errors: a typo in a key must not be silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")


class CategoryEntry(Strict):
    id: PositiveId
    numeral: Text
    title: Text


class AppliesToAllEntry(Strict):
    units: list[Text] = []
    note: str = ""


class TaskEntry(Strict):
    id: PositiveId
    category: PositiveId
    text: Text
    units: list[Text] = Field(min_length=1)
    open_ended: Text | None = None
    deadline: Text
    criteria: list[Text] = []


class TasksFile(Strict):
    categories: list[CategoryEntry] = Field(min_length=1)
    applies_to_all: AppliesToAllEntry = AppliesToAllEntry()
    tasks: list[TaskEntry]


class TaskPartFile(Strict):
    """tasks/*.yaml: more tasks, for registries large enough to split."""

    tasks: list[TaskEntry]


class UnitEntry(Strict):
    name: Text
    kind: Text
    aliases: list[Text] = []
    members: list[Text] | None = None
    member_kinds: list[Text] | None = None  # every unit of these kinds is a member too
    contact: str | None = None
    phone: str | None = None


class UnitsFile(Strict):
    kinds: list[Text] = Field(min_length=1)
    units: list[UnitEntry]


class EscalationEntry(Strict):
    blue_within_days: Annotated[int, Field(ge=0)] = 14
    red_after_days: Annotated[int, Field(ge=0)] = 30
    idle_window_share: Annotated[float, Field(gt=0, le=1)] = 0.5


class ProgramEntry(Strict):
    name: Text
    short_name: Text | None = None
    document: str = ""
    issuer: str = ""
    start: date
    final_deadline: date
    escalation: EscalationEntry = EscalationEntry()
    operator: str = ""
    late_after_days: int = Field(default=7, ge=0)


class PhaseEntry(Strict):
    id: PositiveId
    name: Text
    period: Text
    summary: str = ""


class ItemEntry(Strict):
    id: PositiveId
    text: Text
    units: list[Text] = Field(min_length=1)
    deadline: Text


class MainTaskEntry(Strict):
    id: PositiveId
    title: Text
    text: str = ""


class MainTaskGroupEntry(Strict):
    numeral: Text
    heading: Text
    tasks: list[MainTaskEntry]


class ScheduleFile(Strict):
    program: ProgramEntry
    phases: list[PhaseEntry] = []
    items: list[ItemEntry] = []
    main_tasks: list[MainTaskGroupEntry] = []


Points = Annotated[float, Field(gt=0, le=1000)]


class CriteriaItemEntry(Strict):
    """A 三级项 (or a 鼓励项): title, points, 评价内容 and 评分标准 as the document has them."""

    id: Text
    title: Text
    points: Points
    content: str = ""
    scoring_rule: str = ""
    source: str = ""


class CriteriaChildEntry(Strict):
    id: Text
    title: Text
    points: Points | None = None
    items: list[CriteriaItemEntry] = []


class CriteriaLevelEntry(Strict):
    id: Text
    title: Text
    points: Points | None = None
    children: list[CriteriaChildEntry] = []


class CriteriaFile(Strict):
    """criteria.yaml: the 评价细则 (一级项 → 二级项 → 三级项) and its 鼓励项."""

    document: str = ""
    total_points: Points | None = None
    levels: list[CriteriaLevelEntry] = []
    bonus: list[CriteriaItemEntry] = []


class ScoringRuleEntry(Strict):
    """One rule of the 考核细则: points per occurrence, and at most `cap` points in all."""

    points: Annotated[float, Field(ge=0, le=1000)]
    cap: Annotated[float, Field(ge=0, le=1000)] | None = None


class ScoringFile(Strict):
    """scoring.yaml: the 考核细则 — a base score and the rules that add or deduct points."""

    document: str = ""
    example: bool = False
    base: Annotated[float, Field(ge=0, le=1000)] = 100
    rules: dict[Text, ScoringRuleEntry] = {}


# -- pydantic errors in Chinese ------------------------------------------------------------

_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda e: "缺少必填字段",
    "value_error": lambda e: str(e["ctx"]["error"]),
    "extra_forbidden": lambda e: "未知字段（是否拼写错误？）",
    "int_type": lambda e: "应为整数",
    "int_parsing": lambda e: "应为整数",
    "int_from_float": lambda e: "应为整数",
    "float_type": lambda e: "应为数字",
    "float_parsing": lambda e: "应为数字",
    "string_type": lambda e: "应为文本",
    "bool_type": lambda e: "应为 true 或 false",
    "list_type": lambda e: "应为列表（每项以「- 」开头）",
    "dict_type": lambda e: "应为映射（「键: 值」的形式）",
    "model_type": lambda e: "应为映射（「键: 值」的形式）",
    "model_attributes_type": lambda e: "应为映射（「键: 值」的形式）",
    "date_type": lambda e: "应为日期，如 2020-10-01",
    "date_parsing": lambda e: "应为日期，如 2020-10-01",
    "date_from_datetime_parsing": lambda e: "应为日期，如 2020-10-01",
    "date_from_datetime_inexact": lambda e: "应为日期（不含时间），如 2020-10-01",
    "datetime_type": lambda e: "应为日期时间，如 2020-11-15T10:00:00",
    "datetime_parsing": lambda e: "应为日期时间，如 2020-11-15T10:00:00",
    "literal_error": lambda e: _one_of(e),
    "enum": lambda e: _one_of(e),
    "string_too_short": lambda e: "不能为空",
    "too_short": lambda e: f"至少需要 {e['ctx']['min_length']} 项",
    "greater_than_equal": lambda e: f"应不小于 {e['ctx']['ge']}",
    "greater_than": lambda e: f"应大于 {e['ctx']['gt']}",
    "less_than_equal": lambda e: f"应不大于 {e['ctx']['le']}",
    "invalid_key": lambda e: "字段名应为文本",
}


def _one_of(error: dict[str, Any]) -> str:
    return "应为以下之一：" + "、".join(re.findall(r"'([^']*)'", str(error["ctx"]["expected"])))


def validation_problems(
    path: Path,
    raw: Any,
    exc: ValidationError,
    skip: Sequence[Sequence[str | int]] = (),
    lines: Lines | None = None,
) -> list[Problem]:
    """Pydantic's errors in Chinese, with file, line (from one parse of the file) and field;
    none under a `skip` path (a value already reported, such as one the YAML loader could not
    read)."""
    from safecity_cli.registry.lines import Lines

    lines = lines or Lines()
    problems = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        if any(list(loc[: len(prefix)]) == list(prefix) for prefix in skip):
            continue
        describe = _MESSAGES.get(error["type"])
        message = describe(dict(error)) if describe else f"取值无效（{error['msg']}）"
        if error["type"] == "model_type" and not loc:
            message = "文件顶层" + message
        problems.append(Problem(str(path), lines.line(path, loc), _field_name(raw, loc), message))
    return problems


# Where a salvaged list's entries stood in the file: field -> original index of each kept one.
Positions = dict[str, list[int]]


def check_model(
    path: Path, raw: Any, model: type[BaseModel]
) -> tuple[Any, list[Problem], Positions]:
    """Every problem in one file's data (values the loader could not read, each with its
    field, then the schema's), and what can still be checked: the model, or when it does not
    validate, one salvaged from the entries of each list that validate on their own (None
    for a required field that does not), with where those entries stood."""
    from safecity_cli.registry.yaml_files import bad_values

    bad = bad_values(raw)
    problems = [Problem(str(path), v.line, _field_name(raw, loc), v.message) for loc, v in bad]
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        problems += validation_problems(path, raw, exc, skip=[loc for loc, _ in bad])
        salvaged, positions = _salvage(model, raw)
        return salvaged, problems, positions
    return parsed, problems, {}


def _salvage(model: type[BaseModel], raw: Any) -> tuple[Any, Positions]:
    from typing import get_args, get_origin

    from pydantic import TypeAdapter

    if not isinstance(raw, dict):
        return None, {}
    values: dict[str, Any] = {}
    positions: Positions = {}
    for name, info in model.model_fields.items():
        if name not in raw:
            values[name] = (
                None if info.is_required() else info.get_default(call_default_factory=True)
            )
            continue
        value, annotation = raw[name], info.annotation
        args = get_args(annotation)
        inner = args[0] if get_origin(annotation) is list and args else None
        if isinstance(value, list) and isinstance(inner, type) and issubclass(inner, BaseModel):
            kept, where = [], []
            for index, item in enumerate(value):
                try:
                    kept.append(inner.model_validate(item))
                except ValidationError:
                    continue
                where.append(index)
            values[name], positions[name] = kept, where
            continue
        try:
            values[name] = TypeAdapter(annotation or Any).validate_python(value)
        except ValidationError:
            values[name] = (
                None if info.is_required() else info.get_default(call_default_factory=True)
            )
    return model.model_construct(**values), positions


def _field_name(raw: Any, loc: Sequence[str | int]) -> str:
    """`tasks[序号4].deadline`: list positions shown by the entry's id where it has one."""
    text, node = "", raw
    for step in loc:
        if isinstance(step, int) and not isinstance(node, dict):  # a dict's int step is a key
            entry = node[step] if isinstance(node, list) and step < len(node) else None
            label = (
                f"序号{entry['id']}"
                if isinstance(entry, dict) and isinstance(entry.get("id"), int)
                else f"第{step + 1}项"
            )
            text += f"[{label}]"
            node = entry
        else:
            text += f".{step}" if text else str(step)
            node = node.get(step) if isinstance(node, dict) else None
    return text or "（文件顶层）"
