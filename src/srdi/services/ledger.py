"""The only code that writes the ledger: budget allocation, commitment, payment and release.

Each operation runs inside the caller's transaction and does two things that must agree: it moves the budget's
running totals with a single conditional UPDATE (``used_fen + x <= cap_fen`` in the WHERE clause, backed by a
CHECK constraint — correct on SQLite and PostgreSQL alike, never a read-then-write in Python), and it appends a
balanced journal entry, numbered (``seq``, 1..N without gaps) and linked to the previous one by an HMAC with the
key kept outside the database (``services.chain_keys``; entries from before migration 0017 keep their SHA-256
link). Locks are taken in one order: budget rows (by id), then the ledger chain head, then the audit chain head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F

from srdi.db.models import (
    BudgetAccount,
    Case,
    LedgerAccount,
    LedgerChainHead,
    LedgerEntry,
    LedgerLine,
    User,
    Voucher,
)
from srdi.domain.chain import link_mac
from srdi.domain.ledger.rules import Line, entry_text, transfer, validate_lines
from srdi.services.chain_keys import current_key
from srdi.services.checkpoints import checkpoint_on_new_segment

CHAIN = "ledger"


class BudgetExceeded(Exception):
    """The budget cannot cover the amount; nothing was written."""

    def __init__(self, budget: BudgetAccount, amount_fen: int):
        self.budget = budget
        self.amount_fen = amount_fen
        super().__init__(f"{budget} 预算余额不足：需 {amount_fen} 分")


@dataclass(frozen=True)
class Share:
    """An amount charged to one budget account."""

    budget: BudgetAccount
    amount_fen: int


def account(budget: BudgetAccount | None, kind: str, code: str | None = None) -> LedgerAccount:
    """The ledger account of a budget for a kind (created on first use)."""
    code = code or f"B{budget.pk}:{kind}"  # type: ignore[union-attr]
    found, _ = LedgerAccount.objects.get_or_create(
        code=code, defaults={"kind": kind, "budget": budget, "label": f"{budget} {kind}" if budget else code}
    )
    return found


def _actor_label(actor: User | None) -> str:
    return actor.username if actor else "system"


def post(
    kind: str,
    lines: Sequence[Line],
    *,
    actor: User | None = None,
    case: Case | None = None,
    voucher: Voucher | None = None,
    idempotency_key: str | None = None,
    reverses: LedgerEntry | None = None,
    memo: str = "",
) -> LedgerEntry:
    """Append one balanced entry to the chain (call inside a transaction)."""
    validate_lines(lines)
    codes = {line.account for line in lines}
    accounts = {a.code: a for a in LedgerAccount.objects.filter(code__in=codes)}
    missing = codes - set(accounts)
    if missing:
        raise ValueError(f"未知会计科目 {sorted(missing)}")
    amount = sum(line.debit_fen for line in lines)
    head = LedgerChainHead.objects.select_for_update().filter(id=1).first() or LedgerChainHead.objects.create(
        id=1
    )
    created = datetime.now(UTC)
    kid, key = current_key()
    seq = head.last_seq + 1
    entry = LedgerEntry(
        created_at=created,
        kind=kind,
        case=case,
        voucher=voucher,
        idempotency_key=idempotency_key,
        reverses=reverses,
        memo=memo[:255],
        amount_fen=amount,
        actor_label=_actor_label(actor),
        seq=seq,
        key_id=kid,
        prev_hash=head.last_hash,
    )
    entry.hash = link_mac(key, CHAIN, seq, kid, head.last_hash, entry_text(entry_payload(entry), lines))
    entry.save()
    LedgerLine.objects.bulk_create(
        [
            LedgerLine(
                entry=entry,
                account=accounts[line.account],
                debit_fen=line.debit_fen,
                credit_fen=line.credit_fen,
            )
            for line in lines
        ]
    )
    LedgerChainHead.objects.filter(id=1).update(
        last_hash=entry.hash, last_entry_id=entry.pk, last_seq=seq, last_key_id=kid
    )
    if head.last_key_id != kid:
        checkpoint_on_new_segment()
    return entry


def entry_payload(entry: LedgerEntry) -> dict[str, object]:
    """The fields of an entry that its hash covers."""
    return {
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "kind": entry.kind,
        "case": entry.case_id,
        "voucher": entry.voucher_id,
        "idempotency_key": entry.idempotency_key,
        "reverses": entry.reverses_id,
        "memo": entry.memo,
        "amount_fen": entry.amount_fen,
        "actor": entry.actor_label,
    }


def _grow(budget: BudgetAccount, amount_fen: int) -> list[Line]:
    """Raise a budget's cap by ``amount_fen``: the lines that make it available."""
    BudgetAccount.objects.filter(pk=budget.pk).update(cap_fen=F("cap_fen") + amount_fen)
    return transfer(account(budget, "available").code, account(budget, "appropriation").code, amount_fen)


def allocate(
    budget: BudgetAccount, amount_fen: int, *, actor: User | None = None, memo: str = ""
) -> LedgerEntry:
    """Make ``amount_fen`` available on a budget (its cap grows by the same amount)."""
    return post("allocate", _grow(budget, amount_fen), actor=actor, memo=memo or "预算下达")


class BudgetInUse(Exception):
    """A budget cannot give back the amount: it would fall below what it has already committed or paid."""

    def __init__(self, budget: BudgetAccount, amount_fen: int):
        self.budget = budget
        self.amount_fen = amount_fen
        super().__init__(f"{budget} 可核减额度不足：需 {amount_fen} 分")


