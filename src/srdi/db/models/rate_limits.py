"""Request counters of the rate limits: one row per (bucket, caller, window start).

Written only by ``srdi.services.rate_limits`` with single atomic ``INSERT … ON CONFLICT … DO UPDATE``
statements, so every gunicorn worker process counts in the same row; rows are purged once they expire.
"""

from django.db import models


class RateCounter(models.Model):
    """Requests admitted (``hits``) and refused (``refused``) in one window of one bucket for one caller."""

    bucket = models.CharField("限流类别", max_length=16)
    ident = models.CharField("调用者", max_length=64)  # "u:<user id>" or "ip:<address>"
    window_start = models.BigIntegerField("窗口起点（Unix 秒）")
    expires = models.BigIntegerField("可清除时间（Unix 秒）", db_index=True)
    hits = models.IntegerField("已放行", default=0)
    refused = models.IntegerField("已拒绝", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "限流计数"
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "ident", "window_start"], name="ratecounter_one_row_per_window"
            )
        ]
