"""Pydantic model of a progress file as written: what DATA/progress/*.yaml may hold."""

from __future__ import annotations

import datetime as dt
import re
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from safecity_cli.ledger.entries import Status
from safecity_cli.registry.schema import Strict, Text


class EvidenceEntry(Strict):
    ref: Text
    size: int | None = None
    sha256: str | None = None


class ProgressEntry(Strict):
    task: int | str  # a task by its number; a 日程 item as S1, S2, …
    unit: Text | None
    status: Status
    date: dt.date
    new_deadline: dt.date | None = None
    note: str = ""
    evidence: list[EvidenceEntry] = Field(default_factory=list)
    by: str = ""
    recorded_at: datetime

    @field_validator("task", mode="plain")
    @classmethod
    def _target(cls, value: Any) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 999_999_999:
            return value
        if isinstance(value, str) and re.fullmatch(r"S[1-9][0-9]{0,8}", value):
            return value
        raise ValueError("应为任务序号（正整数）或日程序号（如 S12）")

    @field_validator("recorded_at")
    @classmethod
    def _local_time(cls, value: datetime) -> datetime:
        # safecity writes local time without a zone; one typed with a zone is made alike,
        # so that entries stay comparable.
        return value.astimezone().replace(tzinfo=None) if value.tzinfo else value

    @model_validator(mode="after")
    def _consistent(self) -> ProgressEntry:
        if self.new_deadline is not None and self.status is not Status.DEFERRED:
            raise ValueError("只有状态为「延期」的记录才能有 new_deadline")
        if self.new_deadline is not None and self.new_deadline <= self.date:
            raise ValueError("new_deadline（调整后的完成时限）应晚于 date")
        if self.status is Status.DEFERRED and self.new_deadline is None:
            raise ValueError("状态为「延期」的记录必须有 new_deadline")
        if self.unit is None and self.status is not Status.CLOSED:
            raise ValueError("没有 unit 的记录只能是创建办的「已销号」")
        return self


class ProgressFile(Strict):
    entries: list[ProgressEntry] = Field(default_factory=list)
