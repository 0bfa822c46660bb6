"""The six-dimension profile: exact integer arithmetic, half-up rounding, and the seedling progress."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import yaml
from tests.conftest import make_uscc

from srdi.domain.assessment.contract import run_assess
from srdi.domain.rules.cases import deep_merge

BASES = yaml.safe_load(
    resources.files("srdi.rulebooks").joinpath("cases/_bases.yaml").read_text(encoding="utf-8")
)["bases"]


def profile_of(**over) -> dict:
    p = deep_merge(BASES["solid"], {"uscc": make_uscc(), **over})
    result = run_assess({"as_of": "2025-06-30", "enterprises": [p]}, with_gaps=False)["results"][0]
    return result["profile"]


def half_up(x: Decimal, places: str = "0.1") -> Decimal:
    return x.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def test_solid_worked_example():
    prof = profile_of()
    values = {d: v["value"] for d, v in prof["dimensions"].items()}
    assert values == {"zhuan": 100, "jing": 84, "te": 87, "xin": 66, "lian": 100, "pin": 85}
    assert prof["mean"] == 87.0 and prof["grade"] == "A"


def test_te_is_exact_and_rounds_half_up():
    # 40 × 0/15 + 40 × min(0.05125 / 0.10, 1) + 20 × 0 = 20.5 exactly → 21 (half-up; floats give 20)
    prof = profile_of(
        zj_featured_points=0, main_product={"niche_market_share": "0.05125"}, quality={"own_brand": False}
    )
    assert prof["dimensions"]["te"]["value"] == 21


def test_te_thirds_round_to_the_nearest_integer():
    # 40 × 1/15 = 2.67 → 3; share 0 and no brand
    prof = profile_of(
        zj_featured_points=1, main_product={"niche_market_share": "0"}, quality={"own_brand": False}
    )
    assert prof["dimensions"]["te"]["value"] == 3


def test_te_range_when_inputs_are_unknown():
    prof = profile_of(zj_featured_points=None, main_product={"niche_market_share": None})
    te = prof["dimensions"]["te"]
    assert te["value"] is None
    assert te["range"] == [20, 100]


def test_mean_rounds_half_up_to_one_decimal():
    # Four known dimensions (特 and 品 unknown); 新 moves with the R&D staff, so some sums end in .25/.75.
    ties = 0
    for staff in range(0, 41, 2):
        prof = profile_of(
            zj_featured_points=None,
            main_product={"pin_field": None},
            financials={"2024": {"rd_staff": staff}},
            ip={"class1": 0, "class1_self_developed": 0},
        )
        known = [v["value"] for v in prof["dimensions"].values() if v["value"] is not None]
        assert len(known) == 4
        exact = Decimal(sum(known)) / len(known)
        ties += exact * 100 % 10 == 5
        assert Decimal(str(prof["mean"])) == half_up(exact), (known, prof["mean"])
    assert ties


def test_seedling_progress_counts_only_checks_known_to_pass():
    # solid → next tier little_giant: 16 of 17 prerequisite and general checks pass (G1 fails) → 0.941.
    prof = profile_of()
    assert prof["class"]["next_tier"] == "little_giant"
    assert prof["class"]["next_tier_progress"] == 0.941
    assert "seedling" in prof["class"]["cohorts"]
    # An unknown check counts as not passed (not as "undecided, left out").
    unknown = profile_of(info_system_core_business=None)
    assert unknown["class"]["next_tier_progress"] == 0.882


def test_after_2号_the_profile_keeps_the_63号_point_table_as_its_yardstick():
    # The same enterprise one year on (figures moved a year): 2号 has no point table, yet every dimension is
    # still measured, with 63号 附件2 as on its last day; only the growth-based 专 changes with the new figures.
    later = deep_merge(
        BASES["solid"],
        {
            "uscc": make_uscc(),
            "financials": {
                "2025": BASES["solid"]["financials"]["2024"],
                "2024": BASES["solid"]["financials"]["2023"],
            },
        },
    )
    result = run_assess({"as_of": "2026-06-30", "enterprises": [later]}, with_gaps=False)["results"][0]
    assert result["tiers"]["srdi_sme"]["rulebook"]["id"] == "miit26.srdi_sme"
    values = {d: v["value"] for d, v in result["profile"]["dimensions"].items()}
    assert values == {"zhuan": 84, "jing": 84, "te": 87, "xin": 66, "lian": 100, "pin": 85}
    assert result["profile"]["grade"] == "A"
