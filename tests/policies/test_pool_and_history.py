"""第17条's annual pool (10万 per enterprise per calendar year of the contract date) with payments already made.

A payment already made for a loan counts once: as part of that loan's entitlement (the top-up pays the rest),
not again as "pool used by others". Payments are counted in the pool year of the matter they paid for (the
contract year), whatever year they were paid in. Same-matter duplicates use the pool once.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_uscc

from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import records_by_enterprise
from srdi.domain.policy.engine import HISTORY_SCHEMA, entitle
from srdi.domain.policy.loader import load_packs
from srdi.domain.tables import tables_from_profiles

RATIO = {"hz81.17.rate_discount_min": "0.10"}
SRDI = [{"tier": "srdi_sme", "recognized_on": "2023-01-15", "expires_on": "2026-01-14"}]


def _loan(lid: str | None, day: str, principal: int, paid: int | None = None) -> dict[str, Any]:
    event = {
        "kind": "loan",
        "contract_date": day,
        "principal_fen": principal,
        "annual_rate": "0.025",
        "term_months": 12,
        "interest_paid_fen": paid if paid is not None else principal,
        "guarantee_fee_rate": "0.004",
    }
    if lid:
        event["loan_id"] = lid
    return event


def _history(*rows: tuple[str, int, int]) -> pl.DataFrame:
    """(matter, year, paid) rows of enterprise 0 in the loan_interest group."""
    return pl.DataFrame(
        [
            {
                "eid": 0,
                "group": "loan_interest",
                "matter": matter,
                "year": year,
                "paid_fen": paid,
                "reference": f"事项#{i}",
            }
            for i, (matter, year, paid) in enumerate(rows, start=1)
        ],
        schema=HISTORY_SCHEMA,
    )


def _records(events, history=None) -> dict[str, dict[str, Any]]:
    profile = parse_profile(
        {"uscc": make_uscc("330106"), "district": "330106", "certifications": SRDI, "events": events}
    )
    result = entitle(tables_from_profiles([profile]), load_packs(), overrides=RATIO, history=history)
    return {r["event"]: r for r in records_by_enterprise(result)[0]}


def _pool(record: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in record["basis"] if b["type"] == "annual_cap")


def test_a_partly_paid_loan_is_topped_up_to_its_entitlement():
    # 1000万 × 1% = 10万, but only 8万 interest was paid: entitled to 8万; 4万 already paid → 4万 more.
    records = _records(
        [_loan("L1", "2025-03-10", 1_000_000_000, paid=8_000_000)],
        _history(("loan_interest|L1", 2025, 4_000_000)),
    )
    r = records["L1"]
    assert (r["status"], r["amount_fen"], r["computed_fen"]) == ("granted", 4_000_000, 8_000_000)
    assert _pool(r)["used_before_fen"] == 0
    overlap = next(b for b in r["basis"] if b["type"] == "overlap")
    assert overlap["paid_before_fen"] == 4_000_000


def test_payments_for_other_loans_of_the_year_use_the_pool_once():
    # L0 (not in this run) was paid 6万 for 2025; L1 is entitled to 10万: 4万 remain.
    records = _records(
        [_loan("L1", "2025-03-10", 1_000_000_000)], _history(("loan_interest|L0", 2025, 6_000_000))
    )
    assert records["L1"]["amount_fen"] == 4_000_000
    assert _pool(records["L1"])["used_before_fen"] == 6_000_000


def test_a_payment_counts_in_the_contract_year_of_its_loan_not_the_year_it_was_paid():
    # L1 was signed in 2024 and paid 10万 in 2025 (history year 2025): the 2025 pool is untouched.
    events = [_loan("L1", "2024-12-01", 1_000_000_000), _loan("L2", "2025-03-01", 1_000_000_000)]
    records = _records(events, _history(("loan_interest|L1", 2025, 10_000_000)))
    assert records["L1"]["status"] == "superseded"  # already paid in full
    assert records["L1"]["superseded_by"] == "已支付:事项#1"
    assert (records["L2"]["status"], records["L2"]["amount_fen"]) == ("granted", 10_000_000)


def test_payments_of_a_loan_in_the_run_count_in_its_own_pool_year_only():
    # L1 (2025, paid 6万) and L2 (2025, unpaid, entitled 10万): L2 gets the 4万 left; L1 needs nothing more.
    events = [_loan("L1", "2025-06-01", 600_000_000), _loan("L2", "2025-02-01", 1_000_000_000)]
    records = _records(events, _history(("loan_interest|L1", 2026, 6_000_000)))
    assert records["L1"]["status"] == "superseded" and records["L1"]["amount_fen"] == 0
    assert (records["L2"]["status"], records["L2"]["amount_fen"]) == ("granted", 4_000_000)
    assert _pool(records["L2"])["used_before_fen"] == 6_000_000


def test_an_exhausted_pool_is_granted_zero_with_the_reason():
    events = [_loan("L1", "2025-02-01", 1_000_000_000), _loan("L2", "2025-06-01", 500_000_000)]
    records = _records(events)
    r = records["L2"]
    assert (r["status"], r["amount_fen"], r["city_fen"], r["district_fen"]) == ("granted", 0, 0, 0)
    pool = _pool(r)
    assert pool["exhausted"] is True and pool["applied"] is True and pool["used_before_fen"] == 10_000_000
    assert "已用完" in pool["note"] and "已用完" in r["explanation"]
    assert r["superseded_by"] is None
    assert all(b.get("result") != "fail" for b in r["basis"] if b["type"] == "condition")


def test_an_exhausted_pool_after_payments_made_is_granted_zero():
    records = _records(
        [_loan("L2", "2025-06-01", 500_000_000)], _history(("loan_interest|L0", 2025, 10_000_000))
    )
    assert (records["L2"]["status"], records["L2"]["amount_fen"]) == ("granted", 0)
    assert _pool(records["L2"])["exhausted"] is True


def test_same_loan_twice_uses_the_pool_once_even_with_history():
    events = [
        _loan("L1", "2025-02-01", 500_000_000),
        _loan("L1", "2025-02-01", 500_000_000),
        _loan("L2", "2025-06-01", 800_000_000),
    ]
    profile = parse_profile(
        {"uscc": make_uscc("330106"), "district": "330106", "certifications": SRDI, "events": events}
    )
    history = _history(("loan_interest|L1", 2025, 2_000_000))
    frame = entitle(tables_from_profiles([profile]), load_packs(), overrides=RATIO, history=history).frame
    rows = frame.sort("seq").select("label", "status", "amount_fen", "pool_dup").rows()
    assert rows == [
        ("L1", "granted", 3_000_000, False),  # 5万 entitled − 2万 paid
        ("L1", "superseded", 0, True),
        ("L2", "granted", 5_000_000, False),  # 10万 − 5万 for L1
    ]


def test_unkeyed_events_are_separate_matters_with_stable_labels():
    events = [
        {"kind": "scene_award", "date": "2025-06-01"},
        {"kind": "scene_award", "scene_id": "S1", "date": "2025-06-01"},
        {"kind": "scene_award", "date": "2025-06-01"},
        {"kind": "scene_award", "date": "2025-07-01"},
    ]
    profile = parse_profile(
        {"uscc": make_uscc("330106"), "district": "330106", "certifications": SRDI, "events": events}
    )
    frame = entitle(tables_from_profiles([profile]), load_packs()).frame.sort("seq")
    assert frame.get_column("label").to_list() == [
        "scene_award:2025-06-01",
        "S1",
        "scene_award:2025-06-01#2",
        "scene_award:2025-07-01",
    ]
    assert frame.get_column("matter").to_list() == [
        "scene|scene_award:2025-06-01",
        "scene|S1",  # a keyed event keeps its matter
        "scene|scene_award:2025-06-01#2",
        "scene|scene_award:2025-07-01",
    ]
    assert set(frame.get_column("status")) == {"granted"}


loan_strategy = st.builds(
    lambda i, year, month, principal, paid: _loan(f"L{i}", f"{year}-{month:02d}-10", principal, paid),
    st.integers(0, 4),
    st.sampled_from([2024, 2025]),
    st.integers(3, 12),
    st.integers(0, 2 * 10**9),
    st.integers(0, 3 * 10**7),
)
history_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from([2024, 2025, 2026]), st.integers(0, 8 * 10**6)), max_size=4
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(loan_strategy, min_size=1, max_size=5, unique_by=lambda e: e["loan_id"]), history_strategy)
def test_new_payments_never_take_a_year_above_the_cap(loans, paid):
    history = _history(*[(f"loan_interest|L{i}", year, fen) for i, year, fen in paid]) if paid else None
    profile = parse_profile(
        {"uscc": make_uscc("330106"), "district": "330106", "certifications": SRDI, "events": loans}
    )
    frame = entitle(tables_from_profiles([profile]), load_packs(), overrides=RATIO, history=history).frame
    loans_frame = frame.filter(pl.col("measure") == "hz81.17")
    # The pool year of each paid matter: its loan's contract year when the loan is in the run.
    years = dict(loans_frame.select("matter", "pool_year").rows())
    attributed: dict[int, int] = {}
    for i, year, fen in paid:
        y = years.get(f"loan_interest|L{i}", year)
        attributed[y] = attributed.get(y, 0) + fen
    granted = loans_frame.filter(pl.col("status") == "granted")
    for year in set(granted.get_column("pool_year").to_list()):
        new = granted.filter(pl.col("pool_year") == year).get_column("amount_fen").sum()
        assert new <= max(0, 10_000_000 - attributed.get(year, 0)), (year, new, attributed)
    # One granted row per loan, and never more than its entitlement on top of what was paid for it.
    assert granted.get_column("matter").is_unique().all()
    for row in granted.iter_rows(named=True):
        assert row["paid_before_fen"] + row["amount_fen"] <= max(row["amount_capped"], row["paid_before_fen"])
