"""Gaps are actionable: applying a feasible plan's changes (or a nearest direct route's) to the profile makes
the tier eligible, and every planned profile is consistent (Ⅰ类 total ≥ each of its subsets)."""

from __future__ import annotations

import copy
from decimal import Decimal
from importlib import resources

import pytest
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


def build(e: dict, n: int, last_year: int = 2024, with_v11: bool = False) -> dict:
    """A profile whose last full year is ``last_year``; ``with_v11`` adds the 2号 inputs (platform scores,
    IP items) so that 2026 dates can be judged rather than left needing data."""
    rev = e["revenue"] * WAN
    prev_rev = rev * 100 // (100 + e["growth_pct"])
    main = rev * e["main_share"] // 100
    prev_main = prev_rev * e["main_share"] // 100
    assets = rev
    y = last_year
    over = {
        "uscc": make_uscc(n=50_000 + n),
        "niche_since_year": e["niche_since"],
        "financials": {
            str(y): {
                "operating_revenue_fen": rev,
                "main_business_revenue_fen": main,
                "rd_expense_fen": rev * e["rd_pct10"] // 1000,
                "net_profit_fen": rev * e["margin_pct"] // 100,
                "total_assets_fen": assets,
                "total_liabilities_fen": assets * e["debt_pct"] // 100,
            },
            str(y - 1): {
                "operating_revenue_fen": prev_rev,
                "main_business_revenue_fen": prev_main,
                "rd_expense_fen": prev_rev * e["rd_prev_pct10"] // 1000,
            },
            str(y - 2): {
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
    base = copy.deepcopy(BASES[e["base"]])
    base["financials"] = {}
    profile = deep_merge(base, over)
    if with_v11:
        score = 40 + e["featured"] * 3
        profile["platform_scores"] = {str(y + 1): score, str(y): score - 2}
        profile["ip_items"] = [
            {
                "kind": "invention_patent",
                "granted_on": "2020-03-01",
                "expires_on": "2040-02-28",
                "transferred_in": False,
                "holder_rank": 1,
                "applied_with_benefit": True,
            }
            for _ in range(e["ip1"])
        ]
        profile["main_product"] = {
            **profile["main_product"],
            "revenue_share": "0.8",
            "key_chain_field": "none",
        }
        profile["group_has_little_giant"] = False
    return profile


def project(profile: dict, on: str, today: str) -> dict:
    """An independent projection: the years after the last full one repeat it (the plan's assumption)."""
    out = copy.deepcopy(profile)
    last, until = int(today[:4]) - 1, int(on[:4]) - 1
    for y in range(last + 1, until + 1):
        out["financials"].setdefault(str(y), copy.deepcopy(out["financials"][str(last)]))
    scores = out.get("platform_scores")
    if scores and today[:4] in scores:
        for y in range(int(today[:4]) + 1, int(on[:4]) + 1):
            scores.setdefault(str(y), scores[today[:4]])
    return out


def verified_plans(profiles: list[dict], output: dict, today: str) -> list[tuple[str, str, dict]]:
    """(tier, date, planned profile) for each feasible plan and nearest direct route, for re-assessment."""
    plans = []
    for profile, result in zip(profiles, output["results"], strict=True):
        for gap in result["gaps"]:
            if gap["status"] != "ineligible" or not gap.get("assess_on"):
                continue
            on = gap["assess_on"]
            base = project(profile, on, today)
            assert ip_consistent(profile)
            if gap.get("changes"):
                assert ip_consistent(apply(base, gap["changes"])), (
                    gap["tier"],
                    on,
                    apply(base, gap["changes"])["ip"],
                    [(c["field"], c["to"]) for c in gap["changes"]],
                    profile["ip"],
                )
            if gap.get("feasible"):
                plans.append((gap["tier"], on, apply(base, gap["changes"])))
            nearest = gap.get("nearest_direct")
            if nearest:
                planned = apply(base, nearest["changes"])
                assert ip_consistent(planned), nearest["changes"]
                if not nearest.get("missing"):
                    plans.append((gap["tier"], on, planned))
    return plans


def assert_eligible(plans: list[tuple[str, str, dict]]) -> None:
    for on in sorted({d for _, d, _ in plans}):
        batch = [(t, p) for t, d, p in plans if d == on]
        check = run_assess(
            {"as_of": on, "enterprises": [p for _, p in batch]}, with_gaps=False, with_profile=False
        )
        for (tier, _), result in zip(batch, check["results"], strict=True):
            assert result["tiers"][tier]["status"] == "eligible", (on, tier, result["tiers"][tier]["missing"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(enterprise, min_size=6, max_size=12))
def test_applying_a_feasible_plan_makes_the_tier_eligible(batch):
    profiles = [build(e, i) for i, e in enumerate(batch)]
    output = run_assess({"as_of": "2025-06-30", "enterprises": profiles}, with_profile=False)
    plans = verified_plans(profiles, output, "2025-06-30")
    if plans:
        assert_eligible(plans)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(enterprise, min_size=4, max_size=8))
def test_2026_plans_verify_on_their_own_date(batch):
    profiles = [build(e, i, last_year=2025, with_v11=True) for i, e in enumerate(batch)]
    output = run_assess({"as_of": "2026-06-30", "enterprises": profiles}, with_profile=False)
    plans = verified_plans(profiles, output, "2026-06-30")
    if plans:
        assert_eligible(plans)


DATED_FIELDS = {"date", "granted_on", "recognized_on", "valid_from"}
IDENTITY = {
    "uscc",
    "name",
    "founded_on",
    "niche_since_year",
    "registered_in_zhejiang",
    "industry_code",
    "district",
    "compliance.major_accident_3y",
    "group_has_little_giant",
    "sanctions",
    "data_updates",
}


def same(a, b) -> bool:
    """Equal as values: the exchange format writes decimals as strings (\"40\" is 40)."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except ArithmeticError:
        return a == b


def _at(profile: dict, path: str):
    node = profile
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(enterprise, min_size=3, max_size=6), st.sampled_from(["2025-06-30", "2026-06-30", "2026-03-31"])
)
def test_no_plan_changes_the_past_or_the_identity_of_an_enterprise(batch, today):
    """Only levers an enterprise can still move: never identity, never a year already over, never a computed
    score; lists only grow. A figure a change starts from is the profile's own, or its projection."""
    year = int(today[:4])
    profiles = [build(e, i, last_year=year - 1, with_v11=year >= 2026) for i, e in enumerate(batch)]
    output = run_assess({"as_of": today, "enterprises": profiles}, with_profile=False)
    for profile, result in zip(profiles, output["results"], strict=True):
        for gap in result["gaps"]:
            plans = [gap, *([gap["nearest_direct"]] if gap.get("nearest_direct") else [])]
            for plan in plans:
                for change in plan.get("changes") or []:
                    field = change["field"]
                    assert field not in IDENTITY, change
                    parts = field.split(".")
                    if parts[0] == "financials":
                        assert int(parts[1]) >= year, change  # the current year or later
                    if parts[0] == "platform_scores":
                        assert int(parts[1]) > year, change
                    if isinstance(_at(profile, field), list):
                        assert change["op"] == "append", change
                    if change["op"] == "append":  # a new item is obtained from today on, never backdated
                        dates = [v for k, v in change["to"].items() if k in DATED_FIELDS]
                        assert all(d >= today for d in dates), change
                projected = project(profile, gap.get("assess_on") or today, today)
                for item in plan.get("items") or []:
                    if item.get("basis") == "after_earlier_steps":
                        continue
                    for change in item["changes"]:
                        if change["op"] != "set":
                            continue
                        own = _at(projected, change["field"])
                        assert same(change["from"], own) or (own is None and change["from"] in (None, 0)), (
                            item,
                            own,
                        )


def _random_profiles(seed: int, count: int, last_year: int, with_v11: bool) -> list[dict]:
    import random

    rng = random.Random(seed)
    ranges = {
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
    }
    out = []
    for i in range(count):
        e = {k: (rng.choice(v) if isinstance(v, list) else rng.randint(*v)) for k, v in ranges.items()}
        out.append(build(e, 1000 + i, last_year=last_year, with_v11=with_v11))
    return out


@pytest.mark.parametrize(
    ("today", "last_year", "with_v11", "share"),
    [
        # 2025: what today's figures cannot reach is planned under 2号 from 2026, which needs data these
        # profiles do not have: such plans verify "short only of that data" (feasible None) and count here.
        ("2025-06-30", 2024, False, 0.8),
        ("2026-06-30", 2025, True, 0.8),
    ],
)
def test_most_ineligible_tiers_get_an_actionable_plan(today, last_year, with_v11, share):
    profiles = _random_profiles(7, 40, last_year, with_v11)
    output = run_assess({"as_of": today, "enterprises": profiles}, with_profile=False)
    gaps = [g for r in output["results"] for g in r["gaps"] if g["status"] == "ineligible"]
    actionable = [g for g in gaps if g.get("feasible") is not False]
    assert gaps
    assert len(actionable) / len(gaps) >= share, [
        g.get("reason") for g in gaps if g.get("feasible") is False
    ][:10]


def test_review_plans_never_wait_past_the_review():
    profiles = _random_profiles(11, 12, 2025, True)
    output = run_assess(
        {"as_of": "2026-06-30", "purpose": "review", "enterprises": profiles}, with_profile=False
    )
    planned = [g for r in output["results"] for g in r["gaps"] if g.get("assess_on")]
    assert planned
    assert all(g["assess_on"] == "2026-06-30" and g["wait_years"] == 0 for g in planned)
