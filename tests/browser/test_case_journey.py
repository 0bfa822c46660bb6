"""Issue 4/4 acceptance: a whole case in a real Chromium, with screenshots kept in test-artifacts/.

A 免申即享 offer (81号 第9条 技术改造补助) is confirmed by the enterprise (bank account filled on the page),
passed by the district (bulk action from its queue), passed by a city reviewer (→ 公示), approved after the
publicity by a different city administrator (step-up password), and paid by finance through a payment run;
the enterprise then sees 已拨付. The database's final state and every ledger invariant are checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from browser_helpers import Shots
from tests.conftest import make_uscc
from tests.integration.money.conftest import SRDI_CERT, renovation

from srdi.db.models import BudgetAccount, Case, CaseTransition, Enterprise, Payment, Programme, User
from srdi.services.accounts import create_user
from srdi.services.cases import today
from srdi.services.imports import import_file
from srdi.services.ledger_verify import verify_all
from srdi.services.programmes import create_programme, generate_offers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WEST_LAKE = "330106"
ACCOUNT = "6222020200001234"
PASSWORD = "Kt9!Lantern-Quay"  # passes the password policy (create_user checks it)


@dataclass
class Journey:
    programme: Programme
    enterprise: Enterprise
    case: Case
    users: dict[str, User]


@pytest.fixture
def journey(transactional_db, monkeypatch) -> Journey:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls from the Playwright thread
    uscc = make_uscc(WEST_LAKE)
    profile = {
        "uscc": uscc,
        "name": "杭州西湖旅程精密制造有限公司",
        "district": WEST_LAKE,
        "industry_code": "C3976",
        "certifications": SRDI_CERT,
        "compliance": {"dishonest": False},
        "events": [renovation("JT-2025-01", 1_000_000_000)],  # 有效投资 1000万元 → 20% = 200万元
    }
    result = import_file(json.dumps([profile], ensure_ascii=False).encode(), "journey.json")
    assert not result.errors, result.error_messages()
    users = {
        "enterprise": create_user(
            username="journey_ent", password=PASSWORD, role="enterprise", enterprise_uscc=uscc
        ),
        "district": create_user(
            username="journey_district", password=PASSWORD, role="district_staff", district_code=WEST_LAKE
        ),
        "city": create_user(username="journey_city", password=PASSWORD, role="city_staff"),
        "admin": create_user(username="journey_admin", password=PASSWORD, role="city_admin"),
        "finance": create_user(username="journey_finance", password=PASSWORD, role="finance"),
    }
    programme = create_programme(
        code="hz81-9-2025",
        name="2025年技改补助",
        article=9,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=50_000 * 1_000_000,  # 5亿元
        district_budget_fen=5_000 * 1_000_000,
        actor=users["admin"],
    )
    summary = generate_offers(programme, actor=users["admin"])
    assert summary.created == 1
    enterprise = Enterprise.objects.get(uscc=uscc)
    return Journey(programme, enterprise, Case.objects.get(programme=programme, enterprise=enterprise), users)


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


def _state(page) -> str:
    return page.locator("[data-case-state]").get_attribute("data-case-state") or ""


def test_offer_confirmed_reviewed_approved_after_publicity_and_paid(browser, journey):
    page = browser.page
    page.on("dialog", lambda dialog: dialog.accept())  # the pages' data-confirm prompts
    shot = Shots(page, "case-journey")
    case_url = f"{browser.base_url}/cases/{journey.case.pk}/"

    # 1. The enterprise finds the offer in its queue and its inbox.
    browser.login("journey_ent")
    inbox_link = page.get_by_role("navigation", name="主导航").get_by_role("link", name="消息（1）")
    assert inbox_link.count() == 1
    _nav(page, "兑现事项")
    assert page.locator("h1").inner_text() == "我的兑现事项"
    assert page.locator("table.case-table tbody tr").count() == 1
    shot("enterprise-offers")

    page.get_by_role("link", name=journey.case.title).click()
    page.wait_for_load_state("networkidle")
    assert _state(page) == "offered"
    basis = page.locator("#section-basis").inner_text()
    assert "1,000万元 × 20% = 200万元" in basis and "81号 第9条" in basis
    shot("enterprise-offer")

    # 2. 意愿确认: the bank account, then confirm.
    page.fill("input[name=bank_account_name]", journey.enterprise.name)
    page.fill("input[name=bank_name]", "杭州银行西湖支行")
    page.fill("input[name=bank_account_number]", ACCOUNT)
    shot("enterprise-bank-account")
    page.get_by_role("button", name="确认意愿并提交").click()
    page.wait_for_load_state("networkidle")
    assert _state(page) == "district_review"
    assert "已确认意愿并提交" in page.locator(".messages").inner_text()
    shot("enterprise-confirmed")
    _logout(page)

    # 3. The district passes it from its queue with the bulk action.
    browser.login("journey_district")
    _nav(page, "兑现事项")
    page.get_by_role("link", name="区县审核").first.click()
    page.wait_for_load_state("networkidle")
    submit = page.locator("button[data-bulk-submit]")
    assert submit.is_disabled()  # money.js: nothing selected yet
    page.get_by_label(f"选择事项 #{journey.case.pk}").check()
    assert submit.is_enabled() and page.locator("[data-selected-count]").inner_text() == "1"
    page.select_option("select[name=action]", "district_pass")
    shot("district-queue")
    submit.click()
    page.wait_for_load_state("networkidle")
    assert "1 件已办理" in page.locator(".messages").inner_text()
    shot("district-passed")
    page.goto(case_url)
    assert _state(page) == "city_review"
    # The district does not see the full account number.
    assert ACCOUNT not in page.content() and "**** **** 1234" in page.content()
    _logout(page)

    # 4. City review → 公示.
    browser.login("journey_city")
    page.goto(case_url)
    page.get_by_role("button", name="市级审核通过，进入公示").click()
    page.wait_for_load_state("networkidle")
    assert _state(page) == "publicity"
    shot("city-passed-publicity")
    _nav(page, "公示")
    assert journey.enterprise.name in page.locator("table.publicity-table").inner_text()
    shot("publicity-list")
    _logout(page)

    # 5. The publicity period (5 working days from today) is over: move it into the past.
    Case.objects.filter(pk=journey.case.pk).update(
        publicity_starts_on=today() - timedelta(days=2), publicity_ends_on=today() - timedelta(days=1)
    )

    # 6. A different city administrator approves, re-entering the password (step-up).
    browser.login("journey_admin")
    page.goto(case_url)
    form = page.locator('form.case-action[data-action="approve"]')
    assert form.locator("input[name=amount_yuan]").input_value() == "2000000.00"
    form.locator("input[name=stepup_password]").fill(PASSWORD)
    shot("admin-approve")
    form.get_by_role("button", name="批准（公示期满）").click()
    page.wait_for_load_state("networkidle")
    assert _state(page) == "approved"
    shot("admin-approved")
    page.get_by_role("link", name="查看 / 打印批准文书").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-approved-amount]").inner_text() == "¥2,000,000.00"
    assert "journey_admin" in page.locator("[data-approver]").inner_text()
    shot("approval-document")
    _logout(page)

    # 7. Finance creates a payment run (step-up) and executes it.
    browser.login("journey_finance")
    _nav(page, "拨付")
    page.fill("input[name=stepup_password]", PASSWORD)
    shot("finance-payments")
    page.get_by_role("button", name="列入新的拨付批次").click()
    page.wait_for_load_state("networkidle")
    assert "拨付批次 #" in page.locator("h1").inner_text()
    assert ACCOUNT in page.locator("table.lines-table").inner_text()  # finance sees the full account
    shot("finance-run")
    page.get_by_role("button", name="执行拨付").click()
    page.wait_for_load_state("networkidle")
    assert "成功 1 笔" in page.locator(".messages").inner_text()
    shot("finance-paid")
    _logout(page)

    # 8. The enterprise sees 已拨付.
    browser.login("journey_ent")
    _nav(page, "兑现事项")
    page.get_by_role("link", name="已拨付").first.click()
    page.wait_for_load_state("networkidle")
    assert journey.case.title in page.locator("table.case-table").inner_text()
    shot("enterprise-paid-list")
    page.goto(case_url)
    assert _state(page) == "paid"
    assert "已拨付" in page.locator(".case-header").inner_text()
    timeline = page.locator("#section-timeline").inner_text()
    for step in (
        "确认意愿并提交",
        "区县审核通过",
        "市级审核通过，进入公示",
        "批准（公示期满）",
        "确认拨付成功",
    ):
        assert step in timeline
    shot("enterprise-paid")
    assert not browser.console_errors, browser.console_errors  # no CSP violation, no missing asset

    # The database agrees, and the ledger verifies.
    case = Case.objects.get(pk=journey.case.pk)
    assert case.state == "paid" and case.approved_fen == 200_000_000
    assert case.approver_id == journey.users["admin"].pk
    assert case.district_reviewer_id == journey.users["district"].pk
    assert case.city_reviewer_id == journey.users["city"].pk
    assert Payment.objects.get(case=case).amount_fen == 200_000_000
    names = list(CaseTransition.objects.filter(case=case).values_list("name", flat=True))
    assert names == ["confirm", "district_pass", "city_pass", "approve", "schedule_payment", "mark_paid"]
    city = BudgetAccount.objects.get(programme=journey.programme, side="city")
    assert city.paid_fen == case.city_fen and city.used_fen == case.city_fen
    failures = [f"{c.code}: {c.violations[:3]}" for c in verify_all() if not c.ok]
    assert not failures, failures
