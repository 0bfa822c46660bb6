"""The successor pack (hz25) in the engine: a window set by parameters, tranches, the yearly selection ceiling,
one payment per first recognition across packs, and the trace of each."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_uscc

from srdi.domain.assessment.contract import DocumentError
from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import run_entitle
from srdi.domain.policy.engine import entitle
from srdi.domain.policy.loader import load_packs
from srdi.domain.policy.params import OverrideError, ParamSet
from srdi.domain.policy.standing import standing
from srdi.domain.tables import tables_from_profiles

PACKS = load_packs()
HZ81, HZ25 = PACKS
WINDOW = {"hz25.window.from": "2026-01-28", "hz25.window.to": "2028-12-31"}
SHARE = {**WINDOW, "hz25.2.first_tranche_share": "0.5"}
INNOVATIVE = [{"tier": "innovative_sme", "recognized_on": "2025-03-01"}]
LONG = [{"tier": "innovative_sme", "recognized_on": "2025-03-01", "expires_on": "2029-12-31"}]


def _profile(events, certs=INNOVATIVE, n=None):
    return {"uscc": make_uscc("330106", n), "district": "330106", "certifications": certs, "events": events}


def _records(events, parameters=None, certs=INNOVATIVE):
    output = run_entitle({"parameters": parameters or {}, "enterprises": [_profile(events, certs)]})
    return output["results"][0]["entitlements"], output


def _selection(selection_id="2026-07", day="2026-07-15"):
    return {"kind": "growth_support_selection", "selection_id": selection_id, "date": day}


def _evaluation(passed=True, selection_id="2026-07", day="2028-07-15"):
    return {"kind": "growth_support_evaluation", "selection_id": selection_id, "date": day, "passed": passed}


# ---- the window ---------------------------------------------------------------------------------------


def test_the_packs_come_in_adoption_order_and_the_successor_window_is_two_unset_parameters():
    assert [p.id for p in PACKS] == ["hz81", "hz25"]
    assert ParamSet.for_run(PACKS).window(HZ25) == (None, None)
    assert ParamSet.for_run(PACKS, WINDOW).window(HZ25) == (date(2026, 1, 28), date(2028, 12, 31))
    assert HZ25.in_window(date(2025, 12, 27)) is False  # before the adoption: outside whatever the window
    assert HZ25.in_window(date(2026, 6, 30)) is None
    assert HZ25.in_window(date(2026, 6, 30), (date(2026, 1, 28), None)) is None
    assert HZ25.in_window(date(2029, 1, 1), (None, date(2028, 12, 31))) is False
    assert HZ81.in_window(date(2025, 12, 31)) is True


def test_window_unset_output_and_trace():
    records, output = _records([{"kind": "recognition", "tier": "little_giant", "date": "2026-06-30"}])
    successor = next(r for r in records if r["policy"] == "hz25")
    assert successor["status"] == "window_unset"
    assert (
        successor["amount_fen"] is None
        and successor["city_fen"] is None
        and successor["district_fen"] is None
    )
    window = next(b for b in successor["basis"] if b["type"] == "window")
    assert window["result"] == "unset" and window["from"] is None and window["to"] is None
    assert [p["id"] for p in window["parameters"]] == ["hz25.window.from", "hz25.window.to"]
    assert all(p["unset"] and p["status"] == "unconfirmed" for p in window["parameters"])
    # the conditions are still shown, so the enterprise sees that it would qualify
    assert {b["id"]: b["result"] for b in successor["basis"] if b["type"] == "condition"} == {
        "tier_rewarded": "pass",
        "first_recognition": "pass",
    }
    assert "政策有效期尚未公布" in successor["explanation"] and "hz25.window.from" in successor["explanation"]
    policies = {p["id"]: p for p in output["policies"]}
    assert policies["hz25"]["window"] == [None, None]
    assert policies["hz25"]["window_parameters"] == ["hz25.window.from", "hz25.window.to"]
    assert policies["hz81"]["window"] == ["2024-01-27", "2025-12-31"]


def test_the_window_set_for_a_run_is_in_the_output_and_the_trace():
    records, output = _records([{"kind": "recognition", "tier": "srdi_sme", "date": "2026-06-30"}], WINDOW)
    successor = next(r for r in records if r["policy"] == "hz25")
    assert successor["status"] == "granted" and successor["amount_fen"] == 20_000_000
    window = next(b for b in successor["basis"] if b["type"] == "window")
    assert (window["from"], window["to"], window["result"]) == ("2026-01-28", "2028-12-31", "pass")
    assert window["parameters"][0]["note"] == "本次运行覆盖的参数值"
    # the split of the successor is not known: no parts, and the trace says so
    split = next(b for b in successor["basis"] if b["type"] == "split")
    assert split["state"] == "unknown" and successor["city_fen"] is None
    assert {p["id"]: p["window"] for p in output["policies"]}["hz25"] == ["2026-01-28", "2028-12-31"]


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ({"hz25.window.from": "2026-13-01"}, "hz25.window.from"),
        ({"hz25.window.from": "2027-01-01", "hz25.window.to": "2026-12-31"}, "有效期截止日早于起始日"),
        ({"hz25.2.first_tranche_share": "1.5"}, "比例应在 0 与 1 之间"),
    ],
)
def test_bad_window_or_share_overrides_reject_the_document(parameters, words):
    with pytest.raises(DocumentError, match=words):
        run_entitle({"parameters": parameters, "enterprises": [_profile([])]})


def test_an_end_before_the_start_is_refused_when_the_run_is_built():
    with pytest.raises(OverrideError):
        ParamSet.for_run(PACKS, {"hz25.window.from": "2027-01-01", "hz25.window.to": "2026-12-31"})


def test_standing_measures_of_a_pack_without_a_window_say_window_unset():
    pack = dataclasses.replace(
        HZ81,
        window_from=None,
        window_to=None,
        window_params=HZ25.window_params,
        parameters={**HZ81.parameters, **{pid: HZ25.parameters[pid] for pid in HZ25.window_params}},
    )
    tables = tables_from_profiles(
        [parse_profile(_profile([], [{"tier": "srdi_sme", "recognized_on": "2025-01-01"}]))]
    )
    records = {r["article"]: r for r in standing(tables, (pack,), date(2026, 6, 30))[0]}
    assert records[11]["status"] == "window_unset"
    assert "有效期尚未公布" in records[11]["explanation"]
    early = {r["article"]: r for r in standing(tables, (pack,), date(2023, 6, 1))[0]}
    assert early[11]["status"] == "outside_policy_window"  # before the pack was adopted


# ---- 措施（二） ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "first", "rest"),
    [
        ("0.5", 25_000_000, 25_000_000),
        ("0.85", 42_500_000, 7_500_000),
        ("0.333333333", 16_666_667, 33_333_333),
    ],
)
def test_the_two_tranches_always_add_up_to_the_cap(share, first, rest):
    records, _ = _records([_selection(), _evaluation()], {**WINDOW, "hz25.2.first_tranche_share": share})
    amounts = {r["event_kind"]: r["amount_fen"] for r in records}
    assert amounts == {"growth_support_selection": first, "growth_support_evaluation": rest}
    assert first + rest == 50_000_000
    arithmetic = [b.get("arithmetic") for r in records for b in r["basis"] if b["type"] == "amount"]
    assert arithmetic[0].startswith("首期：50万元 ×") and arithmetic[1].startswith("余额：50万元 − 首期")


def test_the_tier_1_condition_is_judged_on_the_selection_date_and_traced_with_it():
    records, _ = _records([_selection(), _evaluation()], SHARE)
    for r in records:
        tier1 = next(b for b in r["basis"] if b.get("id") == "tier1")
        assert tier1["result"] == "pass" and tier1["date"] == "2026-07-15"
        assert tier1["parameter"]["value"] == ["innovative_sme", "tech_sme"]


def _ceiling_run(n, parameters=SHARE, day="2026-07-01"):
    """n enterprises selected on ``day``, then the subject on 2026-07-15 (first in the input)."""
    subject = _profile([_selection(), _evaluation()], n=10_000)
    others = [_profile([_selection("2026-07", day)], n=10_001 + i) for i in range(n)]
    return run_entitle({"parameters": parameters, "enterprises": [subject, *others]})["results"]


def test_the_101st_enterprise_of_a_year_is_refused_with_its_rank_in_the_trace():
    results = _ceiling_run(100)
    subject = results[0]["entitlements"]
    assert [r["status"] for r in subject] == ["not_eligible", "not_eligible"]
    quota = next(b for b in subject[0]["basis"] if b["type"] == "selection_quota")
    assert (quota["rank_in_year"], quota["quota"], quota["refused"]) == (101, 100, True)
    assert quota["parameter"]["id"] == "hz25.2.firms_per_year_max"
    assert "2026年第 101 家入选企业" in subject[0]["explanation"]
    assert "超过当年入选企业数上限" in subject[1]["explanation"]
    assert all(r["entitlements"][0]["status"] == "granted" for r in results[1:])


def test_the_ceiling_is_a_parameter_and_ties_on_a_day_go_in_input_order():
    results = _ceiling_run(3, {**SHARE, "hz25.2.firms_per_year_max": 3}, day="2026-07-15")
    # the subject is selected the same day as the three others and comes first in the input
    assert results[0]["entitlements"][0]["status"] == "granted"
    assert [r["entitlements"][0]["status"] for r in results[1:]] == ["granted", "granted", "not_eligible"]


def test_selections_that_are_not_eligible_or_not_yet_judged_take_no_place():
    no_title = [_profile([_selection("2026-07", "2026-07-01")], certs=[], n=20_000 + i) for i in range(2)]
    subject = _profile([_selection()], n=20_100)
    limited = {**SHARE, "hz25.2.firms_per_year_max": 1}
    results = run_entitle({"parameters": limited, "enterprises": [*no_title, subject]})["results"]
    assert [r["entitlements"][0]["status"] for r in results] == ["not_eligible", "not_eligible", "granted"]
    # while the window is unset nothing is counted or refused
    unset = run_entitle({"parameters": {"hz25.2.firms_per_year_max": 1}, "enterprises": [subject, subject]})
    assert [r["entitlements"][0]["status"] for r in unset["results"]] == ["window_unset", "window_unset"]


def test_an_enterprise_counts_once_a_year_and_not_again_within_its_support_period():
    events = [_selection("A", "2026-03-01"), _selection("B", "2026-09-01"), _selection("C", "2028-03-01")]
    records, _ = _records(events, {**SHARE, "hz25.2.firms_per_year_max": 1}, certs=LONG)
    status = {r["event"]: r["status"] for r in records}
    assert status == {"A": "granted", "B": "not_eligible", "C": "granted"}
    b = next(r for r in records if r["event"] == "B")
    quota = next(x for x in b["basis"] if x["type"] == "selection_quota")
    assert quota["repeat_of"] == "A（2026-03-01）" and quota["period"]["value"] == 2
    assert "2年支持期内不重复入选" in b["explanation"]


def test_the_support_period_ends_the_day_before_the_second_anniversary():
    events = [_selection("A", "2026-07-15"), _selection("B", "2028-07-14"), _selection("C", "2028-07-15")]
    records, _ = _records(events, {**SHARE, "hz25.2.period_years": 2}, certs=LONG)
    assert {r["event"]: r["status"] for r in records} == {"A": "granted", "B": "not_eligible", "C": "granted"}


# ---- across packs ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=4),
    tiers=st.lists(st.sampled_from(["little_giant", "hidden_champion", "srdi_sme"]), min_size=4, max_size=4),
    start=st.integers(min_value=0, max_value=60),
    relocate=st.booleans(),
)
def test_a_first_recognition_is_never_paid_by_two_packs(days, tiers, start, relocate):
    """Whatever the successor's window (even overlapping 81号's), one tier is paid at most once."""
    base = date(2025, 9, 1)
    events = [
        {"kind": "recognition", "tier": tiers[i], "date": (base + timedelta(days=d)).isoformat()}
        for i, d in enumerate(days)
    ]
    if relocate:
        events.append({"kind": "relocation_in", "tier": "srdi_sme", "date": "2025-10-01"})
    window = {
        "hz25.window.from": (date(2025, 12, 28) + timedelta(days=start)).isoformat(),
        "hz25.window.to": "2028-12-31",
    }
    profile = parse_profile(_profile(events, certs=[{"tier": "srdi_sme", "recognized_on": "2025-09-15"}]))
    frame = entitle(tables_from_profiles([profile]), PACKS, overrides=window).frame
    granted = frame.filter((frame["status"] == "granted") & (frame["amount_fen"] > 0))
    per_matter = granted.group_by("matter").len()
    assert per_matter.is_empty() or per_matter["len"].max() == 1
    ceiling = {"little_giant": 100_000_000, "hidden_champion": 100_000_000, "srdi_sme": 20_000_000}
    for matter, amount in granted.group_by("matter").agg(pl.col("amount_fen").sum()).iter_rows():
        assert amount <= ceiling[matter.split("|")[1]]


def test_the_title_lifecycle_is_applied_before_the_tier_1_check():
    profile = _profile([_selection(), _evaluation()])
    profile["sanctions"] = [{"kind": "data_fraud", "date": "2026-05-01"}]
    records = run_entitle({"parameters": SHARE, "enterprises": [profile]})["results"][0]["entitlements"]
    # fraud removed the 创新型 title before the selection: neither tranche is paid
    assert [r["status"] for r in records] == ["not_eligible", "not_eligible"]
    later = _profile([_selection()])
    later["sanctions"] = [{"kind": "data_fraud", "date": "2026-08-01"}]
    records = run_entitle({"parameters": SHARE, "enterprises": [later]})["results"][0]["entitlements"]
    assert records[0]["status"] == "granted"  # the title was valid on the selection date


def test_a_title_cancelled_for_fraud_no_longer_makes_an_srdi_enterprise():
    profile = {
        "uscc": make_uscc("330106"),
        "district": "330106",
        "certifications": [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}],
        "sanctions": [{"kind": "data_fraud", "date": "2024-06-01"}],
        "events": [{"kind": "scene_award", "scene_id": "S1", "date": "2024-09-01"}],
    }
    records = run_entitle({"enterprises": [profile]})["results"][0]["entitlements"]
    assert records[0]["status"] == "not_eligible"
    tables = tables_from_profiles([parse_profile(profile)])
    by_article = {r["article"]: r for r in standing(tables, (HZ81,), date(2025, 6, 30))[0]}
    assert by_article[11]["status"] == "not_eligible"  # standing measures see the cancelled title too


def test_the_cost_simulation_counts_events_waiting_for_the_window():
    from srdi.domain.policy.simulate import run_simulation

    profiles = [
        parse_profile(
            _profile([{"kind": "recognition", "tier": "srdi_sme", "date": "2026-06-30"}, _selection()])
        )
    ]
    tables = tables_from_profiles(profiles)
    waiting = run_simulation(tables, (HZ25,), 2026)
    assert waiting.totals["window_unset"] == 2 and waiting.totals["amount_fen"] == 0
    costed = run_simulation(tables, (HZ25,), 2026, SHARE)
    assert costed.totals["window_unset"] == 0 and costed.totals["amount_fen"] == 20_000_000 + 25_000_000
    assert costed.totals["city_fen"] == 0  # no split for the successor: its sharing rule is not known
