"""Service vouchers (服务券, 81号 第25条): providers, vouchers issued from the annual fund, redemptions."""

from __future__ import annotations

from django.db import models

VOUCHER_CATEGORIES = [
    ("sci_tech_finance", "科创金融服务"),
    ("intellectual_property", "知识产权服务"),
    ("trademark_brand", "商标和品牌创建"),
    ("tech_transfer", "科技成果转移转化"),
    ("capability_evaluation", "创新发展能力评价"),
    ("certification_testing", "认证检测"),
    ("legal_tax", "专项法律财税服务"),
]


class ServiceProvider(models.Model):
    """A third-party service provider that may redeem vouchers in its categories."""

    name = models.CharField("机构名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    categories = models.JSONField("服务类别", default=list)
    active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "服务机构"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Voucher(models.Model):
    """A voucher issued to an SRDI enterprise; issuing commits the annual fund, redeeming pays it."""

    class Status(models.TextChoices):
        ISSUED = "issued", "可使用"
        REDEEMED = "redeemed", "已核销"
        CANCELLED = "cancelled", "已作废"

    code = models.CharField("券号", max_length=30, unique=True)
    programme = models.ForeignKey("srdi.Programme", on_delete=models.PROTECT, related_name="vouchers")
    enterprise = models.ForeignKey("srdi.Enterprise", on_delete=models.PROTECT, related_name="vouchers")
    face_value_fen = models.BigIntegerField("面额（分）")
    category = models.CharField("类别", max_length=30, choices=VOUCHER_CATEGORIES)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ISSUED)
    issued_at = models.DateTimeField("发放时间")
    expires_on = models.DateField("有效期至")
    issued_by = models.ForeignKey("srdi.User", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "服务券"
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(face_value_fen__gt=0), name="voucher_positive")
        ]


class VoucherRedemption(models.Model):
    """The one redemption of a voucher: which provider delivered which service (append-only)."""

    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="redemption")
    provider = models.ForeignKey(ServiceProvider, on_delete=models.PROTECT, related_name="redemptions")
    service = models.CharField("服务内容", max_length=255)
    delivered_on = models.DateField("服务完成日期")
    amount_fen = models.BigIntegerField("核销金额（分）")
    redeemed_by = models.ForeignKey("srdi.User", null=True, on_delete=models.PROTECT, related_name="+")
    redeemed_at = models.DateTimeField("核销时间")
    entry = models.OneToOneField("srdi.LedgerEntry", on_delete=models.PROTECT, related_name="redemption")

    class Meta:
        verbose_name = verbose_name_plural = "服务券核销"
        ordering = ["-redeemed_at"]
