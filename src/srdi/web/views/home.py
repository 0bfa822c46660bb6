"""The home page (首页), per role: what needs the user's action now, what changed since the previous visit and the
role's figures (``services.home``), then — for staff with enterprises in scope — the enterprises by tier and by
district, and recent imports.

Counts come from ``services.home`` and ``scoping.enterprises_for`` only; the district chart is for users whose
scope spans districts. Chart data is handed to ``app.js`` through ``json_script`` (no inline script: CSP).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from srdi.db.models import District, User
from srdi.domain.permissions import Scope
from srdi.domain.reference import TIERS
from srdi.services import home as home_service
from srdi.services import scoping
from srdi.services.scoping import sees_all_districts
from srdi.web.batches import visible_batches
from srdi.web.labels import TIER_SHORT
from srdi.web.queries import with_highest_tier

RECENT_BATCHES = 8


def tier_counts(user: User) -> list[dict[str, Any]]:
    """Enterprises in scope by highest tier valid today, ladder order, then those with none."""
    qs = with_highest_tier(scoping.enterprises_for(user), timezone.localdate())
    counted: dict[str | None, int] = {
        row["highest_tier"]: row["n"] for row in qs.values("highest_tier").annotate(n=Count("pk")).order_by()
    }
    rows = [{"code": code, "label": label, "count": counted.get(code, 0)} for code, label in TIERS.items()]
    rows.append({"code": "none", "label": "无有效梯度称号", "count": counted.get(None, 0)})
    return rows


def district_counts(user: User) -> list[dict[str, Any]]:
    """Enterprises in scope per district (all 13, zeros included), then those without a district."""
    qs = scoping.enterprises_for(user)
    counted: dict[str | None, int] = {
        row["district_id"]: row["n"] for row in qs.values("district_id").annotate(n=Count("pk")).order_by()
    }
    rows = [{"code": d.code, "name": d.name, "count": counted.get(d.code, 0)} for d in District.objects.all()]
    if counted.get(None):
        rows.append({"code": "", "name": "未填区县", "count": counted[None]})
    return rows


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard."""
    user: User = request.user  # type: ignore[assignment]
    previous = home_service.visit(user)
    today = timezone.localdate()
    total = scoping.enterprises_for(user).count()
    tiers = tier_counts(user)
    context: dict[str, Any] = {
        "total": total,
        "tiers": tiers,
        "tier_chart": {
            "labels": [TIER_SHORT[t["code"]] for t in tiers],
            "values": [t["count"] for t in tiers],
            "codes": [t["code"] for t in tiers],
        },
        "show_districts": sees_all_districts(user),
        "batches": list(visible_batches(user)[:RECENT_BATCHES]),
        "can_import": bool(scoping.can_import(user)),
        "own_enterprise_id": user.enterprise_id if user.scope is Scope.ENTERPRISE else None,
        "today": today,
        "home": home_service.home_for(user, previous_visit=previous, today=today),
        "show_overview": user.scope in (Scope.ALL, Scope.DISTRICT),
        "expiring": home_service.expiring_lines(user, today) if user.scope is Scope.DISTRICT else [],
    }
    if context["show_districts"]:
        districts = district_counts(user)
        context["districts"] = districts
        context["district_chart"] = {
            "labels": [d["name"] for d in districts],
            "values": [d["count"] for d in districts],
            "codes": [d["code"] for d in districts],
        }
    return render(request, "web/home.html", context)
