"""Programmes (申报批次): the list, creating one with its budgets, its page (budgets, cases by state,
generating 免申即享 offers) and an enterprise's application for one of its recorded events."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from srdi.db.models import BudgetAccount, District, Event, Programme, Role
from srdi.domain.digits import id_from
from srdi.domain.policy.loader import load_packs
from srdi.domain.verdict import deny
from srdi.services import programmes as programme_service
from srdi.services import scoping
from srdi.web import money_display as md
from srdi.web.access import require
from srdi.web.forms_money import ProgrammeForm
from srdi.web.views.money.common import user_of


def _measure(programme: Programme) -> Any:
    pack = next((p for p in load_packs() if p.id == programme.pack), None)
    if pack is None:
        return None
    try:
        return pack.measure(programme.article)
    except KeyError:
        return None


def _budget_row(b: BudgetAccount, names: dict[str, str]) -> dict[str, Any]:
    committed = b.used_fen - b.paid_fen
    return {
        "side": "市级" if b.side == "city" else names.get(b.district_code, b.district_code),
        "is_city": b.side == "city",
        "district_code": b.district_code,
        "year": b.year,
        "cap": b.cap_fen,
        "used": b.used_fen,
        "paid": b.paid_fen,
        "committed": committed,
        "available": b.available_fen,
        "paid_pct": md.percent(b.paid_fen, b.cap_fen),
        "committed_pct": md.percent(committed, b.cap_fen),
    }


@login_required
@require_GET
def programme_list(request: HttpRequest) -> HttpResponse:
    """Every programme; staff see the city budget's use, an enterprise its own cases per programme."""
    user = user_of(request)
    require(md.can_view_programmes(user), request, what="programme_list")
    programmes = list(Programme.objects.all())
    city = {
        b.programme_id: b for b in BudgetAccount.objects.filter(side="city").order_by("programme_id", "year")
    }
    scoped = scoping.cases_for(user)
    counts = dict(scoped.values_list("programme_id").annotate(n=Count("id")).order_by())
    open_offers = dict(
        scoped.filter(state="offered").values_list("programme_id").annotate(n=Count("id")).order_by()
    )
    rows = []
    for p in programmes:
        measure = _measure(p)
        budget = city.get(p.pk)
        rows.append(
            {
                "programme": p,
                "reference": measure.reference if measure else f"第{p.article}条",
                "title": measure.title if measure else "",
                "budget": _budget_row(budget, {}) if budget else None,
                "cases": counts.get(p.pk, 0),
                "offers": open_offers.get(p.pk, 0),
            }
        )
    return render(
        request,
        "web/money/programme_list.html",
        {
            "rows": rows,
            "can_manage": bool(md.can_manage_programmes(user)),
            "show_budgets": user.role != Role.ENTERPRISE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request: HttpRequest) -> HttpResponse:
    """Create a programme and allocate its budgets (city staff and administrators)."""
    user = user_of(request)
    require(md.can_manage_programmes(user), request, what="programme_create")
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme = programme_service.create_programme(
                code=data["code"],
                name=data["name"],
                article=data["article"],
                year=data["year"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                mode=data["mode"],
                city_budget_fen=data["city_budget_fen"],
                district_budget_fen=data["district_budget_fen"],
                publicity_days=data["publicity_days"],
                quota=data["quota"],
                required_evidence=data["required_evidence"],
                description=data["description"],
                actor=user,
            )
        except programme_service.ProgrammeError as exc:
            form.add_error(None, str(exc))
        except IntegrityError:
            form.add_error("code", "批次编号已存在")
        else:
            messages.success(request, f"已创建批次“{programme.name}”并下达预算。")
            return redirect("web:programme_detail", pk=programme.pk)
    return render(request, "web/money/programme_form.html", {"form": form})


def _programme_or_404(pk: int) -> Programme:
    programme = Programme.objects.filter(pk=pk).first()
    if programme is None:
        raise Http404("批次不存在")
    return programme


@login_required
@require_GET
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A programme: its measure, budgets (cap / committed / paid / available), cases by state, and actions."""
    user = user_of(request)
    require(md.can_view_programmes(user), request, what="programme_detail")
    programme = _programme_or_404(pk)
    measure = _measure(programme)
    names = dict(District.objects.values_list("code", "name"))
    budgets_qs = programme.budgets.all()
    if user.role == Role.DISTRICT_STAFF:
        budgets_qs = budgets_qs.filter(Q(side="city") | Q(district_code=user.district_id))
    budgets = [_budget_row(b, names) for b in budgets_qs] if user.role != Role.ENTERPRISE else []
    totals = budgets_qs.filter(side="district").aggregate(
        cap=Sum("cap_fen"), used=Sum("used_fen"), paid=Sum("paid_fen")
    )
    scoped = scoping.cases_for(user).filter(programme=programme)
    by_state = dict(scoped.values_list("state").annotate(n=Count("id")).order_by())
    states = [
        (s, md.state_label(s), md.state_badge(s), by_state[s]) for s in md.STATE_BADGES if s in by_state
    ]
    context: dict[str, Any] = {
        "programme": programme,
        "measure": measure,
        "budgets": budgets,
        "district_totals": totals if totals.get("cap") else None,
        "states": states,
        "case_total": sum(by_state.values()),
        "can_manage": bool(md.can_manage_programmes(user)),
        "events": None,
    }
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        kinds = list(measure.events) if measure is not None else []
        mine = {c.event_id: c for c in scoped if c.event_id}
        context["events"] = [
            {"event": e, "label": md.event_label(e.kind), "case": mine.get(e.pk)}
            for e in Event.objects.filter(enterprise_id=user.enterprise_id, kind__in=kinds).order_by("date")
        ]
        context["my_cases"] = list(scoped.order_by("-updated_at"))
        context["can_apply"] = programme.mode != Programme.Mode.OFFER
    return render(request, "web/money/programme_detail.html", context)


@login_required
@require_POST
def programme_offers(request: HttpRequest, pk: int) -> HttpResponse:
    """免申即享: screen the recorded events and create an offer for each qualifying one (idempotent)."""
    user = user_of(request)
    require(md.can_manage_programmes(user), request, what="programme_offers")
    programme = _programme_or_404(pk)
    summary = programme_service.generate_offers(programme, actor=user)
    messages.success(
        request,
        f"免申即享：新生成要约 {summary.created} 个（其中数据不全 {summary.incomplete} 个），"
        f"已存在 {summary.existing} 个。",
    )
    return redirect("web:programme_detail", pk=programme.pk)


@login_required
@require_POST
def programme_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """An enterprise applies for one of its recorded events under the programme (a draft case)."""
    user = user_of(request)
    require(
        md.can_act_on_cases(user) if user.role == Role.ENTERPRISE else deny("只有企业用户可以申报", "role"),
        request,
        what="programme_apply",
    )
    programme = _programme_or_404(pk)
    event_id = id_from(request.POST.get("event", ""))
    event = (
        Event.objects.filter(pk=event_id, enterprise_id=user.enterprise_id).first()
        if event_id is not None and user.enterprise_id is not None
        else None
    )
    if event is None:
        messages.error(request, "请选择本企业已登记的事项")
        return redirect("web:programme_detail", pk=programme.pk)
    try:
        case = programme_service.start_application(programme, user, event)
    except programme_service.ProgrammeError as exc:
        messages.error(request, f"无法申报：{exc}")
        return redirect("web:programme_detail", pk=programme.pk)
    messages.success(request, "已创建申报草稿，请填写收款账户和材料后提交。")
    return redirect("web:case_detail", pk=case.pk)
