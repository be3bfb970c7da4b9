"""`validate` for the assessment files: readable, and naming only items, tasks and units that exist."""

from __future__ import annotations

from typing import Any

from safecity_cli.assessment.findings import ROUNDS
from safecity_cli.assessment.paths import FINDINGS_FILE, MANIFEST_FILE, PROBLEMS_FILE, file_path
from safecity_cli.assessment.store import read_records
from safecity_cli.errors import Problem, RegistryError
from safecity_cli.registry.models import Registry, item_key


def check_assessment(registry: Registry) -> list[Problem]:
    from safecity_cli.registry.yaml_files import line_of

    problems: list[Problem] = []
    criteria = registry.criteria
    records: dict[str, list[Any]] = {}
    for name in (FINDINGS_FILE, PROBLEMS_FILE, MANIFEST_FILE):
        try:
            records[name] = read_records(registry.path, name)
        except RegistryError as exc:
            problems.extend(exc.problems)
            records[name] = []

    def bad(name: str, i: int, key: str, message: str) -> None:
        path = file_path(registry.path, name)
        section = "findings" if name == FINDINGS_FILE else "problems"
        line = line_of(path, [section, i, key])
        problems.append(Problem(str(path), line, f"{section}[第{i + 1}项].{key}", message))

    for i, f in enumerate(records[FINDINGS_FILE]):
        if f.round not in ROUNDS:
            bad(FINDINGS_FILE, i, "round", f"未知的自评轮次「{f.round}」")
        if criteria is None or criteria.item(item_key(f.item)) is None:
            bad(FINDINGS_FILE, i, "item", f"扣分记录引用了未录入的三级项「{f.item}」")
        if f.unit is not None and registry.unit(f.unit) is None:
            bad(FINDINGS_FILE, i, "unit", f"扣分记录引用了未知的单位「{f.unit}」")
    for i, p in enumerate(records[PROBLEMS_FILE]):
        if p.item is not None and (criteria is None or criteria.item(item_key(p.item)) is None):
            bad(PROBLEMS_FILE, i, "item", f"整改问题引用了未录入的三级项「{p.item}」")
        if p.task is not None and registry.task(p.task) is None:
            bad(PROBLEMS_FILE, i, "task", f"整改问题引用了不存在的任务序号 {p.task}")
        if p.unit is not None and registry.unit(p.unit) is None:
            bad(PROBLEMS_FILE, i, "unit", f"整改问题引用了未知的单位「{p.unit}」")
        if p.action == "登记" and (p.unit is None or p.deadline is None):
            bad(
                PROBLEMS_FILE,
                i,
                "action",
                "登记整改问题须写明责任单位（unit）和整改时限（deadline）",
            )
    return problems
