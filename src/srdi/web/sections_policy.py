"""Enterprise-page sections for the policy catalogue, claim guides and entitlements.

Inserted after the assessment by ``srdi.web.sections``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from srdi.web.sections import Section

SECTIONS: list[Section] = []
