"""The whole database's facts as engine tables, cached per data version (memory of the process, then Parquet).

Use ``whole_tables(with_events=...)`` instead of ``facts_loader.load_tables()`` (no enterprise ids) on pages and
in services that read every enterprise on a request (政策成本测算): at 100,000 enterprises reading the database
through the ORM costs 2–6 s; the cached tables cost nothing in the process that loaded them and ~0.2 s from
Parquet in another worker process.

The key is ``data_version()``: one counter that database triggers (migration 0029) set to a new random value
(never reached again by other rows after a rollback or a restore) in the same transaction as every insert,
update or delete of the fact tables — bulk writes and raw SQL included — so a cached copy is never stale.
Tables are cached only when the counter read before and after the load is the same (no write committed in
between). Parquet copies live in ``SRDI_VAR_DIR/cache/tables/v<version>-<kind>/``,
written to a temporary directory and renamed into place; copies of older versions are removed.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import fields
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import connection

from srdi.domain.tables import Tables
from srdi.services.facts_loader import load_tables

_lock = threading.Lock()
_memory: dict[tuple[int, bool], Tables] = {}


def data_version() -> int | None:
    """The data version counter, or None where the table has no row (then nothing is cached)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT counter FROM srdi_dataversion WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _root() -> Path:
    return Path(settings.VAR_DIR) / "cache" / "tables"


def _dir(version: int, with_events: bool) -> Path:
    return _root() / f"v{version}-{'events' if with_events else 'facts'}"


def _read(path: Path) -> Tables | None:
    try:
        return Tables(**{f.name: pl.read_parquet(path / f"{f.name}.parquet") for f in fields(Tables)})
    except (OSError, pl.exceptions.PolarsError):
        return None


def _write(path: Path, tables: Tables) -> None:
    tmp = path.with_name(path.name + f".tmp-{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        for f in fields(Tables):
            getattr(tables, f.name).write_parquet(tmp / f"{f.name}.parquet")
        tmp.rename(path)
    except OSError:  # another process renamed its copy first, or the disk is full: the cache is optional
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for old in _root().iterdir():
        if old != path and not old.name.startswith(path.name):
            shutil.rmtree(old, ignore_errors=True)


def whole_tables(*, with_events: bool = False) -> Tables:
    """Every enterprise's facts, exactly as ``load_tables(with_events=...)`` returns them now."""
    version = data_version()
    if version is None:
        return load_tables(with_events=with_events)
    key = (version, with_events)
    with _lock:
        found = _memory.get(key)
    if found is not None:
        return found
    path = _dir(version, with_events)
    tables = _read(path) if path.is_dir() else None
    if tables is None:
        tables = load_tables(with_events=with_events)
        if data_version() != version:  # a write committed while loading: correct now, but not for the cache
            return tables
        _write(path, tables)
    with _lock:
        for old in [k for k in _memory if k[0] != version]:
            del _memory[old]
        _memory[key] = tables
    return tables


def forget() -> None:
    """Empty this process's memory cache (tests)."""
    with _lock:
        _memory.clear()
