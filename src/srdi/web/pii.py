"""Revealing a contact's full phone and ID number: allowed for city administrators, audited every time.

Use ``reveal_contacts`` from the reveal view before rendering the unmasked page. It writes one
``AuditAction.REVEAL`` event naming the enterprise and the contacts shown (PIPL Art. 51; 等保 8.1.4.11).
(Kept in the web layer for now; it belongs in ``srdi.services`` once a PII service exists.)
"""

from __future__ import annotations

from srdi.db.models import AuditAction, Enterprise, User
from srdi.domain.verdict import Verdict
from srdi.services import audit, scoping


def reveal_contacts(user: User, enterprise: Enterprise, *, ip: str = "") -> Verdict:
    """Check the permission and audit the reveal; the caller shows the data only when this allows."""
    verdict = scoping.can_reveal_personal_data(user)
    contact_ids = list(enterprise.contacts.values_list("pk", flat=True))
    audit.record(
        AuditAction.REVEAL,
        user,
        object_type="enterprise_contacts",
        object_id=str(enterprise.pk),
        object_repr=str(enterprise)[:255],
        success=bool(verdict),
        ip_address=ip,
        extra={"contacts": contact_ids, "fields": ["name", "phone", "id_number"], "reason": verdict.code},
    )
    return verdict
