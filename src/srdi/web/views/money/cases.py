"""Cases (兑现事项): role-aware queues with filters and safe bulk actions, the case page (entitlement basis,
bank account, evidence, objections, timeline, actions), the enterprise's 意愿确认, evidence file upload and
download (``services.evidence``), and the approval document.

Every case is looked up through ``scoping`` (out of scope → 404); every action goes through
``services.cases.transition`` (the guards decide, a refusal is shown with its reason and audited by the
service). Approval and cancellation need a fresh step-up (the password again).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import BankAccountChange, Case, District, Evidence, Objection
from srdi.domain.calendar import calendar_known
from srdi.domain.permissions import Permission, Scope
from srdi.domain.verdict import deny
from srdi.domain.workflow.definition import COMMITTED, TRANSITIONS
from srdi.services import bank_accounts, budgets, matters, scoping
from srdi.services import cases as case_service
from srdi.services import evidence as evidence_service
from srdi.services.parameters import pack_in_force
from srdi.services.payments import standing_payment, standing_payments
from srdi.web import money_display as md
from srdi.web.access import require
from srdi.web.forms_money import (
    ActionForm,
    CaseFilterForm,
    ClaimForm,
    EvidenceUploadForm,
    ObjectionForm,
    ResolveForm,
)
from srdi.web.http import client_ip, download, no_store
from srdi.web.views.money.common import STEPUP_FIELD, case_or_404, form_errors, step_up, stepup_fresh, user_of

PAGE_SIZE = 50
STEPUP_TRANSITIONS = frozenset({"approve", "cancel"})
# Payment moves happen only inside a payment run (services.payments), which posts the ledger and links the run;
# taken alone from the case page they would leave a case scheduled outside any run, or "paid" without a payment.
RUN_ONLY = frozenset({"schedule_payment", "mark_paid", "mark_failed"})
CLAIM_STATES = frozenset({"offered", "draft", "returned"})
CLAIM_TRANSITIONS = {"offered": "confirm", "draft": "submit", "returned": "submit"}
BUTTON_STYLES = {
    "decline": "btn-outline-secondary",
    "withdraw": "btn-outline-secondary",
    "return": "btn-outline-warning",
    "reject": "btn-outline-danger",
    "cancel": "btn-outline-danger",
    "mark_failed": "btn-outline-danger",
}
MAX_BULK = 200


# ---- the list ------------------------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[Any, CaseFilterForm]:
    user = user_of(request)
    form = CaseFilterForm(request.GET or None, show_district=scoping.sees_all_districts(user))
    qs = (
        scoping.cases_for(user)
        .select_related("programme", "enterprise")
        .prefetch_related(standing_payments())
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        qs = md.search_cases(qs, data.get("q") or "")
        if data.get("programme"):
            qs = qs.filter(programme_id=data["programme"])
        if data.get("state"):
            qs = qs.filter(state=data["state"])
        if data.get("district"):
            qs = qs.filter(district_code=data["district"])
    return qs, form


def _row(case: Case, names: dict[str, str], flagged: set[int]) -> dict[str, Any]:
    standing = getattr(case, "standing", None)  # filled by the list's prefetch
    payment = standing[0] if standing else None
    amount = case.approved_fen if case.approved_fen is not None else case.entitlement_fen
    return {
        "case": case,
        "state_label": md.state_label(case.state),
        "state_badge": md.state_badge(case.state),
        "district": names.get(case.district_code, case.district_code or "—"),
        "amount": md.yuan(amount),
        "amount_kind": "批准" if case.approved_fen is not None else "测算",
        "paid": md.yuan(payment.amount_fen) if payment is not None else "",
        "paid_on": payment.paid_at if payment is not None else None,
        "matter_flagged": case.pk in flagged,
    }


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The user's queues (tabs), filters, 50 per page, and bulk actions for reviewers."""
    user = user_of(request)
    require(md.can_view_cases(user), request, what="case_list")
    qs, form = _filtered(request)
    today = case_service.today()
    queues = md.queues_for(user)
    current = next((q for q in queues if q.key == request.GET.get("queue")), queues[0])
    tabs = [{"queue": q, "count": q.apply(qs, today).count(), "active": q is current} for q in queues]
    page = Paginator(current.apply(qs, today).order_by("-updated_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    names = dict(District.objects.values_list("code", "name"))
    cases = list(page.object_list)
    flagged = matters.flagged_ids(cases)
    rows = [_row(c, names, flagged) for c in cases]
    bulk = md.bulk_actions_for(user) if md.can_act_on_cases(user) else []
    # Preselect the bulk action that fits the open queue (受理 for 待受理, 区县审核通过 for 区县审核 …).
    fitting = [name for name, _ in bulk if set(TRANSITIONS[name].sources) & set(current.states)]
    return render(
        request,
        "web/money/case_list.html",
        {
            "form": form,
            "tabs": tabs,
            "queue": current,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "rows": rows,
            "bulk_actions": bulk,
            "bulk_default": fitting[0] if fitting else "",
            "is_enterprise": user.scope is Scope.ENTERPRISE,
            "heading": "我的兑现事项" if user.scope is Scope.ENTERPRISE else "兑现事项",
            "read_only": not md.can_act_on_cases(user),
            "back": request.get_full_path(),
        },
    )


def _back_to_list(request: HttpRequest) -> str:
    back = request.POST.get("back", "")
    base = reverse("web:case_list")
    if back.startswith(base) and "//" not in back and "\\" not in back:
        return back
    return base


@login_required
@require_POST
def case_bulk(request: HttpRequest) -> HttpResponse:
    """One review transition for the selected rows; each row is guarded on its own and refusals listed."""
    user = user_of(request)
    require(md.can_act_on_cases(user), request, what="case_bulk")
    name = request.POST.get("action", "")
    if name not in dict(md.bulk_actions_for(user)):
        require(deny("当前角色不能批量执行该操作", "role"), request, what="case_bulk")
    ids = md.ids_from(request.POST.getlist("ids"), limit=MAX_BULK)
    if not ids:
        messages.warning(request, "请先勾选要办理的事项。")
        return redirect(_back_to_list(request))
    in_scope = dict(scoping.cases_for(user).filter(pk__in=ids).values_list("pk", "title"))
    done, refused = 0, []
    for pk in ids:
        if pk not in in_scope:
            refused.append(f"#{pk}：事项不存在或不在您的权限范围内")
            continue
        try:
            case_service.transition(pk, user, name, ip=client_ip(request))
        except case_service.TransitionRefused as exc:
            refused.append(f"#{pk} {in_scope[pk]}：{exc.verdict.reason}")
        else:
            done += 1
    label = TRANSITIONS[name].label
    if done:
        messages.success(request, f"批量“{label}”：{done} 件已办理。")
    if refused:
        messages.error(request, f"批量“{label}”：{len(refused)} 件未办理（逐件核验未通过）：")
        for line in refused[:50]:
            messages.error(request, line)
        if len(refused) > 50:
            messages.error(request, f"……另有 {len(refused) - 50} 件未列出")
    return redirect(_back_to_list(request))


# ---- the case page -------------------------------------------------------------------------------------


def _actions(user: Any, case: Case) -> list[dict[str, Any]]:
    out = []
    for name, label, verdict in case_service.actions_for(user, case):
        if user.scope is Scope.ENTERPRISE and name in ("confirm", "submit"):
            continue  # part of the claim form (意愿确认)
        if name in RUN_ONLY:
            continue  # the payment-runs page
        t = TRANSITIONS[name]
        out.append(
            {
                "name": name,
                "label": label,
                "ok": bool(verdict),
                "reason": verdict.reason,
                "needs_reason": t.needs_reason,
                "needs_amount": name == "approve",
                "needs_stepup": name in STEPUP_TRANSITIONS,
                "style": BUTTON_STYLES.get(name, "btn-primary"),
            }
        )
    return out


def _claim_verdict(user: Any, case: Case) -> Any:
    name = CLAIM_TRANSITIONS.get(case.state)
    for n, _label, verdict in case_service.actions_for(user, case):
        if n == name:
            return verdict
    return None


def _render_case(
    request: HttpRequest, case: Case, *, claim_form: ClaimForm | None = None, status: int = 200
) -> HttpResponse:
    user = user_of(request)
    trace = case.entitlement_trace or {}
    owner = user.scope is Scope.ENTERPRISE and user.enterprise_id == case.enterprise_id
    can_claim = owner and case.state in CLAIM_STATES
    can_upload = owner and case.state in evidence_service.EDITABLE_STATES
    if can_claim and claim_form is None:
        claim_form = ClaimForm(
            initial={
                "bank_account_name": case.bank_account_name or case.enterprise.name,
                "bank_name": case.bank_name,
                "bank_account_number": case.bank_account_number,
            },
        )
    payment = standing_payment(case)
    show_bank = md.sees_bank_account(user, case)
    can_act = bool(md.can_act_on_cases(user))
    approved = case.approved_fen is not None
    estimate_city, estimate_district = budgets.estimated_split(case)
    context = {
        "case": case,
        "amounts": [
            ("测算可兑现金额", md.yuan(case.entitlement_fen), case.entitlement_fen is None),
            ("批准金额", md.yuan(case.approved_fen) if approved else "待批准", not approved),
            (
                "市级承担" + ("" if approved else "（测算）"),
                md.yuan(case.city_fen if approved else estimate_city),
                False,
            ),
            (
                "区县承担" + ("" if approved else "（测算）"),
                md.yuan(case.district_fen if approved else estimate_district),
                False,
            ),
            ("已拨付", md.yuan(payment.amount_fen) if payment is not None else "未拨付", payment is None),
        ],
        "state_label": md.state_label(case.state),
        "state_badge": md.state_badge(case.state),
        "district_name": District.objects.filter(code=case.district_code)
        .values_list("name", flat=True)
        .first()
        or case.district_code,
        "explanation": trace.get("explanation", ""),
        "basis": md.basis_rows(trace),
        "missing": [md.missing_label(m) for m in case.missing or []],
        "bank_number": case.bank_account_number if show_bank else md.mask_account(case.bank_account_number),
        "bank_full": show_bank,
        "evidence": md.evidence_checklist(case),
        "evidence_files": list(case.evidence.select_related("uploaded_by").order_by("uploaded_at", "id")),
        "can_upload": can_upload,
        "upload_form": EvidenceUploadForm(labels=evidence_service.labels_for(case)) if can_upload else None,
        "upload_max": evidence_service.max_bytes(),
        "other_label": evidence_service.OTHER_LABEL,
        "objections": list(case.objections.select_related("recorded_by", "resolved_by")),
        "can_record_objection": can_act
        and case.state == "publicity"
        and user.can(Permission.OBJECTION_RECORD),
        "can_resolve": can_act and user.can(Permission.OBJECTION_RESOLVE),
        "objection_form": ObjectionForm(),
        "resolve_form": ResolveForm(),
        "timeline": [
            {
                "t": t,
                "label": md.transition_label(t.name),
                "from_label": md.state_label(t.from_state),
                "to_label": md.state_label(t.to_state),
            }
            for t in case.transitions.order_by("at", "id")
        ],
        "actions": _actions(user, case) if can_act else [],
        "can_claim": can_claim,
        "claim_form": claim_form,
        "claim_action": CLAIM_TRANSITIONS.get(case.state, ""),
        "claim_label": "确认意愿并提交" if case.state == "offered" else "提交申请",
        "claim_verdict": _claim_verdict(user, case) if can_claim else None,
        "payment": payment,
        "has_approval": case.approver_id is not None and (case.state in COMMITTED or case.state == "paid"),
        "stepup_needed": not stepup_fresh(request),
        "stepup_field": STEPUP_FIELD,
        "amount_initial": md.yuan_input(case.entitlement_fen),
        "read_only": not can_act,
        "pays_in_runs": bool(md.can_run_payments(user))
        and case.state in ("approved", "payment_failed", "payment_scheduled"),
    }
    context["publicity_calendar_note"] = _calendar_note(case)
    context.update(_matter_context(case))
    context.update(_account_context(user, case))
    return no_store(render(request, "web/money/case_detail.html", context, status=status))


def _calendar_note(case: Case) -> str:
    """A warning when the 公示 runs through a year whose holiday notice is not in srdi's calendar yet."""
    if case.publicity_starts_on is None or case.publicity_ends_on is None:
        return ""
    years = range(case.publicity_starts_on.year, case.publicity_ends_on.year + 1)
    missing = [str(y) for y in years if not calendar_known(y)]
    if not missing:
        return ""
    return f"{'、'.join(missing)}年节假日安排尚未录入，公示期暂按周末计算，请核对"


def _matter_context(case: Case) -> dict[str, Any]:
    """The matter's other cases and payments, for every review step, 公示 and approval."""
    matter = matters.history(case)
    trace = case.entitlement_trace or {}
    return {
        "matter": matter,
        "matter_label": md.matter_label(trace, case.matter),
        "matter_lines": [
            {
                "case_id": line.case_id,
                "programme": line.programme,
                "state_label": line.state_label,
                "is_open": line.is_open,
                "entitlement": md.yuan(line.entitlement_fen),
                "approved": md.yuan(line.approved_fen),
                "paid": md.yuan(line.paid_fen) if line.paid_fen else "—",
                "returned": md.yuan(line.returned_fen) if line.returned_fen else "",
            }
            for line in matter.lines
        ],
    }


def _account_context(user: Any, case: Case) -> dict[str, Any]:
    """Account corrections of an approved award (after a failed or returned payment)."""
    changes = list(
        case.account_changes.select_related("requested_by", "decided_by").order_by("-requested_at")
    )
    pending = any(c.status == BankAccountChange.Status.PENDING for c in changes)
    owner = user.scope is Scope.ENTERPRISE and user.enterprise_id == case.enterprise_id
    district = user.scope is Scope.DISTRICT and user.district_id == case.district_code
    changeable = case.state in bank_accounts.CHANGEABLE
    show_full = md.sees_bank_account(user, case)
    return {
        "show_account_section": bool(changes) or (changeable and case.awaiting_account),
        "can_request_account": changeable
        and not pending
        and (owner or district)
        and user.can(Permission.BANK_ACCOUNT_PROPOSE),
        "account_changes": [
            {
                "change": c,
                "number": c.account_number if show_full else md.mask_account(c.account_number),
                "can_decide": c.status == BankAccountChange.Status.PENDING
                and user.can(Permission.BANK_ACCOUNT_CONFIRM)
                and (user.scope is not Scope.DISTRICT or district)
                and c.requested_by_id != user.pk,
            }
            for c in changes
        ],
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    require(md.can_view_cases(user), request, what="case_detail")
    return _render_case(request, case_or_404(request, pk))


@sensitive_post_parameters(STEPUP_FIELD)
@login_required
@require_POST
def case_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one transition on the case (the service's guards decide; a refusal shows its reason)."""
    user = user_of(request)
    require(md.can_act_on_cases(user), request, what="case_action")
    case = case_or_404(request, pk)
    form = ActionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["name"] not in TRANSITIONS:
        messages.error(request, f"未办理：{form_errors(form) or '未知操作'}")
        return redirect("web:case_detail", pk=case.pk)
    name = form.cleaned_data["name"]
    if name in RUN_ONLY:
        messages.error(request, "拨付请在“拨付”页面通过拨付批次办理。")
        return redirect("web:case_detail", pk=case.pk)
    if name in STEPUP_TRANSITIONS:
        verdict = step_up(request, f"case:{case.pk}:{name}")
        if not verdict:
            messages.error(request, verdict.reason)
            return redirect("web:case_detail", pk=case.pk)
    try:
        outcome = case_service.transition(
            case.pk,
            user,
            name,
            reason=form.cleaned_data["reason"].strip(),
            requested_fen=form.cleaned_data["amount_yuan"] if name == "approve" else None,
            ip=client_ip(request),
        )
    except case_service.TransitionRefused as exc:
        messages.error(request, f"未能“{TRANSITIONS[name].label}”：{exc.verdict.reason}")
    else:
        messages.success(
            request, f"已{TRANSITIONS[name].label}，当前状态：{md.state_label(outcome.case.state)}。"
        )
    return redirect("web:case_detail", pk=case.pk)


@login_required
@require_POST
def case_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """The enterprise saves its bank account (意愿确认), and optionally confirms / submits."""
    user = user_of(request)
    require(md.can_act_on_cases(user), request, what="case_claim")
    case = case_or_404(request, pk)
    if user.scope is not Scope.ENTERPRISE:
        require(deny("只有本企业用户可以填写收款信息", "role"), request, what="case_claim")
    form = ClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请检查填写的内容。")
        return _render_case(request, case, claim_form=form, status=400)
    data = form.cleaned_data
    then = request.POST.get("then", "")
    try:
        case_service.update_claim(
            case.pk,
            user,
            bank_account_name=data["bank_account_name"],
            bank_name=data["bank_name"],
            bank_account_number=data["bank_account_number"],
            ip=client_ip(request),
        )
        if then and then == CLAIM_TRANSITIONS.get(case.state):
            case_service.transition(case.pk, user, then, ip=client_ip(request))
            messages.success(request, f"已{TRANSITIONS[then].label}，等待区县审核。")
        else:
            messages.success(request, "收款信息已保存。")
    except case_service.TransitionRefused as exc:
        messages.error(request, exc.verdict.reason)
    return redirect("web:case_detail", pk=case.pk)


@login_required
@require_POST
def case_account(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose a corrected bank account (the enterprise, or district staff for it)."""
    user = user_of(request)
    require(md.can_act_on_cases(user), request, what="case_account")
    case = case_or_404(request, pk)
    try:
        bank_accounts.request_change(
            case.pk,
            user,
            account_name=request.POST.get("account_name", ""),
            bank_name=request.POST.get("bank_name", ""),
            account_number=request.POST.get("account_number", ""),
            note=request.POST.get("note", ""),
            ip=client_ip(request),
        )
    except bank_accounts.AccountChangeError as exc:
        messages.error(request, f"未提交：{exc}")
    else:
        messages.success(request, "账户更正已提交，等待另一人核对确认。")
    return redirect(reverse("web:case_detail", args=[case.pk]) + "#section-account")


@login_required
@require_POST
def account_change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm or refuse a proposed account (a second person; district, city or finance)."""
    user = user_of(request)
    require(md.can_act_on_cases(user), request, what="account_change_decide")
    change = BankAccountChange.objects.filter(pk=pk).first()
    if change is None or not scoping.cases_for(user).filter(pk=change.case_id).exists():
        raise Http404("账户更正不存在或不在您的权限范围内")
    decision = request.POST.get("decision", "")
    if decision not in ("confirm", "refuse"):
        return HttpResponseBadRequest("请选择确认或退回")
    try:
        bank_accounts.decide_change(
            change.pk,
            user,
            confirm=decision == "confirm",
            reason=request.POST.get("reason", ""),
            ip=client_ip(request),
        )
    except bank_accounts.AccountChangeError as exc:
        messages.error(request, f"未办理：{exc}")
    else:
        messages.success(
            request,
            "已确认收款账户，事项将列入下一拨付批次。" if decision == "confirm" else "已退回账户更正。",
        )
    return redirect(reverse("web:case_detail", args=[change.case_id]) + "#section-account")


@login_required
@require_POST
def case_evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The enterprise attaches one evidence file (multipart); the service checks type, size, label and state."""
    user = user_of(request)
    require(md.can_act_on_cases(user), request, what="case_evidence_upload")
    case = case_or_404(request, pk)
    back = reverse("web:case_detail", args=[case.pk]) + "#section-evidence"
    form = EvidenceUploadForm(request.POST, request.FILES, labels=evidence_service.labels_for(case))
    if not form.is_valid():
        messages.error(request, f"未上传：{form_errors(form)}")
        return redirect(back)
    upload = form.cleaned_data["file"]
    try:
        evidence = evidence_service.attach_evidence(
            case.pk,
            user,
            label=form.cleaned_data["label"],
            filename=upload.name or "",
            data=upload.read(),
            ip=client_ip(request),
        )
    except scoping.OutOfScope:
        raise Http404("事项不存在或不在您的权限范围内") from None
    except evidence_service.EvidenceError as exc:
        messages.error(request, f"未上传：{exc}")
    else:
        messages.success(request, f"已上传“{evidence.label}”：{evidence.filename}。")
    return redirect(back)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """One evidence file as an attachment, for anyone who may see its case; verified against its SHA-256."""
    user = user_of(request)
    require(md.can_view_cases(user), request, what="evidence_download")
    try:
        evidence, data = evidence_service.open_evidence(pk, user, ip=client_ip(request))
    except scoping.OutOfScope:
        raise Http404("材料不存在或不在您的权限范围内") from None
    except evidence_service.EvidenceError as exc:
        case_id = Evidence.objects.filter(pk=pk).values_list("case_id", flat=True).first()
        messages.error(request, f"未能下载：{exc}")
        return redirect(reverse("web:case_detail", args=[case_id]) + "#section-evidence")
    return download(data, evidence.filename, evidence_service.content_type_of(data))


@login_required
@require_POST
def case_objection(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an objection received during publicity (公示异议)."""
    user = user_of(request)
    require(md.can_act_on_cases(user), request, what="case_objection")
    case = case_or_404(request, pk)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写异议内容。")
        return redirect("web:case_detail", pk=case.pk)
    try:
        case_service.raise_objection(
            case.pk,
            user,
            name=form.cleaned_data["name"],
            text=form.cleaned_data["text"],
            ip=client_ip(request),
        )
    except case_service.TransitionRefused as exc:
        messages.error(request, exc.verdict.reason)
    else:
        messages.success(request, "已登记公示异议；异议处理完毕前不能批准。")
    return redirect("web:case_detail", pk=case.pk)


@login_required
@require_POST
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Resolve an objection (city staff); an upheld objection rejects the case."""
    user = user_of(request)
    require(md.can_act_on_cases(user), request, what="objection_resolve")
    objection = Objection.objects.filter(pk=pk).only("id", "case_id").first()
    if objection is None:
        raise Http404("异议不存在")
    case = case_or_404(request, objection.case_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择处理结论并填写处理意见。")
        return redirect("web:case_detail", pk=case.pk)
    try:
        case_service.resolve_objection(
            objection.pk,
            user,
            upheld=form.cleaned_data["upheld"],
            resolution=form.cleaned_data["resolution"],
            ip=client_ip(request),
        )
    except case_service.TransitionRefused as exc:
        messages.error(request, exc.verdict.reason)
    else:
        messages.success(request, "异议已处理。")
    return redirect("web:case_detail", pk=case.pk)


# ---- the approval document -----------------------------------------------------------------------------


def approval_number(case: Case) -> str:
    return f"{case.programme.code}-{case.pk:06d}"


@login_required
@require_GET
def approval_document(request: HttpRequest, pk: int) -> HttpResponse:
    """A print-friendly approval of an approved case: number, amounts and split, approver, date, legal basis."""
    user = user_of(request)
    require(md.can_view_cases(user), request, what="approval_document")
    case = case_or_404(request, pk)
    if case.approver_id is None or not (case.state in COMMITTED or case.state == "paid"):
        raise Http404("该事项尚未批准")
    approved = case.transitions.filter(name="approve").order_by("-at", "-id").first()
    if approved is None:
        return HttpResponseBadRequest("缺少批准记录")
    trace = case.entitlement_trace or {}
    pack = pack_in_force(case.programme.pack)
    context = {
        "case": case,
        "pack": pack,
        "number": approval_number(case),
        "approved": approved,
        "approver": case.approver,
        "district_reviewer": case.district_reviewer,
        "city_reviewer": case.city_reviewer,
        "district_name": District.objects.filter(code=case.district_code)
        .values_list("name", flat=True)
        .first()
        or case.district_code,
        "legal_basis": md.legal_basis(trace),
        "explanation": trace.get("explanation", ""),
        "state_label": md.state_label(case.state),
        "approved_yuan": md.yuan(case.approved_fen),
        "approved_wan": md.wan(case.approved_fen),
        "city_yuan": md.yuan(case.city_fen),
        "district_yuan": md.yuan(case.district_fen),
        "entitlement_yuan": md.yuan(case.entitlement_fen),
        "paid_before": md.yuan(case.paid_for_matter_fen) if case.paid_for_matter_fen else "",
        "matter_total": md.yuan(case.matter_entitlement_fen),
    }
    return no_store(render(request, "web/money/approval_document.html", context))
