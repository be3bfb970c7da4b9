"""The embedded registry against the document it transcribes (安城创〔2020〕1 号).

Every expected string below is copied from the document: 附件1 (实施方案), 附件2 (任务分解表)
and 附件3 (日程安排表). Where a table cell wraps, the lines are joined as the registry
joins them (directly, no space added), one literal per line of the document.
"""

from __future__ import annotations

from datetime import date

import pytest

from safecity_cli.registry.deadlines import DeadlineKind
from safecity_cli.registry.models import Registry
from safecity_cli.render.wording import written_units


def test_counts(embedded: Registry) -> None:
    assert len(embedded.tasks) == 104
    assert len(embedded.items) == 20
    assert len(embedded.phases) == 5
    assert len(embedded.categories) == 7
    assert len(embedded.main_tasks) == 6
    assert sum(len(group.tasks) for group in embedded.main_tasks) == 21


def test_tasks_are_numbered_1_to_104_in_document_order(embedded: Registry) -> None:
    assert [t.id for t in embedded.tasks] == list(range(1, 105))
    assert [i.id for i in embedded.items] == list(range(1, 21))


# 附件2: the seven headings and the tasks under each (一、1–5, 二、6–20, 三、21–48, 四、49–75,
# 五、76–94, 六、95–103, 七、104).
CATEGORIES = [
    (1, "一", "城市安全状况显著改善", range(1, 6), 5),
    (2, "二", "加强城市安全源头治理", range(6, 21), 15),
    (3, "三", "加强城市安全风险防控", range(21, 49), 28),
    (4, "四", "加强城市安全监督管理", range(49, 76), 27),
    (5, "五", "提升城市安全保障能力", range(76, 95), 19),
    (6, "六", "提升城市安全应急救援能力", range(95, 104), 9),
    (7, "七", "创建工作中的特色亮点工作", range(104, 105), 1),
]


@pytest.mark.parametrize(("cid", "numeral", "title", "ids", "size"), CATEGORIES)
def test_category(
    embedded: Registry, cid: int, numeral: str, title: str, ids: range, size: int
) -> None:
    category = embedded.category(cid)
    assert category is not None
    assert (category.numeral, category.title) == (numeral, title)
    mine = [t.id for t in embedded.tasks if t.category == cid]
    assert len(mine) == size
    assert mine == list(ids)


