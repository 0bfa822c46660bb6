"""Issue 14 in a real Chromium: a city staff member proposes a parameter change and sees its simulated effect;
a city administrator opens it, approves it; the parameter's history shows it approved with its version.

Three scenes selected in 2025 (81号 第7条, 50万元 each) are on record; the proposal lowers the award to 40万元 for
2025, so the effect is −150万元 (−30万元 a scene). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json

import pytest
from browser_helpers import ADMIN_USER, BINJIANG, PASSWORD, SCENE_AMOUNT, Shots, uscc

from srdi.db.models import ParameterChange
from srdi.services.accounts import create_user
from srdi.services.imports import import_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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


def test_propose_see_the_effect_approve_as_another_user_see_the_history(browser, world):
    profile = {
        "uscc": uscc(9, BINJIANG),
        "name": "杭州滨江场景示范科技有限公司",
        "district": BINJIANG,
        "certifications": [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}],
        "events": [{"kind": "scene_award", "scene_id": f"BS{i}", "date": "2025-06-01"} for i in range(3)],
    }
    assert import_file(json.dumps([profile], ensure_ascii=False).encode(), "scenes.json").ok
    create_user(username=ADMIN_USER, password=PASSWORD, role="city_admin")
    page = browser.page
    shot = Shots(page, "parameters")

    # city staff proposes
    browser.login("city_browser")
    _nav(page, "参数管理")
    page.get_by_role("link", name="提出参数调整").click()
    page.wait_for_load_state("networkidle")
    form = page.get_by_role("form", name="提出参数调整")
    form.locator("select[name=parameter]").select_option(SCENE_AMOUNT)
    assert "金额以万元填写" in form.locator("[data-unit-hint]").inner_text()
    form.locator("textarea[name=value]").fill("40万")
    form.locator("input[name=effective_from]").fill("2025-01-01")
    form.locator("input[name=effective_to]").fill("2025-12-31")
    form.locator("input[name=document]").fill("杭经信〔2025〕88号")
    form.locator("input[name=article]").fill("第三条")
    form.locator("textarea[name=reason]").fill("场景奖励标准按新细则调整为每个40万元")
    shot("propose")
    form.get_by_role("button", name="提交并测算影响").click()
    page.wait_for_load_state("networkidle")
    change = ParameterChange.objects.get(parameter=SCENE_AMOUNT)
    assert page.url.endswith(f"/policy/parameters/change/{change.pk}/")
    effect = page.locator("[data-effect]")
    assert effect.locator("[data-effect-total]").inner_text() == "-30万元"
    assert "杭州滨江场景示范科技有限公司" in effect.locator("[data-most-affected]").inner_text()
    assert effect.locator("[data-losers]").first.inner_text() == "1"
    effect.locator('[data-policy-chart="bar"][data-chart-ready] svg').first.wait_for()
    assert "提出人不能审批自己提出的参数调整" in page.inner_text("main")
    assert page.get_by_role("button", name="批准", exact=True).count() == 0
    shot("effect-as-proposer")
    _logout(page)

    # city admin approves
    browser.login(ADMIN_USER)
    _nav(page, "参数管理")
    page.get_by_role("link", name=change.version, exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-effect] [data-effect-total]").inner_text() == "-30万元"
    decide = page.get_by_role("form", name="审批参数调整")
    decide.locator("textarea[name=reason]").fill("同意，按88号文执行")
    decide.locator("input[name=stepup_password]").fill(PASSWORD)  # approving needs the password again
    decide.get_by_role("button", name="批准", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-status]").inner_text() == "已批准"
    shot("approved")

    # the history shows it approved with its version
    page.get_by_role("link", name=SCENE_AMOUNT).first.click()
    page.wait_for_load_state("networkidle")
    row = page.locator(f'tr[data-change="{change.version}"]')
    text = row.inner_text()
    assert "已批准" in text and ADMIN_USER in text and "city_browser" in text and "杭经信〔2025〕88号" in text
    assert "40万元" in text
    assert (
        "50万元" in page.locator("[data-in-force]").inner_text()
    )  # today is outside 2025: the baseline holds
    shot("history")
    change.refresh_from_db()
    assert change.status == "approved" and change.decided_by is not None
    assert change.decided_by.username == ADMIN_USER
    assert not browser.console_errors, browser.console_errors
