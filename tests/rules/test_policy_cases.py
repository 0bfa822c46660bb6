"""Runs every YAML entitlement case of the hz81 pack through ``srdi entitle``'s own code path."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import run_entitle
from srdi.domain.policy.loader import load_packs
from srdi.domain.policy.standing import standing
from srdi.domain.rules.cases import policy_cases
from srdi.domain.tables import tables_from_profiles

CASES = policy_cases("hz81")


def _matches(record: dict, expected: dict) -> bool:
    for key, value in expected.items():
        if key == "missing_includes":
            if not set(value) <= set(record.get("missing", [])):
                return False
        elif record.get(key) != value:
            return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_policy_case(case):
    expect = case.expect
    if "standing" in expect:
        tables = tables_from_profiles([parse_profile(case.profile)])
        records = {r["article"]: r for r in standing(tables, load_packs(), date.fromisoformat(case.as_of))[0]}
        for article, wanted in expect["standing"].items():
            assert _matches(records[int(article)], wanted), records[int(article)]
        return
    output = run_entitle({"parameters": case.parameters, "enterprises": [case.profile]})
    result = output["results"][0]
    assert "error" not in result, result
    if "total_fen" in expect:
        assert result["total_fen"] == expect["total_fen"], [
            (e["event"], e["status"], e["amount_fen"]) for e in result["entitlements"]
        ]
    if "entitlements" in expect:
        got = list(result["entitlements"])
        for wanted in expect["entitlements"]:
            found = [e for e in got if _matches(e, wanted)]
            assert found, (
                wanted,
                [
                    (e["event"], e["article"], e["status"], e["amount_fen"], e.get("superseded_by"))
                    for e in got
                ],
            )
            got.remove(found[0])


def _articles(case) -> set[int]:
    return {int(a) for a in re.findall(r"第(\d+)条", case.tests)}


def test_every_money_measure_has_at_least_three_cases():
    pack = load_packs()[0]
    counts = Counter(a for c in CASES for a in _articles(c))
    for m in pack.measures:
        if m.is_money:
            assert counts[m.article] >= 3, (m.article, counts[m.article])


def test_every_article_1_to_26_is_encoded():
    pack = next(p for p in load_packs() if p.id == "hz81")
    assert sorted(m.article for m in pack.measures) == list(range(1, 27))
    for m in pack.measures:
        assert m.summary and m.who and m.responsible and m.reference.startswith("81号 第")
