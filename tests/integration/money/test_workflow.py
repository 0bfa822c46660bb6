"""A whole case through the workflow, and every guard refusing with its reason."""

from __future__ import annotations

import pytest
from tests.integration.money.conftest import AFTER_PUBLICITY

from srdi.db.models import AuditEvent, BudgetAccount, Case, CaseTransition, Notification
from srdi.services.cases import (
    TransitionRefused,
    raise_objection,
    resolve_objection,
    transition,
    update_claim,
)
from srdi.services.payments import create_payment_run, execute_payment_run, payment_file

pytestmark = pytest.mark.django_db


def _to_publicity(world, case):
    u = world.users
    update_claim(
        case.pk,
        u["enterprise"],
        bank_account_name="杭州测试0有限公司",
        bank_name="杭州银行",
        bank_account_number="6222020200001234",
    )
    transition(case.pk, u["enterprise"], "confirm")
    transition(case.pk, u["district"], "district_pass")
    transition(case.pk, u["city_staff"], "city_pass")


def test_offer_to_payment(world, django_capture_on_commit_callbacks):
    u = world.users
    case = world.case(world.enterprises[0])
    assert case.state == "offered" and case.entitlement_fen == 200_000_000  # 1000万 × 20%
    with pytest.raises(TransitionRefused, match="收款银行账户"):
        transition(case.pk, u["enterprise"], "confirm")
    with django_capture_on_commit_callbacks(execute=True):
        _to_publicity(world, case)
    with pytest.raises(TransitionRefused, match="公示期"):
        transition(case.pk, u["city_admin"], "approve")
    outcome = transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    case.refresh_from_db()
    assert (case.state, case.approved_fen, case.city_fen, case.district_fen) == (
        "approved",
        200_000_000,
        100_000_000,
        100_000_000,
    )
    assert outcome.entry is not None and outcome.entry.kind == "commit"
    run = create_payment_run(u["finance"], world.programme)
    assert b"6222020200001234" in payment_file(run, "csv", u["finance"])
    result = execute_payment_run(run, u["finance"])
    case.refresh_from_db()
    assert result.paid == [case.pk] and case.state == "paid"
    budget = BudgetAccount.objects.get(programme=world.programme, side="city")
    assert (budget.used_fen, budget.paid_fen) == (100_000_000, 100_000_000)
    names = list(CaseTransition.objects.filter(case=case).values_list("name", flat=True))
    assert names == ["confirm", "district_pass", "city_pass", "approve", "schedule_payment", "mark_paid"]
    assert (
        AuditEvent.objects.filter(
            object_type="case", object_id=str(case.pk), action="transition", success=True
        ).count()
        == len(names)  # every transition is audited, payment included
    )
    assert Notification.objects.filter(enterprise=world.enterprises[0]).exists()


def test_rerunning_a_payment_run_pays_nothing_twice(world):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    run = create_payment_run(u["finance"])
    execute_payment_run(run, u["finance"])
    again = execute_payment_run(run, u["finance"])
    assert again.paid == [] and again.skipped == [case.pk]


def test_separation_of_duties(world):
    u = world.users
    case = world.case(world.enterprises[0])
    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number="62220202000012"
    )
    transition(case.pk, u["enterprise"], "confirm")
    transition(case.pk, u["city_admin"], "district_pass")  # a city admin may do the district's review …
    with pytest.raises(TransitionRefused, match="职责分离"):
        transition(case.pk, u["city_admin"], "city_pass")  # … but not the city review too
    transition(case.pk, u["city_admin2"], "city_pass")
    with pytest.raises(TransitionRefused, match="职责分离"):
        transition(case.pk, u["city_admin2"], "approve", on=AFTER_PUBLICITY)
    with pytest.raises(TransitionRefused, match="职责分离"):
        transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    assert Case.objects.get(pk=case.pk).state == "publicity"


