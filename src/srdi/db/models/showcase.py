"""Showcase entries (典型案例, 81号 第26条): an exemplary enterprise the city presents on the public page.

The tier shown is never stored: it is the enterprise's highest tier title valid on the day the page is shown
(``srdi.services.showcase``), so an entry whose title has lapsed disappears by itself. The enterprise's consent
is the entry's ``consent`` (given in the portal by the enterprise's own user, or by city staff uploading the
signed consent document, stored like evidence with its SHA-256); its history is in the audit log.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from srdi.domain.showcase import STATUS_LABELS, Consent, ConsentMethod, Status


class ShowcaseEntry(models.Model):
    """One enterprise's showcase entry (one per enterprise)."""

    enterprise = models.OneToOneField(
        "srdi.Enterprise", on_delete=models.PROTECT, related_name="showcase_entry", verbose_name="企业"
    )
    public_name = models.CharField("展示名称", max_length=60)
    cluster = models.CharField("产业集群", max_length=40, db_index=True)
    story = models.TextField("典型事迹")
    status = models.CharField(
        "状态",
        max_length=10,
        choices=[(s.value, label) for s, label in STATUS_LABELS.items()],
        default=Status.DRAFT.value,
        db_index=True,
    )
    created_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("推荐时间")
    updated_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间")
    submitted_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    reason = models.TextField("退回或撤下理由", blank=True, default="")
    consent = models.CharField(
        "企业同意",
        max_length=10,
        choices=[(c.value, c.label) for c in Consent],
        default=Consent.NONE.value,
        db_index=True,
    )
    consent_method = models.CharField(
        "同意方式", max_length=10, blank=True, default="", choices=[(m.value, m.label) for m in ConsentMethod]
    )
    consent_at = models.DateTimeField("同意（撤回）时间", null=True, blank=True)
    consent_by = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_document_name = models.CharField("同意书文件名", max_length=255, blank=True, default="")
    consent_document_sha256 = models.CharField("同意书SHA-256", max_length=64, blank=True, default="")
    consent_document_bytes = models.BigIntegerField("同意书大小", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "典型案例"
        ordering = ["-published_at", "-id"]
        constraints = [
            # A published entry always carries who approved it and when.
            models.CheckConstraint(
                condition=~Q(status="published") | Q(decided_by__isnull=False, published_at__isnull=False),
                name="showcase_published_is_approved",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name
