"""Writing the audit log for changes made in the back-office admin (等保 8.1.4.3: every user, every change).

``srdi.db.admin`` cannot import the services (it sits below them), so it calls the listeners registered
with ``on_admin_change``; ``WebConfig.ready`` registers ``record_admin_change``. For most models only field
names are recorded (Django's change message), never the values, so personal data does not enter the log; for
an account the old and new values of ``User.AUDITED_FIELDS`` (role, district, enterprise, is_active …) are.
"""

from __future__ import annotations

from django.db.models import Model
from django.http import HttpRequest

from srdi.db.models import AuditAction, User
from srdi.services import audit
from srdi.web.http import client_ip

ACTIONS = {"create": AuditAction.CREATE, "update": AuditAction.UPDATE, "delete": AuditAction.DELETE}


def record_admin_change(request: HttpRequest, action: str, obj: Model, message: str) -> None:
    """One audit event for one admin add, change or delete."""
    user = request.user if request.user.is_authenticated else None
    old = new = None
    if isinstance(obj, User) and action != "delete":
        old = audit.jsonable(getattr(obj, "_audit_old", None))
        new = audit.jsonable(obj.account_values())
    audit.record(
        ACTIONS[action],
        user,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        ip_address=client_ip(request),
        old=old,
        new=new,
        extra={"via": "admin", "change": message[:2000]},
    )
