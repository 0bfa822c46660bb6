"""Validity of tier certifications (梯度认定) and titles on a given day.

Use ``is_valid_on`` to decide whether a certification counts on a day (the enterprise's highest tier, the
enterprise list filter, policy checks), ``status_on`` to label it for people (有效/即将到期/已过期/已撤销…),
and ``earliest_recognition_valid_on`` to turn the default three-year term into a database filter.

The rule: a certification is valid on day D when ``recognized_on <= D <= effective expiry`` and it was not
revoked on or before D (``revoked_on`` is null or later than D). The effective expiry is ``expires_on`` when
stated, otherwise the day before the third anniversary of recognition (2023-01-15 → 2026-01-14), i.e. a term of
three full years. A 29 February recognition has its anniversary on 1 March in a common year, so its term ends on
the last day of February (2024-02-29 → 2027-02-28).
A certification without a recognition date is never proven valid: its status is ``unknown``.

``default_expiry_expr`` is the same rule as a Polars expression; the assessment engine, screening and the policy
engine use it (through ``srdi.domain.rules.facts.certification_expiry``), so pages and rules agree on every day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, Protocol

import polars as pl

DEFAULT_TERM_YEARS = 3
EXPIRING_WITHIN_DAYS = 90

Status = Literal["valid", "expiring", "expired", "revoked", "not_started", "unknown"]

STATUS_LABELS: dict[str, str] = {
    "valid": "有效",
    "expiring": "即将到期",
    "expired": "已过期",
    "revoked": "已撤销",
    "not_started": "未生效",
    "unknown": "有效期不详",
}


class CertificationLike(Protocol):
    """Anything with the three dates of a certification (a model row, a Pydantic record, a test double)."""

    @property
    def recognized_on(self) -> date | None: ...

    @property
    def expires_on(self) -> date | None: ...

    @property
    def revoked_on(self) -> date | None: ...


def anniversary(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February moves to 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return date(day.year + years, 3, 1)


def effective_expiry(
    recognized_on: date | None, expires_on: date | None, years: int = DEFAULT_TERM_YEARS
) -> date | None:
    """The last valid day: ``expires_on`` when stated, else the day before the ``years``-th anniversary."""
    if expires_on is not None:
        return expires_on
    if recognized_on is None:
        return None
    return anniversary(recognized_on, years) - timedelta(days=1)


def default_expiry_expr(recognized_on: pl.Expr, years: int = DEFAULT_TERM_YEARS) -> pl.Expr:
    """``effective_expiry(recognized_on, None, years)`` as a Polars expression (same rule, vectorised).

    Polars moves 29 February to 28 February in a common year; there the anniversary is 1 March, whose day
    before is that same 28 February. On every other day the expiry is the shifted date minus one day.
    """
    shifted = recognized_on.dt.offset_by(f"{years}y")
    clamped = shifted.dt.day() != recognized_on.dt.day()
    return pl.when(clamped).then(shifted).otherwise(shifted.dt.offset_by("-1d"))


def last_valid_day(cert: CertificationLike) -> date | None:
    """The last day it counts: the effective expiry, or the day before revocation if that is earlier."""
    end = effective_expiry(cert.recognized_on, cert.expires_on)
    if cert.revoked_on is not None:
        before_revocation = cert.revoked_on - timedelta(days=1)
        end = before_revocation if end is None else min(end, before_revocation)
    return end


def is_valid_on(cert: CertificationLike, day: date) -> bool:
    """Whether the certification counts on ``day`` (see the module docstring for the rule)."""
    if cert.recognized_on is None or cert.recognized_on > day:
        return False
    if cert.revoked_on is not None and cert.revoked_on <= day:
        return False
    end = effective_expiry(cert.recognized_on, cert.expires_on)
    return end is not None and day <= end


def status_on(cert: CertificationLike, day: date) -> Status:
    """valid / expiring (last valid day ≤ 90 days away) / expired / revoked / not_started / unknown."""
    if cert.revoked_on is not None and cert.revoked_on <= day:
        return "revoked"
    end = effective_expiry(cert.recognized_on, cert.expires_on)
    if cert.recognized_on is None:
        return "expired" if end is not None and end < day else "unknown"
    if day < cert.recognized_on:
        return "not_started"
    if end is None or end < day:  # end is never None here; kept for the type checker
        return "expired"
    last = last_valid_day(cert)
    if last is not None and (last - day).days <= EXPIRING_WITHIN_DAYS:
        return "expiring"
    return "valid"


def period_status(valid_from: date | None, valid_to: date | None, day: date) -> Status:
    """The same labels for a plain validity period (资质称号 such as 高新技术企业); no default term."""
    if valid_to is not None and valid_to < day:
        return "expired"
    if valid_from is not None and day < valid_from:
        return "not_started"
    if valid_from is None or valid_to is None:
        return "unknown"
    if (valid_to - day).days <= EXPIRING_WITHIN_DAYS:
        return "expiring"
    return "valid"


def earliest_recognition_valid_on(day: date) -> date:
    """The earliest ``recognized_on`` whose default three-year term still covers ``day``.

    For a certification without ``expires_on``: ``effective_expiry(r, None) >= day`` exactly when
    ``r >= earliest_recognition_valid_on(day)``, so a database query can use a plain date comparison.
    """
    # The default expiry never decreases as r grows, so the answer is the first r that reaches day.
    candidate = date(day.year - DEFAULT_TERM_YEARS, day.month, 1) - timedelta(days=3)
    while True:
        end = effective_expiry(candidate, None)
        if end is not None and end >= day:
            return candidate
        candidate += timedelta(days=1)
