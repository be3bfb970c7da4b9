"""Issue 12, points 5–9: only the office closes, 延期 is requested then decided, two times on
every record (--as-recorded, 补录), undo appends, who recorded."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app
from safecity_cli.dates import DISTRICT_ZONE
from safecity_cli.ledger.files import PROGRESS_DIR, load_ledger


class Clock:
    """The moment safecity takes to be now: what recorded_at says, and today."""

    def __init__(self) -> None:
        self.moment = datetime(2021, 1, 4, 9, 0, tzinfo=DISTRICT_ZONE)

    def at(self, text: str) -> None:
        self.moment = datetime.fromisoformat(text).replace(tzinfo=DISTRICT_ZONE)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr("safecity_cli.cli.clock.now", lambda: fixed.moment)
    monkeypatch.delenv("SAFECITY_USER", raising=False)
    return fixed


def run(runner: CliRunner, data: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--data", str(data)])
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def ok(runner: CliRunner, data: Path, *args: str) -> tuple[str, str]:
    code, out, err = run(runner, data, *args)
    assert code == 0, err
    return out, err


def files(data: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((data / PROGRESS_DIR).glob("*.yaml"))}


def overdue_ids(runner: CliRunner, data: Path, day: str, *extra: str) -> list[int]:
    out, _ = ok(runner, data, "overdue", "--date", day, "-f", "json", *extra)
    return [t["id"] for t in json.loads(out)]


def request(runner: CliRunner, data: Path) -> str:
    """区财政局 asks to move task 76 (2020 年 12 月) to 30 April; the request's id."""
    args = ["update", "76", "-u", "财政", "-s", "延期", "--new-deadline", "2021-04-30"]
    _, err = ok(runner, data, *args, "--date", "2021-01-02", "--note", "资金未到位")
    assert "已记录延期申请" in err and "批准前仍按原时限计算" in err
    return err.split("记录编号 ")[1].split("）")[0]


# -- 5. only the office closes ------------------------------------------------------------------


