"""Pydantic models of the registry files as written: what each YAML file may hold."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PositiveId = Annotated[int, Field(ge=1, le=999_999_999, strict=True)]


class _Strict(BaseModel):
    # Frozen, and unknown keys are errors: a typo in a key must not be silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")


class CategoryEntry(_Strict):
    id: PositiveId
    numeral: Text
    title: Text


class AppliesToAllEntry(_Strict):
    units: list[Text] = []
    note: str = ""


class TaskEntry(_Strict):
    id: PositiveId
    category: PositiveId
    text: Text
    units: list[Text] = Field(min_length=1)
    open_ended: Text | None = None
    deadline: Text


class TasksFile(_Strict):
    categories: list[CategoryEntry] = Field(min_length=1)
    applies_to_all: AppliesToAllEntry = AppliesToAllEntry()
    tasks: list[TaskEntry]


class TaskPartFile(_Strict):
    """tasks/*.yaml: more tasks, for registries large enough to split."""

    tasks: list[TaskEntry]


class UnitEntry(_Strict):
    name: Text
    kind: Text
    aliases: list[Text] = []
    members: list[Text] | None = None
    contact: str | None = None
    phone: str | None = None


class UnitsFile(_Strict):
    kinds: list[Text] = Field(min_length=1)
    units: list[UnitEntry]


class EscalationEntry(_Strict):
    blue_within_days: Annotated[int, Field(ge=0)] = 14
    red_after_days: Annotated[int, Field(ge=0)] = 30
    idle_window_share: Annotated[float, Field(gt=0, le=1)] = 0.5


class ProgramEntry(_Strict):
    name: Text
    short_name: Text | None = None
    document: str = ""
    issuer: str = ""
    start: date
    final_deadline: date
    escalation: EscalationEntry = EscalationEntry()


class PhaseEntry(_Strict):
    id: PositiveId
    name: Text
    period: Text
    summary: str = ""


class ItemEntry(_Strict):
    id: PositiveId
    text: Text
    units: list[Text] = Field(min_length=1)
    deadline: Text


class MainTaskEntry(_Strict):
    id: PositiveId
    title: Text
    text: str = ""


class MainTaskGroupEntry(_Strict):
    numeral: Text
    heading: Text
    tasks: list[MainTaskEntry]


class ScheduleFile(_Strict):
    program: ProgramEntry
    phases: list[PhaseEntry] = []
    items: list[ItemEntry] = []
    main_tasks: list[MainTaskGroupEntry] = []


class EvidenceEntry(_Strict):
    ref: Text
    size: int | None = None
    sha256: str | None = None


class ProgressEntry(_Strict):
    task: PositiveId
    unit: Text | None
    status: Literal["未启动", "推进中", "已完成", "已销号", "延期", "暂缓"]
    date: dt.date
    new_deadline: dt.date | None = None
    note: str = ""
    evidence: list[EvidenceEntry] = []
    by: str = ""
    recorded_at: datetime

    @field_validator("recorded_at")
    @classmethod
    def _local_time(cls, value: datetime) -> datetime:
        # safecity writes local time without a zone; one typed with a zone is made alike,
        # so that entries stay comparable.
        return value.astimezone().replace(tzinfo=None) if value.tzinfo else value

    @model_validator(mode="after")
    def _consistent(self) -> ProgressEntry:
        if self.new_deadline is not None and self.status != "延期":
            raise ValueError("只有状态为「延期」的记录才能有 new_deadline")
        if self.new_deadline is not None and self.new_deadline <= self.date:
            raise ValueError("new_deadline（调整后的完成时限）应晚于 date")
        if self.status == "延期" and self.new_deadline is None:
            raise ValueError("状态为「延期」的记录必须有 new_deadline")
        if self.unit is None and self.status != "已销号":
            raise ValueError("没有 unit 的记录只能是创建办的「已销号」")
        return self


class ProgressFile(_Strict):
    entries: list[ProgressEntry] = []