# (id, category, text, 责任单位 as the document spells them, open_ended, 完成时限, start, end)
SPOT_CHECKS = [
    (
        1,
        1,
        "近三年亿元国内生产总值生产安全事故死亡率逐年下降。",
        ("区安委会各成员单位", "各街办", "各园区管委会"),
        None,
        "2020 年 10 月-2021 年 7 月",
        date(2020, 10, 1),
        date(2021, 7, 31),
    ),
    (
        3,
        1,
        "近三年火灾十万人口死亡率逐年下降。",
        ("区消防救援大队", "各街办", "各园区管委会", "区安委会其他成员单位"),
        None,
        "2020 年 10 月-2021 年 7 月",
        date(2020, 10, 1),
        date(2021, 7, 31),
    ),
    (
        5,
        1,
        "近 5 年内未发生特别重大事故灾难，且在近 3年内未发生重大事故灾难；近 1 年"
        "内未因城市安全有关工作不力被市安委会或安委办约谈、通报；市安委会或安委"
        "办挂牌督办的重大安全隐患已全部按时整改到位；近 1年内未发生重特大环境污"
        "染和生态破坏事件、药品安全事件或食品安全事故，未出现因工作不力导致重特"
        "大自然灾害事件损失扩大、造成恶劣影响的情形。",
        (
            "区安委会各成员单位",
            "负有自然灾害防治职责的区级部门",
            "生态环境临潼分局",
            "区市场监管局",
            "各街办",
            "各园区管委会",
        ),
        None,
        "2020 年 10 月-2021 年 7 月",
        date(2020, 10, 1),
        date(2021, 7, 31),
    ),
    (
        6,
        2,
        "制定城市经济社会发展和城市国土空间总体规划（城市总体规划）及综合防灾减"
        "灾、安全生产、防震减灾、地质灾害防治、防洪、职业病防治、消防、道路交通"
        "安全管理、排水防涝等专项规划和年度实施计划，并组织专家对总体规划、专项"
        "规划进行论证评审和中期评估。",
        (
            "区发改委",
            "资源规划临潼分局",
            "区住建局",
            "公安临潼分局",
            "区交运局",
            "区水务局",
            "区卫健局",
            "区应急管理局",
            "区消防救援大队",
            "各街办",
            "各园区管委会",
        ),
        "等相关部门",
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        7,
        2,
        "严格安全准入，建设项目按规定开展安全预评价（设立安全评价）、地震安全性"
        "评价、地质灾害危险性评估。",
        (
            "区住建局",
            "区交运局",
            "区水务局",
            "区应急管理局",
            "自然规划临潼分局",
            "各街办",
            "各园区管委会",
        ),
        None,
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        14,
        2,
        "城市堤防、河道等防洪工程按规划标准建设，区域骨干河道及重要支流防洪标准"
        "基本达到 20 年一遇，区域除涝标准达到 20 年一遇；主城区防洪标准基本达到 100"
        "年一遇。城市主要排涝河道及泵站基本达到 20 年一遇，城市管网排水标准达到"
        "2—3 年一遇，重要地区 3—5 年一遇。城市易涝点按整改方案和计划完成防涝改"
        "造。",
        ("区水务局", "区住建局", "各街办", "各园区管委会"),
        None,
        "规划水平年",
        None,
        None,
    ),
    (
        15,
        2,
        "加快推进城区铁路平交道口立交化改造，加快消除人员密集区域铁路平交道口，"
        "加强城区铁路沿线视频监控设施建设，实现重点部位视频监控全覆盖。加强城市"
        "棚户区、城中村和危房改造过程中的安全监督管理，城市违法建筑整治率达到规"
        "划水平年标准。",
        (
            "公安临潼分局",
            "区交运局",
            "区住建局",
            "区应急管理局",
            "区城市管理局",
            "区城改中心",
            "各街办",
            "各园区管委会",
        ),
        None,
        "2021 年 6 月",
        date(2021, 6, 1),
        date(2021, 6, 30),
    ),
    (
        25,
        3,
        "定期开展尾矿库安全现状评价，尾矿库在线监测系统正常运行率 100%；风险监控"
        "系统报警信息处置率 100%；粉尘、高毒物品等主要危害因素监测合格率不低于"
        "80%；地下矿山安全避险“六大系统”建设运行率 100%。消除病、险尾矿库，对"
        "废弃尾矿库实施闭库或有效治理。对渣土消纳场堆积体进行稳定性验算及监测。",
        (
            "区发改委",
            "区应急管理局",
            "资源规划临潼分局",
            "区城管局",
            "区生态环境临潼分局",
            "各街办",
            "各园区管委会",
        ),
        None,
        "2021 年 4 月",
        date(2021, 4, 1),
        date(2021, 4, 30),
    ),
    (  # the last row on its page
        28,
        3,
        "建设施工现场视频监控系统安装率 100%，大型起重机械安全监控系统出厂安装率"
        "100%；危大工程施工方案按规定审查并施工。建筑施工企业主要负责人、项目负"
        "责人、专兼职安全管理人员和特种作业人员持证上岗率达 100%；安全生产标准化"
        "考评合格率 90%。",
        ("区住建局", "区市场监管局", "区交运局", "各街办", "各园区管委会"),
        None,
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        32,
        3,
        "强化重点林区和森林公园、风景名胜区等区域巡查监控，做好森林防火巡护、火"
        "源管理、火情监测预警等工作，切实消除林火隐患。",
        (
            "区秦保局",
            "区骊山国有生态林场（区骊山国家森林公园管理处）",
            "区应急管理局",
            "各街办",
            "各园区管委会",
        ),
        None,
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        43,
        3,
        "实行农机报废更新补贴政策，引导淘汰老旧农机；配合开展道路联合执法。",
        ("区农业农村局", "区交运局", "公安临潼分局", "各街办", "各园区管委会"),
        None,
        "2020 年-2021 年",
        date(2020, 1, 1),
        date(2021, 12, 31),
    ),
    (
        46,
        3,
        "持续开展全市群租房安全专项整治行动，全面整治城市住宅小区、公寓楼等公共"
        "居住区域日租房现象，从严打击以日租房之名开办“黑旅馆”等突出问题。",
        ("公安临潼分局", "区住建局", "各街办", "各园区管委会"),
        None,
        "2020 年 10 月",
        date(2020, 10, 1),
        date(2020, 10, 31),
    ),
    (  # the last row on its page
        55,
        4,
        "开展城市安全风险辨识与评估工作；对城市功能区进行安全风险评估，编制城市"
        "安全风险白皮书并及时更新；建立城市安全风险管理信息平台并绘制四色等级安"
        "全风险分布图；推进城市风险（源）普查辨识建档暨责任厘清工作，普查建档率"
        "达到 100%。",
        ("区安委办", "区级负有安全生产监管职责的部门", "各街办", "各园区管委会"),
        None,
        "2021 年 4 月",
        date(2021, 4, 1),
        date(2021, 4, 30),
    ),
    (
        66,
        4,
        "推动安全生产领域内综合执法，加强安全生产监管执法机构规范化、标准化、信"
        "息化建设。负有安全生产监管职责的部门按规定配备安全监管人员、装备，2020"
        "年 12 月底前，区县（各园区管委会）、镇街、各类园区各级负有安全生产监管职"
        "责的部门和机构的安全监管执法装备、应急救援用车、公务用房等达到安全生产"
        "监管监察职业能力建设标准；信息化执法率＞90%；执法检查处罚率＞5%。",
        (
            "公安临潼分局",
            "区住建局",
            "区交运局",
            "区应急管理局",
            "区市场监管局",
            "各街办",
            "各园区管委会",
        ),
        "等负有安全生产监管职责的部门",
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        68,
        4,
        "统筹加强镇街和各类功能区安全监管力量，推行派驻执法、委托执法、授权执法"
        "等方式，推动执法力量下沉。",
        ("区应急管理局",),
        None,
        "2020 年-2021 年",
        date(2020, 1, 1),
        date(2021, 12, 31),
    ),
    (
        73,
        4,
        "完善执法人员岗位责任制和考核机制，严格执法程序，加强现场精准执法，对违"
        "法行为及时作出处罚决定。依法明确停产停业、停止施工、停止使用相关设施或"
        "设备，停止供电、停止供应民用爆炸物品，查封、扣押、取缔和上限处罚等执法"
        "决定的适用情形、时限要求、执行责任。",
        ("负有安全生产监管职责的部门", "各街办", "各园区管委会"),
        None,
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        75,
        4,
        "建立城市安全问题公众参与、快速应答、处置、奖励机制；设置城市安全举报平"
        "台；城市安全问题举报投诉办结率 100%。",
        ("负有安全生产监管职责的区级部门", "各街办", "各园区管委会"),
        None,
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        76,
        5,
        "市财政保障安全生产监管经费投入。",
        ("区财政局",),
        None,
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (  # the text cell continues on the next page
        90,
        5,
        "社区网格化覆盖率 100%；网格员发现的事故隐患处理率 100%。建立城市安全生产"
        "网格化工作机制，强化社会面风险隐患排查治理，应急（安监）专业网格划分完"
        "成率 100%，专业网格员配备率 100%，专业网格员使用安全生产网格化“一站式”"
        "移动终端开展巡查工作（含安全走访）覆盖率 100%。",
        ("各街办", "各园区管委会"),
        None,
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        93,
        5,
        "推进安全生产和职业健康宣传教育、防灾减灾知识和技能、灾害应急演练、爱路"
        "护路宣传教育“进企业、进机关、进学校、进社区、进家庭、进公共场所”活动。"
        "中小学安全教育覆盖率 100%，每年至少举办 1次应急避险演练。楼、院公用设施"
        "安全检查、重点时段安全提示、家居安全教育纳入物业管理服务范围。深入开展"
        "“安康杯”竞赛、“青年安全生产示范岗”创建、“安全生产月”“5.12 国家防"
        "灾减灾日”、《安全生产法》宣传周、《职业病防治法》宣传周等安全生产宣传"
        "教育活动。",
        (
            "区总工会",
            "区团委",
            "区教育局",
            "区交运局",
            "区卫健局",
            "区住建局",
            "区应急管理局",
            "区融媒体中心",
            "区消防救援大队",
        ),
        "等相关部门",
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        94,
        5,
        "市民具有较高的安全获得感、满意度，安全知识知晓率高，安全意识强。",
        ("负有安全生产监管职责的部门", "各街办", "各园区管委会"),
        None,
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        99,
        6,
        "结合行政区划地图配合市上制作应急避难场所分布图（表），向社会公开；区级"
        "应急避难场所设置显著标志，基本设施齐全；人均避难场所面积大于 1.5 平方"
        "米。",
        (
            "自然规划临潼分局",
            "区应急管理局",
            "区住建局",
            "区交运局",
            "区文旅局",
            "区教育局",
            "各街办",
            "各园区管委会",
        ),
        "等相关部门",
        "2021 年 6 月",
        date(2021, 6, 1),
        date(2021, 6, 30),
    ),
    (
        103,
        6,
        "重点加强危险化学品相对集中区域的应急救援能力建设，危险物品的生产、经营、"
        "储存、运输单位，金属冶炼、城市轨道交通运营、建筑施工单位，以及人员密集"
        "场所经营等单位依法建立应急救援队伍；不具备单独建立专业应急救援队伍的中"
        "小微型企业要指定兼职应急救援人员，与相邻有关专业救援队伍签订救援服务协"
        "议，或者联合建立专业应急救援队伍；符合条件的高危企业依法建立专职消防队。",
        ("公安临潼分局", "区住建局", "区交运局", "区应急管理局"),
        "等负有安全生产监督管理职责的部门",
        "2020 年 12 月",
        date(2020, 12, 1),
        date(2020, 12, 31),
    ),
    (
        104,
        7,
        "各街办、各园区管委会和区级部门及单位在创建工作中的特色亮点工作。包括："
        "城市安全科技项目获得国家（国家最高科学技术奖、国家自然科学奖、国家技术"
        "发明奖、国家科学技术进步奖、国际科学技术合作奖）或省级奖励；在国家安全"
        "产业示范园区、全国综合减灾示范社区创建取得显著成绩；在城市安全管理体制、"
        "制度、手段、方式创新等方面具有西安特色、地区行业特点的开创性工作。",
        ("各街办", "各园区管委会", "区级部门和单位"),
        None,
        "2021 年 7 月",
        date(2021, 7, 1),
        date(2021, 7, 31),
    ),
]


@pytest.mark.parametrize(
    ("tid", "cid", "text", "units", "open_ended", "raw", "start", "end"),
    SPOT_CHECKS,
    ids=[f"task{case[0]}" for case in SPOT_CHECKS],
)
def test_task_matches_document(
    embedded: Registry,
    tid: int,
    cid: int,
    text: str,
    units: tuple[str, ...],
    open_ended: str | None,
    raw: str,
    start: date | None,
    end: date | None,
) -> None:
    task = embedded.task(tid)
    assert task is not None
    assert task.category == cid
    assert task.text == text
    assert task.written_units == units
    assert task.open_ended == open_ended
    assert task.deadline.raw == raw
    assert (task.deadline.start, task.deadline.end) == (start, end)
    # Every spelling resolves to one canonical unit, in the same order.
    assert task.units == tuple(dict.fromkeys(embedded.unit(u).name for u in units))  # type: ignore[union-attr]


# 责任单位 cells with 等…部门, exactly as the document prints them (、 and ， included).
@pytest.mark.parametrize(
    ("tid", "cell"),
    [
        (
            6,
            "区发改委、资源规划临潼分局、区住建局、公安临潼分局、区交运局、区水务局、区卫健局、"
            "区应急管理局、区消防救援大队等相关部门，各街办、各园区管委会",
        ),
        (
            66,
            "公安临潼分局、区住建局、区交运局、区应急管理局、区市场监管局等负有安全生产监"
            "管职责的部门，各街办、各园区管委会",
        ),
        (
            93,
            "区总工会、区团委、区教育局、区交运局、区卫健局、区住建局、区应急管理局、区融媒体"
            "中心、区消防救援大队等相关部门",
        ),
        (
            103,
            "公安临潼分局、区住建局、区交运局、区应急管理局等负有安全生产监督管理职责的部门",
        ),
    ],
)
def test_open_ended_unit_cells_read_as_in_document(embedded: Registry, tid: int, cell: str) -> None:
    task = embedded.task(tid)
    assert task is not None
    assert written_units(embedded, task.written_units, task.open_ended) == cell


def test_deadline_kinds(embedded: Registry) -> None:
    kinds = {t.id: t.deadline.kind for t in embedded.tasks}
    assert kinds[14] is DeadlineKind.OPEN  # 规划水平年
    assert {tid for tid, k in kinds.items() if k is DeadlineKind.MONTH_RANGE} == {1, 2, 3, 4, 5}
    assert {tid for tid, k in kinds.items() if k is DeadlineKind.YEAR_RANGE} == {
        43,
        49,
        68,
        69,
        70,
        71,
    }
    assert {tid for tid, k in kinds.items() if k is DeadlineKind.OPEN} == {14}


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("自然规划临潼分局", "资源规划临潼分局"),  # tasks 7, 99
        ("区城市管理局", "区城管局"),  # task 15
        ("区生态环境临潼分局", "生态环境临潼分局"),  # task 25
        ("区安委会其他成员单位", "区安委会各成员单位"),  # task 3
        ("负有安全生产监管职责的部门", "区级负有安全生产监管职责的部门"),  # tasks 73, 94
        ("负有安全生产监管职责的区级部门", "区级负有安全生产监管职责的部门"),  # task 75
        ("区骊山国有生态林场（区骊山国家森林公园管理处）", "区骊山国有生态林场"),  # task 32
    ],
)
def test_alias(embedded: Registry, alias: str, canonical: str) -> None:
    unit = embedded.unit(alias)
    assert unit is not None
    assert unit.name == canonical
    assert alias in unit.aliases
    assert alias not in [u.name for u in embedded.units]


