"""Certifications, titles, awards, contests and equity financing for one block of demo enterprises.

Tier holders are chosen by the latent tier score (correlated with the quality ``q`` behind the figures), with
fixed thresholds so that an enterprise's tiers do not depend on how many enterprises are generated:
about 45 % hold 创新型中小企业, 12 % 省级专精特新 (every 小巨人 among them), 2 % 小巨人 and 0.4 % 省隐形冠军.
Recognitions come in announcement batches (``vocab.CERT_BATCHES``; from as_of_year 2026 the first ones under 2号);
a certificate runs three years less one day (sometimes the expiry is not recorded) and a few are revoked. About
a quarter of the enterprises also hold yearly 科技型中小企业 registrations (``tech_sme``), valid to 31 December.
Rows are ordered by enterprise, then date.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from srdi.demo.columns import frame, labels, with_nulls
from srdi.demo.enterprises import Latent
from srdi.demo.rng import add_years_minus_one_day, day, shift_years, sigmoid
from srdi.demo.vocab import (
    CALENDAR_FIRST,
    CALENDAR_LAST,
    CALENDAR_SPAN_YEARS,
    CERT_BATCHES,
    CONTEST_DATES,
    HIGH_TECH_BATCHES,
    MFG,
    OTHER_TITLE_DATES,
    REFERENCE_AS_OF_YEAR,
    SOFTWARE,
    TECH_SME_BATCHES,
    TECH_SME_BATCHES_BY_YEAR,
    TECH_SME_YEARS,
)
from srdi.domain.tables import AWARD_SCHEMA, CERT_SCHEMA, CONTEST_SCHEMA, EQUITY_SCHEMA, TITLE_SCHEMA

# Thresholds on the (standard normal) tier score: P(score > t) is the share of holders.
SRDI_THRESHOLD = 1.175  # 12 %
LITTLE_GIANT_THRESHOLD = 2.054  # 2 %
INNOVATIVE_THRESHOLD = 0.0954  # with 90 % of SRDI holders also innovative: 45 % in all
INNOVATIVE_AMONG_SRDI = 0.90
HIDDEN_CHAMPION_LOGIT = (-6.5, 2.4)  # among enterprises of 10+ years with revenue ≥ 4000万
TECH_SME_LOGIT = (-3.6, 0.8)  # yearly 科技型中小企业 registration: intercept, slope on q


def batches(tier: str, as_of_year: int) -> list[tuple[str, float]]:
    """The recognition batches (ISO date, weight) of a tier for as_of_year (see ``vocab.CERT_BATCHES``)."""
    ref = min(max(as_of_year, CALENDAR_FIRST), CALENDAR_LAST)
    chosen = [(d, w) for d, w in CERT_BATCHES[tier] if ref - CALENDAR_SPAN_YEARS < int(d[:4]) <= ref]
    return [(shift_years(d, as_of_year - ref), w) for d, w in chosen]


def _batch_days(tier: str, as_of_year: int) -> tuple[np.ndarray, np.ndarray]:
    dates, weights = zip(*batches(tier, as_of_year), strict=True)
    return np.array([day(d) for d in dates]), np.array(weights, dtype=float)


def _choose(rng: np.random.Generator, options: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    return options[rng.choice(len(options), size=size, p=weights / weights.sum())]


def _cert_rows(
    rng: np.random.Generator, eids: np.ndarray, tier: str, rec: np.ndarray, as_of_year: int
) -> dict[str, Any]:
    n = len(eids)
    expires = add_years_minus_one_day(rec, 3)
    revoked = np.minimum(np.minimum(rec + rng.integers(120, 900, n), expires), day(f"{as_of_year}-09-30"))
    return {
        "eid": eids,
        "tier": np.full(n, tier),
        "recognized_on": rec,
        "expires_on": with_nulls(expires, rng.random(n) < 0.03),
        "revoked_on": with_nulls(revoked, (rng.random(n) >= 0.005) | (revoked <= rec)),
    }


def certifications(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """Tier certifications of the enterprises whose certifications are known."""
    s = lat.tier_score
    earliest = (lat.founded_year + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    parts: list[dict[str, Any]] = []

    def pick(tier: str, rows: np.ndarray) -> np.ndarray:
        days, weights = _batch_days(tier, as_of_year)
        rec = _choose(rng, days, weights, len(rows))
        return np.where(rec < earliest[rows], days[-1], rec)  # not before the enterprise existed

    giant = np.flatnonzero(known & (s > LITTLE_GIANT_THRESHOLD))
    srdi_only = np.flatnonzero(known & (s > SRDI_THRESHOLD) & (s <= LITTLE_GIANT_THRESHOLD))
    giant_rec = pick("little_giant", giant)
    # a little giant's provincial SRDI title came in an earlier batch, after the enterprise was founded
    srdi_days, _ = _batch_days("srdi_sme", as_of_year)
    giant_days, _ = _batch_days("little_giant", as_of_year)
    # … and was still valid then: recognised within the three years before

    def room(rec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.maximum(np.searchsorted(srdi_days, earliest[giant]), np.searchsorted(srdi_days, rec - 1095))
        return lo, np.searchsorted(srdi_days, rec)

    lo, hi = room(giant_rec)
    giant_rec = np.where(hi > lo, giant_rec, giant_days[-1])  # no room before: the latest giant batch
    lo, hi = room(giant_rec)
    giant_srdi = srdi_days[lo + (rng.random(len(giant)) * (hi - lo)).astype(np.int64)]
    parts.append(_cert_rows(rng, lat.eid[giant], "little_giant", giant_rec, as_of_year))
    parts.append(_cert_rows(rng, lat.eid[giant], "srdi_sme", giant_srdi, as_of_year))
    parts.append(_cert_rows(rng, lat.eid[srdi_only], "srdi_sme", pick("srdi_sme", srdi_only), as_of_year))

    srdi_any = s > SRDI_THRESHOLD
    innovative = known & np.where(
        srdi_any, rng.random(len(s)) < INNOVATIVE_AMONG_SRDI, s > INNOVATIVE_THRESHOLD
    )
    rows = np.flatnonzero(innovative)
    parts.append(_cert_rows(rng, lat.eid[rows], "innovative_sme", pick("innovative_sme", rows), as_of_year))

    old_enough = lat.founded_year <= as_of_year - 11
    champion = (
        known
        & old_enough
        & (lat.revenue_wan >= 4000)
        & (rng.random(len(s)) < sigmoid(HIDDEN_CHAMPION_LOGIT[0] + HIDDEN_CHAMPION_LOGIT[1] * s))
    )
    rows = np.flatnonzero(champion)
    parts.append(_cert_rows(rng, lat.eid[rows], "hidden_champion", pick("hidden_champion", rows), as_of_year))
    return ordered([frame(p, CERT_SCHEMA) for p in parts], CERT_SCHEMA, "recognized_on", "tier")


def ordered(frames: list[pl.DataFrame], schema: dict[str, Any], *by: str) -> pl.DataFrame:
    """The frames as one, in ``schema``'s columns, sorted by enterprise and then ``by`` (stable)."""
    df = (
        pl.concat([f.select(list(schema)) for f in frames if f.height])
        if any(f.height for f in frames)
        else None
    )
    if df is None:
        return pl.DataFrame(schema=schema)
    return df.sort(["eid", *by], maintain_order=True)


