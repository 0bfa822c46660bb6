"""Menu entries for programmes, cases, payments, vouchers and the inbox.

``entries(user)`` returns (url name, label, active-on names).
"""

from __future__ import annotations

from srdi.db.models import User


def entries(user: User) -> list[tuple[str, str, tuple[str, ...]]]:
    """Entries this user may see."""
    return []
