"""Enterprise-page sections for programmes, cases, payments, vouchers and the inbox.

Inserted after the assessment by ``srdi.web.sections``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from srdi.web.sections import Section

SECTIONS: list[Section] = []
