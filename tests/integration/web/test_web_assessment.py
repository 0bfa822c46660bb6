"""The enterprise page's assessment section: tier cards and breakdowns, gaps, the six-dimension radar."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from django.urls import reverse
from web_helpers import import_profiles, make_uscc

from srdi.db.models import Enterprise
from srdi.domain.reference import TIERS
from srdi.services.screening import run_screen
from srdi.web.assessment_display import change_text, input_label

pytestmark = pytest.mark.django_db

BASES = Path(__file__).resolve().parents[3] / "src/srdi/rulebooks/cases/_bases.yaml"


def page(client, enterprise: Enterprise):
    response = client.get(reverse("web:enterprise_detail", args=[enterprise.pk]))
    assert response.status_code == 200
    return response


def section(response, key: str = "assessment"):
    return next(s for s in response.context["sections"] if s.key == key)


def section_html(response) -> str:
    text = response.content.decode()
    start = text.index('id="section-assessment"')
    end = text.index("</section>", start)
    return text[start:end]


def radar(response) -> dict:
    match = re.search(r'id="assessment-radar-data"[^>]*>(.*?)</script>', response.content.decode(), re.S)
    assert match, "radar data block missing"
    return json.loads(match.group(1))


def base_profile(name: str = "solid") -> dict:
    return copy.deepcopy(yaml.safe_load(BASES.read_text(encoding="utf-8"))["bases"][name])


@pytest.fixture
def weak(db) -> Enterprise:
    """An enterprise short of the 创新型 score by a few indicators (so the gap plan has points)."""
    p = base_profile()
    p.update(uscc=make_uscc(501), name="杭州差距测试科技有限公司", certifications=[])
    p["ip"] = {
        "class1": 0,
        "class2": 1,
        "class1_self_developed": 0,
        "class1_high_value": 0,
        "invention_patents": 0,
    }
    p["main_product"].update(strategic_emerging=False, chain_role="none")
    p.update(digital_level=1, rd_institution_level="none")
    p["financials"]["2024"].update(main_business_revenue_fen=2_600_000_000, rd_expense_fen=130_000_000)
    import_profiles([p])
    return Enterprise.objects.get(uscc=p["uscc"])


@pytest.fixture
def solid(db) -> Enterprise:
    p = base_profile()
    p.update(uscc=make_uscc(502), name="杭州扎实测试科技有限公司")
    import_profiles([p])
    return Enterprise.objects.get(uscc=p["uscc"])


def test_section_is_on_the_page_with_every_tier(login_as, seed):
    response = page(login_as("city_staff"), seed.west)
    data = section(response).data
    assert [t["code"] for t in data["tiers"]] == list(TIERS)
    html = section_html(response)
    for label in TIERS.values():
        assert label in html
    for t in data["tiers"]:
        assert t["status"] in ("eligible", "ineligible", "needs_data")
        assert t["status_label"] in html
        assert f'id="breakdown-{t["code"]}"' in html
    assert 'href="#section-assessment"' in response.content.decode()  # in the page's table of contents
    assert "<script>" not in response.content.decode()  # CSP: data only via json_script
    assert 'src="/static/vendor/echarts.min.js"' in response.content.decode()


def test_breakdown_explains_every_check(login_as, solid):
    response = page(login_as("city_staff"), solid)
    data = section(response).data
    html = section_html(response)
    innovative = data["tiers"][0]
    assert innovative["status"] == "eligible"
    assert innovative["score"] == 85
    assert innovative["route_label"] == "评分达标"
    assert "85 分" in html
    rows = [c for g in innovative["groups"] for c in g["checks"]]
    assert {g["label"] for g in innovative["groups"]} >= {"基本条件", "评分指标", "直通条件"}
    rd = next(c for c in rows if c["id"] == "rd_intensity")
    assert rd["points"] == "15 / 20"
    assert rd["reference"] == "63号 附件1 第2项"
    assert "上年度研发费用占营业收入比重 3.00%，得 15 分（满分 20）" in html
    assert "63号 附件1 第2项" in html
    # Manual checks are listed as such and never decide the tier.
    giant = data["tiers"][3]
    assert giant["manual"]
    assert all(c["result_label"] == "需人工核查" for c in giant["manual"])
    assert "需人工核查" in html
    # Scored tier cards show the threshold; tiers without a score say so.
    assert innovative["threshold"] == 60
    assert not data["tiers"][2]["has_score"]


def test_needs_data_lists_the_missing_inputs_in_chinese(login_as, seed):
    response = page(login_as("city_staff"), seed.west_formula)
    data = section(response).data
    needs = [t for t in data["tiers"] if t["status"] == "needs_data"]
    assert needs, "an enterprise without figures cannot be decided"
    html = section_html(response)
    assert "需补充数据" in html
    assert "需补充以下" in html
    assert "2024年从业人员" in needs[0]["missing"]
    assert "financials." not in html  # paths are translated, never shown raw
    gaps = [g for g in data["gaps"] if g["status"] == "needs_data"]
    assert gaps and gaps[0]["verdict"] == "需先补充数据"


def test_gaps_show_only_levers_that_can_still_move(login_as, weak):
    # Judged on 2025-12-31: the 2024 figures (R&D 2.60%) are history, so the plan does not raise them; the
    # cheapest route that can still be taken today is a recognised R&D institution (直通条件 D3).
    response = page(login_as("city_staff"), weak)
    data = section(response).data
    html = section_html(response)
    innovative = next(g for g in data["gaps"] if g["tier"] == "innovative_sme")
    assert innovative["feasible"] is True
    assert innovative["verdict"] == "可通过调整达到"
    assert innovative["route_label"].startswith("直通条件 D3")
    assert all("2024年" not in change for item in innovative["items"] for change in item["changes"])
    assert [i["required"] for i in innovative["items"]] == ["省级"]
    assert "研发机构" in html
    # A tier that cannot be reached this year says when it can and under which rules.
    later = [g for g in data["gaps"] if g["assess_on"]]
    for g in later:
        assert g["assess_on"] > "2025-12-31" and g["rulebook"]
        assert f"最早可于 <strong>{g['assess_on']}</strong>" in html
    # Eligible tiers have no gap block.
    eligible = {t["code"] for t in data["tiers"] if t["status"] == "eligible"}
    assert not eligible & {g["tier"] for g in data["gaps"]}


def test_radar_has_six_dimensions_and_unknown_ones_are_not_zero(login_as, seed, solid):
    full = radar(page(login_as("city_staff"), solid))
    assert [i["name"].split("\n")[0] for i in full["indicators"]] == ["专", "精", "特", "新", "链", "品"]
    assert all(i["max"] == 100 for i in full["indicators"])
    assert full["values"] == [100, 84, 87, 66, 100, 85]

    response = page(login_as("city_staff"), seed.west)
    data = section(response).data["profile"]
    values = radar(response)["values"]
    assert len(values) == 6
    for d, v in zip(data["dimensions"], values, strict=True):
        assert v == d["value"]
        if not d["known"]:
            assert v is None  # drawn as a gap, not as 0
    if data["unknown"]:
        html = section_html(response)
        assert "未画入雷达图（不按 0 计）" in html
        assert "未知" in html


def test_grade_ladder_progress_and_cohorts(login_as, solid):
    response = page(login_as("city_staff"), solid)
    profile = section(response).data["profile"]
    assert profile["grade"] == "A"
    assert profile["ladder_label"] == "省级专精特新中小企业"
    assert profile["next_tier_label"] == TIERS["little_giant"]
    assert profile["progress"] == 94
    assert [c["label"] for c in profile["cohorts"]] == ["苗子企业", "一企一策"]
    html = section_html(response)
    for text in ("苗子企业", "一企一策", "94%", "下一层级条件满足比例"):
        assert text in html


def test_latest_screening_row_is_shown(login_as, solid):
    response = page(login_as("city_staff"), solid)
    assert section(response).data["screening"] is None
    assert "尚未纳入全市筛查" in section_html(response)
    run = run_screen()
    response = page(login_as("city_staff"), solid)
    screening = section(response).data["screening"]
    assert screening["run"] == run.pk
    assert [t["status"] for t in screening["tiers"]] == ["eligible", "eligible", "ineligible", "ineligible"]
    assert not screening["any_changed"]
    assert f"筛查 #{run.pk}" in section_html(response)


def test_enterprise_user_sees_its_own_assessment(login_as, seed):
    response = page(login_as("enterprise"), seed.west)
    assert len(section(response).data["tiers"]) == 4


def test_out_of_scope_enterprise_is_still_404(login_as, seed):
    response = login_as("district_staff").get(reverse("web:enterprise_detail", args=[seed.binjiang.pk]))
    assert response.status_code == 404


def test_labels_of_inputs_and_changes():
    assert input_label("financials.2024.rd_expense_fen") == "2024年研发费用"
    assert input_label("ip.class1") == "Ⅰ类知识产权"
    assert input_label("certifications") == "梯度认定"
    assert input_label("no.such.path") == "no.such.path"
    assert change_text(
        {"field": "rd_institution_level", "from": "none", "to": "provincial", "op": "set"}
    ) == ("研发机构级别：无 → 省级")
    assert change_text({"field": "quality.own_brand", "from": False, "to": True, "op": "set"}) == (
        "自主品牌：否 → 是"
    )
    assert (
        change_text(
            {
                "field": "equity_financing",
                "op": "append",
                "to": {"amount_fen": 6_000_000_000, "qualified_investor": True},
            }
        )
        == "新增股权融资 6,000万元（合格机构投资者实缴）"
    )
