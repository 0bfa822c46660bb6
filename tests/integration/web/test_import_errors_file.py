"""The import page offers every error of a file as a workbook, to the uploader only, audited."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from web_helpers import make_uscc

from srdi.db.models import AuditAction, AuditEvent
from srdi.interchange.error_workbook import DATA_SHEET, ERRORS_HEADER
from srdi.web.rate_limits import EXPORT_ROUTES

pytestmark = pytest.mark.django_db


def several_errors_csv() -> bytes:
    good = make_uscc(601)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    lines = [
        "统一社会信用代码,企业名称,所属区县,年度,营业收入（万元）,数字化水平等级",
        f"{make_uscc(602)},好公司,西湖区,2024,10,2",
        f"{wrong},坏公司,西湖区,2024,abc,9",  # three errors in one row
    ]
    return ("\n".join(lines) + "\n").encode()


def test_preview_links_the_error_workbook_for_the_uploader_only(login_as, seed):
    client = login_as("district_staff")
    upload = SimpleUploadedFile("西湖区.csv", several_errors_csv(), content_type="text/csv")
    response = client.post(reverse("web:import"), {"file": upload})
    preview = response.context["preview"]
    assert {e.letter for e in preview.errors if e.row == 3} == {"A", "E", "F"}
    kept = response.context["errors_file"]
    url = reverse("web:import_errors_file", args=[kept.token])
    assert url in response.content.decode()
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    ws = load_workbook(io.BytesIO(download.content))[DATA_SHEET]
    assert ws["G1"].value == ERRORS_HEADER
    assert ws["G2"].value is None
    note = ws["G3"].value
    assert (
        "A列「统一社会信用代码」" in note
        and "E列「营业收入（万元）」" in note
        and "F列「数字化水平等级」" in note
    )
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="import_errors")
    assert event.actor == seed.users["district_staff"] and event.new["errors"] == 3
    # another district's user, or a role without the import right, never gets it
    assert login_as("other_district_staff").get(url).status_code == 404
    assert login_as("auditor").get(url).status_code == 403
    assert client.get(reverse("web:import_errors_file", args=["forged-token"])).status_code == 404
    assert "web:import_errors_file" in EXPORT_ROUTES


def test_a_file_without_errors_offers_no_error_workbook(login_as, seed):
    client = login_as("district_staff")
    csv = f"统一社会信用代码,企业名称,所属区县\n{make_uscc(603)},好公司,西湖区\n".encode()
    response = client.post(reverse("web:import"), {"file": SimpleUploadedFile("ok.csv", csv)})
    assert response.context["preview"].errors == []
    assert "errors_file" not in response.context


def test_the_result_of_a_partial_import_links_its_errors(login_as, seed):
    client = login_as("district_staff")
    upload = SimpleUploadedFile("部分.csv", several_errors_csv(), content_type="text/csv")
    previewed = client.post(reverse("web:import"), {"file": upload, "partial": "on"})
    done = client.post(reverse("web:import_confirm"), {"token": previewed.context["pending"].token})
    assert done.context["result"].errors
    url = reverse("web:import_errors_file", args=[done.context["errors_file"].token])
    assert url in done.content.decode()
    ws = load_workbook(io.BytesIO(client.get(url).content))[DATA_SHEET]
    assert "F列「数字化水平等级」" in ws["G3"].value
