"""Failed and returned payments: the bank's return reverses the posting first, a corrected account needs a
second person, and a new run pays the award again — exactly once in the end, every step audited."""

from __future__ import annotations

import pytest
from tests.integration.money.conftest import AFTER_PUBLICITY
from tests.integration.money.test_workflow import _to_publicity

from srdi.db.models import AuditEvent, BudgetAccount, Case, LedgerEntry, Payment, PaymentReturn
from srdi.services.bank_accounts import AccountChangeError, decide_change, request_change
from srdi.services.cases import transition
from srdi.services.matters import net_paid
from srdi.services.payments import (
    PaymentConflict,
    create_payment_run,
    disburse,
    execute_payment_run,
    payment_key,
    record_bank_return,
)

pytestmark = pytest.mark.django_db
AWARD = 200_000_000


def _paid(world) -> Case:
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    assert execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"]).paid == [
        case.pk
    ]
    return Case.objects.get(pk=case.pk)


def _budgets(world) -> tuple[int, int]:
    rows = BudgetAccount.objects.filter(programme=world.programme)
    return sum(b.used_fen for b in rows), sum(b.paid_fen for b in rows)


def test_a_returned_payment_is_reversed_corrected_by_two_people_and_paid_exactly_once(world):
    u = world.users
    case = _paid(world)
    first = Payment.objects.get(case=case)
    assert _budgets(world) == (AWARD, AWARD)

    returned = record_bank_return(first.pk, u["finance"], reason="收款账户已销户")
    case.refresh_from_db()
    assert (case.state, case.awaiting_account, case.approved_fen) == ("payment_failed", True, AWARD)
    assert returned.entry.kind == "reverse" and returned.entry.reverses_id == first.entry_id
    assert returned.entry.amount_fen == AWARD
    assert _budgets(world) == (AWARD, 0)  # still committed, no longer paid
    assert net_paid(case.enterprise_id, case.matter) == 0
    with pytest.raises(PaymentConflict, match="已登记"):
        record_bank_return(first.pk, u["finance"], reason="再次登记")

    # Waiting for a corrected account: a new run leaves the case alone.
    assert create_payment_run(u["finance"], world.programme).cases.count() == 0

    change = request_change(
        case.pk,
        u["enterprise"],
        account_name="杭州测试0有限公司",
        bank_name="杭州银行滨江支行",
        account_number="6222 0202 0000 5678",
    )
    with pytest.raises(AccountChangeError, match="由区县、市级或资金管理人员确认"):
        decide_change(change.pk, change.requested_by, confirm=True)  # the enterprise cannot confirm its own
    with pytest.raises(AccountChangeError, match="权限范围"):
        decide_change(change.pk, u["other_district"], confirm=True)
    decide_change(change.pk, u["district"], confirm=True)
    case.refresh_from_db()
    assert (case.bank_account_number, case.awaiting_account) == ("6222020200005678", False)

    run = create_payment_run(u["finance"], world.programme)
    assert payment_key(case) == f"case-{case.pk}-award-2"
    assert execute_payment_run(run, u["finance"]).paid == [case.pk]
    assert execute_payment_run(run, u["finance"]).paid == []  # a re-run pays nothing
    payments = list(Payment.objects.filter(case=case).order_by("attempt"))
    assert [(p.attempt, p.amount_fen, p.bank_account_number) for p in payments] == [
        (1, AWARD, "6222020200001234"),
        (2, AWARD, "6222020200005678"),
    ]
    assert net_paid(case.enterprise_id, case.matter) == AWARD
    assert _budgets(world) == (AWARD, AWARD)
    # Replaying the first attempt's key returns the first payment; it never pays again.
    replay = disburse(case.pk, AWARD, f"case-{case.pk}-award", actor=u["finance"])
    assert replay.replayed and replay.payment.pk == payments[0].pk
    assert LedgerEntry.objects.filter(case=case, kind="pay").count() == 2
    assert LedgerEntry.objects.filter(case=case, kind="reverse").count() == 1
    logged = set(
        AuditEvent.objects.filter(object_type__in=("payment", "account_change"), success=True).values_list(
            "object_repr", flat=True
        )
    )
    assert any("银行退回" in text for text in logged) and any("已确认" in text for text in logged)


def test_a_payment_the_bank_refused_waits_for_a_confirmed_account(world):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    Case.objects.filter(pk=case.pk).update(bank_account_number="")  # the bank will refuse this line
    assert execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"]).failed == [
        case.pk
    ]
    assert Case.objects.get(pk=case.pk).awaiting_account
    assert create_payment_run(u["finance"], world.programme).cases.count() == 0
    change = request_change(
        case.pk, u["district"], account_name="甲", bank_name="杭州银行", account_number="62220202000077"
    )
    with pytest.raises(AccountChangeError, match="另一人确认"):
        decide_change(change.pk, u["district"], confirm=True)
    decide_change(change.pk, u["finance"], confirm=True)
    assert execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"]).paid == [
        case.pk
    ]
    assert Payment.objects.get(case=case).attempt == 1  # the failed line never paid: still the first attempt


