"""从优、就高、不重复 across packs (with test-only packs), prior payments, and money properties."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_uscc

from srdi.domain.exchange import parse_profile
from srdi.domain.policy.engine import HISTORY_SCHEMA, entitle
from srdi.domain.policy.loader import load_packs, load_packs_from, shipped_common
from srdi.domain.tables import tables_from_profiles

TEST_PACKS = load_packs_from(Path(__file__).parent / "testpacks", "testpacks", common=shipped_common())
ALL = (*load_packs(), *TEST_PACKS)
SRDI_CERT = [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}]


def _run(events, packs=ALL, history=None, overrides=None, certs=SRDI_CERT, district="330106"):
    profile = parse_profile(
        {"uscc": make_uscc(district), "district": district, "certifications": certs, "events": events}
    )
    return entitle(tables_from_profiles([profile]), packs, overrides=overrides, history=history).frame


def test_the_higher_payment_of_another_pack_supersedes_81号():
    frame = _run([{"kind": "recognition", "tier": "srdi_sme", "date": "2024-06-01"}], certs=[])
    rows = {r["measure"]: r for r in frame.iter_rows(named=True)}
    assert (
        rows["testdistrict.1"]["status"] == "granted" and rows["testdistrict.1"]["amount_fen"] == 50_000_000
    )
    assert rows["hz81.3"]["status"] == "superseded"
    assert rows["hz81.3"]["superseded_by"].startswith("testdistrict.1:")
    assert frame.get_column("amount_fen").sum() == 50_000_000


def test_81号_wins_when_it_pays_more():
    events = [
        {
            "kind": "tech_renovation",
            "project_id": "P1",
            "date": "2024-10-10",
            "industry": "new_energy",
            "total_investment_fen": 1_000_000_000,
            "eligible_investment_since_2023_fen": 1_000_000_000,
        }
    ]
    rows = {r["measure"]: r for r in _run(events).iter_rows(named=True)}
    assert rows["hz81.9"]["status"] == "granted" and rows["hz81.9"]["amount_fen"] == 200_000_000
    assert rows["testdistrict.2"]["status"] == "superseded"
    assert rows["testdistrict.2"]["superseded_by"] == "hz81.9:P1"


def test_payments_already_made_count_a_top_up_not_a_second_full_payment():
    history = pl.DataFrame(
        [
            {
                "eid": 0,
                "group": "first_recognition",
                "matter": "first_recognition|srdi_sme",
                "year": 2024,
                "paid_fen": 30_000_000,
                "reference": "区县2024年第1批",
            }
        ],
        schema=HISTORY_SCHEMA,
    )
    frame = _run(
        [{"kind": "recognition", "tier": "srdi_sme", "date": "2024-06-01"}], certs=[], history=history
    )
    granted = frame.filter(pl.col("status") == "granted")
    assert granted.height == 1
    assert granted.item(0, "amount_fen") == 20_000_000  # 50万 best − 30万 already paid
    assert granted.item(0, "paid_before_fen") == 30_000_000


def test_when_already_paid_enough_nothing_more_is_paid():
    history = pl.DataFrame(
        [
            {
                "eid": 0,
                "group": "first_recognition",
                "matter": "first_recognition|srdi_sme",
                "year": 2024,
                "paid_fen": 60_000_000,
                "reference": "省级配套",
            }
        ],
        schema=HISTORY_SCHEMA,
    )
    frame = _run(
        [{"kind": "recognition", "tier": "srdi_sme", "date": "2024-06-01"}], certs=[], history=history
    ).filter(pl.col("in_window"))  # the successor pack (2025-12-28) has a row too, outside its window
    assert set(frame.get_column("status")) == {"superseded"}
    assert frame.get_column("amount_fen").sum() == 0
    assert any(s.startswith("已支付") for s in frame.get_column("superseded_by").to_list())


money = st.integers(min_value=0, max_value=2 * 10**12)
events_strategy = st.lists(
    st.one_of(
        st.builds(
            lambda t, e, i: {
                "kind": "tech_renovation",
                "project_id": f"P{i}",
                "date": "2025-01-10",
                "industry": ["new_energy", "other"][i % 2],
                "total_investment_fen": t,
                "eligible_investment_since_2023_fen": min(e, t),
            },
            money,
            money,
            st.integers(0, 3),
        ),
        st.builds(
            lambda v, i: {
                "kind": "digital_transformation",
                "project_id": f"P{i}",
                "date": "2025-02-01",
                "eligible_investment_fen": v,
            },
            money,
            st.integers(0, 3),
        ),
        st.builds(
            lambda p, m, paid, i: {
                "kind": "loan",
                "loan_id": f"L{i}",
                "contract_date": "2025-06-10",
                "principal_fen": p,
                "annual_rate": "0.025",
                "term_months": m,
                "interest_paid_fen": paid,
                "guarantee_fee_rate": "0.004",
            },
            st.integers(0, 5 * 10**10),
            st.integers(1, 12),
            st.integers(0, 10**9),
            st.integers(0, 5),
        ),
        st.builds(
            lambda t: {"kind": "recognition", "tier": t, "date": "2024-09-01"},
            st.sampled_from(["srdi_sme", "little_giant", "hidden_champion"]),
        ),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events_strategy,
    st.sampled_from(["330106", "330108", "330127"]),
    st.decimals(min_value=0, max_value=1, places=3),
)
def test_caps_splits_and_overlaps_hold(events, district, share):
    overrides = {"hz81.17.rate_discount_min": "0.10", f"fiscal_share.{district}": str(share)}
    frame = _run(events, history=None, overrides=overrides, district=district, certs=[])
    granted = frame.filter(pl.col("status") == "granted")
    caps = {"hz81.9": None, "hz81.22": 100_000_000}
    for row in granted.iter_rows(named=True):
        assert row["amount_fen"] >= 0
        assert row["city_fen"] + row["district_fen"] == row["amount_fen"]
        if row["cap_fen"] is not None:
            assert row["amount_fen"] <= row["cap_fen"]
        if caps.get(row["measure"]) is not None:
            assert row["amount_fen"] <= caps[row["measure"]]
        if row["measure"] == "hz81.9":
            assert row["amount_fen"] <= 10_000_000_000
    loans = granted.filter(pl.col("measure") == "hz81.17")
    assert loans.get_column("amount_fen").sum() <= 10_000_000
    # An overlap group never pays more than its highest member.
    candidates = frame.filter(pl.col("matter").is_not_null() & pl.col("amount_pooled").is_not_null())
    for (matter,), group in candidates.group_by(["matter"]):
        paid = frame.filter(pl.col("matter") == matter).get_column("amount_fen").fill_null(0).sum()
        best = (
            group.filter(pl.col("status").is_in(["granted", "superseded"])).get_column("amount_pooled").max()
            or 0
        )
        assert paid <= best, matter
        assert frame.filter((pl.col("matter") == matter) & (pl.col("status") == "granted")).height <= 1
