"""End-to-end journeys in a real Chromium against the live app (screenshots in test-artifacts/).

Journey 1 (issue 2 acceptance): a district user signs in, searches the enterprise list by name, opens an
enterprise and sees its data. Journey 2: a city user opens an enterprise page and sees the four tier cards
and the six-dimension radar chart, then the screening page, where a whole-city run started from the page
completes while the page polls its progress.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import Shots

from srdi.services.screening import run_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BACKGROUND = "rgb(244, 246, 250)"  # --srdi-bg in app.css: proves the stylesheet was served and applied


def assert_styled(page) -> None:
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == BACKGROUND
    header = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundImage")
    assert "linear-gradient" in header
    # Bootstrap too: the grid's flex layout is only there if bootstrap.min.css loaded.
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"


def test_district_user_searches_and_opens_an_enterprise(browser, world):
    page = browser.page
    shot = Shots(page, "journey1-district")
    page.goto(f"{browser.base_url}/accounts/login/")
    assert_styled(page)
    shot("login")

    browser.login("west_browser")
    assert page.locator("h1").inner_text() == "首页"
    assert "西湖区" in page.locator(".user-box").inner_text()
    shot("home")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="企业库", exact=True).click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.enterprise-table tbody tr")
    assert rows.count() == 2  # only 西湖区: the 滨江 enterprise is not listed
    assert world.binjiang.name not in page.content()
    shot("list")

    page.fill("input[name=q]", "明远精密")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state("networkidle")
    assert rows.count() == 1
    assert world.west.name in rows.first.inner_text()
    shot("search")

    page.get_by_role("link", name=world.west.name).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == world.west.name
    assert world.west.uscc in page.locator(".enterprise-header").inner_text()
    profile = page.locator("#section-profile").inner_text()
    assert "C3976" in profile and "智能物联" in profile
    years = page.locator("#section-years").inner_text()
    assert "2024 年" in years and "5,000" in years  # 营业收入 5000 万元
    assert "省级专精特新中小企业" in page.locator("#section-timeline").inner_text()
    assert page.locator("#section-assessment .tier-card").count() == 4
    assert_styled(page)
    shot("enterprise")
    assert not browser.console_errors, browser.console_errors  # no CSP violation, no missing asset

    # Another district's enterprise does not exist for this user.
    response = page.goto(f"{browser.base_url}/enterprises/{world.binjiang.pk}/")
    assert response is not None and response.status == 404
    shot("other-district-404")


def test_city_user_sees_tier_cards_radar_and_screening(browser, world):
    first = run_screen()  # a first stored run, so the page has results and a second run has changes to report
    page = browser.page
    shot = Shots(page, "journey2-city")
    browser.login("city_browser")
    shot("home")

    page.goto(f"{browser.base_url}/enterprises/{world.west.pk}/")
    page.wait_for_load_state("networkidle")
    section = page.locator("#section-assessment")
    cards = section.locator(".tier-card")
    assert cards.count() == 4
    titles = [t.strip() for t in cards.locator(".tier-card-title").all_inner_texts()]
    assert titles == [
        "创新型中小企业",
        "省级专精特新中小企业",
        "省隐形冠军企业",
        "国家级专精特新“小巨人”企业",
    ]
    assert "85 分" in cards.nth(0).inner_text()
    assert "符合" in cards.nth(0).inner_text()
    radar = page.locator("#assessment-radar")
    radar.scroll_into_view_if_needed()
    page.wait_for_selector('#assessment-radar[data-chart-ready="1"]', state="attached")
    assert radar.locator("svg path").count() > 6  # grid, axes and the polygon were drawn
    assert radar.bounding_box()["height"] > 200
    assert "苗子企业" in section.inner_text()
    shot("enterprise-assessment")

    # A card's link opens that tier's breakdown.
    section.get_by_role("link", name="查看判定明细").first.click()
    breakdown = page.locator("#breakdown-innovative_sme")
    assert breakdown.evaluate("d => d.open") is True
    assert "上年度研发费用占营业收入比重 3.00%" in breakdown.inner_text()
    shot("breakdown")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="梯度筛查", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "梯度筛查"
    assert f"最近一次筛查（#{first.pk}）" in page.content()
    page.wait_for_selector(
        '[data-chart-source="screening-tier-chart"][data-chart-ready="1"]', state="attached"
    )
    assert page.locator("table.screening-table tbody tr").count() == 3
    assert_styled(page)
    shot("screening")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="开始筛查").click()
    # The page polls the job with htmx and reloads itself when the run is done.
    compared = f"与筛查 #{first.pk}"  # shown once the page shows the new run
    page.get_by_text("全市筛查进行中").or_(page.get_by_text(compared)).first.wait_for()
    shot("screening-running")
    page.get_by_text(compared).wait_for(timeout=60_000)
    page.wait_for_load_state("networkidle")
    assert f"最近一次筛查（#{first.pk}）" not in page.content()
    assert page.locator("#screening-progress .progress-bar").count() == 0
    shot("screening-after-run")

    page.select_option("select[name=tier]", "little_giant")
    page.select_option("select[name=status]", "eligible")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state("networkidle")
    names = page.locator("table.screening-table tbody tr td:first-child a").all_inner_texts()
    assert names == [world.binjiang.name]
    assert re.search(r"共\s*1\s*家企业符合筛选条件", page.locator("#candidates").inner_text())
    shot("screening-filtered")
    assert not browser.console_errors, browser.console_errors