@pytest.mark.parametrize(
    ("tid", "spelled", "canonical"),
    [
        (3, "区安委会其他成员单位", "区安委会各成员单位"),
        (7, "自然规划临潼分局", "资源规划临潼分局"),
        (15, "区城市管理局", "区城管局"),
        (25, "区生态环境临潼分局", "生态环境临潼分局"),
        (73, "负有安全生产监管职责的部门", "区级负有安全生产监管职责的部门"),
        (75, "负有安全生产监管职责的区级部门", "区级负有安全生产监管职责的部门"),
        (99, "自然规划临潼分局", "资源规划临潼分局"),
    ],
)
def test_tasks_written_with_an_alias_resolve_to_the_canonical_unit(
    embedded: Registry, tid: int, spelled: str, canonical: str
) -> None:
    task = embedded.task(tid)
    assert task is not None
    assert spelled in task.written_units
    assert canonical in task.units
    assert spelled not in task.units


def test_units_named_in_the_tables_are_all_known(embedded: Registry) -> None:
    written = {u for t in embedded.tasks for u in t.written_units}
    written |= {u for i in embedded.items for u in i.written_units}
    assert all(embedded.unit(name) is not None for name in written)
    # …and no unit is registered that neither table names (under its name or an alias).
    for unit in embedded.units:
        assert {unit.name, *unit.aliases} & written, unit.name


