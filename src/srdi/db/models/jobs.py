"""Background jobs (exports and other long work) and the data version that loaded-table caches key on.

``Job``: one piece of long work a person asked for — what (``kind`` and ``parameters``), who (``owner``), where it
stands (queued → running → done or failed, ``progress_done`` of ``progress_total``, a Chinese ``message``), and
its result file in the var dir until ``expires_at``. Claimed by ``services.jobs`` with one conditional UPDATE, so
several runner processes never run a job twice.

``DataVersion``: one row whose ``counter`` database triggers (migration 0029) set to a new random value on every
insert, update or delete of the tables ``services.facts_loader.load_tables`` reads, raw SQL and bulk writes included.
"""

from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    """One background job; its result file is ``SRDI_VAR_DIR/jobs/<id>/<result_name>``."""

    kind = models.CharField("类型", max_length=40)
    parameters = models.JSONField("参数", default=dict)
    owner = models.ForeignKey(
        "srdi.User", verbose_name="申请人", on_delete=models.PROTECT, related_name="jobs"
    )
    status = models.CharField("状态", max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.IntegerField("已完成", default=0)
    progress_total = models.IntegerField("总数", default=0)
    message = models.CharField("说明", max_length=500, blank=True, default="")
    result_name = models.CharField("结果文件名", max_length=200, blank=True, default="")
    created_at = models.DateTimeField("提交时间")
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    expires_at = models.DateTimeField("结果保留至", null=True, blank=True)
    worker = models.CharField("执行进程", max_length=80, blank=True, default="")
    # Moved by the running process every ``services.jobs.HEARTBEAT`` seconds: a running job whose heartbeat
    # stopped belongs to a process that died, and is failed so that its owner can submit it again.
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="srdi_job_status_idx")]

    def __str__(self) -> str:
        return f"后台任务 #{self.pk}（{self.get_status_display()}）"


class DataVersion(models.Model):
    """The single row (id 1) whose counter changes (to a random value) with every write to the fact tables."""

    counter = models.BigIntegerField("数据版本", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "数据版本"

    def __str__(self) -> str:
        return f"数据版本 {self.counter}"
