"""Signing a Django test client in as a user — the one way tests do it.

Use ``sign_in(client, user)`` instead of ``client.force_login``: when sign-in gains steps (a second factor, a
forced password change), only this function learns them.
"""

from __future__ import annotations

from django.test import Client

from srdi.db.models import User


def sign_in(client: Client, user: User) -> Client:
    """Sign ``client`` in as ``user`` with every sign-in step completed; returns the client."""
    client.force_login(user)
    return client
