"""Issue 15 item 3 in a real Chromium: a 责任单位 (市科技局) records a 揭榜挂帅 round and files its quarterly report
on 81号 第6条 with an evidence file; the city sees it no longer missing (市市场监管局, also named by 第6条, still
missing) and the KPI totals updated, then accepts it. Screenshots go to test-artifacts/.

The quarter is 2025年第4季度: 81号's window ends 2025-12-31, so the quarter has ended and 第6条 is due.
"""

from __future__ import annotations

import pytest
from browser_helpers import PASSWORD, Shots

from srdi.db.models import UnitEvent, UnitReport
from srdi.services.accounts import create_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUARTER = "2025-4"


def _logout(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state("networkidle")


def _nav(page, label: str) -> None:
    """Follow a menu entry, opening its drop-down group first when it sits in one."""
    nav = page.get_by_role("navigation", name="主导航")
    link = nav.get_by_role("link", name=label, exact=True)
    if not link.is_visible():
        inner = page.locator(f'a.dropdown-item:text-is("{label}")')  # hidden until opened: not by role
        nav.locator("li.dropdown", has=inner).locator(".dropdown-toggle").click()
    link.click()
    page.wait_for_load_state("networkidle")


def _quarter(page) -> None:
    form = page.get_by_role("form", name="选择季度")
    form.locator("select[name=q]").select_option(QUARTER)
    form.get_by_role("button", name="查看").click()
    page.wait_for_load_state("networkidle")


def _overview(page):
    _nav(page, "责任单位报告")
    _quarter(page)
    return page.locator("main")


def test_a_unit_files_a_quarterly_report_the_city_sees_it_and_the_kpis(browser, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    create_user(username="keji_browser", password=PASSWORD, role="responsible_unit", organisation="市科技局")
    evidence = tmp_path / "揭榜挂帅工作纪要.pdf"
    evidence.write_bytes(PDF)
    page = browser.page
    shot = Shots(page, "unit-report")

    # the city, before: 市科技局 has not reported on 第6条, no 揭榜挂帅 round on record
    browser.login("city_browser")
    main = _overview(page)
    assert main.locator('[data-missing-row="hz81.6|市科技局"]').count() == 1
    assert main.locator('[data-kpi-total="hz81.6.jiebang_rounds"]').inner_text() == "0"
    shot("city-before")
    _logout(page)

    # the unit records the round in the events register
    browser.login("keji_browser")
    _nav(page, "活动登记")
    form = page.get_by_role("form", name="登记活动")
    form.locator("select[name=measure]").select_option("hz81.6")
    form.locator("select[name=kind]").select_option("jiebang")
    form.locator("input[name=held_on]").fill("2025-11-18")
    form.locator("input[name=title]").fill("2025年第三轮揭榜挂帅发榜会")
    form.locator("input[name=enterprises]").fill("十二")
    form.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "“覆盖企业数”应填写不小于 0 的整数" in page.get_by_role("alert").inner_text()
    shot("event-refused")
    form = page.get_by_role("form", name="登记活动")
    form.locator("input[name=enterprises]").fill("12")
    form.locator("input[name=person_times]").fill("80")
    form.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-events]").get_by_text("2025年第三轮揭榜挂帅发榜会").count() == 1
    assert UnitEvent.objects.get().organisation == "市科技局"

    # … and files its report for the quarter with an evidence file
    _nav(page, "季度报告")
    _quarter(page)
    row = page.locator('[data-unit-reports] tr[data-measure="hz81.6"]')
    assert row.locator("[data-status]").inner_text() == "未填报"
    assert page.locator('[data-unit-reports] tr[data-measure="hz81.20"]').count() == 0  # not its measure
    row.get_by_role("link", name="填报").click()
    page.wait_for_load_state("networkidle")
    form = page.get_by_role("form", name="填报季度报告")
    assert form.locator('[data-from-events="jiebang_rounds"]').input_value() == "1"
    form.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "提交前请填写“工作进展”" in page.get_by_role("alert").inner_text()
    form = page.get_by_role("form", name="填报季度报告")
    form.locator("textarea[name=narrative]").fill(
        "11月18日组织第三轮揭榜挂帅发榜会，12家专精特新企业参与揭榜。"
    )
    form.locator("input[name=files]").set_input_files(str(evidence))
    shot("report-form")
    form.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_load_state("networkidle")
    row = page.locator('[data-unit-reports] tr[data-measure="hz81.6"]')
    assert row.locator("[data-status]").inner_text() == "已提交"
    shot("unit-submitted")
    report = UnitReport.objects.get(pack="hz81", article=6, organisation="市科技局", year=2025, quarter=4)
    assert report.status == UnitReport.Status.SUBMITTED
    assert [f.filename for f in report.files.all()] == ["揭榜挂帅工作纪要.pdf"]
    _logout(page)

    # the city, after: no longer missing, 市市场监管局 still is, the KPIs count the round, the chart is drawn
    browser.login("city_browser")
    main = _overview(page)
    assert main.locator('[data-missing-row="hz81.6|市科技局"]').count() == 0
    assert main.locator('[data-missing-row="hz81.6|市市场监管局"]').count() == 1
    assert main.locator('[data-kpi-total="hz81.6.jiebang_rounds"]').inner_text() == "1"
    assert main.locator('[data-kpi-total="hz81.6.jiebang_enterprises"]').inner_text() == "12"
    main.locator('[data-chart="bar"][data-chart-ready] svg').first.wait_for()
    shot("city-after")
    main.locator('[data-report="hz81.6|市科技局"]').get_by_role("link", name="审核").click()
    page.wait_for_load_state("networkidle")
    assert "揭榜挂帅工作纪要.pdf" in page.locator("[data-files]").inner_text()
    page.get_by_role("form", name="审核季度报告").get_by_role("button", name="通过", exact=True).click()
    page.wait_for_load_state("networkidle")
    report.refresh_from_db()
    assert report.status == UnitReport.Status.ACCEPTED
    shot("city-accepted")
    assert not browser.console_errors, browser.console_errors
