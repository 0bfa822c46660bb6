"""The cockpit page: numbers equal direct ORM queries, district users see their district only, exports, refusals."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from tests.integration.test_programme_targets import direct_count, direct_pipeline
from web_helpers import BINJIANG, WEST_LAKE

from srdi.db.models import AssessmentRun, AuditEvent, Enterprise, EnterpriseAssessment
from srdi.domain.permissions import Permission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cockpit is cached under a fingerprint of the rows; tests roll back and reuse ids, so each starts empty."""
    from django.core.cache import cache

    cache.clear()


def _measured(response):
    c = response.context["c"]
    return c, [t for t in c.progress.targets if t.measured]


def test_city_view_numbers_equal_direct_queries(login_as) -> None:
    response = login_as("city_staff").get("/cockpit/")
    assert response.status_code == 200
    c, measured = _measured(response)
    assert c.district == ""
    today = c.on
    assert any(t.value for t in measured)
    for t in measured:
        assert t.value == direct_count(t.tier, today), t.key
        for d in t.districts:
            assert d.value == direct_count(t.tier, today, d.code or None), (t.key, d.code)
    rows = {(r[0], r[1]): r for r in c.table("targets").rows}
    for t in measured:
        assert rows[(t.pack_citation, t.label)][3] == t.value
    html = response.content.decode()
    assert "目标驾驶舱" in html and "预计期末值" in html and 'data-chart="bar"' in html
    assert 'href="/cockpit/"' in html  # in the menu


def test_leader_downloads_the_cockpit_tables_without_data_export(login_as) -> None:
    client = login_as("leader")
    assert not client.get("/").wsgi_request.user.can(Permission.DATA_EXPORT)
    response = client.get("/cockpit/export/?table=targets")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).active.max_row > 1
    assert "/cockpit/export/?table=targets" in client.get("/cockpit/").content.decode()


def test_city_roles_pick_a_district(login_as) -> None:
    for role in ("leader", "city_staff", "auditor"):
        response = login_as(role).get(f"/cockpit/?district={BINJIANG}")
        assert response.status_code == 200, role
        c, measured = _measured(response)
        assert c.district == BINJIANG
        for t in measured:
            assert t.value == direct_count(t.tier, c.on, BINJIANG)
            assert {d.code for d in t.districts} <= {BINJIANG}


def test_district_staff_see_their_district_only(login_as) -> None:
    client = login_as("district_staff")
    for url in ("/cockpit/", f"/cockpit/?district={BINJIANG}"):
        response = client.get(url)
        assert response.status_code == 200
        c, measured = _measured(response)
        assert c.district == WEST_LAKE
        for t in measured:
            assert t.value == direct_count(t.tier, c.on, WEST_LAKE)
            assert {d.code for d in t.districts} <= {WEST_LAKE}
    exported = client.get(f"/cockpit/export/?table=districts&district={BINJIANG}")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    codes = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert codes <= {WEST_LAKE}


@pytest.mark.parametrize("role", ["enterprise", "provider", "responsible_unit", "system_admin"])
def test_other_roles_are_refused(login_as, role: str) -> None:
    client = login_as(role)
    assert client.get("/cockpit/").status_code == 403
    assert client.get("/cockpit/export/?table=targets").status_code == 403
    assert 'href="/cockpit/"' not in client.get("/").content.decode()


def test_pipeline_equals_direct_queries(login_as) -> None:
    now = timezone.now()
    run = AssessmentRun.objects.create(as_of=timezone.localdate(), started_at=now, finished_at=now)
    for e in Enterprise.objects.all():
        EnterpriseAssessment.objects.create(
            run=run,
            enterprise=e,
            innovative_sme_status="eligible",
            srdi_sme_status="eligible",
            hidden_champion_status="ineligible",
            little_giant_status="eligible",
        )
    c = login_as("city_staff").get("/cockpit/").context["c"]
    assert c.pipeline is not None and c.pipeline.run_id == run.pk
    for t in c.pipeline.tiers:
        assert t.total == direct_pipeline(run, t.tier, None), t.tier
    assert any(t.total for t in c.pipeline.tiers)
    west = login_as("district_staff").get("/cockpit/").context["c"]
    for t in west.pipeline.tiers:
        assert t.total == direct_pipeline(run, t.tier, WEST_LAKE)


def test_every_table_exports_as_xlsx_and_is_audited(login_as) -> None:
    client = login_as("city_staff")
    c = client.get("/cockpit/").context["c"]
    for table in c.tables:
        response = client.get(f"/cockpit/export/?table={table.key}")
        assert response.status_code == 200, table.key
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert tuple(rows[0]) == table.columns
        assert len(rows) - 1 == len(table.rows)
    assert AuditEvent.objects.filter(object_type="cockpit").count() == len(c.tables)
    assert client.get("/cockpit/export/?table=nope").status_code == 404


