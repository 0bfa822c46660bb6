"""The home's figures (首页 指标) and the enterprise user's own lists: the two or three numbers that matter to a role.

Use ``figures(user, today)``, ``own_titles`` and ``own_open_cases`` (``services.home`` puts them on the home).
Amounts are integer fen shown as 万元 by ``wan`` (Decimal, never float).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from srdi.db.models import AuditEvent, Certification, Payment, User, VoucherRedemption
from srdi.domain.certifications import last_valid_day
from srdi.domain.permissions import Permission, Scope
from srdi.domain.reference import TIERS
from srdi.domain.workflow.definition import STATES
from srdi.services import scoping
from srdi.services.home_queues import OPEN_CASE_EXCLUDED, valid_on


@dataclass(frozen=True)
class Figure:
    """One headline number with its unit and an optional note (e.g. the target it is measured against)."""

    label: str
    value: str
    note: str = ""
    link: str = ""


@dataclass(frozen=True)
class TitleLine:
    tier_label: str
    recognized_on: date | None
    expires_on: date | None


@dataclass(frozen=True)
class CaseLine:
    pk: int
    title: str
    state_label: str
    updated_at: datetime


def wan(fen: int) -> str:
    """Integer fen as 万元 with two decimals (Decimal, never float)."""
    from decimal import ROUND_HALF_UP, Decimal

    return f"{(Decimal(fen) / Decimal(1_000_000)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)} 万元"


def _cockpit_figures(user: User) -> list[Figure]:
    if not (user.can(Permission.SCREENING_VIEW) or user.can(Permission.PROGRAMME_VIEW)):
        return []
    if user.scope is Scope.DISTRICT and user.district_id:
        district: str | None = str(user.district_id)
    elif user.scope is Scope.ALL:
        district = None
    else:
        return []
    from srdi.services.programme_cockpit import cockpit
    from srdi.services.screening import default_as_of

    c = cockpit(default_as_of(), district)
    out = []
    for t in c.measured[:3]:
        note = f"目标 {t.target}{t.unit}" + (f"（{t.by.year}年）" if t.by else "")
        out.append(Figure(t.label, f"{t.value}{t.unit}", note, reverse("web:cockpit")))
    return out


def _enterprise_figures(user: User, today: date) -> list[Figure]:
    cases = scoping.cases_for(user)
    year_start = datetime(today.year, 1, 1, tzinfo=timezone.get_current_timezone())
    approved = (
        cases.filter(transitions__name="approve", transitions__at__gte=year_start)
        .distinct()
        .aggregate(s=Sum("approved_fen"))["s"]
        or 0
    )
    paid = (
        Payment.objects.filter(case__in=cases, paid_at__gte=year_start).aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )
    open_n = cases.exclude(state__in=OPEN_CASE_EXCLUDED).count()
    return [
        Figure(f"{today.year}年批准金额", wan(approved), link=reverse("web:case_list")),
        Figure(f"{today.year}年已拨付金额", wan(paid), link=f"{reverse('web:case_list')}?queue=paid"),
        Figure("办理中的事项", f"{open_n} 件", link=reverse("web:case_list")),
    ]


def _provider_figures(user: User, today: date) -> list[Figure]:
    redeemed = VoucherRedemption.objects.filter(provider_id=user.provider_id)
    total = redeemed.aggregate(n=Count("pk"), s=Sum("amount_fen"))
    this_year = redeemed.filter(redeemed_at__year=today.year).aggregate(n=Count("pk"), s=Sum("amount_fen"))
    link = reverse("web:vouchers")
    return [
        Figure("已核销服务券", f"{total['n'] or 0} 张", wan(total["s"] or 0), link),
        Figure(f"{today.year}年核销", f"{this_year['n'] or 0} 张", wan(this_year["s"] or 0), link),
    ]


def _audit_figures(today: date) -> list[Figure]:
    since = timezone.now() - timedelta(days=7)
    recent = AuditEvent.objects.filter(occurred_at__gte=since)
    return [
        Figure("近7日审计记录", f"{recent.count()} 条", link=reverse("web:audit_log")),
        Figure(
            "近7日失败或被拒绝的操作",
            f"{recent.filter(success=False).count()} 条",
            link=reverse("web:audit_log"),
        ),
    ]


def _admin_figures() -> list[Figure]:
    return [
        Figure("启用的账号", f"{User.objects.filter(is_active=True).count()} 个"),
        Figure("待授予角色的账号", f"{User.objects.filter(is_active=True, role='').count()} 个"),
    ]


def figures(user: User, today: date) -> list[Figure]:
    out: list[Figure] = []
    if user.scope is Scope.ENTERPRISE and user.enterprise_id:
        out += _enterprise_figures(user, today)
    elif user.scope is Scope.PROVIDER and user.provider_id:
        out += _provider_figures(user, today)
    else:
        out += _cockpit_figures(user)
    if user.can(Permission.AUDIT_READ):
        out += _audit_figures(today)
    if user.can(Permission.ACCOUNT_MANAGE) or user.can(Permission.ROLE_GRANT):
        out += _admin_figures()
    return out


def own_titles(user: User, today: date) -> list[TitleLine]:
    if user.scope is not Scope.ENTERPRISE or not user.enterprise_id:
        return []
    certs = Certification.objects.filter(enterprise_id=user.enterprise_id).filter(valid_on(today))
    return [
        TitleLine(TIERS.get(c.tier, c.tier), c.recognized_on, last_valid_day(c))
        for c in certs.order_by("recognized_on", "pk")
    ]


def own_open_cases(user: User) -> list[CaseLine]:
    if user.scope is not Scope.ENTERPRISE:
        return []
    qs = scoping.cases_for(user).exclude(state__in=OPEN_CASE_EXCLUDED).order_by("-updated_at", "-pk")[:10]
    return [CaseLine(c.pk, c.title, STATES.get(c.state, "其他状态"), c.updated_at) for c in qs]
