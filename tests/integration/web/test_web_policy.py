"""Policy pages: the catalogue, a measure's claim guide, the enterprise's 政策兑现 section, the cost simulation."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from tests.conftest import make_uscc
from tests.signin import sign_in
from web_helpers import WEST_LAKE, import_profiles

from srdi.db.models import AuditAction, AuditEvent, Enterprise
from srdi.domain.policy.loader import load_packs
from srdi.services.accounts import create_user
from srdi.web import policy_display as pd

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
SIMULATION_ROLES = ["city_admin", "city_staff", "auditor"]
REFUSED_ROLES = ["district_staff", "other_district_staff", "enterprise", "provider"]
YI = 10_000_000_000  # 1亿元 in fen
WAN = 1_000_000  # 1万元 in fen


def html(response) -> str:
    return response.content.decode()


def section(response, key: str = "entitlements"):
    return next(s for s in response.context["sections"] if s.key == key)


@pytest.fixture
def renovator(db) -> Enterprise:
    """A 西湖区 专精特新 enterprise with a key-industry renovation of 6亿 (capped at 1亿) and more events."""
    uscc = make_uscc(WEST_LAKE)
    import_profiles(
        [
            {
                "uscc": uscc,
                "name": "杭州技改测试新能源有限公司",
                "district": WEST_LAKE,
                "certifications": [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}],
                "events": [
                    {
                        "kind": "tech_renovation",
                        "project_id": "P1",
                        "date": "2024-10-10",
                        "industry": "new_energy",
                        "total_investment_fen": 600 * 100 * WAN,
                        "eligible_investment_since_2023_fen": 600 * 100 * WAN,
                    },
                    {"kind": "tech_transaction", "year": 2024, "amount_fen": 500 * WAN, "date": "2024-12-20"},
                    {
                        "kind": "digital_transformation",
                        "project_id": "P1",
                        "date": "2024-11-01",
                        "eligible_investment_fen": 300 * WAN,
                    },
                    {"kind": "digital_transformation", "project_id": "D2", "date": "2024-11-02"},
                ],
            }
        ]
    )
    return Enterprise.objects.get(uscc=uscc)


# ---- catalogue ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_catalogue_lists_all_26_articles_and_says_81_has_expired(login_as, role):
    response = login_as(role).get(reverse("web:policy_catalogue"))
    assert response.status_code == 200
    text = html(response)
    for article in range(1, 27):
        card = re.search(rf'<article[^>]*id="measure-hz81-{article}"[^>]*>', text)
        assert card, f"第{article}条 missing"
        assert " hidden" not in card.group(0)
    assert "杭政办函〔2023〕81号" in text
    assert "已到期" in text
    assert "本政策已到期" in text and "2025-12-31" in text
    assert "《关于深入打造全国专精特新名城的若干措施》" in text  # the successor is named
    assert "<script>" not in text  # CSP: no inline scripts
    assert 'src="/static/srdi/policy.js"' in text
    assert 'href="/policy/"' in text  # the menu entry 政策库


def test_catalogue_shows_kinds_amounts_responsible_units_and_events(login_as):
    text = html(login_as("city_staff").get(reverse("web:policy_catalogue")))
    for words in ("资金", "资格", "目标", "服务", "金额已设定", "金额待公布", "部分标准待公布", "市经信局"):
        assert words in text
    assert "重点产业20%（最高1亿元）；其他10%（最高5000万元）" in text  # amount text of 第9条
    assert "技术改造项目" in text and "“专精特新贷”贷款" in text  # triggering events in Chinese
    assert "按年研发投入总量或增量分档支持的档次与金额" in text  # what is 待公布 for 第4条


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"kind": "target"}, {"hz81": {1, 2, 6, 7, 8, 10, 20, 24, 26}, "hz25": {1}}),
        ({"q": "贴息"}, {"hz81": {17}, "hz25": set()}),
        ({"q": "技术改造"}, {"hz81": {9}, "hz25": set()}),
        ({"kind": "money", "q": "场景"}, {"hz81": {7}, "hz25": set()}),
        ({"q": "首次认定"}, {"hz81": {3}, "hz25": {1}}),
        ({"q": "优质创新型"}, {"hz81": set(), "hz25": {2}}),
        ({"q": "没有这样的措施"}, {"hz81": set(), "hz25": set()}),
    ],
)
def test_catalogue_filters_by_kind_and_text(login_as, query, shown):
    response = login_as("enterprise").get(reverse("web:policy_catalogue"), query)
    text = html(response)
    for pack, articles in shown.items():
        visible = {
            int(m.group(1))
            for m in re.finditer(rf'<article[^>]*id="measure-{pack}-(\d+)"[^>]*>', text)
            if " hidden" not in m.group(0)
        }
        assert visible == articles, pack
    assert response.context["shown"] == sum(len(a) for a in shown.values())
    if not any(shown.values()):
        assert "没有符合筛选条件的措施" in text


def test_catalogue_shows_both_packs_with_their_state_and_what_each_lacks(login_as):
    response = login_as("enterprise").get(reverse("web:policy_catalogue"))
    text = html(response)
    items = {i["pack"].id: i for i in response.context["items"]}
    assert list(items) == ["hz81", "hz25"]  # in the order they were adopted
    assert items["hz81"]["state"]["label"] == "已到期" and items["hz81"]["state"]["expired"]
    successor = items["hz25"]["state"]
    assert successor["label"] == "有效期待公布" and successor["window_unset"] and not successor["in_force"]
    assert successor["window"] == "待公布 至 待公布"
    assert "《关于深入打造全国专精特新名城的若干措施》（2025-12-28 印发，文号未查得）" in text
    assert "政策有效期待公布。" in text and "hz25.window.from" in text
    assert "二手来源（待核对原文）" in text  # how the successor's text was read
    for article, label in ((1, "措施（一）"), (2, "措施（二）")):
        card = re.search(rf'<article[^>]*id="measure-hz25-{article}"[^>]*>', text)
        assert card and " hidden" not in card.group(0)
        assert label in text
    assert "仅列已查得并编码的措施" in text
    # each pack links to what it still lacks
    for pack in ("hz81", "hz25"):
        assert f'href="{reverse("web:policy_gaps", args=[pack])}"' in text
    gaps = items["hz25"]["gaps"]
    assert {r["id"] for r in gaps["unset"]} == {
        "hz25.window.from",
        "hz25.window.to",
        "hz25.2.first_tranche_share",
    }
    assert "hz25.1.amount.little_giant" in {r["id"] for r in gaps["doubtful"]}
    assert not items["hz81"]["gaps"]["unknown"] and items["hz81"]["gaps"]["unset"]  # 按规定 amounts


@pytest.mark.parametrize("role", ALL_ROLES)
def test_gaps_page_lists_unset_parameters_secondary_values_and_unknown_measures(login_as, role):
    response = login_as(role).get(reverse("web:policy_gaps", args=["hz25"]))
    assert response.status_code == 200
    text = html(response)
    assert "尚缺的信息" in text and "有效期待公布" in text
    # unset parameters with their labels and references
    for pid, label in (
        ("hz25.window.from", "施行日期（有效期起始日）"),
        ("hz25.window.to", "有效期截止日"),
        ("hz25.2.first_tranche_share", "入选时（实施期初）下达的首期奖励占每家企业上限的比例"),
    ):
        assert f'data-unset-param="{pid}"' in text and label in text
    assert "若干措施（二）（实施期初下达5…，原文在此截断）" in text
    assert "尚未确认" in text
    # values read from the secondary copy, with their status
    assert 'data-doubtful-param="hz25.1.amount.little_giant"' in text
    assert 'data-doubtful-param="hz25.2.firms_per_year_max"' in text
    assert "100万元" in text and "二手来源（待核对原文）" in text
    # what was not found at all
    assert text.count("data-unknown") == len(load_packs()[1].unknown)
    for item in (
        "文号",
        "措施（三）及以后的全部措施",
        "从优、就高、不重复（重叠政策规则）",
        "市、区县资金分担",
    ):
        assert item in text
    assert "https://www.163.com/dy/article/KIMB03G405119LB9.html" in text
    assert "市级、区县承担金额暂为空" in text


def test_gaps_page_of_81号_lists_its_unpublished_amounts_only(login_as):
    response = login_as("city_staff").get(reverse("web:policy_gaps", args=["hz81"]))
    assert response.status_code == 200
    text = html(response)
    assert 'data-unset-param="hz81.17.rate_discount_min"' in text
    assert "按年研发投入总量或增量分档支持的档次与金额" in text
    assert "data-unknown" not in text and "无：政策全文已按条款编码" in text
    assert "无：所有参数均依据正式文件" in text
    assert "fiscal_share." not in text
    assert login_as("city_staff").get(reverse("web:policy_gaps", args=["nope"])).status_code == 404


def test_successor_measure_page_shows_tranches_quota_and_sources(login_as):
    response = login_as("enterprise").get(reverse("web:policy_measure", args=["hz25", 2]))
    assert response.status_code == 200
    text = html(response)
    assert "措施（二） 支持企业创新成长：重点支持优质创新型中小企业" in text
    assert "政策有效期待公布。" in text and reverse("web:policy_gaps", args=["hz25"]) in text
    assert "下达首期 = 50万元 × 首期比例（待公布）" in text
    assert "每年重点支持的优质创新型中小企业数量上限 100" in text
    assert "同一企业在支持期内不重复入选" in text
    assert "入选日持有有效的科技和创新型中小企业称号" in text
    assert "市、区县分担办法尚未查得" in text
    assert "本政策的重叠条款在已读到的文本中尚未查得" in text
    assert "不推送兑现要约" in text
    params = {p["id"]: p for p in response.context["parameters"]}
    assert params["hz25.2.first_tranche_share"]["unset"]
    assert params["hz25.2.cap_per_firm"]["status_label"] == "二手来源（待核对原文）"
    assert "施行日期和有效期尚未查得" in response.context["guide"]["window_note"]
    first = html(login_as("enterprise").get(reverse("web:policy_measure", args=["hz25", 1])))
    assert "措施（一） 加强企业梯队建设：首次认定奖励" in first
    assert "累计培育专精特新中小企业" in first and "4,750 家" in first
    assert "81号 第3条 首次认定和新引进奖励" in first  # the 81号 measure of the same overlap group


def test_gaps_page_needs_sign_in_and_only_reads(client, login_as):
    url = reverse("web:policy_gaps", args=["hz25"])
    assert client.get(url).status_code == 302
    assert login_as("city_staff").post(url).status_code == 405


# ---- measure page ------------------------------------------------------------------------------------


def test_measure_page_shows_parameters_with_references_and_the_guide(login_as):
    response = login_as("enterprise").get(reverse("web:policy_measure", args=["hz81", 9]))
    assert response.status_code == 200
    text = html(response)
    assert "第9条 技术改造补助" in text
    # conditions with their reference
    assert "项目总投资不低于500万元" in text
    assert "本意见所称专精特新企业包括" in text
    # parameters: id, formatted value, reference, effective date
    params = {p["id"]: p for p in response.context["parameters"]}
    assert params["hz81.9.rate.key"]["periods"][0]["value"] == "20%"
    assert params["hz81.9.cap.key"]["periods"][0]["value"] == "10,000万元（1亿元）"
    assert params["hz81.9.min_total_investment"]["periods"][0]["value"] == "500万元"
    assert "新能源" in params["hz81.9.key_industries"]["periods"][0]["value"]
    for pid in ("hz81.9.rate.key", "hz81.9.rate.other", "hz81.9.cap.key", "hz81.9.cap.other"):
        assert f'id="param-{pid}"' in text
    assert "81号 第9条（新一代信息技术及应用、高端装备、生物医药、集成电路、新能源、新材料）" in text
    assert "2024-01-27 起" in text
    # the amount rule in words, the overlap group
    assert "按 20%，最高 10,000万元（1亿元）；其他按 10%，最高 5,000万元" in text
    assert "从优、就高、不重复" in text and "investment_project" in text
    assert "第22条 数字化转型攻关补助" in text  # the other measure of the same overlap group
    # the generated guide
    assert "申兑指南" in text and "免申即享" in text
    assert "项目备案文件" in text  # guide.data
    assert "eligible_investment_since_2023_fen" in text and "total_investment_fen" in text  # exchange fields
    assert "市经信局（技改项目评审）" in text
    assert "项目完成并审计后按批次申报" in text
    assert "已到期" in text


def test_measure_page_marks_unset_parameters_and_shows_targets(login_as):
    client = login_as("provider")
    text = html(client.get(reverse("web:policy_measure", args=["hz81", 17])))
    assert "hz81.17.rate_discount_min" in text and "未设定" in text
    assert "部分标准待公布" in text
    assert "0.5%" in text  # the guarantee-fee cap as a percentage
    response = client.get(reverse("web:policy_measure", args=["hz81", 6]))
    text = html(response)
    assert "金额待公布" in text
    assert response.context["guide"]["route"]["label"] == "免申即享"
    assert "工作目标与考核指标" in text and "每年组织专精特新企业参加“揭榜挂帅”活动" in text
    response = client.get(reverse("web:policy_measure", args=["hz81", 1]))
    assert "累计培育创新型中小企业" in html(response) and "30,000 家" in html(response)
    assert response.context["guide"]["route"]["label"] == "不涉及企业申兑"
    response = client.get(reverse("web:policy_measure", args=["hz81", 4]))
    assert response.context["guide"]["route"]["label"] == "申报"


@pytest.mark.parametrize("args", [("hz81", 27), ("hz81", 0), ("nope", 9)])
def test_unknown_measure_is_404(login_as, args):
    assert login_as("city_staff").get(reverse("web:policy_measure", args=args)).status_code == 404


def test_policy_pages_need_sign_in_and_only_read(client, login_as):
    for name, args in (("web:policy_catalogue", []), ("web:policy_measure", ["hz81", 9])):
        url = reverse(name, args=args)
        assert client.get(url).status_code == 302
        assert login_as("city_staff").post(url).status_code == 405
    assert login_as("city_staff").post(reverse("web:policy_simulation")).status_code == 405


# ---- the enterprise page section ---------------------------------------------------------------------


def test_section_shows_capped_grant_unset_amount_superseded_and_missing_data(login_as, renovator):
    response = login_as("district_staff").get(reverse("web:enterprise_detail", args=[renovator.pk]))
    assert response.status_code == 200
    data = section(response).data
    assert not data["error"]
    rows = {(r["article"], r["event"]): r for r in data["events"]}
    tech = rows[(9, "技术改造项目 P1")]
    assert tech["status"]["code"] == "granted"
    assert tech["amount"] == "10,000万元（1亿元）"  # 6亿 × 20% = 1.2亿, capped at 1亿
    assert tech["city"] == "5,000万元" and tech["district"] == "5,000万元"
    assert "按上限封顶" in tech["explanation"]
    unset = rows[(6, "技术交易：2024年度")]
    assert unset["status"]["code"] == "amount_unset"
    assert unset["amount"] == "—"
    superseded = rows[(22, "数字化攻关项目 P1")]
    assert superseded["status"]["code"] == "superseded"
    assert superseded["superseded_by"]["url"] == reverse("web:policy_measure", args=["hz81", 9])
    missing = rows[(22, "数字化攻关项目 D2")]
    assert missing["status"]["code"] == "needs_data"
    assert "设备、外购技术及软件实际投资" in missing["missing"]
    assert data["total_fen"] == YI
    assert any(r["status"]["code"] == "amount_unset" for r in data["standing"])  # e.g. 第4条 研发投入
    text = html(response)
    start = text.index('id="section-entitlements"')
    part = text[start : text.index("</section>", start)]
    for words in ("政策兑现", "10,000万元（1亿元）", "金额待公布", "从优由他项兑现", "需补充", "2025-12-31"):
        assert words in part
    assert text.index('id="section-assessment"') < start  # after the assessment


def test_section_shows_the_successor_window_as_not_yet_published(login_as):
    uscc = make_uscc(WEST_LAKE)
    import_profiles(
        [
            {
                "uscc": uscc,
                "name": "杭州后续政策测试有限公司",
                "district": WEST_LAKE,
                "certifications": [{"tier": "innovative_sme", "recognized_on": "2025-03-01"}],
                "events": [
                    {"kind": "recognition", "tier": "srdi_sme", "date": "2025-12-20"},
                    {"kind": "recognition", "tier": "little_giant", "date": "2026-06-30"},
                ],
            }
        ]
    )
    enterprise = Enterprise.objects.get(uscc=uscc)
    response = login_as("city_staff").get(reverse("web:enterprise_detail", args=[enterprise.pk]))
    data = section(response).data
    rows = {(r["label"], r["event"]): r for r in data["events"]}
    assert rows[("第3条", "首次认定：省级专精特新中小企业")]["status"]["code"] == "granted"
    assert rows[("措施（一）", "首次认定：省级专精特新中小企业")]["status"]["code"] == "outside_policy_window"
    assert (
        rows[("第3条", "首次认定：国家级专精特新“小巨人”企业")]["status"]["code"] == "outside_policy_window"
    )
    successor = rows[("措施（一）", "首次认定：国家级专精特新“小巨人”企业")]
    assert successor["status"] == {"code": "window_unset", "label": "政策有效期待公布", "css": "rs-unknown"}
    assert successor["amount"] == "—"
    assert data["total_fen"] == 20 * WAN
    text = html(response)
    assert "政策有效期待公布" in text and "待公布 至 待公布" in text


@pytest.mark.parametrize("role", ["city_admin", "city_staff", "district_staff", "enterprise", "auditor"])
def test_section_is_on_the_page_for_every_role_that_sees_the_enterprise(login_as, seed, role):
    response = login_as(role).get(reverse("web:enterprise_detail", args=[seed.west.pk]))
    assert response.status_code == 200
    data = section(response).data
    assert data["events"] == []
    assert "尚未登记可兑现的事件" in html(response)
    standing = {r["article"]: r for r in data["standing"]}
    assert standing[11]["status"]["label"] == "符合"  # a valid 省级专精特新 title: 优质杭产品 priority
    assert {i["m"].article for i in data["not_per_enterprise"]} == {1, 20, 24, 26}


def test_district_user_cannot_see_another_districts_enterprise_section(login_as, seed, renovator):
    client = login_as("other_district_staff")  # 滨江区
    response = client.get(reverse("web:enterprise_detail", args=[renovator.pk]))
    assert response.status_code == 404
    assert "杭州技改测试新能源有限公司" not in html(response)
    assert "10,000万元" not in html(response)
    assert client.get(reverse("web:enterprise_detail", args=[seed.binjiang.pk])).status_code == 200


# ---- cost simulation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_simulation_is_refused_and_audited_for_district_and_enterprise_users(login_as, seed, role):
    client = login_as(role)
    response = client.get(reverse("web:policy_simulation"))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_DENIED, actor=seed.users[role], object_id="policy_simulation"
    ).exists()
    assert 'href="/policy/simulation/"' not in html(client.get(reverse("web:policy_catalogue")))


@pytest.mark.parametrize("role", SIMULATION_ROLES)
def test_simulation_runs_for_city_roles(login_as, renovator, role):
    response = login_as(role).get(reverse("web:policy_simulation"), {"year": "2024"})
    assert response.status_code == 200
    result = response.context["result"]
    assert result["year"] == 2024
    assert result["totals"]["amount_fen"] == YI
    assert result["totals"]["city"] == "5,000万元" and result["totals"]["district"] == "5,000万元"
    assert result["totals"]["city_share"] == "50.0%"
    assert result["amount_unset"] == 1  # the technology transaction: ratio unpublished
    assert [r["article"] for r in result["by_measure"]] == [9]
    west = next(r for r in result["by_district"] if r["code"] == WEST_LAKE)
    assert west["amount_fen"] == YI
    assert len(result["by_district"]) == 13
    assert not result["changed"]
    text = html(response)
    assert 'href="/policy/simulation/"' in text  # menu entry 成本测算
    assert 'src="/static/vendor/echarts.min.js"' in text and "<script>" not in text
    chart = json.loads(re.search(r'id="sim-district-chart"[^>]*>(.*?)</script>', text, re.S).group(1))
    assert chart["labels"][2] == "西湖区"
    assert [s["name"] for s in chart["series"]] == ["市级承担", "区县承担"]
    assert chart["series"][0]["values"][2] == "5000"  # exact 万元 strings, never floats


def test_simulation_works_for_finance(renovator, client):
    user = create_user(username="finance", password="Str0ng!Passw0rd-Test", role="finance")
    sign_in(client, user)
    assert client.get(reverse("web:policy_simulation"), {"year": "2024"}).status_code == 200


def test_simulation_shows_the_difference_an_override_makes(login_as, renovator):
    query = {"year": "2024", "param": ["hz81.9.rate.key", "fiscal_share.330106"], "value": ["15%", "0.6"]}
    response = login_as("city_staff").get(reverse("web:policy_simulation"), query)
    assert response.status_code == 200
    assert response.context["errors"] == []
    result = response.context["result"]
    assert result["changed"]
    totals = result["totals"]
    # 6亿 × 15% = 9,000万 (under the cap); city share 60% in 西湖区
    assert totals["changed_amount"] == "9,000万元"
    assert totals["delta_fen"] == -1_000 * WAN
    assert totals["delta"] == "-1,000万元"
    assert totals["delta_city"] == "+400万元"  # 5,000万 → 5,400万
    assert totals["delta_district"] == "-1,400万元"  # 5,000万 → 3,600万
    assert result["difference"]["by_measure"][0]["article"] == 9
    text = html(response)
    assert "参数调整的影响" in text and "hz81.9.rate.key" in text and "= 15%" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"param": "hz81.99.nope", "value": "1"}, "hz81.99.nope：未知参数编号"),
        ({"param": "hz81.9.rate.key", "value": "abc"}, "hz81.9.rate.key：不是有效的数值"),
        ({"param": "hz81.9.rate.key", "value": "1.5"}, "比例应在 0 与 1 之间"),
        ({"param": "hz81.9.cap.key", "value": "12.345"}, "金额须为整数分"),
        ({"param": "hz81.4.bands", "value": "1"}, "不能在此页面修改"),
        ({"param": "hz81.9.rate.key", "value": ""}, "请同时填写参数编号和取值"),
        ({"year": "2031"}, "测算年度可选 2024、2025"),
    ],
)
def test_simulation_reports_bad_overrides_and_still_shows_the_baseline(login_as, renovator, query, message):
    response = login_as("city_admin").get(reverse("web:policy_simulation"), {"year": "2024", **query})
    assert response.status_code == 200
    assert any(message in e for e in response.context["errors"]), response.context["errors"]
    assert message in html(response)
    result = response.context["result"]
    assert result is not None and not result["changed"]


# ---- helpers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pid", "raw", "value", "shown"),
    [
        ("hz81.9.rate.key", "15%", "0.15", "15%"),
        ("hz81.9.rate.key", "0.125", "0.125", "12.5%"),
        ("hz81.9.cap.key", "5000万", 5_000 * WAN, "5,000万元"),
        ("hz81.9.cap.key", "1亿元", YI, "10,000万元（1亿元）"),
        ("hz81.9.cap.key", "123", 123, "0.0001万元"),
        ("hz81.7.scenes_per_year", "12", 12, "12"),
        (
            "hz81.3.tiers",
            "little_giant, srdi_sme",
            ["little_giant", "srdi_sme"],
            "国家级专精特新“小巨人”企业、省级专精特新中小企业",
        ),
    ],
)
def test_override_values_are_read_exactly_for_their_unit(pid, raw, value, shown):
    params = load_packs()[0].parameters
    o = pd.parse_override(params, pid, raw)
    assert o.value == value
    assert o.shown == shown
    assert not isinstance(o.value, float)


def test_parameter_values_are_formatted_for_people():
    assert pd.format_value(None, "fen") == "未设定"
    assert pd.format_value(Decimal("0.005"), "ratio") == "0.5%"
    assert pd.format_value(100_000_000, "fen") == "100万元"
    assert pd.format_value(["next_gen_it", "other"], "list") == "新一代信息技术及应用、其他产业"
    assert pd.format_value(12, "months") == "12 个月"
