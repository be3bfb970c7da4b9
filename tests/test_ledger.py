"""The progress ledger: recording, refusals, status as of a date, safe storage."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.errors import LedgerError, RegistryError, UsageError
from safecity_cli.ledger.entries import Status, check_evidence
from safecity_cli.ledger.files import append_entries, load_ledger
from safecity_cli.registry.load import load_registry
from safecity_cli.tracking.query import TaskFilter, find_overdue, select_tasks
from safecity_cli.tracking.recording import Report, check_close, check_report, record
from safecity_cli.tracking.state import task_state

TODAY = date(2021, 7, 1)


def _record(data: Path, task: int, unit: str, status: str, day: date, **extra: object) -> None:
    registry = load_registry(data)
    entry = check_report(
        registry,
        load_ledger(data),
        Report(task, unit, status, day, **extra),  # type: ignore[arg-type]
        today=TODAY,
        recorded_at=datetime.now(),
        evidence_base=data,
    )
    record(registry, [entry])


def _approve(data: Path, task: int, unit: str, day: date) -> None:
    """The office approves the unit's newest 延期 request on the task (README, 延期)."""
    from safecity_cli.ledger.entries import Kind
    from safecity_cli.tracking.recording import check_decision

    registry, ledger = load_registry(data), load_ledger(data)
    asked = [e for e in ledger.for_task(task) if e.unit == unit and e.kind is Kind.REQUEST]
    entry = check_decision(
        registry,
        ledger,
        asked[-1].id,
        unit,
        Kind.APPROVE,
        day,
        today=TODAY,
        recorded_at=datetime.now(),
    )
    record(registry, [entry])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.yaml"))}


def test_an_entry_changes_status_only_from_its_date_on(work_registry: Path) -> None:
    _record(work_registry, 27, "区住建局", "推进中", date(2020, 11, 20), note="排查工地 30 处")
    registry, ledger = load_registry(work_registry), load_ledger(work_registry)
    task = registry.task(27)
    assert task is not None
    before = task_state(registry, ledger, task, date(2020, 11, 19))
    after = task_state(registry, ledger, task, date(2020, 11, 20))
    assert before.status is Status.NOT_STARTED and before.latest is None
    assert after.status is Status.IN_PROGRESS and after.latest is not None
    assert after.latest.note == "排查工地 30 处"


def test_a_task_is_complete_when_every_party_has_completed(work_registry: Path) -> None:
    # Task 27: 区住建局，各街办、各园区管委会 — the groups list no members, so each is one party.
    for unit in ("区住建局", "各街办", "各园区管委会"):
        _record(work_registry, 27, unit, "已完成", date(2020, 12, 10))
        registry, ledger = load_registry(work_registry), load_ledger(work_registry)
        state = task_state(registry, ledger, registry.task(27), date(2021, 1, 1))  # type: ignore[arg-type]
        assert state.complete is (unit == "各园区管委会")
    overdue_ids = [s.task.id for s in find_overdue(registry, ledger, date(2021, 1, 1))]
    assert 27 not in overdue_ids and 26 in overdue_ids


def test_overdue_for_one_unit_counts_only_its_own_part(work_registry: Path) -> None:
    _record(work_registry, 27, "区住建局", "已完成", date(2020, 12, 10))
    registry, ledger = load_registry(work_registry), load_ledger(work_registry)
    unit = registry.unit("区住建局")
    mine = [s.task.id for s in find_overdue(registry, ledger, date(2021, 1, 1), unit)]
    everyone = [s.task.id for s in find_overdue(registry, ledger, date(2021, 1, 1))]
    assert 27 not in mine and 27 in everyone


