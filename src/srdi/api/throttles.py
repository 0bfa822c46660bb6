"""Per-user request rate limits for the API (ASVS 2.4.1 anti-automation: resist enumeration and scraping).

Use ``READS`` on read operations and ``WRITES`` on writes. Limits count per authenticated user (whether the
call came with a token or a session) and fall back to the client address. Rates come from the settings
``SRDI_API_READ_RATE`` / ``SRDI_API_WRITE_RATE`` (default 600/min and 120/min). Counts live in Django's
cache, so a multi-process deployment needs a shared cache for the limits to be exact.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle


class PerUserThrottle(SimpleRateThrottle):
    """A sliding-window limit keyed by user id; state per request is kept thread-local."""

    def __init__(self, scope: str, rate: str):
        self.scope = scope
        self._local = threading.local()
        super().__init__(rate)

    def get_cache_key(self, request: HttpRequest) -> str:
        user = getattr(request, "auth", None)
        pk = getattr(user, "pk", None)
        ident = f"user-{pk}" if pk is not None else f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: HttpRequest) -> bool:
        key = self.get_cache_key(request)
        now = time.time()
        window = float(self.duration or 0)
        history = [t for t in self.cache.get(key, []) if t > now - window]
        if len(history) >= (self.num_requests or 0):
            self._local.wait = max(window - (now - history[-1]), 1.0)
            return False
        history.insert(0, now)
        self.cache.set(key, history, int(window))
        self._local.wait = None
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


READS = PerUserThrottle("srdi_api_read", getattr(settings, "SRDI_API_READ_RATE", "600/min"))
WRITES = PerUserThrottle("srdi_api_write", getattr(settings, "SRDI_API_WRITE_RATE", "120/min"))
