"""The database triggers srdi relies on, whether the database still has them, and putting them back.

Migration 0029 installs the triggers that move the API token cache's shared counter (``<table>_auth_update`` and
``_delete`` on tokens and users: revocation reaches every process at once), migration 0030 those that move the
data version the loaded-table caches key on (``<table>_version_insert``/``_update``/``_delete`` on the fact
tables). On SQLite a later migration that alters one of those tables rebuilds it, and the rebuild drops its
triggers without a word: a revoked token would stay usable for the cache's seconds, a cached page would show old
figures. ``missing`` lists the triggers an applied migration installed that the database no longer has;
``repair`` creates them again (nothing else changes). The system check ``srdi.E102`` (run by ``srdi migrate``
and ``srdi check --database default``) and ``srdi serve`` refuse to go on while any is missing;
``srdi triggers --repair`` puts them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder


@dataclass(frozen=True)
class TriggerSet:
    """The triggers one migration installs: its module offers ``trigger_names()`` and
    ``trigger_statements(vendor, names)`` (the very statements its ``install`` runs)."""

    migration: str
    purpose: str

    def module(self) -> ModuleType:
        return import_module(f"srdi.db.migrations.{self.migration}")

    def names(self) -> list[str]:
        return list(self.module().trigger_names())

    def statements(self, vendor: str, names: set[str]) -> list[str]:
        return list(self.module().trigger_statements(vendor, names))


TRIGGER_SETS = (
    TriggerSet("0029_api17", "API 令牌缓存的失效计数（吊销令牌即时生效）"),
    TriggerSet("0030_pages", "数据版本（页面缓存随数据更新）"),
)


def existing(connection: BaseDatabaseWrapper) -> set[str]:
    """The names of the triggers the database has."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:  # pragma: no cover - srdi runs on SQLite and PostgreSQL only
            return set()
        return {str(row[0]) for row in cursor.fetchall()}


def _applied(connection: BaseDatabaseWrapper) -> set[str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return set()
    return {name for app, name in recorder.applied_migrations() if app == "srdi"}


def missing(connection: BaseDatabaseWrapper) -> dict[TriggerSet, list[str]]:
    """Per applied migration, the triggers it installed that the database no longer has (empty: all present)."""
    applied = _applied(connection)
    sets = [s for s in TRIGGER_SETS if s.migration in applied]
    if not sets:
        return {}
    have = existing(connection)
    out = {}
    for s in sets:
        gone = [n for n in s.names() if n not in have]
        if gone:
            out[s] = gone
    return out


def repair(connection: BaseDatabaseWrapper) -> list[str]:
    """Create again every missing trigger, in one transaction; the names created."""
    gaps = missing(connection)
    created: list[str] = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for s, names in gaps.items():
            for sql in s.statements(connection.vendor, set(names)):
                cursor.execute(sql)
            created += names
    return created


def describe(gaps: dict[TriggerSet, list[str]]) -> str:
    return "；".join(f"{s.purpose}：缺少 {', '.join(names)}" for s, names in gaps.items())
