"""Token requests carry no session: the session, authentication, second-factor and messages middleware step aside
for them.

A request under ``/api/`` with an ``Authorization: Bearer …`` header is a token request (``is_token_request``):
the bearer token is the whole credential (``srdi.api.auth`` tries it first and never falls back to a session when
it is present, even if it is wrong), so nothing of the browser machinery protects anything there. For such a
request these drop-in replacements of Django's and django-otp's middleware (listed in ``MIDDLEWARE`` in their
places) do nothing but leave what later code expects: an empty, never-saved session (no database read or write,
never a ``Set-Cookie``, even with ``SESSION_SAVE_EVERY_REQUEST`` and a session cookie sent along), an anonymous
``request.user`` until the token is checked, no message storage. Every other request goes through the originals
unchanged. Django's own ``CsrfViewMiddleware`` stays (``check --deploy`` asks for it by name): the API's
operations are exempt from it and the session authentication checks CSRF itself (``srdi.api.auth``), so a token
request runs no CSRF check and gets no CSRF cookie (a token is not an ambient credential).
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django_otp.middleware import OTPMiddleware

from srdi.api.fallback import is_api_path

_FLAG = "_srdi_token_request"


def is_token_request(request: HttpRequest) -> bool:
    """Whether the request is an API call authenticated by a bearer token (decided once per request)."""
    known = getattr(request, _FLAG, None)
    if known is None:
        scheme = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0]
        known = is_api_path(request.path_info) and scheme.lower() == "bearer"
        setattr(request, _FLAG, known)
    return bool(known)


class TokenAwareSessionMiddleware(SessionMiddleware):
    """Django's sessions, except that a token request gets an empty session that is never loaded or saved."""

    def process_request(self, request: HttpRequest) -> None:
        if is_token_request(request):
            engine = import_module(settings.SESSION_ENGINE)
            request.session = engine.SessionStore(None)  # no key: nothing to read
            return
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if is_token_request(request):
            return response
        return super().process_response(request, response)


class TokenAwareAuthenticationMiddleware(AuthenticationMiddleware):
    """``request.user`` from the session, except for token requests: anonymous until the token is checked."""

    def process_request(self, request: HttpRequest) -> None:
        if is_token_request(request):
            request.user = AnonymousUser()
            return
        super().process_request(request)


class TokenAwareOTPMiddleware(OTPMiddleware):  # type: ignore[misc]  # django-otp has no type hints
    """django-otp's second-factor accessors, except for token requests (tokens are not asked for one)."""

    def _install_lazy_accessors(self, request: HttpRequest) -> None:
        if not is_token_request(request):
            super()._install_lazy_accessors(request)


class TokenAwareMessageMiddleware(MessageMiddleware):
    """Django's messages, except for token requests (nothing is shown to a system)."""

    def process_request(self, request: HttpRequest) -> None:
        if not is_token_request(request):
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if is_token_request(request):
            return response
        return super().process_response(request, response)
