"""Writing and verifying the append-only audit log.

Use ``record`` for one event inside the caller's transaction, ``record_many`` for a batch (imports), and
``verify_chain`` to check that no row was edited, removed, inserted, truncated or re-chained. Events are numbered
1..N without gaps (``seq``); each row's ``hash`` is HMAC-SHA256 over the chain name, seq, key id, previous hash and
a canonical JSON of the row, with a key kept outside the database (``services.chain_keys``). Rows written before
migration 0017 keep their plain SHA-256 link (``key_id == ""``) and are verified as the legacy segment; the
first keyed row chains onto the last legacy hash. ``verify_chain`` also compares with the last signed checkpoint
(``services.checkpoints``), which is what catches a deleted tail, a rewound head or an emptied table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from srdi.db.models import AuditChainHead, AuditEvent, User
from srdi.domain.chain import GENESIS, Break, Link, link_mac
from srdi.services.chain_keys import current_key
from srdi.services.chain_verify import ChainResult, verify_links
from srdi.services.checkpoints import checkpoint_on_new_segment

CHAIN = "audit"
__all__ = ["GENESIS", "ChainReport", "Entry", "jsonable", "record", "record_many", "verify_chain"]


def jsonable(value: Any) -> Any:
    """Plain JSON data (dates and decimals as strings), exactly as it will be stored and hashed."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


# The columns a row's hash covers, in this order (read back as tuples when verifying).
PAYLOAD_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "success",
    "ip_address",
    "old",
    "new",
    "extra",
)


def _text(values: tuple[Any, ...]) -> str:
    """The canonical JSON of a row's covered values (``PAYLOAD_FIELDS`` order)."""
    payload = dict(zip(PAYLOAD_FIELDS, values, strict=True))
    payload["occurred_at"] = payload["occurred_at"].astimezone(UTC).isoformat()
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _payload_text(event: AuditEvent) -> str:
    return _text(tuple(getattr(event, name) for name in PAYLOAD_FIELDS))


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
        kid, key = current_key()
        prev = head.last_hash
        seq = head.last_seq
        rows = []
        for e in entries:
            seq += 1
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
                seq=seq,
                key_id=kid,
                prev_hash=prev,
            )
            row.hash = link_mac(key, CHAIN, seq, kid, prev, _payload_text(row))
            prev = row.hash
            rows.append(row)
        created = AuditEvent.objects.bulk_create(rows, batch_size=2000)
        last_id = AuditEvent.objects.filter(seq=seq).values_list("id", flat=True).get()
        AuditChainHead.objects.filter(id=1).update(
            last_hash=prev, last_event_id=last_id, last_seq=seq, last_key_id=kid
        )
        if head.last_key_id != kid:
            checkpoint_on_new_segment()
    return created


def record(action: str, actor: User | None = None, **fields: Any) -> AuditEvent:
    """Append one event (see ``Entry`` for the fields)."""
    return record_many([Entry(action=action, actor=actor, **fields)])[0]


@dataclass
class ChainReport:
    """Result of verifying the audit chain: rows checked and the first problem, if any.

    ``broken_at`` is the id of the row where the problem shows (for a missing tail, the last surviving row; 0 when
    none survives), ``broken_seq`` the first bad or missing seq; ``result`` has the details (checkpoint, kind)."""

    checked: int
    broken_at: int | None = None
    reason: str = ""
    broken_seq: int | None = None
    result: ChainResult | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.broken_seq is None

    @property
    def message(self) -> str:
        return self.result.message() if self.result is not None else self.reason


def _utc_iso(value: Any) -> str:
    """``occurred_at`` as read by a raw cursor → the UTC ISO text the link covers: SQLite gives a naive datetime
    in UTC (or its text, ``str(datetime)``), PostgreSQL an aware one."""
    if isinstance(value, str):
        return value.replace(" ", "T", 1) + "+00:00"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).isoformat())


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def chain_links(chunk_size: int = 5000, upto: int | None = None) -> Iterator[Link]:
    """Every audit row as a chain link, in seq order, in chunks of ``chunk_size`` (keyset pages, so memory stays
    bounded on both databases). Raw SQL: Django's per-field converters would double the time of a verification."""
    table = AuditEvent._meta.db_table
    columns = ", ".join(("id", "seq", "key_id", "prev_hash", "hash", *PAYLOAD_FIELDS))
    sql = f"SELECT {columns} FROM {table} WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s"  # noqa: S608
    last, end = -(2**62), 2**62 if upto is None else upto
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, end, chunk_size])
            rows = cursor.fetchall()
        for row in rows:
            occurred, actor_id, label, action, otype, oid, orepr, success, ip, old, new, extra = row[5:]
            payload = {
                "occurred_at": _utc_iso(occurred),
                "actor_id": actor_id,
                "actor_label": label,
                "action": action,
                "object_type": otype,
                "object_id": oid,
                "object_repr": orepr,
                "success": bool(success),
                "ip_address": ip,
                "old": _json(old),
                "new": _json(new),
                "extra": _json(extra),
            }
            text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            yield Link(seq=row[1], key_id=row[2], prev=row[3], mac=row[4], text=text, row_id=row[0])
        if len(rows) < chunk_size:
            return
        last = rows[-1][1]


def head_state() -> tuple[int, str]:
    """(seq, hash) recorded in the chain head; (0, genesis) when there is no head row."""
    head = AuditChainHead.objects.filter(id=1).values_list("last_seq", "last_hash").first()
    return head if head is not None else (0, GENESIS)


def verify_chain(*, as_of: datetime | None = None, use_checkpoints: bool = True) -> ChainReport:
    """Recompute every link in seq order and compare the end with the head and the last checkpoint.

    ``as_of``: compare only with checkpoints taken at or before that time (verifying a backup of that time);
    ``use_checkpoints=False``: the chain alone (a copy restored somewhere without the checkpoint sink)."""
    result = verify_links(
        CHAIN,
        lambda upto: chain_links(upto=upto),
        head_state,
        as_of=as_of,
        use_checkpoints=use_checkpoints,
    )
    broken: Break | None = result.broken
    if broken is None:
        return ChainReport(result.checked, result=result)
    return ChainReport(
        result.checked,
        broken_at=broken.row_id if broken.row_id is not None else 0,
        reason=broken.reason,
        broken_seq=broken.seq,
        result=result,
    )
