"""Whether a user's password is too old or must be replaced — read by pages, the API and token checks.

Use ``password_expired(user)`` (older than ``SRDI_PASSWORD_MAX_AGE_DAYS``; a user without
``password_changed_at`` counts from ``date_joined``) and ``must_renew(user)`` (expired, or set by someone
else: ``must_change_password``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone


def max_age_days() -> int:
    return int(getattr(settings, "SRDI_PASSWORD_MAX_AGE_DAYS", 0) or 0)


def password_expired(user: object) -> bool:
    """Whether the password is older than the rotation period (0 = never)."""
    days = max_age_days()
    if not days:
        return False
    changed = getattr(user, "password_changed_at", None) or getattr(user, "date_joined", None)
    return changed is not None and timezone.now() - changed > timedelta(days=days)


def must_renew(user: object) -> bool:
    """Whether the user must change the password before using the system (expired or set by someone else)."""
    return bool(getattr(user, "must_change_password", False)) or password_expired(user)
