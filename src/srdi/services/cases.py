"""Moving award cases through the workflow: the one place a case changes state.

Use ``transition(case_id, user, name, reason=…)``. It locks the case, asks the domain guards (a refusal is
audited and raised as ``TransitionRefused`` with the reason), applies the transition's effects — the city
review starts the 公示 for the programme's working days (never fewer than the procedure's minimum; holidays
from the State Council's calendar); approval recomputes the entitlement against the payment history
(从优、就高、不重复: only a top-up is approved, the recomputed amount is already net of earlier payments, and the
matter's whole entitlement is recorded for ledger invariant I7), checks the programme's quota under a lock on
the programme row, splits the amount city/district and commits both budgets; cancellation releases them. The
city review recomputes the entitlement too, so the 公示 publishes the amount under the parameters in force, and an
approval whose amount an approved parameter change altered since is refused (``parameters_changed``: the case goes
back through ``republish`` and is published again);
scheduling links the case to its payment run — records the transition with before/after, writes the audit
event and notifies, all in one transaction. A case's matter stays with one open case at a time: the database
refuses a state change that would reopen a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from srdi.db.models import (
    AuditAction,
    BudgetAccount,
    Case,
    CaseTransition,
    LedgerEntry,
    Objection,
    Payment,
    PaymentReturn,
    PaymentRun,
    Programme,
    User,
)
from srdi.domain.calendar import add_working_days
from srdi.domain.digits import is_digits
from srdi.domain.masking import mask_account
from srdi.domain.money import format_wan, split_city_district
from srdi.domain.permissions import Permission
from srdi.domain.policy.layering import versions_used
from srdi.domain.verdict import Verdict
from srdi.domain.workflow.definition import AWARDED, STATES, TRANSITIONS
from srdi.domain.workflow.guards import Actor, CaseView, available, check
from srdi.services import audit, budgets, ledger, matters
from srdi.services.case_entitlement import event_day
from srdi.services.notify import Message, notify

COMPLIANCE = {
    "c_dishonest": "列入严重失信名单",
    "c_major_accident_3y": "近三年发生重大安全、质量或环境事故",
    "c_abnormal_operation": "列入经营异常名录",
}


class TransitionRefused(Exception):
    """The guard said no; ``verdict`` carries the reason shown to the user."""

    def __init__(self, verdict: Verdict):
        self.verdict = verdict
        super().__init__(verdict.reason)


def today() -> date:
    """The business date in Hangzhou (Asia/Shanghai)."""
    return timezone.localdate()


def actor_of(user: User) -> Actor:
    role = user.role if user.is_active else ""  # a disabled account holds no permission
    return Actor(user_id=user.pk, role=role, district=user.district_id, enterprise_id=user.enterprise_id)


# Steps that make their actor a reviewer of the case; the district-stage ones bar the actor from the city review.
REVIEW_STEPS = ("accept", "district_pass", "city_pass", "return")


def view_of(case: Case, on: date | None = None, requested_fen: int | None = None) -> CaseView:
    """What the guards need, read from the case, its history, its programme and its enterprise."""
    programme = case.programme
    required = list(programme.required_evidence or [])
    # Only files count: a required document is provided when a file was filed under its label.
    provided = set(case.evidence.values_list("label", flat=True))
    ent = case.enterprise
    problems = tuple(label for field, label in COMPLIANCE.items() if getattr(ent, field) is True)
    reviewers: set[int] = set()
    district_reviewers: set[int] = set()
    for name, from_state, actor_id in case.transitions.filter(name__in=REVIEW_STEPS).values_list(
        "name", "from_state", "actor_id"
    ):
        if actor_id is None:
            continue
        reviewers.add(actor_id)
        if name in ("accept", "district_pass") or (name == "return" and from_state == "district_review"):
            district_reviewers.add(actor_id)
    awarded = (
        Case.objects.filter(programme_id=case.programme_id, state__in=AWARDED).count()
        if programme.quota is not None
        else 0
    )
    day = on or today()
    return CaseView(
        state=case.state,
        enterprise_id=case.enterprise_id,
        district=case.district_code or None,
        today=on or today(),
        submitted_by=case.submitted_by_id,
        district_reviewer=case.district_reviewer_id,
        city_reviewer=case.city_reviewer_id,
        bank_account_set=bool(case.bank_account_name and case.bank_account_number),
        evidence_missing=tuple(r for r in required if r not in provided),
        offer_missing=tuple(case.missing or ()),
        publicity_ends_on=case.publicity_ends_on,
        open_objections=case.objections.filter(status=Objection.Status.OPEN).count(),
        compliance_problems=problems,
        entitlement_fen=case.entitlement_fen,
        paid_for_matter_fen=case.paid_for_matter_fen,
        requested_fen=requested_fen,
        reviewers=frozenset(reviewers),
        district_reviewers=frozenset(district_reviewers),
        quota=programme.quota,
        awarded=awarded,
        programme_live=programme.status == Programme.Status.OPEN,
        window_open=programme.status == Programme.Status.OPEN
        and programme.opens_on <= day <= programme.closes_on,
        window_text=f"{programme.opens_on} 至 {programme.closes_on}",
    )


def actions_for(user: User, case: Case) -> list[tuple[str, str, Verdict]]:
    """(name, label, verdict) for each transition the user's role could take now — for the case page."""
    return [(t.name, t.label, v) for t, v in available(actor_of(user), view_of(case))]


