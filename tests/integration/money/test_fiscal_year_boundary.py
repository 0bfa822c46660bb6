"""Fiscal-year boundary (reliability.md §6 idea 19): the server keeps UTC, the business year is Hangzhou's.

Approvals and payments are made at 2026-12-31 23:59:59.999 and 2027-01-01 00:00:00 Asia/Shanghai — that is
2026-12-31 15:59:59.999 and 16:00:00 UTC, the same UTC year. What each one counts in:

- an approval commits the budget of its programme's year (``Programme.year``), whatever the clock says, and its
  business date (``cases.today()``, the 公示 and step dates) is the Hangzhou date;
- a payment of a case with no dated event counts, in the matter history the engine reads for its annual pools
  and per-year caps, in the Hangzhou year of the payment (before this test it counted in the UTC year: a payment
  at 00:00–07:59 on 1 January was charged to the year before);
- a voucher counts in the fund of its programme's year, issued or redeemed on either side of midnight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from tests.integration.money.conftest import build_world
from tests.integration.money.test_concurrency import _publicity_cases

from srdi.db.models import BudgetAccount, Case, Payment, ServiceProvider
from srdi.services import case_entitlement, cases
from srdi.services.accounts import create_user
from srdi.services.case_entitlement import payment_history
from srdi.services.cases import transition
from srdi.services.payments import create_payment_run, disburse
from srdi.services.programmes import create_programme
from srdi.services.vouchers import issue_voucher, redeem

pytestmark = pytest.mark.django_db

LAST_MOMENT_2026 = datetime(2026, 12, 31, 15, 59, 59, 999_000, tzinfo=UTC)  # 23:59:59.999 in Hangzhou
FIRST_MOMENT_2027 = datetime(2027, 1, 1, 0, 0, 0, tzinfo=timezone.get_fixed_timezone(8 * 60)).astimezone(UTC)
WAN = 1_000_000


@pytest.fixture
def clock(monkeypatch):
    """``set(moment)`` fixes ``django.utils.timezone.now`` (and so ``localdate``) at a UTC moment."""

    class Clock:
        def set(self, moment: datetime) -> None:
            monkeypatch.setattr(timezone, "now", lambda: moment)

    return Clock()


@pytest.fixture
def fixed_entitlement(monkeypatch):
    """The synthetic cases' entitlement is their stored amount (as in the concurrency tests)."""

    def fixed(case, precomputed=None):
        return case_entitlement.Entitlement("granted", case.entitlement_fen, case.entitlement_trace, 0, [])

    monkeypatch.setattr(case_entitlement, "current_entitlement", fixed)


def test_the_two_moments_are_one_utc_year_and_two_hangzhou_years():
    assert datetime(2026, 12, 31, 16, 0, tzinfo=UTC) == FIRST_MOMENT_2027
    assert LAST_MOMENT_2026.year == FIRST_MOMENT_2027.year == 2026  # the server's (UTC) year
    assert timezone.localtime(LAST_MOMENT_2026).year == 2026
    assert timezone.localtime(FIRST_MOMENT_2027).year == 2027


def test_approvals_either_side_of_midnight_commit_the_programme_year_and_carry_the_hangzhou_date(
    clock, fixed_entitlement
):
    world = build_world(n=1, city_budget=10 * WAN, district_budget=10 * WAN)
    before, after = _publicity_cases(world, 2, [2 * WAN, 4 * WAN])
    approver = world.users["city_admin"]
    clock.set(LAST_MOMENT_2026)
    assert cases.today() == date(2026, 12, 31)
    transition(before.pk, approver, "approve")
    clock.set(FIRST_MOMENT_2027)
    assert cases.today() == date(2027, 1, 1)
    transition(after.pk, approver, "approve")

    budgets = BudgetAccount.objects.filter(programme=world.programme)
    assert {b.year for b in budgets} == {world.programme.year}  # one year's budgets, no other opened
    city = budgets.get(side="city")
    assert city.used_fen == (2 * WAN + 4 * WAN) // 2  # both approvals, in the programme's year
    steps = {t.case_id: t for t in Case.objects.get(pk=after.pk).transitions.filter(name="approve")}
    assert timezone.localtime(steps[after.pk].at).date() == date(2027, 1, 1)
    first = Case.objects.get(pk=before.pk).transitions.get(name="approve")
    assert timezone.localtime(first.at).date() == date(2026, 12, 31)


def test_payments_either_side_of_midnight_count_in_the_hangzhou_year(clock, fixed_entitlement):
    world = build_world(n=1)
    before, after = _publicity_cases(world, 2, [2 * WAN, 2 * WAN])
    assert before.event_id is None and after.event_id is None  # the payment date decides the pool year
    clock.set(LAST_MOMENT_2026)
    for case in (before, after):
        transition(case.pk, world.users["city_admin"], "approve")
    create_payment_run(world.users["finance"], world.programme)
    disburse(before.pk, 2 * WAN, "fy-before", actor=world.users["finance"])
    clock.set(FIRST_MOMENT_2027)
    disburse(after.pk, 2 * WAN, "fy-after", actor=world.users["finance"])

    stored = dict(Payment.objects.values_list("case_id", "paid_at"))
    assert stored[before.pk] == LAST_MOMENT_2026 and stored[after.pk] == FIRST_MOMENT_2027
    enterprise = before.enterprise
    history = payment_history({enterprise.pk: 1})
    years = dict(zip(history["matter"].to_list(), history["year"].to_list(), strict=True))
    assert years == {before.matter: 2026, after.matter: 2027}


def test_vouchers_either_side_of_midnight_count_in_their_programme_year_fund(clock):
    world = build_world(n=1)
    programme = create_programme(
        code="hz81-25-2026",
        name="2026年服务券",
        article=25,
        year=2026,
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
        city_budget_fen=10 * WAN,
        actor=world.users["city_admin"],
    )
    provider = ServiceProvider.objects.create(
        name="杭州知识产权服务有限公司", uscc="91330106MA2B00001A", categories=["intellectual_property"]
    )
    provider_user = create_user(username="fy_provider", password="x", role="provider", check_password=False)
    provider_user.provider = provider
    provider_user.save()
    enterprise = world.enterprises[0]
    enterprise.certifications.update(recognized_on=date(2025, 1, 15))  # valid over the new year
    staff = world.users["city_staff"]

    clock.set(LAST_MOMENT_2026)
    late = issue_voucher(programme, enterprise, 3 * WAN, "intellectual_property", actor=staff)
    clock.set(FIRST_MOMENT_2027)
    early = issue_voucher(programme, enterprise, 2 * WAN, "intellectual_property", actor=staff)
    redeem(late.code, provider_user, service="专利分析", delivered_on=date(2026, 12, 31), amount_fen=3 * WAN)
    redeem(early.code, provider_user, service="专利布局", delivered_on=date(2027, 1, 1), amount_fen=2 * WAN)

    fund = BudgetAccount.objects.get(programme=programme)
    assert fund.year == 2026
    assert (fund.used_fen, fund.paid_fen) == (5 * WAN, 5 * WAN)
    assert late.code.startswith("FWQ2026") and early.code.startswith("FWQ2026")
