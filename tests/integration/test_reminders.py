"""The daily reminders: each kind fires from the first day of its horizon to its last and not outside it; a
second run sends nothing new; district staff hear of their district only; ``srdi reminders`` prints the counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.conftest import make_uscc
from tests.integration.conftest import json_bytes, profile

from srdi.db.models import AuditEvent, Enterprise, Notification, Programme, ReminderSent
from srdi.services import reminders
from srdi.services.accounts import create_user
from srdi.services.imports import import_file
from srdi.services.reminders import Kind

pytestmark = pytest.mark.django_db

CERT_LAST_DAY = date(2027, 2, 28)  # stated expiry
DEFAULT_LAST_DAY = date(
    2027, 1, 14
)  # recognised 2024-01-15, no stated expiry: the day before the 3rd anniversary
TITLE_LAST_DAY = date(2026, 12, 31)
OPENS, CLOSES = date(2026, 12, 10), date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _without_programme_kinds(monkeypatch):
    """Targets off track and late unit reports are tested in ``test_reminders_programme.py``; here the counts
    are those of the other kinds only."""
    monkeypatch.setattr(reminders, "targets_off_track", lambda on: iter(()))
    monkeypatch.setattr(reminders, "unit_reports_late", lambda on: iter(()))


@pytest.fixture
def town(db):
    a, b, c = make_uscc("330106"), make_uscc("330106"), make_uscc("330108")
    records = [
        profile(
            a,
            name="甲科技有限公司",
            certifications=[
                {"tier": "srdi_sme", "recognized_on": "2024-03-01", "expires_on": str(CERT_LAST_DAY)}
            ],
            titles=[
                {"kind": "high_tech_enterprise", "valid_from": "2024-01-01", "valid_to": str(TITLE_LAST_DAY)}
            ],
            data_updates=[{"year": 2026, "updated_on": "2026-05-10"}],
        ),
        profile(
            b,
            name="乙科技有限公司",
            certifications=[{"tier": "innovative_sme", "recognized_on": "2024-01-15"}],
            data_updates=[],
        ),
        profile(
            c,
            district="330108",
            name="丙科技有限公司",
            certifications=[{"tier": "srdi_sme", "recognized_on": "2025-06-01"}],
            data_updates=[],
        ),
    ]
    assert import_file(json_bytes(records), "town.json").ok
    ents = {e.uscc: e for e in Enterprise.objects.all()}
    Programme.objects.create(
        code="hz81-9-2027", name="2027年技改补助", article=9, year=2027, opens_on=OPENS, closes_on=CLOSES
    )
    users = {
        "xihu": create_user(
            username="r_xihu",
            password="x",
            role="district_staff",
            district_code="330106",
            check_password=False,
        ),
        "binjiang": create_user(
            username="r_bj", password="x", role="district_staff", district_code="330108", check_password=False
        ),
        "city": create_user(username="r_city", password="x", role="city_staff", check_password=False),
        "a": create_user(
            username="r_a", password="x", role="enterprise", enterprise_uscc=a, check_password=False
        ),
    }
    return ents[a], ents[b], ents[c], users


def _keys(day: date, kind: Kind) -> set[str]:
    return {r.key for r in reminders.due_reminders(day) if r.kind is kind}


def _first_and_last(last_day: date, days: int, kind: Kind, key_part: str) -> None:
    first = last_day - timedelta(days=days)
    for day in (first, first + timedelta(days=1), last_day):
        assert any(key_part in k for k in _keys(day, kind)), day
    for day in (first - timedelta(days=1), last_day + timedelta(days=1)):
        assert not any(key_part in k for k in _keys(day, kind)), day


def test_each_kind_fires_inside_its_horizon_and_not_outside(town):
    a, b, c, _ = town
    # Reviews due: stated expiry, and the default three-year term.
    _first_and_last(CERT_LAST_DAY, 90, Kind.REVIEW_DUE, f":{CERT_LAST_DAY}")
    _first_and_last(DEFAULT_LAST_DAY, 90, Kind.REVIEW_DUE, f":{DEFAULT_LAST_DAY}")
    _first_and_last(TITLE_LAST_DAY, 90, Kind.TITLE_EXPIRING, f":{TITLE_LAST_DAY}")
    # Programme windows: 7 days ahead up to the day itself.
    _first_and_last(OPENS, 7, Kind.WINDOW_OPENS, f":{OPENS}")
    _first_and_last(CLOSES, 7, Kind.WINDOW_CLOSES, f":{CLOSES}")

    # The annual data update: 31 May 2026 (Zhejiang), from 30 days before; those who updated are left out.
    deadline = reminders.data_update_deadline(2026)
    assert deadline == date(2026, 5, 31)
    enterprise_keys = {f"data_update:enterprise:{e.pk}:2026" for e in (b, c)}
    assert enterprise_keys <= _keys(date(2026, 5, 1), Kind.DATA_UPDATE)
    assert enterprise_keys <= _keys(deadline, Kind.DATA_UPDATE)
    assert f"data_update:enterprise:{a.pk}:2026" not in _keys(deadline, Kind.DATA_UPDATE)
    assert not _keys(date(2026, 4, 30), Kind.DATA_UPDATE)
    assert not _keys(date(2026, 6, 1), Kind.DATA_UPDATE)
    assert {"data_update:district:330106:2026", "data_update:district:330108:2026"} <= _keys(
        deadline, Kind.DATA_UPDATE
    )


def test_a_closed_programme_and_a_revoked_title_are_not_reminded(town):
    a, *_ = town
    Programme.objects.update(status=Programme.Status.CLOSED)
    a.certifications.update(revoked_on=date(2026, 12, 1))
    assert not _keys(CLOSES, Kind.WINDOW_CLOSES)
    assert not any(f":{CERT_LAST_DAY}" in k for k in _keys(date(2026, 12, 2), Kind.REVIEW_DUE))


def test_delivered_by_scope_once_and_audited_once_per_run(town, django_capture_on_commit_callbacks):
    a, _b, c, users = town
    day = date(2026, 12, 5)  # a's review due, a's 高新 expiring, b's review due, the window opens on 12-10
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.run_reminders(day)
    assert first.sent == {Kind.REVIEW_DUE: 2, Kind.TITLE_EXPIRING: 1, Kind.WINDOW_OPENS: 1}

    def inbox(user):
        return set(Notification.objects.filter(user=user).values_list("title", flat=True))

    xihu, binjiang, city = inbox(users["xihu"]), inbox(users["binjiang"]), inbox(users["city"])
    assert any("高新技术企业" in t for t in xihu) and sum("复核" in t for t in xihu) == 2
    assert not any("复核" in t or "高新" in t for t in binjiang)  # neither enterprise is in 滨江
    assert any("开始受理" in t for t in binjiang) and any("开始受理" in t for t in city)
    assert not any("复核" in t for t in city)
    a_inbox = set(Notification.objects.filter(enterprise=a).values_list("title", flat=True))
    assert any("复核" in t for t in a_inbox) and any("高新" in t for t in a_inbox)
    assert not Notification.objects.filter(enterprise=c).exists()

    count = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        again = reminders.run_reminders(day)
    assert again.total_sent == 0 and Notification.objects.count() == count
    assert again.already_sent == first.sent
    runs = AuditEvent.objects.filter(object_type="reminders", object_id=str(day)).order_by("seq")
    assert [e.extra["sent"] for e in runs] == [{k.value: v for k, v in first.sent.items()}, {}]
    assert ReminderSent.objects.count() == 4

    # The next day: the window reminder is not sent again, nothing new fires.
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.run_reminders(day + timedelta(days=1)).total_sent == 0


def test_a_dry_run_writes_nothing(town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = reminders.run_reminders(date(2026, 12, 5), dry_run=True)
    assert result.total_sent == 4 and len(result.reminders) == 4
    assert not Notification.objects.exists() and not ReminderSent.objects.exists()
    assert not AuditEvent.objects.filter(object_type="reminders").exists()


def test_the_command_prints_counts_and_exits_0(town):
    from click.testing import CliRunner

    from srdi.cli import commands_reminders  # noqa: F401 - registers the command
    from srdi.cli.main import cli

    runner = CliRunner()
    dry = runner.invoke(cli, ["reminders", "--on", "2026-12-05", "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "试运行" in dry.output and "合计：将发送 4 条提醒" in dry.output
    assert "window_opens:programme:" in dry.output
    assert not ReminderSent.objects.exists()

    sent = runner.invoke(cli, ["reminders", "--on", "2026-12-05"], catch_exceptions=False)
    assert sent.exit_code == 0, sent.output
    assert (
        "合计：已发送 4 条提醒" in sent.output
        and "梯度认定即将到期（复核）：到期 2 条，已发送 2 条" in sent.output
    )
    again = runner.invoke(cli, ["reminders", "--on", "2026-12-05"], catch_exceptions=False)
    assert again.exit_code == 0 and "合计：已发送 0 条提醒" in again.output
    assert "此前已发送 2 条" in again.output

    bad = runner.invoke(cli, ["reminders", "--on", "2026-13-01"])
    assert bad.exit_code == 2
