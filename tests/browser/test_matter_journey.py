"""Issue W2 1/7 in a real Chromium, on the demo data: one matter across programmes and each district's budget.

A city reviewer opens the case queue and finds the top-up case of the second 第9条 batch flagged (同一事项另有办理
记录); its page lists the earlier paid case of the same project. The 第9条 programme's budget page shows each
district's own (unequal) budget, 淳安县 at 0 paid in full by the city, and the chart. A payment the bank sent back
waits for its corrected account; a second person confirms it on the case page. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest
from browser_helpers import Shots

from srdi.db.models import BankAccountChange, BudgetAccount, Case, Programme
from srdi.demo.generator import generate
from srdi.services.demo import create_demo_users, load_tables
from srdi.services.demo_money import CITY_PAYS_ALL, SECOND_BATCH, create_demo_money
from srdi.services.ledger_verify import verify_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo(transactional_db, settings, tmp_path, monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.VAR_DIR = tmp_path
    load_tables(generate(1200, 20231227), seed=20231227)
    logins = {name: password for name, password, _role, _scope in create_demo_users([])}
    create_demo_money([])
    return logins


def test_a_duplicate_matter_is_flagged_at_review_and_districts_have_their_own_budgets(browser, demo):
    page = browser.page
    shot = Shots(page, "matter")
    top_up = Case.objects.get(programme__code=SECOND_BATCH[0], state="district_review")
    earlier = Case.objects.get(enterprise=top_up.enterprise, matter=top_up.matter, state="paid")

    browser.login("city_staff", demo["city_staff"])
    page.goto(f"{browser.base_url}/cases/?queue=all&q={top_up.enterprise.uscc}")
    link = page.locator(f'td.title-cell a[href="/cases/{top_up.pk}/"]')
    row = page.locator("tr", has=link)
    assert row.get_by_text("同一事项另有办理记录").is_visible()
    assert page.locator("tr", has=page.locator(f'td.title-cell a[href="/cases/{earlier.pk}/"]')).count() == 1
    shot("queue-flag")
    link.click()
    page.wait_for_load_state("networkidle")
    section = page.locator("#section-matter")
    assert section.get_by_text("重复事项提示").is_visible()
    text = section.inner_text()
    assert f"#{earlier.pk}" in text and "已拨付" in text and "本件仅可兑现差额" in text
    assert "2025年度专精特新技改补助（第9条）" in text
    shot("case-matter-history")

    programme = Programme.objects.get(code="hz81-9-2025")
    page.goto(f"{browser.base_url}/programmes/{programme.pk}/budgets/")
    caps = {
        b.district_code: b.cap_fen for b in BudgetAccount.objects.filter(programme=programme, side="district")
    }
    assert len(set(caps.values())) > 1 and CITY_PAYS_ALL[0] not in caps  # unequal, 淳安 at 0
    assert "市级全额承担：淳安县" in page.inner_text("main")
    table = page.locator("table.budget-table").inner_text()
    assert "西湖区" in table and "淳安县" not in table
    page.wait_for_selector(".chart svg")
    shot("programme-budgets")

    change = BankAccountChange.objects.get(status="pending")
    page.goto(f"{browser.base_url}/cases/{change.case_id}/")
    account = page.locator("#section-account")
    assert "待确认" in account.inner_text() and "原账户已销户" in account.inner_text()
    account.get_by_role("button", name="核对无误，确认").click()
    page.wait_for_load_state("networkidle")
    assert "已确认收款账户" in page.inner_text("main")
    shot("account-confirmed")
    case = Case.objects.get(pk=change.case_id)
    assert (case.state, case.awaiting_account) == ("payment_failed", False)
    assert not browser.console_errors, browser.console_errors
    assert all(c.ok for c in verify_all())
