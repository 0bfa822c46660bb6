"""The 小巨人 seedling pool (种苗库) and the official published counts entered by city staff.

``SeedlingMember`` is one spell of one enterprise in the pool: from ``added_on`` to ``removed_on`` (open while
empty), added by city staff directly or proposed by district staff and confirmed by the city. A spell is never
deleted: removal sets ``removed_on``; a graduation (the enterprise gains the 小巨人 title) is read from its
certifications, not stored. ``PublishedCountEntry`` is one entered published count; a later entry for the same key
supersedes an earlier one, which stays as history (rows are never edited). The rules are
``srdi.services.seedlings`` and ``srdi.services.published_counts``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SeedlingMember(models.Model):
    """One enterprise's spell in the seedling pool (see the module docstring)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待市级确认"
        CONFIRMED = "confirmed", "已入库"
        DECLINED = "declined", "未予确认"

    class Source(models.TextChoices):
        MANUAL = "manual", "人工添加"
        SCREENING = "screening", "筛查候选"

    enterprise = models.ForeignKey(
        "srdi.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="seedling_spells"
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, db_index=True)
    added_on = models.DateField("入库日期")
    reason = models.TextField("入库理由")
    source = models.CharField("来源", max_length=12, choices=Source.choices, default=Source.MANUAL)
    source_run = models.ForeignKey(
        "srdi.AssessmentRun",
        verbose_name="来源筛查",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposed_by = models.ForeignKey(
        "srdi.User", verbose_name="提出人", on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField("提出时间")
    decided_by = models.ForeignKey(
        "srdi.User", verbose_name="确认人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    decision_note = models.TextField("确认意见", blank=True, default="")
    removal_proposed_on = models.DateField("拟移出日期", null=True, blank=True)
    removal_reason = models.TextField("移出理由", blank=True, default="")
    removal_proposed_by = models.ForeignKey(
        "srdi.User",
        verbose_name="移出提出人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    removal_proposed_at = models.DateTimeField("移出提出时间", null=True, blank=True)
    removed_on = models.DateField("移出日期", null=True, blank=True)
    removed_by = models.ForeignKey(
        "srdi.User",
        verbose_name="移出确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    removed_at = models.DateTimeField("移出确认时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "小巨人种苗库"
        ordering = ["-added_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(status__in=["proposed", "confirmed"], removed_on__isnull=True),
                name="seedling_one_open_spell",
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=models.F("added_on")),
                name="seedling_removed_after_added",
            ),
        ]

    def __str__(self) -> str:
        return f"种苗库 {self.enterprise_id} {self.added_on}"


class PublishedCountEntry(models.Model):
    """One published count entered by city staff; the latest entry of a key (tier, year, batch, kind,
    district) is the one in force, earlier ones are kept as history."""

    class Status(models.TextChoices):
        OFFICIAL = "OFFICIAL", "官方文件"
        SECONDARY = "SECONDARY", "二手来源"

    tier = models.CharField("层级", max_length=30)
    year = models.PositiveSmallIntegerField("年度")
    batch = models.CharField("批次", max_length=60)
    kind = models.CharField("类别", max_length=30)
    district = models.ForeignKey(
        "srdi.District",
        verbose_name="区县",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    count = models.PositiveIntegerField("数量")
    status = models.CharField("可信度", max_length=12, choices=Status.choices)
    doc_number = models.CharField("文号", max_length=100, blank=True, default="")
    url = models.URLField("网址", max_length=500, blank=True, default="")
    title = models.CharField("文件标题", max_length=200, blank=True, default="")
    supersedes = models.ForeignKey(
        "self", verbose_name="取代", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by = models.ForeignKey(
        "srdi.User", verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = verbose_name_plural = "官方公布数录入"
        ordering = ["-id"]
        indexes = [models.Index(fields=["tier", "year", "batch", "kind"])]

    def __str__(self) -> str:
        return f"{self.tier} {self.year} {self.batch} {self.kind}: {self.count}"
