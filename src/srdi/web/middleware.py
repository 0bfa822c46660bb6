"""Request middleware: security headers, the absolute session lifetime, the second factor for staff, and the
password change required by 等保 (periodic, or after an administrator set the password).

Order in ``MIDDLEWARE``: ``SessionLifetimeMiddleware`` and ``SecondFactorMiddleware`` after django-otp's
``OTPMiddleware``; ``PasswordExpiryMiddleware`` later. Under ``/api/`` they never redirect: the API's session
authentication (``srdi.api.auth``) refuses such sessions with a JSON 401 instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from srdi.services import accounts, second_factor
from srdi.services.password_age import must_renew
from srdi.web.http import client_ip

SIGNED_IN_AT = "srdi_signed_in_at"  # session key: when the sign-in completed (epoch seconds)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


class SecurityHeadersMiddleware:
    """Adds the security headers to every answer — pages, the admin, the API and its docs, static files,
    redirects and the 403/404/500 pages: a Content-Security-Policy that allows only this site's own scripts
    (no CDN, no inline script; the Django admin needs none), and — in case the answer did not pass through
    Django's ``SecurityMiddleware`` — nosniff, the Referrer-Policy and X-Frame-Options. Install it first in
    ``MIDDLEWARE`` so that it sees the answers of every other middleware too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            headers.setdefault("X-Content-Type-Options", "nosniff")
        if settings.SECURE_REFERRER_POLICY:
            headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response


def stamp_sign_in(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: remember when the session was signed in (absolute lifetime)."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = time.time()


def session_max_age_seconds() -> float:
    return float(getattr(settings, "SRDI_SESSION_MAX_AGE_HOURS", 12) or 0) * 3600


def _login_redirect(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('web:login')}?{urlencode({'next': request.get_full_path()})}")


class SessionLifetimeMiddleware:
    """Ends a session ``SRDI_SESSION_MAX_AGE_HOURS`` after its sign-in, however active (the 30-minute idle
    timeout is Django's ``SESSION_COOKIE_AGE``). Pages go back to sign-in; API calls continue unauthenticated
    (401). The end is audited as a sign-out with reason ``session_lifetime``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = session_max_age_seconds()
        if not limit or request.path.startswith("/static/"):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            if started is None:
                request.session[SIGNED_IN_AT] = time.time()  # a session from before the limit existed
            elif time.time() - float(started) > limit:
                accounts.record_logout(user, ip=client_ip(request), reason="session_lifetime")
                logout(request)
                if not request.path.startswith("/api/"):
                    hours = getattr(settings, "SRDI_SESSION_MAX_AGE_HOURS", 12)
                    messages.info(request, f"登录已超过 {hours:g} 小时，请重新登录。")
                    return _login_redirect(request)
        return self.get_response(request)


class SecondFactorMiddleware:
    """Sends a staff user whose session has not passed the second factor to the code page (or to enrolment)
    on every page, ``/admin/`` included. ``/admin/login/`` goes to the site's sign-in page, so that every
    sign-in asks for both factors and is audited."""

    ALLOWED = ("/accounts/login/", "/accounts/logout/", "/accounts/otp/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(self.ALLOWED) or path.startswith("/api/"):
            return self.get_response(request)
        if path == "/admin/login/":
            target = request.GET.get("next") or "/admin/"
            next_path = target if target.startswith("/") and not target.startswith("//") else "/admin/"
            return redirect(f"{reverse('web:login')}?{urlencode({'next': next_path})}")
        user = getattr(request, "user", None)
        if user is not None and second_factor.pending_for(user):
            name = "web:otp_verify" if second_factor.has_device(user) else "web:otp_enrol"
            return redirect(reverse(name))
        return self.get_response(request)


class PasswordExpiryMiddleware:
    """Sends users whose password is older than SRDI_PASSWORD_MAX_AGE_DAYS, or was set by an administrator
    (``must_change_password``), to the change-password page."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/api/", "/admin/logout")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.EXEMPT_PREFIXES):
            return self.get_response(request)  # before touching request.user, which loads the session
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and must_renew(user):
            return redirect("web:password_change")
        return self.get_response(request)
