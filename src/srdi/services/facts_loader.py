"""Reading the enterprise database into ``Tables`` (the rules engine's columnar input), in bulk.

Use ``load_tables(enterprise_ids=None, years=...)`` from services that assess or simulate many enterprises.
One SQL query per table, streamed in chunks into Polars and cast to the engine's schemas; ``eid`` is the
database id, so results can be written back by id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection

from srdi.domain.tables import (
    AWARD_SCHEMA,
    CERT_SCHEMA,
    CONTEST_SCHEMA,
    DATA_UPDATE_SCHEMA,
    ENTERPRISE_SCHEMA,
    EQUITY_SCHEMA,
    EVENT_SCHEMA,
    IP_ITEM_SCHEMA,
    SANCTION_SCHEMA,
    SCORE_SCHEMA,
    TITLE_SCHEMA,
    YEAR_SCHEMA,
    Tables,
)

FETCH = 50_000


def coerce(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """Cast raw database values (ISO date strings, 0/1 booleans, float decimals on SQLite) to the schema."""
    exprs = []
    for col, dtype in schema.items():
        if col not in frame.columns:
            exprs.append(pl.lit(None, dtype=dtype).alias(col))
            continue
        current = frame.schema[col]
        expr = pl.col(col)
        if dtype == pl.Date:
            if current == pl.String:
                expr = expr.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=True)
            elif isinstance(current, pl.Datetime):
                expr = expr.dt.date()
            elif current == pl.Null:
                expr = expr.cast(pl.Date)
        elif isinstance(dtype, pl.Decimal) and current in (pl.Float64, pl.Float32):
            expr = expr.cast(pl.String).cast(dtype)
        else:
            expr = expr.cast(dtype)
        exprs.append(expr.alias(col))
    return frame.select(exprs)


def _query(
    sql: str, params: Iterable[Any], columns: list[str], progress: Callable[[int], None] | None
) -> pl.DataFrame:
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while True:
            rows = cursor.fetchmany(FETCH)
            if not rows:
                break
            parts.append(pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None))
            if progress:
                progress(len(rows))
    if not parts:
        return pl.DataFrame(schema={c: pl.Null for c in columns})
    return pl.concat(parts, how="vertical_relaxed")


def _select(
    table: str,
    mapping: dict[str, str],
    where: str,
    params: list[Any],
    schema: dict[str, Any],
    progress: Callable[[int], None] | None,
) -> pl.DataFrame:
    cols = ", ".join(f'{src} AS "{dst}"' for dst, src in mapping.items())
    # Table and column names come from this module, never from input.
    raw = _query(f"SELECT {cols} FROM {table} {where}", params, list(mapping), progress)  # noqa: S608
    return coerce(raw, schema)


def _where(
    column: str, ids: list[int] | None, extra: str = "", id_range: tuple[int, int] | None = None
) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if ids is not None:
        clauses.append(f"{column} IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    if id_range is not None:
        clauses.append(f"{column} BETWEEN %s AND %s")
        params += list(id_range)
    if extra:
        clauses.append(extra)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _events(
    ids: list[int] | None, progress: Callable[[int], None] | None, id_range: tuple[int, int] | None = None
) -> pl.DataFrame:
    where, params = _where("enterprise_id", ids, id_range=id_range)
    raw = _query(
        f"SELECT enterprise_id, id, kind, key, payload FROM srdi_event {where} ORDER BY enterprise_id, id",  # noqa: S608
        params,
        ["eid", "id", "kind", "key", "payload"],
        progress,
    )
    if raw.height == 0:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    rows = []
    seq_of: dict[int, int] = {}
    for eid, _, kind, key, payload in raw.iter_rows():
        data = payload if isinstance(payload, dict) else json.loads(payload, parse_float=Decimal)
        seq = seq_of.get(eid, 0)
        seq_of[eid] = seq + 1
        row = {"eid": eid, "seq": seq, "kind": kind, "key": key or None}
        for col in EVENT_SCHEMA:
            if col not in row and col in data:
                value = data[col]
                row[col] = Decimal(str(value)) if col in ("annual_rate", "guarantee_fee_rate") else value
        rows.append(row)
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return coerce(frame, EVENT_SCHEMA)


def load_tables(
    enterprise_ids: list[int] | None = None,
    *,
    with_events: bool = False,
    progress: Callable[[str, int], None] | None = None,
    id_range: tuple[int, int] | None = None,
) -> Tables:
    """All facts of the given enterprises (all enterprises when ``None``) as engine tables; ``id_range``
    (first, last), both included, restricts them to a range of enterprise ids (one screening partition)."""

    def tick(name: str) -> Callable[[int], None] | None:
        return (lambda n: progress(name, n)) if progress else None

    ent_map = {
        c: ("id" if c == "eid" else "district_id" if c == "district" else c) for c in ENTERPRISE_SCHEMA
    }
    where, params = _where("id", enterprise_ids, id_range=id_range)
    enterprises = _select("srdi_enterprise", ent_map, where, params, ENTERPRISE_SCHEMA, tick("enterprises"))

    def child(
        table: str, schema: dict[str, Any], name: str, rename: dict[str, str] | None = None
    ) -> pl.DataFrame:
        mapping = {c: ("enterprise_id" if c == "eid" else (rename or {}).get(c, c)) for c in schema}
        w, p = _where("enterprise_id", enterprise_ids, id_range=id_range)
        return _select(table, mapping, w, p, schema, tick(name))

    contest_schema = dict(CONTEST_SCHEMA)
    tables = Tables(
        enterprises=enterprises,
        years=child("srdi_enterpriseyear", YEAR_SCHEMA, "years"),
        titles=child("srdi_title", TITLE_SCHEMA, "titles"),
        awards=child("srdi_award", AWARD_SCHEMA, "awards"),
        contests=child("srdi_contest", contest_schema, "contests", {"group": '"group"'}),
        equity=child("srdi_equityfinancing", EQUITY_SCHEMA, "equity"),
        certifications=child("srdi_certification", CERT_SCHEMA, "certifications"),
        events=_events(enterprise_ids, tick("events"), id_range)
        if with_events
        else pl.DataFrame(schema=EVENT_SCHEMA),
        ip_items=child("srdi_ipitem", IP_ITEM_SCHEMA, "ip_items"),
        scores=child("srdi_platformscore", SCORE_SCHEMA, "scores"),
        data_updates=child("srdi_dataupdate", DATA_UPDATE_SCHEMA, "data_updates"),
        sanctions=child("srdi_sanction", SANCTION_SCHEMA, "sanctions"),
    )
    return tables
