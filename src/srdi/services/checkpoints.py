"""Taking signed checkpoints of the audit and ledger chains (``srdi audit checkpoint``, after payment runs,
imports and screenings).

Use ``take_checkpoints()`` to sign the current head of each chain (seq, MAC of the head row, row count, UTC time)
with the chain key and append it to the configured sink, outside the database; ``checkpoint_after_commit()`` from
a service, so that a checkpoint never claims rows a rolled-back transaction did not keep. Verification compares
each chain with its last checkpoint: rows up to it can no longer be cut off, rewound or emptied unnoticed. Rows
after the last checkpoint are protected by the keyed links and the head only, so take checkpoints often (cron).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Model

from srdi.db.models import AuditChainHead, AuditEvent, LedgerChainHead, LedgerEntry
from srdi.domain.chain import GENESIS, Checkpoint, sign_checkpoint
from srdi.services.chain_keys import current_key
from srdi.services.checkpoint_sink import configured_sink

log = logging.getLogger("srdi.checkpoints")
CHAINS: dict[str, tuple[type[Model], type[Model]]] = {
    "audit": (AuditChainHead, AuditEvent),
    "ledger": (LedgerChainHead, LedgerEntry),
}


def _state(head_model: type[Model], row_model: type[Model]) -> tuple[int, str, int]:
    """(seq, MAC, rows up to seq) of a chain's head; the count is consistent with the head without locking,
    because a head and its rows are committed together."""
    head = head_model._default_manager.filter(id=1).values_list("last_seq", "last_hash").first()
    seq, mac = head if head is not None else (0, GENESIS)
    count = row_model._default_manager.filter(seq__lte=seq).count()
    return seq, mac, count


def take_checkpoints() -> list[Checkpoint]:
    """Sign and store one checkpoint per chain; returns them (audit first, then ledger)."""
    _, key = current_key()
    sink = configured_sink()
    at = datetime.now(UTC).isoformat()
    taken = []
    for chain, (head_model, row_model) in CHAINS.items():
        seq, mac, count = _state(head_model, row_model)
        checkpoint = sign_checkpoint(key, chain, seq, mac, count, at)
        sink.append(checkpoint)
        taken.append(checkpoint)
    return taken


def _take_logged() -> None:
    try:
        take_checkpoints()
    except Exception:  # a checkpoint is extra evidence: the committed work it follows must not fail with it
        log.exception("检查点写入失败")


def checkpoint_on_new_segment() -> None:
    """The first row under a key (the first keyed row after the legacy rows, a fresh chain, a rotated key) is
    checkpointed once it commits: from then on, rewriting the chain as unkeyed rows no longer verifies."""
    checkpoint_after_commit()


def checkpoint_after_commit() -> None:
    """Take checkpoints once the current transaction commits (at once outside a transaction); a failure is
    logged, never raised into the caller's already committed work."""
    transaction.on_commit(_take_logged)