def snapshot(case: Case) -> dict[str, Any]:
    return {
        "state": case.state,
        "entitlement_fen": case.entitlement_fen,
        "approved_fen": case.approved_fen,
        "city_fen": case.city_fen,
        "district_fen": case.district_fen,
        "publicity_ends_on": case.publicity_ends_on.isoformat() if case.publicity_ends_on else None,
        "payment_run": case.payment_run_id,
        "matter_entitlement_fen": case.matter_entitlement_fen,
    }


@dataclass
class Outcome:
    case: Case
    entry: LedgerEntry | None = None


def budgets_for(case: Case) -> tuple[BudgetAccount, BudgetAccount | None]:
    """The city budget and the district budget (if any) of the case's programme for its year."""
    year = case.programme.year
    city = BudgetAccount.objects.filter(programme=case.programme, year=year, side="city").first()
    district = BudgetAccount.objects.filter(
        programme=case.programme, year=year, side="district", district_code=case.district_code
    ).first()
    if city is None:
        raise TransitionRefused(Verdict(False, "该批次尚未下达市级预算", "no_budget"))
    return city, district


def _paid_marker(case: Case) -> tuple[int, int]:
    """(payments and returns, net amount) already recorded for the case's matter under other cases."""
    others = {"case__enterprise_id": case.enterprise_id, "case__matter": case.matter}
    count = Payment.objects.filter(**others).exclude(case_id=case.pk).count()
    returned = PaymentReturn.objects.filter(
        payment__case__enterprise_id=case.enterprise_id, payment__case__matter=case.matter
    ).count()
    return count + returned, matters.net_paid(case.enterprise_id, case.matter, exclude_case=case.pk)


def _refresh_entitlement(case: Case, precomputed: Any = None) -> None:
    """Recompute the entitlement now, counting what was already paid for the same matter (top-up only).

    ``entitlement_fen`` becomes the engine's amount, which is already net of those payments; ``paid_for_matter_fen``
    records them for the explanation (the guard does not subtract them again)."""
    from srdi.services.case_entitlement import current_entitlement

    result = precomputed if precomputed is not None else current_entitlement(case)
    case.entitlement_status = result.status
    case.entitlement_fen = result.amount_fen
    case.entitlement_trace = result.record
    case.paid_for_matter_fen = result.paid_before_fen
    case.missing = result.missing


def publicity_end(case: Case, on: date) -> date:
    """The last day of the 公示 that starts on ``on``: the programme's working days, never below the minimum."""
    from srdi.services.programmes import minimum_publicity

    days = max(case.programme.publicity_days, minimum_publicity(case.programme.pack, on))
    return add_working_days(on, days).ends_on