def test_only_finance_records_a_return_and_a_refused_change_keeps_the_case_waiting(world):
    u = world.users
    case = _paid(world)
    payment = Payment.objects.get(case=case)
    for who in ("city_staff", "district", "enterprise", "auditor"):
        with pytest.raises(PaymentConflict, match="资金管理"):
            record_bank_return(payment.pk, u[who], reason="x")
    with pytest.raises(PaymentConflict, match="原因"):
        record_bank_return(payment.pk, u["finance"], reason="  ")
    assert not PaymentReturn.objects.exists()
    record_bank_return(payment.pk, u["finance"], reason="户名不符")
    change = request_change(
        case.pk, u["enterprise"], account_name="乙", bank_name="丙", account_number="62220202000088"
    )
    with pytest.raises(AccountChangeError, match="待确认"):
        request_change(
            case.pk, u["district"], account_name="乙", bank_name="丙", account_number="62220202000089"
        )
    with pytest.raises(AccountChangeError, match="理由"):
        decide_change(change.pk, u["district"], confirm=False)
    decide_change(change.pk, u["district"], confirm=False, reason="开户证明与户名不一致")
    assert Case.objects.get(pk=case.pk).awaiting_account
    with pytest.raises(AccountChangeError, match="8–32位数字"):
        request_change(case.pk, u["enterprise"], account_name="乙", bank_name="丙", account_number="12ab")


def test_a_return_of_the_first_payment_after_a_paid_top_up_is_paid_again_within_the_matter(world):
    """Case A paid 100万; its top-up B (best 200万) paid 100万; then A's payment comes back: A may be paid again,
    because the matter's highest approved entitlement (200万) still covers it — and never more."""
    from datetime import date

    from srdi.db.models import Event
    from srdi.services.programmes import create_programme, generate_offers

    u = world.users
    first = world.case(world.enterprises[0])
    event = Event.objects.get(pk=first.event_id)
    event.payload = {**event.payload, "eligible_investment_since_2023_fen": 500_000_000}
    event.save(update_fields=["payload"])
    _to_publicity(world, first)
    transition(first.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"])
    event.payload = {**event.payload, "eligible_investment_since_2023_fen": 1_000_000_000}
    event.save(update_fields=["payload"])
    later = create_programme(
        code="second",
        name="第二批",
        article=9,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=10**11,
        district_budget_fen=10**11,
        actor=u["city_admin"],
    )
    generate_offers(later, actor=u["city_admin"])
    top_up = Case.objects.get(programme=later, enterprise=first.enterprise)
    _to_publicity(world, top_up)
    transition(top_up.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    execute_payment_run(create_payment_run(u["finance"], later), u["finance"])
    assert net_paid(first.enterprise_id, first.matter) == AWARD
    record_bank_return(Payment.objects.get(case=first).pk, u["finance"], reason="账户冻结")
    change = request_change(
        first.pk, u["enterprise"], account_name="甲", bank_name="乙", account_number="62220202000055"
    )
    decide_change(change.pk, u["district"], confirm=True)
    run = create_payment_run(u["finance"], world.programme)
    assert execute_payment_run(run, u["finance"]).paid == [first.pk]
    assert net_paid(first.enterprise_id, first.matter) == AWARD


@pytest.mark.ledger_unchecked
def test_a_line_that_would_overpay_its_matter_fails_alone_and_the_run_goes_on(world):
    from datetime import date

    from srdi.services import ledger
    from srdi.services.cases import budgets_for
    from srdi.services.programmes import create_programme

    u = world.users
    cases = [world.case(e) for e in world.enterprises[:2]]
    for case in cases:
        Case.objects.filter(pk=case.pk).update(
            state="publicity",
            bank_account_name="甲",
            bank_name="乙",
            bank_account_number="62220202000012",
            district_reviewer=u["district"],
            city_reviewer=u["city_staff"],
            publicity_ends_on=date(2025, 1, 1),
        )
        transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    # A writer that bypasses the services already paid 1 fen for the first case's matter under a closed case.
    other = create_programme(
        code="bypass",
        name="绕过",
        article=9,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=10**9,
        actor=u["city_admin"],
    )
    fields = {
        f: getattr(cases[0], f) for f in ("enterprise_id", "matter", "title", "origin", "district_code")
    }
    rogue = Case.objects.create(programme=other, state="paid", approved_fen=1, entitlement_fen=1, **fields)
    city, _ = budgets_for(rogue)
    ledger.commit([ledger.Share(city, 1)], case=rogue)
    entry = ledger.pay([ledger.Share(city, 1)], case=rogue, idempotency_key="rogue")
    Payment.objects.create(
        case=rogue,
        idempotency_key="rogue",
        request_hash="x",
        amount_fen=1,
        city_fen=1,
        district_fen=0,
        entry=entry,
        paid_at=cases[0].updated_at,
        bank_account_number="1",
    )
    result = execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"])
    assert (result.paid, result.failed) == ([cases[1].pk], [cases[0].pk])
    failed = Case.objects.get(pk=cases[0].pk)
    assert failed.state == "payment_failed" and "超过该事项应兑现总额" in failed.last_reason
    assert not Payment.objects.filter(case=failed).exists()
