"""The score board and the notices as listings (table, JSON, CSV, Markdown) and a workbook."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from safecity_cli.dates import chinese_date
from safecity_cli.registry.models import Registry
from safecity_cli.render.formats import Listing
from safecity_cli.scoring.compute import RULE_LABELS, RuleScore, ScoreBoard, UnitScore
from safecity_cli.scoring.notices import NoticeBook, NoticeState, parties, state_of

EXAMPLE_NOTE = "所用考核细则为示例（scoring.yaml 中 example: true），分值未经正式文件确定"


def number(value: float) -> str:
    """12.0 -> 12, 3.70 -> 3.7: points as people write them."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def signed(value: float) -> str:
    return "0" if value == 0 else f"{value:+.2f}".rstrip("0").rstrip(".")


def rule_cell(r: RuleScore) -> str:
    if not r.count:
        return ""
    cap = "（封顶）" if r.capped else ""
    return f"{number(r.count)} {r.measure} {signed(r.points)}{cap}"


def caption(board: ScoreBoard) -> str:
    s = board.scoring
    text = f"统计期间 {board.period.label}；基础分 {number(s.base)} 分"
    if s.document:
        text = f"{s.document}；{text}"
    if s.example:
        text += f"。{EXAMPLE_NOTE}"
    return text


def score_json(board: ScoreBoard, rows: list[UnitScore] | None = None) -> dict[str, Any]:
    s = board.scoring
    return {
        "document": s.document,
        "example": s.example,
        "base": s.base,
        "from": board.period.first,
        "to": board.period.last,
        "rules": [
            {"rule": r.name, "label": RULE_LABELS[r.name], "points": r.points, "cap": r.cap}
            for r in s.rules
        ],
        "units": [unit_score_json(u) for u in (board.rows if rows is None else rows)],
    }


def unit_score_json(u: UnitScore) -> dict[str, Any]:
    return {
        "rank": u.rank,
        "unit": u.unit,
        "kind": u.kind,
        "groups": list(u.groups),
        "tasks": u.tasks,
        "score": u.score,
        "breakdown": [
            {
                "rule": r.rule,
                "label": r.label,
                "count": r.count,
                "points": r.points,
                "capped": r.capped,
            }
            for r in u.rules
        ],
    }


def score_headers(board: ScoreBoard) -> list[str]:
    return [
        "名次",
        "单位",
        "类型",
        "承担任务",
        *(RULE_LABELS[r.name] for r in board.scoring.rules),
        "得分",
    ]


def score_listing(
    board: ScoreBoard, rows: list[UnitScore] | None = None, *, compact: bool = False
) -> Listing:
    """One column per rule; `compact` (the terminal table) puts the breakdown in one column."""
    chosen = list(board.rows if rows is None else rows)
    headers = score_headers(board)
    table = [
        [
            str(u.rank),
            u.unit,
            u.kind,
            str(u.tasks),
            *(rule_cell(r) for r in u.rules),
            number(u.score),
        ]
        for u in chosen
    ]
    wrap: dict[int, int] = {}
    if compact:
        headers = ["名次", "单位", "承担任务", "得分", "加减分明细"]
        table = [
            [
                str(u.rank),
                u.unit,
                str(u.tasks),
                number(u.score),
                "；".join(f"{r.label} {rule_cell(r)}" for r in u.rules if r.count) or "—",
            ]
            for u in chosen
        ]
        wrap = {4: 1}
    return Listing(
        "考核得分",
        headers,
        table,
        score_json(board, chosen),
        empty="没有需要考核的单位",
        caption=caption(board),
        wrap=wrap,
        csv_rows=None
        if compact
        else [
            [
                str(u.rank),
                u.unit,
                u.kind,
                str(u.tasks),
                *(number(r.points) for r in u.rules),
                number(u.score),
            ]
            for u in chosen
        ],
    )


