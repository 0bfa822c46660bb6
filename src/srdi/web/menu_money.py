"""Menu entries for programmes, cases, payments, vouchers and the inbox.

``entries(user)`` returns (url name, label, active-on names). The inbox entry carries the unread count.
"""

from __future__ import annotations

from srdi.db.models import User
from srdi.services import money_view
from srdi.services.notify import unread_count
from srdi.web import money_display as md


def entries(user: User) -> list[tuple[str, str, tuple[str, ...]]]:
    """Entries this user may see."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    if md.can_view_programmes(user):
        out.append(
            (
                "web:programme_list",
                "申报批次",
                ("web:programme_list", "web:programme_detail", "web:programme_create"),
            )
        )
    if money_view.can_view(user):
        out.append(("web:money_overview", "资金执行", ("web:money_overview",)))
    if md.can_view_cases(user):
        out.append(
            ("web:case_list", "兑现事项", ("web:case_list", "web:case_detail", "web:approval_document"))
        )
        out.append(("web:publicity_list", "公示", ("web:publicity_list",)))
    if md.can_run_payments(user) or md.can_view_payments(user):
        out.append(("web:payment_runs", "拨付", ("web:payment_runs", "web:payment_run_detail")))
    if md.can_view_vouchers(user):
        out.append(("web:vouchers", "服务券", ("web:vouchers",)))
    if user.is_authenticated:
        n = unread_count(user)
        out.append(("web:inbox", f"消息（{n}）" if n else "消息", ("web:inbox",)))
    if md.can_verify_ledger(user):
        out.append(("web:ledger_verify", "总账核验", ("web:ledger_verify",)))
    return out
