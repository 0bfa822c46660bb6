"""Rate limits of the web pages, searches, exports and by-id pages: one middleware, before any view runs.

Every request outside ``/api/`` (the API throttles itself, ``srdi.api.throttles``) and ``/static/`` counts in
the page bucket of the signed-in user, or of the client address when nobody is signed in. On top of that:

- an **export** — the routes in ``EXPORT_ROUTES``, every data download of the site — counts in the export bucket;
- a **search** — any GET with a non-empty ``q`` (enterprise list, cases, publicity, audit log, policy catalogue,
  screening, the admin's change lists) — counts in the search bucket;
- a page naming one object by id (a ``pk`` or ``object_id`` in its route: enterprise, case, evidence, payment
  run, programme, admin change page …) counts in the probe bucket, against enumeration of ids.

Over a limit the answer is 429 with a Chinese page and ``Retry-After``, and the view never runs, so no data
is returned past the threshold. Add a new download route to ``EXPORT_ROUTES`` (a test checks that every
``*_export`` and ``*_file`` route is listed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axes.helpers import get_client_ip_address
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from srdi.db.models import User
from srdi.domain.rate_limits import Bucket
from srdi.services.rate_limits import Caller, Verdict, check
from srdi.web.http import client_ip, no_store

EXPORT_ROUTES = frozenset(
    {
        "web:enterprise_export",
        "web:screening_export",
        "web:publicity_export",
        "web:payment_run_file",
        "web:cockpit_export",
        "web:money_overview_export",
        "web:unit_report_file",
        "web:unit_event_file",
        "web:monthly_brief_export",
        "web:seedling_export",
        "web:showcase_consent_file",
        "web:audit_export",
        "web:import_errors_file",
        "web:job_file",
    }
)
PROBE_KWARGS = ("pk", "object_id")
EXEMPT_PREFIXES = ("/api/", "/static/")


def _route(path: str) -> tuple[str, dict[str, Any]]:
    try:
        match = resolve(path)
    except Resolver404:
        return "", {}
    return match.view_name, match.kwargs


def buckets_for(request: HttpRequest, signed_in: bool) -> list[Bucket]:
    """The buckets a request counts in, most specific first (a refusal there leaves the page count alone)."""
    view_name, kwargs = _route(request.path_info)
    out = []
    if view_name in EXPORT_ROUTES:
        out.append(Bucket.EXPORT)
    if any(name in kwargs for name in PROBE_KWARGS):
        out.append(Bucket.PROBE)
    if request.method in ("GET", "HEAD") and (request.GET.get("q") or "").strip():
        out.append(Bucket.SEARCH)
    out.append(Bucket.PAGE if signed_in else Bucket.PAGE_ANONYMOUS)
    return out


def period_text(seconds: int) -> str:
    """``60`` → "1 分钟", ``3600`` → "1 小时", ``86400`` → "1 天", otherwise seconds."""
    for size, unit in ((86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} 秒"


def too_many(verdict: Verdict) -> HttpResponse:
    """The 429 page: what was limited, the limit, and when to try again (also in ``Retry-After``)."""
    rate = verdict.rate
    body = render_to_string(
        "429.html",
        {
            "what": verdict.bucket.label,
            "limit": rate.limit if rate else 0,
            "period": period_text(rate.period) if rate else "",
            "retry_after": verdict.retry_after,
        },
    )
    response = HttpResponse(body, status=429, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(max(verdict.retry_after, 1))
    return no_store(response)


class RateLimitMiddleware:
    """Counts each request (``buckets_for``) and answers 429 instead of running the view when over a limit.

    Place it after ``AuthenticationMiddleware`` (it reads ``request.user``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = isinstance(user, User) and user.is_authenticated
        # the address as django-axes resolves it (behind trusted proxies: from X-Forwarded-For)
        ip = get_client_ip_address(request) or client_ip(request)
        caller = Caller(user=user if signed_in else None, ip=ip)
        verdict = check(buckets_for(request, signed_in), caller, path=request.path)
        if verdict is not None:
            return too_many(verdict)
        return self.get_response(request)
