"""Approved parameter changes laid over the YAML baseline (``srdi.domain.policy.layering``), with no database.

An entry takes its own days only: the baseline keeps the days before and after it, a later entry wins where two
overlap, every result cites the version its value came from, and a parameter shared by several packs changes in
each of them.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import make_uscc

from srdi.domain.policy.contract import run_entitle
from srdi.domain.policy.layering import ParameterEntry, apply_entries, overlay, versions_used
from srdi.domain.policy.loader import load_packs
from srdi.domain.rules.parameters import Period

SRDI = [{"tier": "srdi_sme", "recognized_on": "2023-01-15", "expires_on": "2026-01-14"}]


def _project(pid: str, day: str) -> dict[str, Any]:
    return {
        "kind": "tech_renovation",
        "project_id": pid,
        "date": day,
        "industry": "new_energy",
        "total_investment_fen": 1_000_000_000,
        "eligible_investment_since_2023_fen": 1_000_000_000,
    }


def _entitle(packs, events) -> dict[str, dict[str, Any]]:
    document = {
        "enterprises": [
            {"uscc": make_uscc("330106"), "district": "330106", "certifications": SRDI, "events": events}
        ]
    }
    return {r["event"]: r for r in run_entitle(document, packs=packs)["results"][0]["entitlements"]}


def test_an_entry_takes_its_days_and_the_baseline_keeps_the_rest():
    entry = ParameterEntry("hz81.9.rate.key", date(2025, 3, 1), date(2025, 6, 30), Decimal("0.15"), "PV7")
    packs = apply_entries(load_packs(), [entry])
    records = _entitle(
        packs, [_project("P1", "2025-02-28"), _project("P2", "2025-03-01"), _project("P3", "2025-07-01")]
    )
    assert [records[p]["amount_fen"] for p in ("P1", "P2", "P3")] == [200_000_000, 150_000_000, 200_000_000]
    cited = {
        e: next(
            p for b in records[e]["basis"] for p in b.get("parameters", []) if p["id"] == "hz81.9.rate.key"
        )
        for e in ("P1", "P2", "P3")
    }
    assert cited["P2"]["version"] == "PV7" and cited["P2"]["effective_from"] == "2025-03-01"
    assert "version" not in cited["P1"] and "version" not in cited["P3"]
    assert versions_used(records["P2"]) == ["PV7", "baseline"]
    assert versions_used(records["P1"]) == ["baseline"]


def test_the_baseline_packs_are_not_changed_in_place():
    before = load_packs()[0].parameters["hz81.9.rate.key"].periods
    apply_entries(
        load_packs(), [ParameterEntry("hz81.9.rate.key", date(2025, 1, 1), None, Decimal("0.1"), "PV1")]
    )
    assert load_packs()[0].parameters["hz81.9.rate.key"].periods == before


def test_a_later_entry_wins_where_two_overlap():
    first = ParameterEntry("hz81.22.cap", date(2025, 1, 1), None, 50_000_000, "PV1")
    second = ParameterEntry("hz81.22.cap", date(2025, 6, 1), None, 80_000_000, "PV2")
    param = apply_entries(load_packs(), [first, second])[0].parameters["hz81.22.cap"]
    assert param.at(date(2024, 12, 31)).value == 100_000_000
    assert (param.at(date(2025, 5, 31)).value, param.at(date(2025, 5, 31)).version) == (50_000_000, "PV1")
    assert (param.at(date(2025, 6, 1)).value, param.at(date(2025, 6, 1)).version) == (80_000_000, "PV2")


def test_setting_an_unset_amount_gives_it_a_value_from_its_date_citing_the_version():
    pack = next(p for p in load_packs() if p.id == "hz81")
    assert pack.parameters["hz81.21.amount.smart_factory"].at(date(2025, 5, 10)).value is None
    entry = ParameterEntry("hz81.21.amount.smart_factory", date(2025, 1, 1), None, 30_000_000, "PV3")
    param = apply_entries(load_packs(), [entry])[0].parameters["hz81.21.amount.smart_factory"]
    assert param.at(date(2024, 12, 31)).value is None
    resolved = param.at(date(2025, 5, 10))
    assert (resolved.value, resolved.version, resolved.status) == (30_000_000, "PV3", "official")
    assert resolved.as_trace()["version"] == "PV3"


def test_a_shared_parameter_changes_in_every_pack_that_has_it():
    entry = ParameterEntry("fiscal_share.330106", date(2025, 1, 1), None, Decimal("0.6"), "PV4")
    packs = apply_entries(load_packs(), [entry])
    holders = [p for p in packs if "fiscal_share.330106" in p.parameters]
    assert len(holders) >= 2
    for pack in holders:
        assert pack.parameters["fiscal_share.330106"].at(date(2026, 1, 1)).value == Decimal("0.6")


def test_an_entry_for_an_unknown_parameter_changes_nothing():
    packs = load_packs()
    assert apply_entries(packs, [ParameterEntry("nope.1", date(2025, 1, 1), None, 1, "PV9")]) == packs


DAY0 = date(2024, 1, 1)
days = st.integers(min_value=0, max_value=800)


@st.composite
def entries(draw: Any) -> list[tuple[int, int | None]]:
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        start = draw(days)
        length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=300)))
        out.append((start, None if length is None else start + length))
    return out


@given(spans=entries(), probe=days)
def test_overlay_keeps_periods_disjoint_and_the_latest_entry_decides_each_day(spans, probe):
    periods: tuple[Period, ...] = (Period(DAY0, None, "base"),)
    for i, (start, end) in enumerate(spans):
        entry = ParameterEntry(
            "p",
            DAY0 + timedelta(days=start),
            None if end is None else DAY0 + timedelta(days=end),
            f"v{i}",
            f"PV{i}",
        )
        periods = overlay(periods, entry)
    ordered = sorted(periods, key=lambda p: p.start)
    for a, b in itertools.pairwise(ordered):
        assert a.end is not None and a.end < b.start
    day = DAY0 + timedelta(days=probe)
    covering = [p for p in periods if p.covers(day)]
    assert len(covering) == 1  # the baseline was open-ended from DAY0: every later day stays covered
    expected = "base"
    for i, (start, end) in enumerate(spans):
        if start <= probe and (end is None or probe <= end):
            expected = f"v{i}"
    assert covering[0].value == expected


def test_an_approved_fiscal_share_is_no_longer_called_the_default_on_its_dates():
    entry = ParameterEntry("fiscal_share.330106", date(2025, 1, 1), None, Decimal("0.6"), "PV5")
    records = _entitle(
        apply_entries(load_packs(), [entry]), [_project("P1", "2024-10-10"), _project("P2", "2025-03-01")]
    )
    before = next(b for b in records["P1"]["basis"] if b["type"] == "split")
    after = next(b for b in records["P2"]["basis"] if b["type"] == "split")
    assert (before["default_used"], records["P1"]["city_fen"]) == (True, 100_000_000)  # 200万 × 50%
    assert (after["default_used"], records["P2"]["city_fen"]) == (False, 120_000_000)  # 200万 × 60%
    assert "默认比例" in records["P1"]["explanation"] and "默认比例" not in records["P2"]["explanation"]
