"""The append-only, hash-chained audit log (等保 8.1.4.3; ASVS 16.x).

Rows are written only by ``srdi.services.audit.record``; database triggers refuse UPDATE, DELETE and (on
PostgreSQL) TRUNCATE. Rows are numbered 1..N without gaps (``seq``); each row's ``hash`` covers the previous one —
an HMAC with a key kept outside the database since migration 0017 (``key_id`` names it), plain SHA-256 before.
"""

from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    IMPORT = "import", "导入"
    EXPORT = "export", "导出"
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    PASSWORD_CHANGE = "password_change", "修改密码"
    ACCESS_DENIED = "access_denied", "越权访问被拒绝"
    REVEAL = "reveal", "查看敏感信息"
    ASSESS = "assess", "评价"
    SCREEN = "screen", "全市筛查"
    TRANSITION = "transition", "流程流转"
    LEDGER = "ledger", "资金记账"
    BACKUP = "backup", "数据库备份"
    RESTORE = "restore", "数据库恢复"
    DRILL = "drill", "恢复演练"
    RATE_LIMITED = "rate_limited", "请求过于频繁被限制"
    ROLE_GRANT = "role_grant", "角色授权"
    SETTINGS = "settings", "修改设置"
    PARAMETER = "parameter", "政策参数调整"


class AuditEvent(models.Model):
    """One audit record: who did what to which object, when (UTC), with old and new values."""

    occurred_at = models.DateTimeField("时间（北京时间）", db_index=True)  # stored UTC, shown in Beijing time
    actor = models.ForeignKey(
        "srdi.User", verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField("操作人（快照）", max_length=150)
    action = models.CharField("操作", max_length=20, choices=AuditAction.choices)
    object_type = models.CharField("对象类型", max_length=50, blank=True, default="")
    object_id = models.CharField("对象标识", max_length=64, blank=True, default="")
    object_repr = models.CharField("对象", max_length=255, blank=True, default="")
    success = models.BooleanField("成功", default=True)
    ip_address = models.CharField("IP", max_length=45, blank=True, default="")
    old = models.JSONField("原值", null=True, blank=True)
    new = models.JSONField("新值", null=True, blank=True)
    extra = models.JSONField("附加信息", null=True, blank=True)
    seq = models.BigIntegerField("序号", unique=True)
    key_id = models.CharField("密钥标识", max_length=32, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id", "occurred_at"])]


class AuditChainHead(models.Model):
    """The last hash and seq of the audit chain; one row, locked while a new event is appended."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(default=0)
    last_seq = models.BigIntegerField(default=0)
    last_key_id = models.CharField(max_length=32, blank=True, default="")
    last_hash = models.CharField(max_length=64, default="0" * 64)


class AuditSettings(models.Model):
    """The audit log's settings (one row): how long events are kept and how often the chain heads are
    checkpointed. Only the audit administrator changes them (``services.audit_settings``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    retention_days = models.PositiveIntegerField("保存期限（天）", default=365 * 3)
    checkpoint_minutes = models.PositiveIntegerField("检查点间隔（分钟）", default=60)
    updated_at = models.DateTimeField("修改时间", null=True, blank=True)
    updated_by = models.ForeignKey(
        "srdi.User", verbose_name="修改人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "审计设置"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_settings_single_row"),
            # 等保 requires audit records to be kept at least six months.
            models.CheckConstraint(condition=models.Q(retention_days__gte=180), name="audit_retention_180d"),
        ]
