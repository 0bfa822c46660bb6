"""Correcting the bank account of an approved award (收款账户更正), with a second person's confirmation.

The account an enterprise enters with its claim is frozen once the case is submitted. When a payment fails or
the bank sends it back, or before a run pays an approved award, the enterprise — or district staff on its
behalf — proposes a corrected account with ``request_change``; a different person (district staff of the
district, city staff, or finance) confirms or refuses it with ``decide_change``. Only a confirmed change
reaches the case, and it releases a failed or returned case for the next payment run. Every step is audited
with the account numbers masked.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from srdi.db.models import AuditAction, BankAccountChange, Case, User
from srdi.domain.digits import is_digits
from srdi.domain.masking import mask_account
from srdi.domain.permissions import Permission
from srdi.services import audit, scoping
from srdi.services.notify import Message, notify

CHANGEABLE = ("approved", "payment_failed")


class AccountChangeError(ValueError):
    """A change that cannot be made; the message says why."""


def _in_scope(user: User, case: Case) -> bool:
    return scoping.cases_for(user).filter(pk=case.pk).exists()


def normalise_number(number: str) -> str:
    """Digits only (spaces removed); 8–32 digits or ``AccountChangeError``."""
    digits = number.replace(" ", "").strip()
    if not (is_digits(digits) and 8 <= len(digits) <= 32):
        raise AccountChangeError("银行账号应为8–32位数字")
    return digits


def request_change(
    case_id: int,
    user: User,
    *,
    account_name: str,
    bank_name: str,
    account_number: str,
    note: str = "",
    ip: str = "",
) -> BankAccountChange:
    """Propose a corrected account for a case that is approved or whose payment failed or came back."""
    if not user.can(Permission.BANK_ACCOUNT_PROPOSE):
        raise AccountChangeError("收款账户更正由企业或其所在区县工作人员提出")
    name, bank = account_name.strip(), bank_name.strip()
    if not name or not bank:
        raise AccountChangeError("请填写开户名和开户行")
    number = normalise_number(account_number)
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or not _in_scope(user, case):
            raise AccountChangeError("事项不存在或不在您的权限范围内")
        if case.state not in CHANGEABLE:
            raise AccountChangeError(f"事项状态为“{case.state_label}”，不能更正收款账户")
        try:
            with transaction.atomic():
                change = BankAccountChange.objects.create(
                    case=case,
                    account_name=name[:200],
                    bank_name=bank[:200],
                    account_number=number,
                    requested_by=user,
                    requested_at=timezone.now(),
                    note=note.strip()[:200],
                )
        except IntegrityError:
            raise AccountChangeError("该事项已有一项待确认的账户更正，请先由审核人员确认或退回") from None
        audit.record(
            AuditAction.CREATE,
            user,
            object_type="account_change",
            object_id=str(change.pk),
            object_repr=f"{case.title}：收款账户更正（待确认）",
            old={"bank_account_number": mask_account(case.bank_account_number)},
            new={"bank_account_number": mask_account(number), "bank_name": bank},
            ip_address=ip,
        )
        notify(
            Message(
                f"待确认收款账户更正：{case.title}",
                "企业或区县提交了更正后的收款账户，请核对开户证明后确认。",
                f"/cases/{case.pk}/",
                district_code=case.district_code,
                audience="district_staff",
            )
        )
    return change


def decide_change(
    change_id: int, user: User, *, confirm: bool, reason: str = "", ip: str = ""
) -> BankAccountChange:
    """Confirm (the case takes the account and may be paid again) or refuse a proposed account."""
    if not user.can(Permission.BANK_ACCOUNT_CONFIRM):
        raise AccountChangeError("收款账户更正由区县、市级或资金管理人员确认")
    with transaction.atomic():
        change = BankAccountChange.objects.select_for_update().filter(pk=change_id).first()
        if change is None:
            raise AccountChangeError("账户更正不存在")
        case = Case.objects.select_for_update().get(pk=change.case_id)
        if not _in_scope(user, case):
            raise AccountChangeError("事项不在您的权限范围内")
        if change.status != BankAccountChange.Status.PENDING:
            raise AccountChangeError(f"该账户更正已{change.get_status_display()}")
        if change.requested_by_id == user.pk:
            raise AccountChangeError("提出人不能确认自己提交的账户更正（须另一人确认）")
        if not confirm and not reason.strip():
            raise AccountChangeError("退回账户更正须填写理由")
        if confirm and case.state not in CHANGEABLE:
            raise AccountChangeError(f"事项状态为“{case.state_label}”，不能更正收款账户")
        before = {"bank_account_number": mask_account(case.bank_account_number), "bank_name": case.bank_name}
        change.status = BankAccountChange.Status.CONFIRMED if confirm else BankAccountChange.Status.REFUSED
        change.decided_by, change.decided_at = user, timezone.now()
        change.decision_reason = reason.strip()[:200]
        change.save()
        if confirm:
            case.bank_account_name, case.bank_name = change.account_name, change.bank_name
            case.bank_account_number = change.account_number
            case.awaiting_account = False
            case.save(
                update_fields=[
                    "bank_account_name",
                    "bank_name",
                    "bank_account_number",
                    "awaiting_account",
                    "updated_at",
                ]
            )
        audit.record(
            AuditAction.UPDATE,
            user,
            object_type="account_change",
            object_id=str(change.pk),
            object_repr=f"{case.title}：收款账户更正{change.get_status_display()}",
            old=before,
            new={
                "status": change.status,
                "bank_account_number": mask_account(change.account_number),
                "reason": change.decision_reason,
            },
            ip_address=ip,
        )
        notify(
            Message(
                f"收款账户更正{change.get_status_display()}：{case.title}",
                "将列入下一拨付批次。" if confirm else f"退回理由：{change.decision_reason}",
                f"/cases/{case.pk}/",
                enterprise_id=case.enterprise_id,
            )
        )
    return change
