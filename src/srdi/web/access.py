"""Refusing a page: audit the refused attempt (ASVS 16.3.2) and answer 403 without details.

Use ``require(verdict, request, what=...)`` at the top of a view after asking ``srdi.services.scoping``:
it returns quietly when the verdict allows, otherwise records ``AuditAction.ACCESS_DENIED`` and raises
``PermissionDenied`` (rendered by ``403.html``). Out-of-scope objects are 404s instead
(see ``scoping.get_enterprise``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from srdi.db.models import AuditAction
from srdi.domain.verdict import Verdict
from srdi.services import audit
from srdi.web.http import client_ip


def require(verdict: Verdict, request: HttpRequest, *, what: str) -> None:
    """Pass when ``verdict`` allows; else audit the attempt on ``what`` and raise ``PermissionDenied``."""
    if verdict:
        return
    user = request.user if request.user.is_authenticated else None
    audit.record(
        AuditAction.ACCESS_DENIED,
        user,
        object_type="page",
        object_id=what[:64],
        object_repr=request.path[:255],
        success=False,
        ip_address=client_ip(request),
        extra={"reason": verdict.code},
    )
    raise PermissionDenied(verdict.reason)
