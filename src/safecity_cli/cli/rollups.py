"""The query commands on a roll-up registry (rollup.yaml): each district's answer, side by side."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safecity_cli.cli.common import as_recorded, emit, note, working, write
from safecity_cli.errors import UsageError
from safecity_cli.render.formats import DetailFormat, OutputFormat
from safecity_cli.rollup import (
    District,
    Office,
    district_shells,
    load_offices,
    pick,
    split_ref,
    split_unit,
)

if TYPE_CHECKING:
    from safecity_cli.registry.models import Unit

Rollup = tuple[Path, list[District]]


def offices(rollup: Rollup, no_cache: bool = False) -> Iterator[Office]:
    """Each district's registry and ledger, the ledger as recorded by --as-recorded if given."""
    folder, districts = rollup
    loaded = load_offices(folder, districts, use_cache=not no_cache, progress=working)
    moment = as_recorded()
    if moment is None:
        return loaded
    return (o._replace(ledger=o.ledger.as_recorded(moment)) for o in loaded)


def with_unit(
    rollup: Rollup, text: str | None, no_cache: bool, **wanted: Any
) -> Iterator[tuple[Office, Unit | None]]:
    """Each district with the unit `text` names there, holding the tasks `Wanted(unit,
    **wanted)` may need (from the district's index). 「临潼区 区住建局」 is one district's unit;
    a plain 「区住建局」 is looked for in every district, and those without it are left out."""
    from safecity_cli.index_db import Wanted
    from safecity_cli.registry.units import resolve_unit

    folder, districts = rollup
    name, unit_text = split_unit(text, [d.name for d in districts]) if text else (None, "")
    if name is not None:
        districts = [d for d in districts if d.name == name]
    first: UsageError | None = None
    found = False
    query = unit_text.strip()
    moment = as_recorded()
    for shell in district_shells(folder, districts, use_cache=not no_cache, progress=working):
        unit = None
        if text is not None:
            names = (n for u in shell.registry.units for n in (u.name, *u.aliases))
            if shell.registry.unit(query) is None and not any(query and query in n for n in names):
                continue  # not this district's unit (and no costly suggestions for it)
            try:
                unit = resolve_unit(shell.registry, unit_text)
            except UsageError as exc:
                if "可指多个单位" in exc.message:
                    raise UsageError(f"区县「{shell.name}」：{exc.message}") from None
                first = first or exc
                continue
        found = True
        office = shell.load(Wanted(unit=unit, **wanted))
        if moment is not None:
            office = office._replace(ledger=office.ledger.as_recorded(moment))
        yield office, unit
    if text is not None and not found:
        if name is not None and first is not None:
            raise UsageError(f"区县「{name}」：{first.message}")
        raise UsageError(f"各区县都没有单位「{text}」；用 safecity units 查看各区县的单位")


def _scope(rollup: Rollup, unit: str | None = None) -> str:
    """How a title names what it covers: 临潼区 / 各区县, and the unit asked about."""
    where = rollup[1][0].name if len(rollup[1]) == 1 else "各区县"
    return where + (f"（{unit}）" if unit else "")


def list_rollup(
    rollup: Rollup,
    on: date,
    fmt: OutputFormat,
    no_cache: bool,
    *,
    unit: str | None,
    category: str | None,
    status: Any,
    due_before: date | None,
    due_after: date | None,
    search: str | None,
    open_deadline: bool,
) -> None:
    from safecity_cli.render.rollup import rollup_task_listing
    from safecity_cli.tracking.query import TaskFilter, parse_category, select_tasks

    parts = []
    for office, who in with_unit(rollup, unit, no_cache):
        filters = TaskFilter(
            unit=who,
            category=parse_category(office.registry, category) if category is not None else None,
            status=status,
            due_before=due_before,
            due_after=due_after,
            search=search,
            open_deadline=open_deadline,
        )
        states = select_tasks(office.registry, office.ledger, on, filters)
        parts.append((office.name, office.registry, states, who))
    title = f"{_scope(rollup, unit)}的任务清单"
    emit(rollup_task_listing(parts, title=title), fmt)


def overdue_rollup(
    rollup: Rollup, on: date, fmt: OutputFormat, no_cache: bool, *, unit: str | None, workdays: bool
) -> None:
    from safecity_cli.dates import chinese_date
    from safecity_cli.render.rollup import rollup_task_listing
    from safecity_cli.tracking.query import find_overdue

    parts = [
        (o.name, o.registry, find_overdue(o.registry, o.ledger, on, who, workdays=workdays), who)
        for o, who in with_unit(rollup, unit, no_cache, overdue_on=on, as_of=on)
    ]
    title = f"截至{chinese_date(on)}{_scope(rollup, unit)}逾期未完成的任务"
    emit(rollup_task_listing(parts, title=title, extra="days_overdue"), fmt)


def due_rollup(
    rollup: Rollup,
    on: date,
    within: int,
    fmt: OutputFormat,
    no_cache: bool,
    *,
    unit: str | None,
    workdays: bool,
) -> None:
    from safecity_cli.dates import chinese_date
    from safecity_cli.render.rollup import rollup_task_listing
    from safecity_cli.tracking.query import find_due

    if within < 0:
        raise UsageError("--within 应为不小于 0 的天数")
    parts = [
        (
            o.name,
            o.registry,
            find_due(o.registry, o.ledger, on, within, who, workdays=workdays),
            who,
        )
        for o, who in with_unit(rollup, unit, no_cache, due_on=on, due_within=within, as_of=on)
    ]
    title = f"{chinese_date(on)}起 {within} 天内{_scope(rollup, unit)}到期的任务"
    emit(rollup_task_listing(parts, title=title, extra="days_left"), fmt)


