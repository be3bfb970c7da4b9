"""Pydantic model of DATA/notices/notices.yaml as written."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from safecity_cli.registry.schema import PositiveId, Strict, Text


class NoticeEntry(Strict):
    id: str = Field(pattern=r"^督办〔\d{4}〕\d+号$")
    date: dt.date
    reply_by: dt.date
    unit: Text
    tasks: list[PositiveId] = Field(default_factory=list)
    recorded_at: dt.datetime

    @model_validator(mode="after")
    def _consistent(self) -> NoticeEntry:
        if self.reply_by < self.date:
            raise ValueError("reply_by（回复期限）不能早于 date")
        return self


class ReplyEntry(Strict):
    notice: Text
    unit: Text
    date: dt.date
    note: str = ""
    by: str = ""
    recorded_at: dt.datetime  # as recorded (safecity writes the district's zone, +08:00)


class NoticesFile(Strict):
    notices: list[NoticeEntry] = Field(default_factory=list)
    replies: list[ReplyEntry] = Field(default_factory=list)
