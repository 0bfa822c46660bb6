"""Reference tables stored in the database so that foreign keys can point at them."""

from django.db import models


class District(models.Model):
    """One of Hangzhou's 13 county-level divisions (loaded by a data migration from the reference CSV)."""

    code = models.CharField("行政区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=20)
    kind = models.CharField("类型", max_length=30)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "区、县（市）"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"
