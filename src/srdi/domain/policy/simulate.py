"""Policy cost simulation: run a pack over every recorded event of a year and total the cost.

Use ``simulate(tables, packs, year, overrides)``: the same column-wise engine as ``srdi entitle``, restricted to
events dated in ``year``, summed by measure and by district with the city/district split, and — when
``overrides`` change parameters — the difference against the baseline run. ``Simulation.outcomes`` keeps one row
per (event, measure) with its status and granted amount, and ``by_enterprise`` each enterprise's granted total, so
two runs (before and after a parameter change) can be compared row by row: ``enterprise_changes`` (who gains and
who loses) and ``status_moves`` (e.g. ``amount_unset`` → ``granted``). A measure with an ``annual_quota``
(第7条: at most ``hz81.7.scenes_per_year`` scenes a year, city-wide) is checked against the year's grants and a
warning says when the recorded events exceed it; the engine itself cannot, since it sees only part of the city.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from srdi.domain.policy.engine import entitle
from srdi.domain.policy.model import Pack
from srdi.domain.policy.params import ParamSet
from srdi.domain.tables import Tables


@dataclass
class Simulation:
    """Totals of one run: by measure, by district, and overall (fen)."""

    by_measure: pl.DataFrame
    by_district: pl.DataFrame
    totals: dict[str, int]
    statuses: dict[str, int]
    events: int
    warnings: list[str] = field(default_factory=list)
    # One row per (event, measure): erow, measure, eid, status, amount_fen (granted rows only, else 0).
    outcomes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=OUTCOME_SCHEMA))
    # One row per enterprise with a granted row: eid, uscc, name, district, amount_fen, grants.
    by_enterprise: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ENTERPRISE_SCHEMA))


OUTCOME_SCHEMA: dict[str, Any] = {
    "erow": pl.Int64,
    "measure": pl.String,
    "eid": pl.Int64,
    "status": pl.String,
    "amount_fen": pl.Int64,
}
ENTERPRISE_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "uscc": pl.String,
    "name": pl.String,
    "district": pl.String,
    "amount_fen": pl.Int64,
    "grants": pl.UInt32,
}


def _year_only(tables: Tables, year: int) -> Tables:
    day = pl.coalesce(pl.col("date"), pl.col("contract_date"))
    events = tables.events.filter(day.dt.year() == year)
    return Tables(
        tables.enterprises,
        tables.years,
        tables.titles,
        tables.awards,
        tables.contests,
        tables.equity,
        tables.certifications,
        events,
    )


def run_simulation(
    tables: Tables,
    packs: tuple[Pack, ...],
    year: int,
    overrides: dict[str, Any] | None = None,
    history: pl.DataFrame | None = None,
) -> Simulation:
    """Entitlements for all events of ``year``, totalled."""
    scoped = _year_only(tables, year)
    result = entitle(scoped, packs, overrides=overrides, history=history)
    frame = result.frame
    granted = frame.filter(pl.col("status") == "granted")
    money = [
        pl.col("amount_fen").sum().alias("amount_fen"),
        pl.col("city_fen").sum().alias("city_fen"),
        pl.col("district_fen").sum().alias("district_fen"),
        pl.len().alias("grants"),
    ]
    by_measure = granted.group_by("measure", "article").agg(money).sort("article")
    by_district = granted.group_by("district").agg(money).sort("district")
    statuses = {str(k): int(v) for k, v in frame.group_by("status").len().iter_rows()}
    totals = {
        "amount_fen": int(granted.get_column("amount_fen").sum() or 0),
        "city_fen": int(granted.get_column("city_fen").sum() or 0),
        "district_fen": int(granted.get_column("district_fen").sum() or 0),
        "grants": granted.height,
        "amount_unset": statuses.get("amount_unset", 0),
        "window_unset": statuses.get("window_unset", 0),
    }
    warnings = _quota_warnings(granted, packs, result.params, year)
    is_granted = pl.col("status") == "granted"
    outcomes = frame.select(
        pl.col("erow").cast(pl.Int64),
        pl.col("measure").cast(pl.String),
        pl.col("eid").cast(pl.Int64),
        pl.col("status").cast(pl.String),
        pl.when(is_granted)
        .then(pl.col("amount_fen"))
        .otherwise(0)
        .fill_null(0)
        .cast(pl.Int64)
        .alias("amount_fen"),
    )
    names = scoped.enterprises.select(pl.col("eid").cast(pl.Int64), pl.col("name").cast(pl.String))
    by_enterprise = (
        granted.group_by("eid")
        .agg(
            pl.col("uscc").first().cast(pl.String),
            pl.col("district").first().cast(pl.String),
            pl.col("amount_fen").fill_null(0).sum().cast(pl.Int64),
            pl.len().alias("grants"),
        )
        .with_columns(pl.col("eid").cast(pl.Int64))
        .join(names, on="eid", how="left")
        .select(list(ENTERPRISE_SCHEMA))
        .sort("eid")
    )
    return Simulation(
        by_measure,
        by_district,
        totals,
        statuses,
        scoped.events.height,
        warnings,
        outcomes if outcomes.height else pl.DataFrame(schema=OUTCOME_SCHEMA),
        by_enterprise if by_enterprise.height else pl.DataFrame(schema=ENTERPRISE_SCHEMA),
    )


def _quota_warnings(granted: pl.DataFrame, packs: tuple[Pack, ...], params: ParamSet, year: int) -> list[str]:
    """Measures whose grants in ``year`` exceed their city-wide yearly ceiling (value on 31 December)."""
    out = []
    for p in packs:
        for m in p.measures:
            if not m.annual_quota:
                continue
            quota = params.value(m.annual_quota, date(year, 12, 31))
            count = granted.filter(pl.col("measure") == m.id).height
            if quota is not None and count > quota:
                out.append(
                    f"{m.reference}：{year}年兑现 {count} 项，超过每年不超过 {quota} 项的上限"
                    f"（{m.annual_quota}），实际以择优评选结果为准"
                )
    return out


MONEY_KEYS = ("amount_fen", "city_fen", "district_fen", "grants")


def _changed_rows(
    before: pl.DataFrame, after: pl.DataFrame, on: list[str], order: str
) -> list[dict[str, Any]]:
    """Rows of ``after`` − ``before`` joined on ``on`` (sorted by ``order``), only those where something changed."""
    value_cols = [pl.col(k).fill_null(0) for k in MONEY_KEYS]
    joined = (
        before.join(after, on=on, how="full", suffix="_new", coalesce=True, nulls_equal=True)
        .with_columns(value_cols + [pl.col(f"{k}_new").fill_null(0) for k in MONEY_KEYS])
        .sort(order, nulls_last=True)
    )
    return [
        {**{c: r[c] for c in on}, **{k: int(r[f"{k}_new"]) - int(r[k]) for k in MONEY_KEYS}}
        for r in joined.iter_rows(named=True)
        if any(r[f"{k}_new"] != r[k] for k in MONEY_KEYS)
    ]


def difference(base: Simulation, changed: Simulation) -> dict[str, Any]:
    """What a parameter change does: changed − baseline, overall, by measure and by district."""
    overall = {k: changed.totals[k] - base.totals[k] for k in MONEY_KEYS}
    return {
        "overall": overall,
        "by_measure": _changed_rows(base.by_measure, changed.by_measure, ["measure", "article"], "article"),
        "by_district": _changed_rows(base.by_district, changed.by_district, ["district"], "district"),
    }


def enterprise_changes(base: Simulation, changed: Simulation) -> pl.DataFrame:
    """Each enterprise whose granted total differs between the runs: eid, uscc, name, district, before_fen,
    after_fen, difference_fen (after − before), largest change first (then by uscc)."""
    keys = ["eid", "uscc", "name", "district"]
    before = base.by_enterprise.select(*keys, pl.col("amount_fen").alias("before_fen"))
    after = changed.by_enterprise.select(*keys, pl.col("amount_fen").alias("after_fen"))
    return (
        before.join(after, on="eid", how="full", coalesce=True, suffix="_after")
        .with_columns(
            *(pl.coalesce(pl.col(k), pl.col(f"{k}_after")).alias(k) for k in keys[1:]),
            pl.col("before_fen").fill_null(0),
            pl.col("after_fen").fill_null(0),
        )
        .with_columns((pl.col("after_fen") - pl.col("before_fen")).alias("difference_fen"))
        .filter(pl.col("difference_fen") != 0)
        .select(*keys, "before_fen", "after_fen", "difference_fen")
        .sort([pl.col("difference_fen").abs(), pl.col("uscc")], descending=[True, False])
    )


def status_moves(base: Simulation, changed: Simulation) -> list[tuple[str, str, int]]:
    """How many (event, measure) results moved from one status to another: (before, after, count), most first."""
    joined = base.outcomes.select("erow", "measure", pl.col("status").alias("before")).join(
        changed.outcomes.select("erow", "measure", pl.col("status").alias("after")),
        on=["erow", "measure"],
        how="inner",
    )
    moved = (
        joined.filter(pl.col("before") != pl.col("after"))
        .group_by("before", "after")
        .len()
        .sort(["len", "before", "after"], descending=[True, False, False])
    )
    return [(str(b), str(a), int(n)) for b, a, n in moved.iter_rows()]
