"""自评扣分记录: the rounds, a finding as recorded, and the checks before one is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from safecity_cli.assessment.criteria import num, resolve_item
from safecity_cli.assessment.paths import FINDINGS_FILE
from safecity_cli.assessment.store import (
    EvidenceEntry,
    evidence_records,
    next_id,
    read_records,
    stage_file,
    writing,
)
from safecity_cli.dates import chinese_date
from safecity_cli.errors import UsageError
from safecity_cli.registry.models import Registry

ROUNDS = ("第一次模拟自评", "第二次模拟自评", "正式自评")
_ROUND_NAMES = {
    "第一次模拟自评": ("1", "一", "第一次", "模拟1", "第一次模拟", "第一次模拟自评"),
    "第二次模拟自评": ("2", "二", "第二次", "模拟2", "第二次模拟", "第二次模拟自评"),
    "正式自评": ("正式", "3", "三", "正式自评"),
}


def parse_round(text: str) -> str:
    """A round by its number (1, 2), 正式, or its name."""
    value = text.strip()
    for name, spellings in _ROUND_NAMES.items():
        if value in spellings:
            return name
    raise UsageError(
        f"未知的自评轮次「{text}」，可选：1（第一次模拟自评）、2（第二次模拟自评）、正式（正式自评）"
    )


@dataclass(frozen=True)
class Finding:
    id: str
    round: str
    item: str
    deduct: float  # 0 for a 鼓励项's award
    award: float
    reason: str
    unit: str | None
    date: date
    evidence: tuple[EvidenceEntry, ...]
    by: str
    recorded_at: datetime

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "round": self.round,
            "item": self.item,
            "deduct": self.deduct,
        }
        if self.award:
            data["award"] = self.award
        data |= {
            "reason": self.reason,
            "unit": self.unit,
            "date": self.date,
            "evidence": [e.model_dump(exclude_none=True) for e in self.evidence],
            "by": self.by,
        }
        return data


def load_findings(data_dir: Path) -> list[Finding]:
    return [
        Finding(
            f.id,
            f.round,
            f.item,
            f.deduct or 0.0,
            f.award or 0.0,
            f.reason,
            f.unit,
            f.date,
            tuple(f.evidence),
            f.by,
            f.recorded_at,
        )
        for f in read_records(data_dir, FINDINGS_FILE)
    ]


def current_round(findings: list[Finding]) -> str:
    """The latest round that has findings (the first before any)."""
    rounds = [ROUNDS.index(f.round) for f in findings if f.round in ROUNDS]
    return ROUNDS[max(rounds, default=0)]


@dataclass(frozen=True)
class FindingInput:
    item: str
    deduct: float | None
    award: float | None
    reason: str
    unit: str | None = None
    evidence: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    date: date | None = None
    round: str | None = None
    by: str = ""


def record_finding(
    registry: Registry,
    given: FindingInput,
    *,
    today: date,
    recorded_at: datetime,
    base: Path,
) -> Finding:
    """Check everything, then append the finding (and archive its files); nothing is written
    when any check fails."""
    from safecity_cli.registry.units import resolve_unit
    from safecity_cli.tracking.recording import ensure_writable

    ensure_writable(registry)
    item = resolve_item(registry, given.item)
    bonus = not item.level
    amount = given.award if bonus else given.deduct
    label = "加分" if bonus else "扣分"
    if bonus and given.deduct is not None:
        raise UsageError(f"{item.id} 是鼓励项，请用 --award 记录加分")
    if not bonus and given.award is not None:
        raise UsageError(f"{item.id} 是三级项，请用 --deduct 记录扣分（--award 只用于鼓励项）")
    if amount is None:
        raise UsageError(f"请用 {'--award' if bonus else '--deduct'} 给出{label}分值")
    if amount <= 0:
        raise UsageError(f"{label}分值应大于 0（给出的是 {num(amount)}）")
    if amount > item.points + 1e-9:
        raise UsageError(
            f"{label} {num(amount)} 分超过三级项 {item.id} 的分值 {num(item.points)} 分"
        )
    reason = given.reason.strip()
    if not reason:
        raise UsageError("请用 --reason 写明扣分原因（对照评分标准）")
    unit = resolve_unit(registry, given.unit).name if given.unit else None
    day = given.date or today
    if day > today:
        raise UsageError(f"自评日期{chinese_date(day)}晚于今天，不能预先记录")
    if day < registry.program.start:
        raise UsageError(
            f"自评日期{chinese_date(day)}早于创建工作起始日期{chinese_date(registry.program.start)}"
        )
    amount = int(amount) if float(amount).is_integer() else amount
    stored = [stage_file(text, base) for text in given.evidence]
    with writing(registry.path) as writer:
        existing = load_findings(registry.path)
        chosen = parse_round(given.round) if given.round else current_round(existing)
        finding_id = next_id(existing, "K")
        for s in stored:
            writer.archive(s, day, recorded_at)
        record: dict[str, Any] = {
            "id": finding_id,
            "round": chosen,
            "item": item.id,
            ("award" if bonus else "deduct"): amount,
            "reason": reason,
            "unit": unit,
            "date": day,
            "evidence": evidence_records(stored, list(given.links)),
            "by": given.by.strip(),
            "recorded_at": recorded_at.isoformat(timespec="microseconds"),
        }
        writer.append(FINDINGS_FILE, record)
    return Finding(
        finding_id,
        chosen,
        item.id,
        0.0 if bonus else amount,
        amount if bonus else 0.0,
        reason,
        unit,
        day,
        tuple(EvidenceEntry(**e) for e in record["evidence"]),
        record["by"],
        recorded_at,
    )
