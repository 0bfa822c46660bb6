"""Small request/response helpers shared by the views: the client address and no-store responses.

Use ``client_ip`` wherever a service wants ``ip=`` for its audit record, and ``no_store`` on any response that
shows personal data or a file export, so that browsers and proxies keep no copy; ``download`` for a stored
document offered as a file.
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse


def client_ip(request: HttpRequest) -> str:
    """The client's address as django-axes resolved it (same value in the lockout table and the audit log)."""
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "") or ""


def no_store(response: HttpResponse) -> HttpResponse:
    """Forbid caching of the response (personal data, exports)."""
    response["Cache-Control"] = "no-store, private"
    response["Pragma"] = "no-cache"
    return response


def attachment_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name as RFC 5987 ``filename*``."""
    fallback = (
        "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in filename) or "download"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """A stored document as an attachment that the browser neither renders nor caches."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return no_store(response)