def test_scope_and_roles(world):
    u = world.users
    case = world.case(world.enterprises[1])
    with pytest.raises(TransitionRefused, match="本企业"):
        update_claim(case.pk, u["enterprise"], bank_account_name="x")
    mine = world.case(world.enterprises[0])
    update_claim(
        mine.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number="62220202000012"
    )
    transition(mine.pk, u["enterprise"], "confirm")
    with pytest.raises(TransitionRefused, match="本区县"):
        transition(mine.pk, u["other_district"], "district_pass")
    with pytest.raises(TransitionRefused, match="角色"):
        transition(mine.pk, u["auditor"], "district_pass")
    refused = AuditEvent.objects.filter(object_type="case", success=False)
    assert refused.count() == 2


def test_compliance_flags_block_approval(world):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    ent = world.enterprises[0]
    ent.c_dishonest = True
    ent.save()
    with pytest.raises(TransitionRefused, match="严重失信"):
        transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)


def test_objection_upheld_rejects_and_open_objection_blocks(world):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    objection = raise_objection(case.pk, u["city_staff"], name="王某", text="项目投资额存疑")
    with pytest.raises(TransitionRefused, match="异议"):
        transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    resolve_objection(objection.pk, u["city_staff"], upheld=True, resolution="核实投资额不实")
    assert Case.objects.get(pk=case.pk).state == "rejected"


def test_amount_above_entitlement_is_refused_and_the_database_agrees(world):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    with pytest.raises(TransitionRefused, match="超过可兑现金额"):
        transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY, requested_fen=200_000_001)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(approved_fen=999_999_999_999)


def test_budget_exhaustion_refuses_with_a_reason(db):
    from tests.integration.money.conftest import build_world

    world = build_world(n=2, city_budget=150_000_000, district_budget=150_000_000)
    u = world.users
    first, second = (world.case(e) for e in world.enterprises)
    for case in (first, second):
        Case.objects.filter(pk=case.pk).update(
            bank_account_name="甲", bank_name="乙", bank_account_number="62220202000012"
        )
        transition(
            case.pk,
            u["enterprise"]
            if case.enterprise_id == u["enterprise"].enterprise_id
            else _enterprise_user(case),
            "confirm",
        )
        transition(case.pk, u["district"], "district_pass")
        transition(case.pk, u["city_staff"], "city_pass")
    transition(first.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    with pytest.raises(TransitionRefused, match="预算余额不足"):
        transition(second.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    assert Case.objects.get(pk=second.pk).state == "publicity"


def _enterprise_user(case):
    from srdi.services.accounts import create_user

    return create_user(
        username=f"ent{case.enterprise_id}",
        password="x",
        role="enterprise",
        enterprise_uscc=case.enterprise.uscc,
        check_password=False,
    )


def test_cancel_releases_the_commitment_by_reversal(world):
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    transition(case.pk, u["city_admin2"], "cancel", reason="企业申请撤回")
    budget = BudgetAccount.objects.get(programme=world.programme, side="city")
    assert budget.used_fen == 0
    kinds = list(case.ledger.order_by("id").values_list("kind", flat=True))
    assert kinds == ["commit", "release"]


def test_payment_moves_are_refused_outside_a_payment_run(world):
    from srdi.services.cases import actions_for

    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    case.refresh_from_db()
    assert "schedule_payment" not in [name for name, _label, _v in actions_for(u["finance"], case)]
    with pytest.raises(TransitionRefused, match="拨付批次"):
        transition(case.pk, u["finance"], "schedule_payment")
    run = create_payment_run(u["finance"], world.programme)
    with pytest.raises(TransitionRefused, match="拨付批次"):
        transition(case.pk, u["finance"], "mark_paid")
    with pytest.raises(TransitionRefused, match="拨付批次"):
        transition(case.pk, u["finance"], "mark_failed", reason="银行退票")
    assert Case.objects.get(pk=case.pk).state == "payment_scheduled"
    assert execute_payment_run(run, u["finance"]).paid == [case.pk]
