"""Comparing packs measure by measure (``domain.policy.compare``): 81号 against its successor as read from the YAML,
a pack against itself, and the test-only district pack (matching by overlap group and shared event)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

from srdi.domain.policy.compare import compare, display, match
from srdi.domain.policy.layering import ParameterEntry, apply_entries
from srdi.domain.policy.loader import load_packs, load_packs_from, shipped_common

HZ81, HZ25 = load_packs()
TESTDISTRICT = load_packs_from(Path(__file__).parent / "testpacks", "testpacks", common=shipped_common())[0]


def test_hz81_to_hz25_as_read_from_the_yaml():
    diff = compare(HZ81, HZ25)
    assert (diff.a_on, diff.b_on) == (
        date(2024, 1, 27),
        date(2025, 12, 28),
    )  # hz25's start is unset: its adoption
    # 第3条 (first recognition and move-in) became 措施（一）; 措施（二） is new; nothing else of 81号 was read in hz25
    assert [(p.a.id, p.b.id, p.matched_by) for p in diff.pairs] == [("hz81.3", "hz25.1", "overlap")]
    assert [m.id for m in diff.added] == ["hz25.2"]
    assert [m.id for m in diff.removed] == [f"hz81.{n}" for n in range(1, 27) if n != 3]
    assert diff.b_incomplete and not diff.identical

    (pair,) = diff.changed
    assert pair.title == ("首次认定和新引进奖励", "加强企业梯队建设：首次认定奖励")
    assert pair.kinds_added == ("target",) and pair.kinds_removed == ()
    assert pair.events_added == () and pair.events_removed == ("relocation_in",)
    assert pair.amount_kind is None
    # 100万 / 100万 / 20万 in both: no amount changed
    amounts = {v.role: (v.a_text, v.b_text, v.changed) for v in pair.amounts}
    assert amounts == {
        "params.little_giant": ("100万元", "100万元", False),
        "params.hidden_champion": ("100万元", "100万元", False),
        "params.srdi_sme": ("20万元", "20万元", False),
    }
    assert pair.caps == ()
    assert pair.cap_text is not None
    changes = {c.id: (c.change, c.details) for c in pair.conditions}
    assert changes["relocation_tier"] == ("removed", ())
    assert changes["holds_title"] == ("removed", ())
    assert changes["tier_rewarded"][0] == "changed"  # the label: 省级专精特新 → 专精特新中小企业; same tiers
    assert not any(d.startswith("参数取值") for d in changes["tier_rewarded"][1])
    assert changes["first_recognition"][0] == "changed"
    assert "适用事件：首次认定 → —" in changes["first_recognition"][1]
    assert set(changes) == {"relocation_tier", "holds_title", "tier_rewarded", "first_recognition"}


def test_a_pack_compared_with_itself_has_no_differences():
    for pack in (HZ81, HZ25, TESTDISTRICT):
        diff = compare(pack, pack)
        assert diff.identical, pack.id
        assert all(p.matched_by == "article" for p in diff.pairs)
        assert len(diff.pairs) == len(pack.measures)
        assert diff.as_json()["changed"] == []


def test_an_approved_value_shows_as_an_amount_change_against_the_baseline():
    entry = ParameterEntry("hz81.3.amount.srdi_sme", date(2024, 1, 27), None, 30_000_000, "PV7")
    changed = apply_entries((HZ81,), [entry])[0]
    diff = compare(HZ81, changed)
    (pair,) = diff.changed
    (value,) = [v for v in pair.amounts if v.changed]
    assert (value.role, value.a_text, value.b_text) == ("params.srdi_sme", "20万元", "30万元")
    # a condition's parameter value is compared too (hz81.3.tiers without 省隐形冠军)
    tiers = dataclasses.replace(
        HZ81.parameters["hz81.3.tiers"],
        periods=(dataclasses.replace(HZ81.parameters["hz81.3.tiers"].periods[0], value=["little_giant"]),),
    )
    fewer = dataclasses.replace(HZ81, parameters={**HZ81.parameters, "hz81.3.tiers": tiers})
    (pair,) = compare(HZ81, fewer).changed
    (cond,) = pair.conditions
    assert cond.id == "tier_rewarded"
    assert cond.details == ("参数取值：little_giant、hidden_champion、srdi_sme → little_giant",)


def test_district_pack_matches_by_overlap_group_then_shared_event():
    diff = compare(HZ81, TESTDISTRICT)
    assert [(p.a.id, p.b.id, p.matched_by) for p in diff.pairs] == [
        ("hz81.3", "testdistrict.1", "overlap"),
        ("hz81.9", "testdistrict.2", "overlap"),  # the shared tech_renovation event beats 第22条
    ]
    renovation = next(p for p in diff.pairs if p.a.id == "hz81.9")
    amounts = {v.role: (v.a_text, v.b_text) for v in renovation.amounts}
    assert amounts["rate_match"] == ("20%", "5%")
    assert amounts["rate_other"] == ("10%", "—") and amounts["switch_param"][1] == "—"
    caps = {v.role: (v.a_text, v.b_text) for v in renovation.caps}
    assert caps == {"cap_match": ("10,000万元", "20万元"), "cap_other": ("5,000万元", "—")}
    conditions = {c.id: c.change for c in renovation.conditions}
    assert conditions == {
        "min_investment": "removed",
        "srdi": "changed",
    }  # the test pack words it differently


def test_title_similarity_is_the_last_resort():
    # without overlap groups or events, 第3条 and 措施（一） still pair by their titles (ratio 0.75 ≥ 0.6)
    bare_a = dataclasses.replace(
        HZ81, measures=tuple(dataclasses.replace(m, overlap=None, events=()) for m in HZ81.measures)
    )
    bare_b = dataclasses.replace(
        HZ25, measures=tuple(dataclasses.replace(m, overlap=None, events=()) for m in HZ25.measures)
    )
    assert [(x.id, y.id, how) for x, y, how in match(bare_a, bare_b)] == [("hz81.3", "hz25.1", "title")]


def test_values_for_people():
    assert display(100_000_000, "fen") == "100万元"
    assert display(Decimal("0.2"), "ratio") == "20%"
    assert display(None, "fen") == "未设定"
    assert display(["little_giant", "srdi_sme"], "list") == "little_giant、srdi_sme"
    assert display(date(2026, 1, 28), "date") == "2026-01-28"
