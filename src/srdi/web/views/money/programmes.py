"""Programmes (申报批次): the list, creating one with its budgets (typed, or suggested from the engine), its page
(phase, budgets, cases by state, generating 免申即享 offers, closing it), its budget page (each district's
budget, adjustments proposed and approved by two people, the history) and an enterprise's application for one
of its recorded events."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from srdi.db.models import BudgetAccount, BudgetAdjustment, District, Event, Programme
from srdi.domain.digits import id_from
from srdi.domain.money import fen_to_wan
from srdi.domain.permissions import Permission, Scope
from srdi.domain.reference import district_name
from srdi.domain.verdict import deny
from srdi.services import budgets, scoping
from srdi.services import cases as case_service
from srdi.services import programmes as programme_service
from srdi.services.parameters import pack_in_force
from srdi.web import money_display as md
from srdi.web.access import require
from srdi.web.forms_money import BudgetAdjustmentForm, ProgrammeForm, money_measures
from srdi.web.http import client_ip
from srdi.web.views.money.common import user_of


def _measure(programme: Programme) -> Any:
    pack = pack_in_force(programme.pack)
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
    today = case_service.today()
    for p in programmes:
        measure = _measure(p)
        budget = city.get(p.pk)
        rows.append(
            {
                "programme": p,
                "phase": programme_service.phase(p, today),
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
            "show_budgets": user.scope is not Scope.ENTERPRISE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request: HttpRequest) -> HttpResponse:
    """Create a programme and allocate its budgets (city staff and administrators).

    "按测算建议" fills the budgets from the engine: what the measure's awards for the year would cost the city
    and each district under the fiscal shares (nothing is created until the form is submitted)."""
    user = user_of(request)
    require(md.can_manage_programmes(user), request, what="programme_create")
    form = ProgrammeForm(request.POST or None)
    suggestion = None
    if request.method == "POST" and "suggest" in request.POST:
        form, suggestion = _with_suggestion(form, request.POST)
    elif request.method == "POST" and form.is_valid():
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
                district_budgets=data["district_budgets"],
                city_pays_all=data["city_pays_all"],
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
    return render(request, "web/money/programme_form.html", {"form": form, "suggestion": suggestion})


def _with_suggestion(form: ProgrammeForm, posted: QueryDict) -> tuple[ProgrammeForm, Any]:
    """The form again with its budgets filled from the engine's estimate for the chosen measure and year."""
    article, year = posted.get("article"), posted.get("year")
    known = {str(a) for a, _ in money_measures()}
    if not (str(article) in known and str(year).isdigit()):
        form.is_valid()
        form.add_error(None, "请先选择政策措施并填写年度，再按测算建议填写预算")
        return form, None
    suggestion = budgets.suggest("hz81", int(str(article)), int(str(year)), posted.getlist("city_pays_all"))
    data = posted.copy()
    data["city_budget_wan"] = str(fen_to_wan(_whole_yuan_up(suggestion.city_fen)))
    for code, fen in suggestion.districts.items():
        data[f"district_{code}"] = str(fen_to_wan(_whole_yuan_up(fen)))
    return ProgrammeForm(data), suggestion


