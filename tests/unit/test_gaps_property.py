"""Gaps are actionable: applying a feasible plan's changes (or a nearest direct route's) to the profile makes
the tier eligible, and every planned profile is consistent (Ⅰ类 total ≥ each of its subsets)."""

from __future__ import annotations

import copy
from importlib import resources

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_uscc

from srdi.domain.assessment.contract import run_assess
from srdi.domain.rules.cases import deep_merge

BASES = yaml.safe_load(
    resources.files("srdi.rulebooks").joinpath("cases/_bases.yaml").read_text(encoding="utf-8")
)["bases"]

WAN = 1_000_000


def apply(profile: dict, changes: list[dict]) -> dict:
    """An independent applier (the test does not reuse the planner's own)."""
    out = copy.deepcopy(profile)
    for c in changes:
        if c["op"] == "append":
            out.setdefault(c["field"], []).append(c["to"])
            continue
        *path, leaf = c["field"].split(".")
        node = out
        for key in path:
            node = node.setdefault(key, {})
        node[leaf] = c["to"]
    return out


def ip_consistent(profile: dict) -> bool:
    """Ⅰ类 counts: the total is at least each subset (high-value, self-developed, invention patents)."""
    ip = profile.get("ip") or {}
    total = ip.get("class1")
    subsets = ("class1_high_value", "class1_self_developed", "invention_patents")
    return total is None or all(ip.get(k) is None or ip[k] <= total for k in subsets)


enterprise = st.fixed_dictionaries(
    {
        "base": st.sampled_from(["solid", "champion"]),
        "revenue": st.integers(min_value=300, max_value=60_000),
        "main_share": st.integers(min_value=40, max_value=100),
        "rd_pct10": st.integers(min_value=0, max_value=120),
        "rd_prev_pct10": st.integers(min_value=0, max_value=120),
        "debt_pct": st.integers(min_value=10, max_value=90),
        "margin_pct": st.integers(min_value=-10, max_value=25),
        "growth_pct": st.integers(min_value=-20, max_value=40),
        "ip1": st.integers(min_value=0, max_value=4),
        "ip_self": st.integers(min_value=0, max_value=2),
        "ip_hv": st.integers(min_value=0, max_value=1),
        "featured": st.integers(min_value=0, max_value=15),
        "rd_level": st.sampled_from(["none", "below_municipal", "municipal", "provincial"]),
        "niche_since": st.integers(min_value=2005, max_value=2023),
        "share_pct": st.integers(min_value=1, max_value=30),
        "chain": st.sampled_from(["none", "six_foundations_or_chain_supplier", "key_link_breakthrough"]),
        "brand": st.booleans(),
    }
)


def build(e: dict, n: int) -> dict:
    rev = e["revenue"] * WAN
    prev_rev = rev * 100 // (100 + e["growth_pct"])
    main = rev * e["main_share"] // 100
    prev_main = prev_rev * e["main_share"] // 100
    assets = rev
    over = {
        "uscc": make_uscc(n=50_000 + n),
        "niche_since_year": e["niche_since"],
        "financials": {
            "2024": {
                "operating_revenue_fen": rev,
                "main_business_revenue_fen": main,
                "rd_expense_fen": rev * e["rd_pct10"] // 1000,
                "net_profit_fen": rev * e["margin_pct"] // 100,
                "total_assets_fen": assets,
                "total_liabilities_fen": assets * e["debt_pct"] // 100,
            },
            "2023": {
                "operating_revenue_fen": prev_rev,
                "main_business_revenue_fen": prev_main,
                "rd_expense_fen": prev_rev * e["rd_prev_pct10"] // 1000,
            },
            "2022": {
                "operating_revenue_fen": prev_rev * 9 // 10,
                "main_business_revenue_fen": prev_main * 9 // 10,
            },
        },
        "ip": {
            "class1": e["ip1"],
            "class1_self_developed": min(e["ip_self"], e["ip1"]),
            "class1_high_value": min(e.get("ip_hv", 0), e["ip1"]),
            "invention_patents": min(BASES[e["base"]]["ip"]["invention_patents"], e["ip1"]),
        },
        "zj_featured_points": e["featured"],
        "rd_institution_level": e["rd_level"],
        "main_product": {"niche_market_share": f"0.{e['share_pct']:02d}", "chain_role": e["chain"]},
        "quality": {"own_brand": e["brand"]},
    }
    return deep_merge(BASES[e["base"]], over)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(enterprise, min_size=6, max_size=12))
def test_applying_a_feasible_plan_makes_the_tier_eligible(batch):
    profiles = [build(e, i) for i, e in enumerate(batch)]
    output = run_assess({"as_of": "2025-06-30", "enterprises": profiles}, with_profile=False)
    plans = []
    for profile, result in zip(profiles, output["results"], strict=True):
        for gap in result["gaps"]:
            if gap["status"] != "ineligible":
                continue
            assert ip_consistent(profile)
            if gap.get("changes"):
                assert ip_consistent(apply(profile, gap["changes"])), gap["changes"]
            if gap.get("feasible"):
                plans.append((gap["tier"], apply(profile, gap["changes"])))
            nearest = gap.get("nearest_direct")
            if nearest:
                planned = apply(profile, nearest["changes"])
                assert ip_consistent(planned), nearest["changes"]
                if not nearest.get("missing"):
                    plans.append((gap["tier"], planned))
    if not plans:
        return
    check = run_assess(
        {"as_of": "2025-06-30", "enterprises": [p for _, p in plans]}, with_gaps=False, with_profile=False
    )
    for (tier, _), result in zip(plans, check["results"], strict=True):
        assert result["tiers"][tier]["status"] == "eligible", (tier, result["tiers"][tier]["missing"])


def test_most_ineligible_tiers_get_a_feasible_plan():
    import random

    rng = random.Random(7)
    profiles = []
    for i in range(40):
        e = {
            k: (rng.choice(v) if isinstance(v, list) else rng.randint(*v))
            for k, v in {
                "base": ["solid", "champion"],
                "revenue": (300, 60000),
                "main_share": (40, 100),
                "rd_pct10": (0, 120),
                "rd_prev_pct10": (0, 120),
                "debt_pct": (10, 90),
                "margin_pct": (-10, 25),
                "growth_pct": (-20, 40),
                "ip1": (0, 4),
                "ip_self": (0, 2),
                "featured": (0, 15),
                "rd_level": ["none", "below_municipal", "municipal", "provincial"],
                "niche_since": (2005, 2023),
                "share_pct": (1, 30),
                "chain": ["none", "six_foundations_or_chain_supplier", "key_link_breakthrough"],
                "brand": [True, False],
            }.items()
        }
        profiles.append(build(e, 1000 + i))
    output = run_assess({"as_of": "2025-06-30", "enterprises": profiles}, with_profile=False)
    gaps = [g for r in output["results"] for g in r["gaps"] if g["status"] == "ineligible"]
    feasible = [g for g in gaps if g.get("feasible")]
    assert gaps
    assert len(feasible) / len(gaps) >= 0.8, [g.get("reason") for g in gaps if not g.get("feasible")][:10]
