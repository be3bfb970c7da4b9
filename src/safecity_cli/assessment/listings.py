"""Listings for `assess` and `problem`: the rows people read and the JSON scripts rely on."""

from __future__ import annotations

from typing import Any

from safecity_cli.assessment.criteria import coverage, criteria_of, num, path_of, tasks_for
from safecity_cli.assessment.problems import ProblemState
from safecity_cli.assessment.scoring import Scorecard
from safecity_cli.dates import chinese_date
from safecity_cli.registry.models import Registry
from safecity_cli.render.formats import Listing


def brief_units(units: list[str] | tuple[str, ...], most: int = 3) -> str:
    """A table cell for a long list of units: the first few and how many in all."""
    if len(units) <= most:
        return "、".join(units)
    return "、".join(units[:most]) + f"等 {len(units)} 个单位"


def score_listing(card: Scorecard) -> Listing:
    headers = ["三级项", "名称", "分值", "扣分", "得分", "扣分原因", "责任单位", "对应任务及状态"]
    rows: list[list[str]] = []
    styles: list[str | None] = []
    for s in card.ordered:
        mark = "（已扣完）" if s.capped else ""
        rows.append(
            [
                s.item.id,
                s.item.title,
                num(s.item.points),
                num(s.deducted) + mark,
                num(s.score),
                s.reasons,
                brief_units(s.units),
                s.task_text,
            ]
        )
        styles.append("yellow" if s.losing else None)
    for sub in (*card.children, *card.levels):
        given = f"{num(sub.points)}（已录入 {num(sub.entered_points)}）"
        name = f"{sub.id}.{sub.title}" if sub.kind == "二级项" else f"{sub.id}、{sub.title}"
        rows.append([f"{sub.kind}小计", name, given, num(sub.deducted), num(sub.score), "", "", ""])
        styles.append("bold")
    total = card.coverage.total_points
    rows.append(
        [
            "合计",
            "已录入的三级项",
            f"{num(card.coverage.points)}（满分 {num(total)}）",
            num(card.deducted),
            num(card.score),
            "",
            "",
            "",
        ]
    )
    styles.append("bold")
    bonus = f"鼓励项：{num(card.bonus_awarded)} 分" if card.bonus else "鼓励项：未录入"
    caption = (
        f"{card.coverage.text}。截至{chinese_date(card.on)}，已录入部分得 {num(card.score)} 分"
        f"（扣 {num(card.deducted)} 分）；{bonus}"
    )
    return Listing(
        f"{card.round}得分",
        headers,
        rows,
        card.to_json,
        caption=caption,
        wrap={1: 2, 5: 3, 6: 2, 7: 2},
        row_styles=styles,
    )


_SHORT = {"第一次模拟自评": "第一次", "第二次模拟自评": "第二次", "正式自评": "正式"}


def compare_listing(first: Scorecard, second: Scorecard) -> Listing:
    a, b = first.round, second.round
    sa, sb = _SHORT.get(a, a), _SHORT.get(b, b)
    headers = ["三级项", "名称", "分值", f"{sa}扣分", f"{sa}得分", f"{sb}扣分", f"{sb}得分", "变化"]
    rows, items = [], []
    for x, y in zip(first.items, second.items, strict=True):
        change = y.score - x.score
        rows.append(
            [
                x.item.id,
                x.item.title,
                num(x.item.points),
                num(x.deducted),
                num(x.score),
                num(y.deducted),
                num(y.score),
                _signed(change),
            ]
        )
        items.append(
            {
                "id": x.item.id,
                "title": x.item.title,
                "points": x.item.points,
                "scores": [
                    {"round": a, "deducted": round(x.deducted, 2), "score": round(x.score, 2)},
                    {"round": b, "deducted": round(y.deducted, 2), "score": round(y.score, 2)},
                ],
                "change": round(change, 2),
            }
        )
    change = second.score - first.score
    rows.append(
        [
            "合计",
            "已录入的三级项",
            num(first.coverage.points),
            num(first.deducted),
            num(first.score),
            num(second.deducted),
            num(second.score),
            _signed(change),
        ]
    )

    def data() -> dict[str, Any]:
        return {
            "rounds": [a, b],
            "date": first.on,
            "coverage": first.coverage.to_json(),
            "items": items,
            "total": {
                "entered_points": round(first.coverage.points, 2),
                "scores": [
                    {
                        "round": a,
                        "deducted": round(first.deducted, 2),
                        "score": round(first.score, 2),
                    },
                    {
                        "round": b,
                        "deducted": round(second.deducted, 2),
                        "score": round(second.score, 2),
                    },
                ],
                "change": round(change, 2),
            },
        }

    return Listing(
        f"{a}与{b}对比",
        headers,
        rows,
        data,
        caption=f"{first.coverage.text}；截至{chinese_date(first.on)}",
        wrap={1: 3},
    )