def _whole_yuan_up(fen: int) -> int:
    """A suggested budget rounded up to whole 元 (the form takes 万元 to four places): it always covers."""
    return -(-fen // 100) * 100


def _programme_or_404(pk: int) -> Programme:
    programme = Programme.objects.filter(pk=pk).first()
    if programme is None:
        raise Http404("批次不存在")
    return programme


@login_required
@require_GET
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A programme: its measure, phase, budgets (cap / committed / paid / available), cases by state, actions."""
    user = user_of(request)
    require(md.can_view_programmes(user), request, what="programme_detail")
    programme = _programme_or_404(pk)
    measure = _measure(programme)
    phase = programme_service.phase(programme)
    budgets_qs = _visible_budgets(user, programme)
    budget_rows = (
        [_budget_row(b, _district_names()) for b in budgets_qs] if user.scope is not Scope.ENTERPRISE else []
    )
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
        "phase": phase,
        "budgets": budget_rows,
        "district_totals": totals if totals.get("cap") else None,
        "city_pays_all": [district_name(c) for c in programme.city_pays_all or []],
        "states": states,
        "case_total": sum(by_state.values()),
        "can_manage": bool(md.can_manage_programmes(user)),
        "takes_new_cases": phase.takes_new_cases,
        "events": None,
    }
    if user.scope is Scope.ENTERPRISE and user.enterprise_id:
        kinds = list(measure.events) if measure is not None else []
        mine = {c.event_id: c for c in scoped if c.event_id}
        context["events"] = [
            {"event": e, "label": md.event_label(e.kind), "case": mine.get(e.pk)}
            for e in Event.objects.filter(enterprise_id=user.enterprise_id, kind__in=kinds).order_by("date")
        ]
        context["my_cases"] = list(scoped.order_by("-updated_at"))
        context["can_apply"] = programme.mode != Programme.Mode.OFFER
        context["window_open"] = phase is programme_service.Phase.OPEN
    return render(request, "web/money/programme_detail.html", context)


def _district_names() -> dict[str, str]:
    return dict(District.objects.values_list("code", "name"))


def _visible_budgets(user: Any, programme: Programme) -> Any:
    budgets_qs = programme.budgets.all()
    if user.scope is Scope.DISTRICT:
        budgets_qs = budgets_qs.filter(Q(side="city") | Q(district_code=user.district_id))
    return budgets_qs


@login_required
@require_POST
def programme_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the programme: no new cases; offers and drafts nobody submitted lapse (city staff)."""
    user = user_of(request)
    require(md.can_manage_programmes(user), request, what="programme_close")
    programme = _programme_or_404(pk)
    try:
        lapsed = programme_service.close_programme(
            programme, user, reason=request.POST.get("reason", ""), ip=client_ip(request)
        )
    except programme_service.ProgrammeError as exc:
        messages.error(request, f"未结束：{exc}")
    except case_service.TransitionRefused as exc:
        messages.error(request, f"未结束：{exc.verdict.reason}（请刷新后重试）")
    else:
        messages.success(
            request, f"批次已结束；{lapsed} 件未提交的要约或草稿已失效。已提交的事项继续审核和拨付。"
        )
    return redirect("web:programme_detail", pk=programme.pk)


@login_required
@require_http_methods(["GET", "POST"])
def programme_budgets(request: HttpRequest, pk: int) -> HttpResponse:
    """Each budget of the programme, its history, and (POST) a proposed adjustment (city staff)."""
    user = user_of(request)
    require(md.can_view_programmes(user), request, what="programme_budgets")
    if user.scope is Scope.ENTERPRISE:
        require(deny("企业用户不能查看预算", "role"), request, what="programme_budgets")
    programme = _programme_or_404(pk)
    form = BudgetAdjustmentForm(request.POST or None)
    if request.method == "POST":
        require(md.can_manage_programmes(user), request, what="budget_adjustment")
        if form.is_valid():
            data = form.cleaned_data
            try:
                budgets.propose_adjustment(
                    programme,
                    kind=data["kind"],
                    amount_fen=data["amount_fen"],
                    reason=data["reason"],
                    document=data["document"],
                    source=data["source"],
                    target=data["target"],
                    actor=user,
                )
            except budgets.BudgetError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "预算调整已提交，待另一名市级管理员审批后生效。")
                return redirect("web:programme_budgets", pk=programme.pk)
    names = _district_names()
    rows = [_budget_row(b, names) for b in _visible_budgets(user, programme)]
    history = budgets.history(programme)
    if user.scope is Scope.DISTRICT:
        history = [h for h in history if h.codes & {"city", user.district_id or ""}]
    return render(
        request,
        "web/money/programme_budgets.html",
        {
            "programme": programme,
            "budgets": rows,
            "chart": {  # the districts only: beside the city's budget their bars would not show
                "labels": [r["side"] for r in rows if not r["is_city"]],
                "hideLabels": True,
                "series": [
                    {
                        "name": name,
                        "color": color,
                        "values": [str(fen_to_wan(r[key])) for r in rows if not r["is_city"]],
                    }
                    for name, color, key in (
                        ("已支付（万元）", "#1d5fb4", "paid"),
                        ("已承诺（万元）", "#7aa6e0", "committed"),
                        ("可用（万元）", "#cfd8e6", "available"),
                    )
                ],
            },
            "city_pays_all": [district_name(c) for c in programme.city_pays_all or []],
            "history": history,
            "form": form if md.can_manage_programmes(user) else None,
            "can_decide": user.can(Permission.BUDGET_APPROVE),
        },
    )


@login_required
@require_POST
def adjustment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (posts to the ledger) or refuse a proposed budget adjustment: a second city administrator."""
    user = user_of(request)
    require(md.can_manage_programmes(user), request, what="adjustment_decide")
    adjustment = BudgetAdjustment.objects.filter(pk=pk).first()
    if adjustment is None:
        raise Http404("预算调整不存在")
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "refuse"):
        return HttpResponseBadRequest("请选择批准或不予批准")
    try:
        budgets.decide_adjustment(
            adjustment.pk, user, approve=decision == "approve", reason=request.POST.get("reason", "")
        )
    except budgets.BudgetError as exc:
        messages.error(request, f"未办理：{exc}")
    else:
        messages.success(request, "预算调整已生效并记入总账。" if decision == "approve" else "已不予批准。")
    return redirect("web:programme_budgets", pk=adjustment.programme_id)


@login_required
@require_POST
def programme_offers(request: HttpRequest, pk: int) -> HttpResponse:
    """免申即享: screen the recorded events and create an offer for each qualifying one (idempotent)."""
    user = user_of(request)
    require(md.can_manage_programmes(user), request, what="programme_offers")
    programme = _programme_or_404(pk)
    try:
        summary = programme_service.generate_offers(programme, actor=user)
    except programme_service.ProgrammeError as exc:
        messages.error(request, f"未生成：{exc}")
        return redirect("web:programme_detail", pk=programme.pk)
    messages.success(request, summary.message)
    for line in summary.held[:20]:
        messages.info(request, line)
    if len(summary.held) > 20:
        messages.info(request, f"……另有 {len(summary.held) - 20} 个事项未列出")
    return redirect("web:programme_detail", pk=programme.pk)


@login_required
@require_POST
def programme_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """An enterprise applies for one of its recorded events under the programme (a draft case)."""
    user = user_of(request)
    require(
        scoping.can(user, Permission.CASE_APPLY),
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
