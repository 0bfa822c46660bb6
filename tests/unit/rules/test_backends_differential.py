"""The scalar and the columnar backend give the same assessment: every column of every row, and the contract.

Both backends are lowered from the same rule expressions (``srdi.domain.rules.expr``); this test runs each
profile through both, forced (``assess(..., backend=…)``, ``forced_backend`` for the contract runner and the
re-assessments of gap planning), and requires identical results, value and type:

- every YAML rule case, with its overrides, purpose and cohort route: the rows, the tier results (traces), the
  gap plans and the six-dimension profile; and the cases without overrides through ``run_assess``;
- profiles drawn by Hypothesis (the gap-planning strategy of ``test_gaps_property``) through ``run_assess`` with
  gaps and profile;
- demo-generator enterprises over several seeds and dates, the rulebook boundaries included (2025-12-31,
  2026-03-31, 2026-04-01), for application and review. ``SRDI_DIFFERENTIAL_ROWS`` (default 5,000) bounds
  their number; ``SRDI_DIFFERENTIAL_ROWS=100000`` runs the full comparison (docs/performance.md).
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.test_gaps_property import build, enterprise

from srdi.demo.generator import generate
from srdi.demo.profiles import to_profiles
from srdi.domain.assessment.contract import run_assess
from srdi.domain.assessment.dimensions import dimension_profiles, dimension_stages
from srdi.domain.assessment.gaps import plan_gaps
from srdi.domain.exchange import parse_profile
from srdi.domain.rules.cases import assessment_cases
from srdi.domain.rules.engine import Assessment, assess, forced_backend, route_groups
from srdi.domain.rules.explain import tier_result
from srdi.domain.tables import Tables, tables_from_profiles

CASES = assessment_cases()
ROWS = int(os.environ.get("SRDI_DIFFERENTIAL_ROWS", "5000"))
CHUNK = 2500
# (as_of, purpose): the boundaries of the rulebooks (2号 from 2026-04-01; year ends) and an ordinary day.
DATES = [
    ("2025-12-31", "application"),
    ("2026-03-31", "application"),
    ("2026-04-01", "application"),
    ("2026-04-01", "review"),
    ("2025-06-30", "application"),
    ("2026-06-30", "review"),
]


def typed(value: Any) -> Any:
    """A value with its type, so that ``True`` differs from ``1`` and ``Decimal('1')`` from ``1``."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def assert_same_rows(columnar: Assessment, scalar: Assessment, label: str) -> int:
    assert columnar.backend == "columnar" and scalar.backend == "scalar"
    expected = columnar.frame.rows(named=True)
    assert scalar.height == len(expected), label
    for i, want in enumerate(expected):
        have = scalar.row(i)
        assert list(have) == list(want), (label, i, set(have) ^ set(want))
        if have != want or any(type(have[k]) is not type(v) for k, v in want.items()):
            diff = {k: (v, have[k]) for k, v in want.items() if typed(v) != typed(have[k])}
            raise AssertionError((label, i, diff))
    return len(expected)


def both(tables: Tables, as_of: date, **kwargs: Any) -> tuple[Assessment, Assessment]:
    return (
        assess(tables, as_of, backend="columnar", **kwargs),
        assess(tables, as_of, backend="scalar", **kwargs),
    )


def contract_both_ways(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    with forced_backend("columnar"):
        columnar = run_assess(document, with_gaps=True, with_profile=True)
    with forced_backend("scalar"):
        scalar = run_assess(document, with_gaps=True, with_profile=True)
    return columnar, scalar


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_yaml_case_is_the_same_on_both_backends(case):
    overrides = {case.subject: case.parameters} if case.parameters else None
    as_of = date.fromisoformat(case.as_of)
    profile = parse_profile(case.profile)
    tables = tables_from_profiles([profile])
    [(routes, _)] = route_groups(tables, as_of, case.purpose)
    columnar, scalar = both(
        tables, as_of, overrides=overrides, purpose=case.purpose, routes=routes, extra=dimension_stages
    )
    assert_same_rows(columnar, scalar, case.id)
    for tier in columnar.compiled:
        assert typed(tier_result(scalar, 0, tier)) == typed(tier_result(columnar, 0, tier)), tier
    assert typed(dimension_profiles(scalar)) == typed(dimension_profiles(columnar))
    with forced_backend("columnar"):
        gaps_columnar = plan_gaps([profile], columnar)
    with forced_backend("scalar"):
        gaps_scalar = plan_gaps([profile], scalar)
    assert typed(gaps_scalar) == typed(gaps_columnar)


def test_yaml_cases_through_the_contract_runner_are_the_same_on_both_backends():
    documents: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for case in CASES:
        if not case.parameters:
            documents.setdefault((case.as_of, case.purpose), []).append(case.profile)
    for (as_of, purpose), profiles in documents.items():
        columnar, scalar = contract_both_ways({"as_of": as_of, "purpose": purpose, "enterprises": profiles})
        assert typed(scalar) == typed(columnar), (as_of, purpose)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(enterprise, min_size=1, max_size=3),
    st.sampled_from([("2025-06-30", 2024, False), ("2026-06-30", 2025, True), ("2026-03-31", 2025, True)]),
)
def test_hypothesis_profiles_are_the_same_on_both_backends(drawn, when):
    today, last_year, with_v11 = when
    profiles = [build(e, i, last_year=last_year, with_v11=with_v11) for i, e in enumerate(drawn)]
    columnar, scalar = contract_both_ways({"as_of": today, "enterprises": profiles})
    assert typed(scalar) == typed(columnar)


