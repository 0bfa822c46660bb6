"""The edges of /api/: every answer is JSON in the API's error shape, with the right status and one Content-Type.

Unknown paths and trailing slashes (404, never the site's HTML page or a redirect), wrong methods (405 with
``Allow``), query strings that are not UTF-8 (400), bodies that are not JSON, not declared JSON or too large
(400/415/413), CSRF and authentication failures (403/401) and server errors (500 with a request id, no
traceback), with DEBUG off as in production (and on, for the 500).
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Any

import pytest
from django.test import Client
from tests.integration.api.helpers import API, post_json, wsgi_app

from srdi.api import docs
from srdi.services import enterprises
from srdi.web import middleware as web_middleware

pytestmark = pytest.mark.django_db

LIST = f"{API}/enterprises"
JSON = "application/json; charset=utf-8"


def assert_json_error(response, status: int, *, contains: str = "") -> dict[str, Any]:
    """The answer is ``status`` with the API's error body (a Chinese ``detail``) and no redirect."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == JSON
    assert not response.has_header("Location")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert contains in body["detail"]
    assert response["Cache-Control"].startswith("no-store")
    return body


@pytest.fixture
def admin(world, bearer) -> Client:
    return bearer(world.users["city_admin"])


# --- unknown paths, trailing slashes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api", "/api/", "/api/v2/enterprises", f"{API}/", f"{API}/nope", f"{API}/enterprises/x/y/z"]
)
def test_unknown_paths_are_json_404(admin, path):
    assert_json_error(admin.get(path), 404, contains="接口地址不存在")


def test_unknown_paths_are_json_404_without_credentials_too():
    assert_json_error(Client().get(f"{API}/nope"), 404)


def test_a_trailing_slash_is_a_json_404_naming_the_right_address(admin):
    body = assert_json_error(post_json(admin, f"{API}/assess/", {}), 404)
    assert f"{API}/assess" in body["detail"] and "斜杠" in body["detail"]
    assert_json_error(admin.get(f"{LIST}/"), 404, contains=LIST)
    # a path that is wrong with or without the slash gets no such hint
    assert "斜杠" not in assert_json_error(admin.get(f"{API}/nope/"), 404)["detail"]


# --- wrong methods ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/assess", "POST"),
        ("DELETE", "/enterprises", "GET, POST"),
        ("PATCH", "/enterprises/91330106MA2H0EXAMG", "GET, PUT"),
        ("PUT", "/enterprises/91330106MA2H0EXAMG/entitlements", "GET"),
    ],
)
def test_a_wrong_method_is_json_405_with_allow(admin, method, path, allow):
    response = admin.generic(method, f"{API}{path}")
    body = assert_json_error(response, 405, contains=method)
    assert response["Allow"] == allow
    assert allow in body["detail"]


# --- query strings and bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["q=%ff", "q=%e8%a5", "district=%c0%af", "%fe=1"])
def test_a_query_string_that_is_not_utf8_is_json_400(admin, query):
    assert_json_error(admin.get(f"{LIST}?{query}"), 400, contains="UTF-8")


@pytest.mark.parametrize("query", ["q=%00", "q=a%0Ab", "q=%7F"])
def test_control_characters_in_a_search_are_json_422(admin, query):
    # PostgreSQL cannot hold NUL in text: refused as invalid input, never a 500 from the database
    body = assert_json_error(admin.get(f"{LIST}?{query}"), 422)
    assert body["errors"][0]["field"] == "q"


def test_a_utf8_query_string_is_served(admin):
    response = admin.get(f"{LIST}?q=%E8%A5%BF%E6%B9%96")  # 西湖
    assert response.status_code == 200
    assert response.json()["total"] == 3


@pytest.mark.parametrize("url", [f"{API}/assess", f"{API}/entitle", LIST])
def test_a_body_that_is_not_json_is_json_400(admin, url):
    response = admin.post(url, data="{not json", content_type="application/json")
    assert_json_error(response, 400, contains="JSON")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=gbk", "application/xml"],
)
def test_a_body_not_declared_as_utf8_json_is_json_415(admin, content_type):
    for url in (f"{API}/assess", f"{API}/entitle", LIST):
        response = admin.post(url, data='{"enterprises": []}', content_type=content_type)
        assert_json_error(response, 415, contains="Content-Type")


def test_json_with_an_explicit_utf8_charset_is_accepted(admin):
    response = admin.post(
        f"{API}/assess",
        data='{"as_of": "2025-12-31", "enterprises": []}',
        content_type="application/json; charset=UTF-8",
    )
    assert response.status_code == 200


