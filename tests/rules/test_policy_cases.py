"""Runs every YAML entitlement case of every shipped policy pack through ``srdi entitle``'s own code path.

The packs' case folders are found on disk (``src/srdi/policies/*/cases``), so a new pack's cases run without
being listed here, and a pack without cases fails ``test_every_pack_has_cases``. An expected record without a
``policy`` key is matched against the records of the case's own pack; cases that check another pack (81号 and its
successor on the same recognition) name it. ``none_of`` lists records that must not exist.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from importlib import resources

import pytest

from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import run_entitle
from srdi.domain.policy.hygiene import case_cites
from srdi.domain.policy.loader import load_packs
from srdi.domain.policy.standing import standing
from srdi.domain.rules.cases import RuleCase, policy_cases
from srdi.domain.tables import tables_from_profiles

POLICIES = resources.files("srdi.policies")
CASE_FOLDERS = sorted(
    folder.name
    for folder in POLICIES.iterdir()
    if folder.is_dir() and (folder / "pack.yaml").is_file() and (folder / "cases").is_dir()
)
CASES = [case for name in CASE_FOLDERS for case in policy_cases(name)]
PACK_FOLDERS = sorted(
    folder.name for folder in POLICIES.iterdir() if folder.is_dir() and (folder / "pack.yaml").is_file()
)
# 81号 was encoded with three cases per money measure; packs added since need five.
MIN_CASES = {"hz81": 3}
MIN_CASES_DEFAULT = 5


def _matches(record: dict, expected: dict, pack: str) -> bool:
    if "policy" not in expected and record.get("policy") != pack:
        return False
    for key, value in expected.items():
        if key == "missing_includes":
            if not set(value) <= set(record.get("missing", [])):
                return False
        elif record.get(key) != value:
            return False
    return True


def _brief(records: list[dict]) -> list[tuple]:
    return [
        (e["policy"], e["event"], e["article"], e["status"], e["amount_fen"], e.get("superseded_by"))
        for e in records
    ]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.subject}/{c.id}" for c in CASES])
def test_policy_case(case: RuleCase):
    expect = case.expect
    unknown = set(expect) - {"standing", "total_fen", "entitlements", "none_of"}
    assert not unknown, f"unknown expectation keys {unknown}"
    if "standing" in expect:
        tables = tables_from_profiles([parse_profile(case.profile)])
        records = {
            r["article"]: r
            for r in standing(tables, load_packs(), date.fromisoformat(case.as_of))[0]
            if r["policy"] == case.subject
        }
        for article, wanted in expect["standing"].items():
            assert _matches(records[int(article)], wanted, case.subject), records[int(article)]
        return
    output = run_entitle({"parameters": case.parameters, "enterprises": [case.profile, *case.others]})
    result = output["results"][0]
    assert "error" not in result, result
    if "total_fen" in expect:
        assert result["total_fen"] == expect["total_fen"], _brief(result["entitlements"])
    if "entitlements" in expect:
        got = list(result["entitlements"])
        for wanted in expect["entitlements"]:
            found = [e for e in got if _matches(e, wanted, case.subject)]
            assert found, (wanted, _brief(got))
            got.remove(found[0])
    for unwanted in expect.get("none_of", []):
        found = [e for e in result["entitlements"] if _matches(e, unwanted, case.subject)]
        assert not found, (unwanted, _brief(found))


def test_every_pack_has_cases():
    assert PACK_FOLDERS == CASE_FOLDERS
    counts = Counter(c.subject for c in CASES)
    for name in PACK_FOLDERS:
        assert counts[name] > 0, name
    # each file names the pack of its folder
    for name in CASE_FOLDERS:
        assert {c.subject for c in policy_cases(name)} == {name}


def _cites(case: RuleCase, m) -> bool:
    """Whether a case says it tests measure ``m`` (the rule the hygiene check uses too)."""
    return case_cites(case.tests, m)


@pytest.mark.parametrize("pack", load_packs(), ids=lambda p: p.id)
def test_every_money_measure_has_enough_cases(pack):
    cases = [c for c in CASES if c.subject == pack.id]
    needed = MIN_CASES.get(pack.id, MIN_CASES_DEFAULT)
    for m in pack.measures:
        if m.is_money:
            count = sum(1 for c in cases if _cites(c, m))
            assert count >= needed, (m.id, count)


def test_every_article_1_to_26_is_encoded():
    pack = next(p for p in load_packs() if p.id == "hz81")
    assert sorted(m.article for m in pack.measures) == list(range(1, 27))
    for m in pack.measures:
        assert m.summary and m.who and m.responsible and m.reference.startswith("81号 第")


def test_hz25_encodes_only_what_was_read():
    pack = next(p for p in load_packs() if p.id == "hz25")
    assert [m.reference for m in pack.measures] == ["若干措施（一）", "若干措施（二）"]
    assert pack.window_from is None and pack.window_to is None
    assert pack.window_params == ("hz25.window.from", "hz25.window.to")
    assert not pack.document_known and not pack.cost_sharing
    assert {u.item for u in pack.unknown} >= {"文号", "施行日期与有效期", "措施（三）及以后的全部措施"}