def test_applies_to_all(embedded: Registry) -> None:
    # 附件2 备注 2：104 项具体目标任务适用于所有街办、各园区管委会。
    assert embedded.applies_to_all.units == ("各街办", "各园区管委会")
    assert embedded.applies_to_all.note == "104 项具体目标任务适用于所有街办、各园区管委会。"


def test_program(embedded: Registry) -> None:
    program = embedded.program
    assert program.name == "西安市临潼区国家安全发展示范城市创建工作"
    assert program.document == "西安市临潼区国家安全发展示范城市创建工作实施方案"
    assert program.issuer == "西安市临潼区国家安全发展示范城市创建工作领导小组"
    assert program.start == date(2020, 10, 1)  # 动员部署阶段（2020 年 10 月）
    # 附件3 备注：我区的创建工作完成时限为 2021 年 7 月 31 日前
    assert program.final_deadline == date(2021, 7, 31)


# 附件1 三、创建步骤
PHASES = [
    (1, "动员部署阶段", "2020 年 10 月", date(2020, 10, 1), date(2020, 10, 31)),
    (2, "组织实施阶段", "2020 年 11 月-2021 年 5 月", date(2020, 11, 1), date(2021, 5, 31)),
    (3, "自评完善阶段", "2021 年 6 月", date(2021, 6, 1), date(2021, 6, 30)),
    (4, "省级复核阶段", "2021 年 7 月", date(2021, 7, 1), date(2021, 7, 31)),
    (5, "国家评议阶段", "具体时间行程待定", None, None),
]


