"""What the money pages may show to whom, and how: access rules, queues, badges, amounts, the entitlement basis.

The views ask these verdicts before anything else (``srdi.web.access.require`` turns a refusal into an audited
403); the row-level scope is always ``srdi.services.scoping`` (out of scope → 404). Helpers here only read and
format: they never change data. Amounts are integer fen, shown in 元 or 万元 via ``srdi.domain.money``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from srdi.db.models import Case, Role, User
from srdi.domain import masking
from srdi.domain.digits import id_from
from srdi.domain.money import FEN_PER_YUAN, MoneyError, format_wan, format_yuan, to_decimal
from srdi.domain.permissions import Permission, Scope
from srdi.domain.policy.labels import (
    CONDITION_RESULT_LABELS,
    EVENT_LABELS,
    INDUSTRY_LABELS,
    INPUT_LABELS,
    event_title,
)
from srdi.domain.policy.labels import value_label as policy_value_label
from srdi.domain.reference import TIERS
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.domain.workflow.definition import STATES, TRANSITIONS
from srdi.services import scoping

# ---- who may do what (the table is ``srdi.domain.permissions``; these name the page-level questions) ------


def _can(user: User, permission: Permission) -> Verdict:
    return scoping.can(user, permission)


def can_view_programmes(user: User) -> Verdict:
    """Programmes (and their budgets) are for every role that handles or reads cases."""
    return _can(user, Permission.PROGRAMME_VIEW)


def can_manage_programmes(user: User) -> Verdict:
    """Creating programmes and generating offers is the city's job."""
    return _can(user, Permission.PROGRAMME_MANAGE)


def can_view_cases(user: User) -> Verdict:
    verdict = _can(user, Permission.CASE_VIEW)
    if verdict and user.scope is Scope.DISTRICT and not user.district_id:
        return deny("区县账号未绑定区县", "scope")
    return verdict


# Permissions that act on a case (the guards then decide each action).
CASE_ACTIONS = frozenset(
    {
        Permission.CASE_APPLY,
        Permission.CASE_ACCEPT,
        Permission.CASE_DISTRICT_REVIEW,
        Permission.CASE_CITY_REVIEW,
        Permission.CASE_APPROVE,
        Permission.CASE_CANCEL,
        Permission.CASE_RETURN,
        Permission.CASE_REJECT,
        Permission.OBJECTION_RECORD,
        Permission.BANK_ACCOUNT_PROPOSE,
        Permission.BANK_ACCOUNT_CONFIRM,
    }
)


def can_act_on_cases(user: User) -> Verdict:
    """Anyone who may see cases and holds a case action (the guards decide each action); read-only roles not."""
    verdict = can_view_cases(user)
    if not verdict:
        return verdict
    if not user.spec.permissions & CASE_ACTIONS:
        return deny("当前角色只读，不能办理事项", "read_only")
    return ALLOW


def can_view_payments(user: User) -> Verdict:
    return _can(user, Permission.PAYMENT_VIEW)


def can_run_payments(user: User) -> Verdict:
    return _can(user, Permission.PAYMENT_RUN)


def can_download_treasury_file(user: User) -> Verdict:
    return _can(user, Permission.TREASURY_FILE)


def can_view_vouchers(user: User) -> Verdict:
    verdict = _can(user, Permission.VOUCHER_VIEW)
    if verdict and user.scope is Scope.PROVIDER and not user.provider_id:
        return deny("服务机构账号未绑定机构", "scope")
    return verdict


def can_issue_vouchers(user: User) -> Verdict:
    return _can(user, Permission.VOUCHER_ISSUE)


def can_redeem_vouchers(user: User) -> Verdict:
    verdict = _can(user, Permission.VOUCHER_REDEEM)
    if verdict and not user.provider_id:
        return deny("服务机构账号未绑定机构", "scope")
    return verdict


def can_verify_ledger(user: User) -> Verdict:
    return _can(user, Permission.LEDGER_VERIFY)


def sees_bank_account(user: User, case: Case) -> bool:
    """The full account number is for the enterprise itself and for finance (who pays it); masked otherwise."""
    return user.can(Permission.BANK_ACCOUNT_FULL) and scoping.case_in_scope(user, case)


