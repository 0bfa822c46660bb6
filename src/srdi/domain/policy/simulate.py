"""Policy cost simulation: run a pack over every recorded event of a year and total the cost.

Use ``simulate(tables, packs, year, overrides)``: the same column-wise engine as ``srdi entitle``, restricted to
events dated in ``year``, summed by measure and by district with the city/district split, and — when
``overrides`` change parameters — the difference against the baseline run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from srdi.domain.policy.engine import entitle
from srdi.domain.policy.model import Pack
from srdi.domain.tables import Tables


@dataclass
class Simulation:
    """Totals of one run: by measure, by district, and overall (fen)."""

    by_measure: pl.DataFrame
    by_district: pl.DataFrame
    totals: dict[str, int]
    statuses: dict[str, int]
    events: int


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
    frame = entitle(scoped, packs, overrides=overrides, history=history).frame
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
    }
    return Simulation(by_measure, by_district, totals, statuses, scoped.events.height)


def difference(base: Simulation, changed: Simulation) -> dict[str, Any]:
    """What a parameter change does: changed − baseline, overall and by measure."""
    keys = ("amount_fen", "city_fen", "district_fen", "grants")
    overall = {k: changed.totals[k] - base.totals[k] for k in keys}
    joined = base.by_measure.join(
        changed.by_measure, on=["measure", "article"], how="full", suffix="_new", coalesce=True
    ).fill_null(0)
    by_measure = [
        {"measure": r["measure"], "article": r["article"], **{k: r[f"{k}_new"] - r[k] for k in keys}}
        for r in joined.sort("article").iter_rows(named=True)
        if any(r[f"{k}_new"] != r[k] for k in keys)
    ]
    return {"overall": overall, "by_measure": by_measure}