def _totals(office: Office, on: date) -> tuple[int, int, int]:
    from safecity_cli.tracking.query import TaskFilter, select_tasks

    states = select_tasks(office.registry, office.ledger, on, TaskFilter())
    return len(states), sum(s.complete for s in states), sum(s.overdue for s in states)


def units_rollup(
    rollup: Rollup, on: date, fmt: OutputFormat, no_cache: bool, *, kind: str | None
) -> None:
    from safecity_cli.render.rollup import rollup_unit_listing
    from safecity_cli.tracking.query import summarize_units

    parts = []
    for office in offices(rollup, no_cache):
        if kind is not None and kind not in office.registry.kinds:
            continue  # a kind one district does not use
        summaries = summarize_units(office.registry, office.ledger, on, kind)
        parts.append((office.name, summaries, _totals(office, on)))
    if kind is not None and not parts:
        raise UsageError(f"各区县都没有类型为「{kind}」的单位")
    emit(rollup_unit_listing(parts, on), fmt)


def stats_rollup(rollup: Rollup, on: date, fmt: OutputFormat, no_cache: bool) -> None:
    from safecity_cli.render.rollup import rollup_stats_listing
    from safecity_cli.tracking.query import compute_stats

    parts = [(o.name, compute_stats(o.registry, o.ledger, on)) for o in offices(rollup, no_cache)]
    emit(rollup_stats_listing(parts, on), fmt)


def one_task(rollup: Rollup, ref: str, no_cache: bool) -> tuple[Office, int]:
    """The district and task number of 「临潼区:27」."""
    folder, districts = rollup
    name, number = split_ref(ref)
    example = f"{districts[0].name}:27"
    if name is None:
        raise UsageError(
            f"汇总登记册中的任务要写明区县，如 {example}（区县：{'、'.join(d.name for d in districts[:5])}"
            + ("等" if len(districts) > 5 else "")
            + "）"
        )
    if not number.isdigit():
        raise UsageError(f"任务编号「{ref}」应写作 区县:序号，如 {example}")
    [office] = offices((folder, pick(folder, districts, name)), no_cache)
    task_id = int(number)
    if office.registry.task(task_id) is None:
        raise UsageError(
            f"区县「{office.name}」没有序号为 {task_id} 的任务（共 {len(office.registry.tasks)} 项）"
        )
    return office, task_id


def show_rollup(rollup: Rollup, ref: str, on: date, fmt: DetailFormat, no_cache: bool) -> None:
    from safecity_cli.render.detail import task_detail
    from safecity_cli.render.formats import render_json

    office, task_id = one_task(rollup, ref, no_cache)
    task = office.registry.task(task_id)
    assert task is not None
    detail = task_detail(office.registry, office.ledger, task, on)
    detail = replace(
        detail,
        fields=[("区县", office.name), *detail.fields],
        data={"district": office.name, **detail.data},
    )
    if fmt is DetailFormat.JSON:
        write(render_json(detail.data))
    elif fmt is DetailFormat.TABLE:
        from safecity_cli.cli.common import show

        show(detail.rich())
    else:
        write(detail.markdown())


def history_rollup(
    rollup: Rollup, ref: str, unit: str | None, until: date | None, fmt: OutputFormat
) -> None:
    from safecity_cli.dates import chinese_date
    from safecity_cli.ledger.entries import check_evidence
    from safecity_cli.registry.units import expand, resolve_unit
    from safecity_cli.render.rollup import rollup_history_listing

    office, task_id = one_task(rollup, ref, False)
    who = None
    if unit is not None:
        _, unit_text = split_unit(unit, [office.name])
        who = resolve_unit(office.registry, unit_text)
    names = {who.name, *expand(office.registry, who)} if who else None
    entries = [
        e
        for e in office.ledger.for_task(task_id)
        if (until is None or e.date <= until) and (names is None or e.unit in names)
    ]
    title = f"{office.name} 任务 {task_id} 的进展记录" + (f"（{who.name}）" if who else "")
    emit(rollup_history_listing(office.name, entries, title), fmt)
    for entry in entries:
        for item in entry.evidence:
            if problem := check_evidence(item, office.registry.path):
                note(
                    f"注意：{office.name} {chinese_date(entry.date)} {entry.unit} 的佐证材料 "
                    f"{item.ref} {problem}"
                )


def validate_rollup(folder: Path) -> None:
    """rollup.yaml, then every district's registry and ledger, each problem under its district."""
    from safecity_cli.ledger.files import check_ledger
    from safecity_cli.registry.load import check_registry
    from safecity_cli.rollup import DistrictError, read_rollup

    districts = read_rollup(folder)
    tasks = warnings = 0
    for district in districts:
        registry, problems = check_registry(district.path)
        if registry is not None:
            problems += check_ledger(registry)
        if registry is None or any(not p.warning for p in problems):
            raise DistrictError(folder / "rollup.yaml", district, problems)
        for problem in problems:
            note(f"区县「{district.name}」：{problem}")
        tasks += len(registry.tasks)
        warnings += len(problems)
    write(
        f"汇总登记册有效：{len(districts)} 个区县，共 {tasks} 项任务"
        + (f"；{warnings} 条警告" if warnings else "")
        + "\n"
    )
