"""Three-way merge of progress files (progress/<unit>.yaml), the work of the git merge driver."""

# How a progress file is read
# ---------------------------
# The file is split into lines (on "\n" only). Everything before the first line that starts an
# entry ("- " or "-" alone at column 0) is the header: comments, blank lines and the one
# "entries:" (or "entries: []") line. Each entry block runs from its "- " line to the next one.
# Comment and blank lines at column 0 at the end of a block are its *trailing comments*: they
# stay attached to the entry before them (a note written at the end of the file keeps its
# place when entries are appended after it). Any other line at column 0 after the header makes
# the file "not in this format", and so does a block that does not load as one YAML mapping.
#
# An entry is known by its `id`. An entry without `id` is known by the sha256 of its text
# (line ends as "\n", trailing comments left out, a final "\n" added). The n-th entry of one
# file with the same id (or text) as an earlier one is a different entry, so a file that
# repeats an id still merges.
#
# YAML is used only to read `id` and `recorded_at` from each block (with BaseLoader, which
# gives every scalar as written, so an id like 012345678901 is not turned into a number), and
# to check the blocks and the header; text is never re-dumped: the result is made of the sides'
# bytes (apart from line ends, added final newlines and "entries: []" becoming "entries:").
#
# Conflicts (the result is None, with one Chinese message per entry):
# - an entry both sides have, whose text differs (even if only one side changed it since the
#   base: the ledger is append-only, a correction is a new entry);
# - an entry of the base missing on one side (if both deleted it, they agree and it stays out);
# - an entry without id changed on one side or differently on both: its text is its key, so a
#   change looks like a deletion plus a new entry; a single new entry with the old one's task,
#   unit and recorded_at is taken to be that change;
# - trailing comments of one entry changed differently on the two sides;
# - the header changed differently on the two sides (if one side left it as in the base, the
#   other side's header is taken);
# - new entries on both sides, one of which has no readable `recorded_at` to order by;
# - a side that is not UTF-8 or not in this format.
#
# Line ends: ours' bytes are kept as they are; text taken from theirs gets ours' line end
# (that of ours' first line). A missing final newline is added when something follows it.
# A UTF-8 byte-order mark on ours is kept.

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

__all__ = ["MergeResult", "merge_files", "merge_progress"]

CHINA = timezone(timedelta(hours=8))
BOM = "\ufeff"

_ENTRIES_LINE = re.compile(r"entries:[ \t]*(?P<empty>\[[ \t]*\])?[ \t]*(?:#.*)?")
_TIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d*))?"
    r"(?:[ \t]*(Z|z|[+-]\d{1,2}(?::?\d{2})?))?)?"
)
_LOADER: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

SIDE_NAMES = {"base": "共同祖先版本", "ours": "本方版本", "theirs": "对方版本"}


@dataclass(frozen=True)
class MergeResult:
    text: bytes | None  # the merged file, or None on conflict
    conflicts: list[str]  # Chinese messages, one per conflicting entry id


class FormatProblem(Exception):
    """A side that cannot be read as a progress file."""


@dataclass(frozen=True)
class _Block:
    key: str  # unique within one file
    label: str  # how messages name the entry
    body: str  # the entry's text as in the file
    trailing: str  # column-0 comment and blank lines after it, as in the file
    norm_body: str  # body with "\n" line ends and a final "\n", for comparing
    norm_trailing: str
    recorded: datetime | None
    recorded_raw: str | None
    slot: str | None = None  # an entry without id: its task, unit and recorded_at


@dataclass(frozen=True)
class _File:
    bom: bool
    header: str  # as in the file
    norm_header: str  # "\n" line ends, final "\n", "entries: []" as "entries:"
    newline: str | None  # the first line's end, if any
    blocks: list[_Block]

    def by_key(self) -> dict[str, _Block]:
        return {b.key: b for b in self.blocks}


