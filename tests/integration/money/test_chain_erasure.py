"""A database owner erases one approval consistently — its audit rows, its ledger entry and lines, its case
history, the case and budget figures — and rebuilds both chains with plain SHA-256 (he has no key): every other
invariant holds, and ``srdi ledger verify`` (I4) still names the first bad seq of each chain. Also: a ledger tail
cut off after a checkpoint, and the checkpoint a payment run writes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.db import connection, transaction
from tests.integration.money.conftest import AFTER_PUBLICITY, build_world
from tests.integration.money.test_workflow import _to_publicity
from tests.integration.owner_bypass import owner_bypass

from srdi.db.models import (
    AuditChainHead,
    AuditEvent,
    BudgetAccount,
    Case,
    CaseTransition,
    LedgerChainHead,
    LedgerEntry,
    LedgerLine,
)
from srdi.domain.chain import legacy_digest
from srdi.services import audit, ledger
from srdi.services.accounts import create_user
from srdi.services.cases import transition
from srdi.services.checkpoint_sink import configured_sink
from srdi.services.checkpoints import take_checkpoints
from srdi.services.ledger_verify import check_chain, ledger_links, verify_all
from srdi.services.payments import create_payment_run, execute_payment_run

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TABLES = ("srdi_auditevent", "srdi_ledgerentry", "srdi_ledgerline", "srdi_casetransition")


def _cli(*args: str):
    from srdi.cli import commands_money  # noqa: F401 - registers ``srdi ledger``
    from srdi.cli.main import cli

    return CliRunner().invoke(cli, list(args))


def _heads() -> tuple[int, int]:
    return (
        AuditChainHead.objects.get(id=1).last_seq,
        LedgerChainHead.objects.get(id=1).last_seq,
    )


def _rechain_audit_without_key(first: int) -> None:
    """Renumber the audit rows from ``first`` on and re-link them with plain SHA-256 (no key needed)."""
    prev = AuditEvent.objects.filter(seq=first - 1).values_list("hash", flat=True).first() or "0" * 64
    links = {link.row_id: link for link in audit.chain_links()}
    seq = first - 1
    last_id = 0
    for event in AuditEvent.objects.filter(seq__gte=first).order_by("seq"):
        seq += 1
        mac = legacy_digest(prev, links[event.pk].text)
        AuditEvent.objects.filter(pk=event.pk).update(seq=seq, key_id="", prev_hash=prev, hash=mac)
        prev, last_id = mac, event.pk
    AuditChainHead.objects.filter(id=1).update(
        last_seq=seq, last_hash=prev, last_event_id=last_id, last_key_id=""
    )


def _rechain_ledger_without_key(first: int) -> None:
    prev = LedgerEntry.objects.filter(seq=first - 1).values_list("hash", flat=True).first() or "0" * 64
    texts = {link.row_id: link.text for link in ledger_links()}
    seq = first - 1
    last_id = 0
    for entry in LedgerEntry.objects.filter(seq__gte=first).order_by("seq"):
        seq += 1
        mac = legacy_digest(prev, texts[entry.pk])
        LedgerEntry.objects.filter(pk=entry.pk).update(seq=seq, key_id="", prev_hash=prev, hash=mac)
        prev, last_id = mac, entry.pk
    LedgerChainHead.objects.filter(id=1).update(
        last_seq=seq, last_hash=prev, last_entry_id=last_id, last_key_id=""
    )


@pytest.mark.ledger_unchecked
def test_consistent_erasure_of_one_approval_is_caught():
    world = build_world(n=2)
    u = world.users
    first, second = (world.case(e) for e in world.enterprises)
    owner2 = create_user(
        username="w_ent2",
        password="x",
        role="enterprise",
        enterprise_uscc=world.enterprises[1].uscc,
        check_password=False,
    )
    _to_publicity(world, first)
    u2 = dict(u, enterprise=owner2)
    _to_publicity(type(world)(world.programme, u2, world.enterprises), second)
    before_case = Case.objects.filter(pk=first.pk).values().get()
    before_budgets = dict(BudgetAccount.objects.values_list("id", "used_fen"))
    audit_before, ledger_before = _heads()
    transition(first.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    audit_after, ledger_after = _heads()
    transition(second.pk, u["city_admin2"], "approve", on=AFTER_PUBLICITY)
    assert all(c.ok for c in verify_all())

    erased_entries = list(
        LedgerEntry.objects.filter(seq__gt=ledger_before, seq__lte=ledger_after).values_list("id", flat=True)
    )
    second_share = dict(  # what the second approval committed, per budget
        LedgerLine.objects.filter(entry__case=second, account__kind="committed").values_list(
            "account__budget_id", "debit_fen"
        )
    )
    with owner_bypass(*TABLES), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM srdi_auditevent WHERE seq > %s AND seq <= %s", [audit_before, audit_after]
        )
        LedgerLine.objects.filter(entry_id__in=erased_entries).delete()
        LedgerEntry.objects.filter(id__in=erased_entries).delete()
        CaseTransition.objects.filter(case=first, name="approve").delete()
        Case.objects.filter(pk=first.pk).update(**{k: v for k, v in before_case.items() if k != "id"})
        for budget_id, used in before_budgets.items():  # as if only the second approval had happened
            BudgetAccount.objects.filter(pk=budget_id).update(used_fen=used + second_share.get(budget_id, 0))
        _rechain_audit_without_key(audit_before + 1)
        _rechain_ledger_without_key(ledger_before + 1)

    checks = {c.code: c for c in verify_all()}
    assert [code for code, c in checks.items() if not c.ok] == ["I4"], {
        code: c.violations for code, c in checks.items() if not c.ok
    }
    violations = checks["I4"].violations
    assert violations[0].startswith(f"总账第 {ledger_before + 1} 条"), violations
    assert "降级" in violations[0]
    assert violations[1].startswith(f"审计日志第 {audit_before + 1} 条"), violations


@pytest.mark.ledger_unchecked
def test_a_ledger_tail_cut_after_a_checkpoint_is_caught():
    world = build_world(n=1)
    budget = BudgetAccount.objects.filter(programme=world.programme).order_by("id").first()
    for _ in range(3):
        with transaction.atomic():  # the ledger is written inside the caller's transaction
            ledger.allocate(budget, 1000, memo="追加")
    take_checkpoints()
    total = LedgerEntry.objects.count()
    last_three = list(LedgerEntry.objects.order_by("-seq").values_list("id", flat=True)[:3])
    with owner_bypass("srdi_ledgerentry", "srdi_ledgerline"):
        LedgerLine.objects.filter(entry_id__in=last_three).delete()
        LedgerEntry.objects.filter(id__in=last_three).delete()
    BudgetAccount.objects.filter(pk=budget.pk).update(cap_fen=budget.cap_fen)  # as it was before the top-ups
    last = LedgerEntry.objects.order_by("-seq").first()
    LedgerChainHead.objects.filter(id=1).update(last_seq=last.seq, last_hash=last.hash, last_entry_id=last.pk)
    checks = {c.code: c for c in verify_all()}
    assert [code for code, c in checks.items() if not c.ok] == ["I4"]
    assert checks["I4"].violations[0].startswith(f"总账第 {total - 2} 条"), checks["I4"].violations
    assert f"检查点记录到第 {total} 条" in checks["I4"].violations[0]
    result = _cli("ledger", "verify")
    assert result.exit_code == 1
    assert f"总账第 {total - 2} 条" in result.output


def test_a_payment_run_writes_a_checkpoint_of_both_chains():
    world = build_world(n=1)
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    before = len(configured_sink().read("ledger"))
    execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"])
    ledger_cps = configured_sink().read("ledger")
    audit_cps = configured_sink().read("audit")
    assert len(ledger_cps) == before + 1
    assert ledger_cps[-1].seq == LedgerChainHead.objects.get(id=1).last_seq
    assert audit_cps[-1].seq == AuditChainHead.objects.get(id=1).last_seq
    assert check_chain().ok
