"""The shortcuts gap planning takes must give exactly what the long way gives: changed profiles validated only
where they changed (``parse_changed_profile``) against full validation, a changed profile's missing data
without its trace (``tier_missing``) against ``tier_result``, and the rows read from nested models with
``vars`` (``rows_from_profiles``) against ``model_dump``."""

from __future__ import annotations

from datetime import date

import pytest
from tests.conftest import make_uscc

from srdi.demo.generator import generate, to_profiles
from srdi.domain.assessment import gaps
from srdi.domain.assessment.contract import run_assess
from srdi.domain.exchange import Profile, RecordError, parse_changed_profile, parse_profile
from srdi.domain.money import MAX_FEN
from srdi.domain.rules.cases import assessment_cases
from srdi.domain.rules.engine import assess, forced_backend, route_groups
from srdi.domain.rules.explain import tier_missing, tier_result
from srdi.domain.tables import rows_from_profiles

CASES = [c for c in assessment_cases() if not c.parameters]


def _same(fast: Profile, full: Profile) -> None:
    assert fast == full
    # == compares values: the dumps also catch a value of another type that compares equal (1 == Decimal(1)).
    assert fast.model_dump() == full.model_dump()
    assert [type(v) for v in fast.__dict__.values()] == [type(v) for v in full.__dict__.values()]


def test_every_candidate_of_the_rule_cases_equals_its_full_validation(monkeypatch):
    """Every projected and changed profile gap planning builds for the YAML cases (and generated profiles,
    which carry events, titles and longer lists) is the one ``parse_profile`` builds from the same record."""
    built = []
    original = gaps._Source.changed

    def checked(self, record):
        fast = original(self, record)
        _same(fast, parse_profile(record))
        built.append(record)
        return fast

    monkeypatch.setattr(gaps._Source, "changed", checked)
    generated = to_profiles(generate(16, 5, as_of_year=2025))
    with forced_backend("scalar"):
        for case in CASES:
            run_assess({"as_of": case.as_of, "purpose": case.purpose, "enterprises": [case.profile]})
        for day in ("2025-06-30", "2026-06-30"):
            run_assess({"as_of": day, "enterprises": generated})
    assert len(built) > 500


def _solid() -> tuple[Profile, dict]:
    record = {
        "uscc": make_uscc(),
        "founded_on": "2015-03-01",
        "financials": {
            "2024": {"operating_revenue_fen": 50_000_000_00, "rd_expense_fen": 2_000_000_00},
            "2025": {"operating_revenue_fen": 60_000_000_00, "rd_expense_fen": 2_500_000_00},
        },
        "platform_scores": {"2025": "71.5"},
        "certifications": [{"tier": "innovative_sme", "recognized_on": "2024-05-01"}],
        "ip": {"class1": 2},
    }
    profile = parse_profile(record)
    return profile, profile.model_dump(mode="json", exclude_none=True)


def _changed(record: dict, changes: list[gaps.Change]) -> dict:
    return gaps.apply_changes(record, changes)


@pytest.mark.parametrize(
    "changes",
    [
        [gaps.Change("financials.2025.rd_expense_fen", None, 3_000_000_00)],
        [gaps.Change("financials.2026.rd_expense_fen", None, 1)],
        [gaps.Change("platform_scores.2026", None, "80.25")],
        [gaps.Change("ip.class1", 2, 5), gaps.Change("digital_level", None, 3)],
        [
            gaps.Change(
                "certifications", None, {"tier": "tech_sme", "recognized_on": "2025-06-30"}, op="append"
            )
        ],
        [gaps.Change("awards", None, {"level": "provincial", "kind": "sci_tech", "rank": 1}, op="append")],
        [],
    ],
)
def test_a_valid_change_gives_the_profile_full_validation_gives(changes):
    profile, record = _solid()
    changed = _changed(record, changes)
    _same(parse_changed_profile(profile, record, changed), parse_profile(changed))


