"""The pipeline behind each target: enterprises the latest screening finds eligible for a tier that do not
hold it, by district.

Use ``pipeline(district=None)`` for the cockpit. It reads the latest finished application screening
(``srdi.services.assessments.latest_run``): an enterprise is in a tier's pipeline when its stored status for
that tier is ``eligible`` and it holds no certification of that tier valid on the screening's reference day
(``srdi.domain.certifications``: recognised, not expired, not revoked). ``district`` restricts the count to one
district. Without a finished screening the pipeline is ``None`` (the page says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from srdi.db.models import AssessmentRun, Certification, District, EnterpriseAssessment
from srdi.domain.certifications import earliest_recognition_valid_on
from srdi.domain.reference import TIERS
from srdi.services.assessments import latest_run

NO_DISTRICT_LABEL = "区县不详"


@dataclass(frozen=True)
class DistrictCount:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class TierPipeline:
    """Eligible enterprises of one tier that do not hold it, in total and by district (largest first)."""

    tier: str
    label: str
    total: int
    districts: tuple[DistrictCount, ...]


@dataclass(frozen=True)
class Pipeline:
    run_id: int
    as_of: date
    tiers: tuple[TierPipeline, ...]


def valid_on_q(day: date) -> Q:
    """A ``Q`` on Certification: valid on ``day`` (the rule of ``srdi.domain.certifications.is_valid_on``)."""
    return (
        Q(recognized_on__isnull=False, recognized_on__lte=day)
        & (Q(revoked_on__isnull=True) | Q(revoked_on__gt=day))
        & (
            Q(expires_on__isnull=False, expires_on__gte=day)
            | Q(expires_on__isnull=True, recognized_on__gte=earliest_recognition_valid_on(day))
        )
    )


def candidates(run: AssessmentRun, tier: str, district: str | None = None) -> QuerySet[EnterpriseAssessment]:
    """The screening rows of ``run`` eligible for ``tier`` whose enterprise does not hold it on ``run.as_of``."""
    holds = Certification.objects.filter(
        valid_on_q(run.as_of), enterprise=OuterRef("enterprise_id"), tier=tier
    )
    rows = EnterpriseAssessment.objects.filter(run=run, **{f"{tier}_status": "eligible"}).exclude(
        Exists(holds)
    )
    if district:
        rows = rows.filter(enterprise__district_id=district)
    return rows


def pipeline(district: str | None = None, run: AssessmentRun | None = None) -> Pipeline | None:
    """The pipeline per tier from ``run`` (default: the latest application screening)."""
    run = run or latest_run()
    if run is None:
        return None
    names = dict(District.objects.values_list("code", "name"))
    tiers = []
    for tier, label in TIERS.items():
        rows = candidates(run, tier, district)
        grouped = rows.values("enterprise__district_id").annotate(n=Count("id")).order_by()
        counts = [
            DistrictCount(code or "", names.get(code, NO_DISTRICT_LABEL) if code else NO_DISTRICT_LABEL, n)
            for code, n in ((g["enterprise__district_id"], g["n"]) for g in grouped)
        ]
        counts.sort(key=lambda d: (-d.count, d.code))
        tiers.append(TierPipeline(tier, label, sum(d.count for d in counts), tuple(counts)))
    return Pipeline(run.pk, run.as_of, tuple(tiers))
