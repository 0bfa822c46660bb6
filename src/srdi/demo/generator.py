"""``generate(n, seed)``: a deterministic synthetic quality-SME database for Hangzhou, as ``Tables``.

The output depends only on ``(n, seed, as_of_year)`` and is identical byte for byte on every run; enterprise
*k* gets the same data whatever ``n`` is (see ``srdi.demo.rng``). Generation is column-wise NumPy in blocks
of 8,192 enterprises: a million enterprises take seconds, not minutes. ``to_profiles`` turns (part of) the
result into exchange-format profiles, e.g. to check them with ``parse_profile`` or to compare with an export.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl

from srdi.demo import facts
from srdi.demo.columns import frame
from srdi.demo.enterprises import enterprise_block, years_block
from srdi.demo.events import events as event_block
from srdi.demo.names import MAX_ENTERPRISES, unique_names, uscc_codes
from srdi.demo.profiles import to_profiles
from srdi.demo.rng import BLOCK, STREAM_ENTERPRISES, STREAM_EVENTS, STREAM_FACTS, STREAM_YEARS, block_rng
from srdi.domain.tables import DEC, ENTERPRISE_SCHEMA, YEAR_SCHEMA, Tables

__all__ = ["generate", "to_profiles"]

_NAMES_STREAM = 0x5EED


def _code_offsets(seed: int) -> tuple[int, int]:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _NAMES_STREAM])))
    return int(rng.integers(0, 10**8)), int(rng.integers(0, 31**6))


def generate(n: int, seed: int, as_of_year: int = 2025) -> Tables:
    """``n`` synthetic enterprises, their figures for as_of_year−3 … as_of_year−1, and their facts."""
    if n < 0 or n > MAX_ENTERPRISES:
        raise ValueError(f"企业数应在 0 到 {MAX_ENTERPRISES} 之间")
    if seed < 0:
        raise ValueError("随机种子应为非负整数")
    if n == 0:
        return Tables.empty()
    parts: dict[str, list[pl.DataFrame]] = {
        k: []
        for k in (
            "enterprises",
            "years",
            "titles",
            "awards",
            "contests",
            "equity",
            "certifications",
            "events",
        )
    }
    for block in range((n + BLOCK - 1) // BLOCK):
        eids = np.arange(block * BLOCK, (block + 1) * BLOCK, dtype=np.int64)
        cols, lat = enterprise_block(block_rng(seed, block, STREAM_ENTERPRISES), eids, as_of_year)
        parts["enterprises"].append(frame(cols, ENTERPRISE_SCHEMA))
        parts["years"].append(
            frame(years_block(block_rng(seed, block, STREAM_YEARS), lat, as_of_year), YEAR_SCHEMA)
        )
        rng = block_rng(seed, block, STREAM_FACTS)
        certs = facts.certifications(rng, lat, cols["certifications_known"], as_of_year)
        parts["certifications"].append(certs)
        parts["titles"].append(facts.titles(rng, lat, cols["titles_known"], as_of_year))
        parts["awards"].append(facts.awards(rng, lat, cols["awards_known"], as_of_year))
        parts["contests"].append(facts.contests(rng, lat, cols["contests_known"], as_of_year))
        parts["equity"].append(facts.equity(rng, lat, cols["equity_known"], as_of_year))
        parts["events"].append(event_block(block_rng(seed, block, STREAM_EVENTS), lat, certs, as_of_year))

    tables = {name: pl.concat(frames).filter(pl.col("eid") < n) for name, frames in parts.items()}
    ents = tables["enterprises"]
    usccs = uscc_codes(
        ents["eid"].to_numpy(),
        ents["district"].to_numpy(),
        ents["_old_style"].to_numpy(),
        _code_offsets(seed),
    )
    share = (pl.col("mp_niche_market_share_bp").cast(DEC) * pl.lit(Decimal("0.0001"))).cast(DEC)
    tables["enterprises"] = ents.with_columns(
        uscc=pl.Series(usccs), name=unique_names(ents["_trade"], ents["_word"]), mp_niche_market_share=share
    )
    return Tables(**tables).conform()
