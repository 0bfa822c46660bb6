"""States and transitions of an award case (申报/兑现事项), as data.

A case starts as an offer found by screening (免申即享, ``offered``) or as an application (``draft``); it is
reviewed by the district and the city, published (公示) for objections, approved (which commits budget), paid
(which posts it) or fails payment and is retried once a second person has confirmed the bank account; a
payment the bank sends back reopens it the same way. It can be returned for correction or rejected with a
reason, an approval can be cancelled (its commitment released by a reversal), the enterprise can withdraw a
draft or a returned application, and an offer, draft or returned case nobody (re)submitted lapses when its
programme closes. Use ``TRANSITIONS`` and ``srdi.domain.workflow.guards.check`` —
the services change state only through them.

A case is *open* until it reaches a terminal state; the database allows one open case per enterprise and
matter (从优、就高、不重复 across programmes, packs and years).
"""

from __future__ import annotations

from dataclasses import dataclass

from srdi.domain.permissions import Permission, roles_with

STATES: dict[str, str] = {
    "offered": "待企业确认（免申即享）",
    "draft": "草稿",
    "submitted": "已提交",
    "district_review": "区县审核中",
    "city_review": "市级审核中",
    "publicity": "公示中",
    "approved": "已批准",
    "payment_scheduled": "待拨付",
    "paid": "已拨付",
    "payment_failed": "拨付失败",
    "returned": "退回修改",
    "rejected": "不予支持",
    "cancelled": "已撤销",
    "declined": "企业放弃",
    "lapsed": "已失效（批次结束未提交）",
}
TERMINAL = frozenset({"paid", "rejected", "cancelled", "declined", "lapsed"})
# States in which a case holds its matter: at most one such case per enterprise and matter.
OPEN = frozenset(STATES) - TERMINAL
# States in which money is committed but not yet paid; and states that must carry a payment.
COMMITTED = frozenset({"approved", "payment_scheduled", "payment_failed"})
# States that hold an award: they count against a programme's quota (a cancelled award frees its place).
AWARDED = COMMITTED | {"paid"}

P = Permission


@dataclass(frozen=True)
class Transition:
    """A named move between states, the permission it needs (``srdi.domain.permissions``) and its guards."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: Permission
    guards: tuple[str, ...] = ()
    needs_reason: bool = False
    # Made only by a service, never from a page or the API: payment moves inside a payment run (taken alone
    # they would leave a case scheduled outside any run, or "paid" without a ledger payment), a bank return
    # (which first reverses the payment's posting) and the lapse of unsubmitted cases when a programme closes.
    service_only: bool = False

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles whose permissions include this transition's (read from the table, never listed here)."""
        return tuple(role.value for role in roles_with(self.permission))


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "confirm",
            "确认意愿并提交（免申即享）",
            ("offered",),
            "district_review",
            P.CASE_APPLY,
            ("in_scope", "programme_accepts", "bank_account", "offer_complete"),
        ),
        Transition("decline", "放弃", ("offered",), "declined", P.CASE_APPLY, ("in_scope",)),
        # An application the enterprise no longer pursues (a draft, or one returned for changes) is withdrawn,
        # which frees its matter for another programme.
        Transition("withdraw", "撤回申请", ("draft", "returned"), "declined", P.CASE_APPLY, ("in_scope",)),
        Transition(
            "submit",
            "提交申请",
            ("draft", "returned"),
            "submitted",
            P.CASE_APPLY,
            ("in_scope", "programme_accepts", "bank_account", "evidence_complete"),
        ),
        Transition("accept", "受理", ("submitted",), "district_review", P.CASE_ACCEPT, ("in_scope",)),
        Transition(
            "district_pass",
            "区县审核通过",
            ("district_review",),
            "city_review",
            P.CASE_DISTRICT_REVIEW,
            ("in_scope", "not_submitter"),
        ),
        Transition(
            "city_pass",
            "市级审核通过，进入公示",
            ("city_review",),
            "publicity",
            P.CASE_CITY_REVIEW,
            ("in_scope", "not_district_reviewer", "amount_within_entitlement"),
        ),
        Transition(
            "approve",
            "批准（公示期满）",
            ("publicity",),
            "approved",
            P.CASE_APPROVE,
            (
                "in_scope",
                "not_a_reviewer",
                "publicity_over",
                "no_open_objections",
                "compliance_clear",
                "within_quota",
                "amount_within_entitlement",
            ),
        ),
        Transition(
            "schedule_payment",
            "列入拨付批次",
            ("approved", "payment_failed"),
            "payment_scheduled",
            P.PAYMENT_RUN,
            ("in_scope",),
            service_only=True,
        ),
        Transition(
            "mark_paid",
            "确认拨付成功",
            ("payment_scheduled",),
            "paid",
            P.PAYMENT_RUN,
            ("in_scope",),
            service_only=True,
        ),
        Transition(
            "mark_failed",
            "拨付失败",
            ("payment_scheduled",),
            "payment_failed",
            P.PAYMENT_RUN,
            ("in_scope",),
            needs_reason=True,
            service_only=True,
        ),
        Transition(
            "bank_return",
            "银行退回（冲销拨付）",
            ("paid",),
            "payment_failed",
            P.PAYMENT_RUN,
            ("in_scope",),
            needs_reason=True,
            service_only=True,
        ),
        Transition(
            "lapse",
            "批次结束，未提交的事项失效",
            ("offered", "draft", "returned"),
            "lapsed",
            P.PROGRAMME_MANAGE,
            (),
            needs_reason=True,
            service_only=True,
        ),
        Transition(
            "return",
            "退回修改",
            ("district_review", "city_review"),
            "returned",
            P.CASE_RETURN,
            ("in_scope",),
            needs_reason=True,
        ),
        # An approval refused because a parameter change altered the amount after publication (code
        # ``parameters_changed``) goes back to city review, and ``city_pass`` publishes the new amount.
        Transition(
            "republish",
            "参数调整后重新审核",
            ("publicity",),
            "city_review",
            P.CASE_CITY_REVIEW,
            ("in_scope",),
            needs_reason=True,
        ),
        Transition(
            "reject",
            "不予支持",
            ("submitted", "district_review", "city_review", "publicity"),
            "rejected",
            P.CASE_REJECT,
            ("in_scope",),
            needs_reason=True,
        ),
        Transition(
            "cancel",
            "撤销批准（释放预算）",
            ("approved", "payment_failed"),
            "cancelled",
            P.CASE_CANCEL,
            ("in_scope",),
            needs_reason=True,
        ),
    )
}


def transitions_from(state: str) -> list[Transition]:
    """Every transition that starts from ``state``."""
    return [t for t in TRANSITIONS.values() if state in t.sources]
