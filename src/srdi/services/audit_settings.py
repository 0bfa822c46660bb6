"""The audit log's settings (retention, checkpoint interval): read by anyone who may read the log, changed only
by the audit administrator (``Permission.AUDIT_SETTINGS``; the auditor stays read-only).

Use ``current()`` to read them and ``change(actor, ...)`` to change them; a refusal is audited and raised as
``AuditSettingsError``, a change is audited with its old and new values.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from srdi.db.models import AuditAction, AuditSettings, User
from srdi.services import audit, scoping

MIN_RETENTION_DAYS = 180  # 等保 2.0: audit records kept at least six months (also a database CHECK)


class AuditSettingsError(ValueError):
    """A change that may not be made; the message says why."""

    def __init__(self, message: str, code: str = "invalid"):
        self.code = code
        super().__init__(message)


def current() -> AuditSettings:
    """The settings row, or the defaults (unsaved) while nobody has changed them: reading never writes."""
    return AuditSettings.objects.filter(id=1).first() or AuditSettings(id=1)


def _values(s: AuditSettings) -> dict[str, int]:
    return {"retention_days": s.retention_days, "checkpoint_minutes": s.checkpoint_minutes}


def change(
    actor: User, *, retention_days: int | None = None, checkpoint_minutes: int | None = None, ip: str = ""
) -> AuditSettings:
    """Change the settings (audit administrator only); each change audited with old and new values."""
    verdict = scoping.can_change_audit_settings(actor)
    if not verdict:
        audit.record(
            AuditAction.SETTINGS,
            actor,
            object_type="audit_settings",
            object_id="1",
            object_repr="拒绝：修改审计设置",
            success=False,
            ip_address=ip,
            extra={"reason": verdict.reason, "code": verdict.code},
        )
        raise AuditSettingsError(verdict.reason, "role")
    if retention_days is not None and retention_days < MIN_RETENTION_DAYS:
        raise AuditSettingsError(f"审计记录至少保存 {MIN_RETENTION_DAYS} 天")
    if checkpoint_minutes is not None and not 1 <= checkpoint_minutes <= 24 * 60:
        raise AuditSettingsError("检查点间隔应在 1–1440 分钟之间")
    with transaction.atomic():
        AuditSettings.objects.get_or_create(id=1)
        settings = AuditSettings.objects.select_for_update().get(id=1)
        old = _values(settings)
        if retention_days is not None:
            settings.retention_days = retention_days
        if checkpoint_minutes is not None:
            settings.checkpoint_minutes = checkpoint_minutes
        settings.updated_at, settings.updated_by = timezone.now(), actor
        settings.save()
        audit.record(
            AuditAction.SETTINGS,
            actor,
            object_type="audit_settings",
            object_id="1",
            object_repr="审计设置",
            old=old,
            new=_values(settings),
            ip_address=ip,
        )
    return settings
