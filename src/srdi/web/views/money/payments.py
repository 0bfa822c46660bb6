"""Payment runs (拨付): what is waiting, creating a run, executing it, and the treasury file (CSV/XLSX).

Finance and the city administrator act; the auditor reads. Creating and executing a run and downloading the
file (full account numbers) each need a fresh step-up; the services audit every line and every download.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from srdi.db.models import Case, Payment, PaymentReturn, PaymentRun, Programme
from srdi.domain.digits import id_from
from srdi.services import payments as payment_service
from srdi.services.cases import TransitionRefused
from srdi.services.exports import CONTENT_TYPES, download_name
from srdi.web import money_display as md
from srdi.web.access import require
from srdi.web.forms_money import PaymentRunForm
from srdi.web.http import client_ip
from srdi.web.views.exports import file_response
from srdi.web.views.money.common import STEPUP_FIELD, step_up, stepup_fresh, user_of

PAGE_SIZE = 50
READY = ("approved", "payment_failed")


def _runs_page(request: HttpRequest):  # type: ignore[no-untyped-def]
    runs = PaymentRun.objects.select_related("programme", "created_by").annotate(
        lines=Count("cases", distinct=True),
        amount=Sum("cases__approved_fen"),
        paid=Count("cases", filter=Q(cases__state="paid"), distinct=True),
        failed=Count("cases", filter=Q(cases__state="payment_failed"), distinct=True),
        scheduled=Count("cases", filter=Q(cases__state="payment_scheduled"), distinct=True),
    )
    return Paginator(runs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))


@sensitive_post_parameters(STEPUP_FIELD)
@login_required
@require_http_methods(["GET", "POST"])
def payment_runs(request: HttpRequest) -> HttpResponse:
    """The runs, the approved cases waiting for one, and (POST) a new run of them."""
    user = user_of(request)
    require(md.can_view_payments(user), request, what="payment_runs")
    form = PaymentRunForm(request.POST or None)
    if request.method == "POST":
        require(md.can_run_payments(user), request, what="payment_run_create")
        if form.is_valid():
            programme = (
                Programme.objects.filter(pk=form.cleaned_data["programme"]).first()
                if form.cleaned_data["programme"]
                else None
            )
            ready = Case.objects.filter(state__in=READY, awaiting_account=False)
            if programme is not None:
                ready = ready.filter(programme=programme)
            verdict = step_up(request, "payment_run_create")
            if not verdict:
                messages.error(request, verdict.reason)
            elif not ready.exists():
                messages.warning(request, "没有待拨付的事项，未创建拨付批次。")
            else:
                try:
                    run = payment_service.create_payment_run(user, programme, note=form.cleaned_data["note"])
                except TransitionRefused as exc:
                    messages.error(request, f"创建拨付批次未完成：{exc.verdict.reason}")
                else:
                    messages.success(request, f"已创建拨付批次 #{run.pk}，共 {run.cases.count()} 笔。")
                    return redirect("web:payment_run_detail", pk=run.pk)
        else:
            messages.error(request, "请检查填写的内容。")
        return redirect("web:payment_runs")
    waiting = (
        Case.objects.filter(state__in=READY, awaiting_account=False)
        .values("programme__name", "state")
        .annotate(n=Count("id"), amount=Sum("approved_fen"))
        .order_by("programme__name", "state")
    )
    return render(
        request,
        "web/money/payment_runs.html",
        {
            "form": form,
            "page": _runs_page(request),
            "waiting": [{**w, "state_label": md.state_label(w["state"])} for w in waiting],
            "awaiting_account": Case.objects.filter(state__in=READY, awaiting_account=True).count(),
            "can_run": bool(md.can_run_payments(user)),
            "stepup_needed": not stepup_fresh(request),
            "stepup_field": STEPUP_FIELD,
        },
    )


def _run_or_404(pk: int) -> PaymentRun:
    run = PaymentRun.objects.select_related("programme", "created_by").filter(pk=pk).first()
    if run is None:
        raise Http404("拨付批次不存在")
    return run


@login_required
@require_GET
def payment_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run's lines with their state and payment (account numbers masked except for finance)."""
    user = user_of(request)
    require(md.can_view_payments(user), request, what="payment_run_detail")
    run = _run_or_404(pk)
    # A line is a case this run holds now, or one it paid (the case may since have moved to a later run).
    payments = {p.case_id: p for p in Payment.objects.filter(run=run).select_related("bank_return")}
    cases = list(
        Case.objects.filter(Q(payment_run=run) | Q(pk__in=list(payments)))
        .select_related("enterprise", "programme")
        .order_by("id")
    )
    lines = [
        {
            "case": c,
            "state_label": md.state_label(c.state),
            "state_badge": md.state_badge(c.state),
            "account": c.bank_account_number
            if md.sees_bank_account(user, c)
            else md.mask_account(c.bank_account_number),
            "payment": payments.get(c.pk),
            "returned": _returned(payments.get(c.pk)),
            "stepup_id": f"stepup-return-{c.pk}",
            "amount": md.yuan(c.approved_fen),
            "city": md.yuan(c.city_fen),
            "district": md.yuan(c.district_fen),
        }
        for c in cases
    ]
    totals: dict[str, Any] = {
        "lines": len(cases),
        "amount": sum(c.approved_fen or 0 for c in cases),
        "paid": sum(p.amount_fen for p in payments.values() if _returned(p) is None),
        "scheduled": sum(1 for c in cases if c.state == "payment_scheduled"),
        "failed": sum(1 for c in cases if c.state == "payment_failed"),
    }
    totals["amount_yuan"] = md.yuan(totals["amount"])
    totals["paid_yuan"] = md.yuan(totals["paid"])
    return render(
        request,
        "web/money/payment_run_detail.html",
        {
            "run": run,
            "lines": lines,
            "totals": totals,
            "can_run": bool(md.can_run_payments(user)),
            "stepup_needed": not stepup_fresh(request),
            "stepup_field": STEPUP_FIELD,
        },
    )


