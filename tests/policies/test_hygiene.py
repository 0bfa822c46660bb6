"""Pack and rulebook hygiene (``domain.policy.hygiene``): statuses, unset parameters and what they block, doubtful
values, missing cases, expiries — on the shipped packs and rulebooks and on the test-only district pack."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from srdi.domain.policy import hygiene as h
from srdi.domain.policy.hygiene import Kind, OpenProgramme, Severity, Status
from srdi.domain.policy.layering import ParameterEntry, apply_entries
from srdi.domain.policy.loader import load_packs, load_packs_from, shipped_common
from srdi.domain.rules.cases import policy_cases
from srdi.domain.rules.rulebook import load_library

PACKS = load_packs()
HZ81, HZ25 = PACKS
TESTDISTRICT = load_packs_from(Path(__file__).parent / "testpacks", "testpacks", common=shipped_common())[0]
CASES = {p.id: [c.tests for c in policy_cases(p.id)] for p in PACKS}


def _programme(measure: str, code: str = "P1") -> OpenProgramme:
    pack, _, article = measure.partition(".")
    return OpenProgramme(code, f"批次 {code}", pack, int(article))


def _blocking(report: h.Report) -> set[tuple[str, str]]:
    return {(f.parameter, ",".join(f.programmes)) for f in report.blocking}


def test_pack_statuses_follow_the_window():
    assert h.pack_window_state(HZ81, date(2023, 12, 31)).status is Status.DRAFT
    assert h.pack_window_state(HZ81, date(2024, 1, 27)).status is Status.IN_FORCE
    assert h.pack_window_state(HZ81, date(2025, 12, 31)).status is Status.IN_FORCE
    expired = h.pack_window_state(HZ81, date(2026, 1, 1))
    assert expired.status is Status.EXPIRED and expired.days_past == 1
    # hz25: declared, window unset — a draft that already matters once adopted, not before
    before = h.pack_window_state(HZ25, date(2025, 12, 27))
    after = h.pack_window_state(HZ25, date(2026, 6, 1))
    assert before.status is after.status is Status.DRAFT
    assert not before.window_unset and not before.active
    assert after.window_unset and after.active


def test_an_unset_money_parameter_blocks_only_a_programme_of_a_measure_that_needs_it():
    day = date(2026, 6, 1)
    quiet = h.check(PACKS, None, day)
    assert quiet.ok
    unset = {f.parameter: f.severity for f in quiet.findings if f.kind is Kind.UNSET_PARAMETER}
    assert unset["hz25.2.first_tranche_share"] is Severity.WARNING  # a pack that matters, no programme
    assert unset["hz25.window.from"] is unset["hz25.window.to"] is Severity.WARNING
    assert unset["hz81.4.bands"] is Severity.INFO  # hz81 expired by then

    one = h.check(PACKS, None, day, programmes=[_programme("hz25.1")])
    assert _blocking(one) == {("hz25.window.from", "P1"), ("hz25.window.to", "P1")}
    two = h.check(PACKS, None, day, programmes=[_programme("hz25.2", "P2")])
    assert _blocking(two) == {
        ("hz25.window.from", "P2"),
        ("hz25.window.to", "P2"),
        ("hz25.2.first_tranche_share", "P2"),
    }


def test_hz81_in_force_blocks_on_the_unset_ratio_of_article_6_and_the_lpr_ratio_of_article_17():
    day = date(2025, 6, 1)
    report = h.check(PACKS, None, day, programmes=[_programme("hz81.6", "A6"), _programme("hz81.17", "A17")])
    assert _blocking(report) == {
        ("hz81.6.tech_transaction_ratio", "A6"),
        ("hz81.17.rate_discount_min", "A17"),
    }
    # a programme of 第9条 (every amount set) blocks nothing; 第7条's unset 首台套 part is not its scene amount
    assert h.check(PACKS, None, day, programmes=[_programme("hz81.9"), _programme("hz81.7", "P7")]).ok
    # an approved value from the start of the window unblocks it
    entry = ParameterEntry("hz81.6.tech_transaction_ratio", date(2024, 1, 27), None, Decimal("0.05"), "PV1")
    fixed = apply_entries(PACKS, [entry])
    assert _blocking(h.check(fixed, None, day, programmes=[_programme("hz81.6", "A6")])) == set()
    # a value approved only from later in the year leaves the day asked unset
    late = ParameterEntry(entry.pid, date(2025, 7, 1), None, entry.value, "PV2")
    assert _blocking(
        h.check(apply_entries(PACKS, [late]), None, day, programmes=[_programme("hz81.6", "A6")])
    )


def test_an_expired_or_not_yet_adopted_pack_never_blocks():
    programmes = [_programme("hz81.6"), _programme("hz25.2", "P2")]
    assert h.check(PACKS, None, date(2026, 6, 1), programmes=[programmes[0]]).ok
    assert h.check(PACKS, None, date(2025, 12, 1), programmes=[programmes[1]]).ok


@settings(max_examples=40, deadline=None)
@given(
    st.sets(st.sampled_from([m.id for p in PACKS for m in p.measures]), max_size=6),
    st.sampled_from([date(2024, 6, 1), date(2025, 6, 1), date(2026, 6, 1)]),
)
def test_blocking_findings_name_open_programmes_of_money_measures_in_packs_that_matter(measures, day):
    programmes = [_programme(m, f"P{n}") for n, m in enumerate(sorted(measures))]
    report = h.check(PACKS, None, day, programmes=programmes)
    by_code = {p.code: p for p in programmes}
    for f in report.blocking:
        pack = next(p for p in PACKS if p.id == f.source)
        assert h.pack_window_state(pack, day).active
        assert f.programmes
        for code in f.programmes:
            m = pack.measure(by_code[code].article)
            assert m.is_money and f.parameter in h.money_parameter_ids(pack, m)
    # without programmes nothing blocks
    assert h.check(PACKS, None, day).ok


def test_unconfirmed_and_secondary_values_are_reported():
    report = h.check(PACKS, load_library(), date(2026, 6, 1))
    by_source = {s.id: s for s in report.sources}
    hz25 = {(f.kind, f.parameter) for f in by_source["hz25"].findings}
    assert (Kind.SECONDARY, "hz25.1.amount.little_giant") in hz25
    assert (Kind.SECONDARY, "") in hz25  # the text itself is a secondary copy
    assert any(k is Kind.UNKNOWN_ITEM for k, _ in hz25)
    lg = by_source["miit63.little_giant"]
    unconfirmed = {f.parameter for f in lg.findings if f.kind is Kind.UNCONFIRMED}
    assert {"direct_award_includes_provincial", "revenue_band_high"} <= unconfirmed
    assert all(f.severity is Severity.WARNING for f in lg.findings if f.kind is Kind.UNCONFIRMED)
    hc = by_source["zhejiang.hidden_champion_2026"]
    assert hc.window.status is Status.IN_FORCE
    assert {f.parameter for f in hc.findings if f.kind is Kind.UNSET_PARAMETER} == {
        "industry_scope",
        "recommendation_quota",
    }
    assert by_source["zhejiang.hidden_champion_2025"].window.status is Status.EXPIRED
    assert all(f.severity is Severity.INFO for f in by_source["zhejiang.hidden_champion_2025"].findings)
    assert not report.blocking  # rulebooks never block payments


def test_rulebook_windows_and_their_end_within_90_days():
    library = load_library()
    lg63 = library.by_id("miit63.little_giant")
    # in force after its own validity through the 2026 review of the 2023 cohort, until 2026-12-31
    state = h.rulebook_window_state(lg63, date(2026, 10, 15))
    assert state.status is Status.IN_FORCE and state.end == date(2026, 12, 31)
    report = h.rulebook_report(lg63, date(2026, 10, 15), library.common)
    ends = [f for f in report.findings if f.kind is Kind.WINDOW_ENDS]
    assert [(f.until, f.severity) for f in ends] == [(date(2026, 12, 31), Severity.WARNING)]
    assert not [
        f
        for f in h.rulebook_report(lg63, date(2026, 9, 1), library.common).findings
        if f.kind is Kind.WINDOW_ENDS
    ]
    assert h.rulebook_window_state(lg63, date(2027, 1, 1)).status is Status.EXPIRED
    assert (
        h.rulebook_window_state(library.by_id("miit26.little_giant"), date(2026, 3, 31)).status
        is Status.DRAFT
    )


def test_a_pack_ending_within_90_days_and_a_value_ending_with_nothing_after_it():
    day = date(2025, 10, 15)  # 77 days before 81号 ends
    report = h.pack_report(HZ81, day)
    ends = [f for f in report.findings if f.kind is Kind.WINDOW_ENDS]
    assert [(f.until, f.severity) for f in ends] == [(date(2025, 12, 31), Severity.WARNING)]
    assert not [f for f in h.pack_report(HZ81, date(2025, 9, 1)).findings if f.kind is Kind.WINDOW_ENDS]
    assert h.expiry_warnings(PACKS, day) == []  # the catalogue's note uses 60 days
    assert h.expiry_warnings(PACKS, date(2025, 11, 15)) == [
        "政策包 hz81（杭政办函〔2023〕81号）将于 2025-12-31 到期，剩余 46 天"
    ]

    amount = HZ81.parameters["hz81.7.scene_amount"]
    ending = dataclasses.replace(
        amount, periods=(dataclasses.replace(amount.periods[0], end=date(2025, 11, 30)),)
    )
    pack = dataclasses.replace(HZ81, parameters={**HZ81.parameters, amount.id: ending})
    found = [f for f in h.pack_report(pack, day).findings if f.kind is Kind.PARAMETER_ENDS]
    assert [(f.parameter, f.until, f.severity) for f in found] == [
        ("hz81.7.scene_amount", date(2025, 11, 30), Severity.WARNING)
    ]
    # a new value from the next day continues it: nothing to report
    entry = ParameterEntry(amount.id, date(2025, 12, 1), None, 40_000_000, "PV3")
    continued = apply_entries((pack,), [entry])[0]
    assert not [f for f in h.pack_report(continued, day).findings if f.kind is Kind.PARAMETER_ENDS]


def test_measures_without_cases():
    report = h.pack_report(HZ81, date(2025, 6, 1), cases=CASES["hz81"])
    untested = {f.measure for f in report.findings if f.kind is Kind.NO_CASES}
    # every money measure of 81号 has cases; targets such as 第1条 and 第26条 have none
    assert not untested & {m.id for m in HZ81.measures if m.is_money}
    assert {"hz81.1", "hz81.26"} <= untested
    assert not [
        f
        for f in h.pack_report(HZ25, date(2026, 6, 1), cases=CASES["hz25"]).findings
        if f.kind is Kind.NO_CASES
    ]
    # the test-only district pack has no case folder: checked against no cases, both measures are reported
    district = h.pack_report(TESTDISTRICT, date(2025, 6, 1), cases=[])
    assert {f.measure for f in district.findings if f.kind is Kind.NO_CASES} == {
        "testdistrict.1",
        "testdistrict.2",
    }
    assert not [f for f in h.pack_report(TESTDISTRICT, date(2025, 6, 1)).findings if f.kind is Kind.NO_CASES]


def test_case_cites_a_measure_by_reference_or_article():
    m9 = HZ81.measure(9)
    assert h.case_cites("81号 第9条、第22条", m9)
    assert h.case_cites("81号 第22条", HZ81.measure(22)) and not h.case_cites("81号 第22条", m9)
    assert not h.case_cites("81号 第19条", HZ81.measure(1))
    assert h.case_cites("若干措施（二）（评价结果）", HZ25.measure(2))
    assert not h.case_cites("81号 第2条", HZ25.measure(2))


def test_report_json_shape():
    data = h.check(PACKS, load_library(), date(2026, 6, 1), programmes=[_programme("hz25.2")]).as_json()
    assert data["on"] == "2026-06-01" and data["ok"] is False and data["horizon_days"] == 90
    assert set(data["counts"]) == {"blocking", "warning", "info"} and data["counts"]["blocking"] == 3
    hz25 = next(s for s in data["sources"] if s["id"] == "hz25")
    assert (
        hz25["status"] == "draft"
        and hz25["window_unset"] is True
        and hz25["window"] == {"from": None, "to": None}
    )
    first = hz25["findings"][0]
    assert (
        first["severity"] == "blocking"
        and first["programmes"] == ["P1"]
        and first["kind"] == "unset_parameter"
    )


def test_a_parameter_a_money_measure_reads_moves_money_whatever_its_unit():
    from srdi.domain.policy.hygiene import moves_money

    pack = next(p for p in load_packs() if p.id == "hz81")
    for pid in ("hz81.3.tiers", "hz81.7.scenes_per_year", "hz81.17.max_term_months", "hz81.9.key_industries"):
        assert pack.parameters[pid].unit not in ("fen", "ratio")
        assert moves_money(pack, pid, pack.parameters[pid]), pid
    publicity = "procedure.publicity_min_working_days"
    assert not moves_money(pack, publicity, pack.parameters[publicity])  # a procedure, not an amount
