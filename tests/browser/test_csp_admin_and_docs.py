"""The Content-Security-Policy now covers the admin and the API docs: in a real Chromium, their pages work and
the browser reports no CSP violation (an inline script, an eval or a foreign origin would be one)."""

from __future__ import annotations

import pytest
from browser_helpers import PASSWORD

from srdi.services.accounts import create_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_admin_and_api_docs_run_under_the_csp_without_violations(browser, world):
    create_user(username="admin_browser", password=PASSWORD, role="city_admin")
    create_user(username="system_browser", password=PASSWORD, role="system_admin")
    page = browser.page
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    browser.login("admin_browser")

    pages = [
        "/admin/",
        "/admin/srdi/enterprise/",
        f"/admin/srdi/enterprise/{world.west.pk}/change/",
        "/admin/srdi/auditevent/",
    ]

    def visit(path: str) -> None:
        response = page.goto(f"{browser.base_url}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")

    for path in pages:
        visit(path)
    # The user accounts are the system administrator's (三权分立): that page under a second sign-in.
    page.context.clear_cookies()
    browser.login("system_browser")
    visit("/admin/srdi/user/")
    page.context.clear_cookies()
    browser.login("admin_browser")
    # The admin's own scripts ran: the change list's "select all" checkbox is wired by actions.js.
    page.goto(f"{browser.base_url}/admin/srdi/enterprise/")
    page.check("#action-toggle")
    assert (
        page.locator("input.action-select:checked").count() == page.locator("input.action-select").count() > 0
    )

    response = page.goto(f"{browser.base_url}/api/v1/docs")
    assert response is not None and response.status == 200
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # Swagger UI rendered the operations
    assert violations == [], violations
    assert not [e for e in browser.console_errors if "Content Security Policy" in e]
