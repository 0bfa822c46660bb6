"""An enterprise's entitlements from the database: event-driven measures and standing ones.

Use ``enterprise_entitlements(enterprise)`` for the enterprise page and the API: the enterprise's profile and
recorded events go through exactly the code of ``srdi entitle``; standing measures (qualifications, unset
amounts) are evaluated on ``as_of`` (the end of the policy window by default). A page that has read the profile
(``exports.stored_profile``) and the packs in force already passes them as ``stored`` and ``packs``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from srdi.db.models import Enterprise
from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import run_entitle
from srdi.domain.policy.model import Pack
from srdi.domain.policy.standing import standing
from srdi.domain.tables import tables_from_profiles
from srdi.services.exports import stored_profile
from srdi.services.parameters import packs_in_force
from srdi.services.screening import default_as_of


def enterprise_entitlements(
    enterprise: Enterprise,
    *,
    as_of: date | None = None,
    overrides: dict[str, Any] | None = None,
    stored: dict[str, Any] | None = None,
    packs: tuple[Pack, ...] | None = None,
) -> dict[str, Any]:
    """{"events": [...contract records...], "standing": [...], "total_fen": n, "as_of": ...}."""
    as_of = as_of or default_as_of()
    profile = stored if stored is not None else stored_profile(enterprise)
    packs = packs if packs is not None else packs_in_force()
    output = run_entitle({"parameters": overrides or {}, "enterprises": [profile]}, packs=packs)
    result = output["results"][0]
    parsed = parse_profile(profile)
    standing_records = standing(tables_from_profiles([parsed]), packs, as_of, overrides)[0]
    return {
        "as_of": as_of.isoformat(),
        "events": result.get("entitlements", []),
        "standing": standing_records,
        "total_fen": result.get("total_fen", 0),
        "policies": output["policies"],
    }
