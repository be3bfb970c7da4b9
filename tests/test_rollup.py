"""A roll-up registry (rollup.yaml) of small district registries: queries across districts,
refusals of recording, bad rollup files, and each district cached on its own."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
ON = "2021-06-01"


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def district(root: Path, folder: str, *, progress: bool) -> Path:
    target = root / folder
    shutil.copytree(FIXTURES / "mini", target)
    if progress:
        shutil.copytree(FIXTURES / "ledgers" / "mini" / "progress", target / "progress")
    return target


ROLLUP = "districts:\n  - name: 临潼区\n    path: ../临潼\n  - name: 阎良区\n    path: ../阎良\n"


@pytest.fixture
def city(tmp_path: Path) -> Path:
    """西安市/rollup.yaml over 临潼 (the mini registry with a year of progress) and 阎良
    (the same registry, nothing recorded yet)."""
    district(tmp_path, "临潼", progress=True)
    district(tmp_path, "阎良", progress=False)
    folder = tmp_path / "西安市"
    folder.mkdir()
    (folder / "rollup.yaml").write_text(ROLLUP, encoding="utf-8")
    return folder


def ok(runner: CliRunner, *args: str) -> str:
    code, out, err = run(runner, *args)
    assert code == 0, err
    return out


def test_overdue_across_districts_most_overdue_first(runner: CliRunner, city: Path) -> None:
    out = ok(runner, "overdue", "--date", ON, "--format", "json", "--data", str(city))
    items = json.loads(out)
    assert [(i["district"], i["id"], i["days_overdue"]) for i in items] == [
        ("阎良区", 6, 106),
        ("阎良区", 1, 62),
        ("阎良区", 8, 62),  # 每季度: the first quarter went unreported
        ("临潼区", 3, 1),
        ("阎良区", 3, 1),
    ]
    # A district's items are what its own registry says, with the district added in front.
    single = ok(runner, "overdue", "--date", ON, "-f", "json", "--data", str(city.parent / "临潼"))
    assert "district" not in single
    assert [{"district": "临潼区", **i} for i in json.loads(single)] == [
        i for i in items if i["district"] == "临潼区"
    ]
    assert list(items[0]) == ["district", *json.loads(single)[0]]


def test_list_by_unit_in_every_district_and_in_one(runner: CliRunner, city: Path) -> None:
    args = ["list", "--date", ON, "--format", "csv", "--data", str(city)]
    header = (
        "\ufeff区县,序号,类别,主要目标任务,责任单位,完成时限,截止日期,状态,督办,来源,"
        "最新进展日期,最新进展\n"
    )
    task = "一,编制城市安全专项规划。,县住建局、县应急局,2021年3月,2021-03-31"
    assert ok(runner, *args, "--unit", "住建") == header + (
        f"临潼区,临潼区:1,{task},已完成,,直接,2021-04-20,规划会签完成\n"
        f"阎良区,阎良区:1,{task},未启动,红,直接,,\n"
    )
    one = header + f"阎良区,阎良区:1,{task},未启动,红,直接,,\n"
    assert ok(runner, *args, "--unit", "阎良区 县住建局") == one
    assert ok(runner, *args, "--unit", "住建", "--district", "阎良区") == one


def test_list_with_district_filter(runner: CliRunner, city: Path) -> None:
    out = ok(
        runner, "list", "--date", ON, "-f", "json", "--district", "临潼区", "--data", str(city)
    )
    assert {i["district"] for i in json.loads(out)} == {"临潼区"}
    assert len(json.loads(out)) == 8


def test_due_across_districts(runner: CliRunner, city: Path) -> None:
    args = ["due", "--date", "2021-05-20", "--within", "14", "-f", "json", "--data", str(city)]
    items = json.loads(ok(runner, *args))
    assert [(i["district"], i["id"], i["days_left"]) for i in items] == [
        ("临潼区", 3, 11),
        ("阎良区", 3, 11),
    ]


def test_units_are_per_district_with_totals(runner: CliRunner, city: Path) -> None:
    out = ok(runner, "units", "--kind", "驻县单位", "--date", ON, "-f", "csv", "--data", str(city))
    assert out == (
        "\ufeff区县,单位,类型,别名,成员,任务数,直接承担,已完成,未完成,逾期\n"
        "临潼区,县消防大队,驻县单位,,,1,1,1,0,0\n"
        "临潼区,（合计）,,,,8,,2,6,1\n"
        "阎良区,县消防大队,驻县单位,,,1,1,0,1,1\n"
        "阎良区,（合计）,,,,8,,0,8,4\n"
    )
    items = json.loads(ok(runner, "units", "--date", ON, "-f", "json", "--data", str(city)))
    assert [(i["district"], i["name"]) for i in items][:2] == [
        ("临潼区", "县住建局"),
        ("临潼区", "县应急局"),
    ]
    assert len(items) == 18


def test_stats_total_by_district(runner: CliRunner, city: Path) -> None:
    data = json.loads(ok(runner, "stats", "--date", ON, "-f", "json", "--data", str(city)))
    assert (data["total"], data["overdue"]) == (16, 5)
    assert data["by_district"] == [
        {"district": "临潼区", "tasks": 8, "complete": 2, "overdue": 1},
        {"district": "阎良区", "tasks": 8, "complete": 0, "overdue": 4},
    ]
    assert data["by_status"]["未启动"] == 9
    assert {"district": "阎良区", "unit": "县住建局", "tasks": 1, "complete": 0, "overdue": 1} in (
        data["by_unit"]
    )
    csv = ok(runner, "stats", "--date", ON, "-f", "csv", "--data", str(city))
    assert csv.splitlines()[1:3] == ["区县,临潼区,8,2,1", "区县,阎良区,8,0,4"]
    assert "单位,阎良区 县住建局,1,0,1" in csv.splitlines()


def test_show_and_history_take_district_ids(runner: CliRunner, city: Path) -> None:
    detail = json.loads(
        ok(runner, "show", "临潼区:3", "--date", ON, "-f", "json", "--data", str(city))
    )
    single = json.loads(
        ok(runner, "show", "3", "--date", ON, "-f", "json", "--data", str(city.parent / "临潼"))
    )
    assert detail == {"district": "临潼区", **single}
    assert (
        json.loads(
            ok(
                runner,
                "show",
                "3",
                "--district",
                "阎良区",
                "--date",
                ON,
                "-f",
                "json",
                "--data",
                str(city),
            )
        )["status"]
        == "未启动"
    )
    entries = json.loads(ok(runner, "history", "临潼区:6", "-f", "json", "--data", str(city)))
    assert [(e["district"], e["unit"], e["status"]) for e in entries] == [
        ("临潼区", "县应急局", "推进中"),
        ("临潼区", "县消防大队", "已完成"),
        ("临潼区", "县应急局", "已完成"),
    ]
    entries = json.loads(
        ok(runner, "history", "临潼区：6", "--unit", "应急", "-f", "json", "--data", str(city))
    )
    assert len(entries) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["show", "3"],
            "错误：汇总登记册中的任务要写明区县，如 临潼区:27（区县：临潼区、阎良区）\n",
        ),
        (["show", "临潼区:99"], "错误：区县「临潼区」没有序号为 99 的任务（共 8 项）\n"),
        (
            ["show", "长安区:3"],
            "错误：汇总登记册 {city}/rollup.yaml 中没有区县「长安区」；有：临潼区、阎良区\n",
        ),
        (["history", "临潼区:x"], "错误：任务编号「临潼区:x」应写作 区县:序号，如 临潼区:27\n"),
        (
            ["list", "--unit", "县教育局"],
            "错误：各区县都没有单位「县教育局」；用 safecity units 查看各区县的单位\n",
        ),
        (
            ["list", "--district", "长安区"],
            "错误：汇总登记册 {city}/rollup.yaml 中没有区县「长安区」；有：临潼区、阎良区\n",
        ),
    ],
)
def test_bad_references_on_a_rollup(
    runner: CliRunner, city: Path, args: list[str], message: str
) -> None:
    code, _, err = run(runner, *args, "--data", str(city))
    assert (code, err) == (2, message.format(city=city))


def test_district_forms_are_refused_on_a_single_registry(runner: CliRunner, city: Path) -> None:
    single = str(city.parent / "临潼")
    code, _, err = run(runner, "show", "临潼区:3", "--data", single)
    assert (code, err) == (
        2,
        "错误：「临潼区:3」带有区县名，只能用于汇总登记册（含 rollup.yaml 的目录）；本登记册的任务只写序号\n",
    )
    code, _, err = run(runner, "list", "--district", "临潼区", "--data", single)
    assert (code, err) == (2, "错误：--district 只能用于汇总登记册（含 rollup.yaml 的目录）\n")
    code, _, err = run(runner, "show", "3x", "--data", single)
    assert code == 2 and "「3x」不是任务序号或日程序号" in err


@pytest.mark.parametrize(
    "args",
    [
        ["update", "3", "-u", "县城管局", "-s", "推进中", "--date", "2021-05-01"],
        ["close", "3", "--date", "2021-05-01"],
        ["undo", "--yes"],
        ["import", "xlsx", "填报表.xlsx"],
        ["schedule"],
    ],
    ids=["update", "close", "undo", "import", "schedule"],
)
def test_recording_on_a_rollup_points_to_the_districts(
    runner: CliRunner, city: Path, args: list[str]
) -> None:
    code, _, err = run(runner, *args, "--data", str(city))
    root = city.parent.resolve()
    assert (code, err) == (
        1,
        f"错误：{city} 是汇总登记册（rollup.yaml），只能用于查询（list、overdue、due、units、stats、"
        "show、history、validate、report weekly、export xlsx）；记录进展等请用 --data 指向区县自己的登记册"
        f"（临潼区：--data {root / '临潼'}；阎良区：--data {root / '阎良'}）\n",
    )


def test_validate_a_rollup(runner: CliRunner, city: Path) -> None:
    assert ok(runner, "validate", "--data", str(city)) == "汇总登记册有效：2 个区县，共 16 项任务\n"


# -- bad rollup files ----------------------------------------------------------------------------


def write_rollup(city: Path, text: str) -> None:
    (city / "rollup.yaml").write_text(text, encoding="utf-8")


def refusal(runner: CliRunner, city: Path) -> list[str]:
    code, out, err = run(runner, "list", "--data", str(city))
    assert (code, out) == (1, "")
    return err.splitlines()


def test_bad_districts_each_named_with_their_line(runner: CliRunner, city: Path) -> None:
    write_rollup(
        city,
        ROLLUP
        + "  - name: 临潼区\n    path: ../阎良\n"
        + "  - name: 长安区\n    path: ../长安\n"
        + "  - name: 省里\n    path: .\n"
        + "  - path: ../阎良\n",
    )
    f = city / "rollup.yaml"
    root = city.parent.resolve()
    assert refusal(runner, city) == [
        f"{f}:6: districts[第3项].name: 区县名称「临潼区」与第 1 项重复；每个区县只能列一次",
        f"{f}:9: districts[第4项].path: 区县「长安区」的登记册目录不存在：{root / '长安'}",
        f"{f}:11: districts[第5项].path: 区县「省里」的目录 {root / '西安市'} 本身是汇总登记册"
        "（有 rollup.yaml）；汇总只能有一层，请直接列出其中的各区县",
        f"{f}:12: districts[第6项].name: 缺少区县名称 name",
        "错误：汇总登记册有 4 处错误",
    ]


def test_empty_or_broken_rollup_files(runner: CliRunner, city: Path) -> None:
    f = city / "rollup.yaml"
    write_rollup(city, "districts: []\n")
    assert refusal(runner, city) == [
        f"{f}:1: districts: 应列出要汇总的区县，如 districts: [{{name: 临潼区, path: ../临潼}}]",
        "错误：汇总登记册有 1 处错误",
    ]
    write_rollup(city, "districts:\n  - name: 临潼区\n    path: ../临潼\n  - [\n")
    [line, last] = refusal(runner, city)
    assert line.startswith(f"{f}:5: YAML 语法错误") and last == "错误：汇总登记册有 1 处错误"
    write_rollup(city, ROLLUP + "  - name: 临潼区:城东\n    path: ../临潼\n")
    assert refusal(runner, city)[0] == (
        f"{f}:6: districts[第3项].name: 区县名称「临潼区:城东」不能含冒号或空格"
    )


def test_a_district_that_fails_validation_is_named(runner: CliRunner, city: Path) -> None:
    tasks = city.parent / "阎良" / "tasks.yaml"
    tasks.write_text(
        tasks.read_text(encoding="utf-8").replace("- id: 1\n", "- id: x\n", 1), encoding="utf-8"
    )
    lines = refusal(runner, city)
    assert lines[0].startswith(f"区县「阎良区」：{tasks}:")
    assert lines[-1] == (
        f"错误：{city / 'rollup.yaml'}:4: 区县「阎良区」的登记册（{(city.parent / '阎良').resolve()}）"
        f"有 1 处错误；请用 safecity validate --data {(city.parent / '阎良').resolve()} 检查并修正"
    )
    code, _, err = run(runner, "validate", "--data", str(city))
    assert code == 1 and err.splitlines() == lines


def test_a_broken_progress_file_is_named_with_its_district(runner: CliRunner, city: Path) -> None:
    bad = city.parent / "临潼" / "progress" / "县住建局.yaml"
    bad.write_text("entries:\n  - task: [\n", encoding="utf-8")
    lines = refusal(runner, city)
    assert lines[0].startswith(f"区县「临潼区」：{bad}:")
    assert lines[-1].startswith(f"错误：{city / 'rollup.yaml'}:2: 区县「临潼区」的登记册")


# -- caching -------------------------------------------------------------------------------------


def test_a_change_in_one_district_rereads_only_that_one(
    runner: CliRunner, city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import safecity_cli.ledger.files as ledger_files
    import safecity_cli.registry.load as registry_load

    ok(runner, "overdue", "--date", ON, "--data", str(city))  # fills the cache
    read_registries: list[Path] = []
    read_files: list[str] = []
    real_registry, real_parse = registry_load.load_registry, ledger_files.parse_progress

    def load_registry(path: Path, **kwargs: object) -> object:
        read_registries.append(path)
        return real_registry(path, **kwargs)  # type: ignore[arg-type]

    def parse_progress(text: str, path: Path) -> object:  # every progress file parsed
        read_files.append(f"{path.parent.parent.name}/{path.name}")
        return real_parse(text, path)

    monkeypatch.setattr(registry_load, "load_registry", load_registry)
    monkeypatch.setattr(ledger_files, "parse_progress", parse_progress)
    ok(runner, "overdue", "--date", ON, "--data", str(city))
    assert (read_registries, read_files) == ([], [])
    yanliang = city.parent / "阎良"
    ok(
        runner,
        "update",
        "1",
        "-u",
        "县住建局",
        "-s",
        "推进中",
        "--date",
        "2021-05-01",
        "--data",
        str(yanliang),
    )
    read_files.clear()
    read_registries.clear()  # update itself reads the registry afresh
    ok(runner, "overdue", "--date", ON, "--data", str(city))
    assert (read_registries, read_files) == ([], [])  # update cached what it wrote
    written = yanliang / "progress" / "县住建局.yaml"
    written.write_text(written.read_text(encoding="utf-8") + "# 手工加的注释\n", encoding="utf-8")
    ok(runner, "overdue", "--date", ON, "--data", str(city))
    assert (read_registries, read_files) == ([], ["阎良/县住建局.yaml"])


# -- the weekly briefing -------------------------------------------------------------------------


def test_weekly_report_on_a_rollup(runner: CliRunner, city: Path, tmp_path: Path) -> None:
    from test_reports_cli import check_golden

    text = ok(runner, "report", "weekly", "--date", "2021-03-31", "--data", str(city))
    check_golden("rollup-weekly-2021-03-31.md", text)
    html = tmp_path / "汇总周报.html"
    code, _, err = run(
        runner, "report", "weekly", "--date", "2021-03-31", "-o", str(html), "--data", str(city)
    )
    assert (code, err) == (0, f"已写入 {html}：西安市汇总周报（截至2021年3月31日）\n")
    page = html.read_text(encoding="utf-8")
    assert "<td>阎良区</td><td>组织实施阶段</td>" in page
    assert "督办事项：县应急局（逾期 1 项，红色 1 项）" in page
    one = ok(
        runner,
        "report",
        "weekly",
        "--date",
        "2021-03-31",
        "--district",
        "阎良区",
        "--data",
        str(city),
    )
    assert "> 汇总 1 个区县。" in one and "临潼区" not in one


def test_export_xlsx_on_a_rollup(runner: CliRunner, city: Path, tmp_path: Path) -> None:
    import openpyxl

    target = tmp_path / "汇总台账.xlsx"
    code, _, err = run(
        runner, "export", "xlsx", "--date", ON, "-o", str(target), "--data", str(city)
    )
    assert (code, err) == (
        0,
        f"已写入 {target}：区县汇总 2 个区县，共 16 项任务（逾期 5 项），每个区县一个任务台账工作表\n",
    )
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["区县汇总", "临潼区", "阎良区"]
    rows = [[c.value for c in row] for row in book["区县汇总"].iter_rows(min_row=2)]
    assert rows == [
        ["区县", "任务数", "已完成", "未完成", "逾期", "红色督办", "完成率"],
        ["临潼区", 8, 2, 6, 1, 0, 0.25],
        ["阎良区", 8, 0, 8, 4, 3, 0],
    ]
    assert book["阎良区"]["A1"].value == (
        "示例县创建工作工作台账（阎良区）（截至2021年6月1日，共 8 项任务，已完成 0 项，逾期 4 项）"
    )
    code, _, err = run(runner, "export", "xlsx", "--fillable", "--data", str(city))
    assert (code, err) == (
        2,
        "错误：汇总登记册的台账不分单位：--fillable 和 --unit 请用于区县自己的登记册\n",
    )


def test_the_benchmark_province_as_a_rollup(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    path = Path(__file__).parents[1] / "bench" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, generate)  # its dataclasses look themselves up
    spec.loader.exec_module(generate)
    out = tmp_path / "全省"
    summary = generate.generate_rollup(out, 3, 40, seed=7)
    assert (summary.tasks, summary.sample_bureau) == (120, "新城区住建局")
    assert (out / "rollup.yaml").read_text(encoding="utf-8").splitlines()[2:] == [
        "districts:",
        "  - name: 新城区",
        "    path: d001",
        "  - name: 碑林区",
        "    path: d002",
        "  - name: 莲湖区",
        "    path: d003",
    ]
    assert ok(runner, "validate", "--data", str(out)) == "汇总登记册有效：3 个区县，共 120 项任务\n"
    items = json.loads(
        ok(runner, "list", "--unit", "碑林区住建局", "-f", "json", "--data", str(out))
    )
    assert items and {i["district"] for i in items} == {"碑林区"}


def test_each_district_answers_from_its_index_as_from_its_files(
    runner: CliRunner, city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """list --unit, overdue and due read only the tasks they need from each district's index;
    the answer is the one the YAML gives."""
    queries = [
        ("list", "--unit", "县住建局", "--date", ON, "-f", "json"),
        ("list", "--unit", "临潼区 各街道", "--date", ON, "-f", "csv"),
        ("overdue", "--date", ON, "-f", "json"),
        ("overdue", "--unit", "县应急局", "--date", ON, "-f", "json"),
        ("due", "--date", "2021-03-01", "--within", "60", "-f", "json"),
        ("overdue", "--date", ON, "--as-recorded", "2021-03-01", "-f", "json"),
    ]
    for query in queries:
        indexed = ok(runner, *query, "--data", str(city))
        assert indexed == ok(runner, *query, "--data", str(city), "--no-cache"), query
        assert indexed.strip() not in ("", "[]"), query
    import safecity_cli.cache as cache

    def whole_registry(*_: object, **__: object) -> None:
        raise AssertionError("a district's whole registry was read")

    monkeypatch.setattr(cache, "load", whole_registry)  # the indexes are current now
    # 各街道 has every task (附件2 备注2), so its district is read whole; the others are not.
    for query in (queries[0], *queries[2:5]):
        assert run(runner, *query, "--data", str(city))[0] == 0, query
