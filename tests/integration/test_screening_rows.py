"""The rows ``run_screen`` writes, built column-wise, equal the row-by-row conversion they replaced."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl

from srdi.demo.generator import generate
from srdi.domain.assessment.dimensions import DIMENSIONS, scaled
from srdi.domain.rules.rulebook import TIERS
from srdi.domain.screening import Judgement, screen_partition
from srdi.services.screening import _rows


def reference_rows(frame: pl.DataFrame, run_id: int) -> list[tuple[Any, ...]]:
    """The earlier conversion, one Python dict per row (kept here as the specification)."""
    out = []
    dim_cols = [(d, f"dim:{d}|lo", f"dim:{d}|hi") for d in DIMENSIONS]
    for r in frame.iter_rows(named=True):
        dims = {d: (int(r[lo]) if r[lo] is not None and r[lo] == r[hi] else None) for d, lo, hi in dim_cols}
        out.append(
            (
                run_id,
                r["eid"],
                r["size_class"],
                r["is_sme"],
                *[r[f"{t}|{k}"] for t in TIERS for k in ("status", "score", "route")],
                r["profile:grade"],
                json.dumps(dims),
                r["class:ladder"],
                r["class:next_tier"],
                scaled(r["class:progress_x1000"], 1000),
                bool(r["class:eligible_next"]),
                bool(r["class:seedling"]),
                bool(r["class:one_firm_one_policy"]),
            )
        )
    return out


def test_rows_are_built_as_before():
    for as_of in (date(2025, 6, 30), date(2026, 6, 30)):
        frame = screen_partition(generate(3000, 11, as_of_year=as_of.year), Judgement(as_of)).frame
        assert _rows(frame, 7) == reference_rows(frame, 7)
