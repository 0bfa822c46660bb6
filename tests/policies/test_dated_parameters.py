"""Every parameter is read on the event's own date (the contract date for a loan), and the trace shows that value.

The shipped hz81 parameters have one period each; these tests give some of them a second period from 2025-01-01
and check that events on either side of the change use their own value: rates, caps, switch lists, field_in
lists, thresholds, the 第17条 rate, months and LPR ratio, the annual pool and the fiscal share.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from tests.conftest import make_uscc

from srdi.domain.policy.contract import run_entitle
from srdi.domain.policy.loader import load_packs
from srdi.domain.policy.model import Pack
from srdi.domain.rules.parameters import Period

CUT = date(2025, 1, 1)
SRDI = [{"tier": "srdi_sme", "recognized_on": "2023-01-15", "expires_on": "2026-01-14"}]


def _dated(changes: dict[str, tuple[Any, Any]]) -> tuple[Pack, ...]:
    """The shipped packs with ``pid: (value until 2024-12-31, value from 2025-01-01)``."""
    out = []
    for pack in load_packs():
        params = dict(pack.parameters)
        for pid, (before, after) in changes.items():
            if pid in params:
                first = params[pid].periods[0]
                params[pid] = replace(
                    params[pid],
                    periods=(Period(first.start, date(2024, 12, 31), before), Period(CUT, None, after)),
                    unset=False,
                )
        out.append(replace(pack, parameters=params))
    return tuple(out)


def _run(events, packs, parameters=None, district="330106", certs=SRDI) -> list[dict[str, Any]]:
    document = {
        "parameters": parameters or {},
        "enterprises": [
            {"uscc": make_uscc(district), "district": district, "certifications": certs, "events": events}
        ],
    }
    return run_entitle(document, packs=packs)["results"][0]["entitlements"]


def _basis(record: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(b for b in record["basis"] if b["type"] == kind)


def _project(pid: str, day: str, industry: str = "new_energy", base: int = 1_000_000_000) -> dict[str, Any]:
    return {
        "kind": "tech_renovation",
        "project_id": pid,
        "date": day,
        "industry": industry,
        "total_investment_fen": base,
        "eligible_investment_since_2023_fen": base,
    }


def _loan(lid: str, day: str, rate: str = "0.025", principal: int = 1_000_000_000) -> dict[str, Any]:
    return {
        "kind": "loan",
        "loan_id": lid,
        "contract_date": day,
        "principal_fen": principal,
        "annual_rate": rate,
        "term_months": 12,
        "interest_paid_fen": principal,
        "guarantee_fee_rate": "0.004",
    }


def test_a_rate_that_changes_is_applied_by_each_events_date_and_traced_as_used():
    packs = _dated({"hz81.9.rate.key": (Decimal("0.20"), Decimal("0.15"))})
    records = {
        r["event"]: r for r in _run([_project("P1", "2024-10-10"), _project("P2", "2025-03-01")], packs)
    }
    assert records["P1"]["amount_fen"] == 200_000_000  # 1000万 × 20%
    assert records["P2"]["amount_fen"] == 150_000_000
    rate2 = next(p for p in _basis(records["P2"], "amount")["parameters"] if p["id"] == "hz81.9.rate.key")
    assert (rate2["value"], rate2["effective_from"]) == ("0.15", "2025-01-01")
    assert "15%" in _basis(records["P2"], "amount")["arithmetic"]
    rate1 = next(p for p in _basis(records["P1"], "amount")["parameters"] if p["id"] == "hz81.9.rate.key")
    assert rate1["value"] == "0.20"


def test_a_cap_that_changes_is_applied_by_each_events_date():
    packs = _dated({"hz81.22.cap": (100_000_000, 50_000_000)})
    events = [
        {
            "kind": "digital_transformation",
            "project_id": "D1",
            "date": "2024-12-31",
            "eligible_investment_fen": 10**9,
        },
        {
            "kind": "digital_transformation",
            "project_id": "D2",
            "date": "2025-01-01",
            "eligible_investment_fen": 10**9,
        },
    ]
    records = {r["event"]: r for r in _run(events, packs)}
    assert records["D1"]["amount_fen"] == 100_000_000
    assert records["D2"]["amount_fen"] == 50_000_000
    assert _basis(records["D2"], "cap")["cap_fen"] == 50_000_000


def test_a_switch_list_that_changes_is_read_on_the_event_date():
    everything_but_new_energy = ["next_gen_it", "high_end_equipment", "biomedicine", "integrated_circuit"]
    packs = _dated(
        {"hz81.9.key_industries": ([*everything_but_new_energy, "new_energy"], everything_but_new_energy)}
    )
    records = {
        r["event"]: r for r in _run([_project("P1", "2024-10-10"), _project("P2", "2025-03-01")], packs)
    }
    assert records["P1"]["amount_fen"] == 200_000_000  # key industry, 20%
    assert records["P2"]["amount_fen"] == 100_000_000  # no longer key: 10%
    ids = [p["id"] for p in _basis(records["P2"], "amount")["parameters"]]
    assert "hz81.9.rate.other" in ids and "hz81.9.cap.other" in ids


def test_a_field_in_list_and_a_threshold_follow_the_event_date():
    packs = _dated(
        {
            "hz81.12.lists": (["brand_power_project"], ["brand_power_project", "other_list"]),
            "hz81.9.min_total_investment": (500_000_000, 1_000_000_000),
        }
    )
    events = [
        {"kind": "brand_listing", "list": "other_list", "year": 2023, "date": "2024-06-01"},
        {"kind": "brand_listing", "list": "other_list", "year": 2024, "date": "2025-06-01"},
        _project("P1", "2024-10-10", base=800_000_000),
        _project("P2", "2025-03-01", base=800_000_000),
    ]
    records = _run(events, packs)
    brand = [r for r in records if r["article"] == 12]
    assert [r["status"] for r in brand] == ["not_eligible", "granted"]
    by_event = {r["event"]: r for r in records if r["article"] == 9}
    assert by_event["P1"]["status"] == "granted"
    assert by_event["P2"]["status"] == "not_eligible"  # 800万 < the new 1000万 threshold


def test_loan_rate_months_and_lpr_ratio_follow_the_contract_date():
    packs = _dated(
        {
            "hz81.17.subsidy_rate": (Decimal("0.01"), Decimal("0.005")),
            "hz81.17.rate_discount_min": (Decimal("0.10"), Decimal("0.20")),
        }
    )
    # 2024-05-10: LPR 3.45%, limit 3.105%; 2025-06-10: LPR 3.00%, limit 2.40% (2.5% fails), 2.3% passes.
    events = [_loan("L1", "2024-05-10"), _loan("L2", "2025-06-10"), _loan("L3", "2025-06-11", rate="0.023")]
    records = {r["event"]: r for r in _run(events, packs)}
    assert records["L1"]["status"] == "granted" and records["L1"]["amount_fen"] == 10_000_000
    assert records["L2"]["status"] == "not_eligible"  # with the old code: amount_unset (two periods = unset)
    assert records["L3"]["status"] == "granted" and records["L3"]["amount_fen"] == 5_000_000  # 0.5%
    condition = next(b for b in records["L3"]["basis"] if b.get("id") == "below_lpr")
    assert condition["parameter"]["value"] == "0.20"
    assert "0.5%" in _basis(records["L3"], "amount")["arithmetic"]


def test_max_months_follow_the_contract_date_and_the_arithmetic_shows_them():
    packs = _dated({"hz81.17.max_term_months": (12, 6)})
    loans = [_loan("L1", "2024-05-10"), _loan("L2", "2025-06-10") | {"term_months": 6}]
    records = {r["event"]: r for r in _run(loans, packs, {"hz81.17.rate_discount_min": "0.10"})}
    assert records["L1"]["amount_fen"] == 10_000_000  # 12 months counted in 2024 (not the later 6)
    assert "× 12/12" in _basis(records["L1"], "amount")["arithmetic"]
    assert records["L2"]["amount_fen"] == 5_000_000
    assert "× 6/12" in _basis(records["L2"], "amount")["arithmetic"]


def test_the_annual_pool_cap_follows_the_contract_year():
    packs = _dated({"hz81.17.cap_per_enterprise_year": (10_000_000, 6_000_000)})
    events = [_loan("L1", "2024-05-10"), _loan("L2", "2025-06-10")]
    records = {r["event"]: r for r in _run(events, packs, {"hz81.17.rate_discount_min": "0.10"})}
    assert records["L1"]["amount_fen"] == 10_000_000
    assert records["L2"]["amount_fen"] == 6_000_000


def test_the_fiscal_share_is_read_on_the_event_date_not_on_a_fixed_day():
    packs = _dated({"fiscal_share.330106": (Decimal("0.5"), Decimal("0.6"))})
    events = [
        {"kind": "scene_award", "scene_id": "S1", "date": "2024-06-01"},
        {"kind": "scene_award", "scene_id": "S2", "date": "2025-06-01"},
    ]
    records = {r["event"]: r for r in _run(events, packs)}
    assert (records["S1"]["city_fen"], records["S1"]["district_fen"]) == (25_000_000, 25_000_000)
    assert (records["S2"]["city_fen"], records["S2"]["district_fen"]) == (30_000_000, 20_000_000)
    assert _basis(records["S2"], "split")["city_share"] == "3/5"


def test_an_override_of_a_dated_parameter_applies_to_all_dates():
    packs = _dated({"hz81.9.rate.key": (Decimal("0.20"), Decimal("0.15"))})
    records = _run(
        [_project("P1", "2024-10-10"), _project("P2", "2025-03-01")], packs, {"hz81.9.rate.key": "0.05"}
    )
    assert [r["amount_fen"] for r in records if r["article"] == 9] == [50_000_000, 50_000_000]
    rate = next(p for p in _basis(records[0], "amount")["parameters"] if p["id"] == "hz81.9.rate.key")
    assert rate["note"] == "本次运行覆盖的参数值"


def test_a_gap_between_periods_leaves_the_amount_unset_not_uncapped():
    packs = load_packs()
    hz81 = packs[0]
    cap = hz81.parameters["hz81.22.cap"]
    gap = replace(
        cap,
        periods=(
            Period(date(2024, 1, 27), date(2024, 12, 31), 100_000_000),
            Period(date(2025, 6, 1), None, 100_000_000),
        ),
    )
    packs = (replace(hz81, parameters={**hz81.parameters, "hz81.22.cap": gap}), *packs[1:])
    events = [
        {
            "kind": "digital_transformation",
            "project_id": "D1",
            "date": "2025-03-01",
            "eligible_investment_fen": 10**9,
        }
    ]
    record = _run(events, packs)[0]
    assert (record["status"], record["amount_fen"]) == ("amount_unset", None)
