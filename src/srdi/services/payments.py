"""Paying approved awards: payment runs, the treasury file, idempotent disbursement and bank returns.

Use ``create_payment_run`` (approved cases → 待拨付, one batch, in one transaction: each case is scheduled and
linked to the run in the same write, and a case another run took meanwhile is simply left to that run; a case
whose payment failed or came back waits until a second person has confirmed its bank account),
``payment_file`` (CSV/XLSX for the treasury), ``execute_payment_run`` (disburse each line; safe to re-run after
a crash: paid lines are skipped and an interrupted line's transaction rolled back), ``disburse`` (the same
idempotency key never pays twice; the same key with a different amount is refused as a conflict; at most one
standing payment per award, and never more for the matter than its highest approved entitlement) and
``record_bank_return`` (the bank sent a payment back: the posting is reversed first, then the case waits for a
corrected account and a new run, under a new key). These and ``payment_file`` refuse anyone but the finance
permission (``Permission.PAYMENT_RUN``) before writing anything; the refusal is audited and raised as ``PaymentConflict``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from srdi.db.models import (
    AuditAction,
    Case,
    CaseTransition,
    Payment,
    PaymentReturn,
    PaymentRun,
    Programme,
    User,
)
from srdi.domain.digits import is_digits
from srdi.domain.money import format_yuan
from srdi.domain.permissions import Permission
from srdi.interchange.writers import write_csv, write_xlsx, yuan
from srdi.services import audit, ledger, matters
from srdi.services.cases import TransitionRefused, budgets_for, snapshot, transition
from srdi.services.checkpoints import checkpoint_after_commit
from srdi.services.notify import Message, notify

# Cases a new payment run takes: approved, or failed at the bank and to be retried.
READY = ("approved", "payment_failed")


class PaymentConflict(Exception):
    """A payment that must not happen: the idempotency key was used before for a different payment, the award
    was already paid, or the actor may not pay (``code`` says which, for the audit log)."""

    def __init__(self, message: str, code: str = "conflict"):
        self.code = code
        super().__init__(message)


def _require_finance(
    actor: User | None, *, action: str, what: str, object_type: str, object_id: str = "", ip: str = ""
) -> None:
    """Refuse, audit and raise unless ``actor`` holds ``Permission.PAYMENT_RUN``; called before any write."""
    if actor is not None and actor.can(Permission.PAYMENT_RUN):
        return
    reason = "只有资金管理人员或市级管理员可以办理拨付"
    audit.record(
        action,
        actor,
        object_type=object_type,
        object_id=object_id,
        success=False,
        object_repr=f"拒绝：{what}",
        extra={"reason": reason, "code": "role", "role": actor.role if actor is not None else None},
        ip_address=ip,
    )
    raise PaymentConflict(f"{reason}，不能{what}", code="role")


@dataclass
class Disbursed:
    """A payment, whether this call made it or replayed an earlier one, and whether the bank sent it back."""

    payment: Payment
    replayed: bool
    returned: bool = False


def _request_hash(case_id: int, amount_fen: int) -> str:
    return hashlib.sha256(f"{case_id}|{amount_fen}".encode()).hexdigest()


def _replay(key: str, case_id: int, amount_fen: int) -> Disbursed | None:
    found = Payment.objects.filter(idempotency_key=key).first()
    if found is None:
        return None
    if found.request_hash != _request_hash(case_id, amount_fen):
        raise PaymentConflict(
            f"幂等键 {key} 已用于另一笔拨付（事项 #{found.case_id}，{found.amount_fen} 分）"
        )
    return Disbursed(found, replayed=True, returned=PaymentReturn.objects.filter(payment=found).exists())


def disburse(
    case_id: int,
    amount_fen: int,
    key: str,
    *,
    actor: User | None = None,
    run: PaymentRun | None = None,
    ip: str = "",
) -> Disbursed:
    """Pay an award once. Replays with the same key and amount return the first payment.

    Only the finance roles may pay (checked before anything is written; a refusal is audited)."""
    _require_finance(
        actor, action=AuditAction.LEDGER, what="拨付", object_type="case", object_id=str(case_id), ip=ip
    )
    for _ in range(3):
        try:
            with transaction.atomic():
                # Lock the award first, then look for an earlier payment with this key: a concurrent request that
                # held the lock has committed by now, and under READ COMMITTED this query sees its payment.
                case = Case.objects.select_for_update().select_related("programme").get(pk=case_id)
                replay = _replay(key, case_id, amount_fen)
                if replay:
                    return replay
                if _standing(case_id).exists():
                    raise PaymentConflict(f"事项 #{case_id} 已拨付（每个事项只拨付一次）")
                if case.state != "payment_scheduled":
                    raise TransitionRefused_from(case)
                if amount_fen != case.approved_fen:
                    raise PaymentConflict(f"拨付金额 {amount_fen} 分与批准金额 {case.approved_fen} 分不符")
                _within_matter_entitlement(case, amount_fen)
                city_budget, district_budget = budgets_for(case)
                shares = [ledger.Share(city_budget, case.city_fen or 0)]
                if case.district_fen and district_budget is not None:
                    shares.append(ledger.Share(district_budget, case.district_fen))
                entry = ledger.pay(
                    shares, actor=actor, case=case, idempotency_key=key, memo=f"拨付 {case.title}"
                )
                payment = Payment.objects.create(
                    case=case,
                    attempt=attempt_of(case),
                    idempotency_key=key,
                    request_hash=_request_hash(case_id, amount_fen),
                    amount_fen=amount_fen,
                    city_fen=case.city_fen or 0,
                    district_fen=case.district_fen or 0,
                    run=run,
                    entry=entry,
                    paid_at=timezone.now(),
                    bank_account_number=case.bank_account_number,
                )
                before = snapshot(case)
                case.state = "paid"
                case.save(update_fields=["state", "updated_at"])
                CaseTransition.objects.create(
                    case=case,
                    name="mark_paid",
                    from_state="payment_scheduled",
                    to_state="paid",
                    actor=actor,
                    actor_label=actor.username if actor else "system",
                    at=timezone.now(),
                    before=before,
                    after=snapshot(case),
                )
                audit.record(
                    AuditAction.LEDGER,
                    actor,
                    object_type="payment",
                    object_id=str(payment.pk),
                    object_repr=f"拨付 {case.title}",
                    new={"amount_fen": amount_fen, "key": key},
                    ip_address=ip,
                )
                audit.record(
                    AuditAction.TRANSITION,
                    actor,
                    object_type="case",
                    object_id=str(case.pk),
                    object_repr=f"{case.title}：确认拨付成功",
                    old=before,
                    new=snapshot(case),
                    extra={"transition": "mark_paid", "payment": payment.pk},
                    ip_address=ip,
                )
                notify(
                    Message(
                        f"{case.title}：已拨付",
                        f"金额 {amount_fen / 100:.2f} 元",
                        f"/cases/{case.pk}/",
                        enterprise_id=case.enterprise_id,
                    )
                )
                return Disbursed(payment, replayed=False)
        except IntegrityError:
            # A concurrent request with the same key (or for the same case) won; replay its result.
            replay = _replay(key, case_id, amount_fen)
            if replay:
                return replay
            if _standing(case_id).exists():
                raise PaymentConflict(f"事项 #{case_id} 已拨付（每个事项只拨付一次）") from None
            time.sleep(0.01)
    raise PaymentConflict("拨付冲突，请稍后重试")


def _standing(case_id: int) -> QuerySet[Payment]:
    """The case's payments that the bank did not send back (at most one may exist)."""
    return Payment.objects.filter(case_id=case_id, bank_return__isnull=True)


