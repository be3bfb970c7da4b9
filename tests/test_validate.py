"""`safecity validate`: the embedded registry passes; every kind of broken file is reported
with file, line and a Chinese message, never a traceback."""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from safecity_cli.cli import app
from safecity_cli.registry.deadlines import ACCEPTED_FORMS
from safecity_cli.registry.layout import embedded_data_dir

MINI = Path(__file__).parent / "fixtures" / "mini"
EMBEDDED = embedded_data_dir()  # site-packages when installed (as in CI), data/ in a checkout

EMBEDDED_SUMMARY = (
    "登记册有效：104 项任务、7 个类别、44 个责任单位（含 9 个集合）、5 个阶段、"
    "20 项日程、21 项主要任务；7 条警告\n"
    "评价细则：已录入 8 个三级项，合计 16 分；评价细则满分 100 分\n"
)
MINI_SUMMARY = (
    "登记册有效：8 项任务、3 个类别、9 个责任单位（含 2 个集合）、3 个阶段、3 项日程、2 项主要任务"
)
_FILL = "请用 members 列出成员，或用 member_kinds 按单位类型指定（警告）"


def mini_group_warnings(root: Path, task: int = 5) -> str:
    """The mini registry's 负有监管职责的部门 lists no members: validate says so (issue 12)."""
    return (
        f"{root / 'units.yaml'}:24: units[负有监管职责的部门].members: 集合单位没有成员："
        f"任务 {task} 中它的那一部分只能由集合整体报送；{_FILL}\n"
        f"{root / 'tasks.yaml'}:10: tasks: 任务 {task} 的责任单位都是没有成员的集合单位，"
        "尚无具体单位报送（警告）\n"
    )


