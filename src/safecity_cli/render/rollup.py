"""Listings of a roll-up registry: every row said with its district (区县), totals by district."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from safecity_cli.dates import chinese_date
from safecity_cli.ledger.entries import Entry
from safecity_cli.registry.models import Registry, Unit
from safecity_cli.render.formats import Listing
from safecity_cli.render.listings import (
    entry_json,
    history_listing,
    task_json,
    task_listing,
    unit_listing,
)
from safecity_cli.tracking.query import Stats, UnitSummary
from safecity_cli.tracking.state import TaskState

DISTRICT = "区县"


def task_ref(district: str, task_id: int) -> str:
    return f"{district}:{task_id}"


def rollup_task_listing(
    parts: Sequence[tuple[str, Registry, list[TaskState], Unit | None]],
    *,
    title: str,
    extra: str | None = None,
) -> Listing:
    """Each district's tasks, district by district; overdue (most overdue first) and due
    (soonest first) are ordered across districts as a single registry orders them."""
    found: list[tuple[tuple[Any, ...], list[str], list[str], str | None, str, Registry, Any]] = []
    headers: list[str] = []
    csv_headers: list[str] | None = None
    for order, (name, registry, states, unit) in enumerate(parts):
        one = task_listing(registry, states, title=title, extra=extra, unit=unit)
        headers = headers or [DISTRICT, *one.headers]
        if one.csv_headers is not None:
            csv_headers = csv_headers or [DISTRICT, *one.csv_headers]
        csv_rows = one.csv_rows or one.rows
        for state, row, csv_row, style in zip(
            states, one.rows, csv_rows, one.row_styles, strict=True
        ):
            if extra == "days_overdue":
                key: tuple[Any, ...] = (-(state.days_overdue or 0), order, state.task.id)
            elif extra == "days_left":
                key = (state.deadline, order, state.task.id)
            else:
                key = (order,)
            ref = task_ref(name, state.task.id)
            found.append(
                (
                    key,
                    [name, ref, *row[1:]],
                    [name, ref, *csv_row[1:]],
                    style,
                    name,
                    registry,
                    state,
                )
            )
    found.sort(key=lambda f: f[0])
    if not headers:
        headers = [DISTRICT, "序号", "类别", "主要目标任务", "责任单位", "完成时限", "状态", "督办"]
    through = sum(1 for f in found if f[6].via)
    districts = len({f[4] for f in found})
    caption = f"{districts} 个区县共 {len(found)} 项任务" + (
        f"，其中 {through} 项经集合单位适用" if through else ""
    )

    def data() -> list[dict[str, Any]]:
        items = []
        for *_, name, registry, state in found:
            item = task_json(registry, state)
            if extra in ("days_overdue", "days_left"):
                item[extra] = getattr(state, extra)
            items.append({"district": name, **item})
        return items

    return Listing(
        title,
        headers,
        [f[1] for f in found],
        data,
        empty="没有符合条件的任务",
        caption=caption,
        wrap={3: 3, 4: 2},
        row_styles=[f[3] for f in found],
        csv_rows=[f[2] for f in found],
        csv_headers=csv_headers,
    )


def rollup_unit_listing(
    parts: Sequence[tuple[str, list[UnitSummary], tuple[int, int, int]]], on: date
) -> Listing:
    """Each district's units, then the district's total (its tasks, complete, open, overdue)."""
    rows: list[list[str]] = []
    styles: list[str | None] = []
    items: list[dict[str, Any]] = []
    headers = [DISTRICT, *unit_listing([], on).headers]
    units = 0
    for name, summaries, (tasks, complete, overdue) in parts:
        one = unit_listing(summaries, on)
        rows += [[name, *row] for row in one.rows]
        styles += [None] * len(one.rows)
        items += [{"district": name, **item} for item in one.data]
        units += len(summaries)
        total = [name, "（合计）", "", "", "", str(tasks), "", str(complete)]
        rows.append([*total, str(tasks - complete), str(overdue)])
        styles.append("bold")
    caption = f"{len(parts)} 个区县共 {units} 个单位（截至{chinese_date(on)}）；「合计」行按任务计"
    return Listing(
        "各区县责任单位",
        headers,
        rows,
        items,
        empty="没有符合条件的单位",
        caption=caption,
        wrap={3: 1, 4: 1},
        row_styles=styles,
    )


def rollup_stats_listing(parts: Sequence[tuple[str, Stats]], on: date) -> Listing:
    """Totals by district first, then categories, statuses and months summed over districts,
    and each district's units."""
    headers = ["分组", "项目", "任务数", "已完成", "逾期"]
    rows: list[list[str]] = []
    districts: list[tuple[str, int, int, int]] = []  # district, tasks, complete, overdue
    categories: dict[str, list[int]] = {}
    statuses: Counter[str] = Counter()
    months: Counter[str] = Counter()
    units: list[tuple[str, str, int, int, int]] = []  # district, unit, tasks, complete, overdue
    for name, stats in parts:
        complete = sum(c for _, _, c in stats.by_category)
        districts.append((name, stats.total, complete, stats.overdue))
        for label, total, done in stats.by_category:
            pair = categories.setdefault(label, [0, 0])
            pair[0] += total
            pair[1] += done
        statuses.update(dict(stats.by_status))
        months.update(dict(stats.by_month))
        units += [(name, u, t, c, o) for u, t, c, o in stats.by_unit]
    for name, tasks, complete, overdue in districts:
        rows.append([DISTRICT, name, str(tasks), str(complete), str(overdue)])
    for label, (total, done) in categories.items():
        rows.append(["类别", label, str(total), str(done), ""])
    for label, count in statuses.items():
        rows.append(["状态", label, str(count), "", ""])
    for name, unit, tasks, complete, overdue in units:
        rows.append(["单位", f"{name} {unit}", str(tasks), str(complete), str(overdue)])
    month_order = sorted(months.items(), key=lambda kv: (kv[0] == "无固定期限", kv[0]))
    for month, count in month_order:
        rows.append(["截止月份", month, str(count), "", ""])
    total = sum(d[1] for d in districts)
    overdue = sum(d[3] for d in districts)
    data = {
        "date": on,
        "total": total,
        "overdue": overdue,
        "by_district": [
            {"district": n, "tasks": t, "complete": c, "overdue": o} for n, t, c, o in districts
        ],
        "by_category": [
            {"category": c, "tasks": t, "complete": d} for c, (t, d) in categories.items()
        ],
        "by_status": dict(statuses),
        "by_unit": [
            {"district": n, "unit": u, "tasks": t, "complete": c, "overdue": o}
            for n, u, t, c, o in units
        ],
        "by_month": dict(month_order),
    }
    caption = f"截至{chinese_date(on)}：{len(parts)} 个区县共 {total} 项任务，逾期 {overdue} 项"
    return Listing("各区县任务统计", headers, rows, data, caption=caption)


def rollup_history_listing(district: str, entries: list[Entry], title: str) -> Listing:
    one = history_listing(entries, title)
    return Listing(
        one.title,
        [DISTRICT, *one.headers],
        [[district, *row] for row in one.rows],
        [{"district": district, **entry_json(e)} for e in entries],
        empty=one.empty,
        caption=one.caption,
        wrap={k + 1: v for k, v in one.wrap.items()},
        csv_rows=[[district, *row] for row in one.csv_rows or one.rows],
        csv_headers=[DISTRICT, *one.csv_headers] if one.csv_headers is not None else None,
    )
