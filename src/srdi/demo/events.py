"""Policy events (exchange-format ``events``) for one block of demo enterprises.

SRDI title holders (省级专精特新 or 小巨人) have events far more often than others, as they are the ones
81号 pays. Events fall mostly inside the policy window (2024-01-27 … 2025-12-31); a few fall outside so that
window checks have work to do. Keys (``P1``, ``D1``, ``L1``, ``S1``) number an enterprise's projects, loans
and scenes in date order; ``seq`` orders all of an enterprise's events by date.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from srdi.demo.columns import frame, with_nulls
from srdi.demo.enterprises import Latent
from srdi.demo.rng import day, years_of
from srdi.demo.vocab import INDUSTRIES, MFG, SOFTWARE, WINDOW_END, WINDOW_START
from srdi.domain.tables import DEC, EVENT_SCHEMA

KIND_ORDER = (
    "recognition",
    "relocation_in",
    "tech_renovation",
    "digital_transformation",
    "loan",
    "brand_listing",
    "scene_award",
    "tech_transaction",
)
KEY_PREFIX = {"tech_renovation": "P", "digital_transformation": "D", "loan": "L", "scene_award": "S"}
RENOVATION_INDUSTRIES = (
    "next_gen_it",
    "high_end_equipment",
    "biomedicine",
    "integrated_circuit",
    "new_energy",
    "new_materials",
    "other",
)
_W0, _W1 = day(WINDOW_START), day(WINDOW_END)
_BEFORE = (day("2023-07-01"), _W0 - 1)
_AFTER = (_W1 + 1, day("2026-03-31"))


def _dates(rng: np.random.Generator, m: int, outside: float) -> np.ndarray:
    """Days inside the window, except a share ``outside`` split between before and after it."""
    inside = rng.integers(_W0, _W1 + 1, m)
    before = rng.integers(_BEFORE[0], _BEFORE[1] + 1, m)
    after = rng.integers(_AFTER[0], _AFTER[1] + 1, m)
    u = rng.random(m)
    days: np.ndarray = np.where(u < outside / 2, before, np.where(u < outside, after, inside))
    return days


def _fen(wan: np.ndarray) -> np.ndarray:
    fen: np.ndarray = (np.rint(wan) * 1_000_000).astype(np.int64)
    return fen


def _rows(rng: np.random.Generator, p: np.ndarray, extra: float) -> np.ndarray:
    """Enterprise positions having the event, repeated for those with more than one."""
    has = rng.random(len(p)) < p
    counts = np.where(has, 1 + rng.binomial(1, extra, len(p)), 0)
    return np.repeat(np.arange(len(p)), counts)


def _ratio(bp: np.ndarray) -> pl.Expr:
    return (pl.lit(pl.Series(bp.astype(np.int64))).cast(DEC) * pl.lit(Decimal("0.0001"))).cast(DEC)


def events(rng: np.random.Generator, lat: Latent, certs: pl.DataFrame, as_of_year: int) -> pl.DataFrame:
    """All events of the block, ordered by enterprise and ``seq``."""
    n = len(lat.eid)
    base = int(lat.eid[0]) if n else 0
    holder = np.zeros(n, dtype=bool)
    srdi = certs.filter(pl.col("tier").is_in(["srdi_sme", "little_giant"]))
    holder[srdi["eid"].to_numpy() - base] = True
    boost = np.where(holder, 1.0, 0.0)
    parts: list[pl.DataFrame] = []

    # recognitions of the tiers 81号 第3条 rewards, recognised in the last two years (some before the window)
    rec = certs.filter(
        pl.col("tier").is_in(["srdi_sme", "hidden_champion", "little_giant"])
        & (pl.col("recognized_on").dt.year() >= as_of_year - 1)
    )
    parts.append(
        rec.select("eid", pl.lit("recognition").alias("kind"), "tier", pl.col("recognized_on").alias("date"))
    )

    # move-ins of enterprises that already held the title elsewhere
    held = srdi.filter(pl.col("recognized_on") < pl.date(as_of_year, 1, 1))
    moved = held.filter(pl.Series(rng.random(held.height) < 0.01))
    if moved.height:
        start = np.maximum(moved["recognized_on"].to_physical().to_numpy() + 30, _W0 - 60)
        when = start + (rng.random(moved.height) * (_W1 - start)).astype(np.int64)
        parts.append(
            moved.select("eid", pl.lit("relocation_in").alias("kind"), "tier").with_columns(
                date=pl.Series(when).cast(pl.Date)
            )
        )

    q = lat.q
    sector = np.where(lat.group == MFG, 1.5, np.where(lat.group == SOFTWARE, 0.3, 0.5))
    rows = _rows(rng, (0.02 + 0.10 * boost) * sector * np.exp(0.2 * q), 0.15)
    m = len(rows)
    total = np.exp(np.log(2500) + rng.standard_normal(m)).clip(200, 80000)
    usual = np.array([RENOVATION_INDUSTRIES.index(i.renovation) for i in INDUSTRIES])[lat.industry[rows]]
    u = rng.random(m)
    industry = np.where(u < 0.85, usual, np.where(u < 0.95, 6, rng.integers(0, 7, m)))
    total_fen = _fen(total)
    parts.append(
        frame(
            {
                "eid": lat.eid[rows],
                "kind": np.full(m, "tech_renovation"),
                "date": _dates(rng, m, 0.06),
                "industry": np.array(RENOVATION_INDUSTRIES)[industry],
                "total_investment_fen": total_fen,
                "eligible_investment_since_2023_fen": with_nulls(
                    (np.rint(total_fen * rng.uniform(0.3, 0.95, m) / 100) * 100).astype(np.int64),
                    rng.random(m) < 0.03,
                ),
            },
            EVENT_SCHEMA,
        )
    )

    rows = _rows(rng, (0.015 + 0.065 * boost) * np.exp(0.2 * q), 0.1)
    m = len(rows)
    parts.append(
        frame(
            {
                "eid": lat.eid[rows],
                "kind": np.full(m, "digital_transformation"),
                "date": _dates(rng, m, 0.05),
                "eligible_investment_fen": _fen(
                    np.exp(np.log(300) + 0.8 * rng.standard_normal(m)).clip(30, 3000)
                ),
            },
            EVENT_SCHEMA,
        )
    )

    rows = _rows(rng, (0.03 + 0.17 * boost) * np.exp(0.1 * q), 0.3)
    m = len(rows)
    principal_fen = (
        np.clip(np.rint(np.exp(np.log(500) + 0.6 * rng.standard_normal(m)) / 50), 2, 40) * 50_000_000
    ).astype(np.int64)
    rate_bp = np.clip(np.rint((300 - 20 * q[rows] + 35 * rng.standard_normal(m)) / 5) * 5, 220, 380).astype(
        np.int64
    )
    term = np.where(rng.random(m) < 0.7, 12, rng.integers(6, 12, m))
    interest = np.rint(principal_fen * (rate_bp / 10000) * term / 12 * rng.uniform(0.97, 1.0, m)).astype(
        np.int64
    )
    guarantee_bp = rng.integers(3, 9, m) * 10
    loans = frame(
        {
            "eid": lat.eid[rows],
            "kind": np.full(m, "loan"),
            "contract_date": _dates(rng, m, 0.05),
            "principal_fen": principal_fen,
            "term_months": term,
            "interest_paid_fen": with_nulls(interest, rng.random(m) < 0.03),
        },
        EVENT_SCHEMA,
    ).with_columns(annual_rate=_ratio(rate_bp), guarantee_fee_rate=_ratio(guarantee_bp))
    parts.append(
        loans.with_columns(
            guarantee_fee_rate=pl.when(pl.Series(rng.random(m) < 0.08))
            .then(None)
            .otherwise("guarantee_fee_rate")
        )
    )

    rows = _rows(rng, (0.001 + 0.014 * boost) * np.exp(0.3 * q), 0.0)
    m = len(rows)
    when = _dates(rng, m, 0.0)
    parts.append(
        frame(
            {
                "eid": lat.eid[rows],
                "kind": np.full(m, "brand_listing"),
                "date": when,
                "list": np.full(m, "brand_power_project"),
                "year": years_of(when) - 1,
            },
            EVENT_SCHEMA,
        )
    )

    rows = _rows(rng, (0.002 + 0.018 * boost) * np.exp(0.3 * q), 0.1)
    m = len(rows)
    parts.append(
        frame(
            {"eid": lat.eid[rows], "kind": np.full(m, "scene_award"), "date": _dates(rng, m, 0.05)},
            EVENT_SCHEMA,
        )
    )

    rows = _rows(rng, (0.008 + 0.052 * boost) * np.exp(0.2 * q), 0.0)
    m = len(rows)
    year = np.where(rng.random(m) < 0.5, 2024, 2025)
    when = np.array([day("2024-01-10"), day("2025-01-10")])[year - 2024] + rng.integers(0, 110, m)
    late = rng.random(m) < 0.05
    when = np.where(late, day("2026-01-10") + rng.integers(0, 80, m), when)
    parts.append(
        frame(
            {
                "eid": lat.eid[rows],
                "kind": np.full(m, "tech_transaction"),
                "date": when,
                "year": years_of(when) - 1,
                "amount_fen": _fen(np.exp(np.log(200) + rng.standard_normal(m)).clip(10, 5000)),
            },
            EVENT_SCHEMA,
        )
    )
    return _keyed(parts)


def _keyed(parts: list[pl.DataFrame]) -> pl.DataFrame:
    cols: list[Any] = []
    for c, t in EVENT_SCHEMA.items():
        cols.append(pl.col(c).cast(t) if c not in ("seq", "key") else pl.lit(None, dtype=t).alias(c))
    frames = [
        p.select(
            [pl.col(c) if c in p.columns else pl.lit(None, dtype=t).alias(c) for c, t in EVENT_SCHEMA.items()]
        ).select(cols)
        for p in parts
        if p.height
    ]
    if not frames:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    df = pl.concat(frames)
    order = pl.col("kind").replace_strict(
        list(KIND_ORDER), list(range(len(KIND_ORDER))), return_dtype=pl.Int32
    )
    df = df.with_columns(_when=pl.coalesce("date", "contract_date"), _order=order).sort(
        ["eid", "_when", "_order"], maintain_order=True
    )
    number = pl.int_range(1, pl.len() + 1).over(["eid", "kind"]).cast(pl.String)
    prefix = pl.col("kind").replace_strict(
        list(KEY_PREFIX), list(KEY_PREFIX.values()), default=None, return_dtype=pl.String
    )
    return (
        df.with_columns(
            seq=pl.int_range(pl.len()).over("eid").cast(pl.Int64),
            key=pl.concat_str(prefix, number),
        )
        .drop("_when", "_order")
        .select(list(EVENT_SCHEMA))
    )
