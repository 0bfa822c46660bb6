"""``ApiJsonMiddleware``: every error answer under /api/ is JSON, whoever produced it.

Install it first in ``MIDDLEWARE`` (after only ``SecurityHeadersMiddleware``, which adds headers and answers
nothing itself) so that it sees every answer, including those of the other middleware.
For /api/ paths it refuses a query string that is not UTF-8 (400, where Django would silently turn the bytes
into U+FFFD and search for them), answers an exception that escaped a view with a JSON 500 naming a request
id, and replaces any error answer that is not JSON — Django's HTML 404/403/400/500 pages, the plain-text 405
of a wrong method — by the API's error body, keeping the status and the headers (``Allow`` on a 405, the
security headers, cookies). Errors raised inside operations are answered by ``srdi.api.errors`` already.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from srdi.api.fallback import (
    BAD_QUERY_ENCODING,
    error_response,
    is_api_path,
    replacement_detail,
    server_error,
)

# Headers that describe the replaced body; every other header of the replaced answer is kept.
_BODY_HEADERS = frozenset(
    {"content-type", "content-length", "content-disposition", "content-encoding", "content-language"}
)
# Exceptions Django turns into 400/403/404 answers itself (then replaced here): not server errors.
_CLIENT_ERRORS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)


def query_is_utf8(query: str) -> bool:
    """Whether a raw query string (as the WSGI server passes it, latin-1 text) decodes as UTF-8."""
    try:
        raw = query.encode("latin-1")
    except UnicodeEncodeError:  # already text beyond latin-1 (a test client): nothing to decode
        return True
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def is_json(response: HttpResponseBase) -> bool:
    media_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def allowed_methods(response: HttpResponseBase) -> list[str]:
    return sorted({m.strip().upper() for m in response.get("Allow", "").split(",") if m.strip()})


class ApiJsonMiddleware:
    """JSON answers under /api/ (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_api_path(request.path_info):
            return self.get_response(request)
        if not query_is_utf8(request.META.get("QUERY_STRING", "")):
            return error_response(400, BAD_QUERY_ENCODING)
        response = self.get_response(request)
        if response.status_code < 400 or is_json(response):
            return response
        return self._replaced(request, response)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path_info) or isinstance(exception, _CLIENT_ERRORS):
            return None
        return server_error(request, exception)

    @staticmethod
    def _replaced(request: HttpRequest, response: HttpResponseBase) -> HttpResponse:
        status = response.status_code
        allowed = allowed_methods(response)
        if status >= 500:
            # Django has already logged the traceback; the log line of ``server_error`` ties it to the id.
            replacement = server_error(request, None)
            replacement.status_code = status
        else:
            replacement = error_response(status, replacement_detail(request, status, allowed))
        for name, value in response.items():
            if name.lower() not in _BODY_HEADERS and name not in replacement:
                replacement[name] = value
        if allowed:
            replacement["Allow"] = ", ".join(allowed)
        replacement.cookies = response.cookies
        return replacement
