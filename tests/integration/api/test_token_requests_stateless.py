"""A bearer-token API request touches no session, CSRF or message machinery (``srdi.api.stateless``): no session
row is read or written and no cookie is set, even when the caller's browser session cookie comes along; a
session request keeps all of it (its CSRF check included)."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from tests.conftest import make_uscc
from tests.integration.api.helpers import API
from tests.signin import sign_in

from srdi.api.stateless import is_token_request
from srdi.services.tokens import create_token

pytestmark = pytest.mark.django_db
LIST = f"{API}/enterprises"
BODY = json.dumps({"as_of": "2025-06-30", "enterprises": [{"uscc": make_uscc()}]})


def _session_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if "django_session" in q["sql"]]


def test_a_token_request_sets_no_cookie_and_reads_no_session(world):
    raw = create_token(world.users["city_staff"], "无状态")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    with CaptureQueriesContext(connection) as queries:
        read = client.get(LIST)
        written = client.post(f"{API}/assess", data=BODY, content_type="application/json")
    assert read.status_code == 200 and written.status_code == 200
    for response in (read, written):
        assert not response.cookies, response.cookies
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")
    assert _session_statements(queries) == []
    assert Session.objects.count() == 0


def test_a_token_request_with_a_session_cookie_leaves_the_session_alone(world):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, world.users["city_admin"])
    session = Session.objects.get()
    expires = session.expire_date
    raw = create_token(world.users["auditor"], "浏览器里的令牌")
    browser.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    with CaptureQueriesContext(connection) as queries:
        listed = browser.get(LIST)
        assessed = browser.post(f"{API}/assess", data=BODY, content_type="application/json")  # no CSRF token
    assert listed.status_code == 200 and assessed.status_code == 200
    assert not listed.cookies and not assessed.cookies  # SESSION_SAVE_EVERY_REQUEST would have refreshed it
    assert _session_statements(queries) == []
    session.refresh_from_db()
    assert session.expire_date == expires
    # the token's user acts, not the session's: an auditor may not write
    created = browser.post(
        f"{API}/enterprises", data=json.dumps({"uscc": make_uscc()}), content_type="application/json"
    )
    assert created.status_code == 403 and "CSRF" not in created.json()["detail"]


def test_a_session_request_keeps_its_session_and_csrf(world):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, world.users["city_staff"])
    assert browser.get(LIST).status_code == 200
    refused = browser.post(f"{API}/assess", data=BODY, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert browser.get("/").cookies.get("sessionid") is not None  # the page still refreshes its session


@pytest.mark.parametrize(
    ("path", "header", "expected"),
    [
        (LIST, "Bearer srdi_x", True),
        (LIST, "bearer srdi_x", True),
        (LIST, "Basic dXNlcjpwYXNz", False),
        (LIST, "", False),
        ("/enterprises/", "Bearer srdi_x", False),  # a page: the browser machinery stays
    ],
)
def test_what_counts_as_a_token_request(path, header, expected):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    assert is_token_request(RequestFactory().get(path, **extra)) is expected