def standing_payment(case: Case) -> Payment | None:
    """The payment that stands for the case (not sent back by the bank), if any."""
    return _standing(case.pk).first()


def standing_payments() -> Prefetch[Any]:
    """For list pages: ``Case.objects.prefetch_related(standing_payments())`` fills ``case.standing``."""
    return Prefetch("payments", queryset=Payment.objects.filter(bank_return__isnull=True), to_attr="standing")


def attempt_of(case: Case) -> int:
    """Which payment of the award this is: 1, then one more after each payment the bank sent back."""
    return Payment.objects.filter(case_id=case.pk).count() + 1


def _within_matter_entitlement(case: Case, amount_fen: int) -> None:
    """Ledger invariant I7 at the moment of paying: the matter's standing payments plus this one never exceed
    the matter's whole entitlement as approved (a second line of defence behind the approval's top-up)."""
    own = case.matter_entitlement_fen
    if own is None:
        own = case.paid_for_matter_fen + (case.entitlement_fen or 0)
    ceiling = max(own, matters.highest_entitlement(case.enterprise_id, case.matter))
    before = matters.net_paid(case.enterprise_id, case.matter, exclude_case=case.pk)
    if before + amount_fen > ceiling:
        raise PaymentConflict(
            f"同一事项已拨付 {format_yuan(before)}，再拨付 {format_yuan(amount_fen)} 将超过该事项应兑现总额 "
            f"{format_yuan(ceiling)}（从优、就高、不重复）",
            code="matter_overpaid",
        )