def _apply(
    case: Case,
    name: str,
    user: User,
    reason: str,
    on: date,
    requested_fen: int | None,
    run: PaymentRun | None = None,
) -> LedgerEntry | None:
    """The side effects of a transition (state is set by the caller)."""
    entry = None
    if name in ("confirm", "submit"):
        case.submitted_by = user
    elif name == "district_pass":
        case.district_reviewer = user
    elif name == "city_pass":
        case.city_reviewer = user
        case.publicity_starts_on = on
        case.publicity_ends_on = publicity_end(case, on)
    elif name == "approve":
        amount = requested_fen if requested_fen is not None else (case.entitlement_fen or 0)
        if amount <= 0:  # the guard refuses this first; never let a non-positive amount reach the ledger
            raise TransitionRefused(Verdict(False, "批准金额须大于 0 分", "amount_not_positive"))
        city_share = budgets.city_share(case.programme, case.district_code, event_day(case))
        city_fen, district_fen = split_city_district(amount, city_share)
        city_budget, district_budget = budgets_for(case)
        shares = [ledger.Share(city_budget, city_fen)]
        if district_fen:
            if district_budget is None:
                raise TransitionRefused(
                    Verdict(False, f"区县（{case.district_code}）预算尚未下达", "no_budget")
                )
            shares.append(ledger.Share(district_budget, district_fen))
        try:
            entry = ledger.commit(shares, actor=user, case=case, memo=f"批准 {case.title}")
        except ledger.BudgetExceeded as exc:
            raise TransitionRefused(
                Verdict(False, f"预算余额不足（{exc.budget}），未予批准", "budget")
            ) from None
        case.approver = user
        case.approved_fen, case.city_fen, case.district_fen = amount, city_fen, district_fen
        case.matter_entitlement_fen = case.paid_for_matter_fen + (case.entitlement_fen or 0)
    elif name == "cancel":
        commit = case.ledger.filter(kind="commit").order_by("id").first()
        city_budget, district_budget = budgets_for(case)
        shares = [ledger.Share(city_budget, case.city_fen or 0)]
        if case.district_fen and district_budget is not None:
            shares.append(ledger.Share(district_budget, case.district_fen))
        entry = ledger.release(shares, actor=user, case=case, reverses=commit, memo=f"撤销批准：{reason}")
        case.approved_fen = None
        case.city_fen = case.district_fen = None
    elif name == "schedule_payment":
        case.payment_run = run  # scheduled and linked in the same statement: never scheduled outside a run
    if reason:
        case.last_reason = reason
    return entry


def transition(
    case_id: int,
    user: User,
    name: str,
    *,
    reason: str = "",
    requested_fen: int | None = None,
    on: date | None = None,
    ip: str = "",
    by_service: bool = False,
    run: PaymentRun | None = None,
) -> Outcome:
    """Take transition ``name`` on a case as ``user``; raises ``TransitionRefused`` with the reason.

    ``by_service`` is set only by the services that own the service-only moves (payment runs and bank returns
    in ``srdi.services.payments``, lapses in ``srdi.services.programmes``): those moves are refused without it,
    and ``schedule_payment`` also needs the ``run`` the case joins (the case is linked to it in the same write).
    """
    on = on or today()
    precomputed = marker = None
    if name in RECOMPUTED_AT:
        # The entitlement is recomputed outside the write transaction (it only reads); inside, we make sure no
        # payment for the same matter arrived in between, so the write lock is held only briefly.
        from srdi.services.case_entitlement import current_entitlement

        found = Case.objects.select_related("programme", "enterprise").filter(pk=case_id).first()
        if found is not None:
            precomputed, marker = current_entitlement(found), _paid_marker(found)
    try:
        with transaction.atomic():
            return take(
                case_id,
                user,
                name,
                record=lambda entry: audit.record_many([entry]),
                reason=reason,
                requested_fen=requested_fen,
                on=on,
                ip=ip,
                by_service=by_service,
                run=run,
                precomputed=precomputed,
                marker=marker,
            )
    except TransitionRefused as refused:
        audit.record_many([refusal_entry(case_id, user, name, refused, ip)])
        raise


