"""Finding events in the audit log, for the audit-log page (read only; scope checked by the caller).

Use ``search_events(filters)`` after ``scoping.can_view_audit_log``. Filters are already validated values:
free text (actor, object, object id), action, object type, success, and a range of calendar days in
Beijing time (``srdi.domain.beijing_time``: the day a person sees on the page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from srdi.db.models import AuditEvent
from srdi.domain.beijing_time import beijing_day


@dataclass(frozen=True)
class AuditFilters:
    text: str = ""
    action: str = ""
    object_type: str = ""
    success: bool | None = None
    since: date | None = None
    until: date | None = None


def search_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events matching every given filter, newest first."""
    qs = AuditEvent.objects.all()
    if filters.text:
        t = filters.text
        qs = qs.filter(
            Q(actor_label__icontains=t) | Q(object_repr__icontains=t) | Q(object_id=t) | Q(ip_address=t)
        )
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.success is not None:
        qs = qs.filter(success=filters.success)
    # 0001-01-01 and 9999-12-31 mean no bound (a Beijing day at either end leaves the range of datetimes)
    if filters.since and filters.since > date.min:
        qs = qs.filter(occurred_at__gte=beijing_day(filters.since)[0])
    if filters.until and filters.until < date.max:
        qs = qs.filter(occurred_at__lt=beijing_day(filters.until)[1])
    return qs.order_by("-id")


def object_types() -> list[str]:
    """The object types present in the log, for the filter's choices."""
    return sorted(t for t in AuditEvent.objects.values_list("object_type", flat=True).distinct() if t)