def TransitionRefused_from(case: Case) -> TransitionRefused:
    from srdi.domain.verdict import Verdict

    return TransitionRefused(Verdict(False, f"事项状态为“{case.state_label}”，不能拨付", "wrong_state"))


def create_payment_run(
    actor: User, programme: Programme | None = None, note: str = "", ip: str = ""
) -> PaymentRun:
    """Put every approved case, and every failed or returned one whose account a second person has confirmed
    since, into a new payment run, all in one transaction.

    The cases are locked first (in id order), then each is scheduled and linked to the run in one write, so a
    crash leaves either the whole run or nothing, never a scheduled case outside a run. A run created at the
    same time waits for the locks and then finds the cases taken: it gets none of them, without an error.
    """
    _require_finance(actor, action=AuditAction.CREATE, what="创建拨付批次", object_type="payment_run", ip=ip)
    try:
        with transaction.atomic():
            ready = Case.objects.select_for_update().filter(state__in=READY, awaiting_account=False)
            if programme is not None:
                ready = ready.filter(programme=programme)
            case_ids = list(ready.order_by("id").values_list("id", flat=True))
            run = PaymentRun.objects.create(created_by=actor, programme=programme, note=note)
            audit.record(
                AuditAction.CREATE,
                actor,
                object_type="payment_run",
                object_id=str(run.pk),
                object_repr=f"拨付批次 #{run.pk}",
                new={"cases": len(case_ids)},
                ip_address=ip,
            )
            for case_id in case_ids:
                transition(case_id, actor, "schedule_payment", by_service=True, run=run, ip=ip)
    except TransitionRefused as refused:
        # The whole run was rolled back, the case's own refusal event with it: record why.
        audit.record(
            AuditAction.CREATE,
            actor,
            object_type="payment_run",
            success=False,
            object_repr="拒绝：创建拨付批次",
            extra={"reason": refused.verdict.reason, "code": refused.verdict.code},
            ip_address=ip,
        )
        raise
    return run


@dataclass
class RunResult:
    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def _bank_accepts(case: Case) -> str:
    """The treasury's answer for one line (the real bank interface plugs in here): '' = accepted."""
    number = case.bank_account_number
    if not number or not is_digits(number):
        return "收款账号无效"
    return ""


def payment_key(case: Case) -> str:
    """The idempotency key of an award's payment: stable for each attempt, so a re-run never pays twice; a
    payment the bank sent back is followed by a new attempt under a new key."""
    attempt = attempt_of(case)
    return f"case-{case.pk}-award" if attempt == 1 else f"case-{case.pk}-award-{attempt}"


