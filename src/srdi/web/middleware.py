"""Request middleware: security headers and the periodic password change required by 等保."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

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


class PasswordExpiryMiddleware:
    """Sends users whose password is older than SRDI_PASSWORD_MAX_AGE_DAYS to the change-password page."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/api/", "/admin/logout")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        max_age = getattr(settings, "SRDI_PASSWORD_MAX_AGE_DAYS", 0)
        if not max_age or request.path.startswith(self.EXEMPT_PREFIXES):
            return self.get_response(request)  # before touching request.user, which loads the session
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            changed = getattr(user, "password_changed_at", None)
            if changed is not None and timezone.now() - changed > timedelta(days=max_age):
                return redirect("web:password_change")
        return self.get_response(request)