def test_deferral_moves_a_task_out_of_overdue_and_keeps_the_original(work_registry: Path) -> None:
    _record(
        work_registry, 76, "区财政局", "延期", date(2020, 12, 28), new_deadline=date(2021, 3, 31)
    )
    _approve(work_registry, 76, "区财政局", date(2020, 12, 29))
    registry, ledger = load_registry(work_registry), load_ledger(work_registry)
    on = date(2021, 1, 15)
    assert 76 not in [s.task.id for s in find_overdue(registry, ledger, on)]
    state = task_state(registry, ledger, registry.task(76), on)  # type: ignore[arg-type]
    assert state.status is Status.DEFERRED
    assert state.deadline == date(2021, 3, 31)
    assert state.task.deadline.end == date(2020, 12, 31)
    later = find_overdue(registry, ledger, date(2021, 4, 2))
    assert next(s.days_overdue for s in later if s.task.id == 76) == 2


def test_a_deferral_recorded_late_does_not_rewrite_the_past(work_registry: Path) -> None:
    _record(
        work_registry, 76, "区财政局", "延期", date(2021, 1, 10), new_deadline=date(2021, 3, 31)
    )
    _approve(work_registry, 76, "区财政局", date(2021, 1, 10))
    registry, ledger = load_registry(work_registry), load_ledger(work_registry)
    on_fifth = find_overdue(registry, ledger, date(2021, 1, 5))
    assert next(s.days_overdue for s in on_fifth if s.task.id == 76) == 5
    assert 76 not in [s.task.id for s in find_overdue(registry, ledger, date(2021, 1, 10))]


@pytest.mark.parametrize(
    ("report", "error", "message"),
    [
        (Report(105, "区住建局", "推进中", date(2021, 1, 1)), UsageError, "没有序号为 105 的任务"),
        (
            Report(27, "区交运局", "推进中", date(2021, 1, 1)),
            LedgerError,
            "任务 27 的责任单位中没有「区交运局」",
        ),
        (Report(27, "区住建局", "做完了", date(2021, 1, 1)), UsageError, "未知的状态「做完了」"),
        (Report(27, "区住建局", "推进中", date(2021, 7, 2)), UsageError, "晚于今天"),
        (Report(27, "区住建局", "推进中", date(2020, 9, 30)), UsageError, "早于创建工作起始日期"),
        (
            Report(27, "区住建局", "已销号", date(2021, 1, 1)),
            LedgerError,
            "「已销号」只能由创建办对整项任务办理",
        ),
        (Report(27, "区住建局", "延期", date(2021, 1, 1)), UsageError, "必须用 --new-deadline"),
        (
            Report(27, "区住建局", "推进中", date(2021, 1, 1), new_deadline=date(2021, 3, 1)),
            UsageError,
            "只有状态为「延期」时",
        ),
        (
            Report(27, "区住建局", "推进中", date(2021, 1, 1), evidence=("不存在.pdf",)),
            LedgerError,
            "佐证材料文件不存在",
        ),
        (
            Report(27, "不存在的局", "推进中", date(2021, 1, 1)),
            UsageError,
            "未知的单位「不存在的局」",
        ),
    ],
)
def test_refusals_write_nothing(
    work_registry: Path, report: Report, error: type[Exception], message: str
) -> None:
    _record(work_registry, 27, "区住建局", "推进中", date(2020, 11, 1))
    before = _snapshot(work_registry / "progress")
    registry = load_registry(work_registry)
    with pytest.raises(error, match=message):
        entry = check_report(
            registry,
            load_ledger(work_registry),
            report,
            today=TODAY,
            recorded_at=datetime.now(),
            evidence_base=work_registry,
        )
        record(registry, [entry])
    assert _snapshot(work_registry / "progress") == before


def test_closing_needs_a_complete_task(work_registry: Path) -> None:
    registry = load_registry(work_registry)
    with pytest.raises(LedgerError, match="尚未完成，不能销号；未报告完成的单位：区财政局"):
        check_close(
            registry,
            load_ledger(work_registry),
            76,
            date(2021, 1, 5),
            today=TODAY,
            recorded_at=datetime.now(),
        )
    _record(work_registry, 76, "区财政局", "已完成", date(2021, 1, 4))
    entry = check_close(
        registry,
        load_ledger(work_registry),
        76,
        date(2021, 1, 5),
        today=TODAY,
        recorded_at=datetime.now(),
        note="经核查",
    )
    record(registry, [entry])
    ledger = load_ledger(work_registry)
    assert task_state(registry, ledger, registry.task(76), date(2021, 1, 5)).status is Status.CLOSED  # type: ignore[arg-type]
    closed = select_tasks(registry, ledger, date(2021, 1, 5), TaskFilter(status=Status.CLOSED))
    assert [s.task.id for s in closed] == [76]


