"""Budgets under concurrency (SQLite and PostgreSQL): 1,000 approvals from 16 threads overspend by 0 fen;
payments sent 5 times at once with one key are paid once; a changed replay is refused."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import connection, connections
from tests.integration.money.conftest import build_world

from srdi.db.models import BudgetAccount, Case, Payment, Programme
from srdi.services import ledger
from srdi.services.cases import TransitionRefused, transition
from srdi.services.payments import PaymentConflict, create_payment_run, disburse

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
AFTER = date.today() + timedelta(days=30)


def _publicity_cases(world, n: int, amounts: list[int]) -> list[Case]:
    """n cases ready for approval (publicity over, reviewed by others), with the given entitlements."""
    template = world.case(world.enterprises[0])
    cases = []
    for i, amount in enumerate(amounts[:n]):
        cases.append(
            Case(
                programme=world.programme,
                enterprise=template.enterprise,
                matter=f"test|C{i}",
                title=f"并发测试 {i}",
                origin="offer",
                state="publicity",
                district_code=template.district_code,
                entitlement_status="granted",
                entitlement_fen=amount,
                entitlement_trace={"event": f"C{i}"},
                bank_account_name="甲",
                bank_name="乙",
                bank_account_number="62220202000012",
                district_reviewer=world.users["district"],
                city_reviewer=world.users["city_staff"],
                publicity_starts_on=date.today() - timedelta(days=20),
                publicity_ends_on=date.today() - timedelta(days=10),
            )
        )
    return Case.objects.bulk_create(cases)


def _approve_all(world, cases, threads=16):
    """Approve every case from ``threads`` threads; returns (approved ids, refused ids, unexpected errors)."""
    from srdi.services import case_entitlement

    approved, refused, errors = [], [], []
    lock = threading.Lock()
    approver = world.users["city_admin"]

    def fixed(case):  # the entitlement of these synthetic cases is their stored amount
        return case_entitlement.Entitlement("granted", case.entitlement_fen, case.entitlement_trace, 0, [])

    original = case_entitlement.current_entitlement
    case_entitlement.current_entitlement = fixed
    try:

        def work(case_id):
            try:
                for _attempt in range(5):
                    try:
                        transition(case_id, approver, "approve", on=AFTER)
                        with lock:
                            approved.append(case_id)
                        return
                    except TransitionRefused as exc:
                        with lock:
                            refused.append((case_id, exc.verdict.code))
                        return
                    except Exception as exc:
                        if "locked" in str(exc).lower() or "deadlock" in str(exc).lower():
                            continue
                        raise
            except Exception as exc:
                with lock:
                    errors.append(repr(exc))
            finally:
                connections.close_all()

        ids = [c.pk for c in cases]
        random.Random(4).shuffle(ids)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(work, ids))
    finally:
        case_entitlement.current_entitlement = original
    return approved, refused, errors


def test_a_thousand_concurrent_approvals_never_overspend():
    rng = random.Random(11)
    amounts = [
        rng.randrange(1_000_000, 3_000_000) * 2 for _ in range(1000)
    ]  # even: equal city/district halves
    total = sum(amounts)
    world = build_world(n=1, city_budget=total // 4, district_budget=total // 4)  # covers about half
    cases = _publicity_cases(world, 1000, amounts)
    approved, refused, errors = _approve_all(world, cases)
    assert not errors, errors[:3]
    assert len(approved) + len(refused) == 1000
    assert {code for _, code in refused} == {"budget"}
    city = BudgetAccount.objects.get(programme=world.programme, side="city")
    district = BudgetAccount.objects.get(programme=world.programme, side="district", district_code="330106")
    committed = sum(Case.objects.filter(pk__in=approved).values_list("approved_fen", flat=True))
    assert city.used_fen + district.used_fen == committed
    overspend = max(0, city.used_fen - city.cap_fen) + max(0, district.used_fen - district.cap_fen)
    assert overspend == 0
    assert 350 < len(approved) < 650
    # No lost update: every refused request really did not fit what was left.
    smallest_refused = min(Case.objects.get(pk=i).entitlement_fen for i, _ in refused)
    remaining = min(city.cap_fen - city.used_fen, district.cap_fen - district.used_fen)
    assert remaining < smallest_refused // 2
    print(
        f"\n[{connection.vendor}] approved {len(approved)}, refused {len(refused)}, overspend {overspend} fen, "
        f"remaining {remaining} fen < smallest refused share {smallest_refused // 2} fen"
    )


def test_each_payment_sent_five_times_at_once_is_paid_once_and_a_changed_replay_is_refused():
    world = build_world(n=1)
    cases = _publicity_cases(world, 40, [2_000_000] * 40)
    approved, _, errors = _approve_all(world, cases, threads=8)
    assert not errors and len(approved) == 40
    create_payment_run(world.users["finance"], world.programme)
    outcomes, failures = [], []
    lock = threading.Lock()

    def send(case_id):
        try:
            result = disburse(case_id, 2_000_000, f"k-{case_id}", actor=world.users["finance"])
            with lock:
                outcomes.append((case_id, result.replayed))
        except Exception as exc:
            with lock:
                failures.append(repr(exc))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(send, [c.pk for c in cases for _ in range(5)]))
    assert not failures, failures[:3]
    assert Payment.objects.count() == 40
    assert sum(1 for _, replayed in outcomes if not replayed) == 40
    assert len(outcomes) == 200
    with pytest.raises(PaymentConflict):
        disburse(cases[0].pk, 2_000_001, f"k-{cases[0].pk}", actor=world.users["finance"])
    with pytest.raises(PaymentConflict):
        disburse(cases[0].pk, 2_000_000, "another-key", actor=world.users["finance"])
    assert Payment.objects.count() == 40


@pytest.mark.ledger_unchecked
def test_weakened_build_is_detected(monkeypatch):
    """Test the test: with the conditional update removed, the same workload overspends (or the DB refuses)."""
    from django.db.models import F

    def unconditional_commit(shares, **kwargs):
        from srdi.domain.ledger.rules import transfer

        lines = []
        for s in shares:
            current = BudgetAccount.objects.get(pk=s.budget.pk)  # read-then-write: racy on purpose
            BudgetAccount.objects.filter(pk=s.budget.pk).update(used_fen=current.used_fen + s.amount_fen)
            lines += transfer(
                ledger.account(s.budget, "committed").code,
                ledger.account(s.budget, "available").code,
                s.amount_fen,
            )
        return ledger.post(
            "commit", lines, **{k: v for k, v in kwargs.items() if k in ("actor", "case", "memo")}
        )

    assert F  # imported for readers: the real code uses F() in the WHERE clause
    monkeypatch.setattr(ledger, "commit", unconditional_commit)
    rng = random.Random(5)
    amounts = [rng.randrange(1_000_000, 3_000_000) * 2 for _ in range(200)]
    world = build_world(n=1, city_budget=sum(amounts) // 4, district_budget=sum(amounts) // 4)
    cases = _publicity_cases(world, 200, amounts)
    _, _, errors = _approve_all(world, cases)
    city = BudgetAccount.objects.get(programme=world.programme, side="city")
    # Without the conditional update the cap is defended only by the CHECK constraint (errors), or lost updates
    # make the running total disagree with the ledger: either way the weakened build is caught.
    from srdi.services.ledger_verify import verify_all

    broken = [c for c in verify_all() if not c.ok]
    assert errors or broken or city.used_fen > city.cap_fen
    assert Programme.objects.exists()


def test_two_payment_runs_created_at_once_take_each_case_exactly_once(monkeypatch):
    import time

    from srdi.services import payments

    world = build_world(n=1)
    cases = _publicity_cases(world, 30, [2_000_000] * 30)
    approved, _, errors = _approve_all(world, cases, threads=8)
    assert not errors and len(approved) == 30
    finance = world.users["finance"]
    scheduled = payments.transition

    def slowly(*args, **kwargs):  # widen the window between two cases of a run
        outcome = scheduled(*args, **kwargs)
        time.sleep(0.02)
        return outcome

    monkeypatch.setattr(payments, "transition", slowly)
    start = threading.Barrier(2)
    runs, failures = [], []
    lock = threading.Lock()

    def create(_):
        try:
            start.wait()
            run = create_payment_run(finance, world.programme)
            with lock:
                runs.append(run.pk)
        except Exception as exc:
            with lock:
                failures.append(repr(exc))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(create, range(2)))
    assert not failures, failures
    assert len(runs) == 2
    lines = sorted(Case.objects.filter(payment_run_id__in=runs).values_list("payment_run_id", flat=True))
    per_run = sorted(lines.count(r) for r in runs)
    assert per_run == [0, 30]  # the first run takes every case, the second simply gets none
    assert set(Case.objects.filter(pk__in=approved).values_list("state", flat=True)) == {"payment_scheduled"}
    assert not Case.objects.filter(state="payment_scheduled", payment_run__isnull=True).exists()
    from srdi.db.models import CaseTransition

    assert CaseTransition.objects.filter(name="schedule_payment").count() == 30


def test_the_quota_holds_under_concurrent_approvals():
    world = build_world(n=1)
    Programme.objects.filter(pk=world.programme.pk).update(quota=10)
    cases = _publicity_cases(world, 40, [2_000_000] * 40)
    approved, refused, errors = _approve_all(world, cases)
    assert not errors, errors[:3]
    assert len(approved) == 10
    assert len(refused) == 30 and {code for _, code in refused} == {"quota"}
    assert Case.objects.filter(programme=world.programme, state="approved").count() == 10
    city = BudgetAccount.objects.get(programme=world.programme, side="city")
    assert city.used_fen == 10 * 1_000_000
    print(f"\n[{connection.vendor}] quota 10: approved {len(approved)}, refused {len(refused)}")