def test_phases(embedded: Registry) -> None:
    assert [(p.id, p.name, p.period, p.start, p.end) for p in embedded.phases] == PHASES


def test_phase_summaries_open_as_in_document(embedded: Registry) -> None:
    summaries = [p.summary for p in embedded.phases]
    assert summaries[0].startswith("成立西安市临潼区创建国家安全发展示范城市领导小组，设")
    assert summaries[1].startswith("对标国家安全发展示范城市评价细则与评分标准")
    assert summaries[4].endswith("做好迎接国家综合评议委员会现场抽查核查综合评议各项保障工作。")


# 附件3 日程安排表: (序号, 完成时限, its last day, 责任单位 as written)
ITEMS = [
    (1, "2020 年 10 月 26 日前", date(2020, 10, 26), ("区创建领导小组办公室",)),
    (2, "2020 年 10 月 31 日前", date(2020, 10, 31), ("区创建领导小组办公室",)),
    (3, "2020 年 11 月 5 日前", date(2020, 11, 5), ("区政府办", "区创建领导小组办公室")),
    (4, "2020 年 11 月 10 日前", date(2020, 11, 10), ("区创建领导小组办公室",)),
    (5, "2020 年 11 月 20 日前", date(2020, 11, 20), ("区创建领导小组办公室",)),
    (6, "2020 年 10 月—2021年 7 月", date(2021, 7, 31), ("区创建领导小组办公室",)),
    (7, "2020 年 11 月 30 日前", date(2020, 11, 30), ("各街办", "各园区管委会", "区级部门和单位")),
    (8, "2020 年 11 月 30 日前", date(2020, 11, 30), ("区创建领导小组办公室",)),
    (9, "2020 年 12 月 31 日前", date(2020, 12, 31), ("各街办", "各园区管委会", "区级部门和单位")),
    (10, "2021 年 1 月 31 日前", date(2021, 1, 31), ("各街办", "各园区管委会", "区级部门和单位")),
    (
        11,
        "2021 年 1 月 31 日前",
        date(2021, 1, 31),
        ("各街办", "各园区管委会", "区级部门和单位", "区创建领导小组办公室"),
    ),
    (12, "2021 年 1 月 31 日前", date(2021, 1, 31), ("区创建领导小组办公室",)),
    (13, "2021 年 3 月 15 日前", date(2021, 3, 15), ("各街办", "各园区管委会", "区级部门和单位")),
    (
        14,
        "2021 年 4 月 30 日前",
        date(2021, 4, 30),
        ("各街办", "各园区管委会", "区级部门和单位", "区创建领导小组办公室"),
    ),
    (15, "2021 年 5 月 31 日前", date(2021, 5, 31), ("各街办", "各园区管委会", "区级部门和单位")),
    (16, "2021 年 6 月 15 日前", date(2021, 6, 15), ("区安委办", "各部门")),
    (
        17,
        "2021 年 6 月 30 日前",
        date(2021, 6, 30),
        ("区创建领导小组办公室", "各街办", "各园区管委会", "区级部门和单位"),
    ),
    (
        18,
        "2021 年 7 月 31 日前",
        date(2021, 7, 31),
        ("区创建领导小组办公室", "各街办", "各园区管委会", "区级部门和单位"),
    ),
    (19, "2021 年 7 月 31 日前", date(2021, 7, 31), ("各街办", "各园区管委会", "区级部门和单位")),
    (20, "按照国家确定时间实施", None, ("区创建领导小组办公室",)),
]


