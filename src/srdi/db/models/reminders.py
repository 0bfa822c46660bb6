"""Reminders already sent: one row per reminder key, so that the daily run never sends the same one twice."""

from __future__ import annotations

from django.db import models


class ReminderSent(models.Model):
    """A reminder delivered to the inbox (``services.reminders``); ``key`` names the reminder and its occasion,
    e.g. ``review_due:cert:12:2027-01-14`` (the title's last valid day), so a new occasion is a new key."""

    key = models.CharField("提醒标识", max_length=160, unique=True)
    kind = models.CharField("类型", max_length=20)
    sent_on = models.DateField("发送日期")
    recipients = models.PositiveIntegerField("收件方数", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "已发送提醒"
        ordering = ["-sent_on", "key"]
        indexes = [models.Index(fields=["kind", "sent_on"])]

    def __str__(self) -> str:
        return self.key