def execute_payment_run(run: PaymentRun, actor: User, ip: str = "") -> RunResult:
    """Disburse every scheduled line of a run; safe to run again after an interruption (finance roles only)."""
    _require_finance(
        actor,
        action=AuditAction.LEDGER,
        what="执行拨付批次",
        object_type="payment_run",
        object_id=str(run.pk),
        ip=ip,
    )
    result = RunResult()
    delay = int(os.environ.get("SRDI_PAYMENT_DELAY_MS", "0")) / 1000  # for crash-safety tests only
    for case in Case.objects.filter(payment_run=run).order_by("id"):
        if case.state != "payment_scheduled":
            result.skipped.append(case.pk)
            continue
        problem = _bank_accepts(case)
        if problem:
            with transaction.atomic():
                transition(case.pk, actor, "mark_failed", reason=problem, by_service=True, ip=ip)
                Case.objects.filter(pk=case.pk).update(awaiting_account=True)
            result.failed.append(case.pk)
            continue
        try:
            disburse(case.pk, case.approved_fen or 0, payment_key(case), actor=actor, run=run, ip=ip)
        except PaymentConflict as conflict:
            # A line that must not be paid (e.g. it would exceed the matter's entitlement) fails on its own, with
            # the reason, and waits for a decision (cancel, or a confirmed account); the run goes on.
            with transaction.atomic():
                transition(case.pk, actor, "mark_failed", reason=str(conflict)[:500], by_service=True, ip=ip)
                Case.objects.filter(pk=case.pk).update(awaiting_account=True)
            result.failed.append(case.pk)
            continue
        result.paid.append(case.pk)
        if delay:
            time.sleep(delay)
    PaymentRun.objects.filter(pk=run.pk).update(executed_at=timezone.now())
    checkpoint_after_commit()  # sign the audit and ledger heads outside the database (after commit)
    return result


# The machine columns of the CSV (an interface reads them by these ids; amounts as ``1234.56`` text).
PAYMENT_COLUMNS = [
    "case",
    "programme",
    "enterprise",
    "uscc",
    "bank_account_name",
    "bank_name",
    "bank_account_number",
    "amount_yuan",
    "city_yuan",
    "district_yuan",
    "state",
]
# The same columns for people (XLSX): Chinese headers with units, amounts number cells in 元, codes text.
PAYMENT_HEADERS = {
    "case": "事项编号",
    "programme": "批次代码",
    "enterprise": "企业名称",
    "uscc": "统一社会信用代码",
    "bank_account_name": "开户名称",
    "bank_name": "开户银行",
    "bank_account_number": "银行账号",
    "amount_yuan": "拨付金额（元）",
    "city_yuan": "其中市级承担（元）",
    "district_yuan": "其中区县承担（元）",
    "state": "状态",
}
PAYMENT_TEXT_HEADERS = ("批次代码", "企业名称", "统一社会信用代码", "开户名称", "开户银行", "银行账号")


def payment_file(run: PaymentRun, file_format: str, actor: User) -> bytes:
    """The treasury file of a run (full account numbers: finance only, every download audited).

    ``csv`` is the machine format (``PAYMENT_COLUMNS``, amounts as ``1234.56``); ``xlsx`` is for people
    (``PAYMENT_HEADERS``: Chinese headers, amounts number cells in 元 exact from fen, codes and account numbers
    text cells). Both hold the same lines in the same order.
    """
    _require_finance(
        actor,
        action=AuditAction.EXPORT,
        what="导出拨付文件",
        object_type="payment_run",
        object_id=str(run.pk),
    )
    cases = list(
        Case.objects.filter(payment_run=run).select_related("enterprise", "programme").order_by("id")
    )
    audit.record(
        AuditAction.EXPORT,
        actor,
        object_type="payment_run",
        object_id=str(run.pk),
        object_repr=f"拨付文件（{file_format}）",
        new={"lines": len(cases)},
        # the file holds full account numbers (the treasury needs them): say whose, as a reveal does
        extra={"full_fields": ["bank_account_number"], "cases": [case.pk for case in cases]},
    )
    if file_format == "csv":
        return write_csv((_payment_line(case, _yuan) for case in cases), PAYMENT_COLUMNS)
    rows = (
        {PAYMENT_HEADERS[key]: value for key, value in _payment_line(case, yuan).items()} for case in cases
    )
    return write_xlsx(rows, list(PAYMENT_HEADERS.values()), sheet_title="拨付清单", text=PAYMENT_TEXT_HEADERS)


