"""The enterprise page judges any date and purpose, and sets this year's result beside last year's."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from django.urls import reverse
from web_helpers import import_profiles, make_uscc

from srdi.db.models import Enterprise

pytestmark = pytest.mark.django_db

BASES = Path(__file__).resolve().parents[3] / "src/srdi/rulebooks/cases/_bases.yaml"


def assessment(client, enterprise: Enterprise, **params):
    response = client.get(reverse("web:enterprise_detail", args=[enterprise.pk]), params)
    assert response.status_code == 200
    section = next(s for s in response.context["sections"] if s.key == "assessment")
    return section.data, response.content.decode()


@pytest.fixture
def across_the_change(db) -> Enterprise:
    """Figures for 2023–2025 and a valid 创新型 title: judged in 2025 under 63号, in 2026 under 2号."""
    bases = yaml.safe_load(BASES.read_text(encoding="utf-8"))["bases"]
    p = copy.deepcopy(bases["srdi26"])
    p["financials"]["2023"] = copy.deepcopy(p["financials"]["2024"])
    p.update(uscc=make_uscc(611), name="杭州跨期测试科技有限公司")
    import_profiles([p])
    return Enterprise.objects.get(uscc=p["uscc"])


def test_2026_result_is_judged_by_2号_beside_last_years_63号_result(login_as, across_the_change):
    data, html = assessment(login_as("city_staff"), across_the_change, as_of="2026-06-30")
    assert data["as_of"] == "2026-06-30"
    rows = {r["code"]: r for r in data["comparison"]["rows"]}
    assert data["comparison"]["as_of"] == "2025-06-30"
    assert rows["srdi_sme"]["before"]["rulebook_id"] == "miit63.srdi_sme"
    assert rows["srdi_sme"]["now"]["rulebook_id"] == "miit26.srdi_sme"
    assert rows["srdi_sme"]["rulebook_changed"] is True
    assert "评价标准已更换：miit63.srdi_sme → miit26.srdi_sme" in html
    # The first tier keeps 63号 附件1 by 2号 第三十条: same rulebook, and the transition is named.
    assert rows["innovative_sme"]["rulebook_changed"] is False
    assert "第三十条" in rows["innovative_sme"]["now"]["transition"]


def test_review_purpose_is_applied_and_shown(login_as, across_the_change):
    data, html = assessment(login_as("city_staff"), across_the_change, as_of="2026-06-30", purpose="review")
    assert data["purpose"] == "review"
    assert "（复核）" in html
    little_giant = next(t for t in data["tiers"] if t["code"] == "little_giant")
    assert little_giant["rulebook"]["purpose"] == "review"


def test_a_date_before_the_first_rulebook_is_refused_with_a_message(login_as, across_the_change):
    data, html = assessment(login_as("city_staff"), across_the_change, as_of="2021-01-01")
    assert "早于最早的认定标准（2022-06-01 起施行）" in data["judged_error"]
    assert data["as_of"] != "2021-01-01"
    assert "已按默认基准日评价" in html


def test_the_timeline_shows_a_title_ended_by_the_lifecycle_rules(login_as, db):
    uscc = make_uscc(612)
    import_profiles(
        [
            {
                "uscc": uscc,
                "district": "330106",
                "certifications": [{"tier": "srdi_sme", "recognized_on": "2024-08-01"}],
                "sanctions": [{"kind": "data_fraud", "date": "2025-03-01"}],
            }
        ]
    )
    enterprise = Enterprise.objects.get(uscc=uscc)
    response = login_as("city_staff").get(reverse("web:enterprise_detail", args=[enterprise.pk]))
    timeline = next(s for s in response.context["sections"] if s.key == "timeline").data
    entry = next(e for e in timeline["entries"] if e.category == "梯度认定")
    assert (entry.status, entry.revoked_on.isoformat(), entry.ended_by_rules) == (
        "revoked",
        "2025-03-01",
        True,
    )
    assert "按规则终止：2025-03-01" in response.content.decode()
