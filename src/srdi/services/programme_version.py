"""A cheap fingerprint of every row the cockpit's figures depend on, so that a cached cockpit is never stale.

Use ``data_version()`` as part of a cache key: it changes whenever a certification, an enterprise's district, a
move-in event, a sanction, a finished screening, the district table, the seedling pool (a spell added,
confirmed, declined or closed) or the entered published counts (append-only) changes (an insert, an update or
a delete of any of them), because it sums id-weighted values of the columns the figures read. On PostgreSQL it costs a few
scans (about 0.15 s at 100,000 enterprises); on other databases it returns None and callers do not cache.
"""

from __future__ import annotations

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


def _sql() -> str:
    cert, ent, ev, sanc, run, dist = (
        m._meta.db_table for m in (Certification, Enterprise, Event, Sanction, AssessmentRun, District)
    )
    pool, counts = SeedlingMember._meta.db_table, PublishedCountEntry._meta.db_table
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
          (SELECT count(*) || ':' || coalesce(max(id), 0) FROM {run} WHERE finished_at IS NOT NULL),
          (SELECT count(*) || ':' || coalesce(sum(hashtext(code || name)), 0) FROM {dist}),
          (SELECT count(*) || ':' || coalesce(sum(id::bigint * (coalesce(removed_on {day} * 7
                  + coalesce(added_on {day} * 3 + enterprise_id::bigint * hashtext(status))), 0) FROM {pool}),
          (SELECT count(*) || ':' || coalesce(max(id), 0) FROM {counts})
    """  # noqa: S608 — table names from the models, no user input


def data_version() -> str | None:
    """The fingerprint (PostgreSQL), or None where it is not available (then do not cache)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_sql())
        row = cursor.fetchone()
    return "|".join(str(v) for v in row) if row else None
