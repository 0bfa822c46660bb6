"""Assessing enterprises from the database, and reading stored screening results.

Use ``assess_enterprise`` for one enterprise's full explained result (the enterprise page, the API): its data is
read as an exchange-format profile and run through exactly the code ``srdi assess`` uses (a caller that also
needs the profile for something else reads it once with ``exports.stored_profile`` and passes it as ``stored``).
``latest_screening`` returns the stored result of the most recent whole-city run.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from srdi.db.models import AssessmentRun, Enterprise, EnterpriseAssessment
from srdi.domain.assessment.contract import run_assess
from srdi.domain.lifecycle import apply_lifecycle
from srdi.domain.rules.rulebook import load_library
from srdi.services.exports import stored_profile
from srdi.services.facts_loader import load_tables
from srdi.services.screening import default_as_of


def enterprise_profile(enterprise: Enterprise, stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The enterprise's data as an exchange-format profile (events left out), from ``stored``
    (``exports.stored_profile``, left as it is) when given, else read now."""
    profile = stored if stored is not None else stored_profile(enterprise)
    cleaned: dict[str, Any] = _decimals({k: v for k, v in profile.items() if k != "events"})
    return cleaned


def _decimals(data: Any) -> Any:
    # Ratios come out of the database as strings; the exchange format accepts them, keep them exact.
    if isinstance(data, dict):
        return {k: _decimals(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_decimals(v) for v in data]
    if isinstance(data, float):
        return Decimal(str(data))
    return data


def assess_enterprise(
    enterprise: Enterprise,
    *,
    as_of: date | None = None,
    purpose: str = "application",
    with_gaps: bool = True,
    with_profile: bool = True,
    stored: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The contract result (tiers, checks, gaps, six-dimension profile) for one stored enterprise (its profile
    from ``stored`` when given: see ``enterprise_profile``)."""
    as_of = as_of or default_as_of()
    profile = enterprise_profile(enterprise, stored)
    output = run_assess(
        {"as_of": as_of.isoformat(), "purpose": purpose, "enterprises": [profile]},
        with_gaps=with_gaps,
        with_profile=with_profile,
    )
    result: dict[str, Any] = output["results"][0]
    return result


def lifecycle_ends(enterprise: Enterprise, day: date) -> dict[tuple[str, date | None], date]:
    """(tier, recognised on) → the day the lifecycle rules end that title earlier than its own record says
    (cancelled after missed annual updates, removed for data fraud; ``srdi.domain.lifecycle``)."""
    tables = load_tables([enterprise.pk])
    living = apply_lifecycle(tables, load_library().lifecycle(day)).certifications
    recorded = {
        (r["tier"], r["recognized_on"]): r["revoked_on"] for r in tables.certifications.iter_rows(named=True)
    }
    return {
        (r["tier"], r["recognized_on"]): r["revoked_on"]
        for r in living.iter_rows(named=True)
        if r["revoked_on"] is not None and r["revoked_on"] != recorded.get((r["tier"], r["recognized_on"]))
    }


def latest_run(purpose: str = "application") -> AssessmentRun | None:
    """The most recent finished screening for ``purpose``."""
    return (
        AssessmentRun.objects.filter(finished_at__isnull=False, purpose=purpose)
        .order_by("-started_at")
        .first()
    )


def recent_runs(limit: int = 12) -> list[AssessmentRun]:
    """The latest finished screenings of any purpose, newest first (the screening page's run picker)."""
    return list(AssessmentRun.objects.filter(finished_at__isnull=False).order_by("-started_at")[:limit])


def finished_run(run_id: int) -> AssessmentRun | None:
    """A finished screening by id (None when there is none)."""
    return AssessmentRun.objects.filter(pk=run_id, finished_at__isnull=False).first()


def latest_screening(enterprise: Enterprise) -> dict[str, Any] | None:
    """The enterprise's row in the most recent screening, as plain data."""
    row = (
        EnterpriseAssessment.objects.filter(
            enterprise=enterprise, run__finished_at__isnull=False, run__purpose="application"
        )
        .select_related("run")
        .order_by("-run__started_at")
        .first()
    )
    if row is None:
        return None
    tiers = {}
    for t in ("innovative_sme", "srdi_sme", "hidden_champion", "little_giant"):
        tiers[t] = {
            "status": getattr(row, f"{t}_status"),
            "score": getattr(row, f"{t}_score"),
            "route": getattr(row, f"{t}_route"),
        }
    return {
        "run": row.run_id,
        "as_of": row.run.as_of.isoformat(),
        "screened_at": row.run.finished_at.isoformat() if row.run.finished_at else None,
        "size_class": row.size_class,
        "sme": row.is_sme,
        "tiers": tiers,
        "grade": row.grade,
        "dimensions": row.dimensions,
        "class": {
            "ladder": row.ladder,
            "next_tier": row.next_tier,
            "next_tier_progress": row.next_tier_progress,
            "eligible_next": row.eligible_next,
            "seedling": row.seedling,
            "one_firm_one_policy": row.one_firm_one_policy,
        },
    }
