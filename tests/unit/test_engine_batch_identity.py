"""One engine for one and for a million: an enterprise assessed alone equals its row in a batch of 100,000."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

from srdi.demo.generator import generate, to_profiles
from srdi.domain.assessment.contract import run_assess
from srdi.domain.assessment.dimensions import PROFILE_COLUMNS, dimension_stages
from srdi.domain.rules.engine import assess
from srdi.domain.rules.explain import tier_result

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def batch():
    tables = generate(100_000, seed=7, as_of_year=2025)
    return tables, assess(tables, AS_OF, extra=dimension_stages)


def test_batch_of_100000_matches_single_assessments(batch):
    tables, big = batch
    assert big.frame.height == 100_000
    eids = big.frame.get_column("eid").to_list()
    assert eids == tables.enterprises.get_column("eid").to_list()  # row order is the input order
    rng = random.Random(3)
    positions = rng.sample(range(100_000), 25)
    result_columns = [c for c in big.frame.columns if "|" in c or c.startswith("m:")] + PROFILE_COLUMNS
    for pos in positions:
        eid = eids[pos]
        alone = assess(tables.take([eid]), AS_OF, extra=dimension_stages)
        assert alone.frame.height == 1
        expected = big.frame.row(pos, named=True)
        got = alone.frame.row(0, named=True)
        diffs = {c: (expected[c], got[c]) for c in result_columns if expected[c] != got[c]}
        assert not diffs, (eid, diffs)
        for tier in alone.compiled:
            assert tier_result(big, pos, tier) == tier_result(alone, 0, tier)


def test_every_status_occurs_in_a_realistic_batch(batch):
    _, big = batch
    for tier in ("innovative_sme", "srdi_sme", "little_giant", "hidden_champion"):
        statuses = set(big.frame.get_column(f"{tier}|status").unique().to_list())
        assert {"eligible", "ineligible"} <= statuses, (tier, statuses)
    assert big.frame.filter(pl.col("innovative_sme|status") == "needs_data").height > 0


def test_contract_output_is_the_same_alone_and_in_one_document():
    """What ``srdi assess`` and the API answer (tiers, traces, gaps, six-dimension profile) does not depend on
    the other enterprises of the document — the API's request coalescing relies on it."""
    profiles = to_profiles(generate(40, seed=11, as_of_year=2025))
    together = run_assess({"as_of": AS_OF.isoformat(), "enterprises": profiles})["results"]
    for profile, result in zip(profiles, together, strict=True):
        alone = run_assess({"as_of": AS_OF.isoformat(), "enterprises": [profile]})["results"]
        assert alone == [result], profile["uscc"]