def test_evidence_records_size_and_hash(work_registry: Path) -> None:
    proof = work_registry / "整改报告.pdf"
    proof.write_bytes(b"%PDF-1.4 report")
    _record(
        work_registry,
        27,
        "区住建局",
        "推进中",
        date(2020, 11, 1),
        evidence=("整改报告.pdf", "https://example.org/a"),
    )
    entry = load_ledger(work_registry).entries[0]
    assert entry.evidence[0].size == 15
    assert entry.evidence[0].sha256 == hashlib.sha256(b"%PDF-1.4 report").hexdigest()
    assert entry.evidence[1].sha256 is None
    assert check_evidence(entry.evidence[0], work_registry) is None
    proof.write_bytes(b"%PDF-1.4 changed")
    assert check_evidence(entry.evidence[0], work_registry) == "文件内容已变化"
    proof.unlink()
    assert check_evidence(entry.evidence[0], work_registry) == "文件已不存在"


def _append_many(data: str, start: int) -> None:
    from safecity_cli.ledger.entries import Entry

    for i in range(10):
        entry = Entry(
            27,
            "区住建局",
            Status.IN_PROGRESS,
            date(2020, 11, 1),
            datetime(2020, 11, 1, 8, 0, 0, start * 100 + i),
            note=f"{start}-{i}",
        )
        append_entries(Path(data), [entry])