def take(
    case_id: int,
    user: User,
    name: str,
    *,
    record: Callable[[audit.Entry], object],
    reason: str = "",
    requested_fen: int | None = None,
    on: date,
    ip: str = "",
    by_service: bool = False,
    run: PaymentRun | None = None,
    precomputed: Any = None,
    marker: tuple[int, int] | None = None,
) -> Outcome:
    """The body of ``transition`` inside the caller's transaction: lock, guard, apply, record. The audit event is
    handed to ``record`` (written at once by ``transition``, in chunks by ``services.case_batch``); a
    ``precomputed`` entitlement is used only if ``marker`` still matches the matter's payments under the lock."""
    case = Case.objects.select_for_update().select_related("programme", "enterprise").get(pk=case_id)
    if name in RECOMPUTED_AT:
        published = (case.entitlement_fen, versions_used(case.entitlement_trace))
        fresh = precomputed if marker is not None and marker == _paid_marker(case) else None
        _refresh_entitlement(case, fresh)
        if name == "approve":
            _refuse_if_parameters_changed(case, published)
        # The quota is counted under a lock on the programme row (lock order: case → programme →
        # budgets → ledger chain → audit chain), so concurrent approvals cannot both take the last place.
        case.programme = Programme.objects.select_for_update().get(pk=case.programme_id)
    verdict = check(name, actor_of(user), view_of(case, on, requested_fen), reason)
    if verdict and name in TRANSITIONS and TRANSITIONS[name].service_only and not by_service:
        verdict = Verdict(False, "拨付状态只能通过拨付批次变更（资金管理 → 拨付批次）", "service_only")
    if verdict and name == "schedule_payment" and run is None:
        verdict = Verdict(False, "列入拨付须指定拨付批次", "service_only")
    if not verdict:
        raise TransitionRefused(verdict)
    before = snapshot(case)
    t = TRANSITIONS[name]
    entry = _apply(case, name, user, reason, on, requested_fen, run)
    case.state = t.target
    _save_keeping_one_open_case(case)
    after = snapshot(case)
    CaseTransition.objects.create(
        case=case,
        name=name,
        from_state=before["state"],
        to_state=t.target,
        actor=user,
        actor_label=user.username,
        at=timezone.now(),
        reason=reason,
        before=before,
        after=after,
    )
    record(
        audit.Entry(
            AuditAction.TRANSITION,
            user,
            object_type="case",
            object_id=str(case.pk),
            object_repr=f"{case.title}：{t.label}",
            old=before,
            new=after,
            extra=_extra(name, reason, run),
            ip_address=ip,
        )
    )
    _notify(case, name)
    return Outcome(case, entry)


def refusal_entry(
    case_id: int, user: User, name: str, refused: TransitionRefused, ip: str = ""
) -> audit.Entry:
    """The audit event of a refused transition (recorded after the attempt was rolled back)."""
    return audit.Entry(
        AuditAction.TRANSITION,
        user,
        object_type="case",
        object_id=str(case_id),
        success=False,
        object_repr=f"拒绝：{TRANSITIONS[name].label if name in TRANSITIONS else name}",
        extra={"transition": name, "reason": refused.verdict.reason, "code": refused.verdict.code},
        ip_address=ip,
    )


# Transitions that recompute the entitlement first: 公示 publishes the amount in force, approval commits it.
RECOMPUTED_AT = frozenset({"city_pass", "approve"})


def _refuse_if_parameters_changed(case: Case, published: tuple[int | None, list[str]]) -> None:
    """Refuse an approval whose amount a parameter change altered after 公示: what is approved must be what was
    published, so the case goes back to city review (``republish``) and is published again."""
    amount, versions = published
    now = versions_used(case.entitlement_trace)
    if case.entitlement_fen == amount or now == versions:
        return  # unchanged, or changed for another reason (a payment for the same matter: a top-up)
    added = "、".join(v for v in now if v not in versions) or "基线"
    raise TransitionRefused(
        Verdict(
            False,
            f"公示后政策参数已调整（{added}），测算金额由 {_wan(amount)} 变为 {_wan(case.entitlement_fen)}：请选择"
            "“参数调整后重新审核”，重新审核并公示后再批准",
            "parameters_changed",
        )
    )


def _wan(fen: int | None) -> str:
    return "待定" if fen is None else format_wan(fen)


def _save_keeping_one_open_case(case: Case) -> None:
    """Save the case; a move that would give its matter a second open case is refused, naming the holder."""
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        holder = matters.open_holder(case.enterprise_id, case.matter, exclude=case.pk)
        if holder is None:
            raise
        raise TransitionRefused(
            Verdict(False, f"同一事项已由{matters.describe(holder)}办理，不能同时办理两件", "matter_held")
        ) from None


def _extra(name: str, reason: str, run: PaymentRun | None) -> dict[str, Any]:
    extra: dict[str, Any] = {"transition": name}
    if reason:
        extra["reason"] = reason
    if run is not None:
        extra["payment_run"] = run.pk
    return extra


