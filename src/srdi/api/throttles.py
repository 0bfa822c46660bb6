"""Per-user request rate limits for the API (ASVS 2.4.1 anti-automation: resist enumeration and scraping).

Use ``READS`` on read operations, ``WRITES`` on writes, ``SEARCHES`` on the enterprise list (a call with a
name/USCC query ``q`` also counts in the search bucket the web pages share) and ``PROBES`` on the lookup of one
enterprise (it also counts in the by-id bucket of the web pages). Limits count per authenticated user
(token or session) and fall back to the client address; the counting is ``srdi.services.rate_limits``, one
atomic database statement per bucket, so the limit holds across every worker process. Rates come from the
settings ``SRDI_API_READ_RATE`` / ``SRDI_API_WRITE_RATE`` (default 600/min and 120/min), ``SRDI_SEARCH_RATE``
and ``SRDI_PROBE_RATE``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from srdi.api.requests import client_ip
from srdi.db.models import User
from srdi.domain.rate_limits import Bucket
from srdi.services.rate_limits import Caller, check


def _searching(request: HttpRequest) -> bool:
    return bool((request.GET.get("q") or "").strip())


def _reading(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD")


class LimitThrottle(BaseThrottle):
    """Counts a call in ``always`` and, when ``when(request)`` holds, also in ``extra``; the wait of a refusal
    is kept thread-local until django-ninja asks for it (right after, on the same thread)."""

    def __init__(
        self,
        *always: Bucket,
        extra: Bucket | None = None,
        when: Callable[[HttpRequest], bool] | None = None,
    ):
        self.always = always
        self.extra = extra
        self.when = when
        self._local = threading.local()

    def buckets(self, request: HttpRequest) -> list[Bucket]:
        out = list(self.always)
        if self.extra is not None and (self.when is None or self.when(request)):
            out.append(self.extra)
        return out

    def allow_request(self, request: HttpRequest) -> bool:
        user = getattr(request, "auth", None)
        caller = Caller(user=user if isinstance(user, User) else None, ip=client_ip(request))
        verdict = check(self.buckets(request), caller, path=request.path)
        self._local.wait = None if verdict is None else float(verdict.retry_after)
        return verdict is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


READS = LimitThrottle(Bucket.API_READ)
WRITES = LimitThrottle(Bucket.API_WRITE)
SEARCHES = LimitThrottle(Bucket.API_READ, extra=Bucket.SEARCH, when=_searching)
PROBES = LimitThrottle(Bucket.API_READ, extra=Bucket.PROBE, when=_reading)
