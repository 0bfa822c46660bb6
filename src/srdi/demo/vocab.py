"""The vocabulary of the demo data: districts and their weights, industries, name words and batch dates.

Everything here is plain data so that the shape of the synthetic database can be read and tuned in one
place. Weights need not sum to one; the generator normalises them.
"""

from __future__ import annotations

from dataclasses import dataclass

# District code → (weight, share of software/IT enterprises). Larger and more industrial districts carry
# more enterprises (滨江、余杭、萧山、钱塘); 滨江 and 西湖 lean to software; 淳安、建德 are small.
DISTRICTS: dict[str, tuple[float, float]] = {
    "330102": (0.050, 0.35),  # 上城区
    "330105": (0.060, 0.30),  # 拱墅区
    "330106": (0.090, 0.40),  # 西湖区
    "330108": (0.140, 0.50),  # 滨江区
    "330109": (0.140, 0.10),  # 萧山区
    "330110": (0.150, 0.32),  # 余杭区
    "330111": (0.070, 0.08),  # 富阳区
    "330112": (0.050, 0.10),  # 临安区
    "330113": (0.080, 0.12),  # 临平区
    "330114": (0.100, 0.12),  # 钱塘区
    "330122": (0.035, 0.06),  # 桐庐县
    "330127": (0.010, 0.05),  # 淳安县
    "330182": (0.025, 0.05),  # 建德市
}

ECOSYSTEM_CODES: tuple[str, ...] = (
    "smart_iot",
    "biomedicine",
    "high_end_equipment",
    "new_materials",
    "green_energy",
)

# Industry groups drive the financial model (revenue level, R&D intensity, revenue per employee).
MFG, SOFTWARE, WHOLESALE, OTHER = 0, 1, 2, 3
GROUP_NAMES = ("manufacturing", "software", "wholesale", "other")
# Share of the non-software part that is wholesale or other services (the rest is manufacturing).
NON_SOFTWARE_SPLIT = (0.88, 0.06, 0.06)


@dataclass(frozen=True)
class Industry:
    """A GB/T 4754-2017 class used by the demo: group, usual ecosystem, weight in its group, name words."""

    code: str
    group: int
    ecosystem: str | None
    weight: float
    words: tuple[str, ...]
    renovation: str  # 81号 第9条 industry a renovation project of this enterprise usually declares


INDUSTRIES: tuple[Industry, ...] = (
    # manufacturing (C): electronics and optoelectronics
    Industry("C3976", MFG, "smart_iot", 5, ("光电科技", "光电"), "next_gen_it"),
    Industry("C3973", MFG, "smart_iot", 3, ("微电子", "半导体"), "integrated_circuit"),
    Industry("C3982", MFG, "smart_iot", 4, ("电子", "电路科技"), "next_gen_it"),
    Industry("C3983", MFG, "smart_iot", 4, ("传感技术", "传感科技"), "next_gen_it"),
    Industry("C3921", MFG, "smart_iot", 3, ("通信技术", "通讯设备"), "next_gen_it"),
    Industry("C4011", MFG, "high_end_equipment", 4, ("自动化", "自控技术"), "high_end_equipment"),
    # equipment and parts
    Industry("C3562", MFG, "high_end_equipment", 3, ("半导体设备", "精密装备"), "integrated_circuit"),
    Industry("C3491", MFG, "high_end_equipment", 3, ("机器人", "智能装备"), "high_end_equipment"),
    Industry("C3484", MFG, "high_end_equipment", 6, ("精密机械", "机械"), "high_end_equipment"),
    Industry("C3443", MFG, "high_end_equipment", 3, ("阀门", "流体控制"), "high_end_equipment"),
    Industry("C3670", MFG, "high_end_equipment", 5, ("汽车部件", "汽配"), "high_end_equipment"),
    Industry("C3311", MFG, "high_end_equipment", 2, ("钢结构", "金属制品"), "other"),
    # health
    Industry("C3581", MFG, "biomedicine", 3, ("医疗器械", "医疗科技"), "biomedicine"),
    Industry("C2710", MFG, "biomedicine", 2, ("药业", "制药"), "biomedicine"),
    Industry("C2720", MFG, "biomedicine", 2, ("医药", "药业"), "biomedicine"),
    Industry("C2761", MFG, "biomedicine", 2, ("生物制药", "生物技术"), "biomedicine"),
    # energy and materials
    Industry("C3841", MFG, "green_energy", 3, ("新能源", "电池"), "new_energy"),
    Industry("C3825", MFG, "green_energy", 3, ("光伏科技", "光能"), "new_energy"),
    Industry("C3985", MFG, "new_materials", 3, ("新材料", "电子材料"), "new_materials"),
    Industry("C2651", MFG, "new_materials", 2, ("高分子材料", "树脂"), "new_materials"),
    Industry("C2929", MFG, "new_materials", 3, ("塑业", "塑料制品"), "new_materials"),
    Industry("C2614", MFG, "new_materials", 2, ("化工", "化学"), "new_materials"),
    # traditional manufacturing
    Industry("C1713", MFG, None, 2, ("纺织", "印染"), "other"),
    Industry("C2231", MFG, None, 1, ("包装", "纸业"), "other"),
    # software and information services (I65), internet services (I64)
    Industry("I6511", SOFTWARE, "smart_iot", 1, ("软件", "信息技术"), "next_gen_it"),
    Industry("I6513", SOFTWARE, "smart_iot", 6, ("软件", "网络科技", "信息科技"), "next_gen_it"),
    Industry("I6519", SOFTWARE, "smart_iot", 1, ("数字科技", "软件"), "next_gen_it"),
    Industry("I6520", SOFTWARE, "smart_iot", 2, ("芯片科技", "微电子"), "integrated_circuit"),
    Industry("I6531", SOFTWARE, "smart_iot", 3, ("信息技术", "系统集成"), "next_gen_it"),
    Industry("I6550", SOFTWARE, "smart_iot", 1, ("数据科技", "云计算"), "next_gen_it"),
    Industry("I6440", SOFTWARE, "smart_iot", 1, ("网络安全", "信息安全"), "next_gen_it"),
    Industry("I6450", SOFTWARE, "smart_iot", 1, ("大数据", "数据服务"), "next_gen_it"),
    # wholesale (F51)
    Industry("F5179", WHOLESALE, None, 2, ("机电设备", "贸易"), "other"),
    Industry("F5174", WHOLESALE, "smart_iot", 1, ("电脑", "计算机"), "other"),
    # research and other services (其他未列明行业)
    Industry("M7320", OTHER, "high_end_equipment", 2, ("技术研究", "工程技术"), "other"),
    Industry("M7340", OTHER, "biomedicine", 1, ("生物医学", "医学检验"), "biomedicine"),
)