def merge_progress(base: bytes, ours: bytes, theirs: bytes) -> MergeResult:
    """Merge two versions of one progress file that both grew from `base`.

    Returns the merged bytes, or None and one Chinese message per conflict (the rules are at
    the top of this module).

    Ordering rule: the merged file is the header, then the *common part* -- the longest run
    of entries with which both ours and theirs begin, in the same order, as ours' bytes,
    unchanged -- then the entries after the common part on either side, merged the way two
    sorted lists are merged: repeatedly take whichever side's next entry has the earlier
    `recorded_at` (compared as instants; a time without offset is +08:00; on a tie, ours
    first). So the common part's bytes never change, both sides' new entries end up in
    recorded-time order, each side's own entries keep their append order (a bulk import's
    entries with one timestamp stay as written), and two offices that merge each other's
    work get the same file. Only our own new entries can move (after an older entry of
    theirs), and their bytes do not change. If theirs adds nothing, ours is returned byte for
    byte. The ledger sorts entries by date and recorded time when it reads them, so position
    in the file matters only to git and to people reading it.
    """
    files: dict[str, _File] = {}
    for side, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        try:
            files[side] = _parse(data)
        except FormatProblem as problem:
            return MergeResult(None, [f"{SIDE_NAMES[side]}无法按进展记录的格式读取：{problem}"])
    b, o, t = files["base"], files["ours"], files["theirs"]
    newline = o.newline or t.newline or "\n"
    conflicts: list[str] = []

    header = _merge_header(b, o, t, newline, conflicts)

    ob, tb, bb = o.by_key(), t.by_key(), b.by_key()
    flagged: set[str] = set()

    def conflict(key: str, message: str) -> None:
        if key not in flagged:
            flagged.add(key)
            conflicts.append(message)

    # An entry without id is known by its text, so an edit of it looks like a deletion and
    # a new entry; one new entry in the same slot (task, unit, recorded_at) is that edit.
    our_edit, their_edit = _edits(b, o), _edits(b, t)
    for key, block in bb.items():
        mine, their = our_edit.get(key), their_edit.get(key)
        if key not in ob and key not in tb:
            if mine and their and mine.norm_body != their.norm_body:
                conflict(
                    mine.key, f"{block.label}：双方都修改了这一已有条目，且改得不同；{APPEND_ONLY}"
                )
                flagged.add(their.key)
            continue  # both sides deleted it (or made the same change): they agree
        if key not in ob or key not in tb:
            edit = mine if key not in ob else their
            side = "本方" if key not in ob else "对方"
            if edit is not None:
                conflict(key, f"{block.label}：{side}修改了这一已有条目；{APPEND_ONLY}")
                flagged.add(edit.key)
            else:
                conflict(key, f"{block.label}在{side}被删除了；台账只能追加，不能删除已有条目")
    shared = [blk.key for blk in o.blocks if blk.key in tb]
    for key in shared:
        mine, their = ob[key], tb[key]
        if mine.norm_body != their.norm_body:
            old = bb.get(key)
            if old is None:
                why = "双方新加的同一 id 条目内容不同"
            elif mine.norm_body == old.norm_body:
                why = "对方修改了这一已有条目"
            elif their.norm_body == old.norm_body:
                why = "本方修改了这一已有条目"
            else:
                why = "双方都修改了这一已有条目，且改得不同"
            conflict(
                key,
                f"{mine.label}：{why}；台账只能追加，更正请追加一条新记录，不要修改已有条目",
            )

    # The trailing comments of each entry both sides have: a three-way merge of their text.
    trailing = {blk.key: blk.trailing for blk in o.blocks}
    trailing |= {
        blk.key: _with_newline(blk.trailing, newline) for blk in t.blocks if blk.key not in ob
    }
    for key in shared:
        our_note, their_note = ob[key].norm_trailing, tb[key].norm_trailing
        old_note = bb[key].norm_trailing if key in bb else ""
        if our_note != their_note and their_note != old_note:
            if our_note == old_note:
                trailing[key] = _with_newline(tb[key].trailing, newline)
            else:
                conflict(key, f"{ob[key].label}后面的注释双方改得不同")

    common = 0
    while (
        common < len(o.blocks)
        and common < len(t.blocks)
        and o.blocks[common].key == t.blocks[common].key
    ):
        common += 1
    our_tail = o.blocks[common:]
    their_new = [blk for blk in t.blocks[common:] if blk.key not in ob]
    if our_tail and their_new:
        for block in [*our_tail, *their_new]:
            if block.recorded is None:
                conflict(
                    block.key,
                    f"{block.label}的 recorded_at（{block.recorded_raw or '缺失'}）"
                    "不是可识别的时间，无法与另一方新加的条目按记录时间排列",
                )
    if header is not None and (o.blocks or t.blocks) and not _ANY_ENTRIES.search(header):
        conflicts.append("合并后的文件开头缺少 “entries:” 一行")
    if conflicts or header is None:
        return MergeResult(None, conflicts)

    tail = _merge_by_time(our_tail, their_new) if their_new else our_tail
    blocks = [*o.blocks[:common], *tail]
    if (
        header == o.header
        and [blk.key for blk in blocks] == [blk.key for blk in o.blocks]
        and all(trailing[blk.key] == blk.trailing for blk in o.blocks)
    ):
        return MergeResult(ours, [])  # nothing to add: ours as it is, byte for byte

    text = _entries_not_empty(header) if blocks else header
    for block in blocks:
        body = block.body if block.key in ob else _with_newline(block.body, newline)
        for piece in (body, trailing[block.key]):
            if piece:
                text = _end_line(text, newline) + piece
    text = _end_line(text, newline)
    return MergeResult(((BOM if o.bom else "") + text).encode("utf-8"), [])