def _shrink(budget: BudgetAccount, amount_fen: int) -> list[Line]:
    """Lower a budget's cap by ``amount_fen`` (never below its use): the lines that take it back."""
    moved = BudgetAccount.objects.filter(pk=budget.pk, cap_fen__gte=F("used_fen") + amount_fen).update(
        cap_fen=F("cap_fen") - amount_fen
    )
    if moved != 1:
        raise BudgetInUse(budget, amount_fen)
    return transfer(account(budget, "appropriation").code, account(budget, "available").code, amount_fen)


def deallocate(
    budget: BudgetAccount, amount_fen: int, *, actor: User | None = None, memo: str = ""
) -> LedgerEntry:
    """Give ``amount_fen`` of a budget's unused cap back (核减); ``BudgetInUse`` if it is committed or paid."""
    return post("deallocate", _shrink(budget, amount_fen), actor=actor, memo=memo or "预算核减")


def transfer_between(
    source: BudgetAccount,
    target: BudgetAccount,
    amount_fen: int,
    *,
    actor: User | None = None,
    memo: str = "",
) -> LedgerEntry:
    """Move unused cap from one budget to another in one entry (调剂); ``BudgetInUse`` if the source lacks it."""
    lines: list[Line] = []
    for budget in sorted((source, target), key=lambda b: b.pk):  # lock order: budget rows by id
        lines += _shrink(source, amount_fen) if budget.pk == source.pk else _grow(target, amount_fen)
    return post("transfer", lines, actor=actor, memo=memo or "预算调剂")


def _locked(shares: Sequence[Share]) -> list[Share]:
    """Shares in budget-id order, so that concurrent transactions lock rows in one order."""
    return sorted((s for s in shares if s.amount_fen > 0), key=lambda s: s.budget.pk)


def commit(
    shares: Sequence[Share],
    *,
    actor: User | None = None,
    case: Case | None = None,
    voucher: Voucher | None = None,
    memo: str = "",
) -> LedgerEntry:
    """Commit amounts on budgets (approval, voucher issue); ``BudgetExceeded`` if any budget cannot cover it."""
    lines: list[Line] = []
    for s in _locked(shares):
        moved = BudgetAccount.objects.filter(
            pk=s.budget.pk, used_fen__lte=F("cap_fen") - s.amount_fen
        ).update(used_fen=F("used_fen") + s.amount_fen)
        if moved != 1:
            raise BudgetExceeded(s.budget, s.amount_fen)
        lines += transfer(
            account(s.budget, "committed").code, account(s.budget, "available").code, s.amount_fen
        )
    return post("commit", lines, actor=actor, case=case, voucher=voucher, memo=memo or "批准承诺")


def pay(
    shares: Sequence[Share],
    *,
    actor: User | None = None,
    case: Case | None = None,
    voucher: Voucher | None = None,
    idempotency_key: str | None = None,
    memo: str = "",
) -> LedgerEntry:
    """Post committed amounts as paid."""
    lines: list[Line] = []
    for s in _locked(shares):
        moved = BudgetAccount.objects.filter(
            pk=s.budget.pk, paid_fen__lte=F("used_fen") - s.amount_fen
        ).update(paid_fen=F("paid_fen") + s.amount_fen)
        if moved != 1:
            raise ValueError(f"{s.budget} 已支付金额将超过已承诺金额")
        lines += transfer(account(s.budget, "paid").code, account(s.budget, "committed").code, s.amount_fen)
    return post(
        "pay",
        lines,
        actor=actor,
        case=case,
        voucher=voucher,
        idempotency_key=idempotency_key,
        memo=memo or "拨付",
    )


def release(
    shares: Sequence[Share],
    *,
    actor: User | None = None,
    case: Case | None = None,
    voucher: Voucher | None = None,
    reverses: LedgerEntry | None = None,
    memo: str = "",
) -> LedgerEntry:
    """Return committed, unpaid amounts to the available budget (a reversing entry)."""
    lines: list[Line] = []
    for s in _locked(shares):
        moved = BudgetAccount.objects.filter(
            pk=s.budget.pk, used_fen__gte=F("paid_fen") + s.amount_fen
        ).update(used_fen=F("used_fen") - s.amount_fen)
        if moved != 1:
            raise ValueError(f"{s.budget} 可释放的承诺金额不足")
        lines += transfer(
            account(s.budget, "available").code, account(s.budget, "committed").code, s.amount_fen
        )
    return post(
        "release", lines, actor=actor, case=case, voucher=voucher, reverses=reverses, memo=memo or "撤销承诺"
    )


def reverse_payment(
    shares: Sequence[Share],
    *,
    actor: User | None = None,
    case: Case | None = None,
    reverses: LedgerEntry,
    memo: str = "",
) -> LedgerEntry:
    """Take a payment the bank sent back from paid to committed again (its ``pay`` entry is ``reverses``)."""
    lines: list[Line] = []
    for s in _locked(shares):
        moved = BudgetAccount.objects.filter(pk=s.budget.pk, paid_fen__gte=s.amount_fen).update(
            paid_fen=F("paid_fen") - s.amount_fen
        )
        if moved != 1:
            raise ValueError(f"{s.budget} 可冲销的已支付金额不足")
        lines += transfer(account(s.budget, "committed").code, account(s.budget, "paid").code, s.amount_fen)
    return post("reverse", lines, actor=actor, case=case, reverses=reverses, memo=memo or "银行退回冲销")


@transaction.atomic
def open_budget(
    programme_id: int, year: int, side: str, district_code: str, amount_fen: int, actor: User | None = None
) -> BudgetAccount:
    """Create (or top up) a budget account and allocate its amount through the ledger."""
    budget, _ = BudgetAccount.objects.get_or_create(
        programme_id=programme_id, year=year, side=side, district_code=district_code, defaults={"cap_fen": 0}
    )
    if amount_fen > 0:
        allocate(budget, amount_fen, actor=actor)
    budget.refresh_from_db()
    return budget
