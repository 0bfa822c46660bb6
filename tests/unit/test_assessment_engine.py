"""The assessment engine: exact boundaries, three-valued logic, and the contract's output shape."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import make_uscc

from srdi.domain.assessment.contract import DocumentError, run_assess
from srdi.domain.exchange import parse_profile
from srdi.domain.rules.engine import assess
from srdi.domain.rules.explain import tier_result
from srdi.domain.tables import tables_from_profiles

AS_OF = date(2025, 6, 30)


def _rd_points(pairs: list[tuple[int, int]]) -> list[int]:
    profiles = [
        parse_profile(
            {
                "uscc": make_uscc(n=10_000 + i),
                "financials": {"2024": {"rd_expense_fen": rd, "operating_revenue_fen": rev}},
            }
        )
        for i, (rd, rev) in enumerate(pairs)
    ]
    frame = assess(tables_from_profiles(profiles), AS_OF, tiers=("innovative_sme",)).frame
    return frame.get_column("innovative_sme|rd_intensity|lo").to_list()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=10**12))
def test_a_ratio_exactly_on_a_boundary_lands_in_the_upper_band(k):
    # rd / revenue == 3/100 exactly, with revenue up to 1e14 fen (10亿元 ×100): float division would wobble.
    rev = 100 * k + 0
    assert _rd_points([(3 * k, rev), (3 * k - 1, rev), (5 * k, rev), (5 * k - 1, rev)]) == [15, 10, 20, 15]


def test_big_money_values_do_not_overflow():
    rev = 9_000_000_000_000_000  # 9×10^15 fen
    assert _rd_points([(rev // 100 * 3, rev)]) == [15]


def test_missing_input_gives_needs_data_and_names_it():
    output = run_assess({"as_of": "2025-06-30", "enterprises": [{"uscc": make_uscc()}]}, with_gaps=True)
    result = output["results"][0]
    for tier, r in result["tiers"].items():
        assert r["status"] == "needs_data", tier
        assert r["missing"], tier
    assert result["tiers"]["innovative_sme"]["score"] is None
    assert "financials.2024.rd_expense_fen" in result["tiers"]["srdi_sme"]["missing"]
    assert all(g["status"] == "needs_data" and g["missing"] for g in result["gaps"])


def test_failed_condition_decides_even_when_other_inputs_are_missing():
    profile = parse_profile({"uscc": make_uscc(), "compliance": {"major_accident_3y": True}})
    a = assess(tables_from_profiles([profile]), AS_OF)
    for tier in ("innovative_sme", "srdi_sme", "little_giant", "hidden_champion"):
        assert tier_result(a, 0, tier)["status"] == "ineligible", tier


def test_contract_output_shape():
    output = run_assess({"as_of": "2025-06-30", "enterprises": [{"uscc": make_uscc(), "name": "甲"}]})
    result = output["results"][0]
    assert set(result) >= {"uscc", "size_class", "sme", "tiers", "gaps"}
    assert set(result["tiers"]) == {"innovative_sme", "srdi_sme", "little_giant", "hidden_champion"}
    for r in result["tiers"].values():
        assert set(r) >= {"status", "score", "route", "checks"}
        assert r["status"] in {"eligible", "ineligible", "needs_data"}
        for check in r["checks"]:
            assert {"id", "label", "reference", "result"} <= set(check)


def test_malformed_record_is_an_error_entry_and_the_rest_are_assessed():
    output = run_assess(
        {
            "as_of": "2025-06-30",
            "enterprises": [{"uscc": make_uscc(), "foo": 1}, "not a record", {"uscc": make_uscc()}],
        }
    )
    first, second, third = output["results"]
    assert "未知字段" in first["error"] and first["uscc"]
    assert "error" in second
    assert third["tiers"]["innovative_sme"]["status"] == "needs_data"


def test_malformed_documents_raise():
    for doc in (
        [],
        {"as_of": "2025-06-30"},
        {"as_of": "30/06/2025", "enterprises": []},
        {"as_of": "2025-06-30", "enterprises": [], "extra": 1},
    ):
        try:
            run_assess(doc)
        except DocumentError:
            continue
        raise AssertionError(f"accepted {doc!r}")


def test_a_date_before_every_rulebook_is_a_document_error():
    with pytest.raises(DocumentError, match="2022-01-31"):
        run_assess({"as_of": "2022-01-31", "enterprises": [{"uscc": make_uscc()}]})


def test_2026_dates_are_judged_by_the_2026_rulebooks_and_say_so():
    out = run_assess({"as_of": "2026-06-30", "enterprises": [{"uscc": make_uscc()}]})
    rulebooks = {tier: r["rulebook"]["id"] for tier, r in out["results"][0]["tiers"].items()}
    assert rulebooks["srdi_sme"] == "miit26.srdi_sme"
    assert rulebooks["little_giant"] == "miit26.little_giant"
    assert rulebooks["innovative_sme"] == "miit63.innovative_sme"  # 2号 第三十条: 63号 附件1 still applies


# ---- trace display: years, derived inputs ---------------------------------------------------------------


def _solid(**over):
    from importlib import resources

    import yaml

    from srdi.domain.rules.cases import deep_merge

    bases = yaml.safe_load(
        resources.files("srdi.rulebooks").joinpath("cases/_bases.yaml").read_text(encoding="utf-8")
    )["bases"]
    return deep_merge(bases[over.pop("base", "solid")], {"uscc": make_uscc(), **over})


def _check(result: dict, tier: str, cid: str) -> dict:
    return next(c for c in result["tiers"][tier]["checks"] if c["id"] == cid)


def test_whole_years_display_without_exponent():
    from decimal import Decimal

    from srdi.domain.rules.explain import display

    assert display(Decimal(10), "years") == "10年"
    assert display(Decimal(100), "years") == "100年"
    assert display(Decimal("2.5"), "years") == "2.5年"
    output = run_assess({"as_of": "2025-06-30", "enterprises": [_solid()]}, with_gaps=False)
    b1 = _check(output["results"][0], "srdi_sme", "B1")
    assert "10年" in b1["explanation"] and "E+" not in b1["explanation"], b1["explanation"]
    assert b1["detail"]["display"] == "10年"


def test_derived_years_show_the_input_and_the_derived_value_under_their_own_names():
    output = run_assess({"as_of": "2025-06-30", "enterprises": [_solid(base="champion")]}, with_gaps=False)
    result = output["results"][0]
    b1 = _check(result, "srdi_sme", "B1")
    assert b1["inputs"] == {"niche_since_year": 2010, "years_in_niche": 15}
    operating = _check(result, "hidden_champion", "operating_years")
    assert operating["inputs"] == {"founded_on": "2010-01-01", "years_operating": 15}
    niche_points = _check(result, "srdi_sme", "niche_years")
    assert niche_points["inputs"] == {"niche_since_year": 2010, "years_in_niche": 15}


def test_unknown_niche_year_is_missing_under_its_input_name_only():
    output = run_assess(
        {"as_of": "2025-06-30", "enterprises": [_solid(niche_since_year=None)]}, with_gaps=False
    )
    srdi = output["results"][0]["tiers"]["srdi_sme"]
    assert srdi["status"] == "needs_data"
    assert "niche_since_year" in srdi["missing"]
    assert "years_in_niche" not in srdi["missing"]
    assert _check(output["results"][0], "srdi_sme", "B1")["inputs"] == {
        "niche_since_year": None,
        "years_in_niche": None,
    }


def test_b3_small_revenue_branch_is_strictly_below_the_threshold():
    """63号 附件2 一（三）: 1000万元以上 (≥) or 不足1000万元 (<) with equity; exactly 1000万 is the first branch."""
    output = run_assess({"as_of": "2025-06-30", "enterprises": [_solid()]}, with_gaps=False)
    b3 = _check(output["results"][0], "srdi_sme", "B3")
    first, second = b3["detail"]["parts"]
    assert first["op"] == "ge"
    assert second["parts"][0]["op"] == "lt"


def test_two_rows_for_one_enterprise_and_year_are_refused_by_name() -> None:
    import polars as pl

    from srdi.domain.rules.facts import DuplicateYears

    profile = parse_profile(
        {"uscc": make_uscc(n=20_001), "financials": {"2024": {"operating_revenue_fen": 100_000_000}}}
    )
    tables = tables_from_profiles([profile])
    doubled = tables.__class__(
        **{name: getattr(tables, name) for name in tables.__dataclass_fields__}
        | {"years": pl.concat([tables.years, tables.years])}
    )
    with pytest.raises(DuplicateYears, match="同一企业同一年度有多行财务数据"):
        assess(doubled, AS_OF)
