"""政策包体检: every pack and rulebook on a chosen day — status, window, and what is missing or doubtful.

The page shows ``services.policy_hygiene.policy_check(day)``, the very report ``srdi policy check`` prints, so
both always list the same blocking findings. Staff who may see programmes or run the cost simulation (city
staff and administrators, finance, auditors, leaders, district staff, responsible units) may open it; anyone else
gets an audited 403. GET only; it changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from srdi.db.models import User
from srdi.domain import permissions
from srdi.domain.permissions import Permission
from srdi.domain.policy.hygiene import Finding, Severity, SourceReport, Status
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.services import scoping
from srdi.services.policy_hygiene import policy_check
from srdi.web.access import require
from srdi.web.parameter_display import can_manage_parameters

STATUS_CSS = {
    Status.IN_FORCE: "text-bg-success",
    Status.DRAFT: "text-bg-secondary",
    Status.EXPIRED: "text-bg-danger",
}
SEVERITY_CSS = {
    Severity.BLOCKING: "text-bg-danger",
    Severity.WARNING: "text-bg-warning",
    Severity.INFO: "text-bg-light border",
}


def can_view_hygiene(user: User) -> Verdict:
    """Staff (signing in with a second factor) who may see programmes or cost the policy."""
    if not permissions.spec_of(getattr(user, "role", None)).staff:
        return deny("政策包体检仅供工作人员查看", "policy_hygiene")
    if scoping.can(user, Permission.PROGRAMME_VIEW) or scoping.can(user, Permission.SIMULATE):
        return ALLOW
    return deny("当前角色不能查看政策包体检", "policy_hygiene")


def _day(text: str | None, today: date) -> tuple[date, str]:
    if not text:
        return today, ""
    try:
        return date.fromisoformat(text.strip()[:10]), ""
    except ValueError:
        return today, "日期格式应为 YYYY-MM-DD，已按今天显示"


def _finding(f: Finding, source: SourceReport, may_set: bool) -> dict[str, Any]:
    links = []
    if source.kind == "pack" and f.parameter and may_set:
        links.append(("参数历史", reverse("web:parameter_history", args=[f.parameter])))
        if f.kind.value == "unset_parameter":
            links.append(("提出设定", reverse("web:parameter_propose") + f"?parameter={f.parameter}"))
    if source.kind == "pack":
        if f.measure:
            pack, _, article = f.measure.partition(".")
            links.append(("措施说明", reverse("web:policy_measure", args=[pack, int(article)])))
        if f.kind.value in ("unset_parameter", "unconfirmed", "secondary", "unknown_item"):
            links.append(("尚缺信息", reverse("web:policy_gaps", args=[source.id])))
    return {"f": f, "css": SEVERITY_CSS[f.severity], "links": links}


def _source(source: SourceReport, may_set: bool) -> dict[str, Any]:
    return {
        "s": source,
        "status_css": "text-bg-warning" if source.window.window_unset else STATUS_CSS[source.window.status],
        "status_label": "有效期待公布" if source.window.window_unset else source.window.status.label,
        "counts": [(sev, n, SEVERITY_CSS[sev]) for sev, n in source.counts.items()],
        "findings": [_finding(f, source, may_set) for f in source.findings],
        "catalogue": reverse("web:policy_catalogue") + f"#pack-{source.id}" if source.kind == "pack" else "",
    }


@login_required
@require_GET
def policy_hygiene(request: HttpRequest) -> HttpResponse:
    """Every pack and rulebook on the chosen day (today by default), blocking findings first."""
    user: User = request.user  # type: ignore[assignment]
    require(can_view_hygiene(user), request, what="policy_hygiene")
    today = timezone.localdate()
    day, error = _day(request.GET.get("on"), today)
    report = policy_check(day)
    may_set = bool(can_manage_parameters(user))
    sources = [_source(s, may_set) for s in report.sources]
    return render(
        request,
        "web/policy/hygiene.html",
        {
            "report": report,
            "day": day,
            "today": today,
            "error": error,
            "packs": [s for s in sources if s["s"].kind == "pack"],
            "rulebooks": [s for s in sources if s["s"].kind != "pack"],
            "blocking": report.blocking,
            "totals": [
                (sev, sum(s.count(sev) for s in report.sources), SEVERITY_CSS[sev]) for sev in Severity
            ],
        },
    )
