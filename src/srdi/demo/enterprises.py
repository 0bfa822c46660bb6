"""Enterprise columns and three years of figures for one block of demo enterprises (vectorised).

Every enterprise has a latent quality score ``q`` (standard normal). Revenue level, growth, R&D, margins,
IP, digital level, quality items and the tier certifications all rise with ``q``, so the enterprises that hold
higher tiers tend to meet those tiers' criteria. A few per cent of values are left unknown (null, never 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from srdi.demo.columns import Nullable, with_nulls
from srdi.demo.rng import sigmoid, year_start
from srdi.demo.vocab import (
    DISTRICTS,
    ECOSYSTEM_CODES,
    INDUSTRIES,
    MFG,
    NON_SOFTWARE_SPLIT,
    OTHER,
    SOFTWARE,
    TRADE_NAME_CHARS,
    WHOLESALE,
)

DISTRICT_CODES = tuple(DISTRICTS)
INDUSTRY_CODES = tuple(i.code for i in INDUSTRIES)
_CHARS = tuple(dict.fromkeys(TRADE_NAME_CHARS))

# Per industry group: median revenue (万元), R&D intensity, revenue per employee (万元), R&D-staff share,
# assets per unit of revenue.
_REVENUE_MEDIAN = np.array([3500.0, 1200.0, 5000.0, 600.0])
_RD_INTENSITY = np.array([0.042, 0.090, 0.008, 0.060])
_REVENUE_PER_EMPLOYEE = np.array([60.0, 35.0, 200.0, 30.0])
_RD_STAFF_SHARE = np.array([0.14, 0.35, 0.05, 0.30])
_ASSET_RATIO = np.array([1.1, 0.8, 0.6, 1.3])


@dataclass
class Latent:
    """What later parts of the model (facts, events) need to know about a block's enterprises."""

    eid: np.ndarray
    q: np.ndarray
    tier_score: np.ndarray
    group: np.ndarray
    industry: np.ndarray  # index into INDUSTRIES
    ecosystem: np.ndarray  # index into ECOSYSTEM_CODES, -1 for none
    founded_year: np.ndarray
    revenue_wan: np.ndarray  # last full year, before unknowns were applied


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def enterprise_block(
    rng: np.random.Generator, eids: np.ndarray, as_of_year: int
) -> tuple[dict[str, Any], Latent]:
    """Enterprise columns (``ENTERPRISE_SCHEMA`` names except uscc/name) and the latent values."""
    n = len(eids)
    q = rng.standard_normal(n)
    tier_score = 0.85 * q + 0.53 * rng.standard_normal(n)

    weights = np.array([w for w, _ in DISTRICTS.values()])
    sw_share = np.array([s for _, s in DISTRICTS.values()])
    district = _pick(rng, weights, n)
    is_sw = rng.random(n) < sw_share[district]
    other_group = np.array([MFG, WHOLESALE, OTHER])[_pick(rng, np.array(NON_SOFTWARE_SPLIT), n)]
    group = np.where(is_sw, SOFTWARE, other_group)
    industry = np.empty(n, dtype=np.int64)
    for g in (MFG, SOFTWARE, WHOLESALE, OTHER):
        members = np.array([i for i, ind in enumerate(INDUSTRIES) if ind.group == g])
        rows = np.flatnonzero(group == g)
        w = np.array([INDUSTRIES[i].weight for i in members])
        industry[rows] = members[_pick(rng, w, len(rows))]

    # ecosystem: usually the industry's own, sometimes another or none
    own = np.array([ECOSYSTEM_CODES.index(i.ecosystem) if i.ecosystem else -1 for i in INDUSTRIES])[industry]
    u = rng.random(n)
    other_eco = rng.integers(0, len(ECOSYSTEM_CODES), n)
    ecosystem = np.where(
        own >= 0,
        np.where(u < 0.82, own, np.where(u < 0.92, other_eco, -1)),
        np.where(u < 0.55, -1, other_eco),
    )

    # founding: 1995 … as_of_year−3, more recent years more frequent; better enterprises tend to be older
    last = as_of_year - 3
    span = last - 1995 + 1
    age_pull = np.clip(rng.standard_normal(n) * 0.22 + 0.45 - 0.08 * q, 0.0, 0.999)
    founded_year = 1995 + (span * (1 - age_pull**1.4)).astype(np.int64).clip(0, span - 1)
    founded_year = np.minimum(founded_year, last)
    founded = year_start(founded_year) + rng.integers(0, 365, n)
    niche_since = np.minimum(founded_year + rng.geometric(0.6, n) - 1, as_of_year - 1)

    # revenue level of the last full year (万元)
    age = (as_of_year - 1) - founded_year
    log_rev = np.log(_REVENUE_MEDIAN[group]) + 0.7 * q + 0.9 * rng.standard_normal(n) + 0.03 * (age - 10)
    revenue_wan = np.exp(log_rev).clip(30.0, 3_000_000.0)

    # IP related to the main product
    lam1 = np.exp(0.2 + 0.7 * q + np.where(group == MFG, 0.3, np.where(group == OTHER, 0.5, 0.0)))
    class1 = np.minimum(rng.poisson(lam1), 300)
    self_dev = rng.binomial(class1, 0.85)
    high_value = rng.binomial(class1, np.clip(0.05 + 0.05 * q, 0.01, 0.4))
    class2 = np.minimum(rng.poisson(np.exp(1.6 + 0.4 * q + np.where(group == SOFTWARE, 0.8, 0.0))), 500)
    invention = class1 - rng.binomial(class1, 0.1)
    ip_missing = rng.random(n) < 0.02

    # main product
    strategic = rng.random(n) < sigmoid(0.3 + 0.8 * q + np.where(ecosystem >= 0, 0.5, -0.5))
    c = q + rng.standard_normal(n)
    chain_role = np.where(
        c > 1.6, "key_link_breakthrough", np.where(c > 0.3, "six_foundations_or_chain_supplier", "none")
    )
    u = rng.random(n)
    pin_mfg = np.where(
        u < 0.35 + 0.05 * q, "six_foundations", np.where(u < 0.65, "manufacturing_power_key_industry", "none")
    )
    pin_sw = np.where(u < 0.45 + 0.1 * q, "cyber_power", "none")
    pin_field = np.where(
        group == MFG,
        pin_mfg,
        np.where(group == SOFTWARE, pin_sw, np.where(u < 0.15, "six_foundations", "none")),
    )
    products = np.minimum(1 + rng.poisson(1.0, n), 6)
    share_bp = np.rint(
        np.exp(np.log(0.02) + 0.7 * q + 0.8 * rng.standard_normal(n)).clip(0.0005, 0.6) * 10000
    )
    share_missing = rng.random(n) < 0.08
    national_rank = np.maximum(
        1, np.rint(0.1 / (share_bp / 10000) * np.exp(0.4 * rng.standard_normal(n)))
    ).clip(1, 999)
    rank_missing = share_missing | (rng.random(n) < 0.03)
    global_known = (share_bp >= 800) & (rng.random(n) < 0.5) & ~share_missing
    global_rank = np.maximum(1, np.rint(national_rank * 3 * np.exp(0.5 * rng.standard_normal(n)))).clip(
        1, 999
    )

    d = 0.8 * q + 0.8 * rng.standard_normal(n)
    digital = 1 + (d > -0.8).astype(np.int64) + (d > 0.4) + (d > 1.5)
    r = q + 0.8 * rng.standard_normal(n)
    rd_level = np.where(
        r > 3.2,
        "national",
        np.where(
            r > 1.3,
            "provincial",
            np.where(r > 0.35, "municipal", np.where(r > -0.3, "below_municipal", "none")),
        ),
    )
    featured = np.rint(6 + 3 * q + 2.5 * rng.standard_normal(n)).clip(0, 15).astype(np.int64)

    def flag(logit: np.ndarray | float, missing: float) -> Nullable:
        values = rng.random(n) < sigmoid(np.asarray(logit) + np.zeros(n))
        return with_nulls(values, rng.random(n) < missing)

    def rare(p: float) -> Nullable:
        return with_nulls(rng.random(n) < p, rng.random(n) < 0.01)

    null = rng.random((n, 8))
    cols: dict[str, Any] = {
        "eid": eids,
        "district": np.array(DISTRICT_CODES)[district],
        "industry_code": with_nulls(np.array(INDUSTRY_CODES)[industry], null[:, 0] < 0.003),
        "founded_on": with_nulls(founded, null[:, 1] < 0.005),
        "registered_in_zhejiang": with_nulls(np.ones(n, dtype=bool), null[:, 2] < 0.003),
        "niche_since_year": with_nulls(niche_since, null[:, 3] < 0.01),
        "ecosystem": with_nulls(np.array(ECOSYSTEM_CODES)[np.maximum(ecosystem, 0)], ecosystem < 0),
        "ip_class1": with_nulls(class1, ip_missing),
        "ip_class1_self_developed": with_nulls(self_dev, ip_missing),
        "ip_class1_high_value": with_nulls(high_value, ip_missing | (null[:, 4] < 0.01)),
        "ip_class2": with_nulls(class2, ip_missing),
        "ip_invention_patents": with_nulls(invention, ip_missing),
        "mp_strategic_emerging": with_nulls(strategic, null[:, 5] < 0.02),
        "mp_chain_role": with_nulls(chain_role, null[:, 5] < 0.03),
        "mp_pin_field": with_nulls(pin_field, null[:, 5] < 0.03),
        "mp_products_count": with_nulls(products, null[:, 5] < 0.02),
        "mp_niche_market_share_bp": with_nulls(share_bp.astype(np.int64), share_missing),
        "mp_national_rank": with_nulls(national_rank.astype(np.int64), rank_missing),
        "mp_global_rank": with_nulls(global_rank.astype(np.int64), ~global_known),
        "digital_level": with_nulls(digital, null[:, 6] < 0.03),
        "q_provincial_quality_award": flag(-4.0 + 0.9 * q, 0.02),
        "q_qms_certified": flag(0.6 + 0.6 * q, 0.02),
        "q_own_brand": flag(0.3 + 0.6 * q, 0.02),
        "q_drafted_standards": flag(-1.5 + 0.8 * q, 0.02),
        "rd_institution_level": with_nulls(rd_level, null[:, 7] < 0.02),
        "info_system_core_business": flag(0.8 + 0.6 * q, 0.03),
        "management_or_foreign_product_cert": flag(0.4 + 0.6 * q, 0.03),
        "international_cert": flag(-1.4 + 0.6 * q, 0.03),
        "zj_featured_points": with_nulls(featured, rng.random(n) < 0.05),
        "c_major_accident_3y": rare(0.003),
        "c_dishonest": rare(0.002),
        "c_abnormal_operation": rare(0.008),
        "c_restricted_products": rare(0.002),
        "c_bank_rating_ok": flag(3.2 + 0.3 * q, 0.02),
        "titles_known": rng.random(n) >= 0.03,
        "awards_known": rng.random(n) >= 0.05,
        "contests_known": rng.random(n) >= 0.05,
        "equity_known": rng.random(n) >= 0.05,
        "certifications_known": rng.random(n) >= 0.01,
        # name parts, turned into unique names once all blocks are known
        "_trade": _trade_names(rng, n),
        "_word": _industry_words(rng, industry),
        "_old_style": founded_year < 2015,
    }
    latent = Latent(eids, q, tier_score, group, industry, ecosystem, founded_year, revenue_wan)
    return cols, latent


