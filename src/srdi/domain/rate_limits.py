"""The arithmetic of request rate limits: rates, windows and the sliding-window-of-two-buckets decision.

Use ``Rate.parse`` for a setting such as ``"600/min"``, ``window_at`` for the counting window a moment falls
in, ``ceiling`` for the count the current window may have reached before one more request is admitted, and
``retry_after`` for the seconds a refused client should wait. ``srdi.services.rate_limits`` does the counting
(one atomic database statement); this module only decides, so it is tested without a database.

The estimate of requests in the last ``period`` seconds is ``current + previous × (1 − elapsed)``, where
``previous`` is the count of the window before, ``current`` the count of this one and ``elapsed`` the
fraction of this window already gone. A request is admitted while the estimate, before it, is below the
limit. No fixed window ever admits more than the limit, and the boundary burst of a plain fixed window (twice
the limit in a moment) cannot happen, because a full previous window keeps the next one closed at its start.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{0,6})\s*([a-z]+)\s*$")
OFF = frozenset({"", "0", "off", "none"})


class Bucket(StrEnum):
    """What a counter counts. Each bucket has its own rate setting and its own counters per caller."""

    API_READ = "api_read"
    API_WRITE = "api_write"
    PAGE = "page"
    PAGE_ANONYMOUS = "page_anonymous"
    SEARCH = "search"
    EXPORT = "export"
    PROBE = "probe"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Bucket.API_READ: "接口查询",
    Bucket.API_WRITE: "接口写入",
    Bucket.PAGE: "页面访问",
    Bucket.PAGE_ANONYMOUS: "未登录页面访问",
    Bucket.SEARCH: "搜索",
    Bucket.EXPORT: "导出下载",
    Bucket.PROBE: "按编号查看",
}


class RateError(ValueError):
    """A rate setting that cannot be read."""


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` requests per ``period`` seconds."""

    limit: int
    period: int

    @classmethod
    def parse(cls, text: str) -> Rate | None:
        """``"600/min"``, ``"30/hour"``, ``"5/10s"`` … → a Rate; ``""``, ``"0"``, ``"off"`` → None (no limit)."""
        if text.strip().lower() in OFF:
            return None
        match = _RATE.match(text.lower())
        if match is None or match.group(3) not in PERIODS:
            raise RateError(f"无法识别的限流设置 {text!r}：应为“次数/周期”，如 600/min、30/hour")
        limit = int(match.group(1))
        multiple = int(match.group(2) or "1")
        if limit < 1 or multiple < 1:
            raise RateError(f"限流设置 {text!r} 的次数和周期都应大于 0")
        return cls(limit=limit, period=multiple * PERIODS[match.group(3)])

    def __str__(self) -> str:
        return f"{self.limit}/{self.period}s"


@dataclass(frozen=True)
class Window:
    """The fixed window a moment falls in: its start (Unix seconds, a multiple of the period), the start of
    the window before, and the fraction of this window already elapsed (0 ≤ elapsed < 1)."""

    start: int
    previous: int
    end: int
    elapsed: float


def window_at(rate: Rate, now: float) -> Window:
    """The counting window of ``rate`` that contains the moment ``now`` (Unix seconds)."""
    start = int(now // rate.period) * rate.period
    return Window(
        start=start,
        previous=start - rate.period,
        end=start + rate.period,
        elapsed=min(max((now - start) / rate.period, 0.0), 1.0),
    )


def ceiling(rate: Rate, previous: int, elapsed: float) -> int:
    """The current window's count must be below this for one more request to be admitted.

    Admitted iff ``current + previous × (1 − elapsed) < limit``; for an integer ``current`` that is
    ``current < ⌈limit − previous × (1 − elapsed)⌉``. May be 0 or negative (nothing is admitted)."""
    return math.ceil(rate.limit - previous * (1.0 - elapsed))


def admits(rate: Rate, previous: int, current: int, elapsed: float) -> bool:
    """Whether a request arriving when the window has ``current`` admitted requests is admitted."""
    return current < ceiling(rate, previous, elapsed)


def retry_after(rate: Rate, now: float, previous: int, current: int) -> int:
    """Whole seconds (≥ 1, ≤ the period + 1) after which a request is admitted, if nothing else arrives."""
    window = window_at(rate, now)
    room = rate.limit - current
    if room > 0 and previous > 0:
        # admitted once previous × (1 − f) < room, i.e. f > 1 − room / previous
        opens = 1.0 - room / previous
        wait = max(opens - window.elapsed, 0.0) * rate.period
        return min(math.floor(wait) + 1, rate.period + 1)
    if room > 0:
        return 1
    # Not in this window. In the next one this window's count is the previous one, weighing less as soon as
    # the window has begun, so the next window admits a moment after its start: one second of margin.
    return min(math.floor(window.end - now) + 2, rate.period + 1)