@sensitive_post_parameters(STEPUP_FIELD)
@login_required
@require_POST
def payment_run_execute(request: HttpRequest, pk: int) -> HttpResponse:
    """Disburse every scheduled line of the run (safe to repeat: paid lines are skipped)."""
    user = user_of(request)
    require(md.can_run_payments(user), request, what="payment_run_execute")
    run = _run_or_404(pk)
    verdict = step_up(request, f"payment_run:{run.pk}:execute")
    if not verdict:
        messages.error(request, verdict.reason)
        return redirect("web:payment_run_detail", pk=run.pk)
    try:
        result = payment_service.execute_payment_run(run, user)
    except (payment_service.PaymentConflict, TransitionRefused) as exc:
        reason = exc.verdict.reason if isinstance(exc, TransitionRefused) else str(exc)
        messages.error(request, f"拨付中断：{reason}（可再次执行，已拨付的不会重复）")
    else:
        messages.success(
            request,
            f"拨付批次 #{run.pk} 已执行：成功 {len(result.paid)} 笔，失败 {len(result.failed)} 笔，"
            f"跳过 {len(result.skipped)} 笔。",
        )
        if result.failed:
            messages.warning(request, "失败的事项已标记为“拨付失败”，核实收款账户后可列入新的拨付批次重试。")
    return redirect("web:payment_run_detail", pk=run.pk)


def _returned(payment: Payment | None) -> PaymentReturn | None:
    if payment is None:
        return None
    try:
        return payment.bank_return
    except PaymentReturn.DoesNotExist:
        return None


@sensitive_post_parameters(STEPUP_FIELD)
@login_required
@require_POST
def payment_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the bank sent one payment of the run back (finance, step-up): the posting is reversed first."""
    user = user_of(request)
    require(md.can_run_payments(user), request, what="payment_return")
    run = _run_or_404(pk)
    verdict = step_up(request, f"payment_run:{run.pk}:return")
    if not verdict:
        messages.error(request, verdict.reason)
        return redirect("web:payment_run_detail", pk=run.pk)
    payment = Payment.objects.filter(pk=id_from(request.POST.get("payment", "")) or 0, run=run).first()
    if payment is None:
        messages.error(request, "请选择本批次中的一笔拨付")
        return redirect("web:payment_run_detail", pk=run.pk)
    try:
        payment_service.record_bank_return(
            payment.pk, user, reason=request.POST.get("reason", ""), ip=client_ip(request)
        )
    except (payment_service.PaymentConflict, TransitionRefused) as exc:
        reason = exc.verdict.reason if isinstance(exc, TransitionRefused) else str(exc)
        messages.error(request, f"未登记：{reason}")
    else:
        messages.success(
            request, f"已登记事项 #{payment.case_id} 的银行退回并冲销拨付；企业更正账户并经确认后可重新拨付。"
        )
    return redirect("web:payment_run_detail", pk=run.pk)


@sensitive_post_parameters(STEPUP_FIELD)
@login_required
@require_POST
def payment_run_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The treasury file of the run (full account numbers; step-up; every download audited)."""
    user = user_of(request)
    require(md.can_download_treasury_file(user), request, what="payment_run_file")
    run = _run_or_404(pk)
    fmt = request.POST.get("fmt", "")
    if fmt not in ("csv", "xlsx"):
        return HttpResponseBadRequest("文件格式可选 csv、xlsx")
    verdict = step_up(request, f"payment_run:{run.pk}:file")
    if not verdict:
        messages.error(request, verdict.reason)
        return redirect("web:payment_run_detail", pk=run.pk)
    content = payment_service.payment_file(run, fmt, user)
    return file_response(content, download_name(f"srdi-payment-run-{run.pk}", fmt), CONTENT_TYPES[fmt])
