"""Award cases (申报/兑现事项), their transition history, publicity objections and evidence files."""

from __future__ import annotations

from django.db import models

from srdi.db.fields import EncryptedTextField
from srdi.domain.workflow.definition import OPEN, STATES

STATE_CHOICES = list(STATES.items())
OPEN_STATES = sorted(OPEN)


class Case(models.Model):
    """One enterprise's claim under one programme for one matter (project, loan, recognition …)."""

    class Origin(models.TextChoices):
        OFFER = "offer", "免申即享"
        APPLICATION = "application", "企业申报"

    programme = models.ForeignKey("srdi.Programme", on_delete=models.PROTECT, related_name="cases")
    enterprise = models.ForeignKey("srdi.Enterprise", on_delete=models.PROTECT, related_name="cases")
    event = models.ForeignKey(
        "srdi.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    matter = models.CharField("事项", max_length=200)
    title = models.CharField("标题", max_length=200)
    origin = models.CharField("来源", max_length=12, choices=Origin.choices)
    state = models.CharField("状态", max_length=20, choices=STATE_CHOICES, db_index=True)
    district_code = models.CharField("区县", max_length=6, blank=True, default="")
    entitlement_status = models.CharField("测算结论", max_length=24, blank=True, default="")
    entitlement_fen = models.BigIntegerField("测算金额（分）", null=True, blank=True)
    entitlement_trace = models.JSONField("测算依据", default=dict, blank=True)
    missing = models.JSONField("缺少的数据", default=list, blank=True)
    paid_for_matter_fen = models.BigIntegerField("同一事项已支付（分）", default=0)
    # The matter's whole entitlement as judged at approval (earlier payments + this case's top-up); kept when
    # the approval is later cancelled: ledger invariant I7 compares every matter's payments with the highest.
    matter_entitlement_fen = models.BigIntegerField("事项应兑现总额（分）", null=True, blank=True)
    approved_fen = models.BigIntegerField("批准金额（分）", null=True, blank=True)
    city_fen = models.BigIntegerField("市级承担（分）", null=True, blank=True)
    district_fen = models.BigIntegerField("区县承担（分）", null=True, blank=True)
    bank_account_name = models.CharField("开户名", max_length=200, blank=True, default="")
    bank_name = models.CharField("开户行", max_length=200, blank=True, default="")
    bank_account_number = EncryptedTextField("银行账号", max_length=40, blank=True, default="")
    # Set when a payment failed or came back from the bank; cleared when a second person confirms the account.
    # A case waiting for its account is left out of new payment runs.
    awaiting_account = models.BooleanField("待更正收款账户", default=False)
    # Labels an enterprise once ticked as provided (before only uploaded files counted); kept for the record.
    evidence_provided = models.JSONField("已提供材料", default=list, blank=True)
    submitted_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district_reviewer = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    city_reviewer = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approver = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    publicity_starts_on = models.DateField("公示开始", null=True, blank=True)
    publicity_ends_on = models.DateField("公示截止", null=True, blank=True)
    payment_run = models.ForeignKey(
        "srdi.PaymentRun", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    last_reason = models.TextField("最近意见", blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "兑现事项"
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "enterprise", "matter"], name="one_case_per_matter"),
            # 从优、就高、不重复 across programmes, packs and years: one open case per enterprise and matter.
            models.UniqueConstraint(
                fields=["enterprise", "matter"],
                condition=models.Q(state__in=OPEN_STATES),
                name="one_open_case_per_matter",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_fen__isnull=True)
                | models.Q(entitlement_fen__isnull=False, approved_fen__lte=models.F("entitlement_fen")),
                name="approved_within_entitlement",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "state"]),
            models.Index(fields=["district_code", "state"]),
            models.Index(fields=["enterprise", "matter"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)


class CaseTransition(models.Model):
    """Every state change: who, when, why, and the case before and after (append-only)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transitions")
    name = models.CharField("操作", max_length=30)
    from_state = models.CharField("原状态", max_length=20)
    to_state = models.CharField("新状态", max_length=20)
    actor = models.ForeignKey("srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150, default="system")
    at = models.DateTimeField("时间（北京时间）")  # stored UTC, shown in Beijing time
    reason = models.TextField("意见", blank=True, default="")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "流程记录"
        ordering = ["case", "at", "id"]


class Objection(models.Model):
    """An objection raised during publicity (公示异议) and how it was resolved."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        DISMISSED = "dismissed", "不成立"
        UPHELD = "upheld", "成立"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="objections")
    raised_by_name = models.CharField("异议人", max_length=100)
    raised_at = models.DateTimeField("提出时间")
    text = models.TextField("异议内容")
    recorded_by = models.ForeignKey("srdi.User", null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("处理状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolution = models.TextField("处理意见", blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "公示异议"
        ordering = ["case", "raised_at"]


class Evidence(models.Model):
    """A supporting document attached to a case; the file is stored under MEDIA_ROOT by its SHA-256."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    label = models.CharField("材料名称", max_length=100)
    filename = models.CharField("文件名", max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField()
    uploaded_by = models.ForeignKey("srdi.User", null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "证明材料"
        ordering = ["case", "uploaded_at"]


class BankAccountChange(models.Model):
    """A corrected bank account for a case whose payment failed or came back: proposed by the enterprise (or
    district staff for it), confirmed or refused by a second person; only a confirmed change is used."""

    class Status(models.TextChoices):
        PENDING = "pending", "待确认"
        CONFIRMED = "confirmed", "已确认"
        REFUSED = "refused", "未通过"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="account_changes")
    account_name = models.CharField("开户名", max_length=200)
    bank_name = models.CharField("开户行", max_length=200)
    account_number = EncryptedTextField("银行账号", max_length=40)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("提出时间")
    note = models.CharField("说明", max_length=200, blank=True, default="")
    decided_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    decision_reason = models.CharField("确认意见", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "收款账户更正"
        ordering = ["case", "requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="pending"), name="one_pending_account_change"
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("requested_by")),
                name="account_change_second_person",
            ),
        ]
