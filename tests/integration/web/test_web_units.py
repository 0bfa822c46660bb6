"""责任单位 pages: a unit files a report with a file, the city sees it and the missing units, returns it; field
messages name the field; other roles are refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from srdi.db.models import UnitEvent, UnitReport

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EDIT = "/units/report/hz81/6/2025/4/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_unit_files_city_reviews_and_sees_missing(login_as):
    unit = login_as("responsible_unit")
    home = unit.get("/units/?q=2025-4")
    assert home.status_code == 200
    text = home.content.decode()
    assert 'data-measure="hz81.6"' in text and 'data-measure="hz81.20"' not in text
    assert unit.get("/units/report/hz81/20/2025/4/").status_code == 404  # not a 市科技局 measure
    assert unit.get("/units/report/hz81/6/913301060000000013/4/").status_code == 404
    assert "“季度”无效" in unit.get("/units/?year=913301060000000013&quarter=3").content.decode()

    bad = unit.post(EDIT, {"narrative": "揭榜挂帅一轮", "action": "submit"})
    assert bad.status_code == 200 and "提交前请上传至少一个“证明材料”" in bad.content.decode()
    ok = unit.post(
        EDIT,
        {"narrative": "揭榜挂帅一轮", "action": "submit", "files": SimpleUploadedFile("纪要.pdf", PDF)},
    )
    assert ok.status_code == 302
    report = UnitReport.objects.get(pack="hz81", article=6, organisation="市科技局")
    assert report.status == UnitReport.Status.SUBMITTED

    event = unit.post(
        "/units/events/",
        {
            "measure": "hz81.6",
            "kind": "jiebang",
            "held_on": "2025-11-05",
            "title": "第三轮揭榜",
            "enterprises": "abc",
        },
    )
    assert event.status_code == 200 and "“覆盖企业数”应填写不小于 0 的整数" in event.content.decode()
    assert (
        unit.post(
            "/units/events/",
            {
                "measure": "hz81.6",
                "kind": "jiebang",
                "held_on": "2025-11-05",
                "title": "第三轮揭榜",
                "enterprises": "9",
            },
        ).status_code
        == 302
    )
    assert UnitEvent.objects.get().organisation == "市科技局"
    assert unit.get("/units/overview/").status_code == 403

    city = login_as("city_staff")
    page = city.get("/units/overview/?q=2025-4").content.decode()
    assert 'data-missing-row="hz81.6|市市场监管局"' in page
    assert 'data-missing-row="hz81.6|市科技局"' not in page
    assert 'data-kpi-total="hz81.6.jiebang_enterprises">9<' in page
    detail = city.get(f"/units/reports/{report.pk}/")
    assert "纪要.pdf" in detail.content.decode()
    assert city.get(f"/units/files/{report.files.get().pk}/").content == PDF
    refused = city.post(f"/units/reports/{report.pk}/", {"action": "return", "reason": ""})
    assert refused.status_code == 200 and "退回时请填写“退回理由”" in refused.content.decode()
    assert (
        city.post(f"/units/reports/{report.pk}/", {"action": "return", "reason": "补充照片"}).status_code
        == 302
    )
    report.refresh_from_db()
    assert report.status == UnitReport.Status.RETURNED


def test_other_roles_are_refused(login_as):
    district = login_as("district_staff")
    for url in ("/units/", "/units/overview/", "/units/events/"):
        assert district.get(url).status_code == 403
