"""Two-factor sign-in in a real Chromium (issue 13 acceptance: "a browser test signs in with TOTP as district
staff"), from scratch: a new district user types the password, is sent to enrolment, reads the secret shown on
the page (as a person would type it into an authenticator app), confirms with a computed code, is shown ten
recovery codes once, signs out, signs in again with password + code, and reaches the district's enterprise
list. A replayed code is refused on the way.
"""

from __future__ import annotations

import base64
import time

import pytest
from browser_helpers import PASSWORD, Shots
from tests.signin import totp_code

from srdi.db.models import AuditAction, AuditEvent, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in_with_password(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_district_staff_enrols_then_signs_in_with_password_and_code(browser, world):
    page, base_url = browser.page, browser.base_url
    shot = Shots(page, "journey-2fa")
    user = world.users["district"]
    assert user.username == "west_browser"

    # 1. First sign-in: the password leads to enrolment, nothing else is reachable yet.
    sign_in_with_password(page, base_url, user.username)
    assert page.url.endswith("/accounts/otp/enrol/")
    assert page.locator("#otp-qr svg").count() == 1  # the QR code is inline SVG, made by the server
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    shot("enrol")
    page.goto(f"{base_url}/enterprises/")
    assert "/accounts/login/" in page.url  # not signed in before the second factor
    page.go_back()
    page.goto(f"{base_url}/accounts/otp/enrol/")  # the same pending sign-in, the same authenticator
    assert page.locator("#otp-secret").inner_text().replace(" ", "") == secret

    # 2. Confirm with a code computed from the secret; ten recovery codes are shown once.
    code = totp_code(key)
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    shot("recovery-codes")
    page.click("#recovery-continue")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "首页"

    # 3. Sign out.
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url

    # 4. Sign in again: password, then the code page; the code just used is refused (no replay).
    sign_in_with_password(page, base_url, user.username)
    assert page.url.endswith("/accounts/otp/")
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "验证码不正确或已使用过" in page.locator(".alert-danger").inner_text()
    shot("replay-refused")

    time.sleep(1.1)  # django-otp makes the device wait after a failure
    fresh = totp_code(key, at=time.time() + 30)  # the next time step: accepted, and not the used one
    page.fill("input[name=code]", fresh)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "首页"

    # 5. The district's enterprise list, and only the district's.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="企业库", exact=True).click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.enterprise-table tbody tr")
    assert rows.count() == 2
    assert world.binjiang.name not in page.content()
    shot("enterprise-list")
    assert not browser.console_errors, browser.console_errors

    signed_in = AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=User.objects.get(pk=user.pk))
    assert [e.extra for e in signed_in.order_by("id")] == [{"second_factor": "totp"}] * 2
    assert (
        AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, object_type="second_factor").count() == 1
    )
