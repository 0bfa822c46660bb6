"""The enterprise list and page: scope (no horizontal IDOR), filters, tiers, profile and the PII reveal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from web_helpers import import_profiles, make_uscc

from srdi.db.models import AuditAction, AuditEvent, Certification, Enterprise

pytestmark = pytest.mark.django_db

LIST = reverse("web:enterprise_list")


def listed_usccs(response) -> set[str]:
    return {e.uscc for e in response.context["page"].object_list}


# ---- scope --------------------------------------------------------------------------------------------


def test_city_staff_list_everything(login_as, seed):
    assert listed_usccs(login_as("city_staff").get(LIST)) == {
        seed.west.uscc,
        seed.west_formula.uscc,
        seed.binjiang.uscc,
    }


def test_district_staff_list_only_their_district(login_as, seed):
    response = login_as("district_staff").get(LIST)
    assert listed_usccs(response) == {seed.west.uscc, seed.west_formula.uscc}
    assert seed.binjiang.uscc not in response.content.decode()
    assert "全部区县" not in response.content.decode()  # no district filter for district staff


def test_district_filter_in_the_url_cannot_widen_the_scope(login_as, seed):
    response = login_as("district_staff").get(LIST, {"district": "330108", "q": seed.binjiang.uscc})
    assert listed_usccs(response) == set()
    assert seed.binjiang.name not in response.content.decode()


def test_district_staff_get_404_for_another_districts_enterprise(login_as, seed):
    client = login_as("district_staff")
    assert client.get(reverse("web:enterprise_detail", args=[seed.binjiang.pk])).status_code == 404
    denied = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, object_id=str(seed.binjiang.pk))
    assert denied.exists()
    # An id that does not exist answers the same way.
    assert client.get(reverse("web:enterprise_detail", args=[999999])).status_code == 404


def test_enterprise_user_sees_only_its_own(login_as, seed):
    client = login_as("enterprise")
    assert listed_usccs(client.get(LIST)) == {seed.west.uscc}
    assert client.get(reverse("web:enterprise_detail", args=[seed.west.pk])).status_code == 200
    assert client.get(reverse("web:enterprise_detail", args=[seed.west_formula.pk])).status_code == 404
    assert client.get(reverse("web:enterprise_detail", args=[seed.binjiang.pk])).status_code == 404


def test_provider_sees_no_enterprise(login_as, seed):
    client = login_as("provider")
    assert listed_usccs(client.get(LIST)) == set()
    assert client.get(reverse("web:enterprise_detail", args=[seed.west.pk])).status_code == 404


# ---- filters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "西湖精工"}, {"west"}),
        ({"q": "91330108"}, {"binjiang"}),
        ({"tier": "srdi_sme"}, {"west"}),  # binjiang's 专精特新 has expired; its highest is 小巨人
        ({"tier": "little_giant"}, {"binjiang"}),
        ({"tier": "innovative_sme"}, set()),  # west's 创新型 expired, and 专精特新 is higher anyway
        ({"tier": "none"}, {"west_formula"}),
        ({"ecosystem": "biomedicine"}, {"west_formula"}),
        ({"district": "330108"}, {"binjiang"}),
        ({"district": "330106", "ecosystem": "smart_iot"}, {"west"}),
        ({"tier": "bogus", "q": "滨江"}, {"binjiang"}),  # an invalid value is ignored, the rest still applies
    ],
)
def test_filters(login_as, seed, params, expected):
    names = {"west": seed.west.uscc, "west_formula": seed.west_formula.uscc, "binjiang": seed.binjiang.uscc}
    response = login_as("city_staff").get(LIST, params)
    assert listed_usccs(response) == {names[n] for n in expected}


def test_revoked_and_future_certifications_do_not_count(login_as, seed):
    today = timezone.localdate()
    Certification.objects.filter(enterprise=seed.binjiang, tier="little_giant").update(revoked_on=today)
    Certification.objects.create(
        enterprise=seed.west_formula, tier="hidden_champion", recognized_on=today + timedelta(days=1)
    )
    client = login_as("city_staff")
    assert listed_usccs(client.get(LIST, {"tier": "little_giant"})) == set()
    assert listed_usccs(client.get(LIST, {"tier": "none"})) == {seed.binjiang.uscc, seed.west_formula.uscc}


def test_stated_expiry_counts_through_its_last_day(login_as, seed):
    today = timezone.localdate()
    Certification.objects.create(
        enterprise=seed.west_formula,
        tier="innovative_sme",
        recognized_on=today - timedelta(days=2000),
        expires_on=today,
    )
    assert listed_usccs(login_as("city_staff").get(LIST, {"tier": "innovative_sme"})) == {
        seed.west_formula.uscc
    }


def test_pagination_keeps_the_filters(login_as, seed):
    import_profiles(
        [
            {
                "uscc": make_uscc(100 + i),
                "name": f"分页测试企业{i:03d}",
                "district": "330106",
                "ecosystem": "new_materials",
            }
            for i in range(55)
        ]
    )
    client = login_as("city_staff")
    first = client.get(LIST, {"ecosystem": "new_materials"})
    assert first.context["page"].paginator.count == 55
    assert len(first.context["page"].object_list) == 50
    text = first.content.decode()
    assert "?ecosystem=new_materials&amp;page=2" in text
    second = client.get(LIST, {"ecosystem": "new_materials", "page": "2"})
    assert len(second.context["page"].object_list) == 5
    assert Enterprise.objects.count() == 58


# ---- the enterprise page ------------------------------------------------------------------------------


def test_enterprise_page_shows_profile_years_and_timeline(login_as, seed):
    response = login_as("city_staff").get(reverse("web:enterprise_detail", args=[seed.west.pk]))
    text = response.content.decode()
    for heading in (
        "基本信息",
        "知识产权",
        "主导产品",
        "精细化 / 质量",
        "合规",
        "年度经营数据",
        "梯度认定与资质称号",
    ):
        assert heading in text
    assert "12.5%" in text  # niche market share 0.125, exact
    assert "10,000" in text  # 2024 revenue 100,000,000.00 元 = 10,000 万元
    assert "3.33%" in text  # R&D intensity 333,333,333 / 10,000,000,000, half-up
    assert "37.50%" in text  # 资产负债率 3,000,000,000 / 8,000,000,000
    assert "11.11%" in text  # revenue growth 2023 → 2024
    assert "未知" in text  # e.g. the industry's global rank was never supplied
    timeline = next(s for s in response.context["sections"] if s.key == "timeline").data["entries"]
    statuses = {(e.category, e.label): e.status for e in timeline}
    assert statuses[("梯度认定", "省级专精特新中小企业")] == "valid"
    assert statuses[("梯度认定", "创新型中小企业")] == "expired"
    assert statuses[("资质称号", "高新技术企业")] == "unknown"  # no end date supplied
    assert '<span class="badge text-bg-success">有效</span>' in text
    assert '<span class="badge text-bg-secondary">已过期</span>' in text
    assert "浙经信企业〔2024〕1号" in text
    assert "2024年第二批" in text
    assert "导入批次" in text  # provenance line


def test_the_page_reads_the_enterprise_s_profile_once_for_the_assessment_and_the_policy(
    login_as, seed, monkeypatch
):
    from srdi.services import exports

    reads: list[int] = []
    original = exports.profiles_from_db

    def counted(queryset, **kwargs):
        reads.append(1)
        return original(queryset, **kwargs)

    monkeypatch.setattr(exports, "profiles_from_db", counted)
    response = login_as("city_staff").get(reverse("web:enterprise_detail", args=[seed.west.pk]))
    sections = {s.key: s.data for s in response.context["sections"]}
    assert sections["assessment"]["error"] == "" and sections["assessment"]["tiers"]
    assert sections["assessment"]["comparison"] is not None  # the second assessment, a year earlier
    assert sections["entitlements"]["error"] == "" and sections["entitlements"]["standing"]
    assert len(reads) == 1


def test_unknown_is_never_shown_as_zero(login_as, seed):
    response = login_as("city_staff").get(reverse("web:enterprise_detail", args=[seed.west_formula.pk]))
    text = response.content.decode()
    assert "未报送年度经营数据" in text
    assert "未提供梯度认定数据" in text
    groups = response.context["sections"][0].data["groups"]
    ip = next(g for g in groups if g.key == "ip")
    assert all(f.unknown and f.text == "未知" for f in ip.facts)


def test_override_reason_shows_a_warning(login_as, seed):
    Enterprise.objects.filter(pk=seed.west.pk).update(uscc_override_reason="登记机关赋码有误，已核实")
    text = login_as("city_staff").get(reverse("web:enterprise_detail", args=[seed.west.pk])).content.decode()
    assert "信用代码校验位例外" in text
    assert "登记机关赋码有误，已核实" in text


def test_contacts_are_masked_by_default(login_as, seed):
    text = login_as("city_admin").get(reverse("web:enterprise_detail", args=[seed.west.pk])).content.decode()
    assert "139****5678" in text
    assert "330106********003X" in text
    assert "13912345678" not in text
    assert "33010619800101003X" not in text
    assert "显示完整信息" in text


def test_city_admin_reveal_shows_full_data_and_is_audited(login_as, seed):
    client = login_as("city_admin")
    response = client.post(reverse("web:enterprise_reveal", args=[seed.west.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "13912345678" in text
    assert "33010619800101003X" in text
    assert "张三丰" in text
    assert response["Cache-Control"] == "no-store, private"
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert event.actor == seed.users["city_admin"]
    assert event.object_id == str(seed.west.pk)
    assert event.success
    # Reveal is POST only.
    assert client.get(reverse("web:enterprise_reveal", args=[seed.west.pk])).status_code == 405


@pytest.mark.parametrize("role", ["city_staff", "district_staff", "enterprise", "auditor"])
def test_other_roles_cannot_reveal(login_as, seed, role):
    client = login_as(role)
    page = client.get(reverse("web:enterprise_detail", args=[seed.west.pk])).content.decode()
    assert "显示完整信息" not in page
    response = client.post(reverse("web:enterprise_reveal", args=[seed.west.pk]))
    assert response.status_code == 403
    assert "13912345678" not in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL, success=False).count() == 1


def test_reveal_of_an_out_of_scope_enterprise_is_404(login_as, seed):
    response = login_as("other_district_staff").post(reverse("web:enterprise_reveal", args=[seed.west.pk]))
    assert response.status_code == 404
