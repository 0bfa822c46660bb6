"""Every page renders for the roles allowed to see it, with the navigation of that role."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ALL_ROLES = [
    "city_admin",
    "city_staff",
    "district_staff",
    "other_district_staff",
    "enterprise",
    "auditor",
    "provider",
]
IMPORTERS = ["city_admin", "city_staff", "district_staff"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_home_and_list_render_for_every_role(login_as, role):
    client = login_as(role)
    for name in ("web:home", "web:enterprise_list"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        text = response.content.decode()
        assert "杭政办函〔2023〕81号" in text
        assert "<script>" not in text  # CSP: no inline scripts
        assert 'action="/accounts/logout/"' in text
        assert "script-src 'self'" in response["Content-Security-Policy"]
        # Nothing is loaded from elsewhere (a random token may contain the letters "cdn": look at addresses).
        assert not re.search(r'(?:src|href)="(?:https?:)?//', text), name


@pytest.mark.parametrize("role", IMPORTERS)
def test_import_page_renders_for_importers(login_as, role):
    response = login_as(role).get(reverse("web:import"))
    assert response.status_code == 200
    assert "允许部分导入" in response.content.decode()


@pytest.mark.parametrize("role", ["city_admin", "city_staff", "district_staff", "enterprise", "auditor"])
def test_enterprise_page_renders_for_roles_in_scope(login_as, seed, role):
    response = login_as(role).get(reverse("web:enterprise_detail", args=[seed.west.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "杭州西湖精工科技有限公司" in text
    assert response["Cache-Control"] == "no-store, private"


def test_navigation_follows_the_role(login_as):
    assert "数据导入" in login_as("district_staff").get(reverse("web:home")).content.decode()
    assert "数据导入" not in login_as("auditor").get(reverse("web:home")).content.decode()
    assert "数据导入" not in login_as("enterprise").get(reverse("web:home")).content.decode()


def test_home_counts_by_tier_and_district_for_city_users(login_as):
    response = login_as("city_staff").get(reverse("web:home"))
    text = response.content.decode()
    tier = json.loads(re.search(r'id="tier-chart-data"[^>]*>(.*?)</script>', text, re.S).group(1))
    counts = dict(zip(tier["codes"], tier["values"], strict=True))
    assert counts == {"innovative_sme": 0, "srdi_sme": 1, "hidden_champion": 0, "little_giant": 1, "none": 1}
    district = json.loads(re.search(r'id="district-chart-data"[^>]*>(.*?)</script>', text, re.S).group(1))
    by_code = dict(zip(district["codes"], district["values"], strict=True))
    assert by_code["330106"] == 2
    assert by_code["330108"] == 1
    assert len(district["codes"]) == 13
    assert 'src="/static/vendor/echarts.min.js"' in text


def test_home_of_district_staff_has_no_district_chart_and_counts_own_district(login_as):
    text = login_as("district_staff").get(reverse("web:home")).content.decode()
    assert "district-chart-data" not in text
    tier = json.loads(re.search(r'id="tier-chart-data"[^>]*>(.*?)</script>', text, re.S).group(1))
    assert sum(tier["values"]) == 2


def test_unknown_page_is_a_generic_404(login_as):
    response = login_as("city_staff").get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "页面不存在" in text
    assert "Traceback" not in text


def test_500_template_renders_without_a_request():
    from django.template.loader import render_to_string

    text = render_to_string("500.html")
    assert "系统暂时无法处理您的请求" in text
    assert "Traceback" not in text
