"""The 台账 keeps its promises: appended, never rewritten; ids; one lock; all or nothing."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.dates import DISTRICT_ZONE
from safecity_cli.errors import LedgerError
from safecity_cli.ledger import files as ledger_files
from safecity_cli.ledger import journal
from safecity_cli.ledger.entries import Entry, Status
from safecity_cli.ledger.files import append_entries, load_ledger
from safecity_cli.registry.load import load_registry
from safecity_cli.tracking.recording import check_close, record

HOUSING = "区住建局.yaml"
SRC = Path(__file__).parent.parent / "src"


def _run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _update(runner: CliRunner, data: Path, *extra: str) -> tuple[int, str, str]:
    args = ["update", "27", "-u", "住建", "-s", "推进中", "--date", "2020-11-20", *extra]
    return _run(runner, *args, "--data", str(data))


def _write(data: Path, name: str, text: str | bytes) -> Path:
    folder = data / "progress"
    folder.mkdir(exist_ok=True)
    path = folder / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


ENTRY = (
    "{i}- task: 27\n"
    "{i}  unit: 区住建局   # 手工录入\n"
    "{i}  status: 推进中\n"
    "{i}  date: 2020-11-01\n"
    "{i}  note: >-\n"
    "{i}    折叠的\n"
    "{i}    说明\n"
    "{i}  recorded_at: 2020-11-01T09:00:00+08:00\n"
)


@pytest.mark.parametrize(
    "text",
    [
        "# 区住建局的台账，张三整理\nentries:\n" + ENTRY.format(i="") + "# 以上为 11 月\n",
        "entries:\n" + ENTRY.format(i="  "),  # items indented under the key
        ("entries:\n" + ENTRY.format(i="")).replace("\n", "\r\n"),  # saved on Windows
        "\ufeffentries:\n" + ENTRY.format(i="").rstrip("\n"),  # a BOM, no final newline
        "# 还没有记录\n",
        "# 撤销后只剩表头\nentries:\n",
    ],
    ids=["comments", "indented", "crlf", "bom-no-newline", "comment-only", "empty-list"],
)
def test_recording_appends_and_keeps_every_byte_already_written(
    runner: CliRunner, work_registry: Path, text: str
) -> None:
    path = _write(work_registry, HOUSING, text)
    before = path.read_bytes()
    old = load_ledger(work_registry).entries
    code, _, err = _update(runner, work_registry, "--note", "第二条")
    assert code == 0, err
    after = path.read_bytes()
    assert after.startswith(before)
    ledger = load_ledger(work_registry)
    assert ledger.entries[: len(old)] == old
    new = ledger.entries[-1]
    assert new.note == "第二条" and re.fullmatch("[0-9a-f]{12}", new.id)
    added = after[len(before) :].decode("utf-8")
    # an id of digits only (about 1 in 300) is quoted, so that it reads back as text
    assert f"id: {new.id}" in added or f"id: '{new.id}'" in added
    assert re.search(r"recorded_at: '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+08:00'", added)
    if "\r\n" in text:
        assert "\n" not in added.replace("\r\n", "")


def test_an_empty_bracket_list_left_by_an_older_undo_is_continued(
    runner: CliRunner, work_registry: Path
) -> None:
    path = _write(work_registry, HOUSING, "# 张三整理\nentries: []   # 已全部撤销\n")
    assert _update(runner, work_registry)[0] == 0
    (entry,) = load_ledger(work_registry).entries
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# 张三整理\nentries:   # 已全部撤销\n- id: {entry.id}\n")


def test_a_new_file_gets_the_header_and_the_entries_key(
    runner: CliRunner, work_registry: Path
) -> None:
    assert _update(runner, work_registry)[0] == 0
    lines = (work_registry / "progress" / HOUSING).read_text(encoding="utf-8").splitlines()
    assert lines[:3] == [
        "# 区住建局 的进展记录。由 safecity 追加写入；更正请追加新记录，不要修改已有条目。",
        "entries:",
        f"- id: {load_ledger(work_registry).entries[0].id}",
    ]


def test_a_flow_list_cannot_be_appended_to_and_is_left_alone(
    runner: CliRunner, work_registry: Path
) -> None:
    path = _write(
        work_registry,
        HOUSING,
        "entries: [{task: 27, unit: 区住建局, status: 推进中, date: 2020-11-01,"
        " recorded_at: 2020-11-01T09:00:00}]\n",
    )
    before = path.read_bytes()
    code, out, err = _update(runner, work_registry)
    assert (code, out) == (1, "")
    assert err == (
        f"错误：{path}：entries 写成了方括号列表，无法只在末尾追加记录；"
        "请改为每条记录以「- 」开头的写法\n"
    )
    assert path.read_bytes() == before


def _with_tz(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()


def test_timestamps_carry_the_district_offset_whatever_the_machines_tz(
    runner: CliRunner, work_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        _with_tz(monkeypatch, "America/New_York")
        assert _update(runner, work_registry)[0] == 0
    finally:
        monkeypatch.delenv("TZ", raising=False)
        time.tzset()
    text = (work_registry / "progress" / HOUSING).read_text(encoding="utf-8")
    (stamp,) = re.findall(r"recorded_at: '(.*)'", text)
    moment = datetime.fromisoformat(stamp)
    assert moment.utcoffset() == timedelta(hours=8)
    assert abs(moment - datetime.now(DISTRICT_ZONE)) < timedelta(minutes=5)


def test_times_are_compared_as_instants(work_registry: Path) -> None:
    # 09:30 in the district, 10:00 in the district written in UTC, and 09:45 written without a
    # zone (read as district time, as older files were written).
    rows = [("09:30", "2021-01-01T09:30:00+08:00"), ("10:00", "2021-01-01T02:00:00+00:00")]
    rows.append(("09:45", "2021-01-01T09:45:00"))
    text = "entries:\n" + "".join(
        f"- task: 76\n  unit: 区财政局\n  status: 推进中\n  date: 2021-01-01\n"
        f"  note: '{note}'\n  recorded_at: {stamp}\n"
        for note, stamp in rows
    )
    _write(work_registry, "区财政局.yaml", text)
    ledger = load_ledger(work_registry)
    assert [e.note for e in ledger.for_task(76)] == ["09:30", "09:45", "10:00"]
    assert ledger.latest() is not None and ledger.latest().note == "10:00"  # type: ignore[union-attr]


OLD = (
    "entries:\n"
    "- task: 76\n  unit: 区财政局\n  status: 推进中\n  date: 2021-01-01\n  note: 旧记录\n"
    "  recorded_at: '2021-01-01T08:00:00.000000'\n"
    "- task: 76\n  unit: 区财政局\n  status: 已完成\n  date: 2021-01-04\n"
    "  recorded_at: 2021-01-04T17:00:00+08:00\n"
)


def test_old_entries_get_an_id_from_their_content_stable_across_reads(
    runner: CliRunner, work_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(work_registry, "区财政局.yaml", OLD)
    data = str(work_registry)
    ids = [e.id for e in load_ledger(work_registry).entries]
    assert len(set(ids)) == 2 and all(re.fullmatch("[0-9a-f]{12}", i) for i in ids)
    outputs = set()
    try:
        for zone in ("America/New_York", "Asia/Shanghai", "UTC"):
            _with_tz(monkeypatch, zone)
            assert [e.id for e in load_ledger(work_registry).entries] == ids
            for _ in range(2):  # the second reads the cache the first filled
                code, out, _ = _run(runner, "history", "76", "-f", "json", "--data", data)
                assert code == 0
                outputs.add(out)
    finally:
        monkeypatch.delenv("TZ", raising=False)
        time.tzset()
    (out,) = outputs
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ids
    assert [r["recorded_at"] for r in rows] == [
        "2021-01-01T08:00:00+08:00",
        "2021-01-04T17:00:00+08:00",
    ]
    table = _run(runner, "history", "76", "--data", data)[1]
    assert "编号" in table and all(i in table for i in ids)


def test_a_repeated_id_is_a_problem_validate_lists(runner: CliRunner, work_registry: Path) -> None:
    entry = (
        "- id: 0123456789ab\n  task: 76\n  unit: 区财政局\n  status: 推进中\n"
        "  date: 2021-01-01\n  recorded_at: 2021-01-01T08:00:00+08:00\n"
    )
    path = _write(work_registry, "区财政局.yaml", "entries:\n" + entry + entry)
    code, _, err = _run(runner, "validate", "--data", str(work_registry))
    assert code == 1
    assert err.splitlines() == [
        f"{path}:8: entries[第2项].id: 记录编号 0123456789ab 重复（区财政局.yaml 第1项已有）",
        "错误：登记册有 1 处错误",
    ]


def test_undo_appends_and_keeps_every_byte_written_before(
    runner: CliRunner, work_registry: Path
) -> None:
    path = _write(
        work_registry, HOUSING, "# 张三整理\nentries:\n" + ENTRY.format(i="") + "# 尾注\n"
    )
    assert _update(runner, work_registry, "--note", "要撤销的")[0] == 0
    before = path.read_bytes()
    undone = load_ledger(work_registry).latest()
    assert undone is not None and undone.note == "要撤销的"
    code, _, err = _run(runner, "undo", "--yes", "--data", str(work_registry))
    assert code == 0, err
    after = path.read_bytes()
    assert after.startswith(before) and b"kind: \xe6\x92\xa4\xe9\x94\x80" in after  # 撤销
    ledger = load_ledger(work_registry)
    assert [e.note for e in ledger.entries] == ["折叠的 说明"]  # the reversed one no longer counts
    assert ledger.find(undone.id) == undone  # and is still there


def test_undo_names_its_target_by_id_and_checks_it_is_still_the_last(work_registry: Path) -> None:
    from safecity_cli.tracking.recording import check_undo

    def entry(day: int, note: str) -> Entry:
        moment = datetime(2021, 1, day, 9, tzinfo=DISTRICT_ZONE)
        return Entry(27, "区住建局", Status.IN_PROGRESS, date(2021, 1, day), moment, note)

    first, second, third = entry(1, "一"), entry(2, "二"), entry(3, "三")
    append_entries(work_registry, [first, second])
    append_entries(work_registry, [third])  # someone records between `undo` showing and confirming
    now = datetime(2021, 1, 4, 9, tzinfo=DISTRICT_ZONE)
    ledger = load_ledger(work_registry)
    with pytest.raises(LedgerError, match="刚才显示的记录已不是最后一条"):
        check_undo(ledger, None, date(2021, 1, 4), recorded_at=now, expected=second.id)
    reversal = check_undo(ledger, second.id, date(2021, 1, 4), recorded_at=now)
    append_entries(work_registry, [reversal])
    assert [e.note for e in load_ledger(work_registry).entries] == ["一", "三"]
    with pytest.raises(LedgerError, match=f"记录 {second.id} 已于2021年1月4日撤销"):
        check_undo(load_ledger(work_registry), second.id, date(2021, 1, 4), recorded_at=now)
    with pytest.raises(LedgerError, match="本身是撤销记录，不能撤销"):
        check_undo(load_ledger(work_registry), reversal.id, date(2021, 1, 4), recorded_at=now)


# -- one lock for the check and the write ------------------------------------------------------


def test_the_checks_run_under_the_lock_on_the_ledger_as_it_is(work_registry: Path) -> None:
    registry = load_registry(work_registry)
    done = Entry(76, "区财政局", Status.DONE, date(2021, 1, 4), datetime(2021, 1, 4, 9))
    record(registry, [done])
    held: list[int] = []

    def close(ledger: object) -> list[Entry]:
        held.append(ledger_files._held)
        return [
            check_close(
                registry,
                ledger,  # type: ignore[arg-type]
                76,
                date(2021, 3, 10),
                today=date(2021, 7, 1),
                recorded_at=datetime.now(DISTRICT_ZONE),
            )
        ]

    assert record(registry, close) == 1
    with pytest.raises(LedgerError, match="任务 76 已于2021年3月10日销号"):
        record(registry, close)
    assert held == [1, 1]


def test_update_checks_its_deferral_rules_under_the_lock(
    runner: CliRunner, work_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import safecity_cli.tracking.recording as recording

    real, held = recording.check_report, []

    def spy(*args: object, **kwargs: object) -> Entry:
        held.append(ledger_files._held)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recording, "check_report", spy)
    deferral = ["-s", "延期", "--new-deadline", "2021-06-30", "--date", "2020-12-01"]
    args = ["update", "76", "-u", "财政", *deferral, "--data", str(work_registry)]
    assert _run(runner, *args)[0] == 0
    earlier = ["update", "76", "-u", "财政", "-s", "延期", "--new-deadline", "2021-03-31"]
    code, _, err = _run(runner, *earlier, "--date", "2020-12-05", "--data", str(work_registry))
    assert code == 1 and "已有待批的延期申请" in err
    assert held == [1, 1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["SAFECITY_CACHE_DIR"] = str(tmp_path / "cache")
    env.pop("SAFECITY_DATA", None)
    return env


def test_sixteen_concurrent_closers_make_one_record(
    runner: CliRunner, work_registry: Path, tmp_path: Path
) -> None:
    data = str(work_registry)
    args = ["update", "76", "-u", "财政", "-s", "已完成", "--date", "2021-01-04", "--data", data]
    assert _run(runner, *args)[0] == 0
    close = [sys.executable, "-m", "safecity_cli", "close", "76", "--date", "2021-03-10"]
    workers = [
        subprocess.Popen(
            [*close, "--data", data],
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(16)
    ]
    results = [(w.wait(120), *w.communicate()) for w in workers]
    assert sorted(code for code, _, _ in results) == [0] + [1] * 15
    assert sorted({err for code, _, err in results if code}) == [
        "错误：任务 76 已于2021年3月10日销号\n"
    ]
    assert [err for code, _, err in results if code == 0] == ["已销号：任务 76（2021年3月10日）\n"]
    office = [e for e in load_ledger(work_registry).entries if e.unit is None]
    assert len(office) == 1


# -- all or nothing, even under kill -9 --------------------------------------------------------


def _batch(n: int) -> list[Entry]:
    moment = datetime(2021, 1, 1, 9, tzinfo=DISTRICT_ZONE) + timedelta(microseconds=n)
    return [
        Entry(27, "区住建局", Status.IN_PROGRESS, date(2021, 1, 1), moment, f"批{n}"),
        Entry(76, "区财政局", Status.IN_PROGRESS, date(2021, 1, 1), moment, f"批{n}"),
    ]


def _leftovers(data: Path) -> list[str]:
    folder = data / "progress"
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.is_dir())


def test_a_committed_journal_is_completed_by_the_next_read(
    work_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_entries(work_registry, _batch(0))
    before = {p.name: p.read_bytes() for p in (work_registry / "progress").glob("*.yaml")}

    def killed(folder: Path, journal_dir: Path) -> None:
        raise KeyboardInterrupt  # the process dies right after the commit marker is written

    monkeypatch.setattr(journal, "_apply", killed)
    with pytest.raises(KeyboardInterrupt):
        append_entries(work_registry, _batch(1))
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in (work_registry / "progress").glob("*.yaml")} == before
    assert (work_registry / "progress" / ".journal" / "COMMIT").is_file()
    notes = [e.note for e in load_ledger(work_registry).entries]
    assert sorted(notes) == ["批0", "批0", "批1", "批1"]
    assert _leftovers(work_registry) == []


def test_an_uncommitted_journal_and_stray_temporary_files_are_discarded(
    work_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_entries(work_registry, _batch(0))
    folder = work_registry / "progress"
    (folder / f".{HOUSING}.x1y2.tmp").write_text("half a file", encoding="utf-8")

    def killed(src: object, dst: object) -> None:
        raise KeyboardInterrupt  # dies before the commit marker is in place

    monkeypatch.setattr(journal.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        append_entries(work_registry, _batch(1))
    monkeypatch.undo()
    assert (folder / ".journal").is_dir()
    assert sorted(e.note for e in load_ledger(work_registry).entries) == ["批0", "批0"]
    assert _leftovers(work_registry) == []


WRITER = """
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from safecity_cli.dates import DISTRICT_ZONE
from safecity_cli.ledger.entries import Entry, Status
from safecity_cli.ledger.files import append_entries

