"""The user's visits to the home page, so the home can say what changed since the previous visit."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class HomeVisit(models.Model):
    """One row per user: when the current visit began and when the previous one did (``services.home``).

    Kept apart from ``last_login`` (which a new sign-in overwrites) so a refreshed session never loses it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="home_visit", verbose_name="账号"
    )
    current_at = models.DateTimeField("本次访问开始（UTC）")
    seen_at = models.DateTimeField("本次访问最近打开首页（UTC）")
    previous_at = models.DateTimeField("上次访问开始（UTC）", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "首页访问记录"

    def __str__(self) -> str:
        return f"{self.user_id} {self.current_at:%Y-%m-%d %H:%M}"
