"""Responsible units' quarterly progress reports (责任单位季度工作报告) and the events register (活动登记).

A report belongs to one measure (pack, article), one responsible organisation and one quarter; the unit writes it
(draft), submits it, and city staff accept it or return it with a reason. Its KPI numbers typed by the unit are
``kpi_values`` (keys from ``srdi.domain.unit_kpis``); numbers drawn from the events register are never stored here.
Files go through ``srdi.services.evidence`` storage (content-addressed, SHA-256 checked on download).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class UnitReport(models.Model):
    """One quarterly report of one responsible unit on one measure."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        ACCEPTED = "accepted", "已通过"
        RETURNED = "returned", "已退回"

    pack = models.CharField("政策包", max_length=30)
    article = models.PositiveSmallIntegerField("条款")
    organisation = models.CharField("责任单位", max_length=200, db_index=True)
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    narrative = models.TextField("工作进展", blank=True, default="")
    kpi_values = models.JSONField("指标数值", default=dict, blank=True)
    created_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("修改时间")
    submitted_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_reason = models.TextField("审核意见", blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "责任单位季度报告"
        ordering = ["-year", "-quarter", "pack", "article", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "article", "organisation", "year", "quarter"],
                name="unit_report_one_per_quarter",
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="unit_report_quarter_1_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.pack}.{self.article} {self.year}Q{self.quarter}"


class UnitReportFile(models.Model):
    """One evidence file of a report."""

    report = models.ForeignKey(UnitReport, on_delete=models.PROTECT, related_name="files")
    filename = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size_bytes = models.BigIntegerField("大小")
    uploaded_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "季度报告材料"
        ordering = ["uploaded_at", "id"]


class UnitEvent(models.Model):
    """One event held under a measure: a training, matchmaking, launch, conference, 揭榜挂帅 round or ISO pilot."""

    kind = models.CharField("类型", max_length=20)  # ``srdi.domain.unit_kpis.EventKind``
    held_on = models.DateField("日期", db_index=True)
    title = models.CharField("名称", max_length=200)
    organisation = models.CharField("举办单位", max_length=200, db_index=True)
    pack = models.CharField("政策包", max_length=30)
    article = models.PositiveSmallIntegerField("条款")
    person_times = models.PositiveIntegerField("参与人次", default=0)
    enterprises_reached = models.PositiveIntegerField("覆盖企业数", default=0)
    evidence_name = models.CharField("材料文件名", max_length=255, blank=True, default="")
    evidence_sha256 = models.CharField("材料SHA-256", max_length=64, blank=True, default="")
    evidence_bytes = models.BigIntegerField("材料大小", null=True, blank=True)
    created_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = verbose_name_plural = "活动登记"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"
