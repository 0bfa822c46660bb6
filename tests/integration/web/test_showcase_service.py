"""The showcase's service rules (81号 第26条, ``srdi.services.showcase``): consent before publishing, four eyes,
the tier computed from titles valid today, a withdrawn consent hiding the entry at once, district scope, and an
audit event for every step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from srdi.db.models import AuditEvent, Certification, ShowcaseEntry
from srdi.domain.showcase import Consent, Status
from srdi.services import showcase as sc

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STORY = "深耕精密传感器细分市场十余年，主导产品国内市场占有率居前，参与制定行业标准两项。"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def propose(user, enterprise, name="西湖精工", cluster="smart_iot", story=STORY) -> ShowcaseEntry:
    return sc.create_entry(user, uscc=enterprise.uscc, public_name=name, cluster=cluster, story=story)


def published(seed, enterprise=None) -> ShowcaseEntry:
    """Proposed and submitted by city staff, agreed by the enterprise, approved by the city administrator."""
    u = seed.users
    entry = propose(u["city_staff"], enterprise or seed.west)
    sc.transition(u["city_staff"], entry.pk, "submit")
    if (enterprise or seed.west) == seed.west:
        sc.record_consent(u["enterprise"], entry.pk, agree=True)
    else:
        sc.upload_consent_document(u["city_admin"], entry.pk, filename="同意书.pdf", data=PDF)
    return sc.transition(u["city_admin"], entry.pk, "approve")


def public_ids(**filters) -> set[int]:
    return set(sc.public_entries(**filters).values_list("pk", flat=True))


def test_no_consent_no_publication(seed):
    u = seed.users
    entry = propose(u["city_staff"], seed.west)
    sc.transition(u["city_staff"], entry.pk, "submit")
    with pytest.raises(sc.ShowcaseError, match="企业尚未同意展示"):
        sc.transition(u["city_admin"], entry.pk, "approve")
    entry.refresh_from_db()
    assert entry.status == Status.PENDING and public_ids() == set()
    refused = AuditEvent.objects.filter(object_type="showcase_entry", success=False).latest("id")
    assert refused.extra["code"] == "consent"


def test_the_proposer_editor_or_submitter_cannot_approve(seed):
    u = seed.users
    entry = propose(u["city_staff"], seed.west)
    sc.record_consent(u["enterprise"], entry.pk, agree=True)
    sc.transition(u["city_admin"], entry.pk, "submit")  # the administrator submitted it: now an author too
    for author in (u["city_staff"], u["city_admin"]):
        with pytest.raises(sc.ShowcaseError, match="不能批准自己"):
            sc.transition(author, entry.pk, "approve")
    assert ShowcaseEntry.objects.get(pk=entry.pk).status == Status.PENDING


def test_a_district_user_proposes_for_its_district_only_and_cannot_approve(seed):
    u = seed.users
    with pytest.raises(sc.ShowcaseError, match="不在本区县范围内"):
        propose(u["district_staff"], seed.binjiang)
    entry = propose(u["district_staff"], seed.west)
    sc.transition(u["district_staff"], entry.pk, "submit")
    sc.record_consent(u["enterprise"], entry.pk, agree=True)
    with pytest.raises(sc.ShowcaseError, match="由市经信局工作人员办理"):
        sc.transition(u["district_staff"], entry.pk, "approve")
    # the other district neither sees nor reaches it
    assert not sc.entries_for(u["other_district_staff"]).filter(pk=entry.pk).exists()
    with pytest.raises(sc.ShowcaseError, match="案例不存在"):
        sc.update_entry(
            u["other_district_staff"], entry.pk, public_name="改名", cluster="smart_iot", story=STORY
        )
    approved = sc.transition(u["city_staff"], entry.pk, "approve")  # a city user who wrote nothing of it
    assert approved.status == Status.PUBLISHED and public_ids() == {entry.pk}
    assert approved.decided_by == u["city_staff"] and approved.published_at is not None


def test_the_tier_is_computed_and_a_lapsed_title_hides_the_entry(seed):
    entry = published(seed)
    assert sc.public_entry(entry.pk).tier_today == "srdi_sme"
    today = timezone.localdate()
    # the 专精特新 title was recognised a year ago: a three-year term, about 730 days left
    assert public_ids(day=today + timedelta(days=700)) == {entry.pk}
    assert public_ids(day=today + timedelta(days=740)) == set()
    Certification.objects.filter(enterprise=seed.west, tier="srdi_sme").update(revoked_on=today)
    assert public_ids() == set() and sc.public_entry(entry.pk) is None
    # the entry stays 已发布 for staff, who see that it is not shown
    assert ShowcaseEntry.objects.get(pk=entry.pk).status == Status.PUBLISHED
    # the innovative-SME title of 2021 lapsed too: nothing is shown; a new valid title shows it again
    Certification.objects.create(enterprise=seed.west, tier="hidden_champion", recognized_on=today)
    assert sc.public_entry(entry.pk).tier_today == "hidden_champion"


def test_an_entry_without_a_valid_title_cannot_be_approved(seed):
    u = seed.users
    Certification.objects.filter(enterprise=seed.west).update(revoked_on=timezone.localdate())
    entry = propose(u["city_staff"], seed.west)
    sc.transition(u["city_staff"], entry.pk, "submit")
    sc.record_consent(u["enterprise"], entry.pk, agree=True)
    with pytest.raises(sc.ShowcaseError, match="没有有效的梯度称号"):
        sc.transition(u["city_admin"], entry.pk, "approve")


def test_withdrawn_consent_hides_the_entry_at_once(seed):
    u = seed.users
    entry = published(seed)
    assert public_ids() == {entry.pk}
    sc.record_consent(u["enterprise"], entry.pk, agree=False)
    assert public_ids() == set()
    entry.refresh_from_db()
    assert entry.status == Status.WITHDRAWN and entry.consent == Consent.WITHDRAWN
    assert entry.reason == sc.WITHDRAWN_BY_ENTERPRISE and entry.consent_by == u["enterprise"]
    with pytest.raises(sc.ShowcaseError, match="尚未同意展示"):
        sc.record_consent(u["enterprise"], entry.pk, agree=False)
    # back through the whole review: reopen, submit, agree again, approve
    sc.transition(u["city_staff"], entry.pk, "reopen")
    sc.transition(u["city_staff"], entry.pk, "submit")
    with pytest.raises(sc.ShowcaseError, match="企业尚未同意展示"):
        sc.transition(u["city_admin"], entry.pk, "approve")
    sc.record_consent(u["enterprise"], entry.pk, agree=True)
    sc.transition(u["city_admin"], entry.pk, "approve")
    assert public_ids() == {entry.pk}


def test_an_enterprise_user_consents_for_its_own_entry_only(seed):
    u = seed.users
    other = propose(u["city_staff"], seed.binjiang, name="滨江样本")
    with pytest.raises(sc.ShowcaseError, match="案例不存在"):
        sc.record_consent(u["enterprise"], other.pk, agree=True)
    with pytest.raises(sc.ShowcaseError, match="只有企业本身"):
        sc.record_consent(u["city_admin"], other.pk, agree=True)
    assert ShowcaseEntry.objects.get(pk=other.pk).consent == Consent.NONE


def test_editing_the_text_voids_the_consent_given_to_it(seed):
    u = seed.users
    entry = propose(u["city_staff"], seed.west)
    sc.record_consent(u["enterprise"], entry.pk, agree=True)
    sc.update_entry(u["city_staff"], entry.pk, public_name="西湖精工", cluster="smart_iot", story=STORY)
    assert ShowcaseEntry.objects.get(pk=entry.pk).consent == Consent.GIVEN  # nothing changed
    sc.update_entry(u["city_staff"], entry.pk, public_name="西湖精工科技", cluster="smart_iot", story=STORY)
    assert ShowcaseEntry.objects.get(pk=entry.pk).consent == Consent.NONE


def test_the_signed_consent_document_is_stored_with_its_hash(seed):
    u = seed.users
    entry = propose(u["district_staff"], seed.west)
    with pytest.raises(sc.ShowcaseError, match="由市经信局工作人员办理"):
        sc.upload_consent_document(u["district_staff"], entry.pk, filename="同意书.pdf", data=PDF)
    with pytest.raises(sc.ShowcaseError, match="展示同意书"):
        sc.upload_consent_document(u["city_staff"], entry.pk, filename="同意书.exe", data=b"MZ\x90\x00")
    sc.upload_consent_document(u["city_staff"], entry.pk, filename="同意书.pdf", data=PDF)
    entry.refresh_from_db()
    assert entry.consent == Consent.GIVEN and entry.consent_method == "document"
    assert len(entry.consent_document_sha256) == 64 and entry.consent_document_bytes == len(PDF)
    _, data = sc.open_consent_document(u["district_staff"], entry.pk)
    assert data == PDF
    with pytest.raises(sc.ShowcaseError):
        sc.open_consent_document(u["other_district_staff"], entry.pk)


def test_text_is_plain_and_limited(seed):
    u = seed.users
    with pytest.raises(sc.ShowcaseError, match="纯文本"):
        propose(u["city_staff"], seed.west, story=STORY + "<script>alert(1)</script>")
    with pytest.raises(sc.ShowcaseError, match="不超过 500 字"):
        propose(u["city_staff"], seed.west, story="好" * 501)
    with pytest.raises(sc.ShowcaseError, match="产业集群"):
        propose(u["city_staff"], seed.west, cluster="nonsense")
    assert not ShowcaseEntry.objects.exists()
    entry = propose(u["city_staff"], seed.west)
    with pytest.raises(sc.ShowcaseError, match="已有典型案例"):
        propose(u["city_admin"], seed.west)
    sc.transition(u["city_staff"], entry.pk, "submit")
    with pytest.raises(sc.ShowcaseError, match="只有草稿可以修改"):
        sc.update_entry(u["city_staff"], entry.pk, public_name="改名", cluster="smart_iot", story=STORY)
    with pytest.raises(sc.ShowcaseError, match="请填写理由"):
        sc.transition(u["city_admin"], entry.pk, "reject")


def test_every_step_is_audited(seed):
    entry = published(seed)
    sc.transition(seed.users["city_admin"], entry.pk, "withdraw", reason="年度案例轮换")
    reprs = list(
        AuditEvent.objects.filter(object_type="showcase_entry", object_id=str(entry.pk), success=True)
        .order_by("id")
        .values_list("object_repr", flat=True)
    )
    assert [r.rsplit("（", 1)[-1] for r in reprs[1:]] == [
        "提交审核）",
        "企业同意展示）",
        "批准发布）",
        "撤下）",
    ]
    assert reprs[0].startswith("推荐典型案例")
    assert public_ids() == set()
