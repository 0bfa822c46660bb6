"""Security headers on every kind of answer: pages, the admin, the API and its docs, the 403/404/500 pages,
redirects — and, under the production settings (``srdi.config.settings.prod``, loaded for real), HSTS and
cookies that are Secure, HttpOnly and SameSite."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import include, path, reverse
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PROD_KEY = "prod-test-" + "x" * 40
PROD_HOST = "srdi.example.gov.cn"
# The settings of prod.py that decide headers and cookies (the rest — database, caches — stay the test's).
PROD_SECURITY_NAMES = (
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
)


def _boom(request):
    raise RuntimeError("a bug in a view")


# This module is also the URL configuration of the 500 test: the site's routes plus one view that fails.
urlpatterns = [path("boom/", _boom), path("", include("srdi.config.urls"))]


def import_prod():
    """A fresh import of ``srdi.config.settings.prod`` (and of ``base``, which reads the environment), leaving
    the modules the test run uses in place."""
    names = ("srdi.config.settings.base", "srdi.config.settings.prod")
    saved = {name: sys.modules.pop(name, None) for name in names}
    try:
        return importlib.import_module("srdi.config.settings.prod")
    finally:
        for name, module in saved.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module


def prod_settings(monkeypatch) -> dict:
    """The security settings of ``srdi.config.settings.prod``, imported with a production environment."""
    monkeypatch.setenv("SECRET_KEY", PROD_KEY)
    monkeypatch.setenv("ALLOWED_HOSTS", PROD_HOST)
    monkeypatch.delenv("SRDI_HSTS_PRELOAD", raising=False)
    module = import_prod()
    values = {name: getattr(module, name) for name in PROD_SECURITY_NAMES}
    values["ALLOWED_HOSTS"] = [PROD_HOST, "testserver"]
    return values


def assert_headers(response, where: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp, where
    assert "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp, where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("X-Frame-Options") == "DENY", where
    assert response.get("Referrer-Policy") == "same-origin", where


def test_pages_admin_and_api_docs_carry_every_header(login_as):
    admin = login_as("city_admin")
    samples = {
        "home": admin.get(reverse("web:home")),
        "enterprise list": admin.get(reverse("web:enterprise_list")),
        "admin index": admin.get(reverse("admin:index")),
        "admin change list": admin.get(reverse("admin:srdi_enterprise_changelist")),
        "admin user list": login_as("system_admin").get(reverse("admin:srdi_user_changelist")),
        "site login": Client().get(reverse("web:login")),
        "API docs": admin.get("/api/v1/docs"),
        "API JSON": admin.get("/api/v1/openapi.json"),
        "static file": Client().get("/static/admin/css/base.css"),
    }
    for where, response in samples.items():
        assert response.status_code == 200, where
        assert_headers(response, where)
    # The admin's own sign-in hands over to the site's two-step sign-in; the redirect carries the headers too.
    admin_login = Client().get(reverse("admin:login"))
    assert admin_login.status_code == 302 and admin_login["Location"].startswith(reverse("web:login"))
    assert_headers(admin_login, "admin login")


def test_error_pages_carry_every_header(login_as):
    samples = {
        "404 page": login_as("city_admin").get("/no-such-page/"),
        "404 API": login_as("city_admin").get("/api/v1/no-such-thing"),
        "403 page": login_as("enterprise").get(reverse("web:import")),
        "403 CSRF": Client(enforce_csrf_checks=True).post(reverse("web:login"), {"username": "x"}),
        "401 API docs": Client().get("/api/v1/docs"),
        "admin redirect": login_as("district_staff").get(reverse("admin:index")),
    }
    statuses = {where: r.status_code for where, r in samples.items()}
    assert statuses == {
        "404 page": 404,
        "404 API": 404,
        "403 page": 403,
        "403 CSRF": 403,
        "401 API docs": 401,
        "admin redirect": 302,
    }
    for where, response in samples.items():
        assert_headers(response, where)


@override_settings(ROOT_URLCONF=__name__)
def test_the_500_page_carries_every_header():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "a bug in a view" not in response.content.decode()
    assert_headers(response, "500 page")


def test_production_settings_add_hsts_and_secure_cookies(monkeypatch, seed):
    with override_settings(**prod_settings(monkeypatch)):
        plain = Client().get(reverse("web:login"))
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        assert_headers(plain, "HTTPS redirect")

        login_page = Client().get(reverse("web:login"), secure=True)
        assert login_page.status_code == 200
        assert login_page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert_headers(login_page, "login over HTTPS")
        csrf = login_page.cookies["csrftoken"]
        assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"

        client = sign_in(Client(), seed.users["city_admin"])
        for where, url in {"home": reverse("web:home"), "admin": reverse("admin:index")}.items():
            response = client.get(url, secure=True)
            assert response.status_code == 200, where
            assert "max-age=31536000" in response["Strict-Transport-Security"], where
            assert_headers(response, where)
            session = response.cookies["sessionid"]  # re-sent on every request (SESSION_SAVE_EVERY_REQUEST)
            assert session["secure"] and session["httponly"] and session["samesite"] == "Lax", where


def test_production_settings_refuse_a_missing_short_or_published_key(monkeypatch):
    for key in ("", "short", "dev-only-insecure-key-do-not-use-in-production", "django-insecure-" + "a" * 40):
        monkeypatch.setenv("SECRET_KEY", key)
        with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
            import_prod()
