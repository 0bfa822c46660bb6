"""Reminders of the programme: targets off track (city and each lagging district, once a month) and 责任单位 late
with their quarterly reports (the unit's users and a city summary, once a quarter); nothing when on track or
reported; a second run sends nothing new."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from tests.conftest import make_uscc

from srdi.db.models import Certification, Enterprise, Notification, ReminderSent
from srdi.services import programme_targets, reminders
from srdi.services import unit_reports as ur
from srdi.services.accounts import create_user
from srdi.services.reminders import Kind

pytestmark = pytest.mark.django_db

WEST, BINJIANG = "330106", "330108"
ON = date(2026, 6, 15)  # 2.55 years before the target date; pace = the net additions of 2024 and 2025
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pack(value: int) -> SimpleNamespace:
    item = {
        "id": "lg",
        "label": "专精特新“小巨人”企业",
        "value": value,
        "unit": "家",
        "measure": "certifications",
        "tier": "little_giant",
        "by": "2028-12-31",
    }
    return SimpleNamespace(
        id="t", citation="测试政策", targets={"g": {"reference": "第1条", "items": [item]}}
    )


@pytest.fixture
def titles(db) -> None:
    """西湖区: 10 小巨人, five in each of 2024 and 2025; 滨江区: 6, all from 2020 (no recent additions).
    City 16, pace 5 a year → projected 28 on 2028-12-31. With a target of 30: 西湖 share 18, projected 22 (not
    lagging); 滨江 share 11, projected 6 (lagging)."""
    n = 0
    for district, year, count in ((WEST, 2024, 5), (WEST, 2025, 5), (BINJIANG, 2020, 6)):
        for k in range(count):
            n += 1
            e = Enterprise.objects.create(uscc=make_uscc(district, n), district_id=district)
            Certification.objects.create(
                enterprise=e, tier="little_giant", recognized_on=date(year, 3, 1 + k)
            )


@pytest.fixture
def staff(db) -> dict[str, object]:
    return {
        "city": create_user(username="p_city", password="x", role="city_staff", check_password=False),
        "west": create_user(
            username="p_west", password="x", role="district_staff", district_code=WEST, check_password=False
        ),
        "bj": create_user(
            username="p_bj", password="x", role="district_staff", district_code=BINJIANG, check_password=False
        ),
    }


def _inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("id"))


def _run(day: date, capture) -> reminders.RunResult:
    with capture(execute=True):
        return reminders.run_reminders(day)


def test_an_off_track_target_reminds_the_city_and_each_lagging_district_once_a_month(
    titles, staff, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(programme_targets, "packs_in_force", lambda: [_pack(30)])
    keys = {r.key for r in reminders.targets_off_track(ON)}
    assert keys == {"target_off_track:t.lg:city:2026-06", f"target_off_track:t.lg:{BINJIANG}:2026-06"}

    first = _run(ON, django_capture_on_commit_callbacks)
    assert first.sent[Kind.TARGET_OFF_TRACK] == 2
    (city,) = [m for m in _inbox(staff["city"]) if "小巨人" in m.title]
    assert "预计到2028年12月31日达到 28，低于目标 30" in city.title
    assert "当前 16" in city.body and "落后区县：滨江区" in city.body
    (bj,) = _inbox(staff["bj"])
    assert "预计期末 6，按比例应达 11" in bj.title and "当前 6" in bj.body and bj.url.endswith(BINJIANG)
    assert not _inbox(staff["west"])  # 西湖区 is ahead of its share

    count = Notification.objects.count()
    again = _run(date(2026, 6, 30), django_capture_on_commit_callbacks)  # same month: nothing new
    assert Kind.TARGET_OFF_TRACK not in again.sent and Notification.objects.count() == count
    assert again.already_sent[Kind.TARGET_OFF_TRACK] == 2
    july = _run(date(2026, 7, 1), django_capture_on_commit_callbacks)  # a new month: reminded again
    assert july.sent[Kind.TARGET_OFF_TRACK] == 2


def test_nothing_is_sent_for_a_target_on_track_or_past_its_date(titles, staff, monkeypatch):
    monkeypatch.setattr(programme_targets, "packs_in_force", lambda: [_pack(28)])  # projected 28 reaches 28
    assert not list(reminders.targets_off_track(ON))
    monkeypatch.setattr(programme_targets, "packs_in_force", lambda: [_pack(30)])
    assert not list(reminders.targets_off_track(date(2029, 1, 1)))  # the target date has passed


@pytest.fixture
def units(db, settings, tmp_path) -> dict[str, object]:
    settings.MEDIA_ROOT = tmp_path / "media"

    def unit(name: str, org: str):
        return create_user(
            username=name, password="x", role="responsible_unit", organisation=org, check_password=False
        )

    return {
        "keji": unit("l_keji", "市科技局"),
        "keji2": unit("l_keji2", "市科技局"),
        "jingxin": unit("l_jingxin", "市经信局"),
        "city": create_user(username="l_city", password="x", role="city_staff", check_password=False),
    }


AFTER_Q4 = date(2026, 1, 10)  # 2025年第4季度 ended on 2025-12-31: its reports are late


def test_late_units_are_reminded_once_a_quarter_and_a_unit_that_reported_is_not(
    units, django_capture_on_commit_callbacks
):
    assert reminders.last_ended_quarter(AFTER_Q4) == (2025, 4)
    assert reminders.last_ended_quarter(date(2026, 7, 1)) == (2026, 2)
    keji = units["keji"]
    for measure in ur.unit_measures(keji, 2025, 4):  # 市科技局 submits every report of the quarter
        ur.save_report(
            keji,
            pack=measure.pack,
            article=measure.article,
            year=2025,
            quarter=4,
            narrative="已完成",
            kpi_values={},
            files=[("纪要.pdf", PDF)],
            submit=True,
            today=AFTER_Q4,
        )
    late_orgs = {m.organisation for m in ur.missing_reports(2025, 4, AFTER_Q4)}
    assert "市经信局" in late_orgs and "市科技局" not in late_orgs
    keys = {r.key for r in reminders.unit_reports_late(AFTER_Q4)}
    assert "unit_report_late:市经信局:2025Q4" in keys and "unit_report_late:city:2025Q4" in keys
    assert not any("市科技局" in k for k in keys)

    first = _run(AFTER_Q4, django_capture_on_commit_callbacks)
    assert (
        first.sent[Kind.UNIT_REPORT_LATE] == 2
    )  # 市经信局 (the only late unit with an account) and the city
    (mine,) = _inbox(units["jingxin"])
    expected = [m for m in ur.missing_reports(2025, 4, AFTER_Q4) if m.organisation == "市经信局"]
    assert f"尚有 {len(expected)} 项措施未提交" in mine.title
    assert all(f"第{m.measure.article}条" in mine.body for m in expected) and "2025-12-31" in mine.body
    assert not _inbox(keji) and not _inbox(units["keji2"])
    # a late unit without any account is named in the city summary only (no reminder key is used up)
    assert "unit_report_late:市市场监管局:2025Q4" not in keys and "市市场监管局" in late_orgs
    city = [m for m in _inbox(units["city"]) if "责任单位报告" in m.title]
    assert len(city) == 1 and f"{len(late_orgs)} 个单位" in city[0].title and "市经信局" in city[0].body

    count = Notification.objects.count()
    again = _run(date(2026, 1, 25), django_capture_on_commit_callbacks)  # still due: nothing new
    assert Kind.UNIT_REPORT_LATE not in again.sent and Notification.objects.count() == count
    assert ReminderSent.objects.filter(kind=Kind.UNIT_REPORT_LATE).count() == 2


def test_nobody_is_late_before_a_quarter_ends_or_when_every_unit_reported(units):
    # on the quarter's last day its reports are not yet late (only the quarter before is reminded)
    assert not any(":2025Q4" in r.key for r in reminders.unit_reports_late(date(2025, 12, 31)))
    everyone = {m.organisation for m in ur.missing_reports(2025, 4, AFTER_Q4)}
    for org in everyone:
        filer = create_user(
            username=f"all_{abs(hash(org))}",
            password="x",
            role="responsible_unit",
            organisation=org,
            check_password=False,
        )
        for measure in ur.unit_measures(filer, 2025, 4):
            ur.save_report(
                filer,
                pack=measure.pack,
                article=measure.article,
                year=2025,
                quarter=4,
                narrative="已完成",
                kpi_values={},
                files=[("纪要.pdf", PDF)],
                submit=True,
                today=AFTER_Q4,
            )
    assert ur.missing_reports(2025, 4, AFTER_Q4) == []
    assert not list(reminders.unit_reports_late(AFTER_Q4))