def tech_sme(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """科技型中小企业 registrations (tier ``tech_sme``) of the last ``TECH_SME_YEARS`` years, each valid to 31 Dec.

    Only enterprises within the registration's size limit (revenue ≤ 2亿元) register; an enterprise that registers
    once tends to register every year (a lasting propensity), more so in software and manufacturing.
    """
    n = len(lat.q)
    bonus = np.where(lat.group == SOFTWARE, 0.6, np.where(lat.group == MFG, 0.2, -1.0))
    lean = TECH_SME_LOGIT[0] + TECH_SME_LOGIT[1] * lat.q + bonus + 3.0 * rng.standard_normal(n)
    small = lat.revenue_wan <= 20_000
    parts: list[dict[str, Any]] = []
    for year in range(as_of_year - TECH_SME_YEARS + 1, as_of_year + 1):
        rows = np.flatnonzero(known & small & (lat.founded_year < year) & (rng.random(n) < sigmoid(lean)))
        dates, weights = zip(*TECH_SME_BATCHES_BY_YEAR.get(year, TECH_SME_BATCHES), strict=True)
        days = np.array([day(f"{year}-{md}") for md in dates])
        m = len(rows)
        parts.append(
            {
                "eid": lat.eid[rows],
                "tier": labels(["tech_sme"], np.zeros(m, dtype=np.int64)),
                "recognized_on": _choose(rng, days, np.array(weights), m),
                "expires_on": np.full(m, day(f"{year}-12-31")),
                "revoked_on": with_nulls(np.zeros(m, dtype=np.int64), np.ones(m, dtype=bool)),
            }
        )
    return ordered([frame(p, CERT_SCHEMA) for p in parts], CERT_SCHEMA, "recognized_on", "tier")


def titles(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """高新技术企业 for many, a few rarer titles; the oldest high-tech titles are mostly renewed."""
    shift = as_of_year - REFERENCE_AS_OF_YEAR
    q, n = lat.q, len(lat.q)
    bonus = np.where((lat.group == MFG) | (lat.group == SOFTWARE), 0.3, -1.0)
    hte = np.flatnonzero(known & (rng.random(n) < sigmoid(-1.1 + 1.3 * q + bonus)))
    rounds = np.array([day(shift_years(d, shift)) for d in HIGH_TECH_BATCHES])
    start = _choose(rng, rounds, np.array([0.2, 0.25, 0.25, 0.3]), len(hte))
    parts: list[dict[str, Any]] = [
        {
            "eid": lat.eid[hte],
            "kind": np.full(len(hte), "high_tech_enterprise"),
            "valid_from": start,
            "valid_to": add_years_minus_one_day(start, 3),
        }
    ]
    renewed = hte[(start == rounds[0]) & (rng.random(len(hte)) < 0.7)]
    again = np.full(len(renewed), rounds[-1])
    parts.append(
        {
            "eid": lat.eid[renewed],
            "kind": np.full(len(renewed), "high_tech_enterprise"),
            "valid_from": again,
            "valid_to": add_years_minus_one_day(again, 3),
        }
    )
    others = np.array([day(shift_years(d, shift)) for d in OTHER_TITLE_DATES])
    for kind, logit in (
        ("ip_advantage", -4.0 + 0.8 * q),
        ("ip_demo", -5.5 + 0.9 * q),
        ("tech_innovation_demo", -7.5 + 1.2 * q),
        ("single_champion", -9.0 + 1.5 * q),
    ):
        rows = np.flatnonzero(known & (rng.random(n) < sigmoid(logit)))
        start = others[rng.integers(0, len(others), len(rows))]
        parts.append(
            {
                "eid": lat.eid[rows],
                "kind": np.full(len(rows), kind),
                "valid_from": start,
                "valid_to": with_nulls(add_years_minus_one_day(start, 3), rng.random(len(rows)) < 0.2),
            }
        )
    return ordered([frame(p, TITLE_SCHEMA) for p in parts], TITLE_SCHEMA, "valid_from", "kind")


def awards(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """Science & technology awards at national, provincial and municipal level, with the unit's rank."""
    q, n = lat.q, len(lat.q)
    lo, hi = day(f"{as_of_year - 4}-01-01"), day(f"{as_of_year}-06-30")
    parts: list[dict[str, Any]] = []
    for level, logit, ranks in (
        ("national", -7.0 + 1.2 * q, 5),
        ("provincial", -4.3 + 0.9 * q, 5),
        ("municipal", -3.3 + 0.6 * q, 3),
    ):
        rows = np.flatnonzero(known & (rng.random(n) < sigmoid(logit)))
        m = len(rows)
        rank = 1 + np.minimum(rng.geometric(0.35, m) - 1, ranks - 1)
        parts.append(
            {
                "eid": lat.eid[rows],
                "level": np.full(m, level),
                "kind": np.full(m, "sci_tech"),
                "rank": with_nulls(rank, rng.random(m) < 0.03),
                "date": rng.integers(lo, hi + 1, m),
            }
        )
    return ordered([frame(p, AWARD_SCHEMA) for p in parts], AWARD_SCHEMA, "date", "level")


def contests(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """创客中国 national results: top 500 groups, some of them top 50."""
    shift = as_of_year - REFERENCE_AS_OF_YEAR
    rows = np.flatnonzero(known & (rng.random(len(lat.q)) < sigmoid(-4.6 + 0.9 * lat.q)))
    m = len(rows)
    dates = np.array([day(shift_years(d, shift)) for d in CONTEST_DATES])
    part = {
        "eid": lat.eid[rows],
        "kind": np.full(m, "maker_china"),
        "group": np.where(rng.random(m) < 0.12, "national_top50", "national_top500"),
        "date": dates[rng.integers(0, len(dates), m)],
    }
    return ordered([frame(part, CONTEST_SCHEMA)], CONTEST_SCHEMA, "date")


def equity(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """New equity financing rounds (paid-in), mostly from qualified institutional investors."""
    n = len(lat.q)
    has = known & (rng.random(n) < sigmoid(-3.3 + 0.8 * lat.q + np.where(lat.group == SOFTWARE, 0.7, 0.0)))
    rounds = np.where(has, 1 + rng.binomial(2, 0.25, n), 0)
    rows = np.repeat(np.arange(n), rounds)
    m = len(rows)
    wan = np.rint(np.exp(np.log(3000) + 0.9 * rng.standard_normal(m)).clip(300, 50000) / 10) * 10
    lo, hi = day(f"{as_of_year - 3}-01-01"), day(f"{as_of_year}-06-30")
    part = {
        "eid": lat.eid[rows],
        "date": rng.integers(lo, hi + 1, m),
        "amount_fen": (wan * 1_000_000).astype(np.int64),
        "qualified_investor": with_nulls(rng.random(m) < 0.8, rng.random(m) < 0.02),
    }
    return ordered([frame(part, EQUITY_SCHEMA)], EQUITY_SCHEMA, "date")
