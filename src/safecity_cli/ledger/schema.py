"""Pydantic model of a progress file as written: what DATA/progress/*.yaml may hold."""

from __future__ import annotations

import datetime as dt
import re
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from safecity_cli.dates import DISTRICT_ZONE, FIRST_YEAR, LAST_YEAR, in_district
from safecity_cli.ledger.entries import ID_LENGTH, Kind, Status
from safecity_cli.registry.schema import Strict, Text


class EvidenceEntry(Strict):
    ref: Text
    size: int | None = None
    sha256: str | None = None


_ID = re.compile(f"[0-9a-f]{{{ID_LENGTH}}}")


class ProgressEntry(Strict):
    id: str | None = None  # entries written before ids had none: theirs is derived
    task: int | str  # a task by its number; a 日程 item as S1, S2, …
    unit: Text | None
    status: Status
    kind: Kind | None = None  # 延期申请, 批准, 驳回, 撤销; a unit's report has none
    ref: str | None = None  # the id of the entry a 批准/驳回/撤销 is about
    date: dt.date
    new_deadline: dt.date | None = None
    note: str = ""
    evidence: list[EvidenceEntry] = Field(default_factory=list)
    by: str = ""
    recorded_at: datetime

    @field_validator("id", "ref")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is not None and not _ID.fullmatch(value):
            raise ValueError(
                f"记录编号应为 {ID_LENGTH} 位十六进制数字（0–9、a–f），「{value}」不是"
            )
        return value

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
    def _instant(cls, value: datetime) -> datetime:
        # Older files wrote district time without an offset. Every moment must also be one
        # that can be compared with others: 0001-01-01T00:00:00+14:00 is before year 1 in UTC.
        value = in_district(value)
        try:
            year = value.astimezone(DISTRICT_ZONE).year
        except OverflowError:
            year = 0
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(
                f"记录时间「{value.isoformat()}」超出范围（应在 {FIRST_YEAR}–{LAST_YEAR} 年之间）"
            )
        return value

    @field_validator("date", "new_deadline")
    @classmethod
    def _plausible(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(
                f"日期 {value.isoformat()} 超出范围（应在 {FIRST_YEAR}–{LAST_YEAR} 年之间）"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ProgressEntry:
        kind = self.kind or Kind.REPORT
        if kind.control != (self.ref is not None):
            raise ValueError(
                "ref（所针对记录的编号）只能且必须出现在「批准」「驳回」「撤销」记录中"
            )
        deferral = kind in (Kind.REQUEST, Kind.APPROVE, Kind.REJECT)
        if deferral and (self.status is not Status.DEFERRED or self.unit is None):
            raise ValueError(f"「{kind.value}」记录的状态应为「延期」并有 unit")
        if kind.control:  # copies what the entry it is about says; its dates need not follow
            return self
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

    @field_validator("entries", mode="before")
    @classmethod
    def _none_yet(cls, value: Any) -> Any:
        return [] if value is None else value  # `entries:` with nothing under it yet
