"""The flat (spreadsheet) form of the exchange format: one row per enterprise-year.

Columns are named after the exchange-format fields: top-level fields by name (``uscc``), nested ones with a
dot (``ip.class1``), yearly figures by their field name next to a ``year`` column, and lists
(``certifications`` …) as JSON text in one cell. ``contact.*`` columns carry one contact person (not part of
the JSON exchange format). Chinese labels are accepted as headers too, and so are the aliases each column
carries — the names districts write in their own sheets (``信用代码``, ``单位名称``, ``从业人数`` …). Headers that
are not ours but common in district files (``序号``, ``备注`` …) are listed in ``IGNORED_HEADERS``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: its header, Chinese label, value kind and where it goes."""

    name: str
    label: str
    kind: str  # text | int | fen | bool | date | decimal | json (a list) | json_map (by year) | choice
    level: str  # enterprise | year | contact
    choices: tuple[str, ...] = ()
    example: str = ""
    aliases: tuple[str, ...] = ()  # other headers meaning this column (a money alias still needs its unit)

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))


E, Y, C = "enterprise", "year", "contact"

COLUMNS: tuple[Column, ...] = (
    Column(
        "uscc",
        "统一社会信用代码",
        "text",
        E,
        example="91330106MA2B0CDE1X",
        aliases=(
            "信用代码",
            "社会信用代码",
            "统一代码",
            "企业信用代码",
            "统一信用代码",
            "统一社会信用代码证号",
        ),
    ),
    Column("uscc_override_reason", "校验位例外说明", "text", E),
    Column(
        "name",
        "企业名称",
        "text",
        E,
        example="杭州某某科技有限公司",
        aliases=("单位名称", "企业名", "公司名称", "企业全称", "单位全称"),
    ),
    Column(
        "district",
        "区县代码",
        "text",
        E,
        example="330106",
        aliases=(
            "所属区县代码",
            "区县(代码)",
            "行政区划代码",
            "区县",
            "所属区县",
            "区县名称",
            "所属区县(市)",
            "区县(市)",
            "所在区县",
        ),
    ),
    Column(
        "industry_code",
        "行业代码",
        "text",
        E,
        example="C3976",
        aliases=("国民经济行业代码", "所属行业代码", "行业分类代码"),
    ),
    Column(
        "founded_on",
        "成立日期",
        "date",
        E,
        example="2012-05-01",
        aliases=("成立时间", "注册日期", "注册时间", "设立日期"),
    ),
    Column("registered_in_zhejiang", "浙江省注册", "bool", E, example="是"),
    Column("niche_since_year", "进入细分市场年份", "int", E, example="2013"),
    Column(
        "ecosystem",
        "产业生态圈",
        "choice",
        E,
        ("smart_iot", "biomedicine", "high_end_equipment", "new_materials", "green_energy"),
        "smart_iot",
    ),
    Column("year", "年度", "int", Y, example="2024", aliases=("年份", "数据年度", "统计年度")),
    Column(
        "operating_revenue_fen",
        "营业收入（分）",
        "fen",
        Y,
        example="120000000",
        aliases=("营业收入总额", "营收"),
    ),
    Column("main_business_revenue_fen", "主营业务收入（分）", "fen", Y, aliases=("主营收入",)),
    Column(
        "rd_expense_fen",
        "研发费用（分）",
        "fen",
        Y,
        aliases=("研发投入", "研发经费支出", "研发经费", "研发费用总额"),
    ),
    Column("net_profit_fen", "净利润（分）", "fen", Y),
    Column("total_assets_fen", "资产总额（分）", "fen", Y, aliases=("总资产",)),
    Column("total_liabilities_fen", "负债总额（分）", "fen", Y, aliases=("总负债",)),
    Column(
        "employees",
        "从业人员",
        "int",
        Y,
        aliases=("从业人数", "职工人数", "员工人数", "从业人员数", "职工总数"),
    ),
    Column("rd_staff", "研发人员", "int", Y, aliases=("研发人员数", "研发人数")),
    Column("ip.class1", "Ⅰ类知识产权", "int", E),
    Column("ip.class1_self_developed", "自主研发Ⅰ类知识产权", "int", E),
    Column("ip.class1_high_value", "高价值Ⅰ类知识产权", "int", E),
    Column("ip.class2", "Ⅱ类知识产权", "int", E),
    Column(
        "ip.invention_patents", "发明专利", "int", E, aliases=("发明专利数", "有效发明专利数", "有效发明专利")
    ),
    Column("main_product.strategic_emerging", "主导产品属战略性新兴产业", "bool", E),
    Column(
        "main_product.chain_role",
        "产业链地位",
        "choice",
        E,
        ("key_link_breakthrough", "six_foundations_or_chain_supplier", "none"),
    ),
    Column(
        "main_product.pin_field",
        "主导产品所属领域",
        "choice",
        E,
        ("six_foundations", "manufacturing_power_key_industry", "cyber_power", "none"),
    ),
    Column("main_product.products_count", "主导产品数", "int", E),
    Column("main_product.niche_market_share", "细分市场占有率", "decimal", E, example="0.12"),
    Column("main_product.national_rank", "全国排名", "int", E),
    Column("main_product.global_rank", "全球排名", "int", E),
    Column("main_product.revenue_share", "主导产品收入占营业收入比重", "decimal", E, example="0.65"),
    Column(
        "main_product.key_chain_field",
        "产业链关键领域（小巨人）",
        "choice",
        E,
        (
            "core_basic_parts",
            "core_basic_components",
            "key_software",
            "advanced_basic_process",
            "key_basic_materials",
            "industrial_tech_base",
            "traditional_upgrade",
            "emerging_industry",
            "future_industry",
            "none",
        ),
    ),
    Column("group_has_little_giant", "与有效“小巨人”有控股或同一集团关系", "bool", E),
    Column("digital_level", "数字化水平等级", "int", E),
    Column("quality.provincial_quality_award", "省级以上质量奖", "bool", E),
    Column("quality.qms_certified", "质量管理体系认证", "bool", E),
    Column("quality.own_brand", "自主品牌", "bool", E),
    Column("quality.drafted_standards", "参与标准制修订", "bool", E),
    Column(
        "rd_institution_level",
        "研发机构级别",
        "choice",
        E,
        ("national", "provincial", "municipal", "below_municipal", "none"),
    ),
    Column("info_system_core_business", "核心业务信息系统支撑", "bool", E),
    Column("management_or_foreign_product_cert", "管理体系或境外产品认证", "bool", E),
    Column("international_cert", "国际认证", "bool", E),
    Column("zj_featured_points", "特色化指标得分", "int", E),
    Column("compliance.major_accident_3y", "近三年重大事故", "bool", E),
    Column("compliance.dishonest", "严重失信", "bool", E),
    Column("compliance.abnormal_operation", "经营异常", "bool", E),
    Column("compliance.restricted_products", "限制或淘汰类产品", "bool", E),
    Column("compliance.bank_rating_ok", "银行信用评级A级以上或无不良记录", "bool", E),
    Column(
        "titles",
        "资质称号（JSON）",
        "json",
        E,
        example='[{"kind":"high_tech_enterprise","valid_from":"2023-12-01","valid_to":"2026-11-30"}]',
    ),
    Column("awards", "获奖（JSON）", "json", E),
    Column("contests", "赛事（JSON）", "json", E),
    Column("equity_financing", "股权融资（JSON）", "json", E),
    Column(
        "certifications",
        "梯度认定（JSON）",
        "json",
        E,
        example='[{"tier":"srdi_sme","recognized_on":"2023-01-15"}]',
    ),
    Column("events", "政策事件（JSON）", "json", E),
    Column("platform_scores", "平台评价得分（JSON）", "json_map", E, example='{"2026":"58.5"}'),
    Column(
        "ip_items",
        "知识产权明细（JSON）",
        "json",
        E,
        example='[{"kind":"invention_patent","granted_on":"2021-03-02","transferred_in":false,"holder_rank":1,'
        '"applied_with_benefit":true}]',
    ),
    Column(
        "data_updates", "年度信息更新（JSON）", "json", E, example='[{"year":2026,"updated_on":"2026-05-20"}]'
    ),
    Column("sanctions", "处理记录（JSON）", "json", E),
    Column("contact.name", "联系人姓名", "text", C, aliases=("联系人",)),
    Column("contact.position", "联系人职务", "text", C, aliases=("职务",)),
    Column(
        "contact.phone",
        "联系人电话",
        "text",
        C,
        aliases=("联系电话", "联系人手机", "手机", "手机号", "手机号码"),
    ),
    Column(
        "contact.id_number",
        "联系人身份证号",
        "text",
        C,
        aliases=("身份证号", "身份证号码", "联系人身份证号码"),
    ),
)

