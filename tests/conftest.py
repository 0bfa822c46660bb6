"""Fixtures shared by the whole suite: valid USCCs, users per role, small enterprise sets."""

from __future__ import annotations

import itertools
import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

from srdi.domain.uscc import CHARSET, uscc_check_char

# Hypothesis profiles. ``srdi`` (the default, used by ``make test`` and CI) keeps Hypothesis's numbers of examples
# and turns its per-example deadline off: no property here is about time, and on a shared 2-core machine a 200 ms
# deadline failed examples at random under load (DeadlineExceeded, then "flaky") — the reason for reruns, not a
# finding. ``quick`` (``HYPOTHESIS_PROFILE=quick``) runs 20 examples per property for a developer iterating
# locally; it is never what decides a change.
settings.register_profile("srdi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("quick", parent=settings.get_profile("srdi"), max_examples=20)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "srdi"))

_counter = itertools.count(1)


def make_uscc(district: str = "330106", n: int | None = None) -> str:
    """A GB 32100-valid code whose digits 3–8 are the district code."""
    n = next(_counter) if n is None else n
    body = ""
    for _ in range(9):
        n, rem = divmod(n, 31)
        body = CHARSET[rem] + body
    first17 = "91" + district + body
    return first17 + uscc_check_char(first17)


@pytest.fixture
def uscc_factory():
    return make_uscc


@pytest.fixture(scope="session", autouse=True)
def _flush_past_append_only_guards():
    """Let the test runner empty the database between transactional tests on SQLite.

    SQLite has no TRUNCATE: Django's flush runs ``DELETE FROM`` on every table, which the append-only DELETE
    triggers (migration 0006) refuse. PostgreSQL's flush is a TRUNCATE, which the ``BEFORE TRUNCATE`` triggers
    (migration 0017) refuse. So the flush lifts those triggers (SQLite: drops them; PostgreSQL: disables them, as
    the table owner), empties the tables and puts the triggers back, in one transaction. Only the test harness
    flushes; the application never does."""
    import importlib

    from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
    from django.db.backends.sqlite3.base import DatabaseWrapper

    DatabaseOperations = DatabaseWrapper.ops_class
    guards = importlib.import_module("srdi.db.migrations.0006_append_only_deletes")
    later = importlib.import_module("srdi.db.migrations.0008_one_matter_one_award")
    append_only = [*guards.TABLES, *(t for t in later.APPEND_ONLY if t not in guards.TABLES)]
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if not sql:
            return sql
        guarded = [t for t in append_only if t in set(tables)]
        return [
            *(guards.drop_sql(t) for t in guarded),
            *sql,
            *(guards.create_sql(t) for t in guarded),
        ]

    chain = importlib.import_module("srdi.db.migrations.0017_chain")
    pg_original = PostgresOperations.sql_flush

    def pg_sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = pg_original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if not sql:
            return sql
        guarded = [t for t in chain.APPEND_ONLY if t in set(tables)]
        return [
            *(f"ALTER TABLE {t} DISABLE TRIGGER {t}_no_truncate;" for t in guarded),
            *sql,
            *(f"ALTER TABLE {t} ENABLE TRIGGER {t}_no_truncate;" for t in guarded),
        ]

    DatabaseOperations.sql_flush = sql_flush
    PostgresOperations.sql_flush = pg_sql_flush
    yield
    DatabaseOperations.sql_flush = original
    PostgresOperations.sql_flush = pg_original


@pytest.fixture(autouse=True)
def _own_checkpoint_dir(tmp_path_factory, monkeypatch):
    """Each test gets its own checkpoint directory (the database is emptied between tests, the files would not
    be): set in the settings and in the environment, so child ``srdi`` processes use it too."""
    from django.conf import settings

    directory = tmp_path_factory.mktemp("checkpoints")
    monkeypatch.setenv("SRDI_CHECKPOINT_DIR", str(directory))
    monkeypatch.setattr(settings, "SRDI_CHECKPOINT_DIR", str(directory), raising=False)
    return directory


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def pytest_collection_modifyitems(config, items):
    # A transactional test without serialized_rollback empties the reference data (districts) for the tests
    # after it and lets Django recreate content types that the next serialized test then loads again.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(
                f"{item.nodeid}: use django_db(transaction=True, serialized_rollback=True)"
            )
    if chromium_path():
        return
    skip = pytest.mark.skip(reason="Chromium not installed: browser tests skipped")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
