"""A cheap fingerprint of every row the cockpit's figures depend on, so that a cached cockpit is never stale.

Use ``data_versions()`` (by part: title counts, pipeline) or ``data_version()`` (all) as part of a cache key: it
changes whenever a certification, an enterprise's district, a move-in event, a sanction, a finished screening
(its id and finishing time to the millisecond: a screening's rows do not change once it has finished), the
district table, the seedling pool (a spell added, confirmed, declined or closed) or the entered published counts
(append-only) changes (an insert, an update or a delete of any of them), because it sums id-weighted values of
the columns the figures read. Bulk writes that bypass Django's signals are seen as well: the fingerprint reads the
rows, not a counter. It costs a few scans: about 0.1 s at 100,000 enterprises on PostgreSQL and on SQLite. On
SQLite the sums use day numbers, built-in expressions of the tier and district codes, and a CRC of the other text
columns (``srdi_crc``, a function registered on the connection), each row's term reduced modulo a prime so the
sums never overflow. On other databases it returns None and callers do not cache.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from django.db import connection

from srdi.db.models import (
    AssessmentRun,
    Certification,
    District,
    Enterprise,
    Event,
    PublishedCountEntry,
    Sanction,
    SeedlingMember,
)

_EPOCH = "date '2000-01-01'"
# Each SQLite row term is reduced modulo this prime, so a sum over millions of rows fits 64 bits.
_PRIME = 2147483647
# Built-in SQLite expressions for the two large tables (a Python function per row cost about 0.08 s at 100,000):
# the tier codes differ in their first two letters or their length; district codes are six digits (a code that
# is not a number still counts by its first character and length).
TIER_CODE = "unicode(tier) * 4096 + unicode(substr(tier, 2)) * 64 + length(tier)"
DISTRICT_CODE = (
    "coalesce(CAST(district_id AS INTEGER) * 64 + unicode(district_id) * 8 + length(district_id), 0)"
)


def _tables() -> tuple[str, ...]:
    models = (
        Certification,
        Enterprise,
        Event,
        Sanction,
        AssessmentRun,
        District,
        SeedlingMember,
        PublishedCountEntry,
    )
    return tuple(m._meta.db_table for m in models)


def _sql() -> str:
    cert, ent, ev, sanc, run, dist, pool, counts = _tables()
    day = f"- {_EPOCH}, 0)"
    return f"""
        SELECT
          (SELECT count(*) || ':' || coalesce(sum(id::bigint * (coalesce(revoked_on {day} * 7
                  + coalesce(recognized_on {day} * 3 + coalesce(expires_on {day})
                  + enterprise_id::bigint * hashtext(tier)), 0) FROM {cert}),
          (SELECT count(*) || ':' || coalesce(sum(id::bigint * hashtext(coalesce(district_id, ''))), 0) FROM {ent}),
          (SELECT count(*) || ':' || coalesce(sum(id::bigint * coalesce(date {day}
                  + enterprise_id::bigint * hashtext(payload::text)), 0)
             FROM {ev} WHERE kind = 'relocation_in'),
          (SELECT count(*) || ':' || coalesce(sum(id::bigint * coalesce(date {day}
                  + enterprise_id::bigint * hashtext(kind)), 0) FROM {sanc}),
          (SELECT count(*) || ':' || coalesce(max(id), 0) || ':'
                  || coalesce(sum(id::bigint * (floor(extract(epoch FROM finished_at) * 1000)::bigint % 2147483647)), 0)
             FROM {run} WHERE finished_at IS NOT NULL),
          (SELECT count(*) || ':' || coalesce(sum(hashtext(code || name)), 0) FROM {dist}),
          (SELECT count(*) || ':' || coalesce(sum(id::bigint * (coalesce(removed_on {day} * 7
                  + coalesce(added_on {day} * 3 + enterprise_id::bigint * hashtext(status))), 0) FROM {pool}),
          (SELECT count(*) || ':' || coalesce(max(id), 0) FROM {counts})
    """  # noqa: S608 — table names from the models, no user input


def _sqlite_sql() -> str:
    cert, ent, ev, sanc, run, dist, pool, counts = _tables()
    p = _PRIME

    def day(column: str) -> str:
        return f"coalesce(CAST(julianday({column}) AS INTEGER) - 2451545, -1)"

    return f"""
        SELECT
          (SELECT count(*) || ':' || coalesce(sum((id * ({day("revoked_on")} * 7 + {day("recognized_on")} * 3
                  + {day("expires_on")})) % {p}), 0) || ':' || coalesce(sum((id * enterprise_id) % {p}), 0)
                  || ':' || coalesce(sum((id * ({TIER_CODE})) % {p}), 0) FROM {cert}),
          (SELECT count(*) || ':' || coalesce(sum((id * ({DISTRICT_CODE})) % {p}), 0) FROM {ent}),
          (SELECT count(*) || ':' || coalesce(sum((id * ({day("date")} + srdi_crc(payload))) % {p}), 0)
                  || ':' || coalesce(sum((id * enterprise_id) % {p}), 0)
             FROM {ev} WHERE kind = 'relocation_in'),
          (SELECT count(*) || ':' || coalesce(sum((id * ({day("date")} + srdi_crc(kind))) % {p}), 0)
                  || ':' || coalesce(sum((id * enterprise_id) % {p}), 0) FROM {sanc}),
          (SELECT count(*) || ':' || coalesce(max(id), 0) || ':'
                  || coalesce(sum(id * (CAST(julianday(finished_at) * 86400000 AS INTEGER) % {p})), 0)
             FROM {run} WHERE finished_at IS NOT NULL),
          (SELECT count(*) || ':' || coalesce(sum(srdi_crc(code || name)), 0) FROM {dist}),
          (SELECT count(*) || ':' || coalesce(sum((id * ({day("removed_on")} * 7 + {day("added_on")} * 3
                  + srdi_crc(status))) % {p}), 0) || ':' || coalesce(sum((id * enterprise_id) % {p}), 0)
             FROM {pool}),
          (SELECT count(*) || ':' || coalesce(max(id), 0) FROM {counts})
    """  # noqa: S608 — table names from the models, no user input


def _crc(text: object) -> int:
    """A 16-bit CRC of a text value (0 for NULL), small enough that id × CRC never overflows."""
    if text is None:
        return 0
    data = text if isinstance(text, bytes) else str(text).encode()
    return zlib.crc32(data) & 0xFFFF


@dataclass(frozen=True)
class Versions:
    """The fingerprint in two parts: what the title counts and target progress read (certifications,
    enterprises' districts, move-ins, sanctions, districts, the seedling pool, entered published counts) and
    what the pipeline reads (certifications, enterprises' districts, finished screenings, districts). A new
    screening changes only ``pipeline``; a title changes both (the pipeline leaves out holders)."""

    titles: str
    pipeline: str


def data_versions() -> Versions | None:
    """The fingerprint by part (PostgreSQL, SQLite), or None where it is not available (then do not cache)."""
    parts = _parts()
    if parts is None:
        return None
    cert, ent, ev, sanc, run, dist, pool, counts = parts
    return Versions("|".join((cert, ent, ev, sanc, dist, pool, counts)), "|".join((cert, ent, run, dist)))


def data_version() -> str | None:
    """The whole fingerprint as one string (PostgreSQL, SQLite), or None where it is not available."""
    parts = _parts()
    return None if parts is None else "|".join(parts)


def _parts() -> tuple[str, ...] | None:
    if connection.vendor == "postgresql":
        sql = _sql()
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function("srdi_crc", 1, _crc, deterministic=True)
        sql = _sqlite_sql()
    else:
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return tuple(str(v) for v in row) if row else None
