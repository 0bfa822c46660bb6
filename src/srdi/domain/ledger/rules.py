"""The ledger's rules, pure: what a valid journal entry is and how entries chain.

Every entry has lines whose debits equal their credits (integer fen, never negative on a line); entries are
never edited — a correction is a new reversing entry — and each entry's hash covers the previous hash and a
canonical serialisation of the entry and its lines, so any change to a stored entry breaks the chain. Entries
written since migration 0017 are linked with a keyed MAC instead (``srdi.domain.chain``).
Account kinds: ``appropriation`` (where a budget comes from), ``available`` (budget not yet committed),
``committed`` (approved, not yet paid) and ``paid`` (disbursed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

GENESIS = "0" * 64
# allocate / deallocate: a budget's cap grows / shrinks (its appropriation); transfer: both at once between two
# budgets; commit → pay (approval, disbursement); release: a commitment given back; reverse: a payment the bank
# sent back, taken from paid to committed again.
ENTRY_KINDS = ("allocate", "deallocate", "transfer", "commit", "pay", "release", "reverse")


class LedgerError(ValueError):
    """An entry that would break a ledger rule."""


@dataclass(frozen=True)
class Line:
    """One posting: an account code and a debit or a credit in fen."""

    account: str
    debit_fen: int = 0
    credit_fen: int = 0


def validate_lines(lines: Sequence[Line]) -> None:
    """Refuse entries that do not balance, have negative or two-sided lines, or move nothing."""
    if len(lines) < 2:
        raise LedgerError("一笔分录至少有两行")
    for line in lines:
        if line.debit_fen < 0 or line.credit_fen < 0:
            raise LedgerError("借贷金额不能为负")
        if (line.debit_fen > 0) == (line.credit_fen > 0):
            raise LedgerError("每行须且只须有借方或贷方金额")
    debit = sum(line.debit_fen for line in lines)
    credit = sum(line.credit_fen for line in lines)
    if debit != credit:
        raise LedgerError(f"借贷不平：借 {debit} 分，贷 {credit} 分")


def transfer(debit_account: str, credit_account: str, amount_fen: int) -> list[Line]:
    """The two lines of a simple transfer."""
    if amount_fen <= 0:
        raise LedgerError("金额必须为正")
    return [Line(debit_account, debit_fen=amount_fen), Line(credit_account, credit_fen=amount_fen)]


def entry_text(entry: dict[str, object], lines: Iterable[Line]) -> str:
    """The canonical serialisation of an entry with its lines (what its hash or MAC covers)."""
    payload = {
        **entry,
        "lines": sorted([line.account, line.debit_fen, line.credit_fen] for line in lines),
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_digest(prev_hash: str, entry: dict[str, object], lines: Iterable[Line]) -> str:
    """SHA-256 over the previous hash and the canonical entry with its lines (entries before keyed chains)."""
    return hashlib.sha256((prev_hash + entry_text(entry, lines)).encode("utf-8")).hexdigest()
