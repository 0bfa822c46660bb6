"""Corrupt and hostile uploads on the import page: a page with the refusal and its code, never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from tests.hostile_files import corpus, million_row_xlsx, named_xlsx

from srdi.db.models import ImportBatch
from srdi.web.forms_money import ActionForm, ObjectionForm, VoucherCancelForm

pytestmark = pytest.mark.django_db

IMPORT = reverse("web:import")


def post(client, data: bytes, name: str):
    return client.post(
        IMPORT, {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")}
    )


def test_corrupt_uploads_get_the_refusal_on_the_page_never_a_500(login_as):
    client = login_as("district_staff")
    batches = ImportBatch.objects.count()
    refused = 0
    for family, name, data in corpus(120, seed=2026):
        response = post(client, data, name)
        assert response.status_code in (200, 400), (family, name, response.status_code)
        preview = response.context.get("preview") if response.context else None
        if preview is not None and preview.refused:
            refused += 1
            assert preview.refusal and preview.refusal != "unreadable", (family, name, preview.refused)
            assert f"原因代码 {preview.refusal}" in response.content.decode()
    assert refused >= 60
    assert ImportBatch.objects.count() == batches  # a preview writes nothing


def test_a_million_row_upload_is_refused_on_the_page(login_as, settings):
    settings.SRDI_IMPORT_MAX_ROWS = 50_000
    response = post(login_as("city_staff"), million_row_xlsx(60_000), "big.xlsx")
    assert response.status_code == 200
    text = response.content.decode()
    assert "超过 50,000 行" in text and "too_many_rows" in text


def test_a_nul_in_a_name_is_shown_with_its_row_and_column(login_as):
    response = post(login_as("city_staff"), named_xlsx("甲_x0000_公司"), "nul.xlsx")
    assert response.status_code == 200
    errors = response.context["preview"].errors
    assert [(e.row, e.letter) for e in errors] == [(2, "B")]
    assert "U+0000" in errors[0].reason


@pytest.mark.parametrize(
    ("form", "data", "ok"),
    [
        (ActionForm, {"name": "approve", "reason": "同意。\n请按时拨付"}, True),
        (ActionForm, {"name": "approve", "reason": "同意\u202e付拨"}, False),
        (ActionForm, {"name": "approve", "reason": "同意\x1b[31m"}, False),
        (ObjectionForm, {"text": "第一条\n第二条"}, True),
        (ObjectionForm, {"text": "异议\u2066内容"}, False),
        (VoucherCancelForm, {"reason": "重复\t发放"}, False),
    ],
)
def test_forms_that_save_free_text_refuse_control_characters(form, data, ok):
    bound = form(data=data)
    assert bound.is_valid() is ok, bound.errors
    if not ok:
        assert "U+" in str(bound.errors)


@pytest.mark.parametrize("bad", ["\x00", "\u202e"])
def test_the_api_refuses_a_control_character_in_a_profile_by_field(seed, bad):
    import json

    from django.test import Client
    from tests.conftest import make_uscc

    from srdi.db.models import Enterprise
    from srdi.services.tokens import create_token

    client = Client(headers={"Authorization": f"Bearer {create_token(seed.users['city_staff'], 'files')}"})
    uscc = make_uscc("330106")
    profile = {"uscc": uscc, "name": f"杭州{bad}测试有限公司", "district": "330106"}
    response = client.post("/api/v1/enterprises", json.dumps(profile), content_type="application/json")
    assert response.status_code in (400, 422)
    assert f"U+{ord(bad):04X}" in response.content.decode()
    assert not Enterprise.objects.filter(uscc=uscc).exists()
