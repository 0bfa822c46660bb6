"""Programmes (申报批次) and their budgets. A budget's cap is a database constraint, not only a Python check."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q


class Programme(models.Model):
    """One measure run for one period: mode (免申即享 / application), publicity days, quota, evidence, budget."""

    class Mode(models.TextChoices):
        OFFER = "offer", "免申即享"
        APPLICATION = "application", "企业申报"
        BOTH = "both", "免申即享 + 企业申报"

    class Status(models.TextChoices):
        DRAFT = "draft", "筹备"
        OPEN = "open", "受理中"
        CLOSED = "closed", "已结束"

    code = models.CharField("批次编号", max_length=50, unique=True)
    name = models.CharField("名称", max_length=200)
    pack = models.CharField("政策包", max_length=30, default="hz81")
    article = models.SmallIntegerField("条款")
    year = models.SmallIntegerField("年度")
    mode = models.CharField("方式", max_length=12, choices=Mode.choices, default=Mode.BOTH)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    opens_on = models.DateField("开始受理")
    closes_on = models.DateField("截止日期")
    publicity_days = models.SmallIntegerField("公示期（工作日）", default=5)
    quota = models.IntegerField("名额上限", null=True, blank=True)
    required_evidence = models.JSONField("必需材料", default=list, blank=True)
    # Districts for which the city pays the whole award under this programme (本批次约定): their share of the
    # cost is 0 and they need no district budget. Every other district shares by ``fiscal_share.<district>``.
    city_pays_all = models.JSONField("市级全额承担的区县", default=list, blank=True)
    description = models.TextField("说明", blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "申报批次"
        ordering = ["-year", "article", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def measure_id(self) -> str:
        return f"{self.pack}.{self.article}"


class BudgetAccount(models.Model):
    """The budget of a programme for a year and a funding side (city, or one district).

    ``used_fen`` is everything committed or paid; ``paid_fen`` the part already paid. The database refuses
    ``used_fen > cap_fen`` and ``paid_fen > used_fen``, so no code path can overspend.
    """

    class Side(models.TextChoices):
        CITY = "city", "市级"
        DISTRICT = "district", "区县"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="budgets")
    year = models.SmallIntegerField("年度")
    side = models.CharField("承担方", max_length=8, choices=Side.choices)
    district_code = models.CharField("区县代码", max_length=6, blank=True, default="")
    cap_fen = models.BigIntegerField("预算额度（分）")
    used_fen = models.BigIntegerField("已承诺+已支付（分）", default=0)
    paid_fen = models.BigIntegerField("已支付（分）", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "预算账户"
        ordering = ["programme", "year", "side", "district_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year", "side", "district_code"], name="one_budget_per_side"
            ),
            models.CheckConstraint(condition=Q(used_fen__lte=F("cap_fen")), name="budget_never_overspent"),
            models.CheckConstraint(condition=Q(paid_fen__lte=F("used_fen")), name="paid_within_used"),
            models.CheckConstraint(
                condition=Q(paid_fen__gte=0) & Q(used_fen__gte=0) & Q(cap_fen__gte=0),
                name="budget_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(side="city", district_code="") | Q(side="district") & ~Q(district_code=""),
                name="district_budget_has_district",
            ),
        ]

    def __str__(self) -> str:
        side = "市级" if self.side == "city" else f"区县 {self.district_code}"
        return f"{self.programme.code} {self.year} {side}"

    @property
    def available_fen(self) -> int:
        return self.cap_fen - self.used_fen


class BudgetAdjustment(models.Model):
    """A change to a programme's budgets after they were set: an increase, a transfer between two of its
    budgets, or a release back to the treasury. Proposed with a reason, approved by a second person, then
    posted to the ledger (``entry``); a release or transfer never takes a budget below what it has used."""

    class Kind(models.TextChoices):
        INCREASE = "increase", "追加"
        TRANSFER = "transfer", "调剂"
        RELEASE = "release", "核减"

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已生效"
        REFUSED = "refused", "未批准"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    source = models.ForeignKey(
        BudgetAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="调出预算",
    )
    target = models.ForeignKey(
        BudgetAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="调入预算",
    )
    # ``city`` or a district code: the side that receives an increase or a transfer (its budget is opened when
    # the adjustment is approved, if it has none yet)
    target_side = models.CharField("调入方", max_length=6, blank=True, default="")
    amount_fen = models.BigIntegerField("金额（分）")
    reason = models.CharField("理由", max_length=300)
    document = models.CharField("依据文件", max_length=200, blank=True, default="")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("提出时间")
    decided_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_reason = models.CharField("审批意见", max_length=300, blank=True, default="")
    entry = models.OneToOneField(
        "srdi.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustment"
    )

    class Meta:
        verbose_name = verbose_name_plural = "预算调整"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="adjustment_positive"),
            models.CheckConstraint(
                condition=Q(kind="increase", source__isnull=True) & ~Q(target_side="")
                | Q(kind="release", source__isnull=False, target__isnull=True, target_side="")
                | Q(kind="transfer", source__isnull=False) & ~Q(target_side=""),
                name="adjustment_sides_fit_kind",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="adjustment_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} {self.get_kind_display()} {self.amount_fen} 分"
