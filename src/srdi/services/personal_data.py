"""Personal data: revealing it (permission + audit), and re-encrypting it under a new key (``srdi pii rotate``).

Use ``reveal_contacts`` before showing a contact's full phone and ID number (the caller shows them only when the
verdict allows; the reveal is audited either way). Use ``rotate`` after a new key was added to ``SRDI_PII_KEYS``
and made active (``SRDI_PII_ACTIVE_KEY``) or ``SRDI_PII_CIPHER`` changed: it re-encrypts every stored ID
number, phone and bank account under the active key, in batches; an interrupted run continues where it stopped
when started again, and both the start and the end are audited. ``key_status`` says what a rotation would do.
The encryption itself is ``srdi.db.fields.EncryptedTextField``; the keys come from ``srdi.db.pii_keys``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from srdi.db import pii_keys
from srdi.db.models import AuditAction, Enterprise, User
from srdi.db.pii_rows import PII_COLUMNS, count_stale, reseal_column
from srdi.domain.verdict import Verdict
from srdi.services import audit, scoping


def reveal_contacts(user: User, enterprise: Enterprise, *, ip: str = "") -> Verdict:
    """Check the permission and audit the reveal; the caller shows the data only when this allows."""
    verdict = scoping.can_reveal_personal_data(user)
    contact_ids = list(enterprise.contacts.values_list("pk", flat=True))
    audit.record(
        AuditAction.REVEAL,
        user,
        object_type="enterprise_contacts",
        object_id=str(enterprise.pk),
        object_repr=str(enterprise)[:255],
        success=bool(verdict),
        ip_address=ip,
        extra={"contacts": contact_ids, "fields": ["name", "phone", "id_number"], "reason": verdict.code},
    )
    return verdict


@dataclass(frozen=True)
class ColumnStatus:
    """One encrypted column: rows under another key or cipher, and rows still in plaintext."""

    column: str
    stale: int
    plaintext: int


@dataclass(frozen=True)
class KeyStatus:
    active: str
    cipher: str
    key_ids: tuple[str, ...]
    source: str
    columns: tuple[ColumnStatus, ...]

    @property
    def current(self) -> bool:
        return all(c.stale == 0 and c.plaintext == 0 for c in self.columns)


def key_status() -> KeyStatus:
    """The active key and cipher, and how many stored values are not under them yet."""
    ring = pii_keys.keyring()
    columns = []
    for target in PII_COLUMNS:
        stale, plain = count_stale(connection, target, ring)
        columns.append(ColumnStatus(target.context, stale, plain))
    return KeyStatus(ring.active, ring.scheme.label, tuple(ring.keys), ring.source, tuple(columns))


@dataclass(frozen=True)
class Rotation:
    """What ``rotate`` re-encrypted: rows per column, under which key and cipher."""

    active: str
    cipher: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def rotate(
    actor: User | None = None,
    *,
    batch: int = 1000,
    progress: Callable[[str, int], None] | None = None,
) -> Rotation:
    """Re-encrypt every stored value under the active key and cipher (batched, resumable, audited).

    A value that does not open (unknown key id, changed ciphertext) stops the run with the reason; the batches
    before it stay re-encrypted, and the failure is audited."""
    ring = pii_keys.keyring()
    what = {"active_key": ring.active, "cipher": ring.scheme.label}
    audit.record(
        AuditAction.UPDATE,
        actor,
        object_type="pii_keys",
        object_id=ring.active,
        object_repr="个人信息密钥轮换：开始",
        new=what,
    )
    rows: dict[str, int] = {}
    try:
        for target in PII_COLUMNS:
            step = (lambda n, c=target.context: progress(c, n)) if progress else None
            rows[target.context] = reseal_column(connection, target, ring, batch=batch, progress=step)
    except Exception as exc:
        audit.record(
            AuditAction.UPDATE,
            actor,
            object_type="pii_keys",
            object_id=ring.active,
            object_repr="个人信息密钥轮换：中止",
            success=False,
            new={**what, "rows": rows},
            extra={"reason": str(exc)[:500]},
        )
        raise
    audit.record(
        AuditAction.UPDATE,
        actor,
        object_type="pii_keys",
        object_id=ring.active,
        object_repr="个人信息密钥轮换：完成",
        new={**what, "rows": rows},
    )
    return Rotation(ring.active, ring.scheme.label, rows)
