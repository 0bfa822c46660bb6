"""Responsible units' quarterly reports, the events register, KPI totals and missing reports (services)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from srdi.db.models import AuditEvent, UnitEvent, UnitReport
from srdi.services import unit_reports as ur
from srdi.services.accounts import create_user
from srdi.services.unit_reports import UnitReportError

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AFTER_Q4 = date(2026, 1, 10)  # 2025年第4季度 has ended (81号 window ends 2025-12-31)
IN_Q4 = date(2025, 11, 20)


@pytest.fixture
def users(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

    def unit(name: str, org: str):
        return create_user(
            username=name, password="x", role="responsible_unit", organisation=org, check_password=False
        )

    return {
        "keji": unit("u_keji", "市科技局"),
        "jingxin": unit("u_jingxin", "市经信局"),
        "renshe": unit("u_renshe", "市人力社保局"),
        "city": create_user(username="u_city", password="x", role="city_staff", check_password=False),
        "leader": create_user(username="u_leader", password="x", role="leader", check_password=False),
    }


def _file(
    user,
    article: int,
    *,
    submit: bool,
    files=(),
    kpis=None,
    today=AFTER_Q4,
    narrative="本季度组织揭榜挂帅一轮",
):
    return ur.save_report(
        user,
        pack="hz81",
        article=article,
        year=2025,
        quarter=4,
        narrative=narrative,
        kpi_values=kpis or {},
        files=files,
        submit=submit,
        today=today,
    )


def test_a_unit_cannot_file_for_a_measure_not_naming_it(users):
    # 81号 第20条 names 市经信局, 市人力社保局, 市总工会 — not 市科技局
    with pytest.raises(UnitReportError, match="市科技局不是该条款的责任单位"):
        _file(users["keji"], 20, submit=False)
    assert not UnitReport.objects.exists()
    assert AuditEvent.objects.filter(object_type="unit_report", success=False).exists()
    # nor can a role without the permission file anything
    with pytest.raises(UnitReportError):
        _file(users["leader"], 6, submit=False)
    assert [m.article for m in ur.unit_measures(users["keji"], 2025, 4)] == [4, 5, 6, 7, 19]


def test_submit_needs_narrative_and_evidence_then_the_pair_is_no_longer_missing(users):
    keji = users["keji"]
    before = {(m.measure.id, m.organisation) for m in ur.missing_reports(2025, 4, today=AFTER_Q4)}
    assert ("hz81.6", "市科技局") in before and ("hz81.6", "市市场监管局") in before
    assert ur.missing_reports(2025, 4, today=IN_Q4) == []  # the quarter has not ended: nobody is late

    draft = _file(keji, 6, submit=False)
    assert draft.status == UnitReport.Status.DRAFT
    missing = {(m.measure.id, m.organisation): m.status for m in ur.missing_reports(2025, 4, today=AFTER_Q4)}
    assert missing[("hz81.6", "市科技局")] == "draft"  # a draft is still missing

    with pytest.raises(UnitReportError, match="证明材料") as refused:
        _file(keji, 6, submit=True)
    assert refused.value.field == "files"
    with pytest.raises(UnitReportError, match="工作进展"):
        _file(keji, 6, submit=True, files=[("纪要.pdf", PDF)], narrative=" ")
    with pytest.raises(UnitReportError, match="证明材料") as bad_file:
        _file(keji, 6, submit=True, files=[("tool.pdf", b"MZ\x90\x00" * 10)])
    assert bad_file.value.field == "files"

    report = _file(keji, 6, submit=True, files=[("揭榜挂帅纪要.pdf", PDF)])
    assert report.status == UnitReport.Status.SUBMITTED and report.files.count() == 1
    after = {(m.measure.id, m.organisation) for m in ur.missing_reports(2025, 4, today=AFTER_Q4)}
    assert before - after == {("hz81.6", "市科技局")}
    assert ("hz81.6", "市市场监管局") in after
    row, data = ur.open_report_file(keji, report.files.get().pk)
    assert data == PDF and row.filename == "揭榜挂帅纪要.pdf"
    with pytest.raises(UnitReportError):
        ur.open_report_file(users["renshe"], row.pk)  # another unit does not see it
    with pytest.raises(UnitReportError, match="不能再修改"):
        _file(keji, 6, submit=False)


def test_return_needs_a_reason_then_the_unit_edits_and_resubmits_accept_is_final(users):
    keji, city = users["keji"], users["city"]
    report = _file(keji, 7, submit=True, files=[("a.pdf", PDF)])
    with pytest.raises(UnitReportError, match="季度工作报告由市经信局审核"):
        ur.review(keji, report.pk, accept=True)
    with pytest.raises(UnitReportError, match="退回理由") as no_reason:
        ur.review(city, report.pk, accept=False, reason="  ")
    assert no_reason.value.field == "reason"
    returned = ur.review(city, report.pk, accept=False, reason="请补充发布活动照片")
    assert returned.status == UnitReport.Status.RETURNED
    assert ("hz81.7", "市科技局") in {
        (m.measure.id, m.organisation) for m in ur.missing_reports(2025, 4, today=AFTER_Q4)
    }
    again = _file(keji, 7, submit=True, files=[("b.pdf", PDF + b"%")])
    assert again.pk == report.pk and again.files.count() == 2 and again.review_reason == ""
    assert ur.review(city, report.pk, accept=True).status == UnitReport.Status.ACCEPTED
    with pytest.raises(UnitReportError, match="只有已提交的报告可以审核"):
        ur.review(city, report.pk, accept=False, reason="x")
    assert (
        AuditEvent.objects.filter(object_type="unit_report", object_id=str(report.pk), success=True).count()
        == 4  # submit, return, submit again, accept
    )


def test_kpi_numbers_are_checked_and_the_message_names_the_field(users):
    with pytest.raises(UnitReportError, match="“服务专员联系覆盖企业”应填写不小于 0 的整数") as bad:
        _file(users["jingxin"], 24, submit=False, kpis={"service_contact_enterprises": "-3"})
    assert bad.value.field == "kpi_service_contact_enterprises"
    with pytest.raises(UnitReportError, match="“参与人次”") as bad_event:
        ur.add_event(
            users["renshe"],
            kind="training",
            held_on=date(2025, 11, 1),
            title="培训",
            pack="hz81",
            article=20,
            person_times="很多",
            today=AFTER_Q4,
        )
    assert bad_event.value.field == "person_times"
    with pytest.raises(UnitReportError, match="活动类型") as wrong_kind:
        ur.add_event(
            users["renshe"],
            kind="conference",
            held_on=date(2025, 11, 1),
            title="大会",
            pack="hz81",
            article=20,
            today=AFTER_Q4,
        )
    assert wrong_kind.value.field == "kind"
    with pytest.raises(UnitReportError, match="政策条款"):
        ur.add_event(
            users["keji"],
            kind="training",
            held_on=date(2025, 11, 1),
            title="培训",
            pack="hz81",
            article=20,
            today=AFTER_Q4,
        )
    with pytest.raises(UnitReportError, match="尚未开始"):
        ur.save_report(
            users["keji"],
            pack="hz81",
            article=6,
            year=2026,
            quarter=2,
            narrative="x",
            kpi_values={},
            today=AFTER_Q4,
        )


def test_kpi_totals_equal_direct_sums_over_the_register_and_counted_reports(users):
    rng = random.Random(15)
    for i in range(40):
        user = rng.choice([users["renshe"], users["city"], users["jingxin"]])
        ur.add_event(
            user,
            kind="training",
            held_on=date(2025, rng.choice([9, 10, 11, 12]), rng.randint(1, 28)),
            title=f"卓越工程师培训{i}",
            pack="hz81",
            article=20,
            person_times=rng.randint(0, 300),
            enterprises=rng.randint(0, 40),
            organisation="市总工会" if user is users["city"] else "",
            today=AFTER_Q4,
        )
    ur.add_event(
        users["keji"],
        kind="jiebang",
        held_on=date(2025, 12, 3),
        title="第三轮揭榜挂帅",
        pack="hz81",
        article=6,
        enterprises="12",
        file=("发布.pdf", PDF),
        today=AFTER_Q4,
    )
    # 第24条: numbers typed in reports; a draft does not count, a submitted one does
    ur.save_report(
        users["jingxin"],
        pack="hz81",
        article=24,
        year=2025,
        quarter=4,
        narrative="服务专员走访",
        kpi_values={"service_contact_enterprises": "1,250", "service_visits": "310"},
        files=[("台账.pdf", PDF)],
        submit=True,
        today=AFTER_Q4,
    )
    totals = {(m.measure.id, v.kpi.key): v.value for m in ur.kpi_totals(2025, 4) for v in m.values}

    q4 = UnitEvent.objects.filter(held_on__gte=date(2025, 10, 1), held_on__lte=date(2025, 12, 31))
    trainings = [e for e in q4 if e.pack == "hz81" and e.article == 20 and e.kind == "training"]
    assert totals[("hz81.20", "trainings")] == len(trainings) > 0
    assert totals[("hz81.20", "training_person_times")] == sum(e.person_times for e in trainings)
    assert totals[("hz81.6", "jiebang_rounds")] == 1
    assert totals[("hz81.6", "jiebang_enterprises")] == 12
    assert totals[("hz81.24", "service_contact_enterprises")] == 1250
    assert totals[("hz81.24", "service_visits")] == 310
    assert totals[("hz81.26", "conferences")] == 0
    september = UnitEvent.objects.filter(held_on__month=9).count()
    q3 = {(m.measure.id, v.kpi.key): v.value for m in ur.kpi_totals(2025, 3) for v in m.values}
    assert q3[("hz81.20", "trainings")] == september


def test_a_lost_report_file_is_named_by_the_restore_check(users, settings):
    """The post-restore check covers every stored file, not only case evidence: a unit report's file lost from
    the store is reported by row, an intact one is not."""
    from srdi.services.backup_evidence import missing_evidence

    _file(users["keji"], 6, submit=False, files=[("台账.pdf", PDF)])
    assert missing_evidence(settings.MEDIA_ROOT) == []
    row = UnitReport.objects.get().files.get()
    (settings.MEDIA_ROOT / "evidence" / row.sha256[:2] / row.sha256).unlink()
    assert missing_evidence(settings.MEDIA_ROOT) == [f"季度报告材料 #{row.pk} 的文件不存在"]
