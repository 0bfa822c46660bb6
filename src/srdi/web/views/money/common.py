"""Helpers shared by the money views: the signed-in user, scoped case lookup, step-up re-authentication."""

from __future__ import annotations

import time

from django.contrib.auth import authenticate
from django.forms import Form
from django.http import Http404, HttpRequest

from srdi.db.models import AuditAction, Case, User
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.services import audit, scoping
from srdi.web.http import client_ip

# ASVS 7.5.3 / reliability §3: re-authenticate before approval and disbursement. A successful step-up is
# remembered in the session for a few minutes, so a run of sensitive actions asks for the password once.
STEPUP_SECONDS = 300
STEPUP_KEY = "srdi_stepup_at"
STEPUP_FIELD = "stepup_password"


def form_errors(form: Form) -> str:
    """A form's errors on one line, each prefixed by its field's label."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        prefix = f"{field.label}：" if field is not None and field.label else ""
        parts += [f"{prefix}{e}" for e in errors]
    return "；".join(parts)


def user_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def case_or_404(request: HttpRequest, pk: int) -> Case:
    """A case in the user's scope (``scoping.get_case``); out of scope is a 404 (and audited)."""
    try:
        return scoping.get_case(user_of(request), pk, ip=client_ip(request))
    except scoping.OutOfScope:
        raise Http404("事项不存在或不在您的权限范围内") from None


def stepup_fresh(request: HttpRequest) -> bool:
    """Whether the user re-entered the password within the last ``STEPUP_SECONDS``."""
    at = request.session.get(STEPUP_KEY)
    return isinstance(at, int | float) and 0 <= time.time() - at < STEPUP_SECONDS


def step_up(request: HttpRequest, what: str) -> Verdict:
    """Check the re-entered password (``stepup_password``) unless a step-up is still fresh; audited.

    The password goes through ``authenticate(request=...)`` so that django-axes counts failures: guessing
    here locks the account like guessing at the sign-in page.
    """
    if stepup_fresh(request):
        return ALLOW
    user = user_of(request)
    password = request.POST.get(STEPUP_FIELD, "")
    if not password:
        return deny("此操作需要二次验证：请输入您的登录密码", "stepup_required")
    found = authenticate(request=request, username=user.get_username(), password=password)
    ok = found is not None and found.pk == user.pk
    audit.record(
        AuditAction.LOGIN if ok else AuditAction.LOGIN_FAILED,
        user,
        object_type="stepup",
        object_id=what[:64],
        object_repr=f"二次验证：{what}"[:255],
        success=ok,
        ip_address=client_ip(request),
    )
    if not ok:
        return deny("密码不正确，二次验证未通过", "stepup_failed")
    request.session[STEPUP_KEY] = time.time()
    return ALLOW
