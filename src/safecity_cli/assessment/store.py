"""The assessment's append-only files: DATA/assessment/*.yaml and the evidence archive.

Every write happens under the ledger's lock; a new record is appended to the file's
bytes (earlier records are never rewritten) and the file replaced atomically."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from safecity_cli.assessment.paths import (
    ASSESSMENT_DIR,
    EVIDENCE_DIR,
    FINDINGS_FILE,
    MANIFEST_FILE,
    PROBLEMS_FILE,
    file_path,
)
from safecity_cli.errors import LedgerError, RegistryError, SafecityError
from safecity_cli.registry.schema import Strict, Text

__all__ = ["ASSESSMENT_DIR", "EVIDENCE_DIR", "FINDINGS_FILE", "MANIFEST_FILE", "PROBLEMS_FILE"]

_HEADERS = {
    FINDINGS_FILE: "# 自评扣分记录。由 safecity assess record 追加写入；更正请追加新记录，不要修改已有条目。\n",
    PROBLEMS_FILE: "# 整改问题及其进展。由 safecity problem 追加写入；不要修改已有条目。\n",
    MANIFEST_FILE: "# 佐证材料档案：文件按 SHA-256 存放，此处记下原文件名。由 safecity 追加写入。\n",
}
_KEYS = {FINDINGS_FILE: "findings", PROBLEMS_FILE: "problems", MANIFEST_FILE: "files"}


# -- the files as written ------------------------------------------------------------------------


class EvidenceEntry(Strict):
    """An archived file (name, sha256, size) or a link recorded as given (ref)."""

    name: str | None = None
    sha256: Annotated[str, Field(pattern="^[0-9a-f]{64}$")] | None = None
    size: int | None = None
    ref: str | None = None


class FindingEntry(Strict):
    id: Text
    round: Text
    item: Text
    deduct: Annotated[float, Field(gt=0)] | None = None
    award: Annotated[float, Field(gt=0)] | None = None
    reason: Text
    unit: str | None = None
    date: date
    evidence: list[EvidenceEntry] = Field(default_factory=list)
    by: str = ""
    recorded_at: datetime


Day = date  # a field named `date` hides the type inside a model


class ProblemEntry(Strict):
    id: Text
    action: Literal["登记", "进展", "销号"]
    date: Day
    text: str = ""
    unit: str | None = None
    deadline: Day | None = None
    source: str = ""
    item: str | None = None
    task: int | None = None
    status: str | None = None
    new_deadline: Day | None = None
    note: str = ""
    evidence: list[EvidenceEntry] = Field(default_factory=list)
    by: str = ""
    recorded_at: datetime


class ManifestEntry(Strict):
    sha256: Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
    name: Text
    size: int
    file: Text  # inside evidence/
    added: date
    recorded_at: datetime


class FindingsFile(Strict):
    findings: list[FindingEntry] = Field(default_factory=list)


class ProblemsFile(Strict):
    problems: list[ProblemEntry] = Field(default_factory=list)


class ManifestFile(Strict):
    files: list[ManifestEntry] = Field(default_factory=list)


_MODELS: dict[str, Any] = {
    FINDINGS_FILE: FindingsFile,
    PROBLEMS_FILE: ProblemsFile,
    MANIFEST_FILE: ManifestFile,
}


def read_records(data_dir: Path, name: str) -> list[Any]:
    """The records of one file, validated; RegistryError with file and line when broken."""
    from safecity_cli.registry.schema import validation_problems
    from safecity_cli.registry.yaml_files import YamlProblem, load_yaml

    path = file_path(data_dir, name)
    if not path.is_file():
        return []
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        if exc.problem.message == "文件为空":
            return []
        raise RegistryError([exc.problem]) from None
    try:
        parsed = _MODELS[name].model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(validation_problems(path, raw, exc)) from None
    records: list[Any] = getattr(parsed, _KEYS[name])
    return records


def _text_with(path: Path, name: str, new: list[dict[str, Any]]) -> str:
    """The file's text with `new` records appended after its existing bytes."""
    from safecity_cli.registry.yaml_files import YamlProblem, dump_yaml, parse_yaml

    key = _KEYS[name]
    chunk = dump_yaml(new)
    if not path.is_file() or not path.read_text(encoding="utf-8").strip():
        return _HEADERS[name] + f"{key}:\n" + chunk
    old = path.read_text(encoding="utf-8")
    text = old + ("" if old.endswith("\n") else "\n") + chunk
    before = len(read_records(path.parent.parent, name))
    try:
        parsed = parse_yaml(text, path)
        appended = isinstance(parsed, dict) and len(parsed.get(key) or []) == before + len(new)
    except YamlProblem:
        appended = False
    if not appended:  # e.g. `findings: []` written by hand: appending would rewrite it
        raise LedgerError(
            f"{path} 的 {key} 不是以「- 」开头的列表写在文件末尾，无法只在末尾追加；"
            "请改回 safecity 写入的格式后重试，未做任何改动"
        )
    return text