data, start = Path(sys.argv[1]), int(sys.argv[2])
for n in range(start, start + 10_000):
    moment = datetime(2021, 1, 1, 9, tzinfo=DISTRICT_ZONE) + timedelta(microseconds=n)
    append_entries(data, [
        Entry(27, "区住建局", Status.IN_PROGRESS, date(2021, 1, 1), moment, f"批{n}"),
        Entry(76, "区财政局", Status.IN_PROGRESS, date(2021, 1, 1), moment, f"批{n}"),
    ])
    print(n, flush=True)
"""


def test_kill_9_at_random_moments_leaves_all_of_a_write_or_none(
    work_registry: Path, tmp_path: Path
) -> None:
    rng = random.Random(9)
    start = 0
    for _ in range(24):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(work_registry), str(start)],
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        writer.stdout.readline()  # the first batch is in: now kill it somewhere in a later one
        time.sleep(rng.uniform(0, 0.15))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        ledger = load_ledger(work_registry)  # what any next command does first
        by_unit: dict[str | None, set[str]] = {}
        for entry in ledger.entries:
            by_unit.setdefault(entry.unit, set()).add(entry.note)
        assert by_unit["区住建局"] == by_unit["区财政局"]
        assert _leftovers(work_registry) == []
        start = max(int(note[1:]) for note in by_unit["区住建局"]) + 1
    assert start > 24  # every run got at least one batch in


def test_a_two_unit_import_is_whole_after_kill_9(runner: CliRunner, tmp_path: Path) -> None:
    from test_import_xlsx import MINI, fill, issue

    data = tmp_path / "mini"
    shutil.copytree(MINI, data)
    sheets = [issue(runner, data, unit, tmp_path / "回收") for unit in ("县住建局", "西街道")]
    for sheet in sheets:
        fill(sheet, {1: {"填报状态": "推进中", "报送日期": "2021/3/22"}})
    command = [sys.executable, "-m", "safecity_cli", "import", "xlsx", *map(str, sheets)]
    rng = random.Random(3)
    for _ in range(6):
        importer = subprocess.Popen(
            [*command, "--data", str(data)],
            env=_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.2))
        importer.send_signal(signal.SIGKILL)
        importer.wait()
        units = sorted(e.unit or "" for e in load_ledger(data).entries)
        assert units in ([], ["县住建局", "西街道"])
        assert not (data / "progress").exists() or _leftovers(data) == []


# -- re-import, and values that used to be internal errors ---------------------------------------


def test_a_sheet_imported_again_from_another_folder_is_not_recorded_twice(
    runner: CliRunner, tmp_path: Path
) -> None:
    from test_import_xlsx import MINI, fill, import_, issue

    data = tmp_path / "mini"
    shutil.copytree(MINI, data)
    first = tmp_path / "收件箱"
    sheet = issue(runner, data, "县应急局", first)
    (first / "验收.pdf").write_bytes(b"%PDF acceptance")
    fill(sheet, {4: {"填报状态": "已完成", "佐证材料": "验收.pdf", "报送日期": "2021/3/22"}})
    code, _, err = import_(runner, data, sheet)
    assert (code, err) == (0, "已为 县应急局 记录 1 条进展\n")
    before = {p.name: p.read_bytes() for p in (data / "progress").glob("*.yaml")}
    archive = tmp_path / "归档" / "三月"
    shutil.copytree(first, archive)
    code, _, err = import_(runner, data, archive / sheet.name)
    assert code == 0
    assert err == "没有需要记录的新进展（县应急局：填报 1 行，1 行与台账中已有记录相同，已跳过）\n"
    assert {p.name: p.read_bytes() for p in (data / "progress").glob("*.yaml")} == before


def test_a_time_outside_the_calendar_is_refused_with_its_line(
    runner: CliRunner, work_registry: Path
) -> None:
    path = _write(
        work_registry,
        "区财政局.yaml",
        "entries:\n- task: 76\n  unit: 区财政局\n  status: 推进中\n  date: 2021-01-01\n"
        "  recorded_at: 0001-01-01T00:00:00+14:00\n",
    )
    problem = (
        f"{path}:6: entries[第1项].recorded_at: "
        "记录时间「0001-01-01T00:00:00+14:00」超出范围（应在 1900–2999 年之间）"
    )
    for command in (["validate"], ["overdue", "--date", "2021-03-01"], ["history", "76"]):
        code, out, err = _run(runner, *command, "--data", str(work_registry))
        assert (code, out) == (1, "")
        assert err.splitlines() == [problem, "错误：登记册有 1 处错误"]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_final_deadline_far_in_the_future(
    runner: CliRunner, work_registry: Path, fmt: str
) -> None:
    schedule = work_registry / "schedule.yaml"
    text = schedule.read_text(encoding="utf-8")
    line = text.splitlines().index(next(x for x in text.splitlines() if "final_deadline:" in x)) + 1
    schedule.write_text(
        text.replace("final_deadline: 2021-07-31", "final_deadline: 9999-12-31"), encoding="utf-8"
    )
    weekly = ["report", "weekly", "--date", "2021-03-15", "-f", fmt, "--data", str(work_registry)]
    code, out, err = _run(runner, *weekly)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{schedule}:{line}: program.final_deadline: 日期 9999-12-31 超出范围（应在 1900–2999 年之间）",
        "错误：登记册有 1 处错误",
    ]
    schedule.write_text(
        text.replace("final_deadline: 2021-07-31", "final_deadline: 2999-12-31"), encoding="utf-8"
    )
    code, out, err = _run(runner, *weekly)
    assert code == 0, err
    assert "2999年12月31日" in out
