"""In-app notifications (站内信) for staff and enterprise users."""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    """A message to one user, or to every user of an enterprise."""

    user = models.ForeignKey(
        "srdi.User", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    enterprise = models.ForeignKey(
        "srdi.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    district_code = models.CharField(max_length=6, blank=True, default="")
    audience = models.CharField("对象", max_length=20, blank=True, default="")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True, default="")
    url = models.CharField("链接", max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内信"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["enterprise", "read_at"])]
