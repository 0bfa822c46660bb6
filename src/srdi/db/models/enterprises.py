"""The quality-SME database: enterprises, their yearly figures, IP, titles, certifications and events.

Each model mirrors a part of the exchange format v1 (field names match). A null value means unknown, never 0.
Every fact records where it came from: the import batch (or none for a manual edit), who and when.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from srdi.db.fields import EncryptedTextField, KeyedHashField
from srdi.db.validators import validate_id_number
from srdi.domain.exchange import EVENT_KINDS
from srdi.domain.reference import CERT_TIERS, ECOSYSTEMS

TIER_CHOICES = list(CERT_TIERS.items())
ECOSYSTEM_CHOICES = list(ECOSYSTEMS.items())
SIZE_CHOICES = [("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型")]
CHAIN_ROLE_CHOICES = [
    ("key_link_breakthrough", "关键环节补短板/锻长板/填空白"),
    ("six_foundations_or_chain_supplier", "工业六基/中华老字号/为链主配套"),
    ("none", "无"),
]
PIN_FIELD_CHOICES = [
    ("six_foundations", "工业“六基”"),
    ("manufacturing_power_key_industry", "制造强国十大重点产业"),
    ("cyber_power", "网络强国重点领域"),
    ("none", "无"),
]
RD_LEVEL_CHOICES = [
    ("national", "国家级"),
    ("provincial", "省级"),
    ("municipal", "市级"),
    ("below_municipal", "市级以下"),
    ("none", "无"),
]
TITLE_CHOICES = [
    ("high_tech_enterprise", "高新技术企业"),
    ("tech_innovation_demo", "国家级技术创新示范企业"),
    ("ip_advantage", "知识产权优势企业"),
    ("ip_demo", "知识产权示范企业"),
    ("single_champion", "制造业单项冠军"),
]
EVENT_CHOICES = [(k, k) for k in EVENT_KINDS]


class Sourced(models.Model):
    """Provenance shared by every fact: which import wrote it (if any), who, and when."""

    source_batch = models.ForeignKey(
        "srdi.ImportBatch",
        verbose_name="来源导入批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        "srdi.User", verbose_name="录入人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间", auto_now=True)

    class Meta:
        abstract = True


class Enterprise(Sourced):
    """One enterprise, identified by its 统一社会信用代码."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    uscc_override_reason = models.TextField("校验位例外说明", blank=True, default="")
    name = models.CharField("企业名称", max_length=200, blank=True, default="", db_index=True)
    district = models.ForeignKey(
        "srdi.District",
        verbose_name="所在区县",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    industry_code = models.CharField("行业代码（GB/T 4754-2017）", max_length=5, null=True, blank=True)
    size_class = models.CharField(
        "企业规模（300号）", max_length=6, choices=SIZE_CHOICES, null=True, blank=True
    )
    size_year = models.SmallIntegerField("划型所用年度", null=True, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    registered_in_zhejiang = models.BooleanField("浙江省注册", null=True, blank=True)
    niche_since_year = models.SmallIntegerField("进入细分市场年份", null=True, blank=True)
    ecosystem = models.CharField(
        "产业生态圈", max_length=20, choices=ECOSYSTEM_CHOICES, null=True, blank=True, db_index=True
    )

    ip_class1 = models.IntegerField("Ⅰ类知识产权", null=True, blank=True)
    ip_class1_self_developed = models.IntegerField("其中自主研发Ⅰ类", null=True, blank=True)
    ip_class1_high_value = models.IntegerField("其中高价值Ⅰ类", null=True, blank=True)
    ip_class2 = models.IntegerField("Ⅱ类知识产权", null=True, blank=True)
    ip_invention_patents = models.IntegerField("发明专利", null=True, blank=True)

    mp_strategic_emerging = models.BooleanField("主导产品属战略性新兴产业", null=True, blank=True)
    mp_chain_role = models.CharField(
        "产业链地位", max_length=40, choices=CHAIN_ROLE_CHOICES, null=True, blank=True
    )
    mp_pin_field = models.CharField(
        "主导产品所属领域", max_length=40, choices=PIN_FIELD_CHOICES, null=True, blank=True
    )
    mp_products_count = models.IntegerField("主导产品数", null=True, blank=True)
    mp_niche_market_share = models.DecimalField(
        "细分市场占有率", max_digits=12, decimal_places=9, null=True, blank=True
    )
    mp_national_rank = models.IntegerField("全国排名", null=True, blank=True)
    mp_global_rank = models.IntegerField("全球排名", null=True, blank=True)
    mp_revenue_share = models.DecimalField(
        "主导产品收入占营业收入比重", max_digits=12, decimal_places=9, null=True, blank=True
    )
    mp_key_chain_field = models.CharField(
        "产业链关键领域（2号 小巨人）", max_length=30, null=True, blank=True
    )
    group_has_little_giant = models.BooleanField(
        "与有效“小巨人”存在控股或同一集团关系", null=True, blank=True
    )

    digital_level = models.SmallIntegerField("数字化水平等级", null=True, blank=True)
    q_provincial_quality_award = models.BooleanField("省级以上质量奖", null=True, blank=True)
    q_qms_certified = models.BooleanField("质量管理体系认证", null=True, blank=True)
    q_own_brand = models.BooleanField("自主品牌", null=True, blank=True)
    q_drafted_standards = models.BooleanField("参与标准制修订", null=True, blank=True)
    rd_institution_level = models.CharField(
        "研发机构级别", max_length=20, choices=RD_LEVEL_CHOICES, null=True, blank=True
    )
    info_system_core_business = models.BooleanField("核心业务信息系统支撑", null=True, blank=True)
    management_or_foreign_product_cert = models.BooleanField("管理体系或境外产品认证", null=True, blank=True)
    international_cert = models.BooleanField("国际认证", null=True, blank=True)
    zj_featured_points = models.SmallIntegerField("特色化指标得分（浙江）", null=True, blank=True)

    c_major_accident_3y = models.BooleanField("近三年重大事故", null=True, blank=True)
    c_dishonest = models.BooleanField("严重失信", null=True, blank=True)
    c_abnormal_operation = models.BooleanField("经营异常", null=True, blank=True)
    c_restricted_products = models.BooleanField("限制/淘汰类产品", null=True, blank=True)
    c_bank_rating_ok = models.BooleanField("银行信用评级A级以上或无不良记录", null=True, blank=True)

    # A list that was never supplied is unknown; an empty supplied list means "none".
    titles_known = models.BooleanField(default=False)
    awards_known = models.BooleanField(default=False)
    contests_known = models.BooleanField(default=False)
    equity_known = models.BooleanField(default=False)
    certifications_known = models.BooleanField(default=False)
    ip_items_known = models.BooleanField(default=False)
    platform_scores_known = models.BooleanField(default=False)
    data_updates_known = models.BooleanField(default=False)
    sanctions_known = models.BooleanField(default=False)

    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业"
        ordering = ["uscc"]
        indexes = [models.Index(fields=["district", "uscc"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(zj_featured_points__isnull=True)
                | (Q(zj_featured_points__gte=0) & Q(zj_featured_points__lte=15)),
                name="featured_points_0_15",
            ),
            models.CheckConstraint(
                condition=Q(digital_level__isnull=True) | (Q(digital_level__gte=1) & Q(digital_level__lte=4)),
                name="digital_level_1_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or '（未命名）'}（{self.uscc}）"


class EnterpriseYear(Sourced):
    """One calendar year's figures, money in fen."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="years")
    year = models.SmallIntegerField("年度")
    operating_revenue_fen = models.BigIntegerField("营业收入（分）", null=True, blank=True)
    main_business_revenue_fen = models.BigIntegerField("主营业务收入（分）", null=True, blank=True)
    rd_expense_fen = models.BigIntegerField("研发费用（分）", null=True, blank=True)
    net_profit_fen = models.BigIntegerField("净利润（分）", null=True, blank=True)
    total_assets_fen = models.BigIntegerField("资产总额（分）", null=True, blank=True)
    total_liabilities_fen = models.BigIntegerField("负债总额（分）", null=True, blank=True)
    employees = models.IntegerField("从业人员", null=True, blank=True)
    rd_staff = models.IntegerField("研发人员", null=True, blank=True)

    FIGURES = (
        "operating_revenue_fen",
        "main_business_revenue_fen",
        "rd_expense_fen",
        "net_profit_fen",
        "total_assets_fen",
        "total_liabilities_fen",
        "employees",
        "rd_staff",
    )

    class Meta:
        verbose_name = verbose_name_plural = "年度经营数据"
        ordering = ["enterprise", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="one_row_per_enterprise_year")
        ]


class Title(Sourced):
    """A title such as 高新技术企业, with its validity."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="titles")
    kind = models.CharField("称号", max_length=30, choices=TITLE_CHOICES)
    valid_from = models.DateField("有效期起", null=True, blank=True)
    valid_to = models.DateField("有效期止", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "资质称号"
        ordering = ["enterprise", "valid_from"]


class Award(Sourced):
    """An award (科技奖励 and others)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="awards")
    level = models.CharField("级别", max_length=30, null=True, blank=True)
    kind = models.CharField("类别", max_length=30, null=True, blank=True)
    rank = models.IntegerField("获奖单位排名", null=True, blank=True)
    date = models.DateField("获奖日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "获奖"
        ordering = ["enterprise", "date"]


class Contest(Sourced):
    """A contest result (创客中国 …)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contests")
    kind = models.CharField("赛事", max_length=40, null=True, blank=True)
    group = models.CharField("名次组别", max_length=40, null=True, blank=True)
    date = models.DateField("日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "赛事"
        ordering = ["enterprise", "date"]


class EquityFinancing(Sourced):
    """New equity financing, paid-in amount in fen."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="equity_financings")
    date = models.DateField("日期", null=True, blank=True)
    amount_fen = models.BigIntegerField("实缴金额（分）", null=True, blank=True)
    qualified_investor = models.BooleanField("合格机构投资者", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "股权融资"
        ordering = ["enterprise", "date"]


class Certification(Sourced):
    """A tier title (创新型/专精特新/隐形冠军/小巨人) with its validity, batch and source document."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="certifications")
    tier = models.CharField("层级", max_length=20, choices=TIER_CHOICES)
    recognized_on = models.DateField("认定日期", null=True, blank=True)
    expires_on = models.DateField("有效期至", null=True, blank=True)
    revoked_on = models.DateField("撤销日期", null=True, blank=True)
    batch = models.CharField("批次", max_length=100, null=True, blank=True)
    source_document = models.CharField("认定文件", max_length=200, null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "梯度认定"
        ordering = ["enterprise", "recognized_on"]
        indexes = [models.Index(fields=["tier", "expires_on"])]


class Contact(Sourced):
    """A contact person. Phone and ID number are personal information: encrypted at rest (``EncryptedTextField``),
    found by their keyed hashes, shown masked except to those allowed to reveal them."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("姓名", max_length=50)
    position = models.CharField("职务", max_length=50, blank=True, default="")
    phone = EncryptedTextField("电话", max_length=30, blank=True, default="")
    id_number = EncryptedTextField(
        "身份证号", max_length=18, blank=True, default="", validators=[validate_id_number]
    )
    phone_hash = KeyedHashField("电话检索哈希", source="phone", kind="phone", db_index=True)
    id_number_hash = KeyedHashField("身份证号检索哈希", source="id_number", kind="id_number", db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "联系人"
        ordering = ["enterprise", "id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is not None:  # a saved phone or ID number takes its hash along
            extra = {f"{name}_hash" for name in ("phone", "id_number") if name in fields}
            kwargs["update_fields"] = {*fields, *extra}
        super().save(*args, **kwargs)


class Event(Sourced):
    """An event that can earn money or a qualification under a policy (exchange-format ``events``)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("类型", max_length=30, choices=EVENT_CHOICES)
    date = models.DateField("日期", null=True, blank=True, db_index=True)
    key = models.CharField("事件标识", max_length=100, blank=True, default="")
    payload = models.JSONField("事件内容")

    class Meta:
        verbose_name = verbose_name_plural = "政策事件"
        ordering = ["enterprise", "date", "id"]


class IpItem(Sourced):
    """One item of IP related to the main product (exchange format 1.1 ``ip_items``)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="ip_items")
    kind = models.CharField("类别", max_length=30)
    granted_on = models.DateField("授权日期", null=True, blank=True)
    expires_on = models.DateField("到期日期", null=True, blank=True)
    transferred_in = models.BooleanField("转入取得", null=True, blank=True)
    holder_rank = models.IntegerField("权利人排名", null=True, blank=True)
    applied_with_benefit = models.BooleanField("实际应用并产生经济效益", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "知识产权"
        ordering = ["enterprise", "granted_on", "id"]


class PlatformScore(Sourced):
    """The 专精特新发展质量评价 score the national cultivation platform computed for a year (75号)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="platform_scores")
    year = models.SmallIntegerField("年度")
    score = models.DecimalField("得分", max_digits=12, decimal_places=6)

    class Meta:
        verbose_name = verbose_name_plural = "平台评价得分"
        ordering = ["enterprise", "year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="one_score_per_enterprise_year"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="score_0_100"),
        ]


class DataUpdate(Sourced):
    """The annual update of the enterprise's data on the cultivation platform."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="data_updates")
    year = models.SmallIntegerField("年度")
    updated_on = models.DateField("更新日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度信息更新"
        ordering = ["enterprise", "year"]


class Sanction(Sourced):
    """A sanction such as data fraud (数据造假), from its date."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField("类别", max_length=20)
    date = models.DateField("日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "处理记录"
        ordering = ["enterprise", "date"]
