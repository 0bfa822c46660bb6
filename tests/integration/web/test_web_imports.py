"""The import page: row-level errors, all-or-nothing, partial import, permissions, template download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from web_helpers import make_uscc

from srdi.db.models import AuditAction, AuditEvent, Enterprise, ImportBatch

pytestmark = pytest.mark.django_db

IMPORT = reverse("web:import")


def mixed_csv() -> bytes:
    good = make_uscc(501)
    bad = make_uscc(502)[:17] + ("0" if make_uscc(502)[17] != "0" else "1")  # wrong check character
    lines = [
        "uscc,name,district,year,operating_revenue_fen",
        f"{good},新导入甲公司,330106,2024,100000000",
        f"{bad},新导入乙公司,330106,2024,abc",
    ]
    return ("\n".join(lines) + "\n").encode()


def upload(client, data: bytes, name: str = "batch.csv", partial: bool = False):
    payload = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if partial:
        payload["partial"] = "on"
    return client.post(IMPORT, payload)


def test_mixed_file_shows_row_errors_and_writes_nothing(login_as, seed):
    before = Enterprise.objects.count()
    response = upload(login_as("district_staff"), mixed_csv())
    assert response.status_code == 200
    text = response.content.decode()
    assert "已拒绝（未写入）" in text
    assert "未写入任何数据" in text
    errors = response.context["errors"]
    assert {e.row for e in errors} == {3}
    assert {e.column for e in errors} >= {"operating_revenue_fen"}
    assert "第 3 行" in text
    assert "abc" in text
    assert Enterprise.objects.count() == before
    batch = ImportBatch.objects.get(pk=response.context["result"].batch_id)
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.actor == seed.users["district_staff"]


def test_partial_import_writes_the_valid_rows(login_as, seed):
    response = upload(login_as("district_staff"), mixed_csv(), partial=True)
    assert "部分导入" in response.content.decode()
    assert Enterprise.objects.filter(uscc=make_uscc(501)).exists()
    assert Enterprise.objects.count() == 4


def test_district_staff_cannot_import_another_district(login_as, seed):
    data = f"uscc,name,district\n{make_uscc(601, '330108')},越权企业,330108\n".encode()
    response = upload(login_as("district_staff"), data)
    assert "无权导入其他区县" in response.content.decode()
    assert not Enterprise.objects.filter(name="越权企业").exists()


@override_settings(SRDI_IMPORT_MAX_BYTES=100)
def test_oversized_upload_is_refused_before_reading(login_as, seed):
    before = ImportBatch.objects.count()
    response = upload(login_as("city_staff"), b"uscc\n" + b"x" * 200)
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    assert ImportBatch.objects.count() == before


def test_hostile_file_is_rejected_with_a_reason(login_as, seed):
    response = upload(login_as("city_staff"), b"PK\x03\x04not really a zip", name="evil.xlsx")
    assert response.status_code == 200
    assert response.context["result"].status == ImportBatch.Status.REJECTED
    assert "xlsx" in response.content.decode()


def test_many_errors_are_capped_on_the_page(login_as, seed):
    lines = ["uscc,name,district"] + [f"BAD{i:015d},企业{i},330106" for i in range(260)]
    response = upload(login_as("city_staff"), ("\n".join(lines) + "\n").encode())
    assert response.context["error_count"] >= 260
    assert len(response.context["errors"]) == 200
    assert "仅列出前 200 处" in response.content.decode()


def test_batches_listed_per_role(login_as, seed):
    upload(login_as("district_staff"), mixed_csv())
    upload(login_as("city_staff"), mixed_csv(), name="city.csv")
    district_batches = login_as("district_staff").get(IMPORT).context["batches"]
    assert {b.filename for b in district_batches} == {"batch.csv"}
    other_district = login_as("other_district_staff").get(IMPORT).context["batches"]
    assert other_district == []
    city_batches = {b.filename for b in login_as("city_admin").get(IMPORT).context["batches"]}
    assert {"batch.csv", "city.csv"} <= city_batches


@pytest.mark.parametrize("role", ["auditor", "enterprise", "provider"])
def test_roles_without_import_right_get_403_and_are_audited(login_as, seed, role):
    client = login_as(role)
    assert client.get(IMPORT).status_code == 403
    response = upload(client, mixed_csv())
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
    assert client.get(reverse("web:import_template", args=["csv"])).status_code == 403
    assert not ImportBatch.objects.filter(actor=seed.users[role]).exists()
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.ACCESS_DENIED, actor=seed.users[role], object_id="import"
        ).count()
        == 2
    )


def test_template_downloads(login_as):
    client = login_as("district_staff")
    csv_template = client.get(reverse("web:import_template", args=["csv"]))
    assert csv_template.status_code == 200
    assert "uscc" in csv_template.content.decode("utf-8-sig")
    assert csv_template["Content-Disposition"].startswith("attachment;")
    xlsx_template = client.get(reverse("web:import_template", args=["xlsx"]))
    assert xlsx_template.content[:2] == b"PK"
    assert client.get(reverse("web:import_template", args=["pdf"])).status_code == 404
