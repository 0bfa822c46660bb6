"""Exports from the list page: exactly the filtered rows, scoped, escaped, masked, audited."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import unquote

import pytest
from django.urls import reverse

from srdi.db.models import AuditAction, AuditEvent
from srdi.services.exports import CONTENT_TYPES

pytestmark = pytest.mark.django_db

EXPORT = reverse("web:enterprise_export")


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_export_is_post_only(login_as):
    assert login_as("city_staff").get(EXPORT, {"fmt": "csv"}).status_code == 405


def test_csv_export_escapes_formulas_and_masks_contacts(login_as, seed):
    response = login_as("city_staff").post(EXPORT, {"fmt": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store, private"
    text = response.content.decode("utf-8-sig")
    assert "'=1+2 公式测试公司" in text
    for row in csv_rows(response):
        for value in row.values():
            assert not (value or "").startswith(("=", "+", "@")), value
    assert "13912345678" not in text
    assert "33010619800101003X" not in text
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor == seed.users["city_staff"]
    assert event.new["count"] == 3


def test_export_holds_exactly_the_filtered_rows(login_as, seed):
    response = login_as("city_staff").post(EXPORT, {"fmt": "json", "tier": "little_giant"})
    profiles = json.loads(response.content)
    assert [p["uscc"] for p in profiles] == [seed.binjiang.uscc]
    response = login_as("city_staff").post(EXPORT, {"fmt": "json", "q": "西湖"})
    assert {p["uscc"] for p in json.loads(response.content)} == {seed.west.uscc}


def test_district_staff_export_stays_in_their_district(login_as, seed):
    client = login_as("district_staff")
    profiles = json.loads(client.post(EXPORT, {"fmt": "json"}).content)
    assert {p["uscc"] for p in profiles} == {seed.west.uscc, seed.west_formula.uscc}
    # Asking for the other district by filter yields nothing, not the other district's rows.
    profiles = json.loads(client.post(EXPORT, {"fmt": "json", "district": "330108"}).content)
    assert seed.binjiang.uscc not in {p["uscc"] for p in profiles}
    profiles = json.loads(client.post(EXPORT, {"fmt": "json", "q": seed.binjiang.uscc}).content)
    assert profiles == []


def test_enterprise_user_exports_only_itself(login_as, seed):
    profiles = json.loads(login_as("enterprise").post(EXPORT, {"fmt": "json"}).content)
    assert [p["uscc"] for p in profiles] == [seed.west.uscc]


def test_xlsx_export_is_a_workbook(login_as):
    response = login_as("auditor").post(EXPORT, {"fmt": "xlsx"})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_unknown_format_is_refused(login_as):
    assert login_as("city_staff").post(EXPORT, {"fmt": "exe"}).status_code == 400


def test_provider_cannot_export(login_as):
    response = login_as("provider").post(EXPORT, {"fmt": "csv"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, object_id="enterprise_export").exists()


def test_xlsx_is_the_default_download_and_offered_first(login_as, seed):
    client = login_as("city_staff")
    response = client.post(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["xlsx"]
    assert response.content[:2] == b"PK"
    assert response["Content-Disposition"].endswith('.xlsx"')
    page = client.get(reverse("web:enterprise_list")).content.decode()
    assert page.index('value="xlsx"') < page.index('value="csv"') < page.index('value="json"')
    assert "CSV（机器交换格式，用表格软件打开会损坏长数字，请优先下载 XLSX）" in page


def test_a_csv_download_is_named_as_the_machine_format(login_as, seed):
    response = login_as("city_staff").post(EXPORT, {"fmt": "csv"})
    name = unquote(response["Content-Disposition"].split("filename*=utf-8''", 1)[1])
    assert name.startswith("srdi-enterprises-") and name.endswith("-机器交换格式.csv")
    assert response.content.decode("utf-8-sig").startswith("uscc,")  # no label line inside the file