@pytest.mark.parametrize(("iid", "raw", "end", "units"), ITEMS, ids=[f"item{i[0]}" for i in ITEMS])
def test_schedule_item(
    embedded: Registry, iid: int, raw: str, end: date | None, units: tuple[str, ...]
) -> None:
    item = embedded.items[iid - 1]
    assert item.id == iid
    assert item.deadline.raw == raw
    assert item.deadline.end == end
    assert item.written_units == units


def test_schedule_item_texts(embedded: Registry) -> None:
    texts = {i.id: i.text for i in embedded.items}
    assert texts[1] == "拟定《西安市临潼区国家安全发展示范城市创建实施方案（征求意见稿）》"
    # The document's own comma after the title is an ASCII one.
    assert (
        texts[3]
        == "拟定《西安市临潼区国家安全发展示范城市创建实施方案（送审稿）》,报请区政府审议。"
    )
    assert texts[4] == "印发《西安市国家安全发展示范城市创建实施方案》"
    assert texts[12] == (
        "（1）结合专项整治工作，集中挂牌整治一批危及城市安全的重大隐患；"
        "（2）配合市上做好一次创建工作模拟自评，深入查漏补缺，列出后续重"
        "点推进及建设项目清单。"
    )
    assert texts[20] == "迎接国家综合评议委员会现场抽查核查综合评议。"