mask_account = masking.mask_account  # ``6222020200001234`` → ``**** **** 1234`` (one rule for pages and logs)


# ---- amounts --------------------------------------------------------------------------------------------


def yuan(fen: int | None) -> str:
    """Fen as ``¥1,234.56``; ``—`` when unknown."""
    return format_yuan(fen)


def wan(fen: int | None) -> str:
    return format_wan(fen)


def fen_from_yuan(text: str) -> int:
    """``"1234.5"`` 元 → 123450 fen, exactly; refuses fractions of a fen and negatives."""
    cleaned = text.replace(",", "").replace("，", "").strip()
    try:
        value = to_decimal(cleaned) * FEN_PER_YUAN
    except (MoneyError, ArithmeticError):  # InvalidOperation and Overflow are ArithmeticErrors
        raise ValueError("请输入有效的金额（元）") from None
    if value != value.to_integral_value():
        raise ValueError("金额最多保留两位小数（分）")
    if value < 0:
        raise ValueError("金额不能为负")
    return int(value)


def yuan_input(fen: int | None) -> str:
    """Fen as a plain ``1234.56`` for an input's initial value."""
    if fen is None:
        return ""
    return f"{fen // FEN_PER_YUAN}.{fen % FEN_PER_YUAN:02d}"


def percent(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with one decimal (``"0"`` when ``whole`` is 0), for progress bars."""
    if not whole or part <= 0:
        return "0"
    value = min(Decimal(part) * 100 / Decimal(whole), Decimal(100))
    return str(value.quantize(Decimal("0.1")))


# ---- states and queues ----------------------------------------------------------------------------------

STATE_BADGES = {
    "offered": "text-bg-info",
    "draft": "text-bg-light border",
    "submitted": "text-bg-primary",
    "district_review": "text-bg-primary",
    "city_review": "text-bg-primary",
    "publicity": "text-bg-warning",
    "approved": "text-bg-success",
    "payment_scheduled": "text-bg-success",
    "paid": "text-bg-dark",
    "payment_failed": "text-bg-danger",
    "returned": "text-bg-warning",
    "rejected": "text-bg-secondary",
    "cancelled": "text-bg-secondary",
    "declined": "text-bg-secondary",
}


def state_label(state: str) -> str:
    return STATES.get(state, state)


def state_badge(state: str) -> str:
    return STATE_BADGES.get(state, "text-bg-light border")


def transition_label(name: str) -> str:
    t = TRANSITIONS.get(name)
    return t.label if t else name


@dataclass(frozen=True)
class Queue:
    """A tab of the case list: the states it holds (empty = all) and an optional extra condition."""

    key: str
    label: str
    states: tuple[str, ...] = ()
    due_for_approval: bool = False

    def apply(self, qs: QuerySet[Case], today: date) -> QuerySet[Case]:
        if self.states:
            qs = qs.filter(state__in=self.states)
        if self.due_for_approval:
            qs = qs.filter(publicity_ends_on__lt=today)
        return qs


ALL = Queue("all", "全部")
QUEUES: dict[str, list[Queue]] = {
    Role.ENTERPRISE: [
        Queue("offers", "待确认（免申即享）", ("offered",)),
        Queue("applications", "申报中", ("draft", "returned")),
        Queue("review", "审核中", ("submitted", "district_review", "city_review", "publicity")),
        Queue("payments", "待拨付", ("approved", "payment_scheduled", "payment_failed")),
        Queue("paid", "已拨付", ("paid",)),
        ALL,
    ],
    Role.DISTRICT_STAFF: [
        Queue("intake", "待受理", ("submitted",)),
        Queue("district", "区县审核", ("district_review",)),
        Queue("offered", "待企业确认", ("offered", "draft", "returned")),
        Queue("onward", "已上报市级", ("city_review", "publicity", "approved", "payment_scheduled")),
        ALL,
    ],
    Role.CITY_STAFF: [
        Queue("city", "市级审核", ("city_review",)),
        Queue("publicity", "公示中", ("publicity",)),
        Queue("due", "待批准（公示期满）", ("publicity",), due_for_approval=True),
        Queue("district", "区县审核中", ("submitted", "district_review")),
        ALL,
    ],
    Role.FINANCE: [
        Queue("to_pay", "待拨付", ("approved",)),
        Queue("scheduled", "拨付中", ("payment_scheduled",)),
        Queue("failed", "拨付失败", ("payment_failed",)),
        Queue("paid", "已拨付", ("paid",)),
        ALL,
    ],
    Role.AUDITOR: [ALL],
}
QUEUES[Role.CITY_ADMIN] = [
    *QUEUES[Role.CITY_STAFF][:4],
    Queue("to_pay", "待拨付", ("approved", "payment_failed")),
    ALL,
]

# Transitions offered as bulk actions (each row still goes through the guards on its own).
BULK_TRANSITIONS = ("accept", "district_pass", "city_pass")


def queues_for(user: User) -> list[Queue]:
    return QUEUES.get(user.role, [ALL])


def bulk_actions_for(user: User) -> list[tuple[str, str]]:
    return [
        (name, TRANSITIONS[name].label) for name in BULK_TRANSITIONS if user.can(TRANSITIONS[name].permission)
    ]


def search_cases(qs: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Name, USCC or title contains ``text`` (case-insensitive)."""
    text = text.strip()
    if not text:
        return qs
    return qs.filter(
        Q(enterprise__name__icontains=text) | Q(enterprise__uscc__icontains=text) | Q(title__icontains=text)
    )


# ---- the entitlement basis ------------------------------------------------------------------------------

RESULT_LABELS = CONDITION_RESULT_LABELS
VALUE_LABELS = {
    **TIERS,
    **EVENT_LABELS,
    **INDUSTRY_LABELS,
}


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind)


