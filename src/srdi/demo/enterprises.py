"""Enterprise columns for one block of demo enterprises (vectorised); the yearly figures are in ``years``.

Every enterprise has a latent quality score ``q`` (standard normal). Revenue level, growth, R&D, margins,
IP, digital level, quality items, platform scores and the tier certifications all rise with ``q``, so the
enterprises that hold higher tiers tend to meet those tiers' criteria. A few per cent of values are left unknown
(null, never 0). ``enterprise_block`` draws the v1 columns; ``v11_columns`` adds the exchange-format 1.1 ones
from a stream of their own, so the v1 columns are the same as before 1.1 existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from srdi.demo.columns import Nullable, labels, with_nulls
from srdi.demo.rng import sigmoid, year_start
from srdi.demo.vocab import (
    DISTRICTS,
    ECOSYSTEM_CODES,
    INDUSTRIES,
    KEY_CHAIN_FIELDS,
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

# Median revenue (万元) of the last full year per industry group.
_REVENUE_MEDIAN = np.array([3500.0, 1200.0, 5000.0, 600.0])


@dataclass
class IpCounts:
    """The v1 IP counts before unknowns were applied; the v1.1 IP inventory (``srdi.demo.ip_items``) follows them."""

    class1: np.ndarray
    self_developed: np.ndarray
    invention: np.ndarray
    class2: np.ndarray
    known: np.ndarray  # the counts are stated (not left unknown)


@dataclass
class Latent:
    """What later parts of the model (facts, events, v1.1 records) need to know about a block's enterprises."""

    eid: np.ndarray
    q: np.ndarray
    tier_score: np.ndarray
    group: np.ndarray
    industry: np.ndarray  # index into INDUSTRIES
    ecosystem: np.ndarray  # index into ECOSYSTEM_CODES, -1 for none
    founded_year: np.ndarray
    revenue_wan: np.ndarray  # last full year, before unknowns were applied
    founded: np.ndarray  # day number of the founding date, before unknowns were applied
    chain_role: np.ndarray  # main_product.chain_role, before unknowns were applied
    ip: IpCounts


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
    latent = Latent(
        eids,
        q,
        tier_score,
        group,
        industry,
        ecosystem,
        founded_year,
        revenue_wan,
        founded=founded,
        chain_role=chain_role,
        ip=IpCounts(class1, self_dev, invention, class2, ~ip_missing),
    )
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


def v11_columns(rng: np.random.Generator, lat: Latent, main_share_last: np.ndarray) -> dict[str, Any]:
    """The exchange-format 1.1 enterprise columns: main products' revenue share and key-chain field, the group
    小巨人 flag and whether the 1.1 lists are known (mostly; the IP inventory is unknown where the IP counts are)."""
    n = len(lat.eid)
    return {
        "mp_revenue_share_bp": with_nulls(_revenue_share_bp(rng, main_share_last), rng.random(n) < 0.04),
        "mp_key_chain_field": with_nulls(_key_chain_field(rng, lat), rng.random(n) < 0.05),
        "group_has_little_giant": with_nulls(
            rng.random(n) < sigmoid(-5.6 + 0.5 * np.log(lat.revenue_wan / 3000)), rng.random(n) < 0.03
        ),
        "ip_items_known": lat.ip.known & (rng.random(n) >= 0.01),
        "platform_scores_known": rng.random(n) >= 0.04,
        "data_updates_known": rng.random(n) >= 0.05,
        "sanctions_known": rng.random(n) >= 0.03,
    }


def _revenue_share_bp(rng: np.random.Generator, main_share: np.ndarray) -> np.ndarray:
    """Main products' share of revenue (basis points): part of the main business, over half where it can be."""
    share = main_share * rng.uniform(0.78, 1.0, len(main_share))
    share = np.where((share <= 0.5) & (main_share > 0.5), (0.5 + main_share) / 2, share)
    bp: np.ndarray = np.rint(share * 10_000).astype(np.int64)
    return bp


def _key_chain_field(rng: np.random.Generator, lat: Latent) -> pl.Series:
    """The industry's usual 2号 key-chain field when the main product has a chain role; otherwise mostly none."""
    n = len(lat.eid)
    fields = list(dict.fromkeys(["none", "emerging_industry", "future_industry", *KEY_CHAIN_FIELDS.values()]))
    usual = np.array([fields.index(KEY_CHAIN_FIELDS.get(i.code, "none")) for i in INDUSTRIES])[lat.industry]
    in_chain = np.where(lat.chain_role == "none", 0.25, 0.85) * sigmoid(1.0 + 0.5 * lat.q)
    u = rng.random(n)
    other = np.where(
        u < 0.02, fields.index("future_industry"), np.where(u < 0.06, fields.index("emerging_industry"), 0)
    )
    return labels(fields, np.where(rng.random(n) < in_chain, usual, other))
