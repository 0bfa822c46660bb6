"""Gap plans: consistent IP counts, the easier change first, failing criteria before unknown ones, and a
verified nearest direct route."""

from __future__ import annotations

import copy
from importlib import resources

import yaml
from tests.conftest import make_uscc

from srdi.domain.assessment.contract import run_assess
from srdi.domain.rules.cases import deep_merge

BASES = yaml.safe_load(
    resources.files("srdi.rulebooks").joinpath("cases/_bases.yaml").read_text(encoding="utf-8")
)["bases"]
AS_OF = "2025-06-30"
NO_IP = {"class1": 0, "class1_self_developed": 0, "class1_high_value": 0, "class2": 0}


def profile(base: str = "solid", **over) -> dict:
    return deep_merge(BASES[base], {"uscc": make_uscc(), **over})


def apply(p: dict, changes: list[dict]) -> dict:
    out = copy.deepcopy(p)
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


def gaps_of(p: dict) -> dict[str, dict]:
    result = run_assess({"as_of": AS_OF, "enterprises": [p]}, with_profile=False)["results"][0]
    return {g["tier"]: g for g in result["gaps"]}


def status_after(p: dict, tier: str) -> str:
    result = run_assess({"as_of": AS_OF, "enterprises": [p]}, with_gaps=False, with_profile=False)["results"][
        0
    ]
    return result["tiers"][tier]["status"]


def ip_consistent(p: dict) -> bool:
    ip = p.get("ip") or {}
    total = ip.get("class1")
    if total is None:
        return True
    return all(ip.get(k) is None or ip[k] <= total for k in ("class1_high_value", "class1_self_developed"))


def test_raising_high_value_or_self_developed_ip_raises_class1_with_it():
    # 创新能力 needs 15 more points: IP (and R&D) are the levers.
    p = profile(
        ip=NO_IP, financials={"2024": {"rd_expense_fen": 75_000_000}}, rd_institution_level="municipal"
    )
    gap = gaps_of(p)["innovative_sme"]
    assert gap["feasible"] is True
    planned = apply(p, gap["changes"])
    assert ip_consistent(planned), planned["ip"]
    for item in gap["items"]:
        fields = {c["field"] for c in item["changes"]}
        if fields & {"ip.class1_high_value", "ip.class1_self_developed"}:
            assert "ip.class1" in fields, item


def _planner(p: dict, tier: str = "innovative_sme"):
    from datetime import date

    from srdi.domain.assessment.gaps import _Planner
    from srdi.domain.exchange import parse_profile
    from srdi.domain.rules.engine import assess
    from srdi.domain.tables import tables_from_profiles

    a = assess(tables_from_profiles([parse_profile(p)]), date(2025, 6, 30))
    planner = _Planner(a, 0, tier, a.row(0))
    ip = next(i for i in a.compiled[tier].rulebook.score.indicators if i.id == "ip")
    return planner, ip


def test_ip_options_cost_more_the_harder_the_item_is():
    """Equal points per cost would otherwise pick the first step of the ladder (Ⅰ类高价值)."""
    planner, ip = _planner(profile(ip=NO_IP))
    options = {pts: changes for pts, changes, _, _ in planner.options(ip, 0)}
    cost = {pts: sum(c.cost for c in changes) for pts, changes in options.items()}
    # class2 5 points, class1 10, self-developed 15, high-value 20
    assert cost[5] < cost[10] < cost[15] < cost[20], cost
    for pts in (15, 20):  # the subset and the total rise together
        assert {(c.field, c.to) for c in options[pts]} >= {("ip.class1", 1)}, options[pts]


def test_with_equal_need_the_easiest_ip_step_is_planned(monkeypatch):
    from srdi.domain.assessment.gaps import _Planner

    # 创新能力 20 (R&D 5%), total 50: ten points short; every IP step of 10+ points covers it.
    p = profile(
        ip=NO_IP,
        financials={
            "2024": {"rd_expense_fen": 250_000_000, "main_business_revenue_fen": 2_750_000_000},
            "2023": {"main_business_revenue_fen": 2_750_000_000},
        },
        main_product={"strategic_emerging": False},
    )
    planner, _ = _planner(p)
    assert planner.row["innovative_sme|total|lo"] == 50
    options = _Planner.options
    monkeypatch.setattr(
        _Planner, "options", lambda self, ind, cur: options(self, ind, cur) if ind.id == "ip" else []
    )
    plan = planner.score_plan()
    assert plan.feasible
    assert [(c.field, c.to) for c in plan.changes] == [("ip.class1", 1)], plan.changes


