"""Writing and verifying the append-only audit log.

Use ``record`` for one event inside the caller's transaction, ``record_many`` for a batch (imports), and
``verify_chain`` to check that no row was edited, removed or inserted out of order. Each row's hash is
SHA-256 over the previous hash and a canonical JSON of the row, so an edit anywhere breaks every later hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from srdi.db.models import AuditChainHead, AuditEvent, User

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """Plain JSON data (dates and decimals as strings), exactly as it will be stored and hashed."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _digest(prev_hash: str, payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def _payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "success": event.success,
        "ip_address": event.ip_address,
        "old": event.old,
        "new": event.new,
        "extra": event.extra,
    }


@dataclass
class Entry:
    """An audit event to be written."""

    action: str
    actor: User | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""
    old: Any = None
    new: Any = None
    extra: Any = None
    success: bool = True
    ip_address: str = ""
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "system"
    return (actor.username or f"user#{actor.pk}").replace("\r", " ").replace("\n", " ")[:150]


def record_many(entries: Iterable[Entry]) -> list[AuditEvent]:
    """Append events in order, extending the hash chain; runs in (or opens) a transaction."""
    entries = list(entries)
    if not entries:
        return []
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(id=1).first()
        if head is None:
            head = AuditChainHead.objects.create(id=1)
        prev = head.last_hash
        rows = []
        for e in entries:
            row = AuditEvent(
                occurred_at=e.occurred_at,
                actor=e.actor,
                actor_label=_actor_label(e.actor),
                action=e.action,
                object_type=e.object_type,
                object_id=str(e.object_id)[:64],
                object_repr=str(e.object_repr)[:255],
                success=e.success,
                ip_address=e.ip_address[:45],
                old=jsonable(e.old),
                new=jsonable(e.new),
                extra=jsonable(e.extra),
                prev_hash=prev,
            )
            row.hash = _digest(prev, _payload(row))
            prev = row.hash
            rows.append(row)
        created = AuditEvent.objects.bulk_create(rows, batch_size=2000)
        last_id = AuditEvent.objects.filter(hash=prev).values_list("id", flat=True).get()
        AuditChainHead.objects.filter(id=1).update(last_hash=prev, last_event_id=last_id)
    return created


def record(action: str, actor: User | None = None, **fields: Any) -> AuditEvent:
    """Append one event (see ``Entry`` for the fields)."""
    return record_many([Entry(action=action, actor=actor, **fields)])[0]


@dataclass
class ChainReport:
    """Result of verifying the chain: rows checked and the first broken row, if any."""

    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain() -> ChainReport:
    """Recompute every hash in id order; report the first row that does not verify."""
    prev = GENESIS
    checked = 0
    last_id = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return ChainReport(checked, event.id, "前序哈希不连续（有记录被删除或插入）")
        if _digest(prev, _payload(event)) != event.hash:
            return ChainReport(checked, event.id, "记录内容与哈希不符（记录被修改）")
        prev = event.hash
        last_id = event.id
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_hash != prev or head.last_event_id != last_id):
        return ChainReport(checked, last_id or 0, "链尾与链头记录不符（末尾记录被删除）")
    return ChainReport(checked)