def test_a_body_too_large_is_json_413(admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = '{"enterprises": [], "x": "' + "x" * 2048 + '"}'
    for url in (f"{API}/assess", LIST):
        assert_json_error(admin.post(url, data=big, content_type="application/json"), 413)


# --- authentication and CSRF --------------------------------------------------------------------------------


def test_no_credentials_is_json_401():
    response = Client().get(LIST)
    assert_json_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_write_without_csrf_token_is_json_403(world, session):
    response = post_json(session(world.users["city_admin"]), f"{API}/assess", {"enterprises": []})
    assert_json_error(response, 403, contains="CSRF")


def test_a_csrf_failure_outside_the_operations_is_json_403(world, session):
    # The documentation's assets are an ordinary Django view: Django's CSRF check refuses the POST with its
    # HTML page, which the middleware replaces.
    response = session(world.users["city_admin"]).post(f"{API}/docs/assets/swagger-ui.css")
    assert_json_error(response, 403, contains="CSRF")


# --- server errors ------------------------------------------------------------------------------------------


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("secret internal detail")


def assert_json_500(response, caplog) -> None:
    body = assert_json_error(response, 500)
    request_id = body["request_id"]
    assert len(request_id) == 32 and request_id in body["detail"]
    assert response["X-Request-ID"] == request_id
    assert b"secret internal detail" not in response.content
    assert b"Traceback" not in response.content
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].levelno == logging.ERROR


def test_an_exception_in_an_operation_is_json_500_with_a_request_id(world, bearer, monkeypatch, caplog):
    monkeypatch.setattr(enterprises, "search", _boom)
    client = bearer(world.users["city_admin"])
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="srdi.api"):
        response = client.get(LIST)
    assert_json_500(response, caplog)
    record = next(r for r in caplog.records if response["X-Request-ID"] in r.getMessage())
    assert record.exc_info is not None and "secret internal detail" in str(record.exc_info[1])


def test_an_exception_with_debug_on_still_shows_no_traceback(world, bearer, monkeypatch, caplog, settings):
    settings.DEBUG = True
    monkeypatch.setattr(enterprises, "search", _boom)
    client = bearer(world.users["city_admin"])
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="srdi.api"):
        assert_json_500(client.get(LIST), caplog)


def test_an_exception_in_a_plain_view_under_api_is_json_500(world, bearer, monkeypatch, caplog, tmp_path):
    monkeypatch.setattr(docs, "ASSET_DIR", tmp_path / "missing")
    client = bearer(world.users["city_admin"])
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="srdi.api"):
        assert_json_500(client.get(f"{API}/docs/assets/swagger-ui.css"), caplog)


def test_an_exception_in_another_middleware_is_json_500(world, bearer, monkeypatch, caplog):
    # Django answers it with its HTML 500 page; the middleware replaces the page.
    monkeypatch.setattr(web_middleware.PasswordExpiryMiddleware, "__call__", _boom)
    client = bearer(world.users["city_admin"])
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="srdi.api"):
        assert_json_500(client.get(LIST), caplog)


def test_pages_outside_the_api_keep_their_html_error_pages(world):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- exactly one Content-Type, on the wire ------------------------------------------------------------------


def raw_call(method: str, path: str, query: str = "", body: bytes = b"", **headers: str):
    """Calls the WSGI application directly: status and the header list exactly as a server would send."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        **{f"HTTP_{k.upper()}": v for k, v in headers.items()},
    }
    if "HTTP_CONTENT_TYPE" in environ:
        environ["CONTENT_TYPE"] = environ.pop("HTTP_CONTENT_TYPE")
    started: list[Any] = []
    chunks = wsgi_app(environ, lambda status, header_list: started.extend([status, header_list]))
    return int(started[0].split()[0]), started[1], b"".join(chunks)


def test_every_edge_sends_exactly_one_json_content_type(world, bearer):
    token = bearer(world.users["city_admin"]).defaults["HTTP_AUTHORIZATION"]
    cases = [
        ("GET", f"{API}/nope", "", b"", {}, 404),
        ("POST", f"{API}/assess/", "", b"{}", {"content_type": "application/json"}, 404),
        ("DELETE", LIST, "", b"", {}, 405),
        ("GET", LIST, "q=%ff", b"", {}, 400),
        ("POST", f"{API}/assess", "", b"{bad", {"content_type": "application/json"}, 400),
        ("POST", f"{API}/assess", "", b"{}", {"content_type": "text/plain"}, 415),
        ("GET", LIST, "page=0", b"", {}, 422),
        ("GET", LIST, "", b"", {}, 200),
        ("GET", f"{LIST}/{world.own[0].uscc}", "", b"", {}, 200),
        ("GET", f"{LIST}/{world.own[0].uscc}/entitlements", "", b"", {}, 200),
        ("GET", f"{LIST}/91330106MA2H0EXAMG", "", b"", {}, 404),
    ]
    for method, path, query, body, headers, status in cases:
        got, header_list, _ = raw_call(method, path, query, body, authorization=token, **headers)
        types = [v for k, v in header_list if k.lower() == "content-type"]
        assert (got, types) == (status, [JSON]), f"{method} {path}?{query}"
    got, header_list, _ = raw_call("GET", LIST)  # no credentials
    assert (got, [v for k, v in header_list if k.lower() == "content-type"]) == (401, [JSON])
