"""Enterprise-page sections for the policy catalogue, claim guides and entitlements.

Inserted after the assessment by ``srdi.web.sections``. ``政策兑现`` shows every measure's result for the
enterprise (``services.entitlements.enterprise_entitlements``, the code of ``srdi entitle``); it is visible to
every role that can open the enterprise page (the page itself is scope-checked).
"""

from __future__ import annotations

from typing import Any

from srdi.services.parameters import packs_in_force
from srdi.web.policy_display import entitlements_view
from srdi.web.sections import PageContext, Section


def _entitlements(ctx: PageContext) -> dict[str, Any]:
    return entitlements_view(ctx.enterprise, packs_in_force(), ctx.day, ctx.stored_profile)


SECTIONS: list[Section] = [
    Section("entitlements", "政策兑现", "web/enterprise/_entitlements.html", _entitlements),
]
