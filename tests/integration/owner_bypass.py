"""What a database owner can do that the application cannot: lift the append-only triggers around raw SQL
(SQLite: drop and re-create them; PostgreSQL: ``ALTER TABLE … DISABLE TRIGGER ALL`` as the table owner), and
rebuild a chain with plain SHA-256 as someone without the chain key would."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

CHAIN_MIGRATION = importlib.import_module("srdi.db.migrations.0017_chain")


@contextmanager
def owner_bypass(*tables: str) -> Iterator[None]:
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in tables:
                if connection.vendor == "postgresql":
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
                else:
                    for sql in CHAIN_MIGRATION.sqlite_guards(table):
                        cursor.execute(sql)