_ANY_ENTRIES = re.compile(r"^entries:", re.MULTILINE)


APPEND_ONLY = "台账只能追加，更正请追加一条新记录，不要修改已有条目"


def _edits(base: _File, side: _File) -> dict[str, _Block]:
    """Base entries without id that `side` changed: base key -> the changed block."""
    keys = {blk.key for blk in side.blocks}
    gone = [blk for blk in base.blocks if blk.slot and blk.key not in keys]
    base_keys = {blk.key for blk in base.blocks}
    new: dict[str, list[_Block]] = {}
    for blk in side.blocks:
        if blk.slot and blk.key not in base_keys:
            new.setdefault(blk.slot, []).append(blk)
    slots = [blk.slot for blk in gone]
    return {
        blk.key: new[blk.slot][0]
        for blk in gone
        if blk.slot and len(new.get(blk.slot, ())) == 1 and slots.count(blk.slot) == 1
    }


def _merge_header(b: _File, o: _File, t: _File, newline: str, conflicts: list[str]) -> str | None:
    if o.norm_header == t.norm_header or t.norm_header == b.norm_header:
        return o.header
    if o.norm_header == b.norm_header:
        return _with_newline(t.header, newline)
    conflicts.append("文件开头的说明（注释）双方都改了，且改得不同")
    return None


def _merge_by_time(ours: list[_Block], theirs: list[_Block]) -> list[_Block]:
    """Both lists merged by recorded_at, each list's own order kept; ties: ours first."""
    merged: list[_Block] = []
    i = j = 0
    while i < len(ours) and j < len(theirs):
        mine, their = ours[i].recorded, theirs[j].recorded
        assert mine is not None and their is not None
        if their < mine:
            merged.append(theirs[j])
            j += 1
        else:
            merged.append(ours[i])
            i += 1
    return merged + ours[i:] + theirs[j:]