def validate(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, ["validate", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """A writable copy of the mini registry."""
    target = tmp_path / "登记册"
    shutil.copytree(MINI, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace text that occurs exactly once, so a case can never silently test nothing."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_embedded_registry_is_valid(runner: CliRunner) -> None:
    result = validate(runner)
    assert result.exit_code == 0
    assert result.stdout == EMBEDDED_SUMMARY
    # What the office must still fill in: the groups the document does not list.
    everything = "任务 1–67、69–75、78–88、90–92、94–101、104、日程 7、9–11、13–15、17–19"
    expected = [
        (90, "各街办", everything),
        (93, "各园区管委会", everything),
        (108, "区安委会各成员单位", "任务 1、3、5"),
        (113, "负有自然灾害防治职责的区级部门", "任务 4、5"),
        (116, "区级各相关部门", "任务 50、52"),
        (119, "各行业主管部门", "任务 17"),
    ]
    units = EMBEDDED / "units.yaml"
    assert result.stderr.splitlines() == [
        *(
            f"{units}:{line}: units[{name}].members: 集合单位没有成员：{where} 中它的那一部分"
            f"只能由集合整体报送；{_FILL}"
            for line, name, where in expected
        ),
        f"{EMBEDDED / 'tasks.yaml'}:16: tasks: 任务 1、4、90 的责任单位都是没有成员的集合单位，"
        "尚无具体单位报送（警告）",
    ]


def test_mini_registry_is_valid(runner: CliRunner, registry: Path) -> None:
    result = validate(runner, "--data", str(registry))
    assert result.exit_code == 0
    assert result.stdout == MINI_SUMMARY + "；2 条警告\n"
    assert result.stderr == mini_group_warnings(registry)


def test_data_from_environment(runner: CliRunner, registry: Path) -> None:
    result = runner.invoke(app, ["validate"], env={"SAFECITY_DATA": str(registry)})
    assert result.exit_code == 0
    assert result.stdout == MINI_SUMMARY + "；2 条警告\n"


# -- the catalogue of broken inputs ---------------------------------------------------------


def _alias_bomb(root: Path) -> None:
    rows = ['a: &a ["哈","哈","哈","哈","哈","哈","哈","哈","哈"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    (root / "units.yaml").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _gbk(root: Path) -> None:
    path = root / "tasks.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))


def _three_errors(root: Path) -> None:
    tasks = root / "tasks.yaml"
    edit(tasks, "deadline: 2021年3月\n", "deadline: 明年春天\n")  # line 14
    edit(tasks, "units: [县城管局, 各街道]", "units: [县城管理局, 各街道]")  # line 24
    edit(tasks, "deadline: 2021年2月15日前", "deadline: 2021年2月30日前")  # line 40


def _errors_in_every_file(root: Path) -> None:
    edit(root / "tasks.yaml", "    category: 3\n    text: 组建", "    category: 三\n    text: 组建")
    edit(root / "units.yaml", "    kind: 驻县单位", "    kind: 驻区单位")
    edit(root / "schedule.yaml", "  final_deadline: 2021-06-30", "  final_deadline: 2020-06-30")


def _cycle(root: Path) -> None:
    with (root / "units.yaml").open("a", encoding="utf-8") as f:
        f.write("  - name: 甲组\n    kind: 集合\n    members: [乙组]\n")
        f.write("  - name: 乙组\n    kind: 集合\n    members: [甲组]\n")
    edit(root / "tasks.yaml", "units: [负有监管职责的部门]", "units: [甲组]")


T, U, S = "tasks.yaml", "units.yaml", "schedule.yaml"

# (id, how to break the mini registry, the lines expected on stderr before the summary)
BROKEN: list[tuple[str, Callable[[Path], None], list[tuple[str, int | None, str]]]] = [
    (
        "yaml-syntax",
        lambda r: edit(
            r / T,
            "    units: [县应急局]\n    deadline: 2021年上半年",
            "    units: [县应急局\n    deadline: 2021年上半年",
        ),
        [
            (
                T,
                30,
                "YAML 语法错误：方括号列表没有正确结束，缺少逗号或「]」（did not find expected ',' or ']'）",
            )
        ],
    ),
    (
        "wrong-type",
        lambda r: edit(r / T, "  - id: 1\n    category: 1", "  - id: 1\n    category: 一"),
        [(T, 11, "tasks[序号1].category: 应为整数")],
    ),
    (
        "text-not-a-list",
        lambda r: edit(r / T, "units: [县应急局, 县市场监管局]", "units: 县应急局"),
        [(T, 18, "tasks[序号2].units: 应为列表（每项以「- 」开头）")],
    ),
    (
        "missing-field",
        lambda r: edit(r / T, "    deadline: 2021年3月\n", ""),
        [(T, 10, "tasks[序号1].deadline: 缺少必填字段")],
    ),
    (
        "unknown-unit",
        lambda r: edit(r / T, "[县住建局, 县应急局]", "[县住建, 县应急局]"),
        [
            (
                T,
                13,
                "tasks[序号1].units: 未知的责任单位「县住建」（units.yaml 中没有此名称或别名），"
                "是否指：县住建局",
            )
        ],
    ),
    (
        "unknown-member",
        lambda r: edit(r / U, "members: [东街道, 西街道]", "members: [东街道, 南街道]"),
        [
            (
                U,
                23,
                "units[各街道].members: 未知的责任单位「南街道」（units.yaml 中没有此名称或别名），"
                "是否指：西街道、各街道、东街道",
            )
        ],
    ),
    (
        "duplicate-id",
        lambda r: edit(r / T, "  - id: 4\n", "  - id: 3\n"),
        [
            (T, 26, "tasks[第4项].id: 任务序号 3 重复"),
            (T, 10, "tasks: 任务序号不连续，缺少 4（警告）"),
        ],
    ),
    (
        "duplicate-unit-name",
        lambda r: edit(r / U, "aliases: [县城市管理局]", "aliases: [县应急管理局]"),
        [(U, 14, "units[县城管局]: 名称「县应急管理局」与单位「县应急局」重复")],
    ),
    (
        "unparseable-deadline",
        lambda r: edit(r / T, "deadline: 2021年3月\n", "deadline: 明年春天\n"),
        [(T, 14, "tasks[序号1].deadline: 无法识别的完成时限「明年春天」；" + ACCEPTED_FORMS)],
    ),
    (
        "deadline-year-out-of-range",
        lambda r: edit(r / T, "deadline: 2021年3月\n", "deadline: 0000年3月\n"),
        [(T, 14, "tasks[序号1].deadline: 完成时限「0000年3月」中的年份超出范围（1900–2999 年）")],
    ),
    (
        "phase-period-backwards",
        lambda r: edit(r / S, "period: 2021年2月-2021年5月", "period: 2021年5月-2021年2月"),
        [(S, 12, "phases[组织实施阶段].period: 完成时限「2021年5月-2021年2月」的结束早于开始")],
    ),
    (
        "unknown-key",
        lambda r: edit(
            r / T,
            "    text: 建设风险监测预警平台。\n",
            "    text: 建设风险监测预警平台。\n    note: 多余\n",
        ),
        [(T, 29, "tasks[序号4].note: 未知字段（是否拼写错误？）")],
    ),
    (
        "misspelt-key",
        lambda r: edit(r / T, "    deadline: 2021年3月\n", "    deadlin: 2021年3月\n"),
        [
            (T, 10, "tasks[序号1].deadline: 缺少必填字段"),
            (T, 14, "tasks[序号1].deadlin: 未知字段（是否拼写错误？）"),
        ],
    ),
    (
        "empty-file",
        lambda r: (r / U).write_bytes(b""),
        [(U, None, "文件为空")],
    ),
    (
        "only-comments",
        lambda r: (r / U).write_text("# 单位待填写\n\n", encoding="utf-8"),
        [(U, None, "文件为空")],
    ),
    (
        "missing-file",
        lambda r: (r / S).unlink(),
        [(S, None, "缺少登记册文件")],
    ),
    (
        "gbk",
        _gbk,
        [(T, 3, "文件不是 UTF-8 编码，疑似 GBK 编码，请另存为 UTF-8")],
    ),
    (
        "control-character",
        lambda r: edit(r / T, "建设风险监测预警平台。", "建设风险监测预警平台。\x07"),
        [(T, 28, "文件含有不允许的控制字符 U+0007，请删除")],
    ),
    (
        "list-instead-of-mapping",
        lambda r: edit(
            r / T,
            "applies_to_all:\n  units: [各街道]\n  note: 全部任务适用于各街道。\n",
            "applies_to_all:\n  - 各街道\n",
        ),
        [(T, 7, "applies_to_all: 应为映射（「键: 值」的形式）")],
    ),
    (
        "top-level-list",
        lambda r: (r / S).write_text("- 印发实施方案\n- 完成自评报告\n", encoding="utf-8"),
        [(S, 1, "（文件顶层）: 文件顶层应为映射（「键: 值」的形式）")],
    ),
    (
        "number-as-key",
        lambda r: edit(r / S, "program:\n", "2021: 年度\nprogram:\n"),
        [(S, 1, "2021: 字段名应为文本")],
    ),
    (
        "invalid-yaml-date",
        lambda r: edit(r / S, "  start: 2021-01-01", "  start: 2021-13-01"),
        [(S, 4, "program.start: 「2021-13-01」不是有效的日期")],  # issue 12: names the field
    ),
    (
        "python-tag",
        lambda r: edit(
            r / S,
            "  name: 示例县安全发展示范城市创建工作",
            '  name: !!python/object/apply:os.system ["echo 不应执行"]',
        ),
        [(S, 2, "不允许的 YAML 标签（只接受普通数据，拒绝 !!python 等标签）")],
    ),
    (
        "alias-bomb",
        _alias_bomb,
        [(U, 1, "不允许使用 YAML 锚点和别名（& 与 *）")],
    ),
    (
        "merge-key",
        lambda r: edit(
            r / U, "  - name: 县市场监管局\n", "  - <<: {kind: 县级部门}\n    name: 县市场监管局\n"
        ),
        [(U, 10, "不允许使用 YAML 合并键（<<）")],
    ),
    (
        "group-cycle",
        _cycle,
        [(U, 29, "units[甲组].members: 成员关系形成循环：甲组 → 乙组 → 甲组")],
    ),
    (
        "start-after-end",
        lambda r: edit(r / S, "  final_deadline: 2021-06-30", "  final_deadline: 2020-06-30"),
        [(S, 5, "program.final_deadline: 最终完成时限早于创建起始日期")],
    ),
    (
        "three-errors",
        _three_errors,
        [
            (T, 14, "tasks[序号1].deadline: 无法识别的完成时限「明年春天」；" + ACCEPTED_FORMS),
            (
                T,
                24,
                "tasks[序号3].units: 未知的责任单位「县城管理局」（units.yaml 中没有此名称或别名），"
                "是否指：县城市管理局、县城管局、县应急管理局",
            ),
            (T, 40, "tasks[序号6].deadline: 完成时限「2021年2月30日前」中的日期不存在"),
        ],
    ),
    (
        "errors-in-every-file",
        _errors_in_every_file,
        [
            (T, 37, "tasks[序号6].category: 应为整数"),
            (
                U,
                16,
                "units[县消防大队].kind: 未知的单位类型「驻区单位」，可选：县级部门、驻县单位、街道、集合",
            ),
            (S, 5, "program.final_deadline: 最终完成时限早于创建起始日期"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("how", "expected"), [(b[1], b[2]) for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_registry(
    runner: CliRunner,
    registry: Path,
    how: Callable[[Path], None],
    expected: list[tuple[str, int | None, str]],
) -> None:
    how(registry)
    result = validate(runner, "--data", str(registry))
    errors = sum(not message.endswith("（警告）") for *_, message in expected)
    lines = [
        f"{registry / name}{'' if line is None else f':{line}'}: {message}"
        for name, line, message in expected
    ]
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [*lines, f"错误：登记册有 {errors} 处错误"]


def test_python_tag_is_not_executed(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    edit(
        registry / S,
        "  name: 示例县安全发展示范城市创建工作",
        f'  name: !!python/object/apply:os.system ["touch {marker}"]',
    )
    assert validate(runner, "--data", str(registry)).exit_code == 1
    assert not marker.exists()


def test_utf8_bom_is_accepted(runner: CliRunner, registry: Path) -> None:
    for name in (T, U, S):
        path = registry / name
        path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    result = validate(runner, "--data", str(registry))
    assert result.exit_code == 0
    assert result.stdout == MINI_SUMMARY + "；2 条警告\n"


def test_bom_keeps_line_numbers(runner: CliRunner, registry: Path) -> None:
    path = registry / T
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    edit(path, "  - id: 1\n    category: 1", "  - id: 1\n    category: 一")
    result = validate(runner, "--data", str(registry))
    assert result.stderr.splitlines()[0] == f"{path}:11: tasks[序号1].category: 应为整数"


def test_id_gap_is_a_warning(runner: CliRunner, registry: Path) -> None:
    edit(registry / T, "  - id: 5\n", "  - id: 9\n")
    result = validate(runner, "--data", str(registry))
    assert result.exit_code == 0
    assert result.stderr == (
        f"{registry / T}:10: tasks: 任务序号不连续，缺少 5（警告）\n"
        + mini_group_warnings(registry, task=9)
    )
    assert result.stdout == MINI_SUMMARY + "；3 条警告\n"


def test_huge_id_gap_is_summarised(runner: CliRunner, registry: Path) -> None:
    # One mistyped id must not make validate enumerate a hundred million missing numbers.
    edit(registry / T, "  - id: 8\n", "  - id: 100000000\n")
    result = validate(runner, "--data", str(registry))
    assert result.exit_code == 0
    assert result.stderr == (
        f"{registry / T}:10: tasks: 任务序号不连续，缺少 8、9、10、11、12、13、14、15、16、17…（警告）\n"
        + mini_group_warnings(registry)
    )


def test_schedule_item_gap_is_a_warning(runner: CliRunner, registry: Path) -> None:
    edit(registry / S, "  - id: 2\n    text: 完成自评报告", "  - id: 4\n    text: 完成自评报告")
    result = validate(runner, "--data", str(registry))
    assert result.exit_code == 0
    assert result.stderr == (
        f"{registry / S}:15: items: 日程序号不连续，缺少 2（警告）\n"
        + mini_group_warnings(registry)
    )


def test_missing_directory_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = validate(runner, "--data", str(tmp_path / "没有这个目录"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"错误：登记册目录不存在：{tmp_path / '没有这个目录'}\n"


def test_every_file_missing(runner: CliRunner, tmp_path: Path) -> None:
    result = validate(runner, "--data", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / name}: 缺少登记册文件" for name in (T, U, S)
    ] + ["错误：登记册有 3 处错误"]


def test_other_commands_refuse_a_broken_registry(runner: CliRunner, registry: Path) -> None:
    edit(registry / T, "deadline: 2021年3月\n", "deadline: 明年春天\n")
    for command in ("list", "overdue", "due", "units", "schedule", "stats"):
        result = runner.invoke(app, [command, "--data", str(registry), "--date", "2021-03-01"])
        assert result.exit_code == 1, command
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"{registry / T}:14: tasks[序号1].deadline: 无法识别的完成时限「明年春天」；"
            + ACCEPTED_FORMS,
            "错误：登记册有 1 处错误",
        ]


def test_a_group_cycle_never_reaches_the_queries(runner: CliRunner, registry: Path) -> None:
    # Before validation refused cycles, `list` looped forever expanding 甲组.
    _cycle(registry)
    result = runner.invoke(app, ["list", "--data", str(registry), "--unit", "甲组"])
    assert result.exit_code == 1
    assert "成员关系形成循环" in result.stderr


def test_a_real_process_keeps_data_and_messages_apart(registry: Path) -> None:
    # What a user's terminal gets: no traceback, messages on stderr, data on stdout.
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}
    env.pop("SAFECITY_DATA", None)
    command = [sys.executable, "-m", "safecity_cli", "validate", "--data", str(registry)]
    good = subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)
    assert (good.returncode, good.stderr.decode("utf-8")) == (0, mini_group_warnings(registry))
    assert good.stdout.decode("utf-8") == MINI_SUMMARY + "；2 条警告\n"
    edit(registry / T, "deadline: 2021年3月\n", "deadline: 明年春天\n")
    bad = subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)
    assert (bad.returncode, bad.stdout) == (1, b"")
    assert bad.stderr.decode("utf-8").splitlines() == [
        f"{registry / T}:14: tasks[序号1].deadline: 无法识别的完成时限「明年春天」；"
        + ACCEPTED_FORMS,
        "错误：登记册有 1 处错误",
    ]


# -- random damage never crashes -----------------------------------------------------------

NASTY = [
    "",
    " ",
    "0000年",
    "0000年1月",
    "9999年第四季度",
    "第一季度",
    "2021年13月",
    "2021年2月30日",
    "2021-13-01",
    "2021-02-29",
    "100000000",
    "-1",
    "1e400",
    ".nan",
    "null",
    "~",
    "[]",
    "{}",
    "[",
    "{",
    "- x",
    "'",
    '"',
    "&a x",
    "*a",
    "<<: {}",
    "!!python/object:os.system",
    "!!int 十",
    "!!timestamp 明天",
    "!!binary 不是base64",
    "!!set {a}",
    "? [a]",
    "|",
    ">",
    "#",
    "\t",
    "\x00",
    "\x07",
    "县应急局",
    "各街道",
    "甲组",
]

scalars = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)


@st.composite
def text_damage(draw: st.DrawFn) -> tuple[str, bytes]:
    """One file of the mini registry with its lines edited at random, as bytes."""
    name = draw(st.sampled_from([T, U, S]))
    lines = (MINI / name).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        kind = draw(st.sampled_from(["value", "key", "delete", "duplicate", "indent", "insert"]))
        line = lines[i]
        head, sep, _ = line.partition(": ")
        if kind == "value" and sep:
            lines[i] = f"{head}: {draw(scalars)}"
        elif kind == "key" and sep:
            lines[i] = (
                f"{' ' * (len(head) - len(head.lstrip()))}{draw(scalars)}: {line[len(head) + 2 :]}"
            )
        elif kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, line)
        elif kind == "indent":
            lines[i] = " " * draw(st.integers(min_value=0, max_value=6)) + line.lstrip()
        else:
            lines.insert(i, draw(scalars))
        if not lines:
            lines = [""]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if draw(st.booleans()):  # and now and then raw bytes somewhere
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    return name, data


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.sampled_from(NASTY)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def structure_damage(draw: st.DrawFn) -> tuple[str, bytes]:
    """One file of the mini registry parsed, changed as data (keys, values, shape), dumped."""
    name = draw(st.sampled_from([T, U, S]))
    data = yaml.safe_load((MINI / name).read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        # Walk down to a random container and change one of its entries.
        node = data
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                node = child
                continue
            action = draw(st.sampled_from(["replace", "delete", "rename", "wrap"]))
            if action == "replace":
                node[key] = draw(json_values)
            elif action == "delete":
                del node[key]
            elif action == "rename" and isinstance(node, dict):
                node[draw(st.text(min_size=1, max_size=6))] = node.pop(key)
            else:
                node[key] = [child]
            break
    return name, yaml.safe_dump(data, allow_unicode=True).encode("utf-8")


def _assert_validate_survives(runner: CliRunner, base: Path, name: str, data: bytes) -> None:
    root = Path(tempfile.mkdtemp(dir=base))
    try:
        shutil.copytree(MINI, root, dirs_exist_ok=True)
        (root / name).write_bytes(data)
        result = validate(runner, "--data", str(root))
        assert result.exit_code in (0, 1, 2)
        if result.exit_code == 0:
            assert result.stdout.startswith("登记册有效：")
        else:
            assert result.stdout == ""
            assert result.stderr.splitlines()[-1].startswith("错误：")
    finally:
        shutil.rmtree(root)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(damage=text_damage())
def test_random_text_damage_never_crashes(
    runner: CliRunner, tmp_path: Path, damage: tuple[str, bytes]
) -> None:
    _assert_validate_survives(runner, tmp_path, *damage)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(damage=structure_damage())
def test_random_structure_damage_never_crashes(
    runner: CliRunner, tmp_path: Path, damage: tuple[str, bytes]
) -> None:
    _assert_validate_survives(runner, tmp_path, *damage)


def test_nine_problems_in_four_files_in_one_run(runner: CliRunner, registry: Path) -> None:
    # Issue 12: these once took four runs (a structural error hid the same file's references,
    # a bad date hid its whole file, any registry error hid the progress files).
    edit(registry / T, "  - id: 1\n    category: 1", "  - id: 1\n    category: 一")
    edit(registry / T, "units: [县应急局, 县市场监管局]", "units: [县应急局, 县不存在局]")
    edit(registry / T, "deadline: 2021年4月-2021年5月", "deadline: 明年春天")
    edit(
        registry / U,
        "  - name: 县城管局\n    kind: 县级部门",
        "  - name: 县城管局\n    kind: 县级部们",
    )
    edit(registry / U, "members: [东街道, 西街道]", "members: [东街道, 北街道]")
    edit(registry / S, "  start: 2021-01-01", "  start: 2021-02-30")
    edit(
        registry / S, "印发实施方案\n    units: [县应急局]", "印发实施方案\n    units: [县应急局局]"
    )
    (registry / "progress").mkdir()
    progress = registry / "progress" / "县应急局.yaml"
    progress.write_text(
        "entries:\n"
        "  - {task: 99, unit: 县应急局, status: 推进中, date: 2021-03-01,"
        " recorded_at: 2021-03-01T10:00:00}\n"
        "  - {task: 1, unit: 县应急局, status: 推进中, date: 2021-13-01,"
        " recorded_at: 2021-03-01T10:00:00}\n"
        # Task 1 has an error of its own, yet it exists: no complaint about this entry.
        "  - {task: 1, unit: 县应急局, status: 推进中, date: 2021-03-02,"
        " recorded_at: 2021-03-02T10:00:00}\n",
        encoding="utf-8",
    )
    result = validate(runner, "--data", str(registry))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{registry / T}:11: tasks[序号1].category: 应为整数",
        f"{registry / S}:4: program.start: 「2021-02-30」不是有效的日期",
        f"{registry / U}:13: units[县城管局].kind: "
        "未知的单位类型「县级部们」，可选：县级部门、驻县单位、街道、集合",
        f"{registry / U}:23: units[各街道].members: 未知的责任单位「北街道」"
        "（units.yaml 中没有此名称或别名），是否指：西街道、各街道、东街道",
        f"{registry / T}:18: tasks[序号2].units: 未知的责任单位「县不存在局」"
        "（units.yaml 中没有此名称或别名）",
        f"{registry / T}:25: tasks[序号3].deadline: 无法识别的完成时限「明年春天」；"
        + ACCEPTED_FORMS,
        f"{registry / S}:17: items[序号1].units: 未知的责任单位「县应急局局」"
        "（units.yaml 中没有此名称或别名），是否指：县应急局、县应急管理局",
        f"{progress}:3: entries[第2项].date: 「2021-13-01」不是有效的日期",
        f"{progress}:2: entries[第1项].task: 进展记录引用了不存在的任务序号 99",
        "错误：登记册有 9 处错误",
    ]
