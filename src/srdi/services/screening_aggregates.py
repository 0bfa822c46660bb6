"""The screening page's counts stored with the run, per district: status per tier, grade, cohort, changes.

Use ``counts_for(run, district)`` (``ALL`` for the whole city) from the screening page instead of counting the
run's rows on every view: at 100,000 enterprises the counts and the changes since the previous run cost
0.2–0.4 s a view. ``store(run)`` computes them once per district in two grouped queries and keeps them in
``AssessmentRun.aggregates`` with what they were computed for: the data version (``tables_cache.data_version``:
any write to the enterprises, e.g. a district change, changes it) and the previous comparable run. ``run_screen``
stores them when it saves a run; a run saved without them, or whose stored figures no longer match the data,
is counted again on its next view and stored (``counts_for`` does that). The keys are those of ``aggregate_expressions``
and ``change_expressions``, which the live count of any other scope uses too, so stored and live figures are
the same numbers by construction (and compared in the tests).
"""

from __future__ import annotations

from typing import Any, Final

from django.db.models import Count, Exists, OuterRef, Q

from srdi.db.models import AssessmentRun, EnterpriseAssessment
from srdi.db.models.assessments import TIER_FIELDS
from srdi.services.screening import comparable_runs
from srdi.services.tables_cache import data_version

STATUS_CODES: Final = ("eligible", "needs_data", "ineligible")
GRADE_CODES: Final = ("A", "B", "C", "D")
COHORT_FIELDS: Final = ("eligible_next", "seedling", "one_firm_one_policy")
ALL: Final = "*"  # the whole city: every district summed (enterprises without a district included)
NO_DISTRICT: Final = ""
FORMAT: Final = 1


def aggregate_expressions() -> dict[str, Any]:
    """Count expressions over a run's rows: total, ``tier:status``, ``grade:G``, ``cohort:C``."""
    aggregates: dict[str, Any] = {"total": Count("pk")}
    for t in TIER_FIELDS:
        for s in STATUS_CODES:
            aggregates[f"{t}:{s}"] = Count("pk", filter=Q(**{f"{t}_status": s}))
    for g in GRADE_CODES:
        aggregates[f"grade:{g}"] = Count("pk", filter=Q(grade=g))
    for c in COHORT_FIELDS:
        aggregates[f"cohort:{c}"] = Count("pk", filter=Q(**{c: True}))
    return aggregates


def was_eligible(previous: AssessmentRun, tier: str) -> Exists:
    """Whether the row's enterprise was eligible for ``tier`` in ``previous``."""
    return Exists(
        EnterpriseAssessment.objects.filter(
            run=previous, enterprise_id=OuterRef("enterprise_id"), **{f"{tier}_status": "eligible"}
        )
    )


def change_annotations(previous: AssessmentRun) -> dict[str, Exists]:
    return {f"was_{t}": was_eligible(previous, t) for t in TIER_FIELDS}


def change_expressions() -> dict[str, Any]:
    """``newly:tier`` / ``lost:tier`` counts over rows annotated with ``change_annotations``."""
    aggregates: dict[str, Any] = {}
    for t in TIER_FIELDS:
        now = Q(**{f"{t}_status": "eligible"})
        was = Q(**{f"was_{t}": True})
        aggregates[f"newly:{t}"] = Count("pk", filter=now & ~was)
        aggregates[f"lost:{t}"] = Count("pk", filter=was & ~now)
    return aggregates


def previous_run(run: AssessmentRun) -> AssessmentRun | None:
    """The finished run before ``run`` (the one ``run_screen`` compared against)."""
    return comparable_runs(run).filter(started_at__lt=run.started_at).order_by("-started_at").first()


def _by_district(run: AssessmentRun, previous: AssessmentRun | None) -> dict[str, dict[str, int]]:
    rows = EnterpriseAssessment.objects.filter(run=run).order_by()
    out: dict[str, dict[str, int]] = {}
    keys = list(aggregate_expressions())
    for row in rows.values("enterprise__district_id").annotate(**aggregate_expressions()):
        out[str(row["enterprise__district_id"] or NO_DISTRICT)] = {k: int(row[k]) for k in keys}  # type: ignore[literal-required]
    if previous is not None:
        changed = list(change_expressions())
        annotated = rows.annotate(**change_annotations(previous)).values("enterprise__district_id")
        for row in annotated.annotate(**change_expressions()):
            district = str(row["enterprise__district_id"] or NO_DISTRICT)
            out.setdefault(district, {}).update({k: int(row[k]) for k in changed})  # type: ignore[literal-required]
    return out


def _current(run: AssessmentRun, version: int | None, previous: AssessmentRun | None) -> bool:
    stored = run.aggregates or {}
    return (
        version is not None
        and stored.get("format") == FORMAT
        and stored.get("version") == version
        and stored.get("previous") == (previous.pk if previous else None)
    )


def store(run: AssessmentRun) -> dict[str, Any]:
    """Count the run's rows per district and keep the figures on the run; the stored document."""
    version = data_version()
    previous = previous_run(run)
    document = {
        "format": FORMAT,
        "version": version,
        "previous": previous.pk if previous else None,
        "districts": _by_district(run, previous),
    }
    if version is not None:
        AssessmentRun.objects.filter(pk=run.pk).update(aggregates=document)
        run.aggregates = document
    return document


def counts_for(run: AssessmentRun, district: str) -> dict[str, int]:
    """The figures of one district (or ``ALL``), from the run when they are current, else counted and stored.
    Keys: those of ``aggregate_expressions`` and, when the run has a previous run, ``change_expressions``."""
    previous = previous_run(run)
    document = run.aggregates if _current(run, data_version(), previous) else store(run)
    districts: dict[str, dict[str, int]] = document["districts"]
    keys = [*aggregate_expressions(), *(change_expressions() if previous is not None else ())]
    if district == ALL:
        return {k: sum(d.get(k, 0) for d in districts.values()) for k in keys}
    found = districts.get(district, {})
    return {k: found.get(k, 0) for k in keys}
