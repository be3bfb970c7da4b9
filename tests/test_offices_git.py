"""Registries carried between offices by git: init's git files, git-setup, merging two
offices' progress with the real git, and who recorded (--by from git's user.name)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.cli.gitrepo import recorder

UNIT_FILE = "progress/区住建局.yaml"


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config, and `safecity` (this venv's) on PATH for git's driver."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.delenv("SAFECITY_USER", raising=False)
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["git", "-c", "core.quotepath=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_init_writes_git_files(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "台账"
    assert run(runner, "init", str(target))[0] == 0
    assert (target / ".gitignore").read_text(encoding="utf-8") == (
        "# safecity：锁文件、写入时的临时文件和日志不纳入版本管理\n"
        "progress/.lock\n*.tmp\nprogress/.journal/\n"
    )
    assert (target / ".gitattributes").read_text(encoding="utf-8") == (
        "# safecity：进展记录按条目合并（先在仓库中运行一次 safecity git-setup）\n"
        "progress/*.yaml merge=safecity-progress\n"
    )


def test_git_files_keep_what_the_user_wrote(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "台账"
    target.mkdir()
    (target / ".gitignore").write_text("草稿/\n*.tmp", encoding="utf-8")
    assert run(runner, "init", str(target))[0] == 0
    assert (target / ".gitignore").read_text(encoding="utf-8") == (
        "草稿/\n*.tmp\n# safecity：锁文件、写入时的临时文件和日志不纳入版本管理\n"
        "progress/.lock\nprogress/.journal/\n"
    )


def test_git_setup_outside_a_repository_is_refused(
    runner: CliRunner, tmp_path: Path, git_env: None
) -> None:
    target = tmp_path / "台账"
    run(runner, "init", str(target))
    code, _, err = run(runner, "git-setup", "--data", str(target))
    assert code == 2
    assert err == (
        f"错误：{target} 不在 git 仓库中；请先在登记册目录中运行 git init"
        "（或 git clone 已有的仓库）\n"
    )


@pytest.fixture
def offices(runner: CliRunner, tmp_path: Path, git_env: None) -> tuple[Path, Path]:
    """A registry in a shared repository, cloned by two offices that have run git-setup."""
    seed = tmp_path / "临潼台账"
    assert run(runner, "init", str(seed))[0] == 0
    git(seed, "init", "-q", "-b", "main")
    git(seed, "config", "user.name", "创建办")
    git(seed, "config", "user.email", "office@example.org")
    code, _, err = run(runner, "git-setup", "--data", str(seed))
    assert code == 0, err
    assert err.endswith(
        f"已在 git 仓库 {seed} 中设置进展记录的合并方式（merge.safecity-progress）。\n"
    )
    assert git(seed, "config", "merge.safecity-progress.driver").stdout == (
        "safecity merge-progress %O %A %B %P\n"
    )
    code, _, err = run(
        runner, "update", "27", "-u", "区住建局", "-s", "推进中", "--date", "2021-01-04",
        "--note", "部署排查", "--data", str(seed),
    )  # fmt: skip
    assert code == 0, err
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "登记册")
    assert "progress/.lock" not in git(seed, "ls-files").stdout
    git(tmp_path, "clone", "-q", "--bare", str(seed), "origin.git")
    clones = []
    for folder, name in (("甲", "张三"), ("乙", "李四")):
        git(tmp_path, "clone", "-q", "origin.git", folder)
        clone = tmp_path / folder
        git(clone, "config", "user.name", name)
        git(clone, "config", "user.email", f"{folder}@example.org")
        git(clone, "config", "pull.rebase", "false")
        assert run(runner, "git-setup", "--data", str(clone))[0] == 0
        clones.append(clone)
    return clones[0], clones[1]


def record(runner: CliRunner, clone: Path, task: str, unit: str, note: str, day: str) -> None:
    code, _, err = run(
        runner, "update", task, "-u", unit, "-s", "推进中", "--date", day, "--note", note,
        "--data", str(clone),
    )  # fmt: skip
    assert code == 0, err


def history(runner: CliRunner, clone: Path, task: str) -> list[tuple[str, str, str]]:
    code, out, err = run(runner, "history", task, "--format", "json", "--data", str(clone))
    assert code == 0, err
    return [(e["unit"], e["note"], e["by"]) for e in json.loads(out)]


def test_two_offices_record_for_one_unit_and_merge(
    runner: CliRunner, offices: tuple[Path, Path]
) -> None:
    one, two = offices
    record(runner, one, "27", "区住建局", "甲：完成排查 120 处", "2021-01-11")
    git(one, "commit", "-q", "-am", "甲办记录")
    git(one, "push", "-q", "origin", "main")
    record(runner, two, "27", "区住建局", "乙：整改 30 处", "2021-01-12")
    record(runner, two, "28", "区住建局", "乙：方案已印发", "2021-01-12")
    git(two, "commit", "-q", "-am", "乙办记录")
    done = git(two, "pull", "--no-edit", "origin", "main")
    assert "CONFLICT" not in done.stdout + done.stderr
    assert git(two, "status", "--porcelain").stdout == ""
    text = (two / UNIT_FILE).read_text(encoding="utf-8")
    for note in ("部署排查", "甲：完成排查 120 处", "乙：整改 30 处", "乙：方案已印发"):
        assert text.count(f"note: {note}\n") == 1
    code, out, err = run(runner, "validate", "--data", str(two))
    assert code == 0, err
    assert out.startswith("登记册有效：")
    # Who recorded: git's user.name in each clone, since neither --by nor SAFECITY_USER was given.
    assert history(runner, two, "27") == [
        ("区住建局", "部署排查", "创建办"),
        ("区住建局", "甲：完成排查 120 处", "张三"),
        ("区住建局", "乙：整改 30 处", "李四"),
    ]
    # Office one pulls the merge back and has the same file.
    git(two, "push", "-q", "origin", "main")
    git(one, "pull", "-q", "--no-edit", "origin", "main")
    assert (one / UNIT_FILE).read_text(encoding="utf-8") == text


def test_a_changed_entry_is_a_conflict_with_a_clear_message(
    runner: CliRunner, offices: tuple[Path, Path]
) -> None:
    one, two = offices
    for clone, note in ((one, "部署排查（甲改）"), (two, "部署排查（乙改）")):
        path = clone / UNIT_FILE
        path.write_text(
            path.read_text(encoding="utf-8").replace("note: 部署排查", f"note: {note}"),
            encoding="utf-8",
        )
        git(clone, "commit", "-q", "-am", "改了已有记录")
    git(one, "push", "-q", "origin", "main")
    done = git(two, "pull", "--no-edit", "origin", "main", check=False)
    assert done.returncode != 0
    assert "CONFLICT" in done.stdout + done.stderr
    assert "safecity：合并进展记录 progress/区住建局.yaml 时有冲突，需要人工处理：" in done.stderr
    assert "双方都修改了这一已有条目，且改得不同；台账只能追加" in done.stderr
    assert git(two, "status", "--porcelain").stdout.startswith("UU ")
    text = (two / UNIT_FILE).read_text(encoding="utf-8")
    assert "<<<<<<<" in text and "部署排查（甲改）" in text and "部署排查（乙改）" in text


# -- who recorded ------------------------------------------------------------------------------


def test_recorder_order(tmp_path: Path, git_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "王五")
    assert recorder(None, plain) == ""  # not in a git repository: nobody named
    assert recorder(None, repo) == "王五"
    assert recorder("赵六", repo) == "赵六"
    assert recorder("", repo) == ""  # --by "" says so explicitly
    monkeypatch.setenv("SAFECITY_USER", "钱七")
    assert recorder(None, repo) == "钱七"
    assert recorder(None, plain) == "钱七"
    assert recorder("赵六", repo) == "赵六"


def test_by_option_beats_git(runner: CliRunner, offices: tuple[Path, Path]) -> None:
    one, _ = offices
    code, _, err = run(
        runner, "update", "27", "-u", "各街办", "-s", "推进中", "--date", "2021-01-05",
        "--by", "赵六", "--data", str(one),
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run(runner, "close", "30", "--date", "2021-01-06", "--data", str(one))
    assert code != 0  # not every unit has reported; the refusal is close's own
    assert history(runner, one, "27")[-1] == ("各街办", "", "赵六")


def test_both_offices_start_the_same_units_file(
    runner: CliRunner, offices: tuple[Path, Path]
) -> None:
    """Neither clone has progress/区应急管理局.yaml yet: an add/add, still merged by entry."""
    one, two = offices
    record(runner, one, "6", "区应急管理局", "甲：预案修订", "2021-01-11")
    git(one, "add", "-A")
    git(one, "commit", "-q", "-m", "甲办记录")
    git(one, "push", "-q", "origin", "main")
    record(runner, two, "6", "区应急管理局", "乙：演练一次", "2021-01-12")
    git(two, "add", "-A")
    git(two, "commit", "-q", "-m", "乙办记录")
    done = git(two, "pull", "--no-edit", "origin", "main")
    assert "CONFLICT" not in done.stdout + done.stderr
    assert [note for _, note, _ in history(runner, two, "6")] == ["甲：预案修订", "乙：演练一次"]
    assert run(runner, "validate", "--data", str(two))[0] == 0
