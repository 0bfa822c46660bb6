"""Small request helpers for the API views: who is calling and from where.

Use ``client_ip`` for the ``ip=`` of audit records and ``caller`` for the authenticated user of an operation.
"""

from __future__ import annotations

from django.http import HttpRequest

from srdi.db.models import User


def client_ip(request: HttpRequest) -> str:
    """The client's address as django-axes resolves it (the same value the web pages audit)."""
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "") or ""


def caller(request: HttpRequest) -> User:
    """The user the API authenticated (bearer token or session)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise TypeError("request.auth is not a user: the operation must require authentication")
    return user
