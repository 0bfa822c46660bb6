"""The monthly brief from the cockpit: links per format on the page, the files for the month chosen, district
staff get their own district's brief only, other roles are refused, every download is audited."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from tests.integration.test_programme_targets import direct_count
from tests.pdf_pages import page_texts
from web_helpers import BINJIANG, WEST_LAKE

from srdi.db.models import AuditEvent
from srdi.web.views.monthly_brief import last_full_month

pytestmark = pytest.mark.django_db
MONTH_END = date(2026, 11, 30)


def _key(content: bytes) -> dict[str, object]:
    wb = load_workbook(io.BytesIO(content))
    return {row[0]: row[1] for row in wb["关键指标"].iter_rows(min_row=2, values_only=True)}


def test_cockpit_offers_both_formats(login_as) -> None:
    html = login_as("city_staff").get("/cockpit/").content.decode()
    assert 'formaction="/cockpit/monthly/pdf/"' in html and 'formaction="/cockpit/monthly/xlsx/"' in html
    assert 'name="month"' in html


def test_city_downloads_pdf_and_xlsx_for_the_month_chosen(login_as) -> None:
    client = login_as("city_staff")
    pdf = client.get("/cockpit/monthly/pdf/?month=2026-11")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "srdi-monthly-2026-11.pdf" in pdf["Content-Disposition"]
    text = page_texts(pdf.content)[0]
    assert "2026年11月" in text and "范围：全市" in text
    xlsx = client.get("/cockpit/monthly/xlsx/?month=2026-11")
    assert xlsx.status_code == 200 and "srdi-monthly-2026-11.xlsx" in xlsx["Content-Disposition"]
    assert _key(xlsx.content)["国家级专精特新“小巨人”企业累计（81号）"] == direct_count(
        "little_giant", MONTH_END
    )
    events = AuditEvent.objects.filter(object_type="monthly_brief", action="export")
    assert events.count() == 2 and {e.object_id for e in events} == {"2026-11:city"}
    picked = client.get(f"/cockpit/monthly/xlsx/?month=2026-11&district={BINJIANG}")
    assert f"srdi-monthly-2026-11-{BINJIANG}.xlsx" in picked["Content-Disposition"]


def test_district_staff_get_their_district_only(login_as) -> None:
    client = login_as("district_staff")
    response = client.get(f"/cockpit/monthly/xlsx/?month=2026-11&district={BINJIANG}")
    assert response.status_code == 200
    assert f"srdi-monthly-2026-11-{WEST_LAKE}.xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert [r[1] for r in wb["分区县"].iter_rows(min_row=2, values_only=True)] == [WEST_LAKE]
    assert _key(response.content)["国家级专精特新“小巨人”企业累计（81号）"] == direct_count(
        "little_giant", MONTH_END, WEST_LAKE
    )
    assert AuditEvent.objects.get(object_type="monthly_brief").object_id == f"2026-11:{WEST_LAKE}"


@pytest.mark.parametrize("role", ["enterprise", "provider", "responsible_unit", "system_admin"])
def test_other_roles_are_refused(login_as, role: str) -> None:
    client = login_as(role)
    assert client.get("/cockpit/monthly/pdf/?month=2026-11").status_code == 403
    assert client.get("/cockpit/monthly/xlsx/?month=2026-11").status_code == 403
    assert not AuditEvent.objects.filter(object_type="monthly_brief").exists()


def test_bad_month_and_format(login_as) -> None:
    client = login_as("city_staff")
    bad = client.get("/cockpit/monthly/pdf/?month=2026-13")
    assert bad.status_code == 400 and "月份应在 01 至 12 之间" in bad.content.decode()
    assert client.get("/cockpit/monthly/docx/?month=2026-11").status_code == 404


def test_default_month_is_the_last_full_month() -> None:
    assert last_full_month(date(2026, 12, 7)) == "2026-11"
    assert last_full_month(date(2026, 1, 15)) == "2025-12"
    assert last_full_month(date(2026, 11, 30)) == "2026-11"