def _payment_line(case: Case, money: Callable[[int | None], object]) -> dict[str, object]:
    """One line of the treasury file by machine column, amounts through ``money`` (text or ``Yuan``)."""
    return {
        "case": case.pk,
        "programme": case.programme.code,
        "enterprise": case.enterprise.name,
        "uscc": case.enterprise.uscc,
        "bank_account_name": case.bank_account_name,
        "bank_name": case.bank_name,
        "bank_account_number": case.bank_account_number,
        "amount_yuan": money(case.approved_fen),
        "city_yuan": money(case.city_fen),
        "district_yuan": money(case.district_fen),
        "state": case.state_label,
    }


def _yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def record_bank_return(payment_id: int, actor: User, *, reason: str, ip: str = "") -> PaymentReturn:
    """The bank sent a payment back (退汇): reverse its posting (paid → committed), record why, and reopen the
    case as 拨付失败 until a second person confirms a corrected account; a new run then pays it again under a
    new key. Recording the same return twice is refused; so is a return while another case of the same matter
    is open (that case must be settled first, or the matter would have two open cases)."""
    _require_finance(
        actor,
        action=AuditAction.LEDGER,
        what="登记银行退回",
        object_type="payment",
        object_id=str(payment_id),
        ip=ip,
    )
    reason = reason.strip()
    if not reason:
        raise PaymentConflict("请填写银行退回原因", code="reason_required")
    with transaction.atomic():
        payment = Payment.objects.select_related("case").filter(pk=payment_id).first()
        if payment is None:
            raise PaymentConflict(f"拨付记录 #{payment_id} 不存在", code="not_found")
        case = Case.objects.select_for_update().select_related("programme").get(pk=payment.case_id)
        if PaymentReturn.objects.filter(payment=payment).exists():
            raise PaymentConflict(f"拨付记录 #{payment.pk} 的银行退回已登记", code="already_returned")
        if case.state != "paid":
            raise PaymentConflict(
                f"事项 #{case.pk} 状态为“{case.state_label}”，不是已拨付", code="wrong_state"
            )
        holder = matters.open_holder(case.enterprise_id, case.matter, exclude=case.pk)
        if holder is not None:
            raise PaymentConflict(
                f"同一事项正由{matters.describe(holder)}办理：请先办结或撤销该事项，再登记本笔退回",
                code="matter_held",
            )
        city_budget, district_budget = budgets_for(case)
        shares = [ledger.Share(city_budget, payment.city_fen)]
        if payment.district_fen and district_budget is not None:
            shares.append(ledger.Share(district_budget, payment.district_fen))
        try:
            entry = ledger.reverse_payment(
                shares, actor=actor, case=case, reverses=payment.entry, memo=f"银行退回：{reason}"[:255]
            )
        except ValueError as exc:  # the budget no longer shows the payment: the ledger needs a look
            raise PaymentConflict(f"无法冲销拨付 #{payment.pk}：{exc}", code="ledger") from None
        returned = PaymentReturn.objects.create(
            payment=payment, reason=reason[:200], recorded_by=actor, recorded_at=timezone.now(), entry=entry
        )
        audit.record(
            AuditAction.LEDGER,
            actor,
            object_type="payment",
            object_id=str(payment.pk),
            object_repr=f"银行退回 {case.title}",
            new={"amount_fen": payment.amount_fen, "reason": reason, "entry": entry.pk},
            ip_address=ip,
        )
        transition(case.pk, actor, "bank_return", reason=f"银行退回：{reason}", by_service=True, ip=ip)
        Case.objects.filter(pk=case.pk).update(awaiting_account=True)
        text = f"拨付款被银行退回（{reason}），请提交更正后的收款账户，经另一人确认后重新拨付。"
        url = f"/cases/{case.pk}/"
        notify(Message(f"待更正收款账户：{case.title}", text, url, enterprise_id=case.enterprise_id))
        notify(
            Message(
                f"银行退回：{case.title}",
                text,
                url,
                district_code=case.district_code,
                audience="district_staff",
            )
        )
    return returned