def _notify(case: Case, name: str) -> None:
    url = f"/cases/{case.pk}/"
    label = STATES[case.state]
    to_enterprise = {
        "return",
        "reject",
        "city_pass",
        "approve",
        "mark_paid",
        "mark_failed",
        "cancel",
        "bank_return",
        "lapse",
    }
    if name in to_enterprise:
        notify(Message(f"{case.title}：{label}", case.last_reason, url, enterprise_id=case.enterprise_id))
    if name in ("confirm", "submit"):
        notify(
            Message(
                f"待受理：{case.title}", "", url, district_code=case.district_code, audience="district_staff"
            )
        )
    if name == "district_pass":
        notify(Message(f"待市级审核：{case.title}", "", url, audience="city_staff"))
    if name == "approve":
        notify(Message(f"待拨付：{case.title}", "", url, audience="finance"))


@transaction.atomic
def update_claim(
    case_id: int,
    user: User,
    *,
    bank_account_name: str | None = None,
    bank_name: str | None = None,
    bank_account_number: str | None = None,
    ip: str = "",
) -> Case:
    """The enterprise fills in its bank account (意愿确认); evidence is uploaded with ``services.evidence``."""
    case = Case.objects.select_for_update().get(pk=case_id)
    if not user.can(Permission.CASE_APPLY) or user.enterprise_id != case.enterprise_id:
        raise TransitionRefused(Verdict(False, "只有本企业用户可以填写收款信息", "out_of_scope"))
    if case.state not in ("offered", "draft", "returned"):
        raise TransitionRefused(Verdict(False, "当前状态不能修改收款信息", "wrong_state"))
    before = {"bank_account_number": mask_account(case.bank_account_number)}
    if bank_account_name is not None:
        case.bank_account_name = bank_account_name.strip()
    if bank_name is not None:
        case.bank_name = bank_name.strip()
    if bank_account_number is not None:
        number = bank_account_number.replace(" ", "")
        if number and not (is_digits(number) and 8 <= len(number) <= 32):
            raise TransitionRefused(Verdict(False, "银行账号应为8–32位数字", "bank_account"))
        case.bank_account_number = number
    case.save()
    audit.record(
        AuditAction.UPDATE,
        user,
        object_type="case",
        object_id=str(case.pk),
        object_repr=case.title,
        old=before,
        new={"bank_account_number": mask_account(case.bank_account_number)},
        ip_address=ip,
    )
    return case


@transaction.atomic
def raise_objection(case_id: int, user: User, *, name: str, text: str, ip: str = "") -> Objection:
    """Record an objection received during publicity."""
    if not user.can(Permission.OBJECTION_RECORD):
        raise TransitionRefused(Verdict(False, "当前角色不能登记异议", "role"))
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.state != "publicity":
        raise TransitionRefused(Verdict(False, "只有公示期内的事项可以登记异议", "wrong_state"))
    if not text.strip():
        raise TransitionRefused(Verdict(False, "请填写异议内容", "reason_required"))
    objection = Objection.objects.create(
        case=case,
        raised_by_name=name.strip() or "匿名",
        raised_at=timezone.now(),
        text=text.strip(),
        recorded_by=user,
    )
    audit.record(
        AuditAction.CREATE,
        user,
        object_type="objection",
        object_id=str(objection.pk),
        object_repr=f"{case.title} 公示异议",
        new={"text": text.strip()},
        ip_address=ip,
    )
    return objection


def resolve_objection(
    objection_id: int, user: User, *, upheld: bool, resolution: str, ip: str = ""
) -> Objection:
    """Resolve an objection; an upheld objection rejects the case."""
    if not user.can(Permission.OBJECTION_RESOLVE):
        raise TransitionRefused(Verdict(False, "公示异议由市级人员处理", "role"))
    with transaction.atomic():
        objection = Objection.objects.select_for_update().select_related("case").get(pk=objection_id)
        if objection.status != Objection.Status.OPEN:
            raise TransitionRefused(Verdict(False, "该异议已处理", "wrong_state"))
        if not resolution.strip():
            raise TransitionRefused(Verdict(False, "请填写处理意见", "reason_required"))
        objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
        objection.resolved_by, objection.resolved_at, objection.resolution = (
            user,
            timezone.now(),
            resolution.strip(),
        )
        objection.save()
        audit.record(
            AuditAction.UPDATE,
            user,
            object_type="objection",
            object_id=str(objection.pk),
            object_repr="公示异议处理",
            new={"status": objection.status, "resolution": resolution},
            ip_address=ip,
        )
    if upheld:
        transition(objection.case_id, user, "reject", reason=f"公示异议成立：{resolution}", ip=ip)
    return objection