def test_cached_cockpit_follows_every_write(login_as) -> None:
    """Writes that bypass signals (``update``, deletes) still change the figures on the next load."""
    from django.db import connection

    from srdi.db.models import Certification
    from srdi.services.programme_cockpit import cockpit, compute_cockpit
    from srdi.services.programme_version import data_version

    client = login_as("city_staff")
    today = client.get("/cockpit/").context["c"].on  # the screening reference day (may be pinned in tests)

    def little_giants() -> int:
        c = client.get("/cockpit/").context["c"]
        return next(t.value for t in c.measured if t.key == "hz25.little_giant_cum_2028")

    before = little_giants()
    assert before == direct_count("little_giant", today) > 0
    assert connection.vendor not in ("postgresql", "sqlite") or data_version() is not None
    assert cockpit(today) == compute_cockpit(today)  # a cached copy equals a fresh one
    Certification.objects.filter(tier="little_giant").update(revoked_on=today)
    assert little_giants() == direct_count("little_giant", today) == 0
    Certification.objects.filter(tier="little_giant").update(revoked_on=None)
    assert little_giants() == before
    Enterprise.objects.filter(district_id=BINJIANG).update(district_id=WEST_LAKE)
    west = client.get(f"/cockpit/?district={WEST_LAKE}").context["c"]
    lg = next(t for t in west.measured if t.key == "hz25.little_giant_cum_2028")
    assert lg.value == direct_count("little_giant", today, WEST_LAKE) == before


def test_the_fingerprint_changes_with_every_row_the_figures_read(login_as) -> None:
    """Each column the cockpit reads, changed by a bulk ``update`` (no signals), changes ``data_version``."""
    from datetime import date

    from srdi.db.models import Certification, District, Event, Sanction
    from srdi.domain.reference import CERT_TIERS
    from srdi.services.programme_version import data_version

    login_as("city_staff").get("/cockpit/")
    seen = {data_version()}
    assert None not in seen
    cert = Certification.objects.filter(tier="little_giant").order_by("id").first()
    ent = Enterprise.objects.order_by("id").first()
    assert cert is not None and ent is not None
    Event.objects.create(
        enterprise=ent, kind="relocation_in", date=date(2024, 5, 1), payload={"tier": "srdi_sme"}
    )
    Sanction.objects.create(enterprise=ent, kind="data_fraud", date=date(2024, 6, 1))
    district = District.objects.get(code=BINJIANG)
    writes = [
        lambda: Certification.objects.filter(pk=cert.pk).update(recognized_on=date(2020, 1, 2)),
        lambda: Certification.objects.filter(pk=cert.pk).update(revoked_on=date(2025, 1, 2)),
        lambda: Certification.objects.filter(pk=cert.pk).update(expires_on=date(2027, 1, 2)),
        *(  # every tier code tells apart from every other
            (lambda tier=tier: Certification.objects.filter(pk=cert.pk).update(tier=tier))
            for tier in CERT_TIERS
            if tier != "little_giant"
        ),
        lambda: Certification.objects.filter(pk=cert.pk).update(enterprise=ent),
        lambda: Enterprise.objects.filter(pk=ent.pk).update(district_id=BINJIANG),
        lambda: Event.objects.filter(kind="relocation_in").update(payload={"tier": "little_giant"}),
        lambda: Event.objects.filter(kind="relocation_in").update(date=date(2024, 5, 2)),
        lambda: Sanction.objects.filter(kind="data_fraud").update(date=date(2024, 6, 2)),
        lambda: District.objects.filter(pk=district.pk).update(name="滨江新区"),
        lambda: Certification.objects.filter(pk=cert.pk).delete(),
    ]
    for write in writes:
        write()
        seen.add(data_version())
    assert len(seen) == len(writes) + 1


def test_a_screening_recomputes_only_the_pipeline_and_a_title_both(login_as, monkeypatch) -> None:
    """Per-part cache: which parts are computed again after which write (counted by wrapping the two)."""
    from datetime import date

    from srdi.db.models import Certification
    from srdi.services import programme_cockpit
    from srdi.services.programme_cockpit import cockpit, compute_cockpit

    calls: list[str] = []
    for name in ("progress", "pipeline"):
        real = getattr(programme_cockpit, name)
        monkeypatch.setattr(
            programme_cockpit,
            name,
            lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k),
        )
    day = login_as("city_staff").get("/cockpit/").context["c"].on
    calls.clear()
    first = cockpit(day)
    assert calls in ([], ["progress", "pipeline"])  # computed, or cached by the page load
    calls.clear()
    assert cockpit(day) == first and calls == []  # both parts cached

    now = timezone.now()
    run = AssessmentRun.objects.create(as_of=day, started_at=now, finished_at=now)
    ent = Enterprise.objects.order_by("pk").first()
    EnterpriseAssessment.objects.create(run=run, enterprise=ent, little_giant_status="eligible")
    after_screening = cockpit(day)
    assert calls == ["pipeline"]
    assert after_screening.pipeline is not None and after_screening.pipeline.run_id == run.pk
    assert after_screening.progress == first.progress

    calls.clear()
    Certification.objects.create(enterprise=ent, tier="little_giant", recognized_on=date(day.year, 1, 1))
    after_title = cockpit(day)
    assert sorted(calls) == ["pipeline", "progress"]
    assert after_title == compute_cockpit(day)
