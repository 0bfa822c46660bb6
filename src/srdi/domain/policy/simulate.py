"""Policy cost simulation: run a pack over every recorded event of a year and total the cost.

Use ``simulate(tables, packs, year, overrides)``: the same column-wise engine as ``srdi entitle``, restricted to
events dated in ``year``, summed by measure and by district with the city/district split, and — when
``overrides`` change parameters — the difference against the baseline run. A measure with an ``annual_quota``
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
    return Simulation(by_measure, by_district, totals, statuses, scoped.events.height, warnings)


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