def test_a_unit_cannot_close_its_own_task(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    code, _, err = run(runner, work_registry, "update", "97", "-u", "应急", "-s", "已销号")
    assert code == 1
    assert err == (
        "错误：「已销号」只能由创建办对整项任务办理：各责任单位报告「已完成」后，"
        "由创建办运行 safecity close 任务序号\n"
    )
    assert files(work_registry) == {}


# -- 6. 延期 is requested, then decided ---------------------------------------------------------


def test_a_request_leaves_the_original_deadline_in_force_until_approved(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    asked = request(runner, work_registry)
    assert 76 in overdue_ids(runner, work_registry, "2021-01-05")
    listing, _ = ok(runner, work_registry, "list", "-u", "财政", "--date", "2021-01-05", "-f", "md")
    assert "2020 年 12 月（申请延期至2021年4月30日，待批）" in listing
    shown = json.loads(
        ok(runner, work_registry, "show", "76", "--date", "2021-01-05", "-f", "json")[0]
    )
    assert [r["id"] for r in shown["requests"]] == [asked]
    assert shown["effective_deadline"] == "2020-12-31"

    clock.at("2021-01-06T10:00:00")
    _, err = ok(runner, work_registry, "approve", asked, "-u", "区财政局", "--note", "同意")
    assert err.startswith("已批准：任务 76 区财政局 延期至2021年4月30日（2021年1月6日，记录编号 ")
    assert 76 not in overdue_ids(runner, work_registry, "2021-01-07")
    assert 76 in overdue_ids(runner, work_registry, "2021-01-05")  # not yet decided that day
    after, _ = ok(runner, work_registry, "list", "-u", "财政", "--date", "2021-01-07", "-f", "md")
    assert "2020 年 12 月（调整为2021年4月30日）" in after and "待批" not in after
    history = json.loads(ok(runner, work_registry, "history", "76", "-f", "json")[0])
    assert [(e["kind"], e.get("ref")) for e in history] == [("延期申请", None), ("批准", asked)]
    assert history[0]["decision"]["kind"] == "批准"


def test_a_rejected_request_changes_nothing_but_stays_on_record(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    asked = request(runner, work_registry)
    code, _, err = run(runner, work_registry, "reject", asked, "-u", "财政")
    assert code == 2 and "缺少必填选项 --note" in err
    ok(runner, work_registry, "reject", asked, "-u", "财政", "--note", "理由不充分")
    assert 76 in overdue_ids(runner, work_registry, "2021-01-07")
    table, _ = ok(runner, work_registry, "history", "76", "-f", "md")
    assert "延期申请（已驳回） | 资金未到位" in table
    assert f"驳回延期 | 驳回记录 {asked} 的延期申请：理由不充分" in table


def test_decisions_are_refused_for_missing_decided_or_foreign_requests(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    asked = request(runner, work_registry)
    before = files(work_registry)
    code, _, err = run(runner, work_registry, "approve", "0123456789ab", "-u", "财政")
    assert (code, err) == (
        1,
        "错误：没有编号为 0123456789ab 的进展记录（编号见 safecity history）\n",
    )
    code, _, err = run(runner, work_registry, "approve", asked, "-u", "住建")
    assert code == 1
    assert err == (
        f"错误：记录 {asked} 是「区财政局」的延期申请，不是「区住建局」的，"
        "不能作为「区住建局」的申请批准\n"
    )
    assert files(work_registry) == before
    ok(runner, work_registry, "approve", asked, "-u", "财政")
    code, _, err = run(runner, work_registry, "reject", asked, "-u", "财政", "--note", "不同意")
    assert code == 1 and f"延期申请（记录编号 {asked}）已于2021年1月4日批准" in err
    assert "不能再驳回" in err
    code, _, err = run(runner, work_registry, "update", "76", "-u", "财政", "-s", "推进中")
    assert code == 0, err
    ids = [e.id for e in load_ledger(work_registry).all_records]
    code, _, err = run(runner, work_registry, "approve", ids[-1], "-u", "财政")
    assert code == 1 and "不是延期申请，不能批准" in err


def test_a_second_request_waits_for_the_first_decision(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    asked = request(runner, work_registry)
    again = ["update", "76", "-u", "财政", "-s", "延期", "--new-deadline", "2021-05-31"]
    code, _, err = run(runner, work_registry, *again)
    assert code == 1 and f"已有待批的延期申请（记录编号 {asked}" in err


def test_a_deferral_written_before_requests_existed_counts_as_approved(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    folder = work_registry / PROGRESS_DIR
    folder.mkdir()
    (folder / "区财政局.yaml").write_text(
        "entries:\n"
        "- task: 76\n  unit: 区财政局\n  status: 延期\n  date: 2020-12-28\n"
        "  new_deadline: 2021-03-31\n  recorded_at: 2020-12-28T09:00:00+08:00\n",
        encoding="utf-8",
    )
    assert 76 not in overdue_ids(runner, work_registry, "2021-01-05")
    assert 76 in overdue_ids(runner, work_registry, "2021-04-02")


def test_a_decision_without_the_request_it_names_is_a_file_error(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    folder = work_registry / PROGRESS_DIR
    folder.mkdir()
    path = folder / "区财政局.yaml"
    path.write_text(
        "entries:\n"
        "- task: 76\n  unit: 区财政局\n  status: 延期\n  kind: 批准\n  date: 2020-12-28\n"
        "  new_deadline: 2021-03-31\n  recorded_at: 2020-12-28T09:00:00+08:00\n",
        encoding="utf-8",
    )
    code, _, err = run(runner, work_registry, "validate")
    assert code == 1
    assert "ref（所针对记录的编号）只能且必须出现在「批准」「驳回」「撤销」记录中" in err


def test_the_weekly_briefing_lists_pending_requests(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    asked = request(runner, work_registry)
    text, _ = ok(runner, work_registry, "report", "weekly", "--date", "2021-01-05")
    section = text.split("### （四）待批的延期申请")[1].split("### （五）")[0]
    assert "有 1 项延期申请待创建办批准" in section
    assert f"| 2021年1月2日 | 2020年12月31日 | 2021年4月30日 | 资金未到位 | {asked} |" in section


# -- 7. two times on every record ---------------------------------------------------------------


def test_a_back_dated_record_does_not_change_what_was_answered(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    clock.at("2021-01-05T18:00:00")
    answered = overdue_ids(runner, work_registry, "2021-01-05")
    assert 76 in answered
    clock.at("2021-01-12T09:30:00")  # a week later, someone records what was done on the 3rd
    ok(runner, work_registry, "update", "76", "-u", "财政", "-s", "已完成", "--date", "2021-01-03")
    assert 76 not in overdue_ids(runner, work_registry, "2021-01-05")
    as_then = overdue_ids(runner, work_registry, "2021-01-05", "--as-recorded", "2021-01-05")
    assert as_then == answered
    history = json.loads(ok(runner, work_registry, "history", "76", "-f", "json")[0])
    assert [(e["date"], e["late"]) for e in history] == [("2021-01-03", True)]
    assert "补录" in ok(runner, work_registry, "history", "76")[0]
    briefing, _ = ok(runner, work_registry, "report", "weekly", "--date", "2021-01-12")
    late = briefing.split("### （五）本周补录的进展")[1].split("## 四、")[0]
    assert "| 2021年1月3日 | 2021年1月12日 | 区财政局 | 76 |" in late


def test_a_report_printed_with_its_stamp_comes_back_byte_for_byte(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    clock.at("2021-01-04T16:20:00")
    ok(runner, work_registry, "update", "27", "-u", "住建", "-s", "推进中", "--note", "排查 30 处")
    clock.at("2021-01-05T17:00:00")
    first, _ = ok(runner, work_registry, "report", "weekly", "--date", "2021-01-05")
    stamp = "2021-01-04T16:20:00.000000+08:00"
    assert f"> 记录截至 {stamp}：此后记录的进展不计入本报告" in first
    clock.at("2021-01-09T11:00:00")
    ok(
        runner,
        work_registry,
        "update",
        "27",
        "-u",
        "各街办",
        "-s",
        "已完成",
        "--date",
        "2021-01-04",
    )
    ok(runner, work_registry, "update", "76", "-u", "财政", "-s", "推进中", "--date", "2021-01-05")
    code, _, _ = run(runner, work_registry, "undo", "--yes")
    assert code == 0
    assert ok(runner, work_registry, "report", "weekly", "--date", "2021-01-05")[0] != first
    again, _ = ok(
        runner, work_registry, "report", "weekly", "--date", "2021-01-05", "--as-recorded", stamp
    )
    assert again == first


def test_late_after_days_comes_from_the_program_settings(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    schedule = work_registry / "schedule.yaml"
    text = schedule.read_text(encoding="utf-8")
    schedule.write_text(
        text.replace(
            "  final_deadline: 2021-07-31", "  late_after_days: 10\n  final_deadline: 2021-07-31"
        ),
        encoding="utf-8",
    )
    clock.at("2021-01-12T09:30:00")
    ok(runner, work_registry, "update", "76", "-u", "财政", "-s", "已完成", "--date", "2021-01-03")
    history = json.loads(ok(runner, work_registry, "history", "76", "-f", "json")[0])
    assert history[0]["late"] is False


def test_as_recorded_is_checked_and_only_reading_commands_take_it(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    code, _, err = run(runner, work_registry, "list", "--as-recorded", "2021-01-05T25:00")
    assert code == 2 and "--as-recorded 的值「2021-01-05T25:00」不是有效的时间" in err
    code, _, err = run(
        runner, work_registry, "update", "27", "-u", "住建", "-s", "推进中", "--as-recorded", "x"
    )
    assert code == 2 and "没有选项 --as-recorded" in err


def test_a_day_before_later_records_reads_from_the_index_what_the_files_say(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    """overdue and due take from the index only the records dated by their day, and every
    撤销: a decision, a reversal and a report made later are as if read from the files."""
    asked = request(runner, work_registry)  # task 76, dated 2 January
    ok(runner, work_registry, "update", "27", "-u", "住建", "-s", "已完成", "--date", "2021-01-03")
    done = load_ledger(work_registry).latest()
    assert done is not None
    clock.at("2021-01-06T10:00:00")
    ok(runner, work_registry, "approve", asked, "-u", "区财政局")
    clock.at("2021-01-08T10:00:00")
    ok(runner, work_registry, "undo", "--entry", done.id, "--yes")
    ok(runner, work_registry, "update", "76", "-u", "财政", "-s", "推进中", "--note", "已拨付")
    for day in ("2021-01-03", "2021-01-05", "2021-01-07", "2021-01-09"):
        for query in (("overdue",), ("due", "-w", "120")):
            args = (*query, "--date", day, "-f", "json")
            assert ok(runner, work_registry, *args) == ok(
                runner, work_registry, *args, "--no-cache"
            )
    out, _ = ok(runner, work_registry, "overdue", "--date", "2021-01-05", "-f", "json")
    early = {t["id"]: t for t in json.loads(out)}
    assert early[27]["unit_status"]["区住建局"] == "未启动"  # the 撤销 holds from the start
    assert early[76]["requests"][0]["id"] == asked and early[76]["latest_note"] == "资金未到位"
    assert 76 not in overdue_ids(runner, work_registry, "2021-01-07")


# -- 8. undo appends ----------------------------------------------------------------------------


def test_undo_appends_a_reversal_that_history_shows(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    ok(runner, work_registry, "update", "27", "-u", "住建", "-s", "推进中", "--note", "第一条")
    clock.at("2021-01-04T10:00:00")
    ok(runner, work_registry, "update", "27", "-u", "住建", "-s", "已完成", "--note", "记错了")
    before = files(work_registry)["区住建局.yaml"]
    wrong = load_ledger(work_registry).latest()
    assert wrong is not None
    clock.at("2021-01-04T11:00:00")
    _, err = ok(runner, work_registry, "undo", "--yes", "--by", "李四")
    assert err.startswith(f"最后一条记录：编号 {wrong.id}：任务 27 区住建局 已完成（2021年1月4日）")
    after = files(work_registry)["区住建局.yaml"]
    assert after.startswith(before) and len(after) > len(before)  # nothing deleted
    history = json.loads(ok(runner, work_registry, "history", "27", "-f", "json")[0])
    assert [(e["note"], e.get("kind"), e.get("ref"), e["reversed_by"]) for e in history] == [
        ("第一条", None, None, None),
        ("记错了", None, None, history[2]["id"]),
        ("", "撤销", wrong.id, None),
    ]
    assert history[2]["by"] == "李四"
    shown = json.loads(ok(runner, work_registry, "show", "27", "-f", "json")[0])
    assert shown["unit_status"]["区住建局"] == "推进中"
    code, _, err = run(runner, work_registry, "undo", "--entry", history[2]["id"], "--yes")
    assert code == 1 and "本身是撤销记录，不能撤销" in err
    code, _, err = run(runner, work_registry, "undo", "--entry", wrong.id, "--yes")
    assert code == 1 and f"记录 {wrong.id} 已于2021年1月4日撤销" in err


def test_undo_entry_reverses_an_earlier_record(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    ok(runner, work_registry, "update", "76", "-u", "财政", "-s", "已完成", "--date", "2021-01-02")
    first = load_ledger(work_registry).latest()
    assert first is not None
    clock.at("2021-01-04T10:00:00")
    ok(runner, work_registry, "update", "27", "-u", "住建", "-s", "推进中")
    assert 76 not in overdue_ids(runner, work_registry, "2021-01-04")
    ok(runner, work_registry, "undo", "--entry", first.id, "--yes")
    assert 76 in overdue_ids(runner, work_registry, "2021-01-04")
    ledger = load_ledger(work_registry)
    assert [e.unit for e in ledger.entries] == ["区住建局"]
    assert ledger.find(first.id) == first
    code, _, err = run(runner, work_registry, "undo", "--entry", "0123456789ab", "--yes")
    assert code == 1 and "没有编号为 0123456789ab 的进展记录" in err


# -- 9. who -------------------------------------------------------------------------------------


def test_by_defaults_to_the_user_then_to_the_registrys_operator(
    runner: CliRunner, work_registry: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = work_registry / "schedule.yaml"
    text = schedule.read_text(encoding="utf-8")
    schedule.write_text(
        text.replace(
            "  final_deadline: 2021-07-31", "  operator: 创建办王五\n  final_deadline: 2021-07-31"
        ),
        encoding="utf-8",
    )
    ok(runner, work_registry, "update", "27", "-u", "住建", "-s", "推进中", "--note", "一")
    monkeypatch.setenv("SAFECITY_USER", "赵六")
    ok(runner, work_registry, "update", "27", "-u", "住建", "-s", "推进中", "--note", "二")
    ok(
        runner,
        work_registry,
        "update",
        "27",
        "-u",
        "住建",
        "-s",
        "推进中",
        "--note",
        "三",
        "--by",
        "孙七",
    )
    history = json.loads(ok(runner, work_registry, "history", "27", "-f", "json")[0])
    assert [(e["note"], e["by"]) for e in history] == [
        ("一", "创建办王五"),
        ("二", "赵六"),
        ("三", "孙七"),
    ]


def test_exports_take_as_recorded_too(runner: CliRunner, work_registry: Path, clock: Clock) -> None:
    def status_of_76(*extra: str) -> str:
        out, _ = ok(runner, work_registry, "export", "json", "--date", "2021-01-20", *extra)
        return next(t["status"] for t in json.loads(out) if t["id"] == 76)

    clock.at("2021-01-12T09:30:00")
    ok(runner, work_registry, "update", "76", "-u", "财政", "-s", "已完成", "--date", "2021-01-03")
    assert status_of_76() == "已完成"
    assert status_of_76("--as-recorded", "2021-01-11") == "未启动"
    assert status_of_76("--as-recorded", "2021-01-12T09:30:00+08:00") == "已完成"


# -- with main's rules: 日程 items, safe text, the periodic reports -------------------------------


def test_a_schedule_item_deferral_is_requested_approved_and_undone(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    office = "区创建领导小组办公室"
    clock.at("2021-01-22T09:00:00")

    def deadline() -> tuple[str, list[str]]:
        args = ["show", "S12", "-f", "json", "--date", "2021-02-05"]
        shown = json.loads(ok(runner, work_registry, *args)[0])
        return shown["effective_deadline"], [r["new_deadline"] for r in shown["requests"]]

    before = deadline()
    args = ["update", "S12", "-u", office, "-s", "延期", "--new-deadline", "2021-03-31"]
    _, err = ok(runner, work_registry, *args, "--date", "2021-01-20", "--note", "专家未到")
    assert err.startswith(f"已记录延期申请：日程 S12 {office} 申请延期至2021年3月31日")
    asked = err.split("记录编号 ")[1].split("）")[0]
    assert deadline() == (before[0], ["2021-03-31"])  # the original deadline still governs
    clock.at("2021-01-22T09:30:00")
    _, err = ok(runner, work_registry, "approve", asked, "-u", office, "--date", "2021-01-21")
    assert err.startswith(f"已批准：日程 S12 {office} 延期至2021年3月31日（2021年1月21日")
    assert deadline() == ("2021-03-31", [])
    clock.at("2021-01-22T10:00:00")
    _, err = ok(runner, work_registry, "undo", "--yes")
    assert (
        err.startswith("最后一条记录：编号 ")
        and f"：日程 S12 {office} 批准（2021年1月21日）" in err
    )
    assert deadline() == (before[0], ["2021-03-31"])  # the request waits again


def test_a_decision_note_with_control_characters_is_refused(
    runner: CliRunner, work_registry: Path, clock: Clock
) -> None:
    asked = request(runner, work_registry)
    stored = files(work_registry)
    code, _, err = run(
        runner, work_registry, "approve", asked, "-u", "财政", "--note", "同意\x1b[31m"
    )
    assert code == 2 and err.startswith("错误：说明")
    code, _, err = run(runner, work_registry, "reject", asked, "-u", "财政", "--note", "否\x07")
    assert code == 2 and err.startswith("错误：说明")
    code, _, err = run(runner, work_registry, "undo", "--yes", "--by", "李\x1b四")
    assert code == 2 and err.startswith("错误：经办人")
    assert files(work_registry) == stored


@pytest.mark.parametrize(
    "report",
    [
        ["report", "monthly", "--date", "2021-01-31"],
        ["report", "circular", "--from", "2021-01-01", "--to", "2021-01-31"],
        ["score", "--from", "2021-01-01", "--to", "2021-01-31"],
    ],
)
def test_periodic_reports_circular_and_score_take_as_recorded(
    runner: CliRunner, work_registry: Path, clock: Clock, report: list[str]
) -> None:
    clock.at("2021-01-04T16:20:00")
    ok(runner, work_registry, "update", "76", "-u", "财政", "-s", "推进中", "--date", "2021-01-04")
    clock.at("2021-01-31T17:00:00")
    first, _ = ok(runner, work_registry, *report)
    stamp = "2021-01-04T16:20:00.000000+08:00"
    if report[0] == "report":
        assert f"> 记录截至 {stamp}：此后记录的进展不计入本报告" in first
    clock.at("2021-02-03T09:00:00")
    ok(runner, work_registry, "update", "76", "-u", "财政", "-s", "已完成", "--date", "2021-01-05")
    assert ok(runner, work_registry, *report)[0] != first
    assert ok(runner, work_registry, *report, "--as-recorded", stamp)[0] == first
