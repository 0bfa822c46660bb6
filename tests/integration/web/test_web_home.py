"""The home per role (``services.home``): every queue's count is the row count of the page its link opens, a
district sees only its own district, an enterprise its tiers, money and cases, and the previous visit is kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import test_web_money_world as money_world
from django.urls import reverse
from django.utils import timezone
from test_web_money_world import approve, client_for, text_of, to_publicity

from srdi.db.models import Case, Certification, HomeVisit, Notification
from srdi.domain.home import QueueKind
from srdi.domain.unit_kpis import last_ended_quarter
from srdi.services import home as home_service
from srdi.services.cases import transition

# The shared fixtures (module attributes, not imports, so that linters see no redefinition).
mworld = money_world.mworld
ledger_verifies = money_world.ledger_verifies

ROLES = [
    "city_admin",
    "city_staff",
    "district",
    "other_district",
    "finance",
    "auditor",
    "enterprise",
    "provider",
]


def _by_kind(user) -> dict[QueueKind, home_service.ActionQueue]:
    return {q.kind: q for q in home_service.action_queues(user)}


def _rows_on(client, link: str) -> int:
    """The rows the linked case list shows (its paginator's count)."""
    response = client.get(link)
    assert response.status_code == 200
    return response.context["page"].paginator.count


def _advance(mw) -> None:
    """One case at district review, one at city review, one approved: every case queue has something."""
    c0, c1 = mw.case(0), mw.case(1)
    for case, owner in ((c0, mw.users["enterprise"]), (c1, mw.users["enterprise2"])):
        from srdi.services.cases import update_claim

        update_claim(
            case.pk, owner, bank_account_name="甲", bank_name="乙", bank_account_number="6222020200001234"
        )
        transition(case.pk, owner, "confirm")
    transition(c1.pk, mw.users["district"], "district_pass")


# Queues whose link opens a paginated list of exactly the items counted.
LISTED = {
    QueueKind.CASE_INTAKE,
    QueueKind.CASE_DISTRICT_REVIEW,
    QueueKind.CASE_CITY_REVIEW,
    QueueKind.CASE_DUE_APPROVAL,
    QueueKind.OFFER_TO_CONFIRM,
    QueueKind.CASE_RETURNED,
    QueueKind.PARAMETER_PENDING,
    QueueKind.SEEDLING_PENDING,
    QueueKind.SEEDLING_REMOVAL_PENDING,
    QueueKind.SHOWCASE_PENDING,
    QueueKind.INBOX_UNREAD,
}


@pytest.mark.django_db
def test_queue_counts_match_the_pages_they_link_to(mworld):
    _advance(mworld)
    seen = set()
    for role in ("city_admin", "city_staff", "district", "finance", "enterprise", "enterprise2", "auditor"):
        user = mworld.users[role]
        client = client_for(user)
        for q in home_service.action_queues(user):
            if q.kind in LISTED:
                assert _rows_on(client, q.link) == q.count, (role, q.kind)
                seen.add(q.kind)
    assert seen == LISTED  # every listed queue was checked against its page for some role
    assert any(q.count for q in home_service.action_queues(mworld.users["district"]) if q.kind in LISTED)


@pytest.mark.django_db
def test_counts_equal_direct_queries(mworld):
    _advance(mworld)
    ent = mworld.users["enterprise"]
    q = _by_kind(ent)
    assert (
        q[QueueKind.OFFER_TO_CONFIRM].count
        == Case.objects.filter(enterprise_id=ent.enterprise_id, state="offered").count()
    )
    district = _by_kind(mworld.users["district"])
    assert (
        district[QueueKind.CASE_DISTRICT_REVIEW].count
        == Case.objects.filter(district_code="330106", state="district_review").count()
        == 1
    )
    city = _by_kind(mworld.users["city_staff"])
    assert city[QueueKind.CASE_CITY_REVIEW].count == Case.objects.filter(state="city_review").count() == 1
    assert QueueKind.CASE_DISTRICT_REVIEW not in city  # the city does not do the district's step
    assert QueueKind.CASE_DUE_APPROVAL not in city  # city staff do not approve
    assert QueueKind.CASE_DUE_APPROVAL in _by_kind(mworld.users["city_admin"])
    finance = _by_kind(mworld.users["finance"])
    assert (
        finance[QueueKind.CASE_READY_TO_PAY].count
        == Case.objects.filter(state__in=("approved", "payment_failed"), awaiting_account=False).count()
    )
    assert QueueKind.CASE_CITY_REVIEW not in finance


@pytest.mark.django_db
def test_a_district_never_sees_another_districts_items(mworld):
    _advance(mworld)
    other = mworld.users["other_district"]
    for q in home_service.action_queues(other):
        if q.kind is not QueueKind.INBOX_UNREAD:
            assert q.count == 0, q.kind
    assert home_service.expiring_lines(other) == []
    mine = _by_kind(mworld.users["district"])
    assert mine[QueueKind.CASE_DISTRICT_REVIEW].count == 1


@pytest.mark.django_db
def test_the_oldest_age_is_in_days(mworld):
    _advance(mworld)
    Case.objects.filter(state="district_review").update(updated_at=timezone.now() - timedelta(days=4))
    q = _by_kind(mworld.users["district"])[QueueKind.CASE_DISTRICT_REVIEW]
    assert q.oldest_days == 4


@pytest.mark.django_db
def test_the_previous_visit_survives_refreshes_and_changes_are_counted(mworld):
    user = mworld.users["district"]
    start = timezone.now() - timedelta(days=1)
    assert home_service.visit(user, start) is None
    assert home_service.visit(user, start + timedelta(minutes=5)) is None  # same visit
    later = start + timedelta(hours=3)
    assert home_service.visit(user, later) == start  # a new visit: the previous one began at ``start``
    assert home_service.visit(user, later + timedelta(minutes=10)) == start  # a refresh keeps it
    assert HomeVisit.objects.get(user=user).previous_at == start
    _advance(mworld)
    Notification.objects.create(user=user, title="新消息")
    changes = {c.kind.value: c.count for c in home_service.changes_since(user, start)}
    assert changes["new_messages"] >= 1
    assert (
        changes["new_in_queues"] == 2
    )  # case 0 entered intake (submitted), case 1 intake then district review
    assert changes["case_status_changes"] >= 2


@pytest.mark.django_db
def test_enterprise_home_shows_tiers_money_and_cases(mworld):
    case = to_publicity(mworld, 0)
    approve(mworld, case)
    ent = mworld.users["enterprise"]
    day = timezone.localdate()
    Certification.objects.create(
        enterprise_id=ent.enterprise_id,
        tier="srdi_sme",
        recognized_on=day - timedelta(days=300),
        expires_on=day + timedelta(days=30),
    )
    home = home_service.home_for(ent)
    assert [(t.tier_label, t.expires_on) for t in home.titles] == [
        ("省级专精特新中小企业", day + timedelta(days=30))
    ]
    assert _by_kind(ent)[QueueKind.TITLE_EXPIRING].count == 1
    assert _by_kind(mworld.users["district"])[QueueKind.TITLE_EXPIRING].count == 1
    assert _by_kind(mworld.users["other_district"])[QueueKind.TITLE_EXPIRING].count == 0
    assert {f.label[5:] for f in home.figures} >= {"批准金额", "已拨付金额"}
    approved = Case.objects.get(pk=case.pk).approved_fen
    assert any(f.value == home_service.wan(approved) for f in home.figures)
    assert [c.state_label for c in home.open_cases if c.pk == case.pk] == ["已批准"]
    page = text_of(client_for(ent).get(reverse("web:home")))
    assert "我的梯度认定" in page and "我的办理中事项" in page and "已批准" in page
    assert "approved" not in page.split("<main", 1)[-1].replace("data-", "")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_a_home(mworld, role):
    user = mworld.users[role]
    response = client_for(user).get(reverse("web:home"))
    assert response.status_code == 200
    page = text_of(response)
    assert "待我办理" in page
    for q in response.context["home"].waiting:
        assert q.label in page


@pytest.mark.django_db
def test_a_units_reports_due_are_those_of_its_measures_not_filed(db):
    from srdi.db.models import UnitReport
    from srdi.services import unit_reports as ur
    from srdi.services.accounts import create_user

    unit = create_user(
        username="keji_home",
        password="x",
        role="responsible_unit",
        organisation="市科技局",
        check_password=False,
    )
    day = date(2026, 1, 15)  # the last ended quarter is 2025年第4季度, when 81号 第6条 names 市科技局
    year, quarter = last_ended_quarter(day)
    measures = ur.unit_measures(unit, year, quarter)
    assert (year, quarter) == (2025, 4) and measures

    def by_kind(user):
        return {q.kind: q for q in home_service.action_queues(user, day)}

    due = by_kind(unit)[QueueKind.UNIT_REPORT_DUE]
    assert due.count == len(measures)
    assert due.link.endswith(f"?q={year}-{quarter}")
    m = measures[0]
    now = timezone.now()
    UnitReport.objects.create(
        pack=m.pack,
        article=m.article,
        organisation="市科技局",
        year=year,
        quarter=quarter,
        status=UnitReport.Status.SUBMITTED,
        created_at=now,
        updated_at=now,
        submitted_at=now,
        created_by=unit,
    )
    assert by_kind(unit)[QueueKind.UNIT_REPORT_DUE].count == len(measures) - 1
    city = create_user(username="city_home", password="x", role="city_staff", check_password=False)
    assert by_kind(city)[QueueKind.UNIT_REPORT_TO_REVIEW].count == 1
    assert QueueKind.CASE_CITY_REVIEW not in by_kind(unit)


@pytest.mark.django_db
def test_seedling_proposals_count_as_the_seedling_list_filters_them(mworld):
    from srdi.services import seedlings

    district = mworld.users["district"]
    for ent in mworld.world.enterprises[:2]:
        seedlings.add(district, ent, timezone.localdate(), "拟入库：研发投入高、增长快")
    city = mworld.users["city_staff"]
    queues = _by_kind(city)
    proposed = queues[QueueKind.SEEDLING_PENDING]
    assert proposed.count == 2
    assert _rows_on(client_for(city), proposed.link) == 2
    removal = queues[QueueKind.SEEDLING_REMOVAL_PENDING]
    assert removal.count == 0
    assert QueueKind.SEEDLING_PENDING not in _by_kind(district)  # a district proposes, the city confirms
