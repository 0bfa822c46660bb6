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
    publicity_days = models.SmallIntegerField("公示天数", default=7)
    quota = models.IntegerField("名额上限", null=True, blank=True)
    required_evidence = models.JSONField("必需材料", default=list, blank=True)
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