@pytest.mark.parametrize(
    "changes",
    [
        [gaps.Change("financials.2025.rd_expense_fen", None, MAX_FEN + 1)],
        [gaps.Change("financials.2025.rd_expense_fen", None, -5)],
        [gaps.Change("platform_scores.2026", None, "100.5")],
        [gaps.Change("digital_level", None, 5)],
        [gaps.Change("main_product.niche_market_share", None, "1.2")],
        [gaps.Change("certifications", None, {"tier": "gold"}, op="append")],
        [gaps.Change("ip.class1", 2, 1), gaps.Change("main_product.national_rank", None, 0)],
    ],
)
def test_an_invalid_change_is_refused_with_full_validations_errors(changes):
    profile, record = _solid()
    changed = _changed(record, changes)
    with pytest.raises(RecordError) as full:
        parse_profile(changed)
    with pytest.raises(RecordError) as fast:
        parse_changed_profile(profile, record, changed)
    assert fast.value.messages == full.value.messages


def test_a_record_that_lost_a_field_or_gained_an_unknown_one_is_validated_in_full():
    profile, record = _solid()
    lost = {k: v for k, v in record.items() if k != "ip"}
    _same(parse_changed_profile(profile, record, lost), parse_profile(lost))
    with pytest.raises(RecordError, match="未知字段"):
        parse_changed_profile(profile, record, {**record, "colour": "blue"})


def test_the_validators_parse_changed_profile_relies_on_are_the_ones_it_knows():
    """``parse_changed_profile`` validates changed fields alone and re-runs the model validator with the
    identifier only: a new model validator, or a field validator across years or list items, must be
    checked against it (and this list updated)."""
    decorators = Profile.__pydantic_decorators__
    assert set(decorators.model_validators) == {"_uscc_checked"}
    assert {name: d.info.fields for name, d in decorators.field_validators.items()} == {
        "_uscc_text": ("uscc",),
        "_district": ("district",),
        "_industry": ("industry_code",),
        "_years": ("financials", "platform_scores"),
    }


def _assessments():
    for case in assessment_cases():
        yield [parse_profile(case.profile)], date.fromisoformat(case.as_of), case.purpose
    generated = [parse_profile(p) for p in to_profiles(generate(60, 3, as_of_year=2025))]
    for day in ("2025-06-30", "2026-03-31"):
        for purpose in ("application", "review"):
            yield generated, date.fromisoformat(day), purpose


def test_tier_missing_is_the_missing_list_of_tier_result():
    asked = 0
    for profiles, as_of, purpose in _assessments():
        for routes, eids in route_groups(rows_from_profiles(profiles), as_of, purpose):
            a = assess(rows_from_profiles([profiles[e] for e in eids]), as_of, purpose=purpose, routes=routes)
            for i in range(len(eids)):
                row = a.row(i)
                for tier in a.compiled:
                    expected = tier_result(a, i, tier, row)["missing"]
                    assert tier_missing(a, tier, row) == expected, (tier, i)
                    asked += bool(expected)
    assert asked > 100


def test_the_nested_models_rows_are_read_from_are_flat():
    """``rows_from_profiles`` reads list items and yearly figures with ``vars``: as ``model_dump()`` only while
    no field holds a model."""
    records = [c.profile for c in assessment_cases()] + to_profiles(generate(60, 3, as_of_year=2025))
    seen = set()
    for record in records:
        profile = parse_profile(record)
        items = [*(profile.financials or {}).values()]
        for name in (
            "titles",
            "awards",
            "contests",
            "equity_financing",
            "events",
            "ip_items",
            "data_updates",
        ):
            items += getattr(profile, name) or []
        items += profile.sanctions or []
        for item in items:
            assert vars(item) == item.model_dump()
            seen.add(type(item).__name__)
    kinds = {"Financials", "Title", "Award", "Contest", "EquityFinancing", "IpItem", "DataUpdate", "Sanction"}
    assert kinds | {"TechRenovationEvent"} <= seen
