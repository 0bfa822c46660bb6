"""One matter, one award, across programmes (从优、就高、不重复): the database keeps one open case per enterprise and
matter, offers and applications name the case that holds a matter, a paid matter is only topped up, and
ledger invariant I7 finds a matter paid above its highest approved entitlement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from tests.integration.money.conftest import AFTER_PUBLICITY
from tests.integration.money.test_workflow import _to_publicity

from srdi.db.models import Case, Event, Payment
from srdi.services import ledger
from srdi.services.cases import TransitionRefused, transition
from srdi.services.ledger_verify import check_matters
from srdi.services.payments import create_payment_run, execute_payment_run
from srdi.services.programmes import (
    ProgrammeError,
    close_programme,
    create_programme,
    generate_offers,
    start_application,
)

pytestmark = pytest.mark.django_db
BEST = 200_000_000


def _programme(world, code: str, mode: str = "both", opens: date | None = None, closes: date | None = None):
    today = date.today()
    return create_programme(
        code=code,
        name=f"技改补助 {code}",
        article=9,
        year=2025,
        opens_on=opens or today - timedelta(days=10),
        closes_on=closes or today + timedelta(days=10),
        city_budget_fen=10**11,
        district_budget_fen=10**11,
        mode=mode,
        actor=world.users["city_admin"],
    )


def test_three_programmes_for_one_measure_give_each_matter_one_case(world):
    second, third = _programme(world, "p2"), _programme(world, "p3")
    for programme in (second, third):
        summary = generate_offers(programme, actor=world.users["city_admin"])
        assert summary.created == 0 and summary.existing == 0 and len(summary.held) == 3
        for enterprise, line in zip(world.enterprises, summary.held, strict=True):
            holder = world.case(enterprise)
            assert f"事项 #{holder.pk}（{world.programme.name}" in line
    assert Case.objects.filter(enterprise__in=world.enterprises).count() == 3
    # Running the offers of the first programme again changes nothing either.
    again = generate_offers(world.programme, actor=world.users["city_admin"])
    assert (again.created, again.existing, again.held) == (0, 3, [])


def test_an_application_for_a_matter_held_elsewhere_is_refused_naming_the_case(world):
    holder = world.case(world.enterprises[0])
    other = _programme(world, "apply", mode="application")
    with pytest.raises(ProgrammeError, match=rf"事项 #{holder.pk}（.*待企业确认") as refused:
        start_application(other, world.users["enterprise"], holder.event)
    assert "不能重复兑现" in str(refused.value)
    assert not Case.objects.filter(programme=other).exists()
    # Once the offer is declined, the matter is free: the application opens one case.
    transition(holder.pk, world.users["enterprise"], "decline")
    case = start_application(other, world.users["enterprise"], holder.event)
    assert case.state == "draft" and case.matter == holder.matter
    assert (
        start_application(other, world.users["enterprise"], holder.event).pk == case.pk
    )  # twice: same draft


def test_the_database_refuses_a_second_open_case_whoever_writes_it(world):
    holder = world.case(world.enterprises[0])
    other = _programme(world, "raw")
    fields = {f: getattr(holder, f) for f in ("enterprise_id", "matter", "title", "origin", "district_code")}
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(programme=other, state="draft", **fields)
    # A closed case for the same matter may exist beside it (history), but it cannot be reopened.
    closed = Case.objects.create(programme=other, state="rejected", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=closed.pk).update(state="district_review")


def test_closing_a_programme_lapses_unsubmitted_offers_and_frees_their_matters(world):
    u = world.users
    confirmed = world.case(world.enterprises[1])
    Case.objects.filter(pk=confirmed.pk).update(
        state="district_review", bank_account_name="甲", bank_name="乙", bank_account_number="62220202000099"
    )
    lapsed = close_programme(world.programme, u["city_staff"], reason="2025年度批次结束")
    assert lapsed == 2
    states = {c.pk: c.state for c in Case.objects.filter(programme=world.programme)}
    assert states[confirmed.pk] == "district_review"  # submitted cases go on
    assert sorted(states.values()) == ["district_review", "lapsed", "lapsed"]
    with pytest.raises(ProgrammeError, match="已结束"):
        generate_offers(world.programme, actor=u["city_admin"])
    later = _programme(world, "next")
    summary = generate_offers(later, actor=u["city_admin"])
    assert summary.created == 2 and len(summary.held) == 1 and f"#{confirmed.pk}" in summary.held[0]


def test_a_confirmation_after_the_programme_closed_is_refused(world):
    case = world.case(world.enterprises[0])
    Case.objects.filter(pk=case.pk).update(
        bank_account_name="甲", bank_name="乙", bank_account_number="6222020200"
    )
    world.programme.status = "closed"
    world.programme.save(update_fields=["status"])
    with pytest.raises(TransitionRefused, match="该批次未在受理") as refused:
        transition(case.pk, world.users["enterprise"], "confirm")
    assert refused.value.verdict.code == "programme_closed"


def test_a_higher_entitlement_later_is_paid_as_the_difference_only(world):
    u = world.users
    first = world.case(world.enterprises[0])
    _to_publicity(world, first)
    transition(first.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"])
    # The audited investment grows: 1,500万 × 20% = 300万 is now due for the same project.
    event = Event.objects.get(pk=first.event_id)
    event.payload = {**event.payload, "eligible_investment_since_2023_fen": 1_500_000_000}
    event.save(update_fields=["payload"])
    later = _programme(world, "second-batch")
    summary = generate_offers(later, actor=u["city_admin"])
    top_up = Case.objects.get(programme=later, enterprise=first.enterprise)
    assert summary.created == 1 and top_up.entitlement_fen == 300_000_000 - BEST
    _to_publicity(world, top_up)
    transition(top_up.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    execute_payment_run(create_payment_run(u["finance"], later), u["finance"])
    paid = Payment.objects.filter(case__enterprise=first.enterprise, case__matter=first.matter)
    assert sorted(p.amount_fen for p in paid) == [100_000_000, BEST]
    assert sum(p.amount_fen for p in paid) == 300_000_000
    assert check_matters().ok


@pytest.mark.ledger_unchecked
def test_ledger_verify_names_a_matter_paid_above_its_highest_approved_entitlement(world):
    u = world.users
    first = world.case(world.enterprises[0])
    _to_publicity(world, first)
    transition(first.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"])
    assert check_matters().ok
    # A writer that bypasses the services: a second, closed case of the same matter with a payment of its own.
    other = _programme(world, "bypass")
    fields = {f: getattr(first, f) for f in ("enterprise_id", "matter", "title", "origin", "district_code")}
    rogue = Case.objects.create(programme=other, state="paid", approved_fen=1, entitlement_fen=1, **fields)
    from srdi.services.cases import budgets_for

    city, _ = budgets_for(rogue)
    ledger.commit([ledger.Share(city, 100)], case=rogue)
    entry = ledger.pay([ledger.Share(city, 100)], case=rogue, idempotency_key="rogue")
    Payment.objects.create(
        case=rogue,
        idempotency_key="rogue",
        request_hash="x",
        amount_fen=100,
        city_fen=100,
        district_fen=0,
        entry=entry,
        paid_at=first.updated_at,
        bank_account_number="1",
    )
    result = check_matters()
    assert not result.ok
    assert result.violations == [
        f"企业 #{first.enterprise_id} 事项 {first.matter}：已拨付 ¥2,000,001.00，超过批准过的最高应兑现额 ¥2,000,000.00"
    ]


def test_a_returned_application_lapses_when_its_programme_closes_and_a_draft_can_be_withdrawn(world):
    u = world.users
    returned = world.case(world.enterprises[0])
    Case.objects.filter(pk=returned.pk).update(state="returned")
    close_programme(world.programme, u["city_staff"])
    assert Case.objects.get(pk=returned.pk).state == "lapsed"
    other = _programme(world, "withdraw", mode="application")
    draft = start_application(other, u["enterprise"], returned.event)
    transition(draft.pk, u["enterprise"], "withdraw")
    assert Case.objects.get(pk=draft.pk).state == "declined"
    again = _programme(world, "again", mode="application")
    assert start_application(again, u["enterprise"], returned.event).state == "draft"  # the matter was freed