def _entries_not_empty(header: str) -> str:
    """The header with "entries: []" written as "entries:", for a file that now has entries."""
    lines = _lines(header)
    for n, line in enumerate(lines):
        content = line.rstrip("\r\n")
        match = _ENTRIES_LINE.fullmatch(content)
        if match and match["empty"]:
            start, end = match.span("empty")
            fixed = (content[:start] + content[end:]).rstrip(" \t")
            if fixed.startswith("entries:#"):
                fixed = "entries: " + fixed[len("entries:") :]
            lines[n] = fixed + line[len(content) :]
    return "".join(lines)


def _end_line(text: str, newline: str) -> str:
    return text if not text or text.endswith("\n") else text + newline


def _with_newline(text: str, newline: str) -> str:
    """Text taken from another side, with ours' line end."""
    text = text.replace("\r\n", "\n")
    return text.replace("\n", newline) if newline != "\n" else text


def _norm(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return text if not text or text.endswith("\n") else text + "\n"


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _is_comment_or_blank(content: str) -> bool:
    return content.startswith("#") or not content.strip()


def _parse(data: bytes) -> _File:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatProblem(f"不是 UTF-8 文本（第 {error.start + 1} 个字节）") from None
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    lines = _lines(text)
    newline = None
    if lines and lines[0].endswith("\n"):
        newline = "\r\n" if lines[0].endswith("\r\n") else "\n"

    header_lines: list[str] = []
    blocks: list[list[str]] = []
    starts: list[int] = []
    entries_lines = 0
    for number, line in enumerate(lines, 1):
        content = line.rstrip("\r\n")
        if content == "-" or content.startswith("- "):
            if entries_lines != 1:
                raise FormatProblem(f"第 {number} 行：条目之前缺少 “entries:” 一行")
            blocks.append([line])
            starts.append(number)
        elif not blocks:
            if _ENTRIES_LINE.fullmatch(content):
                entries_lines += 1
                if entries_lines > 1:
                    raise FormatProblem(f"第 {number} 行：“entries:” 出现了不止一次")
            elif not (_is_comment_or_blank(content) or content.lstrip().startswith("#")):
                raise FormatProblem(f"第 {number} 行：文件开头只应有注释和 “entries:” 一行")
            header_lines.append(line)
        elif content[:1] in (" ", "\t") or _is_comment_or_blank(content):
            blocks[-1].append(line)
        else:
            raise FormatProblem(f"第 {number} 行：条目之外出现了其他内容：{content[:40]}")

    header = "".join(header_lines)
    match_empty = any(
        (m := _ENTRIES_LINE.fullmatch(line.rstrip("\r\n"))) and m["empty"] for line in header_lines
    )
    if blocks and match_empty:
        raise FormatProblem("“entries: []” 之后不应再有条目")
    try:
        loaded = yaml.load(header, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise FormatProblem(f"文件开头不是合法的 YAML：{_yaml_problem(error)}") from None
    if loaded is not None and not (
        isinstance(loaded, dict) and list(loaded) == ["entries"] and loaded["entries"] in ("", [])
    ):
        raise FormatProblem("文件开头应只有 “entries:” 一项")

    parsed: list[_Block] = []
    seen: dict[str, int] = {}
    for start, block_lines in zip(starts, blocks, strict=True):
        split = len(block_lines)
        while split > 1 and _is_comment_or_blank(block_lines[split - 1].rstrip("\r\n")):
            split -= 1
        body, trailing = "".join(block_lines[:split]), "".join(block_lines[split:])
        parsed.append(_block(body, trailing, start, seen))
    norm_header = _norm(_entries_not_empty(header)) if match_empty else _norm(header)
    return _File(bom, header, norm_header, newline, parsed)


def _block(body: str, trailing: str, start: int, seen: dict[str, int]) -> _Block:
    try:
        loaded = yaml.load(body + trailing, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise FormatProblem(
            f"从第 {start} 行起的条目不是合法的 YAML：{_yaml_problem(error, start)}"
        ) from None
    if not (isinstance(loaded, list) and len(loaded) == 1 and isinstance(loaded[0], dict)):
        raise FormatProblem(f"从第 {start} 行起的条目不是一组 “键: 值”")
    entry: dict[str, Any] = loaded[0]
    norm_body = _norm(body)
    entry_id = entry.get("id")
    if entry_id is not None and (not isinstance(entry_id, str) or not entry_id.strip()):
        raise FormatProblem(f"从第 {start} 行起的条目的 id 不是一个字符串")
    raw_time = entry.get("recorded_at")
    raw_time = raw_time if isinstance(raw_time, str) else None
    if entry_id:
        key = "id:" + entry_id
        label = f"条目 {entry_id}"
    else:
        digest = hashlib.sha256(norm_body.encode("utf-8")).hexdigest()
        key = "sha256:" + digest
        about = "，".join(
            f"{name} {entry[name]}"
            for name in ("task", "date", "recorded_at")
            if isinstance(entry.get(name), str)
        )
        label = f"无 id 的条目（{about + '，' if about else ''}内容 sha256 {digest[:12]}）"
    count = seen.get(key, 0)
    seen[key] = count + 1
    if count:
        key = f"{key}#{count}"
        label = f"{label}（同一 id 的第 {count + 1} 条）"
    return _Block(
        key=key,
        label=label,
        body=body,
        trailing=trailing,
        norm_body=norm_body,
        norm_trailing=_norm(trailing),
        recorded=parse_instant(raw_time) if raw_time is not None else None,
        recorded_raw=raw_time,
        slot=None if entry_id else repr([entry.get(k) for k in ("task", "unit", "recorded_at")]),
    )


def _yaml_problem(error: yaml.YAMLError, first_line: int = 1) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is not None:
        return f"第 {mark.line + first_line} 行：{problem}"
    return str(problem)


def parse_instant(text: str) -> datetime | None:
    """An ISO date-time as an aware instant (naive as +08:00), or None if it is not one."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = CHINA
        if zone in ("Z", "z"):
            tz = timezone.utc
        elif zone:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            hours, minutes = (
                (int(digits[:-2]), int(digits[-2:]))
                if len(digits) > 2
                else (
                    int(digits),
                    0,
                )
            )
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        return None


def merge_files(base_path: Path, ours_path: Path, theirs_path: Path, shown: str) -> list[str]:
    """The git merge driver's work: merge three files, the result into `ours_path`.

    Returns [] when merged. On a conflict returns the Chinese lines to show, and `ours_path`
    gets what `git merge-file` makes of the three versions (the usual conflict markers), so
    the path stays marked as conflicted and nothing of either side is lost."""
    try:
        base, ours, theirs = (p.read_bytes() for p in (base_path, ours_path, theirs_path))
    except OSError as error:
        return [f"合并 {shown} 时无法读取文件：{error}"]
    result = merge_progress(base, ours, theirs)
    if result.text is not None:
        ours_path.write_bytes(result.text)
        return []
    lines = [f"合并进展记录 {shown} 时有冲突，需要人工处理："]
    lines += [f"  - {message}" for message in result.conflicts]
    lines.append("  文件中已标出双方的不同之处；改好后 git add 该文件再提交。")
    ours_path.write_bytes(_with_markers(base, ours, theirs))
    return lines


def _with_markers(base: bytes, ours: bytes, theirs: bytes) -> bytes:
    """The three versions merged line by line with conflict markers, as git would without us."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = os.path.join(folder, name)
            Path(path).write_bytes(data)
            paths.append(path)
        try:
            done = subprocess.run(
                ["git", "merge-file", "-p", "-L", "本方", "-L", "共同祖先", "-L", "对方", *paths],
                capture_output=True,
                check=False,
            )
        except OSError:
            done = None
    if done is not None and 0 <= done.returncode < 128 and done.stdout:
        return done.stdout
    end = b"" if not ours or ours.endswith(b"\n") else b"\n"
    return (
        "<<<<<<< 本方\n".encode() + ours + end + b"=======\n" + theirs + ">>>>>>> 对方\n".encode()
    )