def value_label(value: Any) -> str:
    return VALUE_LABELS.get(str(value), str(value))


def missing_label(item: str) -> str:
    """``events[0].industry`` → ``事项数据：项目所属产业``; other paths as they are."""
    match = re.fullmatch(r"events\[\d+\]\.(\w+)", item)
    if match:
        return f"事项数据：{INPUT_LABELS.get(match.group(1), match.group(1))}"
    return INPUT_LABELS.get(item, item)


@dataclass(frozen=True)
class BasisRow:
    """One line of the entitlement explanation: what was checked, the result and the legal reference."""

    kind: str
    label: str
    detail: str
    result: str
    reference: str


def _value_text(key: str, value: Any) -> str:
    if key.endswith("_fen") and isinstance(value, int):
        return format_wan(value)
    if isinstance(value, list):
        return "、".join(value_label(v) for v in value)
    return value_label(value)


def _parameter_text(p: dict[str, Any]) -> str:
    value = p.get("value")
    unit = p.get("unit")
    if unit == "fen" and isinstance(value, int):
        shown = format_wan(value)
    elif unit == "ratio":
        try:
            shown = f"{(to_decimal(str(value)) * 100).normalize():f}%"
        except MoneyError:
            shown = str(value)
    elif isinstance(value, list):
        shown = "、".join(value_label(v) for v in value)
    else:
        shown = value_label(value)
    # A value set by an approved parameter change names it (``PV12``); a baseline value has no version.
    version = f"（参数版本 {p['version']}）" if p.get("version") else ""
    return f"{p.get('label', p.get('id', ''))}：{shown}{version}"


