"""``generate(n, seed, as_of_year)``: a deterministic synthetic quality-SME database for Hangzhou, as ``Tables``.

The output depends only on ``(n, seed, as_of_year)`` and is identical byte for byte on every run; enterprise
*k* gets the same data whatever ``n`` is (see ``srdi.demo.rng``). Generation is column-wise NumPy in blocks
of 8,192 enterprises: a million enterprises take seconds, not minutes. ``to_profiles`` turns (part of) the
result into exchange-format profiles, e.g. to check them with ``parse_profile`` or to compare with an export.
``current_year`` is the as_of_year for a demo made today (the calendar year in Hangzhou).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from srdi.demo import facts, platform
from srdi.demo.columns import frame
from srdi.demo.enterprises import enterprise_block, v11_columns
from srdi.demo.events import events as event_block
from srdi.demo.ip_items import ip_items
from srdi.demo.names import MAX_ENTERPRISES, unique_names, uscc_codes
from srdi.demo.profiles import to_profiles
from srdi.demo.rng import (
    BLOCK,
    STREAM_EARLIEST_YEAR,
    STREAM_ENTERPRISES,
    STREAM_ENTERPRISES_V11,
    STREAM_EVENTS,
    STREAM_FACTS,
    STREAM_IP_ITEMS,
    STREAM_PLATFORM,
    STREAM_TECH_SME,
    STREAM_YEARS,
    block_rng,
)
from srdi.demo.years import years_block
from srdi.domain.tables import CERT_SCHEMA, DEC, ENTERPRISE_SCHEMA, SCHEMAS, YEAR_SCHEMA, Tables

__all__ = ["current_year", "generate", "generate_range", "to_profiles"]

_NAMES_STREAM = 0x5EED
HANGZHOU = ZoneInfo("Asia/Shanghai")


def current_year(now: datetime | None = None) -> int:
    """The calendar year in Hangzhou now (or at ``now``): the as_of_year of a demo made today."""
    return (now or datetime.now(HANGZHOU)).astimezone(HANGZHOU).year


def _code_offsets(seed: int) -> tuple[int, int]:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _NAMES_STREAM])))
    return int(rng.integers(0, 10**8)), int(rng.integers(0, 31**6))


def _block(seed: int, block: int, as_of_year: int) -> dict[str, pl.DataFrame]:
    """Every table's rows for one block of ``BLOCK`` enterprises."""

    def rng(stream: int) -> np.random.Generator:
        return block_rng(seed, block, stream)

    eids = np.arange(block * BLOCK, (block + 1) * BLOCK, dtype=np.int64)
    cols, lat = enterprise_block(rng(STREAM_ENTERPRISES), eids, as_of_year)
    years = years_block(rng(STREAM_YEARS), rng(STREAM_EARLIEST_YEAR), lat, as_of_year)
    cols |= v11_columns(rng(STREAM_ENTERPRISES_V11), lat, years.last.main_share)
    out = {"enterprises": frame(cols, ENTERPRISE_SCHEMA), "years": frame(years.columns, YEAR_SCHEMA)}

    fact_rng = rng(STREAM_FACTS)
    certs = facts.certifications(fact_rng, lat, cols["certifications_known"], as_of_year)
    tech = facts.tech_sme(rng(STREAM_TECH_SME), lat, cols["certifications_known"], as_of_year)
    out["certifications"] = facts.ordered([certs, tech], CERT_SCHEMA, "recognized_on", "tier")
    out["titles"] = facts.titles(fact_rng, lat, cols["titles_known"], as_of_year)
    out["awards"] = facts.awards(fact_rng, lat, cols["awards_known"], as_of_year)
    out["contests"] = facts.contests(fact_rng, lat, cols["contests_known"], as_of_year)
    out["equity"] = facts.equity(fact_rng, lat, cols["equity_known"], as_of_year)
    out["events"] = event_block(rng(STREAM_EVENTS), lat, certs, as_of_year)

    out["ip_items"] = ip_items(rng(STREAM_IP_ITEMS), lat, cols["ip_items_known"], as_of_year)
    platform_rng = rng(STREAM_PLATFORM)
    out["scores"] = platform.scores(platform_rng, lat, years.last, cols["platform_scores_known"], as_of_year)
    out["data_updates"] = platform.data_updates(platform_rng, lat, cols["data_updates_known"], as_of_year)
    out["sanctions"] = platform.sanctions(platform_rng, lat, cols["sanctions_known"], as_of_year)
    return out


def _ratio(bp_column: str) -> pl.Expr:
    return (pl.col(bp_column).cast(DEC) * pl.lit(Decimal("0.0001"))).cast(DEC)


def generate(n: int, seed: int, as_of_year: int = 2025) -> Tables:
    """``n`` synthetic enterprises, their figures for as_of_year−4 … as_of_year−1, their facts and v1.1 records."""
    if n < 0 or n > MAX_ENTERPRISES:
        raise ValueError(f"企业数应在 0 到 {MAX_ENTERPRISES} 之间")
    return generate_range(0, n, seed, as_of_year)


def generate_range(start: int, stop: int, seed: int, as_of_year: int = 2025) -> Tables:
    """Enterprises ``start`` … ``stop − 1`` of the data set ``generate(n ≥ stop, seed, as_of_year)``: the same
    rows, eids and codes (names are made unique within the range only), so that a large data set can be made
    and used one partition at a time."""
    if start < 0 or stop > MAX_ENTERPRISES or stop < start:
        raise ValueError(f"企业编号区间应在 0 到 {MAX_ENTERPRISES} 之间")
    if seed < 0:
        raise ValueError("随机种子应为非负整数")
    if stop == start:
        return Tables.empty()
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in SCHEMAS}
    for block in range(start // BLOCK, (stop + BLOCK - 1) // BLOCK):
        for name, df in _block(seed, block, as_of_year).items():
            parts[name].append(df)

    wanted = (pl.col("eid") >= start) & (pl.col("eid") < stop)
    tables = {name: pl.concat(frames).filter(wanted) for name, frames in parts.items()}
    ents = tables["enterprises"]
    usccs = uscc_codes(
        ents["eid"].to_numpy(),
        ents["district"].to_numpy(),
        ents["_old_style"].to_numpy(),
        _code_offsets(seed),
    )
    tables["enterprises"] = ents.with_columns(
        uscc=pl.Series(usccs),
        name=unique_names(ents["_trade"], ents["_word"]),
        mp_niche_market_share=_ratio("mp_niche_market_share_bp"),
        mp_revenue_share=_ratio("mp_revenue_share_bp"),
    )
    return Tables(**tables).conform()
