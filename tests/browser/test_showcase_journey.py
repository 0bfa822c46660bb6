"""Issue 15 item 7 in a real Chromium: city staff propose a showcase entry (典型案例, 81号 第26条) and submit it,
the enterprise agrees in its portal, a second city user approves it, and an anonymous visitor finds it on the
public page (filters, the entry page) without any console error (the CSP allows no inline script); when the
enterprise withdraws its consent the entry is gone at once. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from browser_helpers import PASSWORD, Shots
from django.utils import timezone

from srdi.db.models import Certification, ShowcaseEntry
from srdi.services.accounts import create_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

STORY = "深耕高精度伺服电机细分市场十二年，主导产品进入国内头部装备企业供应链，参与起草行业标准两项。"


def _logout(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state("networkidle")


def _nav(page, label: str) -> None:
    """Follow a menu entry, opening its drop-down group first when it sits in one (典型案例 is under 政策 for
    staff, on the bar for an enterprise user)."""
    nav = page.get_by_role("navigation", name="主导航")
    link = nav.get_by_role("link", name=label, exact=True)
    if not link.is_visible():
        inner = page.locator(f'a.dropdown-item:text-is("{label}")')  # hidden until opened: not by role
        nav.locator("li.dropdown", has=inner).locator(".dropdown-toggle").click()
    link.click()
    page.wait_for_load_state("networkidle")


def _public_names(page) -> list[str]:
    return page.locator("[data-showcase-list] [data-entry] h2").all_inner_texts()


def test_propose_consent_approve_and_the_public_page(browser, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    Certification.objects.create(
        enterprise=world.west, tier="little_giant", recognized_on=today - timedelta(days=30)
    )
    create_user(username="admin_browser", password=PASSWORD, role="city_admin")
    create_user(username="ent_browser", password=PASSWORD, role="enterprise", enterprise_uscc=world.west.uscc)
    page = browser.page
    shot = Shots(page, "showcase")

    # city staff propose the entry and submit it
    browser.login("city_browser")
    _nav(page, "典型案例")
    page.get_by_role("link", name="推荐典型案例").click()
    page.wait_for_load_state("networkidle")
    form = page.get_by_role("form", name="典型案例")
    form.locator("input[name=uscc]").fill(world.west.uscc)
    form.locator("input[name=public_name]").fill("明远精密")
    form.locator("select[name=cluster]").select_option("high_end_equipment")
    form.locator("textarea[name=story]").fill(STORY + "<b>加粗</b>")
    form.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state("networkidle")
    assert "纯文本" in page.get_by_role("alert").inner_text()
    page.get_by_role("form", name="典型案例").locator("textarea[name=story]").fill(STORY)
    page.get_by_role("form", name="典型案例").get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state("networkidle")
    actions = page.get_by_role("form", name="办理典型案例")
    actions.get_by_role("button", name="提交审核").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1 [data-status]").inner_text() == "待审核"
    shot("submitted")
    _logout(page)

    # the enterprise agrees in its portal
    browser.login("ent_browser")
    _nav(page, "典型案例")
    assert STORY in page.locator("[data-story]").inner_text()
    page.get_by_role("button", name="同意以上内容公开展示").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-consent]").inner_text() == "已同意"
    shot("consented")
    _logout(page)

    # a second city user approves
    browser.login("admin_browser")
    _nav(page, "典型案例")
    page.get_by_role("link", name="明远精密").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("form", name="办理典型案例").get_by_role("button", name="批准发布").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1 [data-status]").inner_text() == "已发布"
    assert page.locator("[data-shown]").get_attribute("data-shown") == "1"
    shot("published")
    _logout(page)

    # anybody: from the sign-in page to the public list, a filter, the entry
    page.get_by_role("link", name="专精特新企业典型案例（无需登录）").click()
    page.wait_for_load_state("networkidle")
    assert _public_names(page) == ["明远精密"]
    assert "国家级专精特新“小巨人”企业" in page.locator("[data-showcase-list]").inner_text()
    shot("public-list")
    filters = page.get_by_role("search", name="筛选典型案例")
    filters.locator("select[name=tier]").select_option("srdi_sme")
    filters.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert _public_names(page) == []
    page.get_by_role("link", name="清除").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="明远精密").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-story]").inner_text() == STORY
    assert world.west.uscc not in page.content() and world.west.name not in page.content()
    shot("public-entry")
    entry_url = page.url

    # the enterprise withdraws its consent: the entry is gone at once
    browser.login("ent_browser")
    _nav(page, "典型案例")
    page.get_by_role("button", name="撤回同意（立即停止展示）").click()
    page.wait_for_load_state("networkidle")
    _logout(page)
    response = page.goto(entry_url)
    assert response is not None and response.status == 404
    assert ShowcaseEntry.objects.get().status == "withdrawn"
    errors = [e for e in browser.console_errors if "404" not in e]  # the last page is a 404 on purpose
    assert not errors, errors
