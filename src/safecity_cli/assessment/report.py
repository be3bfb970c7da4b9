"""The 自评报告's rows: one per 三级项 with 评价内容, 评分标准, 扣分, 得分, 证明材料, 责任单位,
完成时限和进度 — shared by `report assessment` and `export xlsx --assessment`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from safecity_cli.assessment.criteria import Coverage, num
from safecity_cli.assessment.findings import Finding, load_findings
from safecity_cli.assessment.problems import ProblemState, load_problems, problem_states
from safecity_cli.assessment.scoring import ItemScore, Subtotal, score
from safecity_cli.assessment.store import archive_names
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import Program, Registry
from safecity_cli.render.wording import office_name

COLUMNS = (
    "一级项",
    "二级项",
    "三级项",
    "评价内容",
    "评分标准",
    "扣分",
    "得分",
    "证明材料",
    "责任单位",
    "完成时限和进度",
)


@dataclass(frozen=True)
class AssessmentRow:
    level: str
    child: str
    item: str  # (1) 城市总体规划及防灾减灾等专项规划
    content: str
    scoring_rule: str
    points: str
    deducted: str
    score: str
    reasons: str
    evidence: str
    units: str
    progress: str

    @property
    def cells(self) -> list[str]:
        return [
            self.level,
            self.child,
            self.item,
            self.content,
            self.scoring_rule,
            self.deducted,
            self.score,
            self.evidence,
            self.units,
            self.progress,
        ]


@dataclass(frozen=True)
class AssessmentReport:
    program: Program
    office: str
    round: str
    on: date
    coverage: Coverage
    rows: list[AssessmentRow]
    children: list[Subtotal]
    levels: list[Subtotal]
    deducted: str
    score: str
    bonus: str
    losing: list[AssessmentRow]
    problems: list[ProblemState]
    columns: tuple[str, ...] = COLUMNS


def _evidence(
    s: ItemScore,
    ledger: Ledger,
    problems: list[ProblemState],
    on: date,
    names_of: dict[str, str],
) -> str:
    names: list[str] = []

    def add(name: str | None) -> None:
        if name and name not in names:
            names.append(name)

    for f in s.findings:
        for ev in f.evidence:
            add(ev.name or ev.ref)
    for p in problems:
        if p.item == s.item.id:
            for e in p.entries:
                for ev in e.evidence:
                    add(ev.name or ev.ref)
    for state in s.tasks:
        for entry in ledger.for_task(state.task.id):
            if entry.date <= on:
                for recorded in entry.evidence:
                    ref = recorded.ref
                    add(ref if "://" in ref else names_of.get(ref, PurePath(ref).name))
    return "；".join(names)


def _row(
    s: ItemScore,
    ledger: Ledger,
    problems: list[ProblemState],
    on: date,
    names_of: dict[str, str],
) -> AssessmentRow:
    progress = "；".join(
        f"任务{t.task.id}：{t.task.deadline.raw}，{t.status.value}"
        + (f"，逾期 {t.days_overdue} 天" if t.days_overdue is not None else "")
        for t in s.tasks
    )
    return AssessmentRow(
        s.level,
        s.child,
        f"{s.item.id}{s.item.title}（{num(s.item.points)} 分）",
        s.item.content,
        s.item.scoring_rule or "（评分标准原文尚未录入）",
        num(s.item.points),
        num(s.deducted),
        num(s.score),
        s.reasons,
        _evidence(s, ledger, problems, on, names_of),
        "、".join(s.units),
        progress or "（无对应任务）",
    )


def build_assessment(
    registry: Registry,
    ledger: Ledger,
    round_name: str,
    on: date,
    findings: list[Finding] | None = None,
) -> AssessmentReport:
    found = load_findings(registry.path) if findings is None else findings
    card = score(registry, ledger, found, round_name, on)
    problems = problem_states(registry, load_problems(registry.path), on)
    ledger = ledger.as_of(on)
    names_of = archive_names(registry.path)
    rows = [_row(s, ledger, problems, on, names_of) for s in card.items]
    by_id = dict(zip((s.item.id for s in card.items), rows, strict=True))
    return AssessmentReport(
        program=registry.program,
        office=office_name(registry.program),
        round=round_name,
        on=on,
        coverage=card.coverage,
        rows=rows,
        children=list(card.children),
        levels=list(card.levels),
        deducted=num(card.deducted),
        score=num(card.score),
        bonus=(f"{num(card.bonus_awarded)} 分" if card.bonus else "鼓励项尚未录入"),
        losing=[by_id[s.item.id] for s in card.ordered if s.losing],
        problems=problems,
    )