def score_workbook(board: ScoreBoard, rows: list[UnitScore], created: datetime | None) -> bytes:
    """The score board as one sheet: points per rule as numbers, the counts beside them."""
    from safecity_cli.exchange.xlsx_style import (
        Column,
        new_workbook,
        workbook_bytes,
        write_table,
        write_title,
    )

    workbook = new_workbook("考核得分", created)
    ws = workbook.create_sheet("考核得分")
    columns = [
        Column("名次", 6, center=True),
        Column("单位", 22),
        Column("类型", 12),
        Column("承担任务", 8, center=True),
    ]
    for rule in board.scoring.rules:
        label = RULE_LABELS[rule.name]
        columns += [
            Column(f"{label}（次数）", 10, center=True),
            Column(f"{label}（分）", 10, center=True),
        ]
    columns.append(Column("得分", 8, center=True))
    data = []
    for u in rows:
        cells: list[Any] = [u.rank, u.unit, u.kind, u.tasks]
        for r in u.rules:
            cells += [r.count, r.points]
        cells.append(u.score)
        data.append(cells)
    write_title(ws, 1, f"考核得分（{board.period.label}）", len(columns))
    write_title(ws, 2, caption(board), len(columns), size=11)
    write_table(ws, columns, data, header_row=3)
    return workbook_bytes(workbook)


# -- notices ---------------------------------------------------------------------------------


def notice_rows(
    registry: Registry, book: NoticeBook, on: date, *, open_only: bool, unit: str | None
) -> list[dict[str, Any]]:
    from safecity_cli.scoring.notices import answered_by

    rows = []
    for n in book.notices:
        if n.date > on:
            continue
        who = parties(registry, n)
        if unit is not None and unit != n.unit and unit not in who:
            continue
        state = state_of(registry, book, n, on)
        if open_only and state is NoticeState.ANSWERED:
            continue
        replies = book.replies_to(n, on)
        waiting = [p for p in who if answered_by(registry, book, n, p, on) is None]
        rows.append(
            {
                "id": n.id,
                "date": n.date,
                "reply_by": n.reply_by,
                "unit": n.unit,
                "members": len(who) if len(who) > 1 or who != (n.unit,) else 0,
                "tasks": list(n.tasks),
                "state": state.value,
                "days_late": (on - n.reply_by).days if state is NoticeState.LATE else None,
                "waiting": waiting if state is not NoticeState.ANSWERED else [],
                "replies": [
                    {
                        "unit": r.unit,
                        "date": r.date,
                        "note": r.note,
                        "by": r.by,
                        "late": r.date > n.reply_by,
                    }
                    for r in replies
                ],
            }
        )
    return rows


def notices_listing(rows: list[dict[str, Any]], on: date) -> Listing:
    headers = ["编号", "日期", "单位", "任务", "回复期限", "状态", "回复"]
    table, csv_rows = [], []
    for r in rows:
        state = r["state"]
        if r["days_late"]:
            state += f"（已过 {r['days_late']} 天）"
        if r["state"] != NoticeState.ANSWERED.value and r["members"]:
            state += f"（{len(r['waiting'])}/{r['members']} 个单位未回复）"
        replied = "；".join(
            f"{x['unit']} {chinese_date(x['date'])}{'（逾期）' if x['late'] else ''}：{x['note']}"
            for x in r["replies"]
        )
        tasks = "、".join(str(t) for t in r["tasks"])
        table.append(
            [
                r["id"],
                chinese_date(r["date"]),
                r["unit"],
                tasks,
                chinese_date(r["reply_by"]),
                state,
                replied,
            ]
        )
        csv_rows.append(
            [
                r["id"],
                r["date"].isoformat(),
                r["unit"],
                tasks,
                r["reply_by"].isoformat(),
                state,
                replied,
            ]
        )
    late = sum(r["state"] == NoticeState.LATE.value for r in rows)
    pending = sum(r["state"] == NoticeState.PENDING.value for r in rows)
    return Listing(
        "督办通知单",
        headers,
        table,
        rows,
        empty="没有符合条件的督办通知单",
        caption=f"共 {len(rows)} 份（截至{chinese_date(on)}），待回复 {pending} 份，逾期未回复 {late} 份",
        wrap={6: 1},
        csv_rows=csv_rows,
    )
