"""The seedling pool service and the published-count entries: scope, validation, graduation, dates, supersede,
audit, and the baseline the cockpit reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from tests.conftest import make_uscc

from srdi.db.models import (
    AssessmentRun,
    AuditEvent,
    Certification,
    Enterprise,
    EnterpriseAssessment,
    PublishedCountEntry,
    SeedlingMember,
    User,
)
from srdi.services import programme_targets as pt
from srdi.services import published_counts as pc
from srdi.services import seedlings as sd
from srdi.services.accounts import create_user

WEST, BINJIANG = "330106", "330108"
PASSWORD = "Str0ng!Passw0rd-Test"
D = date

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db) -> dict[str, User]:
    return {
        "city": create_user(username="city", password=PASSWORD, role="city_staff"),
        "west": create_user(username="west", password=PASSWORD, role="district_staff", district_code=WEST),
        "leader": create_user(username="leader", password=PASSWORD, role="leader"),
    }


def _ent(district: str, name: str = "") -> Enterprise:
    return Enterprise.objects.create(uscc=make_uscc(district), district_id=district, name=name)


def test_city_adds_directly_district_proposes_and_city_confirms(users) -> None:
    a, b = _ent(WEST, "甲"), _ent(WEST, "乙")
    m = sd.add(users["city"], a, D(2026, 3, 1), "筛查符合条件")
    assert m.status == SeedlingMember.Status.CONFIRMED and m.decided_by == users["city"]
    p = sd.add(users["west"], b, D(2026, 3, 2), "区县推荐")
    assert p.status == SeedlingMember.Status.PROPOSED and p.decided_by is None
    assert sd.pool_on(D(2026, 4, 1)).in_pool == 1  # a proposal does not count
    with pytest.raises(sd.SeedlingError):
        sd.decide(users["west"], p, True)  # district staff cannot confirm
    sd.decide(users["city"], p, True)
    assert sd.pool_on(D(2026, 4, 1)).in_pool == 2
    assert sd.pool_on(D(2026, 3, 1)).in_pool == 1  # b joins on 2026-03-02
    kinds = list(AuditEvent.objects.filter(object_type="seedling").values_list("action", flat=True))
    assert kinds.count("create") == 2 and kinds.count("update") == 1


def test_decline_needs_a_note_and_never_counts(users) -> None:
    p = sd.add(users["west"], _ent(WEST), D(2026, 3, 2), "推荐")
    with pytest.raises(sd.SeedlingError) as refused:
        sd.decide(users["city"], p, False, "")
    assert refused.value.field == "note"
    sd.decide(users["city"], p, False, "材料不足")
    assert p.status == SeedlingMember.Status.DECLINED
    assert sd.pool_on(D(2026, 12, 1)).in_pool == 0
    sd.add(users["west"], p.enterprise, D(2026, 4, 1), "再次推荐")  # a declined proposal does not block


def test_district_staff_are_limited_to_their_district(users) -> None:
    other = _ent(BINJIANG)
    with pytest.raises(sd.SeedlingError) as refused:
        sd.add(users["west"], other, D(2026, 3, 1), "x")
    assert refused.value.field == "enterprise"
    m = sd.add(users["city"], other, D(2026, 3, 1), "x")
    assert not sd.members_for(users["west"]).filter(pk=m.pk).exists()
    assert sd.members_for(users["city"]).filter(pk=m.pk).exists()
    assert sd.members_for(users["leader"]).filter(pk=m.pk).exists()
    with pytest.raises(sd.SeedlingError):
        sd.remove(users["west"], m, D(2026, 4, 1), "y")
    with pytest.raises(sd.SeedlingError):
        sd.add(users["leader"], _ent(WEST), D(2026, 3, 1), "x")  # read-only role


def test_validation_messages(users) -> None:
    e = _ent(WEST)
    city = users["city"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    for day, reason, field in (
        (None, "r", "added_on"),
        (tomorrow, "r", "added_on"),
        (D(2026, 1, 1), "  ", "reason"),
    ):
        with pytest.raises(sd.SeedlingError) as refused:
            sd.add(city, e, day, reason)
        assert refused.value.field == field and refused.value.message
    sd.add(city, e, D(2026, 1, 1), "r")
    with pytest.raises(sd.SeedlingError, match="已在种苗库中"):
        sd.add(city, e, D(2026, 2, 1), "again")
    holder = _ent(WEST)
    Certification.objects.create(enterprise=holder, tier="little_giant", recognized_on=D(2025, 7, 1))
    with pytest.raises(sd.SeedlingError, match="有效的小巨人称号"):
        sd.add(city, holder, D(2026, 1, 1), "r")


def test_removal_dates_and_rejoining(users) -> None:
    city, west = users["city"], users["west"]
    m = sd.add(city, _ent(WEST), D(2026, 3, 1), "r")
    with pytest.raises(sd.SeedlingError) as refused:
        sd.remove(city, m, D(2026, 2, 1), "早于入库")
    assert refused.value.field == "removed_on"
    with pytest.raises(sd.SeedlingError):
        sd.remove(city, m, D(2026, 5, 1), "")
    sd.remove(west, m, D(2026, 6, 1), "企业迁出")  # a proposal: still in the pool
    m.refresh_from_db()
    assert m.removed_on is None and m.removal_proposed_on == D(2026, 6, 1)
    assert sd.pool_on(D(2026, 7, 1)).in_pool == 1
    sd.decide_removal(city, m, True)
    assert sd.pool_on(D(2026, 7, 1)).in_pool == 0
    assert sd.pool_on(D(2026, 5, 31)).in_pool == 1  # the pool on any past day
    with pytest.raises(sd.SeedlingError):
        sd.remove(city, m, D(2026, 7, 1), "again")
    with pytest.raises(sd.SeedlingError, match="上次移出"):
        sd.add(city, m.enterprise, D(2026, 5, 1), "overlap")
    sd.add(city, m.enterprise, D(2026, 8, 1), "回归")
    assert sd.pool_on(D(2026, 9, 1)).in_pool == 1
    assert SeedlingMember.objects.filter(enterprise=m.enterprise).count() == 2  # history kept


def test_district_removal_proposal_can_be_rejected(users) -> None:
    m = sd.add(users["city"], _ent(WEST), D(2026, 3, 1), "r")
    sd.remove(users["west"], m, D(2026, 6, 1), "迁出")
    sd.decide_removal(users["city"], m, False)
    m.refresh_from_db()
    assert m.removal_proposed_on is None and m.removed_on is None
    assert AuditEvent.objects.filter(object_type="seedling", object_id=str(m.pk)).count() == 3


def test_graduation_counts_apart_and_is_not_deleted(users) -> None:
    city = users["city"]
    a, b = _ent(WEST), _ent(BINJIANG)
    sd.add(city, a, D(2026, 1, 10), "r")
    sd.add(city, b, D(2026, 1, 10), "r")
    Certification.objects.create(enterprise=a, tier="little_giant", recognized_on=D(2026, 7, 14))
    Certification.objects.create(enterprise=b, tier="srdi_sme", recognized_on=D(2026, 7, 14))  # other tier
    before, after = sd.pool_on(D(2026, 7, 13)), sd.pool_on(D(2026, 7, 14))
    assert (before.in_pool, before.graduated) == (2, 0)
    assert (after.in_pool, after.graduated) == (1, 1)
    west = sd.pool_on(D(2026, 7, 14), WEST)
    assert (west.in_pool, west.graduated) == (0, 1)
    assert dict(after.by_district)[BINJIANG].in_pool == 1
    assert SeedlingMember.objects.count() == 2
    target = next(t for t in pt.progress(D(2026, 8, 1)).targets if t.target_id == "lg_seedling_pool_min")
    assert target.measured and target.value == 1 and target.target == 300
    assert "毕业" in target.explanation and "尚差 299 家" in target.explanation


def test_candidates_come_from_the_latest_screening(users) -> None:
    city, west = users["city"], users["west"]
    eligible_w, eligible_b, holder, member = _ent(WEST), _ent(BINJIANG), _ent(WEST), _ent(WEST)
    not_eligible = _ent(WEST)
    Certification.objects.create(enterprise=holder, tier="little_giant", recognized_on=D(2025, 7, 1))
    sd.add(city, member, D(2026, 1, 1), "已在库")
    now = timezone.now()
    run = AssessmentRun.objects.create(as_of=D(2026, 6, 30), started_at=now, finished_at=now)
    for e in (eligible_w, eligible_b, holder, member):
        EnterpriseAssessment.objects.create(run=run, enterprise=e, little_giant_status="eligible")
    EnterpriseAssessment.objects.create(run=run, enterprise=not_eligible, little_giant_status="ineligible")
    assert {c.enterprise_id for c in sd.candidates_for(city).rows} == {eligible_w.pk, eligible_b.pk}
    assert {c.enterprise_id for c in sd.candidates_for(west).rows} == {eligible_w.pk}
    with pytest.raises(sd.SeedlingError) as refused:
        sd.add_candidates(west, [eligible_b.pk], D(2026, 7, 1), "r")  # another district's candidate
    assert refused.value.field == "enterprises"
    with pytest.raises(sd.SeedlingError):
        sd.add_candidates(city, [], D(2026, 7, 1), "r")
    added = sd.add_candidates(city, [eligible_w.pk, eligible_b.pk], D(2026, 7, 1), "最新筛查")
    assert {m.source for m in added} == {"screening"} and {m.source_run_id for m in added} == {run.pk}
    assert sd.candidates_for(city).rows == ()
    assert sd.pool_on(D(2026, 7, 1)).in_pool == 3


# --- published counts ------------------------------------------------------------------------------------------


def _entry(**kw: str) -> pc.EntryInput:
    base = {
        "tier": "little_giant",
        "year": "2025",
        "batch": "第七批",
        "kind": "new",
        "district": "",
        "count": "131",
        "status": "OFFICIAL",
        "doc_number": "浙经信企业〔2025〕99号",
    }
    return pc.EntryInput(**(base | kw))


def test_entry_validation(users) -> None:
    city = users["city"]
    cases = {
        "count": [_entry(count="-1"), _entry(count="12.5"), _entry(count=""), _entry(count="壹")],
        "year": [_entry(year=str(timezone.localdate().year + 1)), _entry(year="1999"), _entry(year="x")],
        "tier": [_entry(tier="nope")],
        "kind": [_entry(kind="")],
        "batch": [_entry(batch=" ")],
        "status": [_entry(status="maybe")],
        "doc_number": [_entry(doc_number="")],
        "url": [_entry(url="javascript:alert(1)")],
        "district": [_entry(district="999999")],
    }
    for field, inputs in cases.items():
        for data in inputs:
            with pytest.raises(pc.PublishedCountError) as refused:
                pc.enter(city, data)
            assert refused.value.field == field, (field, data)
    with pytest.raises(pc.PublishedCountError):
        pc.enter(users["west"], _entry())  # district staff do not enter counts
    assert PublishedCountEntry.objects.count() == 0


def test_a_later_entry_supersedes_and_history_is_kept(users) -> None:
    city = users["city"]
    first = pc.enter(city, _entry(count="130"))
    second = pc.enter(city, _entry(count="131", url="https://jxt.zj.gov.cn/art/2025/x.html"))
    assert second.supersedes == first
    assert [e.pk for e in pc.entries_in_force()] == [second.pk]
    assert PublishedCountEntry.objects.get(pk=first.pk).count == 130  # never edited
    assert AuditEvent.objects.filter(object_type="published_count").count() == 2


def test_baseline_uses_entries_over_file_rows(users) -> None:
    city = users["city"]
    file_rows = pt.published_baseline("little_giant")
    seventh = next(r for r in file_rows if r.batch == "第七批")
    assert seventh.count == 129 and seventh.origin.startswith("文件第") and seventh.entry_id is None
    e = pc.enter(city, _entry(count="131"))
    pc.enter(city, _entry(district=WEST, count="12"))
    rows = pt.published_baseline("little_giant")
    assert len(rows) == len(file_rows)
    seventh = next(r for r in rows if r.batch == "第七批")
    assert seventh.count == 131 and seventh.entry_id == e.pk and seventh.status == "OFFICIAL"
    assert "录入（city" in seventh.origin and "取代文件第" in seventh.origin
    assert "浙经信企业〔2025〕99号" in seventh.source
    assert "西湖12" in seventh.by_district and "西湖10" not in seventh.by_district
    pc.enter(city, _entry(year="2026", batch="第八批", count="140"))  # a new row
    rows = pt.published_baseline("little_giant")
    assert len(rows) == len(file_rows) + 1
    assert sum(r.count for r in rows if r.adds and r.year == 2026) == 140


def test_merge_by_district_replaces_or_appends() -> None:
    assert pt.merge_by_district("余杭33 滨江30", [("滨江区", 31)]) == "余杭33 滨江31"
    assert pt.merge_by_district("余杭33", [("建德市", 2)]) == "余杭33 建德市2"
    assert pt.merge_by_district("", [("建德市", 2)]) == "建德市2"


def test_the_cockpit_fingerprint_follows_pool_and_entry_writes(users) -> None:
    from srdi.services.programme_version import data_version

    seen = [data_version()]

    def changed() -> bool:
        seen.append(data_version())
        return seen[-1] != seen[-2]

    p = sd.add(users["west"], _ent(WEST), D(2026, 3, 1), "r")
    assert changed()
    sd.decide(users["city"], p, True)
    assert changed()
    sd.remove(users["city"], p, D(2026, 5, 1), "r")
    assert changed()
    SeedlingMember.objects.filter(pk=p.pk).update(added_on=D(2026, 2, 1))  # a write that bypasses the service
    assert changed()
    pc.enter(users["city"], _entry())
    assert changed()
    assert not changed()  # nothing written: the same fingerprint
