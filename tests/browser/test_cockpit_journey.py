"""Issue 15 item 1 in a real Chromium: city staff open the cockpit (目标驾驶舱) from the menu, see the targets
with the ECharts charts drawn (the project renders ECharts as SVG, ``app.js``: an ``svg`` with bar shapes in
each chart container, not a canvas), switch to 西湖区, and download the targets table as XLSX (read back with
openpyxl: the district's figures); a district user sees their own district only, whatever the URL asks.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from datetime import date

import pytest
from browser_helpers import BINJIANG, WEST_LAKE, Shots
from openpyxl import load_workbook

from srdi.db.models import Certification
from srdi.services.programme_targets import progress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LITTLE_GIANT = "累计培育专精特新“小巨人”企业"  # hz25's target (criteria-2026 §4.2)


def _logout(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state("networkidle")


def _charts_drawn(page) -> int:
    """ECharts draws each chart as an SVG inside its container; wait for them, check each has drawn shapes,
    and count them."""
    page.wait_for_selector("[data-chart] svg path", state="attached")
    charts = page.locator("[data-chart]")
    for i in range(charts.count()):
        assert charts.nth(i).locator("svg path").count() > 0, i
    return charts.count()


def _row(page, table: str, label: str) -> list[str]:
    row = page.locator(f"table.cockpit-{table} tbody tr", has_text=label).first
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def test_city_staff_see_targets_charts_switch_district_and_download(browser, world, tmp_path):
    page = browser.page
    shot = Shots(page, "cockpit")
    for ent, day in ((world.west, date(2024, 5, 1)), (world.west_other, date(2025, 5, 1))):
        Certification.objects.create(enterprise=ent, tier="little_giant", recognized_on=day)
    Certification.objects.create(
        enterprise=world.binjiang, tier="little_giant", recognized_on=date(2025, 6, 1)
    )
    today = progress(date.today()).on
    west = next(t for t in progress(today, WEST_LAKE).targets if t.label == LITTLE_GIANT)
    assert west.value == 2

    browser.login("city_browser")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="目标驾驶舱").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "目标驾驶舱 · 全市"
    city_row = _row(page, "targets", LITTLE_GIANT)
    assert "3" in city_row and "750" in city_row  # 3 titles today; the target 750 by 2028
    assert _charts_drawn(page) >= 2  # the trend and the by-district chart of each measured tier
    shot("city")

    page.locator("#district-picker").select_option(WEST_LAKE)  # submits on change
    page.wait_for_url(f"**district={WEST_LAKE}*")  # the new page, not the old one still idle
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "目标驾驶舱 · 西湖区"
    assert f"district={WEST_LAKE}" in page.url
    assert "2" in _row(page, "targets", LITTLE_GIANT)
    assert _charts_drawn(page) >= 1
    shot("west-lake")

    card = page.locator("section[aria-labelledby=targets-heading]")
    with page.expect_download() as info:
        card.get_by_role("link", name="导出 XLSX").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.suffix == ".xlsx" and WEST_LAKE in saved.name
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    head = list(rows[0])
    got = next(r for r in rows[1:] if r[head.index("目标")] == LITTLE_GIANT)
    assert got[head.index("当前值")] == 2 and got[head.index("目标值")] == 750
    assert not browser.console_errors, browser.console_errors
    _logout(page)


def test_a_district_user_sees_only_their_district(browser, world):
    page = browser.page
    shot = Shots(page, "cockpit-district")
    Certification.objects.create(enterprise=world.west, tier="little_giant", recognized_on=date(2024, 5, 1))
    Certification.objects.create(
        enterprise=world.binjiang, tier="little_giant", recognized_on=date(2025, 6, 1)
    )

    browser.login("west_browser")
    page.goto(f"{browser.base_url}/cockpit/?district={BINJIANG}")  # asks for another district
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "目标驾驶舱 · 西湖区"
    assert page.locator("#district-picker").count() == 0  # no district choice for district staff
    assert "1" in _row(page, "targets", LITTLE_GIANT)
    districts = page.locator("table.cockpit-districts tbody")
    text = districts.text_content() or ""  # the table sits in a closed <details>
    assert "西湖区" in text and "滨江区" not in text
    assert _charts_drawn(page) >= 1
    shot("west-lake-only")
    assert not browser.console_errors, browser.console_errors
