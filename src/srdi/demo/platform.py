"""The cultivation platform's records of one block of demo enterprises: quality scores, annual data updates and
sanctions (exchange format 1.1 ``platform_scores``, ``data_updates``, ``sanctions``).

Use these from the generator. The platform's 专精特新发展质量评价得分 (75号) rises with the tier score and the
quality ``q``, so that 2号's lines (50 for 专精特新, 60 for 小巨人) pass most title holders and a minority of
the others; scores are kept for as_of_year−1 and as_of_year. Annual updates are due by 31 May from 2026; most
enterprises update on time, some late, a few not at all (a lasting habit). Data fraud is very rare.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl

from srdi.demo.columns import frame, labels, with_nulls
from srdi.demo.enterprises import Latent
from srdi.demo.facts import ordered
from srdi.demo.rng import day, sigmoid
from srdi.demo.vocab import DATA_UPDATE_DUE, DATA_UPDATES_FROM
from srdi.demo.years import LastYear
from srdi.domain.tables import DATA_UPDATE_SCHEMA, DEC, SANCTION_SCHEMA, SCORE_SCHEMA

# The 75号 score is computed by the platform from the enterprise's data (its formula is not public): here a base
# plus points for main-business share (专), R&D intensity and growth (精/新), scale, Ⅰ类 IP, and the latent
# tier score for what the figures do not show (特色, market position …); then enterprise and year noise.
SCORE_BASE = 18.0
SCORE_POINTS = {"main": 12.0, "rd": 14.0, "growth": 8.0, "scale": 12.0, "ip": 8.0}
SCORE_TIER_SLOPE = 4.5
SCORE_ENTERPRISE_SD = 5.0
SCORE_YEAR_SD = 2.5
SCORE_BOUNDS = (5.0, 98.0)
SCORE_MISSING = {0: 0.02, 1: 0.06}  # years before as_of_year → share without a score (newly registered …)
FRAUD_LOGIT = (-8.2, 1.0)  # intercept, slope on the tier score: about 5 in 10,000 enterprises


def _merits(last: LastYear, lat: Latent) -> np.ndarray:
    """Points (before noise) from the last full year's figures, the IP and the tier score."""
    merit = {
        "main": np.clip((last.main_share - 0.75) / 0.25, 0, 1),
        "rd": np.clip(last.rd_intensity / 0.08, 0, 1),
        "growth": np.clip((last.revenue_cagr_2y + 0.05) / 0.25, 0, 1),
        "scale": np.clip((np.log10(last.revenue_wan) - 2.7) / 1.8, 0, 1),
        "ip": np.minimum(lat.ip.class1 / 8, 1),
    }
    points: np.ndarray = SCORE_BASE + SCORE_TIER_SLOPE * lat.tier_score
    for name, weight in SCORE_POINTS.items():
        points = points + weight * merit[name]
    return points


def scores(
    rng: np.random.Generator, lat: Latent, last: LastYear, known: np.ndarray, as_of_year: int
) -> pl.DataFrame:
    """Platform scores (one decimal place) for as_of_year−1 and as_of_year, ordered by enterprise and year."""
    n = len(lat.eid)
    level = _merits(last, lat) + SCORE_ENTERPRISE_SD * rng.standard_normal(n)
    parts = []
    for back in (1, 0):
        value = level - 0.8 * back + SCORE_YEAR_SD * rng.standard_normal(n)
        tenths = np.rint(np.clip(value, *SCORE_BOUNDS) * 10).astype(np.int64)
        rows = np.flatnonzero(known & (rng.random(n) >= SCORE_MISSING[back]))
        parts.append(
            frame(
                {
                    "eid": lat.eid[rows],
                    "year": np.full(len(rows), as_of_year - back),
                    "score": tenths[rows],
                },
                SCORE_SCHEMA,
            ).with_columns(score=(pl.col("score").cast(DEC) * pl.lit(Decimal("0.1"))).cast(DEC))
        )
    return ordered(parts, SCORE_SCHEMA, "year")


def data_updates(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """Annual updates of the years from 2026 to as_of_year: on time (April–May), late, or missed."""
    n = len(lat.eid)
    diligence = 2.4 + 0.5 * lat.q + 0.8 * rng.standard_normal(n)  # logit of updating on time
    parts = []
    for year in range(DATA_UPDATES_FROM, as_of_year + 1):
        due = day(f"{year}-{DATA_UPDATE_DUE}")
        on_time = rng.random(n) < sigmoid(diligence)
        late = ~on_time & (rng.random(n) < 0.45)
        early = due - (75 * rng.random(n) ** 2).astype(np.int64)  # most just before the deadline
        after = due + 1 + rng.integers(0, 90, n)
        rows = np.flatnonzero(known & (on_time | late) & (lat.founded_year < year))
        m = len(rows)
        parts.append(
            frame(
                {
                    "eid": lat.eid[rows],
                    "year": np.full(m, year),
                    "updated_on": with_nulls(np.where(on_time, early, after)[rows], rng.random(m) < 0.005),
                },
                DATA_UPDATE_SCHEMA,
            )
        )
    return ordered(parts, DATA_UPDATE_SCHEMA, "year")


def sanctions(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """Data fraud (数据造假) found between 1 January of as_of_year−2 and 30 June of as_of_year; very rare."""
    n = len(lat.eid)
    p = sigmoid(FRAUD_LOGIT[0] + FRAUD_LOGIT[1] * lat.tier_score)
    rows = np.flatnonzero(known & (rng.random(n) < p))
    m = len(rows)
    lo, hi = day(f"{as_of_year - 2}-01-01"), day(f"{as_of_year}-06-30")
    part = {
        "eid": lat.eid[rows],
        "kind": labels(["data_fraud"], np.zeros(m, dtype=np.int64)),
        "date": rng.integers(lo, hi + 1, m),
    }
    return ordered([frame(part, SANCTION_SCHEMA)], SANCTION_SCHEMA, "date")
