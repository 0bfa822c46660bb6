"""The engine-vs-Polars benchmark compares like with like: its hand-written rules give the engine's results."""

from __future__ import annotations

from datetime import date

import polars as pl
from benchmarks.bench_engine_vs_polars import hand_written, sample_library

from srdi.demo.generator import generate
from srdi.domain.rules.engine import assess, fact_options
from srdi.domain.rules.facts import build_facts


def test_hand_written_rules_equal_the_engine_row_by_row():
    as_of = date(2026, 6, 30)
    tables = generate(4000, 3, as_of_year=2026)
    library = sample_library()
    result = assess(tables, as_of, tiers=("srdi_sme",), library=library)
    c = result.compiled["srdi_sme"]
    engine = result.frame.select(
        "eid", pl.col(c.col("status")).alias("status"), pl.col(c.col("score")).alias("score")
    )
    hand = hand_written(
        build_facts(tables, as_of, fact_options(library, as_of, result.compiled)).frame
    ).collect()
    assert engine.sort("eid").equals(hand.sort("eid"))
    assert engine.get_column("status").n_unique() == 3  # eligible, ineligible and needs_data all occur
