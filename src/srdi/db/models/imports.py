"""Import batches: one row per file imported, with its checksum and row-level report."""

from django.db import models


class ImportBatch(models.Model):
    """A file imported into the database (or refused), and what it changed."""

    class Status(models.TextChoices):
        APPLIED = "applied", "已导入"
        PARTIAL = "partial", "部分导入"
        REJECTED = "rejected", "已拒绝（未写入）"
        NOOP = "noop", "无变化"
        HELD = "held", "待确认（疑似单位错误，未写入）"

    created_at = models.DateTimeField("导入时间", auto_now_add=True)
    actor = models.ForeignKey(
        "srdi.User", verbose_name="导入人", null=True, blank=True, on_delete=models.PROTECT
    )
    filename = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size_bytes = models.BigIntegerField("大小（字节）")
    file_format = models.CharField("格式", max_length=10)
    partial = models.BooleanField("允许部分导入", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    rows_total = models.IntegerField("总行数", default=0)
    rows_invalid = models.IntegerField("错误行数", default=0)
    enterprises_created = models.IntegerField("新增企业", default=0)
    enterprises_updated = models.IntegerField("更新企业", default=0)
    facts_changed = models.IntegerField("变更事实数", default=0)
    report = models.JSONField("错误报告", default=list, blank=True)
    flags = models.JSONField("待确认的疑似错误", default=list, blank=True)
    confirmed_flags = models.BooleanField("已确认疑似错误", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "导入批次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}（{self.get_status_display()}）"
