"""Approval amounts: a top-up over an earlier payment for the same matter is approved exactly once net of that
payment (从优、就高、不重复), never above best − paid; an amount of 0 or below is a refusal with a reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.integration.money.conftest import AFTER_PUBLICITY
from tests.integration.money.test_workflow import _to_publicity

from srdi.db.models import AuditEvent, Case, Payment
from srdi.services.cases import TransitionRefused, transition
from srdi.services.payments import create_payment_run, execute_payment_run
from srdi.services.programmes import create_programme

pytestmark = pytest.mark.django_db

BEST = 200_000_000  # the world's award: 1000万 eligible investment × 20%


def _pay_earlier(world, case: Case, paid_fen: int) -> Payment:
    """Pay ``paid_fen`` for the same matter under a case of another programme (an earlier batch)."""
    u = world.users
    earlier = create_programme(
        code="hz81-9-2025-earlier",
        name="2025年技改补助（前一批）",
        article=9,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=10**11,
        district_budget_fen=10**11,
        actor=u["city_admin"],
    )
    other = Case.objects.create(
        programme=earlier,
        enterprise=case.enterprise,
        event=case.event,
        matter=case.matter,
        title="前一批次 " + case.title,
        origin="offer",
        state="publicity",
        district_code=case.district_code,
        entitlement_status="granted",
        entitlement_fen=BEST,
        entitlement_trace=case.entitlement_trace,
        bank_account_name="甲",
        bank_name="乙",
        bank_account_number="62220202000012",
        district_reviewer=u["district"],
        city_reviewer=u["city_staff"],
        publicity_starts_on=date.today() - timedelta(days=20),
        publicity_ends_on=date.today() - timedelta(days=10),
    )
    transition(other.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=paid_fen)
    run = create_payment_run(u["finance"], earlier)
    assert execute_payment_run(run, u["finance"]).paid == [other.pk]
    return Payment.objects.get(case=other)


def _refusals(case: Case, code: str) -> int:
    return AuditEvent.objects.filter(
        object_type="case", object_id=str(case.pk), success=False, extra__code=code
    ).count()


@pytest.mark.parametrize("paid", [100_000_000, 50_000_000, 1])
@pytest.mark.parametrize("typed", [True, False])
def test_a_top_up_is_approved_exactly_once_net_of_the_earlier_payment(world, paid, typed):
    u = world.users
    case = world.case(world.enterprises[0])
    assert case.entitlement_fen == BEST
    _to_publicity(world, case)
    _pay_earlier(world, case, paid)
    top_up = BEST - paid
    # One fen more than the top-up is refused (and audited) …
    with pytest.raises(TransitionRefused) as refused:
        transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=top_up + 1)
    assert refused.value.verdict.code == "over_entitlement"
    assert _refusals(case, "over_entitlement") == 1
    assert Case.objects.get(pk=case.pk).state == "publicity"
    # … the exact top-up, typed or left empty, is approved.
    transition(
        case.pk,
        u["city_admin"],
        "approve",
        on=AFTER_PUBLICITY,
        requested_fen=top_up if typed else None,
    )
    case.refresh_from_db()
    assert case.state == "approved"
    assert case.approved_fen == case.entitlement_fen == top_up
    assert case.paid_for_matter_fen == paid
    assert case.city_fen + case.district_fen == top_up
    # Never more for the matter than the best award.
    run = create_payment_run(u["finance"], world.programme)
    execute_payment_run(run, u["finance"])
    total = sum(
        Payment.objects.filter(case__enterprise=case.enterprise, case__matter=case.matter).values_list(
            "amount_fen", flat=True
        )
    )
    assert total == BEST


def test_a_lower_top_up_may_be_typed(world):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    _pay_earlier(world, case, 50_000_000)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=120_000_000)
    case.refresh_from_db()
    assert (case.state, case.approved_fen, case.entitlement_fen) == ("approved", 120_000_000, 150_000_000)


def test_a_matter_paid_in_full_is_refused_as_already_paid(world):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    _pay_earlier(world, case, BEST)
    for requested in (None, 1):
        with pytest.raises(TransitionRefused, match="足额兑现") as refused:
            transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=requested)
        assert refused.value.verdict.code == "already_paid"
    assert Case.objects.get(pk=case.pk).state == "publicity"


@pytest.mark.parametrize("requested", [0, -1, -100_000_000])
def test_an_amount_of_zero_or_below_is_a_refusal_with_a_reason(world, requested):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    with pytest.raises(TransitionRefused, match="大于 0") as refused:
        transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=requested)
    assert refused.value.verdict.code == "amount_not_positive"
    assert _refusals(case, "amount_not_positive") == 1
    case.refresh_from_db()
    assert (case.state, case.approved_fen) == ("publicity", None)
    assert not case.ledger.exists()
    # The same approver may then approve a valid amount.
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=BEST)
    assert Case.objects.get(pk=case.pk).approved_fen == BEST
