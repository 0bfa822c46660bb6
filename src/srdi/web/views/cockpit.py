"""The programme cockpit (目标驾驶舱): where each target stands, the projection, lagging districts, the pipeline.

City-wide roles see the city and may pick a district (``?district=<code>``); district staff see their own
district only, whatever they ask for. A role needs 梯度筛查 or 申报批次 viewing rights and a city or district
scope: enterprise, provider and responsible-unit accounts are refused. Every table downloads as XLSX
(``/cockpit/export/?table=<key>``), audited. The figures come from ``srdi.services.programme_cockpit``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from srdi.db.models import AuditAction, District, User
from srdi.domain.permissions import Permission, Scope
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.interchange.writers import write_xlsx
from srdi.services import audit, published_counts, scoping, seedlings
from srdi.services.exports import CONTENT_TYPES, download_name
from srdi.services.programme_cockpit import Cockpit, cockpit
from srdi.services.programme_targets import tier_label
from srdi.services.screening import default_as_of
from srdi.web.access import require
from srdi.web.http import client_ip, no_store
from srdi.web.views.exports import file_response


def monthly_brief_default() -> str:
    """The month offered for the monthly brief: the last full month (``views.monthly_brief``)."""
    from srdi.web.views.monthly_brief import last_full_month

    return last_full_month(default_as_of())


def can_view_cockpit(user: User) -> Verdict:
    """Screening or programme viewing rights, and a city-wide or district scope."""
    if not (scoping.can(user, Permission.SCREENING_VIEW) or scoping.can(user, Permission.PROGRAMME_VIEW)):
        return deny("当前角色不能查看目标驾驶舱", "role")
    if user.scope is Scope.DISTRICT and user.district_id:
        return ALLOW
    if user.scope is Scope.ALL:
        return ALLOW
    return deny("目标驾驶舱只对市、区县工作人员和领导开放", "scope")


def _district(request: HttpRequest, user: User) -> str | None:
    """The district shown: the user's own for district staff; the one asked for (if it exists) for the city."""
    if not scoping.sees_all_districts(user):
        return str(user.district_id)
    asked = str(request.GET.get("district") or "")
    if asked and District.objects.filter(code=asked).exists():
        return asked
    return None


def _charts(c: Cockpit) -> list[dict[str, Any]]:
    """Per tier: the cumulative count by year, and (city view) the count by district."""
    out = []
    seen: set[str] = set()
    for t in c.measured:
        if t.tier in seen:
            continue
        seen.add(t.tier)
        out.append(
            {
                "id": f"chart-trend-{t.tier}",
                "title": f"{tier_label(t.tier)}：年末累计",
                "data": {"labels": [str(p.year) for p in t.years], "values": [p.cumulative for p in t.years]},
                "horizontal": False,
            }
        )
        if not c.district and t.districts:
            out.append(
                {
                    "id": f"chart-districts-{t.tier}",
                    "title": f"{tier_label(t.tier)}：分区县当前值",
                    "data": {
                        "labels": [d.name for d in t.districts],
                        "values": [d.value for d in t.districts],
                    },
                    "horizontal": True,
                }
            )
    if c.pipeline is not None:
        out.append(
            {
                "id": "chart-pipeline",
                "title": "培育梯队：符合条件尚未获评",
                "data": {
                    "labels": [t.label for t in c.pipeline.tiers],
                    "values": [t.total for t in c.pipeline.tiers],
                },
                "horizontal": True,
            }
        )
    return out


@login_required
@require_GET
def cockpit_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    require(can_view_cockpit(user), request, what="cockpit")
    district = _district(request, user)
    c = cockpit(default_as_of(), district)
    names = dict(District.objects.values_list("code", "name"))
    context = {
        "c": c,
        "city_wide": scoping.sees_all_districts(user),
        "districts": sorted(names.items()),
        "district_name": names.get(district or "", ""),
        "charts": _charts(c),
        "brief_month": monthly_brief_default(),
        "can_see_pool": seedlings.may_view(user),
        "can_enter_counts": published_counts.may_enter(user),
    }
    return no_store(render(request, "web/cockpit/page.html", context))


@login_required
@require_GET
def cockpit_export(request: HttpRequest) -> HttpResponse:
    """One table of the cockpit as XLSX, for the same scope as the page (audited). Aggregate figures only, no
    enterprise record: whoever may read the cockpit (the leader too) may download them, without ``data.export``."""
    user: User = request.user  # type: ignore[assignment]
    require(can_view_cockpit(user), request, what="cockpit_export")
    district = _district(request, user)
    c = cockpit(default_as_of(), district)
    table = c.table(str(request.GET.get("table") or ""))
    if table is None:
        raise Http404("没有这张表")
    content = write_xlsx(table.dicts(), list(table.columns), sheet_title=table.title)
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="cockpit",
        object_id=table.key,
        object_repr=f"导出目标驾驶舱·{table.title}（{len(table.rows)} 行）",
        new={"format": "xlsx", "table": table.key, "district": district or "", "rows": len(table.rows)},
        ip_address=client_ip(request),
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    stem = f"srdi-cockpit-{table.key}-{district or 'city'}-{stamp}"
    return file_response(content, download_name(stem, "xlsx"), CONTENT_TYPES["xlsx"])