# Characters for the two-character trade name (字号); the generator picks two different ones.
TRADE_NAME_CHARS = (
    "恒华达信创泰博鑫瑞远通新安宏腾盛科力天海永金中正明德嘉润优联汇卓睿英智诚精捷航辰峰源景启和昌兴凯宇晟弘致领"
    "普思众拓越立佳康云朗赛舜禾亿方鼎聚合欣星恩迈驰锐灵杰浩轩翔宸澜钱江之湖西湾晨曦华策友元凌麦诺奥泽骏达"
)
# Inserted between trade name and industry word to tell apart enterprises whose names would coincide.
NAME_MIDDLES = (
    "高科",
    "新创",
    "智造",
    "精工",
    "科创",
    "数智",
    "华创",
    "众联",
    "云创",
    "中科",
    "芯创",
    "智能",
    "绿能",
    "光华",
    "东方",
    "新锐",
    "同创",
    "汇智",
    "天成",
    "宏远",
    "博创",
    "领航",
    "启明",
    "长青",
    "聚力",
    "卓越",
    "万象",
    "金桥",
    "之江",
    "钱塘",
)

# Recognition batches (announcement dates) and how often a holder's certificate comes from each (recent batches
# are larger). The calendar runs to CALENDAR_LAST; ``srdi.demo.facts`` uses the batches of the six years up to
# as_of_year (2025: 2020–2025; 2026 adds the 2026 batches), and for an as_of_year outside CALENDAR_FIRST …
# CALENDAR_LAST the nearest of those selections moved by whole years.
CALENDAR_FIRST, CALENDAR_LAST = 2025, 2026
CALENDAR_SPAN_YEARS = 6
CERT_BATCHES: dict[str, tuple[tuple[str, float], ...]] = {
    "innovative_sme": (
        ("2022-07-25", 0.10),
        ("2023-01-18", 0.12),
        ("2023-07-25", 0.14),
        ("2024-01-18", 0.14),
        ("2024-07-25", 0.17),
        ("2025-01-16", 0.16),
        ("2025-07-24", 0.17),
        # 63号 Annex 1 is still the tier-1 standard in 2026 (2号 第三十条)
        ("2026-01-15", 0.16),
        ("2026-07-23", 0.16),
    ),
    "srdi_sme": (
        ("2020-12-18", 0.0),
        ("2021-12-20", 0.06),
        ("2022-07-28", 0.12),
        ("2023-01-16", 0.13),
        ("2023-08-10", 0.15),
        ("2024-01-15", 0.14),
        ("2024-08-12", 0.15),
        ("2025-01-20", 0.12),
        ("2025-08-05", 0.13),
        ("2026-01-20", 0.12),  # 2025年第二批 (浙经信企业〔2026〕4号), still under 63号
        ("2026-07-20", 0.10),  # 2026年第一批, the first under 2号 (Hangzhou publicity 2026-06-26)
    ),
    "little_giant": (
        ("2021-07-19", 0.08),
        ("2022-08-05", 0.22),
        ("2023-07-21", 0.25),
        ("2024-08-20", 0.25),
        ("2025-07-30", 0.20),
        ("2026-08-28", 0.20),  # 第八批 under 2号 (工信厅企业函〔2026〕117号; date assumed)
    ),
    "hidden_champion": (
        ("2021-12-28", 0.15),
        ("2023-01-10", 0.30),
        ("2024-01-10", 0.30),
        ("2025-01-08", 0.25),
        ("2026-01-09", 0.25),  # 2025年度 list (Hangzhou publicity 2026-01-09)
    ),
}

