"""Menu entries for the 小巨人 seedling pool and the published counts: (url name, label, active-on names)."""

from __future__ import annotations

from srdi.db.models import User
from srdi.services import published_counts, seedlings


def entries(user: User) -> list[tuple[str, str, tuple[str, ...]]]:
    """City and district staff, auditors and leaders: the pool; city staff: the published counts too."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    if seedlings.may_view(user):
        out.append(
            (
                "web:seedling_list",
                "种苗库",
                (
                    "web:seedling_list",
                    "web:seedling_add",
                    "web:seedling_candidates",
                    "web:seedling_remove",
                ),
            )
        )
    if published_counts.may_enter(user):
        out.append(("web:published_counts", "官方公布数", ("web:published_counts",)))
    return out
