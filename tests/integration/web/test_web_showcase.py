"""The showcase pages: the public list and entry pages anonymously (only published, consented, titled entries;
no drafts leak; 404 for every other id; filters, paging, headers), the staff pages through a whole proposal, and
the enterprise's consent in its portal; other roles are refused."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from srdi.db.models import Certification, ShowcaseEntry
from srdi.domain.showcase import Status
from srdi.services import showcase as sc
from srdi.web.middleware import CSP

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STORY = "深耕精密传感器细分市场十余年，主导产品国内市场占有率居前，参与制定行业标准两项。"
PUBLIC = "/showcase/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def entry_for(seed, enterprise, name, *, publish=True, consent=True, cluster="smart_iot") -> ShowcaseEntry:
    u = seed.users
    entry = sc.create_entry(
        u["city_staff"], uscc=enterprise.uscc, public_name=name, cluster=cluster, story=STORY
    )
    if consent:
        sc.upload_consent_document(u["city_admin"], entry.pk, filename="同意书.pdf", data=PDF)
    if publish:
        sc.transition(u["city_staff"], entry.pk, "submit")
        sc.transition(u["city_admin"], entry.pk, "approve")
    return entry


def shown_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-entry="(\d+)"', html)}


def test_the_public_page_shows_only_published_consented_entries_to_anyone(seed):
    shown = entry_for(seed, seed.binjiang, "滨江样本电子")
    draft = entry_for(seed, seed.west, "西湖精工草稿", publish=False)
    anonymous = Client()
    page = anonymous.get(PUBLIC)
    assert page.status_code == 200
    html = page.content.decode()
    assert shown_ids(html) == {shown.pk}
    assert "滨江样本电子" in html and "国家级专精特新“小巨人”企业" in html and "滨江区" in html
    assert "西湖精工草稿" not in html
    # the enterprise's own name, code and contacts are never on the page: only what the entry states
    assert seed.binjiang.uscc not in html and seed.binjiang.name not in html and "张三丰" not in html
    assert page["Content-Security-Policy"] == CSP and "<script>" not in html
    one = anonymous.get(f"/showcase/{shown.pk}/")
    assert one.status_code == 200 and STORY in one.content.decode()
    # a draft, an id that does not exist, a pending entry: the same 404
    assert anonymous.get(f"/showcase/{draft.pk}/").status_code == 404
    assert anonymous.get("/showcase/999999/").status_code == 404
    sc.transition(seed.users["city_staff"], draft.pk, "submit")
    assert anonymous.get(f"/showcase/{draft.pk}/").status_code == 404
    assert shown_ids(anonymous.get(PUBLIC).content.decode()) == {shown.pk}


def test_lapsed_titles_and_withdrawn_consent_leave_the_public_page(seed):
    west = entry_for(seed, seed.west, "西湖精工")
    binjiang = entry_for(seed, seed.binjiang, "滨江样本电子")
    anonymous = Client()
    assert shown_ids(anonymous.get(PUBLIC).content.decode()) == {west.pk, binjiang.pk}
    Certification.objects.filter(enterprise=seed.binjiang).update(revoked_on=timezone.localdate())
    assert shown_ids(anonymous.get(PUBLIC).content.decode()) == {west.pk}
    assert anonymous.get(f"/showcase/{binjiang.pk}/").status_code == 404
    portal = sign_in_as(seed, "enterprise")
    mine = portal.get("/showcase/mine/")
    assert mine.status_code == 200 and "撤回同意" in mine.content.decode()
    assert portal.post("/showcase/mine/", {"entry": west.pk, "action": "withdraw"}).status_code == 302
    assert shown_ids(anonymous.get(PUBLIC).content.decode()) == set()
    assert anonymous.get(f"/showcase/{west.pk}/").status_code == 404
    assert ShowcaseEntry.objects.get(pk=west.pk).status == Status.WITHDRAWN


def test_filters_search_and_paging(seed, settings):
    west = entry_for(seed, seed.west, "西湖精工", cluster="new_materials")
    binjiang = entry_for(seed, seed.binjiang, "滨江样本电子")
    anonymous = Client()

    def ids(**params):
        return shown_ids(anonymous.get(PUBLIC, params).content.decode())

    assert ids(tier="little_giant") == {binjiang.pk}
    assert ids(tier="srdi_sme") == {west.pk}
    assert ids(cluster="new_materials") == {west.pk}
    assert ids(district="330108") == {binjiang.pk}
    assert ids(q="滨江") == {binjiang.pk}
    assert ids(tier="nonsense") == {west.pk, binjiang.pk}  # an unknown value is no filter
    assert "没有符合条件的案例" in anonymous.get(PUBLIC, {"district": "330110"}).content.decode()
    from srdi.web.views import showcase as views

    views_size, views.PAGE_SIZE = views.PAGE_SIZE, 1
    try:
        first, second = anonymous.get(PUBLIC), anonymous.get(PUBLIC, {"page": 2})
        assert len(shown_ids(first.content.decode()) | shown_ids(second.content.decode())) == 2
        assert "第 1 / 2 页" in first.content.decode()
    finally:
        views.PAGE_SIZE = views_size


def sign_in_as(seed, role: str) -> Client:
    from tests.signin import sign_in

    return sign_in(Client(), seed.users[role])


def test_a_whole_proposal_through_the_pages(seed):
    staff, admin = sign_in_as(seed, "district_staff"), sign_in_as(seed, "city_admin")
    form = staff.get("/showcase/manage/new/", {"uscc": seed.west.uscc})
    assert form.status_code == 200 and seed.west.name in form.content.decode()  # prefilled
    bad = staff.post(
        "/showcase/manage/new/",
        {"uscc": seed.binjiang.uscc, "public_name": "滨江", "cluster": "smart_iot", "story": STORY},
    )
    assert bad.status_code == 200 and "不在本区县范围内" in bad.content.decode()
    made = staff.post(
        "/showcase/manage/new/",
        {"uscc": seed.west.uscc, "public_name": "西湖精工", "cluster": "smart_iot", "story": STORY},
    )
    assert made.status_code == 302
    entry = ShowcaseEntry.objects.get()
    detail = f"/showcase/manage/{entry.pk}/"
    assert staff.post(detail, {"action": "submit"}).status_code == 302
    refused = admin.post(detail, {"action": "approve"})
    assert "企业尚未同意展示" in refused.content.decode()
    upload = admin.post(
        detail, {"action": "consent_document", "document": SimpleUploadedFile("同意书.pdf", PDF)}
    )
    assert upload.status_code == 302
    download = staff.get(f"/showcase/manage/{entry.pk}/consent/file/")
    assert download.status_code == 200 and download.content == PDF
    assert admin.post(detail, {"action": "approve"}).status_code == 302
    listing = admin.get("/showcase/manage/", {"status": "published"}).content.decode()
    assert 'data-shown="1"' in listing and "西湖精工" in listing
    assert shown_ids(Client().get(PUBLIC).content.decode()) == {entry.pk}
    # withdrawing needs a reason, then the entry is off the public page
    assert "请填写理由" in admin.post(detail, {"action": "withdraw"}).content.decode()
    admin.post(detail, {"action": "withdraw", "reason": "案例更新"})
    assert Client().get(f"/showcase/{entry.pk}/").status_code == 404
    # the other district sees nothing of it
    other = sign_in_as(seed, "other_district_staff")
    assert other.get(detail).status_code == 404
    assert "西湖精工" not in other.get("/showcase/manage/").content.decode()


@pytest.mark.parametrize(
    "role", ["enterprise", "auditor", "leader", "provider", "responsible_unit", "audit_admin"]
)
def test_staff_pages_refuse_other_roles(seed, role):
    entry = entry_for(seed, seed.west, "西湖精工", publish=False)
    client = sign_in_as(seed, role)
    assert client.get("/showcase/manage/").status_code == 403
    assert client.get("/showcase/manage/new/").status_code == 403
    assert client.post(f"/showcase/manage/{entry.pk}/", {"action": "submit"}).status_code == 403
    assert ShowcaseEntry.objects.get(pk=entry.pk).status == Status.DRAFT
    if role != "enterprise":
        assert client.get("/showcase/mine/").status_code == 403
    assert client.get(PUBLIC).status_code == 200  # the public page is for everybody


def test_menu_entries(seed):
    assert reverse("web:showcase_manage") in sign_in_as(seed, "city_staff").get("/").content.decode()
    home = sign_in_as(seed, "enterprise").get("/").content.decode()
    assert reverse("web:showcase_mine") in home and reverse("web:showcase_manage") not in home


def test_staff_pages_need_sign_in(db):
    for url in ("/showcase/manage/", "/showcase/manage/new/", "/showcase/manage/1/", "/showcase/mine/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_anonymous_visitors_count_in_the_anonymous_page_bucket(seed, settings):
    from django.core.cache import cache

    entry = entry_for(seed, seed.binjiang, "滨江样本电子")
    settings.SRDI_ANONYMOUS_PAGE_RATE = "4/min"
    cache.clear()
    visitor = Client(REMOTE_ADDR="10.9.0.1")
    statuses = [visitor.get(url).status_code for url in (PUBLIC, f"/showcase/{entry.pk}/", PUBLIC, PUBLIC)]
    assert statuses == [200, 200, 200, 200]
    refused = visitor.get(PUBLIC)
    assert refused.status_code == 429 and "Retry-After" in refused
    assert Client(REMOTE_ADDR="10.9.0.2").get(PUBLIC).status_code == 200  # counted per address


def test_the_public_pages_answer_head_and_refuse_writes(seed):
    entry = entry_for(seed, seed.binjiang, "滨江样本电子")
    anonymous = Client()
    assert anonymous.head(PUBLIC).status_code == 200
    assert anonymous.head(f"/showcase/{entry.pk}/").status_code == 200
    for url in (PUBLIC, f"/showcase/{entry.pk}/"):
        assert anonymous.post(url, {"status": "draft"}).status_code == 405
    assert ShowcaseEntry.objects.get(pk=entry.pk).status == Status.PUBLISHED