def _signed(value: float) -> str:
    return "—" if abs(value) < 1e-9 else f"{'+' if value > 0 else ''}{num(value)}"


def items_listing(registry: Registry) -> Listing:
    criteria = criteria_of(registry)
    headers = ["一级项", "二级项", "三级项", "名称", "分值", "对应任务", "责任单位"]
    rows, data = [], []
    for item in (*criteria.items, *criteria.bonus):
        level, child = path_of(criteria, item)
        tasks = tasks_for(registry, item.id)
        units: list[str] = []
        for t in tasks:
            units.extend(u for u in t.units if u not in units)
        rows.append(
            [
                level,
                child,
                item.id,
                item.title,
                num(item.points),
                "、".join(str(t.id) for t in tasks) or "（无）",
                brief_units(units),
            ]
        )
        data.append(
            {
                "id": item.id,
                "title": item.title,
                "level": item.level,
                "child": item.child,
                "points": item.points,
                "content": item.content,
                "scoring_rule": item.scoring_rule,
                "tasks": [t.id for t in tasks],
                "units": units,
            }
        )
    return Listing(
        "评价细则三级项及对应任务",
        headers,
        rows,
        data,
        caption=coverage(criteria).text,
        wrap={3: 2, 6: 3},
    )


def gaps_listing(registry: Registry) -> Listing:
    """Items no task serves, and tasks that serve no item."""
    criteria = criteria_of(registry)
    lonely = [i for i in criteria.items if not tasks_for(registry, i.id)]
    unmapped = [t for t in registry.tasks if not t.criteria]
    rows = [["三级项", i.id, i.title, "没有对应的任务"] for i in lonely]
    rows += [["任务", str(t.id), t.text, "没有对应的三级项"] for t in unmapped]
    data = {
        "items_without_tasks": [{"id": i.id, "title": i.title} for i in lonely],
        "tasks_without_items": [t.id for t in unmapped],
    }
    caption = (
        f"{len(lonely)} 个三级项没有对应任务，{len(unmapped)} 项任务未对应三级项；"
        f"{coverage(criteria).text}（未录入的三级项无法对应）"
    )
    return Listing(
        "三级项与任务的对应缺口",
        ["类别", "编号", "内容", "说明"],
        rows,
        data,
        empty="每个三级项都有对应任务，每项任务都对应了三级项",
        caption=caption,
        wrap={2: 4},
    )


def problem_listing(states: list[ProblemState], title: str) -> Listing:
    headers = [
        "编号",
        "问题",
        "来源",
        "三级项",
        "任务",
        "责任单位",
        "整改时限",
        "状态",
        "时限情况",
        "督办",
    ]
    rows, styles = [], []
    for p in states:
        if p.days_overdue is not None:
            timing = f"逾期 {p.days_overdue} 天"
        elif p.days_left is not None:
            timing = f"剩余 {p.days_left} 天"
        else:
            timing = ""
        rows.append(
            [
                p.id,
                p.text,
                p.source,
                p.item or "",
                str(p.task) if p.task is not None else "",
                p.unit,
                chinese_date(p.deadline),
                p.status,
                timing,
                p.level.value if p.level else "",
            ]
        )
        styles.append(
            {"红": "bold red", "黄": "yellow", "蓝": "cyan"}.get(p.level.value) if p.level else None
        )
    return Listing(
        title,
        headers,
        rows,
        lambda: [p.to_json() for p in states],
        empty="没有符合条件的整改问题",
        caption=f"共 {len(states)} 项整改问题，其中逾期 {sum(p.overdue for p in states)} 项",
        wrap={1: 4},
        row_styles=styles,
    )
