"""Runs every YAML rule case under rulebooks/cases through ``srdi assess``'s own code path."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from srdi.domain.assessment.contract import run_assess
from srdi.domain.exchange import parse_profile
from srdi.domain.rules.cases import assessment_cases
from srdi.domain.rules.engine import assess, route_groups
from srdi.domain.rules.explain import tier_result
from srdi.domain.tables import tables_from_profiles

CASES = assessment_cases()


def _check_results(result: dict) -> dict[str, str]:
    return {c["id"]: c["result"] for c in result["checks"]}


def _points(result: dict) -> dict[str, int | None]:
    return {c["id"]: c.get("points") for c in result["checks"] if c.get("section") == "score"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case):
    overrides = {case.subject: case.parameters} if case.parameters else None
    as_of = date.fromisoformat(case.as_of)
    profile = parse_profile(case.profile)
    tables = tables_from_profiles([profile])
    [(routes, _)] = route_groups(tables, as_of, case.purpose)
    assessment = assess(tables, as_of, overrides=overrides, purpose=case.purpose, routes=routes)
    result = tier_result(assessment, 0, case.subject)
    expect = case.expect
    if "rulebook" in expect:
        assert result["rulebook"]["id"] == expect["rulebook"], result["rulebook"]
    if "status" in expect:
        assert result["status"] == expect["status"], result["missing"]
    for key in ("score", "route", "score_range"):
        if key in expect:
            assert result.get(key) == expect[key], (key, result.get(key))
    for cid, outcome in (expect.get("checks") or {}).items():
        assert _check_results(result)[cid] == outcome, (cid, [c for c in result["checks"] if c["id"] == cid])
    for ind, pts in (expect.get("points") or {}).items():
        assert _points(result)[ind] == pts, (ind, [c for c in result["checks"] if c["id"] == ind])
    for path in expect.get("missing_includes") or []:
        assert path in result["missing"], result["missing"]
    row = assessment.row(0)
    if "size_class" in expect:
        assert row["size_class"] == expect["size_class"]
    if "sme" in expect:
        assert row["is_sme"] == expect["sme"]


def test_at_least_five_cases_per_rulebook():
    """Every rulebook (and each transition or cohort route that keeps one in force) has its own cases."""
    from srdi.domain.rules.rulebook import load_library

    library = load_library()
    counts: Counter[str] = Counter()
    for case in CASES:
        day = date.fromisoformat(case.as_of)
        rb = library.for_tier(case.subject, day, case.purpose)
        counts[rb.id if rb is not None else "?"] += 1
    assert {rb.id for rb in library.rulebooks} <= set(counts), counts
    assert all(n >= 5 for n in counts.values()), counts


def test_every_case_cites_the_criterion_it_tests():
    assert all(c.tests.strip() for c in CASES)


def test_cases_run_through_the_contract_runner_too():
    by_tier = {}
    for case in CASES:
        if not case.parameters:
            by_tier.setdefault((case.as_of, case.purpose), []).append(case)
    for (as_of, purpose), cases in by_tier.items():
        document = {"as_of": as_of, "purpose": purpose, "enterprises": [c.profile for c in cases]}
        output = run_assess(document, with_gaps=False)
        for case, result in zip(cases, output["results"], strict=True):
            if "status" in case.expect:
                assert result["tiers"][case.subject]["status"] == case.expect["status"], case.name