# -- writing -------------------------------------------------------------------------------------


@contextmanager
def writing(data_dir: Path) -> Iterator[Writer]:
    """Collect new records and archived files, then write them all at once under the lock."""
    from safecity_cli.files import write_all_atomic
    from safecity_cli.ledger.files import locked

    with locked(data_dir):
        writer = Writer(data_dir)
        yield writer
        contents: dict[Path, str | bytes] = dict(writer.files)
        for name, records in writer.records.items():
            if records:
                path = file_path(data_dir, name)
                contents[path] = _text_with(path, name, records)
        for path in contents:
            path.parent.mkdir(parents=True, exist_ok=True)
        if contents:
            write_all_atomic(contents)


@dataclass(frozen=True)
class Stored:
    """A file ready for the archive: its name, hash and bytes."""

    name: str
    sha256: str
    size: int
    data: bytes

    @property
    def archive_name(self) -> str:
        return self.sha256 + Path(self.name).suffix.lower()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


class Writer:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[Path, bytes] = {}

    def append(self, name: str, record: dict[str, Any]) -> None:
        self.records.setdefault(name, []).append(record)

    def archive(self, stored: Stored, on: date, recorded_at: datetime) -> None:
        """Put a file into evidence/ (once per content) and name it in the manifest."""
        target = self.data_dir / EVIDENCE_DIR / stored.archive_name
        if not target.is_file() or _sha256(target.read_bytes()) != stored.sha256:
            self.files[target] = stored.data
        listed = read_records(self.data_dir, MANIFEST_FILE)
        pending = self.records.get(MANIFEST_FILE, [])
        known = {(m.sha256, m.name) for m in listed} | {(m["sha256"], m["name"]) for m in pending}
        if (stored.sha256, stored.name) not in known:
            self.append(
                MANIFEST_FILE,
                {
                    "sha256": stored.sha256,
                    "name": stored.name,
                    "size": stored.size,
                    "file": stored.archive_name,
                    "added": on,
                    "recorded_at": recorded_at.isoformat(timespec="microseconds"),
                },
            )


def archive_names(data_dir: Path) -> dict[str, str]:
    """Original file names by the archived copy's path in the registry (evidence/<sha>.pdf)."""
    return {f"{EVIDENCE_DIR}/{m.file}": m.name for m in read_records(data_dir, MANIFEST_FILE)}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stage_file(text: str, base: Path) -> Stored:
    """A local file to archive; a missing file or a directory is refused in Chinese."""
    path = (base / text).expanduser()
    if path.is_dir():
        raise LedgerError(f"佐证材料「{text}」是一个目录，请给出文件（多个文件请重复 --evidence）")
    if not path.is_file():
        raise LedgerError(f"佐证材料文件不存在：{text}")
    data = path.read_bytes()
    return Stored(path.name, _sha256(data), len(data), data)


def evidence_records(stored: list[Stored], links: list[str]) -> list[dict[str, Any]]:
    return [s.to_json() for s in stored] + [{"ref": link} for link in links]


def next_id(records: list[Any], prefix: str) -> str:
    numbers = [int(r.id[len(prefix) :]) for r in records if r.id[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


# -- checking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveProblem:
    file: str
    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}（{self.name}）：{self.message}"


def check_archive(data_dir: Path) -> tuple[int, list[ArchiveProblem]]:
    """Every file the manifest lists, and every archived file a record names: present and
    unchanged. Returns how many files were checked and what is wrong."""
    folder = data_dir / EVIDENCE_DIR
    listed = read_records(data_dir, MANIFEST_FILE)
    problems: list[ArchiveProblem] = []
    checked: dict[str, str | None] = {}
    for entry in listed:
        shown = f"{EVIDENCE_DIR}/{entry.file}"
        if entry.file in checked:
            continue
        path = folder / entry.file
        if not path.is_file():
            checked[entry.file] = "文件已不存在"
        elif _sha256(path.read_bytes()) != entry.sha256:
            checked[entry.file] = "文件内容已变化（SHA-256 与档案记录不符）"
        else:
            checked[entry.file] = None
        if checked[entry.file]:
            problems.append(ArchiveProblem(shown, entry.name, str(checked[entry.file])))
    hashes = {m.sha256 for m in listed}
    for name in (FINDINGS_FILE, PROBLEMS_FILE):
        for record in read_records(data_dir, name):
            for ev in record.evidence:
                if ev.sha256 is not None and ev.sha256 not in hashes:
                    problems.append(
                        ArchiveProblem(
                            f"{ASSESSMENT_DIR}/{name}",
                            ev.name or ev.sha256,
                            f"{record.id} 引用的材料不在档案清单（{EVIDENCE_DIR}/{MANIFEST_FILE}）中",
                        )
                    )
    return len(checked), problems


class ArchiveError(SafecityError):
    """Evidence files missing or changed; one line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(f"佐证材料有 {len(lines)} 处问题")
        self.problems = lines

    def lines(self) -> list[str]:
        return [*self.problems, f"错误：{self.message}"]
