"""Enterprise-page sections for programmes, cases, payments, vouchers and the inbox.

Inserted after the assessment by ``srdi.web.sections``: the enterprise's award cases (scoped to the viewer
through ``scoping.cases_for``), the payments made to it, and its service vouchers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Sum

from srdi.db.models import Payment
from srdi.domain.permissions import Scope
from srdi.services import scoping
from srdi.web import money_display as md
from srdi.web.sections import Section

if TYPE_CHECKING:
    from srdi.db.models import User
    from srdi.web.sections import PageContext

MAX_ROWS = 20


def _visible(user: User) -> bool:
    return bool(md.can_view_cases(user))


def _cases(ctx: PageContext) -> dict[str, Any]:
    from srdi.web.views.money.vouchers import vouchers_for

    qs = scoping.cases_for(ctx.user).filter(enterprise=ctx.enterprise).select_related("programme")
    cases = [
        {
            "case": c,
            "label": md.state_label(c.state),
            "badge": md.state_badge(c.state),
            "amount": md.yuan(c.approved_fen if c.approved_fen is not None else c.entitlement_fen),
        }
        for c in qs.order_by("-updated_at", "-id")[:MAX_ROWS]
    ]
    payments = [
        {"p": p, "amount": md.yuan(p.amount_fen)}
        for p in Payment.objects.filter(case__in=qs)
        .select_related("case", "case__programme")
        .order_by("-paid_at")[:MAX_ROWS]
    ]
    vouchers = [
        {"v": v, "face": md.yuan(v.face_value_fen)}
        for v in vouchers_for(ctx.user).filter(enterprise=ctx.enterprise).order_by("-issued_at")[:MAX_ROWS]
    ]
    paid_total = Payment.objects.filter(case__in=qs).aggregate(s=Sum("amount_fen"))["s"]
    return {
        "cases": cases,
        "total": qs.count(),
        "open_offers": qs.filter(state="offered").count(),
        "payments": payments,
        "paid_total": md.yuan(paid_total or 0),
        "vouchers": vouchers,
        "is_owner": ctx.user.scope is Scope.ENTERPRISE and ctx.user.enterprise_id == ctx.enterprise.pk,
    }


SECTIONS: list[Section] = [
    Section("cases", "兑现事项与拨付", "web/enterprise/_cases.html", _cases, _visible),
]
