"""Menu entries for the showcase (典型案例): (url name, label, active-on names) for ``web.context``."""

from __future__ import annotations

from srdi.db.models import User
from srdi.services import showcase


def entries(user: User) -> list[tuple[str, str, tuple[str, ...]]]:
    """Staff: the management list; an enterprise user: its own entry and consent."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    if showcase.may_propose(user) or showcase.may_manage(user):
        out.append(
            (
                "web:showcase_manage",
                "典型案例",
                ("web:showcase_manage", "web:showcase_new", "web:showcase_detail", "web:showcase_edit"),
            )
        )
    if showcase.may_consent(user):
        out.append(("web:showcase_mine", "典型案例", ("web:showcase_mine",)))
    return out