# 附件1 二、主要任务: six headings, 21 numbered tasks.
MAIN_TASKS = [
    ("一", "城市安全现状显著改善", ["城市安全事故指标有效控制"]),
    (
        "二",
        "加强城市安全源头治理",
        [
            "科学制定城市安全规划",
            "健全完善安全标准",
            "加强城市基础及安全设施建设",
            "加快重点产业安全改造升级",
        ],
    ),
    (
        "三",
        "加强城市安全风险防控",
        [
            "加强城市工业企业风险防控",
            "加强人员密集场所风险防控",
            "加强城市公共设施风险防控",
            "提升城市自然灾害监测预警能力和隐患防治力度",
        ],
    ),
    (
        "四",
        "加强城市安全监督管理",
        [
            "健全城市安全责任制体系",
            "加强城市安全风险评估与管控",
            "加强城市安全隐患排查治理",
            "完善城市安全监管体制",
            "增强城市安全监管执法能力",
            "严格规范城市安全监管执法",
        ],
    ),
    (
        "五",
        "提升城市安全保障能力",
        ["强化安全科技创新和应用", "健全社会化服务体系", "加强城市安全文化建设"],
    ),
    (
        "六",
        "提升城市安全应急救援能力",
        [
            "健全城市应急救援体系",
            "提升应急物资装备保障水平，强化应急设施建设",
            "加强城市应急救援队伍建设",
        ],
    ),
]


def test_main_tasks(embedded: Registry) -> None:
    got = [(g.numeral, g.heading, [t.title for t in g.tasks]) for g in embedded.main_tasks]
    assert got == MAIN_TASKS
    ids = [t.id for g in embedded.main_tasks for t in g.tasks]
    assert ids == list(range(1, 22))


def test_main_task_text(embedded: Registry) -> None:
    first = embedded.main_tasks[0].tasks[0]
    assert first.text == (
        "近三年全区生产安全事故"
        "起数、死亡人数、亿元国内生产总值生产安全事故死亡率、道路"
        "交通事故万车死亡率、火灾十万人口死亡率和平均每百万人口因"
        "灾死亡率等指标数据逐年下降。"
    )
    last = embedded.main_tasks[-1].tasks[-1]
    assert last.text.endswith("符合条件的高危企业依法建立专职消防队。")
