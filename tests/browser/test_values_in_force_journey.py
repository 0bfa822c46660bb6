"""Issue W2 5/7 in a real Chromium: after an approved change sets 81号 第6条's unset ratio, the measure page shows
the value with its version, document and a link to its history, and the 尚缺信息 page no longer lists it as 未设定
but under 经批准调整的参数. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import date

import pytest
from browser_helpers import Shots

from srdi.services import parameters
from srdi.services.accounts import create_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RATIO = "hz81.6.tech_transaction_ratio"


def test_the_policy_pages_show_an_approved_value_with_its_version(browser, world):
    admin = create_user(username="admin_browser_pv", password="x", role="city_admin", check_password=False)
    change = parameters.propose(
        world.users["city"],
        pid=RATIO,
        value="0.05",
        effective_from=date(2025, 1, 1),
        document="杭经信〔2025〕6号",
        article="第二条",
        reason="技术交易奖励比例公布",
        as_text=True,
    )
    parameters.decide(change.pk, admin, approve=True)
    page = browser.page
    shot = Shots(page, "values-in-force")
    browser.login("city_browser")

    page.goto(f"{browser.base_url}/policy/hz81/6/")
    page.wait_for_load_state("networkidle")
    row = page.locator(f"tr[id='param-{RATIO}']")
    params = page.locator("section[aria-labelledby=params-heading]")
    text = params.inner_text()
    assert "5%" in text and change.version in text and "杭经信〔2025〕6号 第二条" in text
    link = params.locator(f"a[data-param-history='{RATIO}']")
    assert link.get_attribute("href") == f"/policy/parameters/history/{RATIO}/"
    assert row.count() == 1
    shot("measure-6")

    page.goto(f"{browser.base_url}/policy/hz81/gaps/")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"tr[data-unset-param='{RATIO}']").count() == 0
    changed = page.locator(f"tr[data-changed-param='{RATIO}']").inner_text()
    assert change.version in changed and "5%" in changed
    shot("gaps")
    assert not browser.console_errors, browser.console_errors
