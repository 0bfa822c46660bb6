"""The security administrator's page (安全管理员): grant and revoke roles, approve others' grant requests.

Thin: every rule is in ``services.role_grants`` (which audits refusals and changes). Granting a role and deciding
a request ask for the password again (step-up, as for approvals and payments). Other roles get an audited 403.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import RoleGrant, User
from srdi.domain import permissions
from srdi.domain.permissions import Permission
from srdi.services import role_grants, scoping
from srdi.web.access import require
from srdi.web.http import client_ip
from srdi.web.views.money.common import STEPUP_FIELD, form_errors, step_up, stepup_fresh, user_of


class GrantForm(forms.Form):
    username = forms.CharField(label="账号", max_length=150)
    role = forms.ChoiceField(label="角色", choices=permissions.choices())
    district = forms.CharField(label="区县代码（区县工作人员）", required=False, max_length=6)
    enterprise = forms.CharField(label="统一社会信用代码（企业用户）", required=False, max_length=18)
    organisation = forms.CharField(label="单位（责任单位须与政策条款一致）", required=False, max_length=200)
    reason = forms.CharField(label="理由", required=False, max_length=500)


def _allowed(request: HttpRequest, what: str) -> User:
    user = user_of(request)
    require(scoping.can(user, Permission.ROLE_GRANT), request, what=what)
    return user


@login_required
@require_GET
def role_grants_page(request: HttpRequest) -> HttpResponse:
    """Accounts with their roles, the requests waiting for a second person, and the grant form."""
    user = _allowed(request, "role_grants")
    # The security administrator's scope holds no business data: an enterprise binding shows as its id only.
    accounts = User.objects.select_related("district").order_by("username")[:500]
    pending = [
        {"grant": g, "label": permissions.spec_of(g.role).label, "mine": g.requested_by_id == user.pk}
        for g in role_grants.pending()
    ]
    return render(
        request,
        "web/security/roles.html",
        {
            "accounts": accounts,
            "pending": pending,
            "form": GrantForm(),
            "stepup_needed": not stepup_fresh(request),
            "stepup_field": STEPUP_FIELD,
            "recent": RoleGrant.objects.select_related("user", "requested_by", "decided_by")[:20],
        },
    )


@sensitive_post_parameters(STEPUP_FIELD)
@login_required
@require_POST
def grant_view(request: HttpRequest) -> HttpResponse:
    actor = _allowed(request, "role_grant")
    form = GrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("web:role_grants")
    verdict = step_up(request, "role_grant")
    if not verdict:
        messages.error(request, verdict.reason)
        return redirect("web:role_grants")
    d = form.cleaned_data
    target = User.objects.filter(username=d["username"]).first()
    if target is None:
        messages.error(request, f"账号 {d['username']} 不存在（账号由系统管理员创建）")
        return redirect("web:role_grants")
    try:
        outcome = role_grants.request_grant(
            actor,
            target,
            d["role"],
            district_code=d["district"] or None,
            enterprise_uscc=d["enterprise"] or None,
            organisation=d["organisation"] or None,
            reason=d["reason"],
            ip=client_ip(request),
        )
    except role_grants.GrantError as exc:
        messages.error(request, str(exc))
    else:
        label = permissions.spec_of(d["role"]).label
        if outcome.applied:
            messages.success(request, f"已授予 {target.username} {label}")
        else:
            messages.info(request, f"授予 {target.username} {label} 须由另一名安全管理员审批，已提交申请")
    return redirect("web:role_grants")


@sensitive_post_parameters(STEPUP_FIELD)
@login_required
@require_POST
def decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _allowed(request, "role_grant_decide")
    grant = get_object_or_404(RoleGrant, pk=pk)
    verdict = step_up(request, "role_grant_decide")
    if not verdict:
        messages.error(request, verdict.reason)
        return redirect("web:role_grants")
    approve = request.POST.get("decision") == "approve"
    try:
        role_grants.decide(
            actor, grant.pk, approve=approve, reason=request.POST.get("reason", ""), ip=client_ip(request)
        )
    except role_grants.GrantError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已批准，角色已生效" if approve else "已拒绝该授权申请")
    return redirect("web:role_grants")


@login_required
@require_POST
def revoke_view(request: HttpRequest) -> HttpResponse:
    actor = _allowed(request, "role_revoke")
    target = User.objects.filter(username=request.POST.get("username", "")).first()
    if target is None:
        messages.error(request, "账号不存在")
        return redirect("web:role_grants")
    try:
        role_grants.revoke(actor, target, reason=request.POST.get("reason", ""), ip=client_ip(request))
    except role_grants.GrantError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤销 {target.username} 的角色")
    return redirect("web:role_grants")
