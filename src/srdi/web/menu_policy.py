"""Menu entries for the policy catalogue, claim guides and entitlements.

``entries(user)`` returns (url name, label, active-on names).
"""

from __future__ import annotations

from srdi.db.models import User
from srdi.web.parameter_display import can_manage_parameters
from srdi.web.policy_display import can_simulate
from srdi.web.views.policy_hygiene import can_view_hygiene


def entries(user: User) -> list[tuple[str, str, tuple[str, ...]]]:
    """Entries this user may see: the catalogue for everyone signed in, the simulation for city-wide roles."""
    out: list[tuple[str, str, tuple[str, ...]]] = [
        ("web:policy_catalogue", "政策库", ("web:policy_catalogue", "web:policy_measure"))
    ]
    if can_simulate(user):
        out.append(("web:policy_simulation", "成本测算", ("web:policy_simulation",)))
    if can_manage_parameters(user):
        out.append(
            (
                "web:parameter_changes",
                "参数管理",
                (
                    "web:parameter_changes",
                    "web:parameter_propose",
                    "web:parameter_change",
                    "web:parameter_history",
                ),
            )
        )
    if can_view_hygiene(user):
        out.append(("web:policy_hygiene", "政策包体检", ("web:policy_hygiene", "web:policy_compare")))
    return out
