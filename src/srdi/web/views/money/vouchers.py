"""Service vouchers (服务券, 81号 第25条): the city issues them and watches the fund; an enterprise sees its
own; a provider redeems a code against a delivered service; everyone in scope sees totals by category."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import BudgetAccount, Programme, User, Voucher, VoucherRedemption
from srdi.db.models.vouchers import VOUCHER_CATEGORIES
from srdi.domain.permissions import Permission, Scope
from srdi.services import scoping
from srdi.services import vouchers as voucher_service
from srdi.web import money_display as md
from srdi.web.access import require
from srdi.web.forms_money import RedeemForm, VoucherCancelForm, VoucherIssueForm
from srdi.web.views.money.common import form_errors, user_of

PAGE_SIZE = 50


def vouchers_for(user: User) -> QuerySet[Voucher]:
    """Vouchers the user may read: the city, finance and auditors all; a district its enterprises'; an
    enterprise its own; a provider those it redeemed."""
    qs = Voucher.objects.select_related("enterprise", "programme")
    if not md.can_view_vouchers(user):
        return qs.none()
    scope = user.scope
    if scope is Scope.ALL:
        return qs
    if scope is Scope.DISTRICT and user.district_id:
        return qs.filter(enterprise__district_id=user.district_id)
    if scope is Scope.ENTERPRISE and user.enterprise_id:
        return qs.filter(enterprise_id=user.enterprise_id)
    if scope is Scope.PROVIDER and user.provider_id:
        return qs.filter(redemption__provider_id=user.provider_id)
    return qs.none()


def _counted(rows: Any, key: str, amount: str) -> dict[str, tuple[int, int]]:
    return {row[key]: (row["n"] or 0, row[amount] or 0) for row in rows}


def category_report(qs: QuerySet[Voucher]) -> list[dict[str, Any]]:
    """Issued / redeemed / outstanding per category (count and amount), every category listed, then a total."""
    issued = _counted(
        qs.values("category").annotate(n=Count("id"), face=Sum("face_value_fen")).order_by(),
        "category",
        "face",
    )
    redeemed = _counted(
        VoucherRedemption.objects.filter(voucher__in=qs)
        .values("voucher__category")
        .annotate(n=Count("id"), amount=Sum("amount_fen"))
        .order_by(),
        "voucher__category",
        "amount",
    )
    outstanding = _counted(
        qs.filter(status=Voucher.Status.ISSUED)
        .values("category")
        .annotate(n=Count("id"), face=Sum("face_value_fen"))
        .order_by(),
        "category",
        "face",
    )
    rows: list[dict[str, Any]] = []
    for code, label in VOUCHER_CATEGORIES:
        i, r, o = issued.get(code, (0, 0)), redeemed.get(code, (0, 0)), outstanding.get(code, (0, 0))
        rows.append(
            {
                "label": label,
                "issued_n": i[0],
                "issued_fen": i[1],
                "redeemed_n": r[0],
                "redeemed_fen": r[1],
                "outstanding_n": o[0],
                "outstanding_fen": o[1],
            }
        )
    total = {k: sum(row[k] for row in rows) for k in rows[0] if k != "label"}
    return [*rows, {"label": "合计", "total": True, **total}]


@login_required
@require_GET
def vouchers(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(md.can_view_vouchers(user), request, what="vouchers")
    qs = vouchers_for(user)
    page = Paginator(
        qs.select_related("redemption__provider").order_by("-issued_at", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = []
    for v in page.object_list:
        redemption = getattr(v, "redemption", None)
        rows.append(
            {
                "v": v,
                "face": md.yuan(v.face_value_fen),
                "redemption": redemption,
                "redeemed": md.yuan(redemption.amount_fen) if redemption is not None else "",
            }
        )
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "report": category_report(qs),
        "can_issue": bool(md.can_issue_vouchers(user)),
        "can_redeem": bool(md.can_redeem_vouchers(user)),
        "is_enterprise": user.scope is Scope.ENTERPRISE,
    }
    if context["can_issue"] or user.can(Permission.PAYMENT_VIEW):
        context["funds"] = [
            {
                "budget": b,
                "committed": b.used_fen - b.paid_fen,
                "paid_pct": md.percent(b.paid_fen, b.cap_fen),
                "committed_pct": md.percent(b.used_fen - b.paid_fen, b.cap_fen),
            }
            for b in BudgetAccount.objects.filter(programme__article=25, side="city").select_related(
                "programme"
            )
        ]
    if context["can_issue"]:
        context["issue_form"] = VoucherIssueForm()
    if context["can_redeem"]:
        context["redeem_form"] = RedeemForm(initial={"delivered_on": timezone.localdate()})
        context["redemptions"] = [
            {"r": r, "amount": md.yuan(r.amount_fen)}
            for r in VoucherRedemption.objects.filter(provider_id=user.provider_id)
            .select_related("voucher", "voucher__enterprise")
            .order_by("-redeemed_at")[:PAGE_SIZE]
        ]
    return render(request, "web/money/vouchers.html", context)


@login_required
@require_POST
def voucher_issue(request: HttpRequest) -> HttpResponse:
    """Issue one voucher to an SRDI enterprise from an article-25 programme (commits the fund)."""
    user = user_of(request)
    require(md.can_issue_vouchers(user), request, what="voucher_issue")
    form = VoucherIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"未发放：{form_errors(form)}")
        return redirect("web:vouchers")
    data = form.cleaned_data
    programme = Programme.objects.get(pk=data["programme"])
    try:
        enterprise = scoping.get_enterprise(user, uscc=data["uscc"])
        voucher = voucher_service.issue_voucher(
            programme, enterprise, data["face_value_yuan"], data["category"], actor=user
        )
    except scoping.OutOfScope:
        messages.error(request, "未发放：企业库中没有该统一社会信用代码")
    except voucher_service.VoucherError as exc:
        messages.error(request, f"未发放：{exc}")
    else:
        messages.success(
            request,
            f"已向 {enterprise.name} 发放服务券 {voucher.code}，面额 {md.yuan(voucher.face_value_fen)}。",
        )
    return redirect("web:vouchers")


@login_required
@require_POST
def voucher_redeem(request: HttpRequest) -> HttpResponse:
    """A provider redeems a voucher code against a delivered service (once; at most the face value)."""
    user = user_of(request)
    require(md.can_redeem_vouchers(user), request, what="voucher_redeem")
    form = RedeemForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"未核销：{form_errors(form)}")
        return redirect("web:vouchers")
    data = form.cleaned_data
    try:
        done = voucher_service.redeem(
            data["code"],
            user,
            service=data["service"],
            delivered_on=data["delivered_on"],
            amount_fen=data["amount_yuan"],
        )
    except voucher_service.VoucherError as exc:
        messages.error(request, f"未核销：{exc}")
    else:
        r = done.redemption
        messages.success(request, f"已核销服务券 {r.voucher.code}：{md.yuan(r.amount_fen)}。")
    return redirect("web:vouchers")


@login_required
@require_POST
def voucher_cancel(request: HttpRequest) -> HttpResponse:
    """The city voids an unused voucher with a reason; its face value returns to the annual fund."""
    user = user_of(request)
    require(md.can_issue_vouchers(user), request, what="voucher_cancel")
    form = VoucherCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"未作废：{form_errors(form)}")
        return redirect("web:vouchers")
    try:
        voucher = voucher_service.cancel_voucher(
            form.cleaned_data["code"], user, reason=form.cleaned_data["reason"]
        )
    except voucher_service.VoucherError as exc:
        messages.error(request, f"未作废：{exc}")
    else:
        messages.success(
            request, f"已作废服务券 {voucher.code}，面额 {md.yuan(voucher.face_value_fen)} 已退回年度资金。"
        )
    return redirect("web:vouchers")
