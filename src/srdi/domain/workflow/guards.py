"""Guards: may this actor take this transition on this case now? A verdict with the reason, never a bare no.

Pure functions over plain views of the actor and the case (``Actor``, ``CaseView``), so that the same rules
serve the pages (which buttons to show and why a button is disabled), the API, the services (which refuse and
audit) and the property tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from srdi.domain.permissions import Scope, allows, scope_of
from srdi.domain.policy.labels import missing_label
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.domain.workflow.definition import STATES, TRANSITIONS, Transition


@dataclass(frozen=True)
class Actor:
    """Who is acting."""

    user_id: int
    role: str
    district: str | None = None
    enterprise_id: int | None = None


@dataclass(frozen=True)
class CaseView:
    """What the guards need to know about a case.

    ``entitlement_fen`` is what may still be paid under this case: the engine's award **net of** what was
    already paid for the same matter under other cases (从优、就高、不重复, a top-up). ``paid_for_matter_fen`` is
    that earlier payment, for the explanation only: it is never subtracted again. ``reviewers`` holds everyone
    who ever accepted, passed or returned the case (district or city level), ``district_reviewers`` those who
    took a district-stage step (accept, district pass, or a return from district review), across every round
    of return and resubmission. ``awarded`` counts the programme's cases that hold an award, against ``quota``.
    ``programme_live`` and ``window_open`` say whether the programme takes confirmations (from its opening to
    its close) and first submissions (inside its application window ``window_text``).
    """

    state: str
    enterprise_id: int
    district: str | None
    today: date
    submitted_by: int | None = None
    district_reviewer: int | None = None
    city_reviewer: int | None = None
    bank_account_set: bool = False
    evidence_missing: tuple[str, ...] = ()
    offer_missing: tuple[str, ...] = ()
    publicity_ends_on: date | None = None
    open_objections: int = 0
    compliance_problems: tuple[str, ...] = ()
    entitlement_fen: int | None = None
    paid_for_matter_fen: int = 0
    requested_fen: int | None = None
    reviewers: frozenset[int] = field(default_factory=frozenset)
    district_reviewers: frozenset[int] = field(default_factory=frozenset)
    quota: int | None = None
    awarded: int = 0
    programme_live: bool = True
    window_open: bool = True
    window_text: str = ""


def _in_scope(actor: Actor, case: CaseView) -> Verdict:
    scope = scope_of(actor.role)
    if scope is Scope.ALL:
        return ALLOW
    if scope is Scope.ENTERPRISE:
        if actor.enterprise_id != case.enterprise_id:
            return deny("只能办理本企业的事项", "out_of_scope")
        return ALLOW
    if scope is Scope.DISTRICT:
        if actor.district != case.district:
            return deny("只能办理本区县企业的事项", "out_of_scope")
        return ALLOW
    return deny("当前角色不能办理事项", "out_of_scope")


def _bank_account(actor: Actor, case: CaseView) -> Verdict:
    return ALLOW if case.bank_account_set else deny("请先填写收款银行账户", "no_bank_account")


def _offer_complete(actor: Actor, case: CaseView) -> Verdict:
    if case.offer_missing:
        missing = "、".join(missing_label(path) for path in case.offer_missing)
        return deny("尚缺数据，无法确认：" + missing, "offer_incomplete")
    return ALLOW


def _programme_accepts(actor: Actor, case: CaseView) -> Verdict:
    # A returned case was already submitted once: it may come back after the window, until the programme closes.
    if not case.programme_live:
        return deny("该批次未在受理（筹备中或已结束）", "programme_closed")
    if case.state == "draft" and not case.window_open:
        return deny(f"不在受理期内（{case.window_text}），不能提交", "outside_window")
    return ALLOW


def _evidence_complete(actor: Actor, case: CaseView) -> Verdict:
    if case.evidence_missing:
        return deny("请上传必需的证明材料：" + "、".join(case.evidence_missing), "evidence_missing")
    return ALLOW


def _not_submitter(actor: Actor, case: CaseView) -> Verdict:
    return deny("不能审核自己提交的事项", "self_review") if actor.user_id == case.submitted_by else ALLOW


def _not_district_reviewer(actor: Actor, case: CaseView) -> Verdict:
    if actor.user_id == case.district_reviewer or actor.user_id in case.district_reviewers:
        return deny("区县审核人不能同时进行市级审核（职责分离）", "separation_of_duties")
    return ALLOW


def _not_a_reviewer(actor: Actor, case: CaseView) -> Verdict:
    if actor.user_id in case.reviewers or actor.user_id in (case.district_reviewer, case.city_reviewer):
        return deny("审核过该事项的人员不能批准同一事项（职责分离）", "separation_of_duties")
    return ALLOW


def _publicity_over(actor: Actor, case: CaseView) -> Verdict:
    if case.publicity_ends_on is None:
        return deny("尚未公示", "no_publicity")
    if case.today <= case.publicity_ends_on:
        return deny(f"公示期至 {case.publicity_ends_on}，期满后方可批准", "publicity_running")
    return ALLOW


def _no_open_objections(actor: Actor, case: CaseView) -> Verdict:
    if case.open_objections:
        return deny(f"尚有 {case.open_objections} 条公示异议未处理", "open_objections")
    return ALLOW


def _compliance_clear(actor: Actor, case: CaseView) -> Verdict:
    if case.compliance_problems:
        return deny("企业信用状况不符合兑现要求：" + "、".join(case.compliance_problems), "compliance")
    return ALLOW


def _within_quota(actor: Actor, case: CaseView) -> Verdict:
    if case.quota is not None and case.awarded >= case.quota:
        return deny(f"本批次名额已满（上限 {case.quota} 个，已批准 {case.awarded} 个）", "quota")
    return ALLOW


def _amount_within_entitlement(actor: Actor, case: CaseView) -> Verdict:
    # ``entitlement_fen`` is already net of earlier payments for the matter: compare with it, exactly once.
    if case.entitlement_fen is None:
        return deny("兑现金额未能计算（数据不全或金额标准未公布）", "no_entitlement")
    if case.entitlement_fen <= 0:
        if case.paid_for_matter_fen > 0:
            return deny(
                f"同一事项已兑现 {case.paid_for_matter_fen} 分，按“从优、就高、不重复”已足额兑现",
                "already_paid",
            )
        return deny("同一事项已按“从优、就高、不重复”由其他政策兑现", "already_paid")
    if case.requested_fen is not None and case.requested_fen <= 0:
        return deny(f"批准金额须大于 0 分（填写的是 {case.requested_fen} 分）", "amount_not_positive")
    if case.requested_fen is not None and case.requested_fen > case.entitlement_fen:
        return deny(
            f"批准金额 {case.requested_fen} 分超过可兑现金额 {case.entitlement_fen} 分", "over_entitlement"
        )
    return ALLOW


GUARDS: dict[str, Callable[[Actor, CaseView], Verdict]] = {
    "in_scope": _in_scope,
    "bank_account": _bank_account,
    "offer_complete": _offer_complete,
    "programme_accepts": _programme_accepts,
    "evidence_complete": _evidence_complete,
    "not_submitter": _not_submitter,
    "not_district_reviewer": _not_district_reviewer,
    "not_a_reviewer": _not_a_reviewer,
    "publicity_over": _publicity_over,
    "no_open_objections": _no_open_objections,
    "compliance_clear": _compliance_clear,
    "within_quota": _within_quota,
    "amount_within_entitlement": _amount_within_entitlement,
}


def check(name: str, actor: Actor, case: CaseView, reason: str = "") -> Verdict:
    """Whether ``actor`` may take transition ``name`` on ``case`` now, and if not, why."""
    t: Transition | None = TRANSITIONS.get(name)
    if t is None:
        return deny(f"未知操作 {name}", "unknown_transition")
    if case.state not in t.sources:
        return deny(f"当前状态“{STATES.get(case.state, case.state)}”不能执行“{t.label}”", "wrong_state")
    if not allows(actor.role, t.permission):
        return deny(f"当前角色不能执行“{t.label}”", "role")
    if t.needs_reason and not reason.strip():
        return deny(f"“{t.label}”须填写理由", "reason_required")
    for guard in t.guards:
        verdict = GUARDS[guard](actor, case)
        if not verdict:
            return verdict
    return ALLOW


def available(actor: Actor, case: CaseView) -> list[tuple[Transition, Verdict]]:
    """Transitions from the case's state that the actor's role may take by hand, each with its verdict.

    Service-only moves (``service_only``: payments, bank returns, lapses) are left out: services make them."""
    out = []
    for t in TRANSITIONS.values():
        if case.state in t.sources and allows(actor.role, t.permission) and not t.service_only:
            out.append((t, check(t.name, actor, case, reason="—" if t.needs_reason else "")))
    return out