def _trade_names(rng: np.random.Generator, n: int) -> np.ndarray:
    chars = np.array(_CHARS)
    a = rng.integers(0, len(chars), n)
    b = (a + rng.integers(1, len(chars), n)) % len(chars)  # a different second character
    return np.char.add(chars[a], chars[b])


def _industry_words(rng: np.random.Generator, industry: np.ndarray) -> np.ndarray:
    longest = max(len(i.words) for i in INDUSTRIES)
    table = np.array([[i.words[k % len(i.words)] for k in range(longest)] for i in INDUSTRIES])
    counts = np.array([len(i.words) for i in INDUSTRIES])[industry]
    pick = (rng.random(len(industry)) * counts).astype(np.int64)
    words: np.ndarray = table[industry, pick]
    return words


YEAR_FIGURES = (
    "operating_revenue_fen",
    "main_business_revenue_fen",
    "rd_expense_fen",
    "net_profit_fen",
    "total_assets_fen",
    "total_liabilities_fen",
    "employees",
    "rd_staff",
)


def _fen(wan: np.ndarray) -> np.ndarray:
    """万元 → fen, rounded to whole yuan."""
    fen: np.ndarray = np.rint(wan * 10_000).astype(np.int64) * 100
    return fen


def years_block(rng: np.random.Generator, lat: Latent, as_of_year: int) -> dict[str, Any]:
    """Three years of figures (as_of_year−3 … as_of_year−1); some rows or fields are missing."""
    n = len(lat.eid)
    q, g = lat.q, lat.group
    growth = np.clip(0.06 + 0.06 * q[:, None] + 0.18 * rng.standard_normal((n, 2)), -0.6, 2.0)
    rev = np.empty((n, 3))
    rev[:, 2] = lat.revenue_wan  # column 2 = last full year
    rev[:, 1] = rev[:, 2] / (1 + growth[:, 1])
    rev[:, 0] = rev[:, 1] / (1 + growth[:, 0])
    rev = rev.clip(10.0, None)

    def around(center: np.ndarray, sd: float, lo: float, hi: float) -> np.ndarray:
        return np.clip(center[:, None] + sd * rng.standard_normal((n, 3)), lo, hi)

    main_share = around(np.clip(0.88 + 0.06 * q + 0.12 * rng.standard_normal(n), 0.45, 1.0), 0.02, 0.45, 1.0)
    rd_int = around(
        np.clip(_RD_INTENSITY[g] + 0.018 * q + 0.02 * rng.standard_normal(n), 0.0, 0.15), 0.004, 0.0, 0.15
    )
    margin = around(
        np.clip(0.06 + 0.035 * q + 0.06 * rng.standard_normal(n), -0.10, 0.25), 0.015, -0.10, 0.25
    )
    asset_ratio = (
        _ASSET_RATIO[g][:, None]
        * np.exp(0.35 * rng.standard_normal(n))[:, None]
        * np.exp(0.05 * rng.standard_normal((n, 3)))
    )
    debt = around(np.clip(0.45 - 0.06 * q + 0.15 * rng.standard_normal(n), 0.10, 0.90), 0.02, 0.10, 0.90)
    rpe = _REVENUE_PER_EMPLOYEE[g] * np.exp(0.35 * rng.standard_normal(n))
    employees = np.maximum(
        3, np.rint(rev / rpe[:, None] * np.exp(0.04 * rng.standard_normal((n, 3))))
    ).astype(np.int64)
    staff_share = around(
        np.clip(_RD_STAFF_SHARE[g] + 0.04 * q + 0.07 * rng.standard_normal(n), 0.02, 0.60), 0.01, 0.02, 0.60
    )
    rd_staff = np.clip(np.rint(employees * staff_share), np.ceil(employees * 0.02), np.floor(employees * 0.6))
    rd_staff = rd_staff.astype(np.int64)

    assets = rev * asset_ratio
    figures = {
        "operating_revenue_fen": _fen(rev),
        "main_business_revenue_fen": _fen(rev * main_share),
        "rd_expense_fen": _fen(rev * rd_int),
        "net_profit_fen": _fen(rev * margin),
        "total_assets_fen": _fen(assets),
        "total_liabilities_fen": _fen(assets * debt),
        "employees": employees,
        "rd_staff": rd_staff,
    }
    # unknowns: whole enterprises without figures, missing years, missing single fields
    present = np.ones((n, 3), dtype=bool)
    u = rng.random(n)
    present[u < 0.004] = False
    present[:, 0] &= rng.random(n) >= 0.025
    present[:, 1] &= rng.random(n) >= 0.008
    present[:, 2] &= rng.random(n) >= 0.006
    keep = present.ravel()
    out: dict[str, Any] = {
        "eid": np.repeat(lat.eid, 3)[keep],
        "year": np.tile(np.arange(as_of_year - 3, as_of_year), n)[keep],
    }
    for name in YEAR_FIGURES:
        values = figures[name].ravel()[keep]
        missing = rng.random(len(values)) < (0.003 if name == "employees" else 0.004)
        out[name] = with_nulls(values, missing)
    return out