def _generated_plan(total: int) -> list[tuple[int, int, str, str]]:
    """(seed, n, as_of, purpose) chunks adding up to ``total`` enterprises, spread over the dates."""
    plan = []
    seed = 0
    while total > 0:
        as_of, purpose = DATES[seed % len(DATES)]
        n = min(CHUNK, total)
        plan.append((1000 + seed, n, as_of, purpose))
        total -= n
        seed += 1
    return plan


def test_generated_enterprises_are_the_same_on_both_backends(monkeypatch):
    # Every chunk is narrowed to 64 bits where its magnitudes allow, as batches above NARROW_ROWS are.
    monkeypatch.setattr("srdi.domain.rules.engine.NARROW_ROWS", 0)
    compared = 0
    for seed, n, day, purpose in _generated_plan(ROWS):
        as_of = date.fromisoformat(day)
        tables = generate(n, seed, as_of_year=as_of.year)
        for routes, eids in route_groups(tables, as_of, purpose):
            group = tables.take(eids)
            columnar, scalar = both(group, as_of, purpose=purpose, routes=routes, extra=dimension_stages)
            compared += assert_same_rows(columnar, scalar, f"seed {seed} {day} {purpose}")
    assert compared == ROWS


@pytest.mark.parametrize("keep", [False, True])
def test_the_scalar_frame_is_the_columnar_frame(keep):
    """``Assessment.frame`` on the scalar path (built from the rows when asked for) has the columnar schema."""
    from srdi.domain.assessment.dimensions import PROFILE_COLUMNS
    from srdi.domain.rules.engine import summary_columns

    as_of = date(2026, 4, 1)
    tables = generate(300, 5, as_of_year=2026)
    kwargs: dict[str, Any] = {"extra": dimension_stages}
    if keep:
        kwargs["keep"] = lambda c: [*summary_columns(c), *PROFILE_COLUMNS]
    columnar, scalar = both(tables, as_of, **kwargs)
    assert scalar.frame.schema == columnar.frame.schema
    assert scalar.frame.equals(columnar.frame)
    assert scalar.summary().equals(columnar.summary())


@pytest.mark.parametrize(("day", "purpose"), DATES[:4])
def test_generated_profiles_through_the_contract_runner_are_the_same(day, purpose):
    as_of = date.fromisoformat(day)
    profiles = to_profiles(generate(12, 77, as_of_year=as_of.year))
    columnar, scalar = contract_both_ways({"as_of": day, "purpose": purpose, "enterprises": profiles})
    assert typed(scalar) == typed(columnar)
    assert any(g for r in columnar["results"] for g in r.get("gaps", [])), "the sample plans some gaps"


@pytest.mark.parametrize(("day", "purpose"), [("2026-04-01", "review"), ("2026-06-30", "review")])
def test_route_groups_of_a_few_rows_match_the_query(day, purpose, monkeypatch):
    """``route_groups`` reads a few certifications in Python and many with a Polars filter: same groups."""
    from srdi.domain.rules import engine

    as_of = date.fromisoformat(day)
    tables = generate(1500, 3, as_of_year=as_of.year)
    assert tables.certifications.height <= engine.UNOPTIMISED_ROWS
    in_python = route_groups(tables, as_of, purpose)
    monkeypatch.setattr(engine, "UNOPTIMISED_ROWS", -1)
    by_query = route_groups(tables, as_of, purpose)
    assert in_python == by_query
    assert len(in_python) > 1, "some enterprises are on a cohort route"
