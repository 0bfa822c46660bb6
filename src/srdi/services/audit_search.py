"""Finding events in the audit log, for the audit-log page (read only; scope checked by the caller).

Use ``search_events(filters)`` after ``scoping.can_view_audit_log``. Filters are already validated values:
free text (actor, object, object id), action, object type, success, and a UTC date range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet

from srdi.db.models import AuditEvent


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
    if filters.since:
        qs = qs.filter(occurred_at__gte=datetime.combine(filters.since, time.min, tzinfo=UTC))
    if filters.until and filters.until < date.max:  # 9999-12-31 means no upper bound (and has no next day)
        qs = qs.filter(
            occurred_at__lt=datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=UTC)
        )
    return qs.order_by("-id")


def object_types() -> list[str]:
    """The object types present in the log, for the filter's choices."""
    return sorted(t for t in AuditEvent.objects.values_list("object_type", flat=True).distinct() if t)