# 科技型中小企业 registrations: announced in provincial batches (month-day) through the year and valid to 31 Dec of
# the year. In 2026 the evaluation opened on 1 June (工企业函〔2026〕160号), so its batches start at the end of June
# (the dates of the 2026 batches are assumed).
TECH_SME_BATCHES: tuple[tuple[str, float], ...] = (
    ("03-25", 0.15),
    ("04-24", 0.20),
    ("05-26", 0.20),
    ("06-25", 0.15),
    ("07-28", 0.12),
    ("09-24", 0.10),
    ("11-25", 0.08),
)
TECH_SME_BATCHES_BY_YEAR: dict[int, tuple[tuple[str, float], ...]] = {
    2026: (("06-29", 0.25), ("07-28", 0.30), ("08-27", 0.25), ("09-28", 0.20)),
}
# Years of 科技型中小企业 registrations in the data: as_of_year − TECH_SME_YEARS + 1 … as_of_year.
TECH_SME_YEARS = 4

# The annual update on the cultivation platform is due by 31 May from 2026 (2号; 浙经信企业〔2026〕108号).
DATA_UPDATES_FROM = 2026
DATA_UPDATE_DUE = "05-31"

# Class-Ⅰ IP other than invention patents, by industry (2号 附件3); industries not listed use the group default.
OTHER_CLASS1_IP: dict[str, str] = {
    "C3973": "ic_layout",
    "C3562": "ic_layout",
    "I6520": "ic_layout",
    "C2710": "national_new_drug",
    "C2761": "national_new_drug",
    "C2720": "tcm_protected_grade1",
}
# 2号 小巨人 key-chain field an industry's main products usually belong to (main_product.key_chain_field).
KEY_CHAIN_FIELDS: dict[str, str] = {
    "C3976": "core_basic_components",
    "C3973": "core_basic_components",
    "C3982": "core_basic_components",
    "C3983": "core_basic_components",
    "C3921": "core_basic_components",
    "C4011": "industrial_tech_base",
    "C3562": "advanced_basic_process",
    "C3491": "emerging_industry",
    "C3484": "core_basic_parts",
    "C3443": "core_basic_parts",
    "C3670": "core_basic_parts",
    "C3311": "traditional_upgrade",
    "C3581": "emerging_industry",
    "C2710": "emerging_industry",
    "C2720": "traditional_upgrade",
    "C2761": "future_industry",
    "C3841": "emerging_industry",
    "C3825": "emerging_industry",
    "C3985": "key_basic_materials",
    "C2651": "key_basic_materials",
    "C2929": "traditional_upgrade",
    "C2614": "key_basic_materials",
    "C1713": "traditional_upgrade",
    "C2231": "traditional_upgrade",
    "I6511": "key_software",
    "I6513": "key_software",
    "I6519": "key_software",
    "I6520": "core_basic_components",
    "I6531": "key_software",
    "I6550": "emerging_industry",
    "I6440": "key_software",
    "I6450": "emerging_industry",
    "M7320": "industrial_tech_base",
    "M7340": "emerging_industry",
}

# Titles and contests below are dated for REFERENCE_AS_OF_YEAR; other years shift them by whole years.
REFERENCE_AS_OF_YEAR = 2025

# 高新技术企业 recognitions are announced near each year's end.
HIGH_TECH_BATCHES: tuple[str, ...] = ("2021-12-15", "2022-12-12", "2023-12-08", "2024-12-10")
OTHER_TITLE_DATES: tuple[str, ...] = ("2022-06-20", "2023-05-18", "2024-06-12", "2024-11-26")
# 创客中国 national finals.
CONTEST_DATES: tuple[str, ...] = ("2021-11-20", "2022-11-18", "2023-09-15", "2024-10-18")

# 81号 policy window; events mostly fall inside it and a few outside to exercise the window checks.
WINDOW_START = "2024-01-27"
WINDOW_END = "2025-12-31"
