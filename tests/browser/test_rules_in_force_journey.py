"""Issue W2 2/7 in a real Chromium: judging a 2026 date under 2号, a review, and a review screening.

A city user opens an enterprise, asks for 2026-06-30: the tier cards name the 2号 rulebooks and the comparison
with 2025-06-30 says the 专精特新 and 小巨人 standards changed from 63号 to 2号 while the first tier stays on 63号
附件1 (第三十条). Switching the purpose to 复核 shows the review variants. On the screening page the user starts a
review screening of the titles expiring in a chosen period and sees it listed with its purpose and rulebooks.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest
from browser_helpers import Shots

from srdi.db.models import AssessmentRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_2026_date_is_judged_under_2号_beside_last_year_and_a_review_screening_runs(browser, world):
    page = browser.page
    shot = Shots(page, "rules2026")
    browser.login("city_browser")

    page.goto(f"{browser.base_url}/enterprises/{world.binjiang.pk}/")
    page.wait_for_load_state("networkidle")
    form = page.get_by_role("form", name="评价基准日与目的")
    form.locator("input[name=as_of]").fill("2026-06-30")
    form.get_by_role("button", name="按此日期评价").click()
    page.wait_for_load_state("networkidle")
    section = page.locator("#section-assessment")
    assert "评价基准日 2026-06-30（认定申报）" in section.inner_text()
    comparison = section.locator("table.comparison-table")
    text = comparison.inner_text()
    assert "与一年前（2025-06-30" in text
    assert "评价标准已更换：miit63.srdi_sme → miit26.srdi_sme" in text
    assert "评价标准已更换：miit63.little_giant → miit26.little_giant" in text
    assert "第三十条" in text  # the first tier stays on 63号 附件1
    shot("enterprise-2026")

    form = page.get_by_role("form", name="评价基准日与目的")
    form.locator("select[name=purpose]").select_option("review")
    form.get_by_role("button", name="按此日期评价").click()
    page.wait_for_load_state("networkidle")
    assert "评价基准日 2026-06-30（复核）" in page.locator("#section-assessment").inner_text()
    shot("enterprise-2026-review")

    page.goto(f"{browser.base_url}/screening/")
    start = page.get_by_role("form", name="发起筛查")
    start.locator("input[name=as_of]").fill("2026-06-30")
    start.locator("select[name=purpose]").select_option("review")
    start.locator("input[name=review_from]").fill("2026-01-01")
    start.locator("input[name=review_to]").fill("2028-12-31")
    page.once("dialog", lambda dialog: dialog.accept())
    start.get_by_role("button", name="开始筛查").click()
    # the run's own line (exact: the flash "已开始筛查（…）" quotes the same words while the run is quick)
    page.get_by_text("复核（称号到期 2026-01-01 至 2028-12-31）", exact=True).wait_for(timeout=60_000)
    page.wait_for_load_state("networkidle")
    run = AssessmentRun.objects.get(purpose="review")
    assert run.review_to.isoformat() == "2028-12-31"
    page.locator("details.run-rulebooks summary").click()
    assert "miit26.srdi_sme" in page.locator("details.run-rulebooks").inner_text()
    shot("screening-review")
    assert not browser.console_errors, browser.console_errors
