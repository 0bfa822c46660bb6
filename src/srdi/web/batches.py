"""Which import batches a user may list: city staff see every batch, district staff their own uploads.

Use ``visible_batches`` for the home page and the import page. (An ImportBatch has no district of its own,
so district staff are limited to the batches they uploaded.)
"""

from __future__ import annotations

from django.db.models import QuerySet

from srdi.db.models import ImportBatch, User
from srdi.services import scoping


def visible_batches(user: User) -> QuerySet[ImportBatch]:
    """Import batches the user may see, newest first."""
    if not scoping.can_import(user):
        return ImportBatch.objects.none()
    qs = ImportBatch.objects.select_related("actor").order_by("-created_at", "-pk")
    if not user.is_city:
        qs = qs.filter(actor=user)
    return qs
