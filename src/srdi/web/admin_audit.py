"""Writing the audit log for changes made in the back-office admin (等保 8.1.4.3: every user, every change).

``srdi.db.admin`` cannot import the services (it sits below them), so it calls the listeners registered
with ``on_admin_change``; ``WebConfig.ready`` registers ``record_admin_change``. Only field names are
recorded (Django's change message), never the values, so personal data does not enter the log.
"""

from __future__ import annotations

from django.db.models import Model
from django.http import HttpRequest

from srdi.db.models import AuditAction
from srdi.services import audit
from srdi.web.http import client_ip

ACTIONS = {"create": AuditAction.CREATE, "update": AuditAction.UPDATE, "delete": AuditAction.DELETE}


def record_admin_change(request: HttpRequest, action: str, obj: Model, message: str) -> None:
    """One audit event for one admin add, change or delete."""
    user = request.user if request.user.is_authenticated else None
    audit.record(
        ACTIONS[action],
        user,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        ip_address=client_ip(request),
        extra={"via": "admin", "change": message[:2000]},
    )
