"""One matter under concurrency (SQLite and PostgreSQL): the same project applied for through three programmes by
three users at the same moment, or offered by three programmes at once, yields exactly one payable case; a
higher entitlement later is paid as the difference only."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import connections
from tests.integration.money.conftest import AFTER_PUBLICITY, build_world

from srdi.db.models import Case, Event, Payment
from srdi.services.accounts import create_user
from srdi.services.cases import transition, update_claim
from srdi.services.ledger_verify import verify_all
from srdi.services.payments import create_payment_run, execute_payment_run
from srdi.services.programmes import (
    ProgrammeError,
    close_programme,
    create_programme,
    generate_offers,
    start_application,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _programmes(world, n: int, mode: str) -> list:
    today = date.today()
    return [
        create_programme(
            code=f"race-{mode}-{i}",
            name=f"技改补助（第{i}批）",
            article=9,
            year=2025,
            opens_on=today - timedelta(days=5),
            closes_on=today + timedelta(days=5),
            city_budget_fen=10**11,
            district_budget_fen=10**11,
            mode=mode,
            actor=world.users["city_admin"],
        )
        for i in range(1, n + 1)
    ]


def _at_once(calls):
    """Run the calls from as many threads, released together; (results, errors) with unexpected errors raised."""
    barrier = threading.Barrier(len(calls))
    results, refusals = [], []
    lock = threading.Lock()

    def work(call):
        try:
            barrier.wait()
            for _ in range(20):
                try:
                    outcome = call()
                except ProgrammeError as exc:
                    with lock:
                        refusals.append(str(exc))
                    return
                except Exception as exc:  # a writer that found the database locked tries again
                    if "locked" in str(exc).lower() or "deadlock" in str(exc).lower():
                        continue
                    raise
                with lock:
                    results.append(outcome)
                return
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        for future in [pool.submit(work, c) for c in calls]:
            future.result()
    return results, refusals


def _world_without_open_offers():
    world = build_world(n=1)
    close_programme(world.programme, world.users["city_admin"])  # its offer lapses: the matter is free
    return world


def _pay(world, case: Case) -> None:
    u = world.users
    owner = Case.objects.get(pk=case.pk)
    if owner.state == "draft":
        update_claim(
            case.pk,
            u["enterprise"],
            bank_account_name="甲",
            bank_name="杭州银行",
            bank_account_number="6222020200001234",
        )
        transition(case.pk, u["enterprise"], "submit")
        transition(case.pk, u["district"], "accept")
    else:
        update_claim(
            case.pk,
            u["enterprise"],
            bank_account_name="甲",
            bank_name="杭州银行",
            bank_account_number="6222020200001234",
        )
        transition(case.pk, u["enterprise"], "confirm")
    transition(case.pk, u["district"], "district_pass")
    transition(case.pk, u["city_staff"], "city_pass")
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    execute_payment_run(create_payment_run(u["finance"], owner.programme), u["finance"])


def test_the_same_project_applied_for_through_three_programmes_at_once_yields_one_payable_case():
    world = _world_without_open_offers()
    enterprise = world.enterprises[0]
    event = Event.objects.get(enterprise=enterprise, kind="tech_renovation")
    users = [world.users["enterprise"]] + [
        create_user(
            username=f"w_ent_{i}",
            password="x",
            role="enterprise",
            enterprise_uscc=enterprise.uscc,
            check_password=False,
        )
        for i in (2, 3)
    ]
    programmes = _programmes(world, 3, "application")
    calls = [
        (lambda p=p, user=user: start_application(p, user, event))
        for p, user in zip(programmes, users, strict=True)
    ]
    cases, refusals = _at_once(calls)
    assert len(cases) == 1 and len(refusals) == 2
    (case,) = cases
    assert all(f"事项 #{case.pk}" in r and "不能重复兑现" in r for r in refusals)
    live = Case.objects.filter(enterprise=enterprise, programme__in=programmes)
    assert list(live.values_list("pk", flat=True)) == [case.pk]
    _pay(world, case)
    assert Payment.objects.filter(case__enterprise=enterprise).count() == 1

    # A higher entitlement later (the audited investment grew to 1,600万: 320万) is a top-up of 120万 only.
    event.payload = {**event.payload, "eligible_investment_since_2023_fen": 1_600_000_000}
    event.save(update_fields=["payload"])
    for p in programmes:
        close_programme(p, world.users["city_admin"])
    later = _programmes(world, 3, "offer")
    made, _ = _at_once([(lambda p=p: generate_offers(p, actor=world.users["city_admin"])) for p in later])
    assert sum(s.created for s in made) == 1
    top_up = Case.objects.get(enterprise=enterprise, programme__in=later)
    assert top_up.entitlement_fen == 120_000_000
    _pay(world, top_up)
    paid = sorted(Payment.objects.filter(case__enterprise=enterprise).values_list("amount_fen", flat=True))
    assert paid == [120_000_000, 200_000_000]
    assert all(check.ok for check in verify_all()), [c.violations for c in verify_all() if not c.ok]


def test_three_programmes_offering_at_once_make_one_case_per_matter():
    world = build_world(n=4)
    close_programme(world.programme, world.users["city_admin"])
    programmes = _programmes(world, 3, "offer")
    summaries, refusals = _at_once(
        [(lambda p=p: generate_offers(p, actor=world.users["city_admin"])) for p in programmes]
    )
    assert not refusals
    assert sum(s.created for s in summaries) == 4
    assert sum(len(s.held) for s in summaries) == 8
    for enterprise in world.enterprises:
        assert Case.objects.filter(enterprise=enterprise, programme__in=programmes).count() == 1
