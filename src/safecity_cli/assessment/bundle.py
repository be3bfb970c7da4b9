"""The 复核 bundle: every evidence file, a folder per 一级项 / 三级项 (per task for tasks that
serve no item), and an index (目录) as Markdown, xlsx and JSON."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from safecity_cli.assessment.criteria import path_of
from safecity_cli.assessment.findings import load_findings
from safecity_cli.assessment.paths import EVIDENCE_DIR, MANIFEST_FILE
from safecity_cli.assessment.problems import load_problems
from safecity_cli.assessment.store import archive_names, read_records
from safecity_cli.files import safe_name
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.models import CriteriaItem, Registry, Unit
from safecity_cli.registry.units import expand

INDEX_NAME = "目录"
NO_ITEM_DIR = "未对应三级项的任务"
OTHER_DIR = "其他材料"


@dataclass(frozen=True)
class BundleFile:
    path: str  # inside the zip
    name: str  # the original file name
    level: str  # 一、城市安全源头治理
    item: str  # (1) 城市总体规划…
    task: int | None
    unit: str
    day: date
    sha256: str
    source: str  # 扣分记录 K1, 整改问题 Z1, 进展记录
    data: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "name": self.name,
            "level": self.level,
            "item": self.item,
            "task": self.task,
            "unit": self.unit,
            "date": self.day,
            "sha256": self.sha256,
            "source": self.source,
        }


@dataclass(frozen=True)
class Bundle:
    files: list[BundleFile]
    missing: list[str]  # files a record names that are gone or changed: left out, told

    def zip_bytes(self, title: str) -> bytes:
        from safecity_cli.assessment.workbook import build_index_workbook
        from safecity_cli.exchange.xlsx_style import workbook_bytes
        from safecity_cli.render.formats import render_json, render_markdown

        headers = [
            "序号",
            "文件",
            "原文件名",
            "一级项",
            "三级项",
            "任务",
            "责任单位",
            "日期",
            "SHA-256",
            "来源",
        ]
        rows = [
            [n, f.path, f.name, f.level, f.item, f.task or "", f.unit, f.day, f.sha256, f.source]
            for n, f in enumerate(self.files, 1)
        ]
        md_rows = [[str(c) if not isinstance(c, date) else c.isoformat() for c in r] for r in rows]
        markdown = f"# {title}\n\n" + render_markdown(headers, md_rows)
        markdown += f"\n共 {len(self.files)} 份材料。\n"
        index_json = render_json({"title": title, "files": [f.to_json() for f in self.files]})
        book = workbook_bytes(build_index_workbook(title, rows))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for f in self.files:
                archive.writestr(_info(f.path, f.day), f.data)
            stamp = max((f.day for f in self.files), default=date(1980, 1, 1))
            archive.writestr(_info(f"{INDEX_NAME}.md", stamp), markdown.encode("utf-8"))
            archive.writestr(_info(f"{INDEX_NAME}.xlsx", stamp), book)
            archive.writestr(_info(f"{INDEX_NAME}.json", stamp), index_json.encode("utf-8"))
        return buffer.getvalue()


def _info(name: str, day: date) -> zipfile.ZipInfo:
    """Fixed timestamps: the same records always give the same zip."""
    info = zipfile.ZipInfo(name, date_time=(max(day.year, 1980), day.month, day.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build_bundle(
    registry: Registry,
    ledger: Ledger,
    *,
    unit: Unit | None = None,
    item: CriteriaItem | None = None,
    task: int | None = None,
) -> Bundle:
    criteria = registry.criteria
    archive = registry.path / EVIDENCE_DIR
    by_hash = {m.sha256: m.file for m in read_records(registry.path, MANIFEST_FILE)}
    names_of = archive_names(registry.path)
    names = set(expand(registry, unit)) | {unit.name} if unit is not None else None
    files: list[BundleFile] = []
    missing: list[str] = []
    used: set[str] = set()

    def folder(item_id: str | None, task_id: int | None) -> tuple[str, str, str]:
        found = criteria.item(item_id) if criteria is not None and item_id else None
        if found is not None:
            level, _ = path_of(criteria, found) if criteria is not None else ("", "")
            label = f"{found.id}{found.title}"
            return f"{safe_name(level)}/{safe_name(label)}", level, label
        if task_id is not None:
            return f"{NO_ITEM_DIR}/任务{task_id}", "", ""
        return OTHER_DIR, "", ""

    def add(
        data: bytes | None,
        name: str,
        item_id: str | None,
        task_id: int | None,
        who: str | None,
        day: date,
        source: str,
        shown: str,
        expected: str | None,
    ) -> None:
        if data is None:
            missing.append(f"{source}的材料 {shown} 已不存在")
            return
        digest = hashlib.sha256(data).hexdigest()
        if expected is not None and digest != expected:
            missing.append(f"{source}的材料 {shown} 内容已变化（SHA-256 与记录不符）")
            return
        place, level, label = folder(item_id, task_id)
        path = f"{place}/{safe_name(name)}"
        if path in used:
            stem, suffix = PurePosixPath(path).stem, PurePosixPath(path).suffix
            path = f"{place}/{stem}_{digest[:8]}{suffix}"
        if path in used:  # the same file for the same place: listed once
            return
        used.add(path)
        files.append(
            BundleFile(path, name, level, label, task_id, who or "", day, digest, source, data)
        )

    def wanted(item_id: str | None, task_id: int | None, who: str | None) -> bool:
        if names is not None and who not in names:
            return False
        if item is not None and item_id != item.id:
            return False
        return task is None or task_id == task

    def archived(sha: str | None) -> bytes | None:
        stored = by_hash.get(sha or "")
        path = archive / stored if stored else None
        return path.read_bytes() if path is not None and path.is_file() else None

    for f in load_findings(registry.path):
        if wanted(f.item, None, f.unit):
            for ev in f.evidence:
                if ev.sha256:
                    add(
                        archived(ev.sha256),
                        ev.name or ev.sha256,
                        f.item,
                        None,
                        f.unit,
                        f.date,
                        f"扣分记录 {f.id}",
                        ev.name or "",
                        ev.sha256,
                    )
    registered = {p.id: p for p in load_problems(registry.path) if p.action == "登记"}
    for p in load_problems(registry.path):
        first = registered.get(p.id)
        if first is None:
            continue
        if wanted(first.item, first.task, first.unit):
            for ev in p.evidence:
                if ev.sha256:
                    add(
                        archived(ev.sha256),
                        ev.name or ev.sha256,
                        first.item,
                        first.task,
                        first.unit,
                        p.date,
                        f"整改问题 {p.id}",
                        ev.name or "",
                        ev.sha256,
                    )
    for t in registry.tasks:
        items = t.criteria or (None,)
        for entry in ledger.for_task(t.id):
            for recorded in entry.evidence:
                if recorded.sha256 is None:
                    continue
                path = (
                    Path(recorded.ref)
                    if Path(recorded.ref).is_absolute()
                    else registry.path / recorded.ref
                )
                data = path.read_bytes() if path.is_file() else None
                for item_id in items:
                    if wanted(item_id, t.id, entry.unit):
                        add(
                            data,
                            names_of.get(recorded.ref, path.name),
                            item_id,
                            t.id,
                            entry.unit,
                            entry.date,
                            "进展记录",
                            recorded.ref,
                            recorded.sha256,
                        )
    return Bundle(files, missing)
