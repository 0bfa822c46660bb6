"""The targets service's numbers equal direct ORM queries on a small seeded database, by tier and district."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone
from tests.conftest import make_uscc

from srdi.db.models import AssessmentRun, Certification, Enterprise, EnterpriseAssessment, Event, Sanction
from srdi.db.models.assessments import TIER_FIELDS
from srdi.domain.certifications import is_valid_on
from srdi.services import programme_targets as pt

WEST, BINJIANG, XIAOSHAN = "330106", "330108", "330109"
ON = date(2026, 11, 30)


def _ent(n: int, district: str | None) -> Enterprise:
    return Enterprise.objects.create(uscc=make_uscc(district or "330106", n), district_id=district)


@pytest.fixture
def world(db) -> None:
    n = 0

    def cert(district: str | None, tier: str, *recognized: date, revoked: date | None = None) -> Enterprise:
        nonlocal n
        n += 1
        e = _ent(n, district)
        for i, r in enumerate(recognized):
            last = i == len(recognized) - 1
            Certification.objects.create(
                enterprise=e, tier=tier, recognized_on=r, revoked_on=revoked if last else None
            )
        return e

    for y in (2022, 2023, 2024, 2025, 2026):
        for k in range(y - 2020):
            cert(WEST, "little_giant", date(y, 7, 1 + k))
        cert(BINJIANG, "little_giant", date(y, 8, 1))
        cert(WEST, "srdi_sme", date(y, 3, 1))
        cert(XIAOSHAN, "srdi_sme", date(y, 4, 1), date(y, 5, 1) if y > 2022 else date(y, 4, 1))
    cert(BINJIANG, "little_giant", date(2021, 7, 1), date(2024, 7, 1))  # a review: one title
    cert(BINJIANG, "little_giant", date(2022, 7, 1), revoked=date(2025, 3, 1))  # revoked
    cert(None, "little_giant", date(2023, 1, 1))  # district unknown
    moved = cert(XIAOSHAN, "little_giant", date(2021, 1, 1))  # recognised elsewhere, moved in 2025
    Event.objects.create(
        enterprise=moved, kind="relocation_in", date=date(2025, 6, 1), payload={"tier": "little_giant"}
    )
    fraud = cert(WEST, "srdi_sme", date(2023, 9, 9))
    Sanction.objects.create(enterprise=fraud, kind="data_fraud", date=date(2026, 2, 2))
    cert(WEST, "srdi_sme", None)  # no recognition date: never counts
    cert(WEST, "srdi_sme", date(2027, 1, 1))  # after the progress day


def direct_count(tier: str, day: date, district: str | None = None) -> int:
    """The counting rules as one ORM query (valid for the seed: no recognition after a revocation)."""
    certs = Certification.objects.filter(enterprise=OuterRef("pk"), tier=tier)
    qs = (
        Enterprise.objects.filter(Exists(certs.filter(recognized_on__lte=day)))
        .exclude(Exists(certs.filter(revoked_on__lte=day)))
        .exclude(Exists(Sanction.objects.filter(enterprise=OuterRef("pk"), kind="data_fraud", date__lte=day)))
        .exclude(
            Exists(
                Event.objects.filter(
                    enterprise=OuterRef("pk"), kind="relocation_in", payload__tier=tier, date__gt=day
                )
            )
        )
    )
    if district is not None:
        qs = qs.filter(district_id=district)
    return qs.count()


@pytest.mark.django_db
def test_city_values_equal_direct_queries(world: None) -> None:
    result = pt.progress(ON)
    measured = {t.key: t for t in result.targets if t.measured}
    assert set(measured) == {
        "hz81.innovative_sme",
        "hz81.srdi_sme",
        "hz81.hidden_champion",
        "hz81.little_giant",
        "hz25.srdi_sme_cum_2028",
        "hz25.hidden_champion_cum_2028",
        "hz25.little_giant_cum_2028",
        "hz25.lg_seedling_pool_min",  # the seedling pool (tests/integration/test_seedlings.py)
    }
    assert measured.pop("hz25.lg_seedling_pool_min").value == 0  # nobody in the pool yet
    for t in measured.values():
        assert t.value == direct_count(t.tier, ON), t.key
        for point in t.years:
            end = ON if point.year == ON.year else date(point.year, 12, 31)
            assert point.cumulative == direct_count(t.tier, end), (t.key, point.year)
    lg = measured["hz25.little_giant_cum_2028"]
    assert lg.value == 20 + 5 + 1 + 1 + 1  # west 2+3+4+5+6, binjiang 5, the review, unknown district, move-in
    unmeasured = [t for t in result.targets if not t.measured]
    assert {t.target_id for t in unmeasured} >= {"key_little_giant_cum", "jiebang_rounds", "conference"}
    assert all(t.value is None for t in unmeasured)


@pytest.mark.django_db
def test_districts_equal_direct_queries_and_add_up(world: None) -> None:
    for t in (x for x in pt.progress(ON).targets if x.measured):
        by_code = {d.code: d for d in t.districts}
        for code in (WEST, BINJIANG, XIAOSHAN):
            expected = direct_count(t.tier, ON, code)
            assert (by_code[code].value if code in by_code else 0) == expected, (t.key, code)
        assert sum(d.value for d in t.districts) == t.value
        if t.tier == "little_giant":
            assert by_code[pt.NO_DISTRICT].name == pt.NO_DISTRICT_LABEL


@pytest.mark.django_db
def test_one_district_sees_only_its_own(world: None) -> None:
    west = pt.progress(ON, WEST)
    for t in (x for x in west.targets if x.measured):
        assert t.value == direct_count(t.tier, ON, WEST)
        assert {d.code for d in t.districts} <= {WEST}


@pytest.mark.django_db
def test_yearly_additions_projection_and_lagging(world: None) -> None:
    lg = next(t for t in pt.progress(ON).targets if t.key == "hz25.little_giant_cum_2028")
    years = {p.year: p for p in lg.years}
    # 2025: west 5 + binjiang 1 + the move-in; the 2024 review adds nothing; the 2025 revocation removes one
    assert (years[2025].added, years[2025].removed, years[2025].net) == (7, 1, 6)
    assert (years[2024].added, years[2024].removed) == (5, 0)
    assert lg.projection is not None
    assert lg.projection.years_used == (2024, 2025)
    assert lg.projection.changes_used == (5, 6)
    assert lg.projection.projected == lg.value + int(
        lg.projection.pace_per_year * lg.projection.years_left // 1
    )
    assert str(lg.projection.projected) in lg.explanation
    by_code = {d.code: d for d in lg.districts}
    assert by_code[WEST].share_of_target == 750 * by_code[WEST].value // lg.value
    assert set(lg.lagging) == {d for d in lg.districts if d.projected < d.share_of_target}


@pytest.mark.django_db
def test_published_baseline_has_sources() -> None:
    rows = pt.published_baseline("little_giant")
    assert rows and all(r.source and r.status for r in rows)
    assert sum(r.count for r in rows if r.adds and r.year == 2023) == 117
    assert not any(r.adds for r in rows if r.kind == "review_passed")


@pytest.fixture
def screened(world: None) -> AssessmentRun:
    now = timezone.now()
    run = AssessmentRun.objects.create(as_of=ON, started_at=now, finished_at=now)
    AssessmentRun.objects.create(as_of=ON, started_at=now, finished_at=None)  # unfinished: ignored
    for i, e in enumerate(Enterprise.objects.order_by("pk")):
        statuses = {t: ("eligible" if (i + k) % 3 else "ineligible") for k, t in enumerate(TIER_FIELDS)}
        EnterpriseAssessment.objects.create(
            run=run, enterprise=e, **{f"{t}_status": s for t, s in statuses.items()}
        )
    return run


def direct_pipeline(run: AssessmentRun, tier: str, district: str | None) -> int:
    holds = Certification.objects.filter(
        enterprise=OuterRef("enterprise"), tier=tier, recognized_on__lte=run.as_of
    ).exclude(revoked_on__lte=run.as_of)
    valid = [
        c.pk
        for c in Certification.objects.filter(tier=tier)
        if is_valid_on(c, run.as_of)  # the domain rule, not the service's Q
    ]
    rows = EnterpriseAssessment.objects.filter(run=run, **{f"{tier}_status": "eligible"}).exclude(
        Exists(holds.filter(pk__in=valid))
    )
    if district is not None:
        rows = rows.filter(enterprise__district_id=district)
    return rows.count()


@pytest.mark.django_db
def test_pipeline_equals_direct_queries(screened: AssessmentRun) -> None:
    from srdi.services.programme_pipeline import pipeline

    city = pipeline()
    assert city is not None and city.run_id == screened.pk
    assert [t.tier for t in city.tiers] == list(TIER_FIELDS)
    for t in city.tiers:
        assert t.total == direct_pipeline(screened, t.tier, None), t.tier
        by_code = {d.code: d.count for d in t.districts}
        for code in (WEST, BINJIANG, XIAOSHAN):
            assert by_code.get(code, 0) == direct_pipeline(screened, t.tier, code), (t.tier, code)
        assert sum(by_code.values()) == t.total
    assert any(t.total for t in city.tiers)
    west = pipeline(WEST)
    assert west is not None
    for t in west.tiers:
        assert t.total == direct_pipeline(screened, t.tier, WEST)
        assert {d.code for d in t.districts} <= {WEST}


@pytest.mark.django_db
def test_no_screening_no_pipeline(world: None) -> None:
    from srdi.services.programme_pipeline import pipeline

    assert pipeline() is None
