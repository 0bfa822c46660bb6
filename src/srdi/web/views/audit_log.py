"""The audit-log page: every recorded action, searchable, with the hash chain verified on request.

For the roles holding ``AUDIT_READ`` (audit administrator, auditors, the city administrator; others get an
audited 403). Reading the log changes nothing; verifying the chain recomputes every hash
(``services.audit.verify_chain``) and says where it breaks. The audit settings (retention, checkpoint interval)
are shown to every reader and changed only by the audit administrator (``audit_settings_view``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import AuditAction
from srdi.domain.beijing_time import labelled
from srdi.services import audit_settings, scoping
from srdi.services.audit import verify_chain
from srdi.services.audit_search import AuditFilters, object_types, search_events
from srdi.web.access import require
from srdi.web.http import client_ip
from srdi.web.views.money.common import form_errors
from srdi.web.vocabulary import label

PAGE_SIZE = 50
SUCCESS_CHOICES = [("", "全部"), ("1", "成功"), ("0", "失败/被拒绝")]


class AuditFilterForm(forms.Form):
    q = forms.CharField(label="操作人、对象或IP", required=False, max_length=100)
    action = forms.ChoiceField(label="操作", required=False, choices=[("", "全部"), *AuditAction.choices])
    object_type = forms.ChoiceField(label="对象类型", required=False)
    success = forms.ChoiceField(label="结果", required=False, choices=SUCCESS_CHOICES)
    since = forms.DateField(label=labelled("起始日期"), required=False)
    until = forms.DateField(label=labelled("截止日期"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["object_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "全部"), *((t, label("object_type", t)) for t in object_types())]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("起始日期晚于截止日期")
        return data

    def filters(self) -> AuditFilters:
        if not self.is_valid():
            return AuditFilters()
        d = self.cleaned_data
        success = {"1": True, "0": False}.get(d.get("success") or "")
        return AuditFilters(
            text=(d.get("q") or "").strip(),
            action=d.get("action") or "",
            object_type=d.get("object_type") or "",
            success=success,
            since=d.get("since"),
            until=d.get("until"),
        )


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """The log, newest first, 50 per page; ``?verify=1`` also verifies the whole hash chain."""
    require(scoping.can_view_audit_log(request.user), request, what="audit_log")  # type: ignore[arg-type]
    form = AuditFilterForm(request.GET or None)
    events = search_events(form.filters() if request.GET else AuditFilters()).select_related("actor")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    chain = verify_chain() if request.GET.get("verify") == "1" else None
    return render(
        request,
        "web/audit/log.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "chain": chain,
            "settings": audit_settings.current(),
            "settings_form": AuditSettingsForm(initial=_initial()),
            "can_change_settings": bool(scoping.can_change_audit_settings(request.user)),  # type: ignore[arg-type]
        },
    )


class AuditSettingsForm(forms.Form):
    retention_days = forms.IntegerField(label="保存期限（天）", min_value=audit_settings.MIN_RETENTION_DAYS)
    checkpoint_minutes = forms.IntegerField(label="检查点间隔（分钟）", min_value=1, max_value=24 * 60)


def _initial() -> dict[str, int]:
    s = audit_settings.current()
    return {"retention_days": s.retention_days, "checkpoint_minutes": s.checkpoint_minutes}


@login_required
@require_POST
def audit_settings_view(request: HttpRequest) -> HttpResponse:
    """Change the audit settings: the audit administrator only (an auditor gets an audited 403)."""
    user = request.user
    require(scoping.can_change_audit_settings(user), request, what="audit_settings")  # type: ignore[arg-type]
    form = AuditSettingsForm(request.POST)
    if form.is_valid():
        try:
            audit_settings.change(
                user,  # type: ignore[arg-type]
                retention_days=form.cleaned_data["retention_days"],
                checkpoint_minutes=form.cleaned_data["checkpoint_minutes"],
                ip=client_ip(request),
            )
        except audit_settings.AuditSettingsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "审计设置已保存")
    else:
        messages.error(request, form_errors(form))
    return redirect("web:audit_log")
