"""Write a realistic synthetic registry (a province's districts, units, tasks and ledger) for benchmarks.

    python bench/generate.py --tasks 100000 --out bench/out/reg-100000 [--seed 7] [--entries-per-task 2]
                             [--split-files 0]
    python bench/generate.py --rollup 100 --tasks 1000 --out bench/out/rollup  # a roll-up

The registry has the same layout the loader reads (tasks.yaml, units.yaml, schedule.yaml,
progress/<unit>.yaml, optionally tasks/*.yaml) and passes `safecity validate --data DIR`.
`--split-files 1` (the default) writes every task into tasks.yaml; 0 (BY_DISTRICT) writes one
tasks/dNNN.yaml per district, the way each district keeps its own 分解表; M > 1 writes M files
of about equal size, tasks/partNNN.yaml. Split or not, the tasks are the same and the file names
sort in task-id order. Everything comes from one seeded `random.Random`, so a seed always gives
the same bytes. The YAML is written as plain strings, not through yaml.dump: at 100k tasks that
is seconds instead of minutes.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

PROGRAM_START = date(2020, 10, 1)
FINAL_DEADLINE = date(2022, 12, 31)
TODAY = date(2021, 6, 30)  # the fixed "today" of the ledger: no entry is dated later
REFERENCE = date(2021, 1, 1)  # the date the benchmark asks `overdue --date` about

Progress = Callable[[int, int], None]  # (done, total) tasks written

# -- the province: cities and their districts (陕西省, as of 2021) ---------------------------

CITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("西安市", ("新城区", "碑林区", "莲湖区", "灞桥区", "未央区", "雁塔区", "阎良区", "临潼区",
             "长安区", "高陵区", "鄠邑区", "蓝田县", "周至县")),
    ("宝鸡市", ("渭滨区", "金台区", "陈仓区", "凤翔区", "岐山县", "扶风县", "眉县", "陇县",
             "千阳县", "麟游县", "凤县", "太白县")),
    ("咸阳市", ("秦都区", "杨陵区", "渭城区", "三原县", "泾阳县", "乾县", "礼泉县", "永寿县",
             "长武县", "旬邑县", "淳化县", "武功县", "兴平市", "彬州市")),
    ("铜川市", ("王益区", "印台区", "耀州区", "宜君县")),
    ("渭南市", ("临渭区", "华州区", "潼关县", "大荔县", "合阳县", "澄城县", "蒲城县", "白水县",
             "富平县", "韩城市", "华阴市")),
    ("延安市", ("宝塔区", "安塞区", "延长县", "延川县", "志丹县", "吴起县", "甘泉县", "富县",
             "洛川县", "宜川县", "黄龙县", "黄陵县", "子长市")),
    ("汉中市", ("汉台区", "南郑区", "城固县", "洋县", "西乡县", "勉县", "宁强县", "略阳县",
             "镇巴县", "留坝县", "佛坪县")),
    ("榆林市", ("榆阳区", "横山区", "府谷县", "靖边县", "定边县", "绥德县", "米脂县", "佳县",
             "吴堡县", "清涧县", "子洲县", "神木市")),
    ("安康市", ("汉滨区", "汉阴县", "石泉县", "宁陕县", "紫阳县", "岚皋县", "平利县", "镇坪县",
             "旬阳市", "白河县")),
    ("商洛市", ("商州区", "洛南县", "丹凤县", "商南县", "山阳县", "镇安县", "柞水县")),
)  # fmt: skip
TASKS_PER_DISTRICT = 1000  # a district's 分解表 runs to hundreds of tasks once split by 街办
BY_DISTRICT = 0  # --split-files 0: one tasks/dNNN.yaml per district

# District bureaus: (short suffix, full-name alias or "", weight as a task's lead unit).
BUREAUS: tuple[tuple[str, str, int], ...] = (
    ("住建局", "住房和城乡建设局", 12),
    ("应急管理局", "应急局", 14),
    ("交运局", "交通运输局", 6),
    ("发改委", "发展和改革委员会", 3),
    ("工信局", "工业和信息化局", 4),
    ("市场监管局", "市场监督管理局", 7),
    ("水务局", "", 4),
    ("城管局", "城市管理局", 6),
    ("教育局", "", 4),
    ("文旅局", "文化和旅游局", 3),
    ("卫健局", "卫生健康局", 4),
    ("财政局", "", 1),
    ("民政局", "", 2),
    ("司法局", "", 1),
    ("农业农村局", "", 3),
    ("人社局", "人力资源和社会保障局", 1),
    ("自然资源局", "", 3),
)
# Offices of city-level bodies stationed in a district: "公安雁塔分局".
BRANCHES: tuple[tuple[str, str, int], ...] = (
    ("公安{short}分局", "", 5),
    ("生态环境{short}分局", "", 3),
    ("{district}消防救援大队", "", 6),
    ("供电{short}分局", "", 1),
)
CITY_UNITS = ("应急管理局", "住建局", "安委办")

KINDS = ("市级部门", "区县部门", "驻区单位", "街办/镇", "集合")

PLACE_FIRST = "东西南北新金龙凤华兴永安宁泰和平长乐青石白马桃柳杨王张李高城河山"
PLACE_SECOND = "关坡村寨桥堡门庄集湾塬沟店川坪岭园峪塘镇湖渠"

CATEGORIES = (
    ("一", "城市安全状况显著改善"),
    ("二", "加强城市安全源头治理"),
    ("三", "加强城市安全风险防控"),
    ("四", "加强城市安全监督管理"),
    ("五", "提升城市安全保障能力"),
    ("六", "提升城市安全应急救援能力"),
    ("七", "创建工作中的特色亮点工作"),
)
CATEGORY_WEIGHTS = (3, 14, 24, 20, 16, 16, 7)

DOMAINS = (
    "危险化学品", "道路交通", "建筑施工", "城镇燃气", "消防安全", "特种设备", "食品药品",
    "地质灾害", "防汛抗旱", "森林防火", "工贸企业", "非煤矿山", "校园安全", "医疗机构",
    "养老机构", "旅游景区", "人员密集场所", "高层建筑", "城市桥梁", "地下管网", "电动自行车",
    "渣土运输", "老旧小区", "农村自建房", "危旧房屋", "电梯", "大型游乐设施", "大型商业综合体",
    "物流仓储", "油气长输管道", "供水供热", "烟花爆竹", "餐饮场所", "有限空间作业", "城中村",
)  # fmt: skip
ACTIONS = (
    "开展{d}安全专项整治",
    "完成{d}风险普查辨识建档",
    "建立{d}隐患排查治理台账",
    "制定{d}突发事件应急预案并组织演练",
    "推进{d}安全设施改造提升",
    "落实{d}生产经营单位安全生产主体责任",
    "健全{d}安全监管执法机制",
    "建设{d}安全风险监测预警平台",
    "组织{d}从业人员安全宣传教育培训",
    "推进{d}安全生产标准化建设",
    "对{d}重大事故隐患实行挂牌督办",
    "开展{d}事故隐患“回头看”",
    "制修订{d}安全管理办法，完善并严格执行技术标准",
    "将{d}纳入城市安全风险电子地图动态管理",
)
REQUIREMENTS = (
    "整改率达到 100%",
    "覆盖率不低于 95%",
    "每季度至少组织 1 次应急演练",
    "建立“一企一档”",
    "形成闭环管理",
    "做到底数清、情况明",
    "纳入年度安全生产考核",
    "按月报送工作进展",
    "监测监控设备安装率达到 100%",
    "定检率达到 100%",
    "重大隐患按期清零",
    "完成率＞90%",
    "实现“红、橙、黄、蓝”四色分级管控",
)
SCOPES = ("", "", "", "全{level}", "辖区内", "{district}", "城市建成区内", "重点行业领域")

NOTES = (
    "已召开专题部署会",
    "已完成辖区摸底排查",
    "排查隐患 {n} 处，已整改 {m} 处",
    "已印发实施方案",
    "正在组织第三方评估",
    "已开展应急演练 {k} 次",
    "资金已落实，正在招标",
    "已建立工作台账",
    "待上级部门批复",
    "已报送佐证材料",
)
PEOPLE = tuple(
    ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄蕾", "周杰", "吴敏", "徐强", "孙丽"]
)

# Deadline forms deadlines.parse_deadline accepts; spacing varies the way documents vary.
OPEN_TEXTS = ("规划水平年", "长期坚持", "长期", "持续推进", "常态化", "具体时间待定",
              "按照国家确定时间实施", "按上级要求时间完成")  # fmt: skip
RECURRING_TEXTS = {"每月": 1, "每季度": 3, "每半年": 6, "每年": 12}
QUARTER_NUMERALS = ("一", "二", "三", "四")
DEADLINE_KINDS = (
    ("day", 14),
    ("month", 30),
    ("month_range", 12),
    ("year", 10),
    ("year_range", 5),
    ("half_year", 8),
    ("quarter", 10),
    ("recurring", 5),
    ("open", 6),
)

STATUS_NEXT: dict[str | None, tuple[tuple[str, int], ...]] = {
    None: (("推进中", 70), ("未启动", 5), ("已完成", 13), ("延期", 8), ("暂缓", 4)),
    "未启动": (("推进中", 80), ("暂缓", 10), ("延期", 10)),
    "推进中": (("已完成", 45), ("推进中", 30), ("延期", 20), ("暂缓", 5)),
    "已完成": (("已销号", 60), ("已完成", 40)),
    "已销号": (("已销号", 100),),
    "延期": (("已完成", 50), ("推进中", 40), ("延期", 10)),
    "暂缓": (("推进中", 70), ("暂缓", 30)),
}
COMPLETE = ("已完成", "已销号")

EMPTY = "''"
# Block-context plain scalars only break on these; flow-context names (units) never hold ASCII
# punctuation, so the same test covers them.
_PLAIN_UNSAFE = re.compile(r"""^[-?:,\[\]{}#&*!|>'"%@`\s]|: |:$| #|\s$""")


@dataclass(frozen=True)
class District:
    city: str
    name: str
    bureaus: tuple[str, ...]  # canonical unit names, BUREAUS then BRANCHES order
    lead_weights: tuple[int, ...]
    subdistricts: tuple[str, ...]
    all_subdistricts: str  # the group 雁塔区各街办
    committee: str  # the group 雁塔区安委会各成员单位
    parks: str | None  # 雁塔区各园区管委会: a group that lists no members


@dataclass(frozen=True)
class TaskSummary:
    """What a Taskwarrior import needs: the task, its project and its state on REFERENCE."""

    id: int
    text: str
    project: str  # the sample bureau when it is one of the task's parties, else the lead unit
    due: date | None  # the governing deadline on REFERENCE (延期 moves it); None: none
    done: date | None  # every party had completed it on this date (<= REFERENCE)


@dataclass
class Summary:
    out: Path
    tasks: int
    units: int
    entries: int
    files: int
    seconds: float
    sample_bureau: str  # a busy bureau, for `list --unit`
    task_files: list[str] = field(default_factory=list)  # relative paths, in name order
    task_summaries: list[TaskSummary] = field(default_factory=list, repr=False)


# -- small helpers ---------------------------------------------------------------------------


def scalar(text: str) -> str:
    """A YAML scalar: plain when that reads back as the same string, else JSON-quoted."""
    if not text or _PLAIN_UNSAFE.search(text) or (text[0].isdigit() and text.isascii()):
        return json.dumps(text, ensure_ascii=False)
    return text


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _spaced(rng: random.Random) -> str:
    return " " if rng.random() < 0.35 else ""


def _short(district: str) -> str:
    return district[:-1] if len(district) > 2 else district


# -- the units -------------------------------------------------------------------------------


def district_names() -> list[tuple[str, str]]:
    """(city, district) for every district, in order."""
    return [(city, d) for city, districts in CITIES for d in districts]


def build_districts(rng: random.Random, count: int, start: int = 0) -> list[District]:
    pairs = district_names()[start : start + count]
    result = []
    for city, name in pairs:
        short = _short(name)
        bureaus = [f"{name}{suffix}" for suffix, _, _ in BUREAUS]
        bureaus += [pattern.format(short=short, district=name) for pattern, _, _ in BRANCHES]
        weights = [w for _, _, w in BUREAUS] + [w for _, _, w in BRANCHES]
        places: list[str] = []
        wanted = rng.randint(6, 16)
        while len(places) < wanted:
            place = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
            if place not in places:
                places.append(place)
        county = not name.endswith("区")
        subs = [
            f"{name}{p}{'镇' if county and i >= 2 and not p.endswith('镇') else '街办'}"
            for i, p in enumerate(places)
        ]
        result.append(
            District(
                city,
                name,
                tuple(bureaus),
                tuple(weights),
                tuple(subs),
                f"{name}各街办",
                f"{name}安委会各成员单位",
                f"{name}各园区管委会" if rng.random() < 0.4 else None,
            )
        )
    return result


def units_yaml(districts: list[District]) -> str:
    lines = [
        "# 责任单位：市级部门，各区县部门、驻区单位和街办（镇），以及集合单位。",
        "# 由 bench/generate.py 生成的合成数据，仅用于性能测试。",
        f"kinds: [{', '.join(KINDS)}]",
        "units:",
    ]
    for city in dict.fromkeys(d.city for d in districts):
        lines.append(f"  # --- {city} ---")
        for suffix in CITY_UNITS:
            lines += [f"  - name: {city}{suffix}", "    kind: 市级部门"]
    for d in districts:
        lines.append(f"  # --- {d.city}{d.name} ---")
        for i, name in enumerate(d.bureaus):
            kind = "区县部门" if i < len(BUREAUS) else "驻区单位"
            lines += [f"  - name: {name}", f"    kind: {kind}"]
            if i < len(BUREAUS) and BUREAUS[i][1]:
                lines.append(f"    aliases: [{d.name}{BUREAUS[i][1]}]")
            if i == 0:
                lines += ["    contact: 王五", "    phone: 029-00000001"]
        for name in d.subdistricts:
            lines += [f"  - name: {name}", "    kind: 街办/镇"]
        lines += [
            f"  - name: {d.all_subdistricts}",
            "    kind: 集合",
            f"    members: [{', '.join(d.subdistricts)}]",
            f"  - name: {d.committee}",
            "    kind: 集合",
            f"    members: [{', '.join(d.bureaus)}]",
        ]
        if d.parks:
            lines += [f"  - name: {d.parks}", "    kind: 集合", "    members: []"]
    return "\n".join(lines) + "\n"


# -- deadlines -------------------------------------------------------------------------------


def make_deadline(rng: random.Random) -> tuple[str, date | None]:
    """A 完成时限 text of a random form and the end date parse_deadline gives it."""
    kind = rng.choices([k for k, _ in DEADLINE_KINDS], [w for _, w in DEADLINE_KINDS])[0]
    s = _spaced(rng)
    # Windows end between the program start and the end of 2022, most in the first year.
    year = rng.choices((2020, 2021, 2022), (30, 50, 20))[0]
    month = rng.randint(10, 12) if year == 2020 else rng.randint(1, 12)
    if kind == "day":
        day = rng.randint(1, calendar.monthrange(year, month)[1])
        suffix = rng.choice(("日前", "日", "日前", "日之前"))
        return f"{year}{s}年{s}{month}{s}月{s}{day}{s}{suffix}", date(year, month, day)
    if kind == "month":
        suffix = rng.choice(("", "", "底前", "底", "前", "末"))
        return f"{year}{s}年{s}{month}{s}月{suffix}", month_end(year, month)
    if kind == "month_range":
        start_year = max(2020, year - rng.choice((0, 0, 1)))
        start_month = rng.randint(10 if start_year == 2020 else 1, 12)
        if (start_year, start_month) > (year, month):
            start_year, start_month, year, month = year, month, start_year, start_month
        dash = rng.choice(("-", "—", "至", "-"))
        if start_year == year and rng.random() < 0.4:
            text = f"{year}{s}年{s}{start_month}{s}月{dash}{month}{s}月"
        else:
            text = f"{start_year}{s}年{s}{start_month}{s}月{dash}{year}{s}年{s}{month}{s}月"
        return text + rng.choice(("", "", "底前")), month_end(year, month)
    if kind == "year":
        year = max(year, 2020)
        return f"{year}{s}年" + rng.choice(("", "底前", "度", "底")), date(year, 12, 31)
    if kind == "year_range":
        first = rng.choice((2020, 2021))
        last = rng.randint(first + 1, 2022)
        form = rng.choice((f"{first}{s}年{s}-{s}{last}{s}年", f"{first}-{last}年"))
        return form, date(last, 12, 31)
    if kind == "half_year":
        year = max(year, 2021)
        first_half = rng.random() < 0.5
        text = f"{year}年{'上' if first_half else '下'}半年" + rng.choice(("", "", "前", "末"))
        return text, month_end(year, 6 if first_half else 12)
    if kind == "quarter":
        quarter = rng.randint(1, 4)
        numeral = QUARTER_NUMERALS[quarter - 1] if rng.random() < 0.7 else str(quarter)
        if rng.random() < 0.25:  # no year: the first such quarter ending after the start
            q_year = 2020 if month_end(2020, quarter * 3) >= PROGRAM_START else 2021
            return f"第{numeral}季度", month_end(q_year, quarter * 3)
        year = max(year, 2021)
        return f"{year}年第{numeral}季度" + rng.choice(("", "", "末前")), month_end(
            year, quarter * 3
        )
    if kind == "recurring":
        return rng.choice(list(RECURRING_TEXTS)), None
    return rng.choice(OPEN_TEXTS), None


# -- tasks -----------------------------------------------------------------------------------


def make_text(rng: random.Random, district: District, place: str | None) -> str:
    level = "县" if district.name.endswith("县") else "区"
    clauses = []
    for i in range(rng.choices((1, 2, 3, 4), (45, 35, 15, 5))[0]):
        action = rng.choice(ACTIONS).format(d=rng.choice(DOMAINS))
        clause = action + "，" + rng.choice(REQUIREMENTS) if rng.random() < 0.7 else action
        if i == 0:
            scope = f"{place}辖区内" if place else rng.choice(SCOPES)
            clause = scope.format(level=level, district=district.name) + clause
        clauses.append(clause)
    return "；".join(clauses) + "。"


@dataclass
class _TaskPlan:
    id: int
    category: int
    text: str
    units: list[str]
    open_ended: str | None
    deadline: str
    end: date | None
    parties: list[str]
    lead: str


def plan_task(
    rng: random.Random, task_id: int, district: District, city_units: list[str]
) -> _TaskPlan:
    category = rng.choices(range(1, len(CATEGORIES) + 1), CATEGORY_WEIGHTS)[0]
    deadline, end = make_deadline(rng)
    lead = rng.choices(district.bureaus, district.lead_weights)[0]
    units = [lead]
    parties = [lead]
    place = None
    if rng.random() < 0.35:  # a sub-district's own task: the 街办 and the bureau that guides it
        sub = rng.choice(district.subdistricts)
        place = sub[len(district.name) :].removesuffix("街办").removesuffix("镇")
        units.insert(0, sub)
        parties.insert(0, sub)
    else:
        for other in rng.sample(district.bureaus, rng.choices((0, 1, 2, 4), (40, 35, 20, 5))[0]):
            if other not in units:
                units.append(other)
                parties.append(other)
        if rng.random() < 0.04:
            units.append(rng.choice(city_units))
            parties.append(units[-1])
        roll = rng.random()
        if roll < 0.55:
            units.append(district.all_subdistricts)
            parties += list(district.subdistricts)
        elif roll < 0.6:
            units.append(district.committee)
            parties += [b for b in district.bureaus if b not in parties]
        if district.parks and rng.random() < 0.3:
            units.append(district.parks)
            parties.append(district.parks)
    open_ended = "等相关部门" if len(units) > 2 and rng.random() < 0.12 else None
    text = make_text(rng, district, place)
    return _TaskPlan(task_id, category, text, units, open_ended, deadline, end, parties, lead)


def task_yaml(plan: _TaskPlan) -> str:
    lines = [
        f"  - id: {plan.id}",
        f"    category: {plan.category}",
        f"    text: {scalar(plan.text)}",
        f"    units: [{', '.join(plan.units)}]",
    ]
    if plan.open_ended:
        lines.append(f"    open_ended: {plan.open_ended}")
    lines.append(f"    deadline: {scalar(plan.deadline)}")
    return "\n".join(lines) + "\n"


# -- the ledger ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    task: int
    unit: str
    status: str
    day: date
    recorded_at: datetime
    note: str
    evidence: str | None
    by: str
    new_deadline: date | None


def plan_entries(rng: random.Random, plan: _TaskPlan, count: int) -> list[_Entry]:
    """`count` reports on a task by its parties, dated in order within [start, TODAY]."""
    span = (TODAY - PROGRAM_START).days
    days = sorted(PROGRAM_START + timedelta(days=rng.randint(0, span)) for _ in range(count))
    last: dict[str, str] = {}
    entries = []
    for i, day in enumerate(days):
        unit = plan.parties[0] if i == 0 else rng.choice(plan.parties)
        options = STATUS_NEXT[last.get(unit)]
        status = rng.choices([s for s, _ in options], [w for _, w in options])[0]
        last[unit] = status
        new_deadline = None
        if status == "延期":
            base = max(day, plan.end) if plan.end else day
            new_deadline = base + timedelta(days=rng.randint(30, 180))
        note = ""
        if rng.random() < 0.75:
            note = rng.choice(NOTES).format(
                n=rng.randint(5, 80), m=rng.randint(1, 5), k=rng.randint(1, 4)
            )
        evidence = None
        if rng.random() < 0.2:
            evidence = f"https://oa.example.cn/safecity/{day:%Y%m}/{plan.id}-{i + 1}.pdf"
        moment = datetime.combine(day, datetime.min.time()) + timedelta(
            seconds=rng.randint(8 * 3600, 18 * 3600), microseconds=rng.randint(0, 999_999)
        )
        by = rng.choice(PEOPLE) if rng.random() < 0.8 else ""
        entries.append(_Entry(plan.id, unit, status, day, moment, note, evidence, by, new_deadline))
    return entries


def entry_yaml(e: _Entry) -> str:
    """One entry exactly as ledger._render (yaml.dump of Entry.to_dict) writes it."""
    lines = [
        f"- task: {e.task}",
        f"  unit: {e.unit}",
        f"  status: {e.status}",
        f"  date: {e.day.isoformat()}",
    ]
    if e.new_deadline is not None:
        lines.append(f"  new_deadline: {e.new_deadline.isoformat()}")
    lines.append(f"  note: {scalar(e.note) if e.note else EMPTY}")
    lines.append(f"  evidence:\n  - ref: {e.evidence}" if e.evidence else "  evidence: []")
    lines.append(f"  by: {e.by or EMPTY}")
    lines.append(f"  recorded_at: '{e.recorded_at.isoformat(timespec='microseconds')}'")
    return "\n".join(lines) + "\n"


def ledger_file_name(unit: str) -> str:
    """ledger.file_name: characters a file system refuses become underscores."""
    return "".join("_" if c in '/\\:*?"<>|' else c for c in unit) + ".yaml"


def summarize(plan: _TaskPlan, entries: list[_Entry], focus: str) -> TaskSummary:
    """The task's state on REFERENCE, worked out the way status.task_state does."""
    latest: dict[str, _Entry] = {}
    for entry in sorted(entries, key=lambda e: (e.day, e.recorded_at)):
        if entry.day <= REFERENCE:
            latest[entry.unit] = entry
    deadlines = []
    for party in plan.parties:
        last = latest.get(party)
        status = last.status if last else "未启动"
        if status in COMPLETE or status == "暂缓":
            continue
        deferred = [x.new_deadline for x in entries if x.unit == party and x.day <= REFERENCE]
        moved = [d for d in deferred if d is not None]
        end = moved[-1] if moved else plan.end
        if end is not None:
            deadlines.append(end)
    all_done = all(latest.get(p) and latest[p].status in COMPLETE for p in plan.parties)
    done = max(latest[p].day for p in plan.parties) if all_done else None
    project = focus if focus in plan.parties else plan.lead
    return TaskSummary(plan.id, plan.text, project, min(deadlines) if deadlines else None, done)


# -- the registry ----------------------------------------------------------------------------


def schedule_yaml(province: str, city: str = "西安市") -> str:
    return f"""# 合成的全省创建工作安排（bench/generate.py 生成，仅用于性能测试）。
program:
  name: {province}国家安全发展示范城市创建工作
  short_name: {province}创建工作
  document: {province}国家安全发展示范城市创建工作实施方案（合成数据）
  issuer: {province}安全生产委员会办公室
  start: {PROGRAM_START.isoformat()}
  final_deadline: {FINAL_DEADLINE.isoformat()}
  escalation:
    blue_within_days: 14
    red_after_days: 30
    idle_window_share: 0.5
phases:
  - {{id: 1, name: 动员部署阶段, period: 2020 年 10 月}}
  - {{id: 2, name: 组织实施阶段, period: 2020 年 11 月-2022 年 6 月}}
  - {{id: 3, name: 自评完善阶段, period: 2022 年 7 月-2022 年 9 月}}
  - {{id: 4, name: 省级复核阶段, period: 2022 年第四季度}}
  - {{id: 5, name: 国家评议阶段, period: 具体时间行程待定}}
items:
  - id: 1
    text: 印发全省创建工作实施方案，各市、区县分别制定实施方案。
    units: [{city}安委办]
    deadline: 2020 年 10 月 31 日前
  - id: 2
    text: 完成全省城市安全风险普查辨识建档。
    units: [{city}应急管理局, {city}住建局]
    deadline: 2021 年 6 月底前
  - id: 3
    text: 组织各市开展创建工作模拟自评。
    units: [{city}安委办]
    deadline: 2022 年上半年
  - id: 4
    text: 迎接国家综合评议委员会现场抽查核查综合评议。
    units: [{city}安委办]
    deadline: 按照国家确定时间实施
main_tasks:
  - numeral: 一
    heading: 加强城市安全源头治理
    tasks:
      - {{id: 1, title: 科学制定城市安全规划, text: 制定城市安全专项规划和年度实施计划。}}
      - {{id: 2, title: 健全完善安全标准, text: 依法推行更高的安全和应急设施标准。}}
  - numeral: 二
    heading: 提升城市安全应急救援能力
    tasks:
      - {{id: 3, title: 健全城市应急救援体系, text: 建设统一指挥、多部门协同的应急指挥平台。}}
"""


HEADER = "# 合成的全省任务分解表"
TASKS_DIR = "tasks"


@dataclass(frozen=True)
class _TaskFile:
    name: str  # relative to the registry: tasks.yaml or tasks/<name>.yaml
    header: str  # comment lines, each ending in a newline
    start: int  # task indexes [start, stop)
    stop: int


def task_files(districts: list[District], tasks: int, split_files: int) -> list[_TaskFile]:
    """Where each task goes: tasks.yaml alone, one file per district, or `split_files` parts.

    A task's district is districts[index * len(districts) // tasks], so every district holds a
    run of consecutive ids; numbered names keep the files' name order the order of the ids."""
    note = "# 由 bench/generate.py 生成，仅用于性能测试。\n"
    if split_files == 1:
        return [_TaskFile("tasks.yaml", "", 0, tasks)]
    if split_files == BY_DISTRICT:
        bounds = [-(-d * tasks // len(districts)) for d in range(len(districts) + 1)]
        width = max(3, len(str(len(districts))))
        return [
            _TaskFile(
                f"{TASKS_DIR}/d{d + 1:0{width}d}.yaml",
                f"# {district.city}{district.name}的任务分解表（第 {bounds[d] + 1}–{bounds[d + 1]} 项），"
                f"由{district.name}维护。\n{note}",
                bounds[d],
                bounds[d + 1],
            )
            for d, district in enumerate(districts)
        ]
    width = max(3, len(str(split_files)))
    bounds = [part * tasks // split_files for part in range(split_files + 1)]
    return [
        _TaskFile(
            f"{TASKS_DIR}/part{part + 1:0{width}d}.yaml",
            f"# 合成的任务分解表，第 {part + 1}/{split_files} 部分"
            f"（第 {bounds[part] + 1}–{bounds[part + 1]} 项）。\n{note}",
            bounds[part],
            bounds[part + 1],
        )
        for part in range(split_files)
    ]


def _generated_here(folder: Path) -> bool:
    try:
        with (folder / "tasks.yaml").open(encoding="utf-8") as handle:
            return handle.readline().startswith(HEADER)
    except OSError:
        return False


def generate(
    out: Path,
    tasks: int,
    *,
    seed: int = 7,
    entries_per_task: int = 2,
    split_files: int = 1,
    progress: Progress | None = None,
    keep_summaries: bool = False,
    district: int | None = None,
) -> Summary:
    """Write a registry of `tasks` tasks into `out` (replacing a registry generated there before).

    With `district` (an index into the province's districts), the registry is that district's
    alone, however many tasks it has: one district's registry of a roll-up."""
    if tasks < 1:
        raise ValueError("--tasks 应为正整数")
    if entries_per_task < 0:
        raise ValueError("--entries-per-task 应不小于 0")
    if split_files < 0:
        raise ValueError("--split-files 应不小于 0（0：每个区县一个文件）")
    if split_files > tasks:
        raise ValueError(f"--split-files 不能多于任务数（{tasks}）：文件里不能没有任务")
    started = time.perf_counter()
    rng = random.Random(seed)
    count = max(1, min(-(-tasks // TASKS_PER_DISTRICT), sum(len(ds) for _, ds in CITIES)))
    districts = (
        build_districts(rng, 1, district) if district is not None else build_districts(rng, count)
    )
    city_units = [f"{d.city}{u}" for d in districts for u in CITY_UNITS[:2]]
    city_units = list(dict.fromkeys(city_units))

    if out.exists() and any(out.iterdir()):
        if not _generated_here(out):
            raise ValueError(f"{out} 不是空目录，也不是本脚本生成的登记册；为免误删，请换一个目录")
        shutil.rmtree(out)
    (out / "progress").mkdir(parents=True)
    (out / "units.yaml").write_text(units_yaml(districts), encoding="utf-8")
    (out / "schedule.yaml").write_text(schedule_yaml("陕西省", districts[0].city), encoding="utf-8")

    files = task_files(districts, tasks, split_files)
    split = files[0].name != "tasks.yaml"
    by_unit: dict[str, list[_Entry]] = {}
    summaries: list[TaskSummary] = []
    entries_total = 0
    with (out / "tasks.yaml").open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(
            f"{HEADER}：{len(districts)} 个区县，{tasks} 项任务"
            + (f"，分在 {TASKS_DIR}/ 下的 {len(files)} 个文件中。\n" if split else "。\n")
            + "# 由 bench/generate.py 生成，仅用于性能测试。\n"
            "categories:\n"
        )
        for i, (numeral, title) in enumerate(CATEGORIES, 1):
            handle.write(f"  - {{id: {i}, numeral: {numeral}, title: {title}}}\n")
        handle.write(
            "applies_to_all:\n  units: []\n  note: 各区县的任务适用于本区县各街办（镇）。\n"
            + ("tasks: []\n" if split else "tasks:\n")
        )
    if split:
        (out / TASKS_DIR).mkdir()
    for file in files:
        mode = "w" if split else "a"
        with (out / file.name).open(mode, encoding="utf-8", newline="\n") as handle:
            if split:
                handle.write(file.header + "tasks:\n")
            chunk: list[str] = []
            for index in range(file.start, file.stop):
                district = districts[index * len(districts) // tasks]
                plan = plan_task(rng, index + 1, district, city_units)
                entries = plan_entries(rng, plan, entries_per_task)
                for entry in entries:
                    by_unit.setdefault(entry.unit, []).append(entry)
                entries_total += len(entries)
                if keep_summaries:
                    summaries.append(summarize(plan, entries, districts[0].bureaus[0]))
                chunk.append(task_yaml(plan))
                if len(chunk) == 2000:
                    handle.write("".join(chunk))
                    chunk.clear()
                    if progress:
                        progress(index + 1, tasks)
            handle.write("".join(chunk))
    for unit, entries in by_unit.items():
        entries.sort(key=lambda e: e.recorded_at)  # the order they were appended in
        header = (
            f"# {unit} 的进展记录。由 safecity 追加写入；更正请追加新记录，不要修改已有条目。\n"
        )
        body = "".join(entry_yaml(e) for e in entries)
        (out / "progress" / ledger_file_name(unit)).write_text(
            header + "entries:\n" + body, encoding="utf-8"
        )
    if progress:
        progress(tasks, tasks)
    units = sum(len(d.bureaus) + len(d.subdistricts) + 2 + bool(d.parks) for d in districts)
    return Summary(
        out=out,
        tasks=tasks,
        units=units + len(dict.fromkeys(d.city for d in districts)) * len(CITY_UNITS),
        entries=entries_total,
        files=len(by_unit),
        seconds=time.perf_counter() - started,
        sample_bureau=districts[0].bureaus[0],  # the `focus` of every TaskSummary
        task_files=[file.name for file in files],
        task_summaries=summaries,
    )


ROLLUP_HEADER = "# 合成的全省汇总登记册"


def generate_rollup(
    out: Path,
    districts: int,
    tasks: int,
    *,
    seed: int = 7,
    entries_per_task: int = 2,
    split_files: int = 1,
    progress: Progress | None = None,
) -> Summary:
    """The province as a roll-up: out/rollup.yaml naming out/dNNN/, one registry of `tasks`
    tasks per district (district i seeded with seed + i)."""
    names = district_names()
    if not 1 <= districts <= len(names):
        raise ValueError(f"--rollup 应为 1 到 {len(names)} 之间的区县数")
    started = time.perf_counter()
    rollup = out / "rollup.yaml"
    if out.exists() and any(out.iterdir()):
        try:
            ours = rollup.read_text(encoding="utf-8").startswith(ROLLUP_HEADER)
        except OSError:
            ours = False
        if not ours:
            raise ValueError(
                f"{out} 不是空目录，也不是本脚本生成的汇总登记册；为免误删，请换一个目录"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    lines = [
        f"{ROLLUP_HEADER}：{districts} 个区县，每个区县 {tasks} 项任务，各自一个登记册。",
        "# 由 bench/generate.py 生成，仅用于性能测试。",
        "districts:",
    ]
    entries = units = files = 0
    first: Summary | None = None
    for i in range(districts):
        folder = f"d{i + 1:03d}"
        summary = generate(
            out / folder,
            tasks,
            seed=seed + i,
            entries_per_task=entries_per_task,
            split_files=split_files,
            district=i,
        )
        first = first or summary
        entries, units, files = (
            entries + summary.entries,
            units + summary.units,
            files + summary.files,
        )
        lines += [f"  - name: {names[i][1]}", f"    path: {folder}"]
        if progress:
            progress((i + 1) * tasks, districts * tasks)
    rollup.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert first is not None
    return Summary(
        out=out,
        tasks=districts * tasks,
        units=units,
        entries=entries,
        files=files,
        seconds=time.perf_counter() - started,
        sample_bureau=first.sample_bureau,
        task_files=[f"d{i + 1:03d}/{name}" for i in range(districts) for name in first.task_files],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="生成合成登记册（全省各区县、单位、街办、任务和进展记录），用于性能测试。"
    )
    parser.add_argument("--tasks", type=int, required=True, help="任务数，如 10000")
    parser.add_argument("--out", type=Path, required=True, help="输出目录（已存在时先清空）")
    parser.add_argument("--seed", type=int, default=7, help="随机种子（默认 7）")
    parser.add_argument(
        "--entries-per-task", type=int, default=2, help="每项任务的进展记录条数（默认 2）"
    )
    parser.add_argument(
        "--split-files",
        type=int,
        default=1,
        help="任务文件数：1（默认）全部写入 tasks.yaml；0 每个区县一个 tasks/dNNN.yaml；"
        "M > 1 分成大致相等的 M 个 tasks/partNNN.yaml",
    )
    parser.add_argument(
        "--rollup",
        type=int,
        default=0,
        metavar="N",
        help="写成汇总登记册：OUT/rollup.yaml 列出 N 个区县，每个区县一个登记册 OUT/dNNN/，"
        "各有 --tasks 项任务（如 --rollup 100 --tasks 1000）",
    )
    args = parser.parse_args(argv)
    try:
        if args.rollup:
            summary = generate_rollup(
                args.out,
                args.rollup,
                args.tasks,
                seed=args.seed,
                entries_per_task=args.entries_per_task,
                split_files=args.split_files,
            )
        else:
            summary = generate(
                args.out,
                args.tasks,
                seed=args.seed,
                entries_per_task=args.entries_per_task,
                split_files=args.split_files,
            )
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(
        f"已生成 {summary.out}：{summary.tasks} 项任务、{summary.units} 个单位、"
        f"{summary.entries} 条进展记录（{summary.files} 个文件），"
        f"任务在 {len(summary.task_files)} 个文件中（{summary.task_files[0]} 起），"
        f"用时 {summary.seconds:.1f} 秒；"
        f"示例单位：{summary.sample_bureau}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
