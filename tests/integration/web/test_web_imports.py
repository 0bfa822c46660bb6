"""The import page: preview first, then confirm; row-level errors, all-or-nothing, partial import, permissions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from web_helpers import make_uscc

from srdi.db.models import AuditAction, AuditEvent, Enterprise, ImportBatch

pytestmark = pytest.mark.django_db

IMPORT = reverse("web:import")
CONFIRM = reverse("web:import_confirm")


def mixed_csv() -> bytes:
    good = make_uscc(501)
    bad = make_uscc(502)[:17] + ("0" if make_uscc(502)[17] != "0" else "1")  # wrong check character
    lines = [
        "uscc,name,district,year,operating_revenue_fen",
        f"{good},新导入甲公司,330106,2024,100000000",
        f"{bad},新导入乙公司,330106,2024,abc",
    ]
    return ("\n".join(lines) + "\n").encode()


def preview(client, data: bytes, name: str = "batch.csv", partial: bool = False):
    payload = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if partial:
        payload["partial"] = "on"
    return client.post(IMPORT, payload)


def upload(client, data: bytes, name: str = "batch.csv", partial: bool = False, confirm_flags: bool = False):
    """Preview, then confirm when the preview offers to write (as a user clicking 确认写入)."""
    response = preview(client, data, name, partial)
    pending = response.context.get("pending") if response.context else None
    if pending is None:
        return response
    body = {"token": pending.token}
    if confirm_flags:
        body["confirm_flags"] = "on"
    return client.post(CONFIRM, body)


def test_mixed_file_shows_row_errors_and_writes_nothing(login_as, seed):
    before = Enterprise.objects.count()
    batches = ImportBatch.objects.count()
    response = upload(login_as("district_staff"), mixed_csv())
    assert response.status_code == 200
    text = response.content.decode()
    assert "有错误时不会写入任何数据" in text
    assert response.context.get("pending") is None
    errors = response.context["preview"].errors
    assert {e.row for e in errors} == {3}
    assert {e.column for e in errors} >= {"operating_revenue_fen"}
    assert "第 3 行" in text
    assert "abc" in text
    assert Enterprise.objects.count() == before
    assert ImportBatch.objects.count() == batches  # a preview records nothing


def test_preview_shows_the_diff_and_confirm_writes_exactly_that(login_as, seed):
    client = login_as("district_staff")
    uscc = make_uscc(511)
    first = (
        f"uscc,name,district,year,operating_revenue_fen,employees\n{uscc},预览公司,330106,2024,800000000,40\n"
    )
    response = preview(client, first.encode())
    assert response.context["preview"].created == 1 and not Enterprise.objects.filter(uscc=uscc).exists()
    done = client.post(CONFIRM, {"token": response.context["pending"].token})
    assert done.context["result"].status == ImportBatch.Status.APPLIED
    assert "已导入" in done.content.decode()
    second = first.replace(",40", ",45")
    response = preview(client, second.encode())
    text = response.content.decode()
    assert response.context["preview"].changed == 1
    assert "2024年 从业人员" in text and "40" in text and "45" in text
    # the token is single-use and bound to its user
    token = response.context["pending"].token
    assert login_as("city_staff").post(CONFIRM, {"token": token}).context["confirm_error"]
    client.post(CONFIRM, {"token": token})
    assert "预览已失效" in client.post(CONFIRM, {"token": token}).content.decode()


def test_likely_unit_slip_needs_the_checkbox(login_as, seed):
    client = login_as("district_staff")
    uscc = make_uscc(512)
    data = (
        "uscc,name,district,year,operating_revenue_fen,employees\n"
        f"{uscc},单位公司,330106,2023,900000000,60\n{uscc},单位公司,330106,2024,900,60\n"
    ).encode()
    response = preview(client, data)
    assert "疑似单位填错" in response.content.decode() or "疑似金额单位" in response.content.decode()
    held = client.post(CONFIRM, {"token": response.context["pending"].token})
    assert held.context["result"].status == ImportBatch.Status.HELD
    assert not Enterprise.objects.filter(uscc=uscc).exists()
    written = upload(client, data, confirm_flags=True)
    assert written.context["result"].status == ImportBatch.Status.APPLIED
    assert Enterprise.objects.filter(uscc=uscc).exists()


def test_progress_is_readable_only_by_its_owner(login_as, seed):
    client = login_as("district_staff")
    token = "t" * 24
    response = client.post(
        IMPORT,
        {"file": SimpleUploadedFile("p.csv", mixed_csv(), content_type="text/csv"), "progress_token": token},
    )
    assert response.status_code == 200
    state = client.get(reverse("web:import_progress", args=[token])).json()
    assert state["known"] and state["done"] and state["percent"] == 100
    assert login_as("city_staff").get(reverse("web:import_progress", args=[token])).json() == {"known": False}


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
    assert response.context["preview"].refused
    assert "xlsx" in response.content.decode()


def test_many_errors_are_capped_on_the_page(login_as, seed):
    lines = ["uscc,name,district"] + [f"BAD{i:015d},企业{i},330106" for i in range(260)]
    response = upload(login_as("city_staff"), ("\n".join(lines) + "\n").encode())
    assert len(response.context["preview"].errors) >= 260
    assert len(response.context["preview_errors"]) == 200
    assert "此处列出前 200 处" in response.content.decode()


def test_batches_listed_per_role(login_as, seed):
    upload(login_as("district_staff"), mixed_csv(), partial=True)
    changed = mixed_csv().replace(b",2024,100000000", b",2024,100000001")  # something left to write
    upload(login_as("city_staff"), changed, name="city.csv", partial=True)
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