def test_concurrent_writers_lose_nothing(work_registry: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(work_registry), n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    notes = sorted(e.note for e in load_ledger(work_registry).entries)
    assert notes == sorted(f"{n}-{i}" for n in range(4) for i in range(10))


def test_a_failure_mid_write_leaves_the_ledger_unchanged(
    work_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(work_registry, 27, "区住建局", "推进中", date(2020, 11, 1))
    before = _snapshot(work_registry / "progress")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        _record(work_registry, 27, "区住建局", "已完成", date(2020, 12, 1))
    monkeypatch.undo()
    assert _snapshot(work_registry / "progress") == before
    assert not list((work_registry / "progress").glob("*.tmp"))
    assert len(load_ledger(work_registry).entries) == 1


def test_a_broken_ledger_file_is_reported_with_file_and_line(work_registry: Path) -> None:
    folder = work_registry / "progress"
    folder.mkdir()
    (folder / "区住建局.yaml").write_text(
        "entries:\n- task: 27\n  unit: 区住建局\n  status: 完成了\n  date: 2020-11-01\n"
        "  recorded_at: 2020-11-01T08:00:00\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as caught:
        load_ledger(work_registry)
    assert [str(p) for p in caught.value.problems] == [
        f"{folder / '区住建局.yaml'}:4: entries[第1项].status: "
        "应为以下之一：未启动、推进中、已完成、已销号、延期、暂缓"
    ]


# -- through the command line -----------------------------------------------------------------


def _run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_init_refuses_an_existing_registry(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "台账"
    assert _run(runner, "init", str(target))[0] == 0
    (target / "tasks.yaml").write_text("# 我的修改\n", encoding="utf-8")
    code, _, err = _run(runner, "init", str(target))
    assert code == 2 and "已有登记册" in err
    assert (target / "tasks.yaml").read_text(encoding="utf-8") == "# 我的修改\n"


def test_recording_against_the_embedded_registry_suggests_init(runner: CliRunner) -> None:
    code, _, err = _run(
        runner, "update", "27", "--unit", "区住建局", "--status", "推进中", "--date", "2021-01-01"
    )
    assert code == 1
    assert "内置登记册是只读的" in err and "safecity init" in err


def test_a_year_of_progress_agrees_across_commands(runner: CliRunner, work_registry: Path) -> None:
    data = str(work_registry)
    steps = [
        ("27", "区住建局", "推进中", "2020-11-20"),
        ("27", "各街办", "已完成", "2020-12-15"),
        ("27", "各园区管委会", "已完成", "2020-12-18"),
        ("27", "区住建局", "已完成", "2021-01-10"),
        ("76", "区财政局", "延期", "2020-12-30"),
    ]
    for task, unit, status, day in steps:
        extra = ["--new-deadline", "2021-03-31"] if status == "延期" else []
        code, _, err = _run(
            runner,
            "update",
            task,
            "--unit",
            unit,
            "--status",
            status,
            "--date",
            day,
            "--data",
            data,
            *extra,
        )
        assert code == 0, err
        if status == "延期":  # the office approves the request the same day
            asked = err.split("记录编号 ")[1].split("）")[0]
            approval = ["approve", asked, "-u", unit, "--date", day, "--data", data]
            code, _, err = _run(runner, *approval)
            assert code == 0, err

    def overdue_ids(day: str) -> list[int]:
        out = _run(runner, "overdue", "--date", day, "--format", "json", "--data", data)[1]
        return [t["id"] for t in json.loads(out)]

    assert 27 in overdue_ids("2021-01-05") and 27 not in overdue_ids("2021-01-10")
    assert 76 not in overdue_ids("2021-01-05") and 76 in overdue_ids("2021-04-01")
    done = _run(
        runner, "list", "--status", "已完成", "--date", "2021-01-10", "-f", "json", "--data", data
    )[1]
    assert [t["id"] for t in json.loads(done)] == [27]
    shown = json.loads(
        _run(runner, "show", "27", "--date", "2020-12-16", "-f", "json", "--data", data)[1]
    )
    assert shown["status"] == "推进中"
    assert shown["unit_status"] == {
        "区住建局": "推进中",
        "各街办": "已完成",
        "各园区管委会": "未启动",
    }
    history = json.loads(_run(runner, "history", "27", "-f", "json", "--data", data)[1])
    assert [(h["date"], h["unit"], h["status"]) for h in history] == [
        ("2020-11-20", "区住建局", "推进中"),
        ("2020-12-15", "各街办", "已完成"),
        ("2020-12-18", "各园区管委会", "已完成"),
        ("2021-01-10", "区住建局", "已完成"),
    ]
    deferred = json.loads(_run(runner, "history", "76", "-f", "json", "--data", data)[1])
    assert deferred[0]["new_deadline"] == "2021-03-31"
    assert set(deferred[0]) >= {"date", "unit", "status", "note", "evidence", "by", "new_deadline"}


def test_undo_removes_the_last_entry_after_confirmation(
    runner: CliRunner, work_registry: Path
) -> None:
    data = str(work_registry)
    for status, day in (("推进中", "2020-11-20"), ("已完成", "2020-12-20")):
        _run(runner, "update", "27", "-u", "住建", "-s", status, "--date", day, "--data", data)
    declined = runner.invoke(app, ["undo", "--data", data], input="n\n")
    assert declined.exit_code == 1 and len(load_ledger(work_registry).entries) == 2
    accepted = runner.invoke(app, ["undo", "--data", data], input="y\n")
    assert accepted.exit_code == 0
    assert "已完成" in accepted.stderr
    assert [e.status for e in load_ledger(work_registry).entries] == [Status.IN_PROGRESS]
    assert _run(runner, "undo", "--yes", "--data", data)[0] == 0
    code, _, err = _run(runner, "undo", "--yes", "--data", data)
    assert code == 1 and "没有可撤销的进展记录" in err


def test_ledger_files_are_readable_by_colleagues(work_registry: Path) -> None:
    old = os.umask(0o022)
    try:
        _record(work_registry, 27, "区住建局", "推进中", date(2020, 11, 1))
    finally:
        os.umask(old)
    mode = (work_registry / "progress" / "区住建局.yaml").stat().st_mode & 0o777
    assert mode == 0o644


def test_evidence_is_found_again_from_any_folder(
    work_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = work_registry / "佐证"
    inside.mkdir()
    (inside / "照片.jpg").write_bytes(b"jpeg")
    outside = tmp_path / "外部.pdf"
    outside.write_bytes(b"pdf")
    registry = load_registry(work_registry)
    monkeypatch.chdir(inside)
    entry = check_report(
        registry,
        load_ledger(work_registry),
        Report(27, "区住建局", "推进中", date(2020, 11, 1), evidence=("照片.jpg", str(outside))),
        today=TODAY,
        recorded_at=datetime.now(),
        evidence_base=Path.cwd(),
    )
    assert [e.ref for e in entry.evidence] == ["佐证/照片.jpg", str(outside.resolve())]
    monkeypatch.chdir(tmp_path)
    assert [check_evidence(e, work_registry) for e in entry.evidence] == [None, None]


def test_a_disk_error_is_a_message_not_a_traceback(
    runner: CliRunner, work_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(work_registry, 27, "区住建局", "推进中", date(2020, 11, 1))
    before = _snapshot(work_registry / "progress")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    code, out, err = _run(
        runner,
        "update",
        "27",
        "-u",
        "住建",
        "-s",
        "已完成",
        "--date",
        "2020-12-01",
        "--data",
        str(work_registry),
    )
    monkeypatch.undo()
    assert code == 1 and out == ""
    assert err == "错误：文件读写失败（No space left on device）；已有数据未被改动\n"
    assert _snapshot(work_registry / "progress") == before


def test_repeats_are_skipped_under_the_lock_when_asked(work_registry: Path) -> None:
    from safecity_cli.ledger.entries import Entry

    first = Entry(
        27, "区住建局", Status.DONE, date(2020, 12, 1), datetime(2021, 1, 1, 9), note="完成"
    )
    again = Entry(
        27, "区住建局", Status.DONE, date(2020, 12, 1), datetime(2021, 1, 2, 9), note="完成"
    )
    other = Entry(
        28, "区住建局", Status.DONE, date(2020, 12, 1), datetime(2021, 1, 2, 9), note="完成"
    )
    assert append_entries(work_registry, [first]) == 1
    assert append_entries(work_registry, [again, other], skip_repeats=True) == 1
    assert [e.task for e in load_ledger(work_registry).entries] == [27, 28]
    assert append_entries(work_registry, [again]) == 1  # update records what it is told


def test_validate_reports_every_progress_file_with_lines(
    runner: CliRunner, work_registry: Path
) -> None:
    folder = work_registry / "progress"
    folder.mkdir()
    (folder / "区交运局.yaml").write_text(
        "entries:\n- task: 999\n  unit: 区交运局\n  status: 推进中\n  date: 2021-01-01\n"
        "  recorded_at: 2021-01-01T08:00:00\n",
        encoding="utf-8",
    )
    (folder / "区住建局.yaml").write_text(
        "entries:\n- task: 27\n  unit: 区住建局\n  status: 完成了\n  date: 2021-01-01\n"
        "  recorded_at: 2021-01-01T08:00:00\n",
        encoding="utf-8",
    )
    code, out, err = _run(runner, "validate", "--data", str(work_registry))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{folder / '区交运局.yaml'}:2: entries[第1项].task: 进展记录引用了不存在的任务序号 999",
        f"{folder / '区住建局.yaml'}:4: entries[第1项].status: "
        "应为以下之一：未启动、推进中、已完成、已销号、延期、暂缓",
        "错误：登记册有 2 处错误",
    ]


def test_a_task_is_closed_only_once(work_registry: Path) -> None:
    _record(work_registry, 76, "区财政局", "已完成", date(2021, 1, 4))
    registry = load_registry(work_registry)
    record(
        registry,
        [
            check_close(
                registry,
                load_ledger(work_registry),
                76,
                date(2021, 3, 10),
                today=TODAY,
                recorded_at=datetime.now(),
            )
        ],
    )
    with pytest.raises(LedgerError, match="任务 76 已于2021年3月10日销号"):
        check_close(
            registry,
            load_ledger(work_registry),
            76,
            date(2021, 3, 5),
            today=TODAY,
            recorded_at=datetime.now(),
        )


def test_a_deferral_cannot_bring_a_deadline_forward(work_registry: Path) -> None:
    with pytest.raises(UsageError, match="不能早于现在的完成时限2020年12月31日"):
        _record(
            work_registry,
            76,
            "区财政局",
            "延期",
            date(2020, 12, 1),
            new_deadline=date(2020, 12, 15),
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            "  status: 推进中\n  new_deadline: 2021-02-01\n",
            "只有状态为「延期」的记录才能有 new_deadline",
        ),
        ("  status: 延期\n", "状态为「延期」的记录必须有 new_deadline"),
        (
            "  status: 延期\n  new_deadline: 2020-12-01\n",
            "new_deadline（调整后的完成时限）应晚于 date",
        ),
    ],
)
def test_hand_written_entries_follow_the_rules_of_update(
    work_registry: Path, fields: str, message: str
) -> None:
    folder = work_registry / "progress"
    folder.mkdir()
    (folder / "区财政局.yaml").write_text(
        f"entries:\n- task: 76\n  unit: 区财政局\n{fields}  date: 2021-01-01\n"
        "  recorded_at: 2021-01-01T08:00:00\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as caught:
        load_ledger(work_registry)
    assert [p.message for p in caught.value.problems] == [message]


def test_times_with_and_without_a_zone_mix(work_registry: Path) -> None:
    folder = work_registry / "progress"
    folder.mkdir()
    (folder / "区财政局.yaml").write_text(
        "entries:\n- task: 76\n  unit: 区财政局\n  status: 推进中\n  date: 2021-01-01\n"
        "  recorded_at: 2021-01-01T08:00:00+08:00\n"
        "- task: 76\n  unit: 区财政局\n  status: 已完成\n  date: 2021-01-02\n"
        "  recorded_at: 2021-01-02T08:00:00\n",
        encoding="utf-8",
    )
    ledger = load_ledger(work_registry)
    # A time written without an offset is district time (+08:00), whatever the machine's TZ.
    assert [e.recorded_at.utcoffset() for e in ledger.entries] == [timedelta(hours=8)] * 2
    assert ledger.latest() is not None and ledger.latest().status is Status.DONE  # type: ignore[union-attr]


def test_an_append_to_several_files_lands_whole_or_not_at_all(
    work_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import safecity_cli.files as files_module
    from safecity_cli.ledger.entries import Entry

    _record(work_registry, 27, "区住建局", "推进中", date(2020, 11, 1))
    before = _snapshot(work_registry / "progress")
    real, calls = files_module._stage, []

    def fail_second(path: Path, text: str | bytes) -> Path:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, text)

    monkeypatch.setattr(files_module, "_stage", fail_second)
    batch = [
        Entry(27, "区住建局", Status.DONE, date(2020, 12, 1), datetime(2021, 1, 1)),
        Entry(76, "区财政局", Status.DONE, date(2020, 12, 1), datetime(2021, 1, 1)),
    ]
    with pytest.raises(OSError):
        append_entries(work_registry, batch)
    assert _snapshot(work_registry / "progress") == before
    assert not list((work_registry / "progress").glob(".*.tmp"))


def test_a_deferral_of_a_recurring_task_holds_for_its_period_only(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "mini"
    shutil.copytree(Path(__file__).parent / "fixtures" / "mini", data)
    _record(data, 8, "县应急局", "延期", date(2021, 1, 10), new_deadline=date(2021, 4, 20))
    _approve(data, 8, "县应急局", date(2021, 1, 10))
    registry, ledger = load_registry(data), load_ledger(data)
    task = registry.task(8)
    assert task is not None
    assert task_state(registry, ledger, task, date(2021, 3, 31)).deadline == date(2021, 4, 20)
    later = task_state(registry, ledger, task, date(2021, 12, 1))
    # Issue 12: each period falls due at its end; nothing was reported within the second
    # quarter, so by December the unit is overdue for it (it used to be never overdue).
    assert (later.deadline, later.days_overdue) == (date(2021, 6, 30), 154)
    assert later.period is not None and later.period.label == "2021年第二季度"
