"""Issue 16 acceptance in a real Chromium: each role's home (首页) lists its own work with counts that match the
queues — the test clicks each link and counts the rows of the page it opens — and an enterprise's home shows its
tiers, its money and its cases. Screenshots go to test-artifacts/.

Roles: district staff (区县审核), city staff (市级审核), city administrator (公示期满待批准), finance (待编入拨付
批次, counted on the payment-runs page), enterprise (待确认的免申即享), provider (my vouchers), 责任单位 (reports due).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from browser_helpers import Shots
from tests.conftest import make_uscc
from tests.integration.money.conftest import SRDI_CERT, renovation

from srdi.db.models import Case, Certification, Enterprise, ServiceProvider, User
from srdi.domain.unit_kpis import last_ended_quarter
from srdi.services import unit_reports as ur
from srdi.services.accounts import create_user
from srdi.services.cases import today, transition, update_claim
from srdi.services.imports import import_file
from srdi.services.programmes import create_programme, generate_offers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WEST_LAKE = "330106"
ACCOUNT = "6222020200001234"
PASSWORD = "Kt9!Lantern-Quay"


def _world(monkeypatch) -> dict[str, User]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    profiles = [
        {
            "uscc": make_uscc(WEST_LAKE),
            "name": f"杭州西湖首页{i}有限公司",
            "district": WEST_LAKE,
            "industry_code": "C3976",
            "certifications": SRDI_CERT,
            "compliance": {"dishonest": False},
            "events": [renovation(f"HOME-{i}", 1_000_000_000)],
        }
        for i in range(4)
    ]
    assert not import_file(json.dumps(profiles, ensure_ascii=False).encode(), "home.json").errors
    ents = list(Enterprise.objects.filter(uscc__in=[p["uscc"] for p in profiles]).order_by("pk"))
    users = {
        "district": create_user(
            username="home_district", password=PASSWORD, role="district_staff", district_code=WEST_LAKE
        ),
        "city": create_user(username="home_city", password=PASSWORD, role="city_staff"),
        "admin": create_user(username="home_admin", password=PASSWORD, role="city_admin"),
        "admin2": create_user(username="home_admin2", password=PASSWORD, role="city_admin"),
        "finance": create_user(username="home_finance", password=PASSWORD, role="finance"),
        "unit": create_user(
            username="home_unit", password=PASSWORD, role="responsible_unit", organisation="市科技局"
        ),
        "provider": create_user(username="home_provider", password=PASSWORD, role="provider"),
    }
    provider = ServiceProvider.objects.create(
        name="杭州首页服务中心", uscc="91330100MA0000002X", categories=["testing"]
    )
    User.objects.filter(pk=users["provider"].pk).update(provider=provider)
    owners = [
        create_user(username=f"home_ent{i}", password=PASSWORD, role="enterprise", enterprise_uscc=e.uscc)
        for i, e in enumerate(ents)
    ]
    users["enterprise"] = owners[3]
    programme = create_programme(
        code="hz81-9-2025",
        name="2025年技改补助",
        article=9,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=50_000 * 1_000_000,
        district_budget_fen=5_000 * 1_000_000,
        publicity_days=5,
        actor=users["admin"],
    )
    generate_offers(programme, actor=users["admin"])
    cases = [Case.objects.get(programme=programme, enterprise=e) for e in ents]
    for case, owner in zip(cases[:3], owners[:3], strict=True):
        update_claim(case.pk, owner, bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT)
        transition(case.pk, owner, "confirm")  # an offer confirmed goes to 区县审核
    transition(cases[1].pk, users["district"], "district_pass")  # → city review
    transition(cases[2].pk, users["district"], "district_pass")
    transition(cases[2].pk, users["city"], "city_pass")  # → publicity
    Case.objects.filter(pk=cases[2].pk).update(
        publicity_starts_on=today() - timedelta(days=7), publicity_ends_on=today() - timedelta(days=1)
    )
    # case 3 stays offered: the enterprise's 免申即享 to confirm; it also holds a tier expiring in 30 days
    Certification.objects.create(
        enterprise=ents[3],
        tier="srdi_sme",
        recognized_on=today() - timedelta(days=300),
        expires_on=today() + timedelta(days=30),
    )
    return users


def _logout(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state("networkidle")


def _home_counts(browser) -> dict[str, int]:
    page = browser.page
    page.goto(f"{browser.base_url}/")
    page.wait_for_load_state("networkidle")
    cells = page.locator("[data-queue-count]")
    return {
        cells.nth(i).get_attribute("data-queue-count"): int(cells.nth(i).inner_text())
        for i in range(cells.count())
    }


def _follow(browser, kind: str) -> None:
    page = browser.page
    page.goto(f"{browser.base_url}/")
    page.locator(f'[data-queue-link="{kind}"]').click()
    page.wait_for_load_state("networkidle")


def _case_rows(page) -> int:
    return page.locator("table.case-table tbody tr").count()


def test_each_roles_home_counts_match_its_queues(browser, monkeypatch):
    users = _world(monkeypatch)
    page = browser.page
    shot = Shots(page, "home")

    expected = {
        "home_district": {"case_district_review": 1},
        "home_city": {"case_city_review": 1},
        "home_admin": {"case_city_review": 1, "case_due_approval": 1},
    }
    for username, queues in expected.items():
        browser.login(username)
        counts = _home_counts(browser)
        shot(username)
        for kind, n in queues.items():
            assert counts.get(kind) == n, (username, kind, counts)
            _follow(browser, kind)
            assert _case_rows(page) == n, (username, kind)
        assert "case_intake" not in counts  # confirmed offers skip 受理
        assert "case_district_review" not in counts or username == "home_district"
        _logout(page)

    # finance: the city admin approves the publicity-ended case; finance's home and payment page agree
    transition(Case.objects.get(state="publicity").pk, users["admin2"], "approve")
    browser.login("home_finance")
    counts = _home_counts(browser)
    assert counts.get("case_ready_to_pay") == 1
    assert "case_city_review" not in counts
    _follow(browser, "case_ready_to_pay")
    waiting = page.get_by_role("table", name="已批准待拨付和拨付失败待重试的事项")
    assert waiting.locator("tbody tr td").nth(2).inner_text() == "1"
    shot("finance")
    _logout(page)

    # the 责任单位: its reports due for the last ended quarter
    unit = User.objects.get(username="home_unit")
    year, quarter = last_ended_quarter(today())
    due = len(ur.unit_measures(unit, year, quarter))
    browser.login("home_unit")
    counts = _home_counts(browser)
    assert counts.get("unit_report_due", 0) == due
    assert not any(k.startswith("case_") for k in counts)
    shot("unit")
    _logout(page)

    # the provider: no case queue, its vouchers as the figure
    browser.login("home_provider")
    counts = _home_counts(browser)
    assert not any(k.startswith("case_") for k in counts)
    figures = page.locator("[data-test=home-figures]").inner_text()
    assert "已核销服务券" in figures and "0 张" in figures
    shot("provider")
    _logout(page)


def test_an_enterprise_home_shows_its_tiers_money_and_cases(browser, monkeypatch):
    _world(monkeypatch)
    page = browser.page
    shot = Shots(page, "home-enterprise")
    browser.login("home_ent3")
    counts = _home_counts(browser)
    assert counts.get("offer_to_confirm") == 1
    assert counts.get("title_expiring") == 1
    tiers = page.locator("[data-test=my-tiers]").inner_text()
    assert "省级专精特新中小企业" in tiers
    figures = page.locator("[data-test=home-figures]").inner_text()
    assert "批准金额" in figures and "已拨付金额" in figures and "万元" in figures
    cases = page.locator("[data-test=my-cases]").inner_text()
    assert "待企业确认" in cases or "待确认" in cases
    assert "offered" not in page.locator("main").inner_text()
    shot("home")
    _follow(browser, "offer_to_confirm")
    assert _case_rows(page) == 1
    _logout(page)
    # another enterprise of the district sees its own case only
    browser.login("home_ent0")
    counts = _home_counts(browser)
    assert counts.get("offer_to_confirm") is None
    assert "title_expiring" not in counts
