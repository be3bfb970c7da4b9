"""The progress-file merge: its rules one by one, then the driver under real git."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.ledger.merge import MergeResult, merge_progress, parse_instant

HEADER = (
    "# 区住建局 的进展记录。由 safecity 追加写入；更正请追加新记录，不要修改已有条目。\nentries:\n"
)


def entry(
    entry_id: str | None,
    recorded_at: str,
    note: str = "已拟定方案",
    *,
    quote: bool = True,
) -> str:
    stamp = f"'{recorded_at}'" if quote else recorded_at
    head = f"- id: {entry_id}\n  task: 27\n" if entry_id else "- task: 27\n"
    return (
        f"{head}  unit: 区住建局\n  status: 推进中\n  date: 2021-01-11\n  note: {note}\n"
        f"  evidence: []\n  by: 李四\n  recorded_at: {stamp}\n"
    )


A = entry("aaaaaaaaaaa1", "2021-01-11T17:00:00.000000+08:00")
B = entry("bbbbbbbbbbb2", "2021-01-12T17:00:00.000000+08:00")
C = entry("ccccccccccc3", "2021-01-13T17:00:00.000000+08:00")
D = entry("ddddddddddd4", "2021-01-14T17:00:00.000000+08:00")


def merge(base: str, ours: str, theirs: str) -> MergeResult:
    return merge_progress(base.encode(), ours.encode(), theirs.encode())


def merged(base: str, ours: str, theirs: str) -> str:
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    assert result.text is not None
    return result.text.decode()


def conflicts(base: str, ours: str, theirs: str) -> list[str]:
    result = merge(base, ours, theirs)
    assert result.text is None
    assert result.conflicts
    return result.conflicts


# --- appending on both sides, and the order of the result ---


def test_both_append_in_recorded_order() -> None:
    base = HEADER + A
    assert merged(base, base + B, base + C) == HEADER + A + B + C


def test_their_older_entry_goes_before_our_newer_one_common_part_unchanged() -> None:
    base = HEADER + A
    text = merged(base, base + D, base + B + C)
    assert text.startswith(base)  # the common part, byte for byte
    assert text == HEADER + A + B + C + D  # new entries of both sides in recorded order
    assert D in text  # our block moved but its bytes did not change


def test_merge_is_the_same_from_either_side() -> None:
    base = HEADER + A
    ours, theirs = base + B + D, base + C
    assert merged(base, ours, theirs) == merged(base, theirs, ours) == HEADER + A + B + C + D


def test_each_sides_own_order_is_kept_and_ties_put_ours_first() -> None:
    same = "2021-02-01T09:00:00.000000+08:00"
    o1, o2 = entry("0000000000a1", same), entry("0000000000a2", same)
    t1, t2 = entry("0000000000f9", same), entry("0000000000f8", same)
    base = HEADER + A
    assert merged(base, base + o1 + o2, base + t1 + t2) == base + o1 + o2 + t1 + t2


def test_only_their_entries_are_new() -> None:
    base = HEADER + A
    assert merged(base, base, base + B + C) == base + B + C


def test_only_our_entries_are_new_keeps_ours_byte_for_byte() -> None:
    base = HEADER + A
    ours = base + C + B  # out of time order, but nothing of theirs to place
    assert merged(base, ours, base) == ours


def test_recorded_at_compared_as_instants() -> None:
    base = HEADER + A
    # naive is +08:00: 10:00 here is 02:00 UTC, before 03:00 UTC
    naive = entry("eeeeeeeeeee5", "2021-01-12T10:00:00")
    utc = entry("fffffffffff6", "2021-01-12T03:00:00+00:00")
    zulu = entry("fffffffffff7", "2021-01-12T01:00:00Z", quote=False)  # a YAML timestamp
    assert merged(base, base + naive, base + utc) == base + naive + utc
    assert merged(base, base + naive, base + zulu) == base + zulu + naive


def test_parse_instant() -> None:
    china = timezone(timedelta(hours=8))
    assert parse_instant("2021-01-11T17:00:00.000000+08:00") == datetime(
        2021, 1, 11, 17, tzinfo=china
    )
    assert parse_instant("2021-01-11T17:00:00") == datetime(2021, 1, 11, 17, tzinfo=china)
    assert parse_instant("2021-01-11 09:00:00.5 Z") == datetime(
        2021, 1, 11, 9, 0, 0, 500000, tzinfo=timezone.utc
    )
    assert parse_instant("2021-01-11T17:00:00-0130") == datetime(
        2021, 1, 11, 18, 30, tzinfo=timezone.utc
    )
    assert parse_instant("2021-01-11") == datetime(2021, 1, 11, tzinfo=china)
    assert parse_instant("昨天") is None
    assert parse_instant("2021-13-01T00:00:00") is None


# --- entries both sides have ---


def test_same_entry_added_on_both_sides_is_kept_once() -> None:
    base = HEADER + A
    assert merged(base, base + B, base + B + C) == base + B + C
    assert merged(base, base + B + C, base + B) == base + B + C


def test_same_id_different_text_on_both_sides_is_a_conflict() -> None:
    base = HEADER + A + B
    ours = HEADER + A + B.replace("已拟定方案", "方案已印发")
    theirs = HEADER + A + B.replace("已拟定方案", "方案已上报")
    messages = conflicts(base, ours, theirs)
    assert len(messages) == 1
    assert "bbbbbbbbbbb2" in messages[0]
    assert "双方都修改" in messages[0]


def test_entry_changed_on_one_side_is_a_conflict() -> None:
    base = HEADER + A
    changed = HEADER + A.replace("已拟定方案", "改过了")
    assert "本方修改" in conflicts(base, changed, base + B)[0]
    assert "对方修改" in conflicts(base, base + B, changed)[0]


def test_new_entry_with_one_id_and_two_texts_is_a_conflict() -> None:
    base = HEADER + A
    other = B.replace("已拟定方案", "别的说法")
    [message] = conflicts(base, base + B, base + other)
    assert "bbbbbbbbbbb2" in message


def test_identical_edits_on_both_sides_are_fine() -> None:
    base = HEADER + A + B
    edited = HEADER + A + B.replace("已拟定方案", "同样的改法")
    assert merged(base, edited, edited) == edited
    assert merged(base, edited + C, edited + D) == edited + C + D


def test_entry_deleted_on_one_side_is_a_conflict() -> None:
    base = HEADER + A + B
    [message] = conflicts(base, HEADER + B + C, base + D)
    assert "aaaaaaaaaaa1" in message and "本方被删除" in message
    [message] = conflicts(base, base + C, HEADER + A)
    assert "bbbbbbbbbbb2" in message and "对方被删除" in message


def test_entry_deleted_on_both_sides_is_fine() -> None:
    base = HEADER + A + B
    assert merged(base, HEADER + B + C, HEADER + B) == HEADER + B + C


def test_one_message_per_conflicting_entry() -> None:
    base = HEADER + A + B
    ours = HEADER + A.replace("已拟定方案", "甲") + B.replace("已拟定方案", "乙")
    messages = conflicts(base, ours, base + C)
    assert len(messages) == 2
    assert "aaaaaaaaaaa1" in messages[0] and "bbbbbbbbbbb2" in messages[1]


# --- entries without id ---


def test_entries_without_id_are_known_by_their_text() -> None:
    old1 = entry(None, "2021-01-01T17:00:00.000000")
    old2 = entry(None, "2021-01-02T17:00:00.000000")
    base = HEADER + old1 + old2
    assert merged(base, base + C, base + B) == base + B + C
    # an old entry edited is, by its text, one entry gone and another new; the one new entry
    # with the old one's task, unit and recorded_at shows it was an edit
    [message] = conflicts(base, HEADER + old1.replace("已拟定方案", "改") + old2, base + B)
    assert message == (
        "无 id 的条目（task 27，date 2021-01-11，recorded_at 2021-01-01T17:00:00.000000，"
        "内容 sha256 23013a5ec8fc）：本方修改了这一已有条目；台账只能追加，更正请追加一条新记录，"
        "不要修改已有条目"
    )
    # an entry removed outright is a deletion
    [message] = conflicts(base, HEADER + old2, base + B)
    assert "无 id 的条目" in message and "本方被删除" in message


def test_entry_without_id_edited_differently_on_both_sides_is_a_conflict() -> None:
    old1 = entry(None, "2021-01-01T17:00:00.000000")
    base = HEADER + old1
    ours, theirs = (HEADER + old1.replace("已拟定方案", w) for w in ("甲改", "乙改"))
    [message] = conflicts(base, ours, theirs)
    assert message.endswith(
        "：双方都修改了这一已有条目，且改得不同；台账只能追加，"
        "更正请追加一条新记录，不要修改已有条目"
    )
    assert merged(base, ours, ours) == ours  # the same edit on both sides: they agree


def test_repeated_entries_without_id_each_count() -> None:
    old = entry(None, "2021-01-01T17:00:00.000000")
    base = HEADER + old
    assert merged(base, base + old, base) == base + old
    assert merged(base, base + old, base + B) == base + old + B


# --- the header ---


def test_header_changed_on_one_side_is_taken() -> None:
    base = HEADER + A
    edited = "# 区住建局 的进展记录（2021 年起）。\nentries:\n"
    assert merged(base, base + B, edited + A + C) == edited + A + B + C
    assert merged(base, edited + A + C, base + B) == edited + A + B + C
    assert merged(base, edited + A, edited + A + B) == edited + A + B


def test_header_changed_differently_on_both_sides_is_a_conflict() -> None:
    base = HEADER + A
    [message] = conflicts(base, "# 甲\nentries:\n" + A, "# 乙\nentries:\n" + A + B)
    assert "文件开头" in message


# --- empty files, newlines, line ends, comments ---


def test_empty_ledger() -> None:
    empty = HEADER.replace("entries:\n", "entries: []\n")
    assert merged(empty, empty, empty) == empty
    assert merged(empty, HEADER + B, HEADER + C) == HEADER + B + C
    assert merged(empty, empty, HEADER + C) == HEADER + C
    assert merged(empty, HEADER + B, empty) == HEADER + B
    assert merged(HEADER, HEADER + B, empty) == HEADER + B


def test_no_base_both_create_the_file() -> None:
    assert merged("", HEADER + B, HEADER + C) == HEADER + B + C


def test_no_trailing_newline() -> None:
    base = HEADER + A.rstrip("\n")
    assert merged(base, base, HEADER + A + B) == HEADER + A + B
    assert merged(base, HEADER + A + C, base) == HEADER + A + C
    assert merged(HEADER + A, HEADER + A + B, HEADER + A + C.rstrip("\n")) == HEADER + A + B + C
    empty = "# 说明\nentries: []"
    assert merged(empty, empty, "# 说明\nentries:\n" + B) == "# 说明\nentries:\n" + B


def test_crlf_kept_from_ours() -> None:
    def crlf(text: str) -> str:
        return text.replace("\n", "\r\n")

    base = HEADER + A
    text = merged(crlf(base), crlf(base + C), base + B)
    assert text == crlf(HEADER + A + B + C)
    assert merged(base, base + C, crlf(base + B)) == HEADER + A + B + C


def test_comments_are_kept() -> None:
    header = "# 第一行说明\n\n# 第二行说明\nentries:  # 每条一块\n"
    a_noted = A + "# 这一条由电话确认\n\n"
    b_inner = B.replace("  by: 李四\n", "  # 内部注释\n  by: 李四\n")
    base = header + a_noted
    assert merged(base, base + b_inner, base + C) == header + a_noted + b_inner + C


def test_comment_added_at_the_end_while_they_append() -> None:
    base = HEADER + A
    assert merged(base, base + "# 待核实\n", base + B) == base + "# 待核实\n" + B
    assert merged(base, base + B, base + "# 待核实\n") == base + "# 待核实\n" + B


def test_comment_after_an_entry_changed_differently_is_a_conflict() -> None:
    base = HEADER + A + "# 旧说明\n"
    [message] = conflicts(base, HEADER + A + "# 甲\n", HEADER + A + "# 乙\n" + B)
    assert "aaaaaaaaaaa1" in message and "注释" in message


def test_byte_order_mark_kept() -> None:
    base = HEADER + A
    result = merge_progress(
        ("\ufeff" + base).encode(), ("\ufeff" + base + B).encode(), (base + C).encode()
    )
    assert result.text == ("\ufeff" + base + B + C).encode()


# --- files that are not in this format ---


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (HEADER + A + "- id: [unclosed\n", "YAML"),
        (HEADER + A + "other: 1\n", "条目之外"),
        (HEADER + "- just a string\n", "键: 值"),
        ("# 说明\n- id: aaaaaaaaaaa1\n", "entries"),
        ("entries:\nentries:\n", "不止一次"),
        ("title: x\nentries:\n" + A, "文件开头"),
        (HEADER + A + "---\n" + B, "条目之外"),
        (HEADER.replace("entries:", "entries: []") + A, "entries: []"),
        (HEADER + A.replace("id: aaaaaaaaaaa1", "id: [1, 2]"), "id"),
    ],
)
def test_unparseable_side_is_a_conflict_not_a_crash(bad: str, words: str) -> None:
    base = HEADER + A
    [message] = conflicts(base, base + B, bad)
    assert "对方版本无法按进展记录的格式读取" in message and words in message
    [message] = conflicts(bad, base + B, base + C)
    assert message.startswith("共同祖先版本")


def test_not_utf8_is_a_conflict() -> None:
    result = merge_progress(HEADER.encode(), HEADER.encode("gbk"), HEADER.encode())
    assert result.text is None and "UTF-8" in result.conflicts[0]


def test_missing_recorded_at_when_both_sides_add() -> None:
    base = HEADER + A
    undated = B.replace("  recorded_at: '2021-01-12T17:00:00.000000+08:00'\n", "")
    [message] = conflicts(base, base + undated, base + C)
    assert "bbbbbbbbbbb2" in message and "recorded_at" in message
    assert merged(base, base + undated, base) == base + undated  # nothing to order by


# --- the driver as git calls it: safecity merge-progress O A B P ---


def test_driver_writes_the_merge(tmp_path: Path, runner: CliRunner) -> None:
    base, ours, theirs = (tmp_path / n for n in ("O", "A", "B"))
    base.write_text(HEADER + A, encoding="utf-8")
    ours.write_text(HEADER + A + C, encoding="utf-8")
    theirs.write_text(HEADER + A + B, encoding="utf-8")
    args = ["merge-progress", str(base), str(ours), str(theirs), "progress/区住建局.yaml"]
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (0, "")
    assert ours.read_text(encoding="utf-8") == HEADER + A + B + C


def test_driver_conflict(tmp_path: Path, runner: CliRunner) -> None:
    base, ours, theirs = (tmp_path / n for n in ("O", "A", "B"))
    base.write_text(HEADER + A, encoding="utf-8")
    ours.write_text(HEADER + A.replace("已拟定方案", "甲"), encoding="utf-8")
    theirs.write_text(HEADER + A.replace("已拟定方案", "乙"), encoding="utf-8")
    args = ["merge-progress", str(base), str(ours), str(theirs), "progress/区住建局.yaml"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "safecity：合并进展记录 progress/区住建局.yaml 时有冲突，需要人工处理：",
        "safecity：  - 条目 aaaaaaaaaaa1：双方都修改了这一已有条目，且改得不同；"
        "台账只能追加，更正请追加一条新记录，不要修改已有条目",
        "safecity：  文件中已标出双方的不同之处；改好后 git add 该文件再提交。",
    ]
    text = ours.read_text(encoding="utf-8")
    assert "<<<<<<<" in text and "甲" in text and "乙" in text


def test_driver_usage(runner: CliRunner) -> None:
    result = runner.invoke(app, ["merge-progress"])
    assert result.exit_code == 2
    assert "缺少参数" in result.stderr


def test_driver_help_is_chinese(runner: CliRunner) -> None:
    result = runner.invoke(app, ["merge-progress", "--help"])
    assert result.exit_code == 0
    assert "git 合并进展记录文件时调用的合并程序" in result.stdout
    assert "示例：safecity merge-progress" in result.stdout


# --- end to end, with real git ---


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(cwd.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "LC_ALL": "C.UTF-8",
    }
    done = subprocess.run(
        ["git", "-c", "core.quotepath=false", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


PATH = "progress/区住建局.yaml"


def set_up_clone(path: Path, name: str) -> None:
    git(path, "config", "user.name", name)
    git(path, "config", "user.email", f"{name}@example.org")
    git(path, "config", "pull.rebase", "false")
    driver = f"{shlex.quote(sys.executable)} -m safecity_cli merge-progress %O %A %B %P"
    git(path, "config", "merge.safecity-progress.name", "safecity 进展记录")
    git(path, "config", "merge.safecity-progress.driver", driver)


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path, bytes]:
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    set_up_clone(seed, "seed")
    (seed / ".gitattributes").write_text("progress/*.yaml merge=safecity-progress\n")
    (seed / "progress").mkdir()
    start = (HEADER + A).encode()
    (seed / PATH).write_bytes(start)
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "start")
    git(tmp_path, "clone", "-q", "--bare", str(seed), "origin.git")
    for name in ("one", "two"):
        git(tmp_path, "clone", "-q", "origin.git", name)
        set_up_clone(tmp_path / name, name)
    return tmp_path / "one", tmp_path / "two", start


def commit_file(clone: Path, text: bytes, message: str) -> None:
    (clone / PATH).write_bytes(text)
    git(clone, "commit", "-q", "-am", message)


def test_git_merges_appends_from_two_offices(clones: tuple[Path, Path, bytes]) -> None:
    one, two, start = clones
    commit_file(one, start + C.encode(), "one appends")
    git(one, "push", "-q", "origin", "main")
    commit_file(two, start + B.encode(), "two appends")
    done = git(two, "pull", "--no-edit", "origin", "main")
    assert "CONFLICT" not in done.stdout + done.stderr
    text = (two / PATH).read_bytes()
    assert text.startswith(start)  # the common part's bytes
    assert text == start + B.encode() + C.encode()  # both, once each, in recorded order
    assert git(two, "status", "--porcelain").stdout == ""
    assert len(git(two, "log", "--format=%P", "-1").stdout.split()) == 2  # a merge commit
    # and back: office one pulls the merge and gets the same file
    git(two, "push", "-q", "origin", "main")
    git(one, "pull", "-q", "--no-edit", "origin", "main")
    assert (one / PATH).read_bytes() == text


def test_git_rebase_uses_the_driver_too(clones: tuple[Path, Path, bytes]) -> None:
    one, two, start = clones
    commit_file(one, start + B.encode(), "one appends")
    git(one, "push", "-q", "origin", "main")
    commit_file(two, start + C.encode(), "two appends")
    git(two, "pull", "-q", "--rebase", "origin", "main")
    assert (two / PATH).read_bytes() == start + B.encode() + C.encode()


def test_git_reports_a_real_conflict_in_chinese(clones: tuple[Path, Path, bytes]) -> None:
    one, two, _ = clones
    commit_file(one, (HEADER + A.replace("已拟定方案", "方案已印发")).encode(), "one edits")
    git(one, "push", "-q", "origin", "main")
    commit_file(two, (HEADER + A.replace("已拟定方案", "方案已上报")).encode(), "two edits")
    done = git(two, "pull", "--no-edit", "origin", "main", check=False)
    assert done.returncode != 0
    assert "CONFLICT" in done.stdout + done.stderr
    assert "aaaaaaaaaaa1" in done.stderr and "区住建局.yaml" in done.stderr
    assert "双方都修改了这一已有条目" in done.stderr
    assert git(two, "status", "--porcelain").stdout.startswith("UU ")
    text = (two / PATH).read_text(encoding="utf-8")
    assert "<<<<<<<" in text and "方案已印发" in text and "方案已上报" in text