BY_NAME = {c.name: c for c in COLUMNS}
BY_HEADER = {**BY_NAME, **{c.label: c for c in COLUMNS}}
YEAR_FIELDS = tuple(c.name for c in COLUMNS if c.level == Y and c.name != "year")
LIST_FIELDS = (
    "titles",
    "awards",
    "contests",
    "equity_financing",
    "certifications",
    "events",
    "platform_scores",
    "ip_items",
    "data_updates",
    "sanctions",
)
# Headers of district files that are not data of ours: ignored without a warning (any other unknown header is
# ignored too, but listed in a warning).
IGNORED_HEADERS = (
    "序号",
    "编号",
    "行号",
    "备注",
    "说明",
    "填报人",
    "填表人",
    "审核人",
    "填报日期",
    "填报单位",
    "负责人",
    "法定代表人",
    "法人代表",
    "企业地址",
    "注册地址",
    "地址",
    "邮编",
    "所属街道",
    "街道",
    "乡镇(街道)",
    "所属乡镇(街道)",
    "所属行业",
    "行业名称",
    "行业",
    "主导产品",
    "主导产品名称",
    "企业类型",
    "登记注册类型",
    "企业规模",
    "是否规上",
    "审核意见",
    "推荐意见",
    "错误说明",  # the error workbook of an import (``error_workbook``), uploaded again once corrected
    "原行号",
)
