"""Approval amounts: a top-up over an earlier payment for the same matter is approved exactly once net of that
payment (从优、就高、不重复), never above best − paid; an amount of 0 or below is a refusal with a reason."""

from __future__ import annotations

from datetime import date

import pytest
from tests.integration.money.conftest import AFTER_PUBLICITY
from tests.integration.money.test_workflow import _to_publicity

from srdi.db.models import AuditEvent, Case, Event, Payment
from srdi.services.cases import TransitionRefused, transition
from srdi.services.payments import create_payment_run, execute_payment_run
from srdi.services.programmes import create_programme, generate_offers

pytestmark = pytest.mark.django_db

BEST = 200_000_000  # the world's award: 1000万 eligible investment × 20%


def _programme(world, code: str, name: str):
    return create_programme(
        code=code,
        name=name,
        article=9,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=10**11,
        district_budget_fen=10**11,
        actor=world.users["city_admin"],
    )


def _top_up_case(world, paid_fen: int) -> Case:
    """Pay ``paid_fen`` for enterprise 0's project under the world's programme, then open a later programme:
    its 免申即享 offer for the same matter is the top-up, taken to 公示."""
    u = world.users
    earlier = world.case(world.enterprises[0])
    _to_publicity(world, earlier)
    transition(earlier.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=paid_fen)
    assert execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"]).paid == [
        earlier.pk
    ]
    later = _programme(world, "hz81-9-2025-second", "2025年技改补助（第二批）")
    summary = generate_offers(later, actor=u["city_admin"])
    assert summary.created == (1 if paid_fen < BEST else 0)
    case = Case.objects.get(programme=later, enterprise=world.enterprises[0])
    assert case.matter == earlier.matter and case.entitlement_fen == BEST - paid_fen
    _to_publicity(world, case)
    return case


def _refusals(case: Case, code: str) -> int:
    return AuditEvent.objects.filter(
        object_type="case", object_id=str(case.pk), success=False, extra__code=code
    ).count()


@pytest.mark.parametrize("paid", [100_000_000, 50_000_000, 1])
@pytest.mark.parametrize("typed", [True, False])
def test_a_top_up_is_approved_exactly_once_net_of_the_earlier_payment(world, paid, typed):
    u = world.users
    assert world.case(world.enterprises[0]).entitlement_fen == BEST
    case = _top_up_case(world, paid)
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
    assert case.matter_entitlement_fen == BEST
    assert case.city_fen + case.district_fen == top_up
    # Never more for the matter than the best award.
    run = create_payment_run(u["finance"], case.programme)
    execute_payment_run(run, u["finance"])
    total = sum(
        Payment.objects.filter(case__enterprise=case.enterprise, case__matter=case.matter).values_list(
            "amount_fen", flat=True
        )
    )
    assert total == BEST


def test_a_lower_top_up_may_be_typed(world):
    u = world.users
    case = _top_up_case(world, 50_000_000)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=120_000_000)
    case.refresh_from_db()
    assert (case.state, case.approved_fen, case.entitlement_fen) == ("approved", 120_000_000, 150_000_000)


def test_a_matter_paid_in_full_gets_no_second_case_and_names_the_paying_case(world):
    u = world.users
    first = world.case(world.enterprises[0])
    _to_publicity(world, first)
    transition(first.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"])
    later = _programme(world, "hz81-9-2025-second", "2025年技改补助（第二批）")
    summary = generate_offers(later, actor=u["city_admin"])
    # The paid matter is named with its payment; the other two are still held by the world's open offers.
    assert summary.created == 0 and len(summary.held) == 3
    assert f"#{first.pk} 兑现 ¥2,000,000.00" in summary.held[0] and "不能重复兑现" in summary.held[0]
    others = [world.case(e).pk for e in world.enterprises[1:]]
    assert all(
        f"#{pk}" in line and "正在办理" in line for pk, line in zip(others, summary.held[1:], strict=True)
    )
    assert not Case.objects.filter(programme=later).exists()


def test_a_top_up_whose_entitlement_fell_to_what_was_paid_is_refused_as_already_paid(world):
    u = world.users
    case = _top_up_case(world, 150_000_000)
    # The audited investment is corrected down: the best award is now exactly what was paid.
    event = Event.objects.get(pk=case.event_id)
    event.payload = {**event.payload, "eligible_investment_since_2023_fen": 750_000_000}
    event.save(update_fields=["payload"])
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