def test_a_failing_prerequisite_is_shown_even_when_another_is_unknown():
    # is_sme unknown (no industry code) and dishonest: the gap names good_standing, and lists the data.
    p = profile(industry_code=None, compliance={"dishonest": True})
    result = run_assess({"as_of": AS_OF, "enterprises": [p]}, with_profile=False)["results"][0]
    assert result["tiers"]["innovative_sme"]["status"] == "ineligible"
    gap = next(g for g in result["gaps"] if g["tier"] == "innovative_sme")
    criteria = [it["criterion"] for it in gap["items"]]
    assert "good_standing" in criteria, gap
    assert "sme" not in criteria
    assert "industry_code" in gap["missing"], gap
    assert "无法通过调整数据满足" not in (gap.get("reason") or "")
    assert gap["feasible"] is None  # decidable only once the missing data is there
    changed = apply(p, gap["changes"])
    assert changed["compliance"]["dishonest"] is False
    assert status_after(changed, "innovative_sme") == "needs_data"


def test_a_time_criterion_is_met_by_waiting_never_by_moving_the_niche_start_year():
    # In the niche since 2024: 63号 needs 2 years (2025-06-30: 1), 2号 3 years — first met on 2027-06-30,
    # judged then under 2号 (which also asks for a tier-1 title and data this profile does not have).
    p = profile(niche_since_year=2024, zj_featured_points=0, rd_institution_level="none")
    gap = gaps_of(p)["srdi_sme"]
    assert all(c["field"] != "niche_since_year" for c in gap["changes"]), gap["changes"]
    assert gap["assess_on"] == "2027-06-30" and gap["wait_years"] == 2
    assert gap["rulebook"]["id"] == "miit26.srdi_sme"
    assert gap["feasible"] is None and set(gap["missing"]) == {"ip_items", "platform_scores.2027"}
    assert [c["to"]["tier"] for c in gap["changes"]] == ["tech_sme"]
    assert "2024年实际数据持平预计" in gap["assumptions"][0]


def test_figures_of_a_year_that_has_ended_are_never_a_lever():
    # R&D 2.4% in 2024: on 2025-06-30 the 2024 figure is history, so the score route cannot use it.
    p = profile(financials={"2024": {"rd_expense_fen": 120_000_000}}, ip=NO_IP, rd_institution_level="none")
    for gap in gaps_of(p).values():
        for change in gap.get("changes") or []:
            assert not change["field"].startswith(("financials.2024", "financials.2023")), change


def test_nearest_direct_plans_are_eligible_when_applied_for_every_tier():
    profiles = [
        profile(
            ip=NO_IP, financials={"2024": {"rd_expense_fen": 75_000_000}}, rd_institution_level="municipal"
        ),
        profile(niche_since_year=2024, zj_featured_points=0, rd_institution_level="none"),
        profile(),  # little_giant: G1 fails
        profile("champion", main_product={"national_rank": 5, "global_rank": 30}),
    ]
    output = run_assess({"as_of": AS_OF, "enterprises": profiles}, with_profile=False)
    checked = 0
    for p, result in zip(profiles, output["results"], strict=True):
        for gap in result["gaps"]:
            nearest = gap.get("nearest_direct")
            if nearest:
                planned = apply(p, nearest["changes"])
                assert ip_consistent(planned)
                assert status_after(planned, gap["tier"]) == "eligible", (gap["tier"], nearest)
                checked += 1
    assert checked >= 3


def test_applying_a_plan_copies_only_what_it_changes_and_never_touches_the_profile():
    from decimal import Decimal

    from srdi.domain.assessment.gaps import apply_changes
    from srdi.domain.assessment.levers import Change

    profile = {
        "uscc": "X",
        "financials": {"2024": {"rd_expense_fen": 1, "employees": 10}},
        "ip": {"class1": 0},
        "awards": [{"kind": "a"}],
    }
    before = copy.deepcopy(profile)
    changes = [
        Change("financials.2024.rd_expense_fen", 1, 5),
        Change("main_product.niche_market_share", None, Decimal("0.10")),
        Change("awards", None, {"kind": "b"}, op="append"),
    ]
    out = apply_changes(profile, changes)
    assert profile == before
    assert out["financials"]["2024"] == {"rd_expense_fen": 5, "employees": 10}
    assert out["main_product"] == {"niche_market_share": "0.10"}
    assert out["awards"] == [{"kind": "a"}, {"kind": "b"}]
    assert out["ip"] is profile["ip"]  # unchanged parts are shared, not copied