def basis_rows(trace: dict[str, Any]) -> list[BasisRow]:
    """The engine record's basis as readable rows (inputs, window, conditions, amount, cap, overlap, split)."""
    rows: list[BasisRow] = []
    for item in trace.get("basis") or []:
        kind = item.get("type", "")
        if kind == "inputs":
            event = item.get("event") or {}
            detail = "；".join(
                f"{INPUT_LABELS.get(k, k)}：{_value_text(k, v)}"
                for k, v in event.items()
                if v not in (None, "")
            )
            rows.append(BasisRow("inputs", "申报事项数据", detail, "", ""))
        elif kind == "window":
            rows.append(
                BasisRow(
                    "window",
                    str(item.get("label", "政策有效期")),
                    f"{item.get('from', '')} 至 {item.get('to', '')}；事项日期 {item.get('date') or '未知'}",
                    RESULT_LABELS.get(str(item.get("result")), str(item.get("result", ""))),
                    str(item.get("reference", "")),
                )
            )
        elif kind == "condition":
            param = item.get("parameter")
            rows.append(
                BasisRow(
                    "condition",
                    str(item.get("label", "")),
                    _parameter_text(param) if isinstance(param, dict) else "",
                    RESULT_LABELS.get(str(item.get("result")), str(item.get("result", ""))),
                    str(item.get("reference", "")),
                )
            )
        elif kind == "amount":
            params = [p for p in item.get("parameters") or [] if isinstance(p, dict)]
            detail = "；".join(_parameter_text(p) for p in params)
            arithmetic = item.get("arithmetic") or ""
            rows.append(
                BasisRow(
                    "amount",
                    f"计算：{arithmetic}" if arithmetic else "金额计算",
                    detail,
                    "" if item.get("state") == "ok" else "金额待定",
                    "；".join(sorted({str(p.get("reference", "")) for p in params if p.get("reference")})),
                )
            )
        elif kind == "cap":
            applied = item.get("applied")
            rows.append(
                BasisRow(
                    "cap",
                    "最高限额",
                    f"限额 {format_wan(item.get('cap_fen'))}" + ("，已按限额封顶" if applied else "，未触及"),
                    "",
                    "",
                )
            )
        elif kind == "overlap":
            paid = item.get("paid_before_fen") or 0
            matter = policy_value_label(str(item.get("matter", "")).rsplit("|", 1)[-1])
            detail = f"同一事项（{matter}）只兑现一次，与其他同类政策不重复享受"
            if paid:
                detail += f"；此前已支付 {format_wan(paid)}，本次补足差额"
            if item.get("superseded_by"):
                detail += f"；已由 {item['superseded_by']} 从优兑现"
            rows.append(BasisRow("overlap", "从优、就高、不重复", detail, "", ""))
        elif kind == "split":
            note = "（默认比例，待市财政确定）" if item.get("default_used") else ""
            rows.append(
                BasisRow(
                    "split",
                    "市、区县分担",
                    f"市级承担比例 {item.get('city_share', '')}{note}：市级 {format_wan(item.get('city_fen'))}，"
                    f"区县 {format_wan(item.get('district_fen'))}",
                    "",
                    str(item.get("reference", "")),
                )
            )
    return rows


def legal_basis(trace: dict[str, Any]) -> list[str]:
    """The distinct legal references of a record, the measure's own first (for the approval document)."""
    refs: list[str] = []
    first = trace.get("reference")
    if first:
        refs.append(f"{first}（{trace.get('title', '')}）" if trace.get("title") else str(first))
    for row in basis_rows(trace):
        for ref in row.reference.split("；"):
            if ref and ref not in refs and ref != first:
                refs.append(ref)
    return refs


# ---- evidence -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    label: str
    provided: bool
    files: int


def evidence_checklist(case: Case) -> list[EvidenceItem]:
    """The programme's required evidence, each with whether a file was filed under it (only files count)."""
    required = list(case.programme.required_evidence or [])
    uploads: dict[str, int] = {}
    for label in case.evidence.values_list("label", flat=True):
        uploads[label] = uploads.get(label, 0) + 1
    return [EvidenceItem(r, r in uploads, uploads.get(r, 0)) for r in required]


def ids_from(values: Iterable[str], limit: int = 500) -> list[int]:
    """Distinct positive integer ids from form values (non-numbers dropped), at most ``limit``."""
    out: list[int] = []
    for v in values:
        found = id_from(v)
        if found is not None and found not in out:
            out.append(found)
        if len(out) >= limit:
            break
    return out


def matter_label(trace: dict[str, Any], matter: str) -> str:
    """A person's name for a matter: the event it is about (``技术改造项目 P1``), else its key's last part."""
    for item in trace.get("basis") or []:
        if item.get("type") == "inputs" and isinstance(item.get("event"), dict):
            return event_title(item["event"])
    return policy_value_label(matter.rsplit("|", 1)[-1])
