"""Payments check the actor's role in the service before writing anything (pages, CLI and any other caller);
a payment run schedules and links each case in one step, so a crash never strands a case outside a run, and
``srdi ledger verify`` reports a scheduled case without a run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from tests.integration.money.conftest import AFTER_PUBLICITY
from tests.integration.money.test_workflow import _to_publicity

from srdi.db.models import AuditEvent, Case, CaseTransition, LedgerEntry, Payment, PaymentRun
from srdi.services import payments
from srdi.services.cases import TransitionRefused, transition
from srdi.services.ledger_verify import check_cases, verify_all
from srdi.services.payments import (
    PaymentConflict,
    create_payment_run,
    disburse,
    execute_payment_run,
    payment_key,
)

pytestmark = pytest.mark.django_db

NOT_FINANCE = ["auditor", "city_staff", "district", "enterprise"]


def _approve(world, index: int) -> Case:
    """Enterprise ``index``'s case, approved (enterprise 0 through the pages' path, the others moved straight to
    the end of publicity)."""
    u = world.users
    case = world.case(world.enterprises[index])
    if index == 0:
        _to_publicity(world, case)
    else:
        Case.objects.filter(pk=case.pk).update(
            state="publicity",
            bank_account_name="甲",
            bank_name="乙",
            bank_account_number="62220202000012",
            district_reviewer=u["district"],
            city_reviewer=u["city_staff"],
            publicity_ends_on=date.today() - timedelta(days=1),
        )
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    return Case.objects.get(pk=case.pk)


def _approved(world, n: int = 1) -> list[Case]:
    return [_approve(world, i) for i in range(n)]


def _refused_audits(object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, success=False))


@pytest.mark.parametrize("who", NOT_FINANCE)
def test_only_finance_may_create_a_payment_run_and_nothing_is_written_before_the_check(world, who):
    (case,) = _approved(world)
    audits = AuditEvent.objects.count()
    with pytest.raises(PaymentConflict, match="资金管理"):
        create_payment_run(world.users[who], world.programme)
    assert PaymentRun.objects.count() == 0
    assert Case.objects.get(pk=case.pk).state == "approved"
    assert not AuditEvent.objects.filter(object_type="payment_run", success=True).exists()
    (refusal,) = _refused_audits("payment_run")
    assert refusal.actor_id == world.users[who].pk and refusal.extra["code"] == "role"
    assert AuditEvent.objects.count() == audits + 1


@pytest.mark.parametrize("who", NOT_FINANCE)
def test_only_finance_may_execute_a_run_or_disburse(world, who):
    (case,) = _approved(world)
    run = create_payment_run(world.users["finance"], world.programme)
    actor = world.users[who]
    with pytest.raises(PaymentConflict, match="资金管理"):
        execute_payment_run(run, actor)
    with pytest.raises(PaymentConflict, match="资金管理"):
        disburse(case.pk, case.approved_fen, payment_key(case), actor=actor, run=run)
    with pytest.raises(PaymentConflict, match="资金管理"):
        disburse(case.pk, case.approved_fen, payment_key(case), actor=None, run=run)
    assert Payment.objects.count() == 0
    assert not LedgerEntry.objects.filter(kind="pay").exists()
    assert Case.objects.get(pk=case.pk).state == "payment_scheduled"
    assert PaymentRun.objects.get(pk=run.pk).executed_at is None
    assert len(_refused_audits("payment_run")) == 1
    assert len(_refused_audits("case")) == 2
    assert {e.extra["code"] for e in AuditEvent.objects.filter(success=False)} == {"role"}
    # Finance (and the city admin, who holds the finance moves) still pays.
    assert execute_payment_run(run, world.users["finance"]).paid == [case.pk]


def test_the_cli_refuses_a_non_finance_user(world):
    from srdi.cli import commands_money  # noqa: F401 - register the commands
    from srdi.cli.main import cli

    (case,) = _approved(world)
    run = create_payment_run(world.users["finance"], world.programme)
    result = CliRunner().invoke(cli, ["payments", "run", "--run", str(run.pk), "--as", "w_auditor"])
    assert result.exit_code != 0
    assert "资金管理" in result.output
    assert Payment.objects.count() == 0
    assert Case.objects.get(pk=case.pk).state == "payment_scheduled"
    result = CliRunner().invoke(cli, ["payments", "run", "--as", "w_auditor"])
    assert result.exit_code != 0 and PaymentRun.objects.count() == 1


def test_a_crash_while_creating_a_run_never_strands_a_case(world, monkeypatch):
    cases = _approved(world, 3)
    real = payments.transition
    calls = []

    def crashing(*args, **kwargs):
        outcome = real(*args, **kwargs)
        calls.append(args[0])
        if len(calls) == 2:
            raise RuntimeError("进程在列入批次后崩溃（模拟）")
        return outcome

    monkeypatch.setattr(payments, "transition", crashing)
    with pytest.raises(RuntimeError):
        create_payment_run(world.users["finance"], world.programme)
    stranded = Case.objects.filter(state="payment_scheduled", payment_run__isnull=True)
    assert not stranded.exists()
    assert check_cases().ok
    monkeypatch.setattr(payments, "transition", real)
    run = create_payment_run(world.users["finance"], world.programme)
    assert sorted(Case.objects.filter(payment_run=run).values_list("id", flat=True)) == sorted(
        c.pk for c in cases
    )
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("state", flat=True)) == {
        "payment_scheduled"
    }
    for case in cases:  # scheduled exactly once each: the crashed attempt left no history behind
        assert CaseTransition.objects.filter(case=case, name="schedule_payment").count() == 1


def test_a_run_only_schedules_cases_it_links(world):
    cases = _approved(world, 2)
    run = create_payment_run(world.users["finance"], world.programme)
    for case in cases:
        case.refresh_from_db()
        assert (case.state, case.payment_run_id) == ("payment_scheduled", run.pk)
        t = CaseTransition.objects.get(case=case, name="schedule_payment")
        assert t.after["payment_run"] == run.pk
    # Scheduling without a run is refused even to the payment service.
    other = _approve(world, 2)
    with pytest.raises(TransitionRefused, match="拨付批次"):
        transition(other.pk, world.users["finance"], "schedule_payment", by_service=True)
    assert Case.objects.get(pk=other.pk).state == "approved"


@pytest.mark.ledger_unchecked
def test_verify_reports_a_scheduled_case_without_a_run(world):
    (case,) = _approved(world)
    assert all(c.ok for c in verify_all())
    Case.objects.filter(pk=case.pk).update(state="payment_scheduled")  # as the old crash window left it
    result = check_cases()
    assert not result.ok
    assert any(f"事项 #{case.pk}" in v and "拨付批次" in v for v in result.violations), result.violations
