"""A run on one enterprise (the enterprise page, the API) gives it what a run over many enterprises gives it.

``entitle`` runs only the measures whose event kinds occur in the run, and splits amounts over the districts of
the run's rows only (``srdi.domain.policy.engine``); these tests hold one enterprise's results to those of a run
over enterprises of several districts, one of them unknown, and the columns of a run without events to those of
a run with every kind of event.
"""

from __future__ import annotations

import polars as pl
import pytest
from tests.conftest import make_uscc

from srdi.domain.exchange import EVENT_KINDS, parse_profile
from srdi.domain.policy.engine import STANDARD_SCHEMA, entitle
from srdi.domain.policy.loader import load_packs
from srdi.domain.tables import tables_from_profiles

PACKS = load_packs()
CERTS = [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}]
EVERY_KIND = [
    {"kind": "recognition", "tier": "little_giant", "date": "2024-09-01"},
    {"kind": "relocation_in", "tier": "srdi_sme", "date": "2024-10-01"},
    {
        "kind": "tech_renovation",
        "project_id": "P1",
        "date": "2025-01-10",
        "industry": "new_energy",
        "total_investment_fen": 3_000_000_000,
        "eligible_investment_since_2023_fen": 2_000_000_000,
    },
    {
        "kind": "digital_transformation",
        "project_id": "D1",
        "date": "2025-02-01",
        "eligible_investment_fen": 9 * 10**8,
    },
    {
        "kind": "loan",
        "loan_id": "L1",
        "contract_date": "2025-06-10",
        "principal_fen": 5 * 10**8,
        "annual_rate": "0.025",
        "term_months": 12,
        "interest_paid_fen": 10**7,
        "guarantee_fee_rate": "0.004",
    },
    {"kind": "brand_listing", "list": "other_list", "year": 2024, "date": "2025-03-01"},
    {"kind": "scene_award", "scene_id": "S1", "date": "2025-04-01"},
    {"kind": "tech_transaction", "year": 2024, "amount_fen": 4 * 10**8, "date": "2025-05-01"},
    {"kind": "growth_support_selection", "selection_id": "G1", "date": "2025-07-15"},
    {"kind": "growth_support_evaluation", "selection_id": "G1", "date": "2025-09-15", "passed": True},
]
# Selections are ranked over the whole run (措施（二）'s yearly ceiling): left out where one enterprise's run is
# compared with a run over many.
PER_ENTERPRISE = [e for e in EVERY_KIND if not e["kind"].startswith("growth_support")]
ENTERPRISES = [
    ("330106", PER_ENTERPRISE),
    ("330108", PER_ENTERPRISE[2:6]),
    ("330127", PER_ENTERPRISE[4:]),
    (None, PER_ENTERPRISE[:5]),
    ("330106", []),
]
# The run's own row numbers and ids differ between the two runs; everything else must not.
RUN_COLUMNS = ("rid", "erow", "eid")


def _profile(i: int, district: str | None, events: list[dict]) -> dict:
    record = {"uscc": make_uscc(district or "330100"), "certifications": CERTS, "events": events}
    if district:
        record["district"] = district
    return parse_profile(record)


def _rows(frame: pl.DataFrame, uscc: str) -> list[dict]:
    return frame.filter(pl.col("uscc") == uscc).drop(*RUN_COLUMNS).sort("measure", "seq").to_dicts()


def test_the_test_covers_every_event_kind():
    assert {e["kind"] for e in EVERY_KIND} == set(EVENT_KINDS)


@pytest.mark.parametrize(
    "overrides",
    [
        # Districts with different shares: an unknown district's split is unknown.
        {"fiscal_share.330106": "0.3", "fiscal_share.330108": "0.6", "hz81.17.rate_discount_min": "0.10"},
        # The same share everywhere: an unknown district's split is known.
        {},
    ],
)
def test_one_enterprise_alone_gets_what_a_run_over_many_gives_it(overrides):
    profiles = [_profile(i, d, ev) for i, (d, ev) in enumerate(ENTERPRISES)]
    together = entitle(tables_from_profiles(profiles), PACKS, overrides=overrides).frame
    assert together.filter(pl.col("district").is_null()).height
    for profile in profiles:
        alone = entitle(tables_from_profiles([profile]), PACKS, overrides=overrides).frame
        assert _rows(alone, profile.uscc) == _rows(together, profile.uscc)
        assert alone.height == together.filter(pl.col("uscc") == profile.uscc).height


def test_every_part_has_the_standard_columns_with_their_types():
    result = entitle(tables_from_profiles([_profile(0, "330106", EVERY_KIND)]), PACKS)
    event_measures = {m.id for p in PACKS for m in p.measures if m.events}
    assert set(result.parts) == event_measures
    for measure, part in result.parts.items():
        assert {c: part.schema[c] for c in STANDARD_SCHEMA} == STANDARD_SCHEMA, measure


def test_a_run_without_events_has_no_part_and_the_columns_of_a_run_with_events():
    with_events = entitle(tables_from_profiles([_profile(0, "330106", EVERY_KIND)]), PACKS)
    without = entitle(tables_from_profiles([_profile(1, "330106", [])]), PACKS)
    assert without.parts == {} and without.frame.height == 0
    assert without.frame.schema == with_events.frame.schema


def test_only_the_measures_of_the_run_s_event_kinds_have_a_part():
    result = entitle(tables_from_profiles([_profile(0, "330106", PER_ENTERPRISE[4:5])]), PACKS)
    loan_measures = {m.id for p in PACKS for m in p.measures if "loan" in m.events}
    assert loan_measures and set(result.parts) == loan_measures
