"""Database expressions for certification validity: which enterprises hold which tier today.

Use ``valid_certifications`` for "certifications valid on day D" and ``with_highest_tier`` to annotate an
enterprise queryset with the code of its highest tier valid on D (``highest_tier``, null when none).
The rule is the one in ``srdi.domain.certifications``; the default three-year term becomes a plain date
comparison through ``earliest_recognition_valid_on``, so the two agree exactly (unit tests check this).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Case, CharField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from srdi.db.models import Certification, Enterprise
from srdi.domain.certifications import earliest_recognition_valid_on
from srdi.domain.reference import TIER_RANK

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class TierAnnotation(TypedDict):
    """What ``with_highest_tier`` adds to each enterprise."""

    highest_tier: str | None


def valid_on_q(day: date) -> Q:
    """A ``Q`` on Certification: recognised, not yet expired and not revoked on ``day``."""
    return (
        Q(recognized_on__isnull=False, recognized_on__lte=day)
        & (Q(revoked_on__isnull=True) | Q(revoked_on__gt=day))
        & (
            Q(expires_on__isnull=False, expires_on__gte=day)
            | Q(expires_on__isnull=True, recognized_on__gte=earliest_recognition_valid_on(day))
        )
    )


def valid_certifications(day: date) -> QuerySet[Certification]:
    """Certifications valid on ``day``."""
    return Certification.objects.filter(valid_on_q(day))


def tier_rank_expression() -> Case:
    """The ladder position of a certification's tier (higher is better)."""
    return Case(
        *[When(tier=tier, then=Value(rank)) for tier, rank in TIER_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def with_highest_tier(
    queryset: QuerySet[Enterprise], day: date
) -> QuerySet[WithAnnotations[Enterprise, TierAnnotation]]:
    """Annotate ``highest_tier``: the code of the highest tier valid on ``day``, or null."""
    best = (
        valid_certifications(day)
        .filter(enterprise=OuterRef("pk"))
        .annotate(rank=tier_rank_expression())
        .order_by("-rank")
        .values("tier")[:1]
    )
    return queryset.annotate(highest_tier=Subquery(best, output_field=CharField()))
