"""Parameter changes (政策参数调整): dated values the bureau sets on top of the packs' cited YAML baseline.

A change is proposed by one person and approved or rejected by another (maker–checker, a database constraint);
an approved change is never edited: a later change is a new row laid over it. ``version`` (``PV12``) is what
every result computed with the value cites.
"""

from __future__ import annotations

from django.db import DatabaseError, connection, models
from django.db.models import F, Q

_table_seen = False


class ParameterChange(models.Model):
    """One proposed value of one parameter for a dated period, with its document and the decision on it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未批准"
        WITHDRAWN = "withdrawn", "已撤回"

    pack = models.CharField("政策包", max_length=30)
    parameter = models.CharField("参数编号", max_length=120, db_index=True)
    # The value as the baseline YAML writes it (fen as integers, ratios as decimal strings, lists, bands …).
    value = models.JSONField("取值")
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    document = models.CharField("依据文件（文号）", max_length=200)
    article = models.CharField("条款", max_length=100, blank=True, default="")
    reason = models.TextField("调整理由")
    moves_money = models.BooleanField("涉及资金", default=True)
    attachment_name = models.CharField("附件文件名", max_length=255, blank=True, default="")
    attachment_sha256 = models.CharField("附件SHA-256", max_length=64, blank=True, default="")
    attachment_bytes = models.BigIntegerField("附件大小", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True
    )
    proposed_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField("提出时间")
    decided_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_reason = models.TextField("审批意见", blank=True, default="")
    # The version the value had where it was first approved, when it came in with ``srdi policy import-params``
    # ("" for a change proposed here); an export cites it so the same value keeps one label across installations.
    source_version = models.CharField("来源版本", max_length=40, blank=True, default="")
    # The simulated effect shown to the approver (``srdi.services.parameter_effect``), kept as it was shown.
    effect = models.JSONField("测算影响", default=dict, blank=True)
    effect_computed_at = models.DateTimeField("测算时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "政策参数调整"
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="parameter_change_second_person",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="parameter_change_period_order",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed", decided_by__isnull=True)
                | Q(status="withdrawn", decided_by__isnull=True)
                | Q(status__in=["approved", "rejected"], decided_by__isnull=False),
                name="parameter_change_decision_fits_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.parameter}（{self.get_status_display()}）"

    @property
    def version(self) -> str:
        """The label results cite for a value this change set."""
        return f"PV{self.pk}"

    @property
    def origin_version(self) -> str:
        """The label an exported parameter set cites: where the value was first approved."""
        return self.source_version or self.version

    @classmethod
    def table_ready(cls) -> bool:
        """Whether the database has this table yet. ``srdi policy show`` and ``list`` read the packs on a machine
        where ``srdi migrate`` has not run; they then show the baseline. Only a positive answer is remembered."""
        global _table_seen
        if not _table_seen:
            try:
                _table_seen = cls._meta.db_table in connection.introspection.table_names()
            except DatabaseError:
                return False
        return _table_seen
