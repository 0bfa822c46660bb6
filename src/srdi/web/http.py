"""Small request/response helpers shared by the views: the client address and no-store responses.

Use ``client_ip`` wherever a service wants ``ip=`` for its audit record, and ``no_store`` on any response that
shows personal data or a file export, so that browsers and proxies keep no copy.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def client_ip(request: HttpRequest) -> str:
    """The client's address as django-axes resolved it (same value in the lockout table and the audit log)."""
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "") or ""


def no_store(response: HttpResponse) -> HttpResponse:
    """Forbid caching of the response (personal data, exports)."""
    response["Cache-Control"] = "no-store, private"
    response["Pragma"] = "no-cache"
    return response
