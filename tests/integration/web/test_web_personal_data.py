"""Personal data on every outward path, per role: pages and exports show it masked (the city administrator's
exports too); only the audited reveal shows it in full."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from srdi.db.models import AuditAction, AuditEvent
from srdi.services.exports import export_enterprises

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER = "13912345678", "33010619800101003X"
MASKED_PHONE, MASKED_ID = "139****5678", "330106********003X"
ROLES = [
    "city_admin",
    "city_staff",
    "district_staff",
    "other_district_staff",
    "enterprise",
    "auditor",
    "provider",
]


def _xlsx_text(content: bytes) -> str:
    return str([c.value for row in load_workbook(io.BytesIO(content)).active for c in row])


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_contacts_masked_on_the_page_and_in_exports(login_as, seed, role):
    client = login_as(role)
    page = client.get(reverse("web:enterprise_detail", args=[seed.west.pk]))
    texts = [page.content.decode()] if page.status_code == 200 else []
    for fmt in ("csv", "xlsx", "json"):
        response = client.post(reverse("web:enterprise_export"), {"fmt": fmt})
        if response.status_code != 200:
            continue
        texts.append(_xlsx_text(response.content) if fmt == "xlsx" else response.content.decode("utf-8-sig"))
    joined = "\n".join(texts)
    assert PHONE not in joined and ID_NUMBER not in joined
    if role in ("city_admin", "city_staff", "district_staff"):  # those who see the enterprise see the mask
        assert MASKED_PHONE in joined and MASKED_ID in joined
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_an_operators_export_masks_too(seed):
    for fmt in ("csv", "xlsx"):
        content = export_enterprises(None, fmt).content
        text = _xlsx_text(content) if fmt == "xlsx" else content.decode("utf-8-sig")
        assert MASKED_PHONE in text and PHONE not in text and ID_NUMBER not in text


def test_the_admin_shows_contacts_masked(login_as, seed):
    client = login_as("city_admin")
    text = client.get("/admin/srdi/contact/").content.decode()
    assert MASKED_PHONE in text and PHONE not in text and ID_NUMBER not in text


def test_only_the_audited_reveal_shows_them_in_full(login_as, seed):
    response = login_as("city_admin").post(reverse("web:enterprise_reveal", args=[seed.west.pk]))
    assert PHONE in response.content.decode() and ID_NUMBER in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert event.success and event.extra["fields"] == ["name", "phone", "id_number"]
    assert PHONE not in str(event.extra) + str(event.new) + str(event.old)
