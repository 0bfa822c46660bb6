"""Rewriting the stored personal-data columns in batches: encrypt plaintext (migration 0016) or re-encrypt under
the active key (``srdi pii rotate``).

Use ``reseal_column`` with one of ``PII_COLUMNS``. It walks the table by primary key in batches, each batch in
its own transaction, and skips rows already in the wanted state in SQL, so an interrupted run simply starts
again where it stopped. The values never leave the process in plaintext: it reads the stored text, opens it
(or takes the legacy plaintext), seals it again and writes it back by id. ``srdi_payment`` is append-only
(migrations 0005/0006/0008); for its batches the UPDATE triggers are lifted inside the same transaction and put
back before it commits, so no other writer ever sees the table unguarded (PostgreSQL: ``ALTER TABLE … DISABLE
TRIGGER USER`` — this needs the table owner, the role that runs the migrations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from srdi.domain.field_cipher import PREFIX, Keyring

BATCH = 1000


@dataclass(frozen=True)
class PiiColumn:
    """One encrypted column; ``hash_column``/``kind`` when it has a keyed hash beside it."""

    table: str
    column: str
    hash_column: str = ""
    kind: str = ""
    append_only: bool = False

    @property
    def context(self) -> str:
        return f"{self.table}.{self.column}"


PII_COLUMNS = (
    PiiColumn("srdi_contact", "phone", "phone_hash", "phone"),
    PiiColumn("srdi_contact", "id_number", "id_number_hash", "id_number"),
    PiiColumn("srdi_case", "bank_account_number"),
    PiiColumn("srdi_bankaccountchange", "account_number"),
    PiiColumn("srdi_payment", "bank_account_number", append_only=True),
)


@contextmanager
def append_only_lifted(connection: BaseDatabaseWrapper, table: str) -> Iterator[None]:
    """Inside the caller's transaction: the table's UPDATE guards are off, and back on when the block ends."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks of this transaction are pending: run them now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            try:
                yield
            finally:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND sql LIKE %s",
            [table, "%BEFORE UPDATE%"],
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            yield
        finally:
            for _name, sql in triggers:
                cursor.execute(sql)


def reseal_column(
    connection: BaseDatabaseWrapper,
    target: PiiColumn,
    keyring: Keyring,
    *,
    plaintext: bool = False,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Bring every row of one column to the active key and cipher; the number of rows rewritten.

    ``plaintext=True`` (the migration) seals the values that are not ciphertexts yet; otherwise the ciphertexts
    under another key or cipher are opened and sealed again (``TamperedValue``/``UnknownKey`` stop the run:
    nothing of that batch is written).
    """
    current = f"{PREFIX}{keyring.scheme.value}.{keyring.active}."
    table, column = target.table, target.column
    if plaintext:
        where = f"{column} <> '' AND substr({column}, 1, {len(PREFIX)}) <> %s"
        wanted: list[Any] = [PREFIX]
    else:
        where = f"substr({column}, 1, {len(PREFIX)}) = %s AND substr({column}, 1, {len(current)}) <> %s"
        wanted = [PREFIX, current]
    select = f"SELECT id, {column} FROM {table} WHERE id > %s AND {where} ORDER BY id LIMIT %s"  # noqa: S608
    sets = f"{column} = %s" + (f", {target.hash_column} = %s" if target.hash_column else "")
    update = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608
    done, last = 0, 0
    while True:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute(select, [last, *wanted, batch])
                rows = cursor.fetchall()
            if not rows:
                return done
            params = []
            for pk, stored in rows:
                text = stored if plaintext else keyring.open(stored, target.context)
                sealed = keyring.seal(text, target.context)
                hashed = [keyring.keyed_hash(target.kind, text)] if target.hash_column else []
                params.append([sealed, *hashed, pk])
            guard = append_only_lifted(connection, table) if target.append_only else _nothing()
            with guard, connection.cursor() as cursor:
                cursor.executemany(update, params)
        done += len(rows)
        last = rows[-1][0]
        if progress is not None:
            progress(done)


def count_stale(connection: BaseDatabaseWrapper, target: PiiColumn, keyring: Keyring) -> tuple[int, int]:
    """(rows under another key or cipher, rows still in plaintext) of one column."""
    current = f"{PREFIX}{keyring.scheme.value}.{keyring.active}."
    c, n = target.column, len(PREFIX)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT "  # noqa: S608
            f"SUM(CASE WHEN substr({c}, 1, {n}) = %s AND substr({c}, 1, {len(current)}) <> %s THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {c} <> '' AND substr({c}, 1, {n}) <> %s THEN 1 ELSE 0 END) FROM {target.table}",
            [PREFIX, current, PREFIX],
        )
        stale, plain = cursor.fetchone()
    return int(stale or 0), int(plain or 0)


@contextmanager
def _nothing() -> Iterator[None]:
    yield
