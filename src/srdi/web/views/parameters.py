"""The parameter-management pages (参数管理): the list of proposed and decided changes, the propose form, a change's
page — which is also where it is approved or rejected, with its simulated effect — and a parameter's history.

Open to holders of ``parameter.propose`` (city staff) or ``parameter.approve`` (city administrators); anyone else
is refused through ``web.access.require`` (audited 403). The views only parse and render: proposing, deciding,
withdrawing and computing the effect are ``srdi.services.parameters`` and ``srdi.services.parameter_effect``,
whose refusals come back as form errors on the field they name.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from srdi.db.models import ParameterChange, User
from srdi.domain.permissions import Permission
from srdi.services import parameter_history as history_service
from srdi.services import scoping
from srdi.services.evidence import content_type_of
from srdi.services.parameter_effect import MAX_YEARS, Effect, refresh_effect
from srdi.services.parameters import (
    Attachment,
    ParameterChangeError,
    baseline_parameters,
    decide,
    known_parameter,
    may_decide,
    open_attachment,
    packs_in_force,
    propose,
    withdraw,
)
from srdi.web import parameter_display as pdisp
from srdi.web.access import require
from srdi.web.forms_parameters import STATUS_FILTER, DecideForm, ProposeForm
from srdi.web.http import client_ip, download
from srdi.web.policy_display import UNIT_LABELS
from srdi.web.views.money.common import STEPUP_FIELD, step_up, stepup_fresh

PAGE_SIZE = 25
MAX_QUERY = 100


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _row(change: ParameterChange, labels: dict[str, str]) -> dict[str, Any]:
    return {"c": change, "label": labels.get(change.parameter, ""), "value": pdisp.stored_text(change)}


@login_required
@require_GET
def parameter_changes(request: HttpRequest) -> HttpResponse:
    """Every change, awaiting a decision first; filter by status and pack, search id, label or document."""
    user = _user(request)
    require(pdisp.can_manage_parameters(user), request, what="parameter_changes")
    known = baseline_parameters()
    labels = {pid: param.label for pid, (_pack, param) in known.items()}
    packs = sorted({pack.id for pack, _param in known.values()})
    status = request.GET.get("status", "")
    status = status if status in ParameterChange.Status.values else ""
    pack = request.GET.get("pack", "")
    pack = pack if pack in packs else ""
    q = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    qs = ParameterChange.objects.select_related("proposed_by", "decided_by")
    if status:
        qs = qs.filter(status=status)
    if pack:
        qs = qs.filter(pack=pack)
    if q:
        by_label = [pid for pid, label in labels.items() if q.lower() in label.lower()]
        qs = qs.filter(Q(parameter__icontains=q) | Q(document__icontains=q) | Q(parameter__in=by_label))
    qs = qs.annotate(
        pending=Case(
            When(status=ParameterChange.Status.PROPOSED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("pending", "-proposed_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/policy/parameters/list.html",
        {
            "page": page,
            "rows": [_row(c, labels) for c in page.object_list],
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "status": status,
            "statuses": STATUS_FILTER,
            "pack": pack,
            "packs": packs,
            "q": q,
            "may_propose": user.can(Permission.PARAMETER_PROPOSE),
            "pending": ParameterChange.objects.filter(status=ParameterChange.Status.PROPOSED).count(),
        },
    )


def _choices(groups: list[tuple[str, list[pdisp.Choice]]]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (group, [(c.pid, f"{c.pid} {c.label}（{c.unit}，现值 {c.current}）") for c in rows])
        for group, rows in groups
    ]


@login_required
@require_http_methods(["GET", "POST"])
def parameter_propose(request: HttpRequest) -> HttpResponse:
    """提出参数调整: the change is stored as proposed and its effect computed at once (it has no effect until
    another person approves it)."""
    user = _user(request)
    require(scoping.can(user, Permission.PARAMETER_PROPOSE), request, what="parameter_propose")
    today = timezone.localdate()
    groups = pdisp.grouped_choices(packs_in_force(), today)
    known = baseline_parameters()
    hints = {pid: pdisp.UNIT_HINTS.get(param.unit, "") for pid, (_pack, param) in known.items()}
    if request.method == "POST":
        form = ProposeForm(request.POST, request.FILES, choices=_choices(groups))
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("attachment")
            try:
                change = propose(
                    user,
                    pid=data["parameter"],
                    value=data["value"],
                    as_text=True,
                    effective_from=data["effective_from"],
                    effective_to=data.get("effective_to"),
                    document=data["document"],
                    article=data.get("article") or "",
                    reason=data["reason"],
                    attachment=Attachment(upload.name, upload.read()) if upload else None,
                    ip=client_ip(request),
                )
            except ParameterChangeError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                refresh_effect(change, user, ip=client_ip(request))
                return HttpResponseRedirect(reverse("web:parameter_change", args=[change.pk]))
    else:
        initial: dict[str, Any] = {"effective_from": today}
        if request.GET.get("parameter") in known:
            initial["parameter"] = request.GET["parameter"]
        form = ProposeForm(initial=initial, choices=_choices(groups))
    chosen = form["parameter"].value() or ""
    return render(
        request,
        "web/policy/parameters/propose.html",
        {"form": form, "hints": hints, "hint": hints.get(str(chosen), ""), "max_years": MAX_YEARS},
    )


def _history_rows(pid: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    changes = ParameterChange.objects.filter(parameter=pid).select_related("proposed_by", "decided_by")
    return [_row(c, labels) for c in changes.order_by("-proposed_at", "-id")]


@login_required
@require_http_methods(["GET", "POST"])
def parameter_change(request: HttpRequest, pk: int) -> HttpResponse:
    """A change with its parameter's value in force and history, and the effect: the approval page.

    POST ``action``: ``approve`` / ``reject`` (with ``reason``), ``withdraw`` (the proposer), ``refresh`` (compute
    the effect again while it awaits a decision)."""
    user = _user(request)
    require(pdisp.can_manage_parameters(user), request, what="parameter_change")
    change = get_object_or_404(ParameterChange.objects.select_related("proposed_by", "decided_by"), pk=pk)
    form = DecideForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        ip = client_ip(request)
        try:
            if action in ("approve", "reject"):
                refused = may_decide(user, change)
                # Approving a value is as sensitive as approving a payment: re-enter the password (someone who may
                # not decide is refused by the service, and audited, without being asked for it).
                stepped = (
                    step_up(request, f"parameter_change:{change.pk}:approve")
                    if action == "approve" and not refused
                    else None
                )
                if stepped is not None and not stepped:
                    form.is_valid()
                    form.add_error(None, stepped.reason)
                    status = 403
                elif form.is_valid():
                    try:
                        decide(
                            change.pk,
                            user,
                            approve=action == "approve",
                            reason=form.cleaned_data["reason"],
                            ip=ip,
                        )
                    except ParameterChangeError as exc:
                        form.add_error("reason" if exc.field == "reason" else None, str(exc))
                        status = 403 if refused else 200
                    else:
                        return HttpResponseRedirect(request.path)
            elif action == "withdraw":
                withdraw(change.pk, user, ip=ip)
                return HttpResponseRedirect(request.path)
            elif action == "refresh":
                refresh_effect(change, user, ip=ip)
                return HttpResponseRedirect(request.path)
            else:
                error = "未知操作"
                status = 400
        except ParameterChangeError as exc:
            error = str(exc)
        change.refresh_from_db()
    known = baseline_parameters()
    labels = {pid: param.label for pid, (_pack, param) in known.items()}
    pack = known[change.parameter][0] if change.parameter in known else None
    found = known_parameter(change.parameter)
    param = found[1] if found else None
    history = history_service.parameter_history(change.parameter)
    today = timezone.localdate()
    packs = packs_in_force()
    pending = change.status == ParameterChange.Status.PROPOSED
    refusal = may_decide(user, change) if pending else ""
    effect = Effect.from_json(change.effect)
    context = {
        "change": change,
        "label": labels.get(change.parameter, ""),
        "unit": UNIT_LABELS.get(param.unit, param.unit) if param else "",
        "value": pdisp.stored_text(change),
        "in_force": pdisp.resolved_text(param, history_service.value_in_force(change.parameter, today))
        if param
        else "—",
        "today": today,
        "history": [r for r in _history_rows(change.parameter, labels) if r["c"].pk != change.pk],
        "baseline": pdisp.baseline_periods(history, param) if history and param else [],
        "effect": pdisp.effect_view(effect, next((p for p in packs if p.id == change.pack), pack)),
        "pending": pending,
        "may_decide": pending and not refusal,
        "refusal": refusal,
        "own": change.proposed_by_id == user.pk,
        "form": form,
        "error": error,
        "max_years": MAX_YEARS,
        "stepup_needed": not stepup_fresh(request),
        "stepup_field": STEPUP_FIELD,
    }
    return render(request, "web/policy/parameters/change.html", context, status=status)


@login_required
@require_GET
def parameter_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """The document a change is based on, as an attachment (verified against its SHA-256, audited)."""
    user = _user(request)
    require(pdisp.can_manage_parameters(user), request, what="parameter_attachment")
    try:
        change, data = open_attachment(pk, user, ip=client_ip(request))
    except ParameterChangeError as exc:
        raise Http404(str(exc)) from None
    return download(data, change.attachment_name, content_type_of(data))


@login_required
@require_GET
def parameter_history(request: HttpRequest, pid: str) -> HttpResponse:
    """One parameter: the periods of the cited YAML baseline and every change with its status and version."""
    user = _user(request)
    require(pdisp.can_manage_parameters(user), request, what="parameter_history")
    history = history_service.parameter_history(pid)
    found = known_parameter(pid)
    if history is None or found is None:
        raise Http404("没有这个参数")
    pack_id, param, _money = found
    labels = {p: prm.label for p, (_pk, prm) in baseline_parameters().items()}
    today = timezone.localdate()
    return render(
        request,
        "web/policy/parameters/history.html",
        {
            "pid": pid,
            "pack_id": pack_id,
            "param": param,
            "unit": UNIT_LABELS.get(param.unit, param.unit),
            "in_force": pdisp.resolved_text(param, history_service.value_in_force(pid, today)),
            "today": today,
            "baseline": pdisp.baseline_periods(history, param),
            "changes": _history_rows(pid, labels),
            "may_propose": user.can(Permission.PARAMETER_PROPOSE),
        },
    )
