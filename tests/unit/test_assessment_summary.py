"""The lean result (``detail=summary``) equals the full result trimmed, for every rule case and generated
profiles, with and without gaps: ``tier_verdict`` reads the same columns the trace reads."""

from __future__ import annotations

import pytest

from srdi.demo.generator import generate, to_profiles
from srdi.domain.assessment.contract import run_assess
from srdi.domain.assessment.summary import summarised_output
from srdi.domain.rules.cases import assessment_cases

CASES = [c for c in assessment_cases() if not c.parameters]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_summary_of_each_rule_case_is_the_full_result_trimmed(case):
    document = {"as_of": case.as_of, "purpose": case.purpose, "enterprises": [case.profile]}
    full = run_assess(document, with_gaps=False)
    lean = run_assess(document, with_gaps=False, summary=True)
    assert lean == summarised_output(full)
    assert "profile" not in lean["results"][0]


@pytest.mark.parametrize("as_of", ["2025-12-31", "2026-06-30"])
def test_summary_with_gaps_of_generated_profiles(as_of):
    records = [*to_profiles(generate(12, 5)), {"uscc": "bad"}]
    document = {"as_of": as_of, "enterprises": records}
    assert run_assess(document, summary=True) == summarised_output(run_assess(document))
