"""Demo programmes, cases in every state, paid awards and vouchers — a living system for ``make run``.

Use ``create_demo_money(lines)`` after the demo enterprises and accounts exist. Everything goes through the
real services (offers, transitions with their guards, the ledger, payment runs, vouchers), so ``srdi ledger
verify`` has real entries to check. Approvals are dated after the publicity period (a simulated clock).

The 第9条 programme has each district's own budget, suggested by the engine (unequal), with 淳安县 paid in full
by the city (district budget 0). A second 第9条 batch then shows one matter across programmes: a paid project
whose audited investment grew gets a top-up offer for the difference, confirmed and waiting at district review
with its earlier payment flagged; and one payment comes back from the bank, its corrected account waiting for
a second person's confirmation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction

from srdi.db.models import Case, Enterprise, Event, Payment, Programme, Role, ServiceProvider, User
from srdi.domain.uscc import uscc_check_char
from srdi.domain.workflow.definition import TRANSITIONS
from srdi.services import budgets, case_batch
from srdi.services.bank_accounts import request_change
from srdi.services.cases import TransitionRefused, raise_objection, today, update_claim
from srdi.services.evidence import file_received_evidence
from srdi.services.payments import create_payment_run, execute_payment_run, record_bank_return
from srdi.services.programmes import create_programme, generate_offers
from srdi.services.vouchers import VoucherError, issue_voucher, redeem

WAN = 1_000_000
# A one-page blank PDF filed as the demo cases' 项目审计报告 (only filed documents satisfy required evidence).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PROGRAMMES = (
    # code, name, article, city budget (万元), district budget per district (万元; None: each district's own,
    # suggested by the engine, with CITY_PAYS_ALL paid in full by the city)
    ("hz81-3-2025", "2025年度首次认定奖励（第3条）", 3, 5000, 500),
    ("hz81-9-2025", "2025年度专精特新技改补助（第9条）", 9, 60000, None),
    ("hz81-22-2025", "2025年度数字化转型攻关补助（第22条）", 22, 2000, 200),
)
CITY_PAYS_ALL = ["330127"]  # 淳安县: the city bears the whole award in the demo's 第9条 programme
SECOND_BATCH = ("hz81-9-2025-2", "2025年度专精特新技改补助（第9条·第二批）")
# The state each offer is taken to, round-robin, so that every state appears.
TARGETS = (
    "offered",
    "district_review",
    "city_review",
    "publicity",
    "approved",
    "paid",
    "paid",
    "paid",
    "payment_failed",
    "returned",
    "rejected",
    "declined",
    "payment_scheduled",
)
ORDER = ("offered", "district_review", "city_review", "publicity", "approved", "payment_scheduled", "paid")


def _user(name: str) -> User:
    return User.objects.get(username=name)


def _owner(case: Case) -> User:
    found = User.objects.filter(role=Role.ENTERPRISE, enterprise_id=case.enterprise_id).first()
    if found is None:
        found = User.objects.create(
            username=f"ent_{case.enterprise.uscc.lower()}",
            role=Role.ENTERPRISE,
            enterprise_id=case.enterprise_id,
            organisation=case.enterprise.name,
        )
        found.set_unusable_password()  # history only: nobody signs in as these
        found.save(update_fields=["password"])
    return found


def _district_reviewer(case: Case) -> User:
    return User.objects.filter(role=Role.DISTRICT_STAFF, district_id=case.district_code).first() or _user(
        "city_reviewer"
    )


def _claim_all(cases: list[Case], owners: dict[int, User]) -> list[Case]:
    """The enterprise fills in its bank account on each case (``update_claim``, one commit per chunk); the cases
    whose claim was accepted."""
    kept: list[Case] = []
    for start in range(0, len(cases), case_batch.CHUNK):
        with transaction.atomic():
            for case in cases[start : start + case_batch.CHUNK]:
                try:
                    update_claim(
                        case.pk,
                        owners[case.pk],
                        bank_account_name=case.enterprise.name,
                        bank_name="杭州银行",
                        bank_account_number=f"62220202{case.pk:010d}",
                    )
                except TransitionRefused:
                    continue
                kept.append(case)
    return kept


Say = Callable[[str], None]


def _quiet(_line: str) -> None:
    return None


def _step(
    cases: list[Case],
    name: str,
    actor: Callable[[Case], User],
    *,
    reason: str = "",
    on: date | None = None,
    say: Say = _quiet,
) -> list[Case]:
    """One transition on every case (``case_batch.transition_many``: the guards of ``transition``, one case at a
    time, audit events in chunks); the cases that moved, in order (a refused one stops there quietly). Progress
    (``n/N``) goes to ``say`` after each chunk."""
    if not cases:
        return []
    done = 0
    label = TRANSITIONS[name].label

    def advance(k: int) -> None:
        nonlocal done
        done += k
        say(f"  {label}：{done}/{len(cases)} 件")

    result = case_batch.transition_many(
        [(c.pk, actor(c)) for c in cases], name, reason=reason, on=on, progress=advance
    )
    return [c for c in cases if c.pk not in result.refused]


def _drive_all(cases: list[Case], target: str, after_publicity: date, say: Say = _quiet) -> None:
    """Take every case as far as ``target`` with the real transitions, one step for all of them at a time (a
    case a guard refuses stops where it is)."""
    if not cases or target == "offered":
        return
    owners = {case.pk: _owner(case) for case in cases}  # created in case order, as a person would first act
    reviewers: dict[str, User] = {}

    def reviewer(case: Case) -> User:
        if case.district_code not in reviewers:
            reviewers[case.district_code] = _district_reviewer(case)
        return reviewers[case.district_code]

    if target == "declined":
        _step(cases, "decline", lambda c: owners[c.pk], say=say)
        return
    cases = _step(_claim_all(cases, owners), "confirm", lambda c: owners[c.pk], say=say)
    if target in ("returned", "rejected"):
        reason = "请补充项目审计报告" if target == "returned" else "项目不属于技改范围"
        _step(cases, "return" if target == "returned" else "reject", reviewer, reason=reason, say=say)
        return
    wanted = ORDER.index(target if target in ORDER else "approved")
    if wanted >= ORDER.index("city_review"):
        cases = _step(cases, "district_pass", reviewer, say=say)
    if wanted >= ORDER.index("publicity"):
        city_staff = _user("city_staff")
        cases = _step(cases, "city_pass", lambda _c: city_staff, say=say)
    if wanted >= ORDER.index("approved"):
        admin = _user("city_admin")
        _step(cases, "approve", lambda _c: admin, on=after_publicity, say=say)


def _drive(case: Case, target: str, after_publicity: date) -> None:
    """Take one case as far as ``target`` (stops quietly when a guard refuses)."""
    _drive_all([case], target, after_publicity)


def _targets(cases: list[Case]) -> dict[str, list[Case]]:
    grouped: dict[str, list[Case]] = {}
    for i, case in enumerate(cases):
        grouped.setdefault(TARGETS[i % len(TARGETS)], []).append(case)
    return grouped


def create_demo_money(lines: list[str], say: Say = _quiet) -> None:
    """Programmes, offers moved through every state, a paid payment run, a scheduled one, vouchers.

    Order matters because a payment run takes every approved (or failed) case of its programme: first the
    cases meant to wait in a scheduled run are approved and scheduled, then those meant to be paid (or to
    fail at the bank) are approved and paid, and only then those meant to stay approved.
    """
    admin = _user("city_admin")
    finance = _user("finance_demo")
    after = today() + timedelta(days=10)
    for code, name, article, city, district in PROGRAMMES:
        if Programme.objects.filter(code=code).exists():
            continue
        programme = create_programme(
            code=code,
            name=name,
            article=article,
            year=2025,
            opens_on=date(2025, 1, 1),
            closes_on=date(2025, 12, 31),
            city_budget_fen=city * WAN,
            district_budget_fen=district * WAN if district is not None else 0,
            district_budgets=None if district is not None else _own_district_budgets(article),
            city_pays_all=[] if district is not None else CITY_PAYS_ALL,
            publicity_days=5,
            required_evidence=[] if article == 3 else ["项目审计报告"],
            actor=admin,
        )
        summary = generate_offers(programme, actor=admin)
        lines.append(f"批次 {code}：免申即享要约 {summary.created} 个（数据不全 {summary.incomplete} 个）")
        say(lines[-1])
        cases = list(
            Case.objects.filter(programme=programme, missing=[]).select_related("enterprise").order_by("id")
        )
        if article != 3:
            file_received_evidence(
                cases, label="项目审计报告", filename="项目审计报告（演示）.pdf", data=DEMO_PDF
            )
        grouped = _targets(cases)
        for target in (
            "offered",
            "district_review",
            "city_review",
            "publicity",
            "returned",
            "rejected",
            "declined",
        ):
            _drive_all(grouped.get(target, []), target, after, say)
        _drive_all(grouped.get("payment_scheduled", []), "approved", after, say)
        if Case.objects.filter(programme=programme, state="approved").exists():
            waiting = create_payment_run(finance, programme, note="演示拨付（待执行）")
            lines.append(f"  拨付批次 #{waiting.pk}：待执行")
            say(lines[-1])
        _drive_all(grouped.get("paid", []) + grouped.get("payment_failed", []), "approved", after, say)
        Case.objects.filter(
            pk__in=[c.pk for c in grouped.get("payment_failed", [])], state="approved"
        ).update(bank_account_number="6222XXXX")  # the bank refuses a malformed account: a realistic failure
        if Case.objects.filter(programme=programme, state="approved").exists():
            run = create_payment_run(finance, programme, note="演示拨付")
            result = execute_payment_run(run, finance)
            lines.append(f"  拨付批次 #{run.pk}：成功 {len(result.paid)} 笔，失败 {len(result.failed)} 笔")
            say(lines[-1])
        _drive_all(grouped.get("approved", []), "approved", after, say)
        publicity = Case.objects.filter(programme=programme, state="publicity").first()
        if publicity is not None:
            raise_objection(
                publicity.pk, _user("city_staff"), name="群众来信", text="反映该项目投资额与实际不符，请核实"
            )
    _second_batch(lines, admin, finance, after)
    _demo_vouchers(lines, admin)


def _own_district_budgets(article: int) -> dict[str, int]:
    """Each district's own budget from the engine's estimate (plus a fifth, rounded up to 万元); the districts
    the city pays for in full (``CITY_PAYS_ALL``) come out at 0."""
    estimate = budgets.suggest("hz81", article, 2025, CITY_PAYS_ALL)
    return {code: -(-fen * 6 // 5 // WAN) * WAN for code, fen in estimate.districts.items()}


def _second_batch(lines: list[str], admin: User, finance: User, after: date) -> None:
    """One matter across programmes: a top-up offer at district review and a payment the bank sent back."""
    first = Programme.objects.filter(code="hz81-9-2025").first()
    if first is None or Programme.objects.filter(code=SECOND_BATCH[0]).exists():
        return
    paid = list(Case.objects.filter(programme=first, state="paid").order_by("id")[:2])
    if len(paid) < 2:
        return
    grown, returned = paid
    event = Event.objects.filter(pk=grown.event_id or 0).first()
    if event is None:
        return
    invested = int(event.payload.get("eligible_investment_since_2023_fen") or 0)
    event.payload = {**event.payload, "eligible_investment_since_2023_fen": invested * 3 // 2}
    event.save(update_fields=["payload"])  # the final audit found half as much again
    second = create_programme(
        code=SECOND_BATCH[0],
        name=SECOND_BATCH[1],
        article=9,
        year=2025,
        opens_on=date(2025, 7, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=20000 * WAN,
        district_budget_fen=1000 * WAN,
        publicity_days=5,
        actor=admin,
    )
    summary = generate_offers(
        second, actor=admin, enterprises=Enterprise.objects.filter(pk=grown.enterprise_id)
    )
    top_up = Case.objects.filter(programme=second, enterprise_id=grown.enterprise_id).first()
    if top_up is not None:
        _drive(top_up, "district_review", after)
    lines.append(f"批次 {SECOND_BATCH[0]}：差额补足要约 {summary.created} 个（同一事项已拨付，待区县审核）")
    payment = Payment.objects.get(case=returned, bank_return__isnull=True)
    record_bank_return(payment.pk, finance, reason="收款账户已销户")
    request_change(
        returned.pk,
        _owner(returned),
        account_name=returned.enterprise.name,
        bank_name="杭州银行科技支行",
        account_number=f"62220203{returned.pk:010d}",
        note="原账户已销户，更换基本户",
    )
    lines.append(f"  事项 #{returned.pk}：拨付被银行退回，更正后的收款账户待另一人确认")


def _provider_uscc() -> str:
    first17 = "91330108MA2DEM881"
    return first17 + uscc_check_char(first17)


def _demo_vouchers(lines: list[str], admin: User) -> None:
    if Programme.objects.filter(code="hz81-25-2025").exists():
        return
    programme = create_programme(
        code="hz81-25-2025",
        name="2025年度专精特新服务券（第25条）",
        article=25,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=1000 * WAN,
        publicity_days=0,
        actor=admin,
    )
    provider = ServiceProvider.objects.create(
        name="杭州演示知识产权服务有限公司",
        uscc=_provider_uscc(),
        categories=["intellectual_property", "trademark_brand", "legal_tax"],
    )
    provider_user = User.objects.filter(username="provider_demo").first()
    if provider_user is not None:
        provider_user.provider = provider
        provider_user.save(update_fields=["provider"])
    issued = redeemed = 0
    srdi = (
        Enterprise.objects.filter(certifications__tier__in=("srdi_sme", "little_giant"))
        .distinct()
        .order_by("id")
    )
    categories = ["intellectual_property", "trademark_brand", "legal_tax", "certification_testing"]
    for i, enterprise in enumerate(srdi[:40]):
        try:
            voucher = issue_voucher(programme, enterprise, (2 + i % 4) * WAN, categories[i % 4], actor=admin)
        except VoucherError:
            continue
        issued += 1
        if provider_user is not None and i % 3 == 0 and voucher.category in provider.categories:
            with contextlib.suppress(VoucherError):
                redeem(
                    voucher.code,
                    provider_user,
                    service="专利布局与商标注册服务",
                    delivered_on=today(),
                    amount_fen=voucher.face_value_fen - (i % 2) * WAN // 2,
                )
                redeemed += 1
    lines.append(f"服务券：发放 {issued} 张，已核销 {redeemed} 张")
