"""Service vouchers follow 81号 第25条's own parameters: the seven categories and 不高于1000万元 a year, city-wide."""

from __future__ import annotations

from datetime import date

import pytest
from tests.integration.money.conftest import build_world

from srdi.db.models import BudgetAccount
from srdi.services.programmes import create_programme
from srdi.services.vouchers import VoucherError, issue_voucher

WAN = 1_000_000


def _programme(world, code: str, fund_wan: int):
    return create_programme(
        code=code,
        name=f"2025年服务券 {code}",
        article=25,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=fund_wan * WAN,
        actor=world.users["city_admin"],
    )


@pytest.mark.django_db
def test_the_annual_budget_of_the_policy_holds_across_programmes_of_the_year():
    world = build_world(n=1)
    first = _programme(world, "hz81-25-2025-a", 800)
    second = _programme(world, "hz81-25-2025-b", 800)  # opened with more than the policy allows in all
    staff = world.users["city_staff"]
    ent = world.enterprises[0]
    issue_voucher(first, ent, 700 * WAN, "legal_tax", actor=staff)
    issue_voucher(second, ent, 300 * WAN, "legal_tax", actor=staff)  # exactly 1000万 in all
    with pytest.raises(VoucherError, match=r"超过每年不高于 1,000万元 的上限（hz81\.25\.annual_budget）"):
        issue_voucher(second, ent, 1 * WAN, "legal_tax", actor=staff)
    assert BudgetAccount.objects.get(programme=second).used_fen == 300 * WAN


@pytest.mark.django_db
def test_a_category_outside_the_policy_list_is_refused(settings):
    world = build_world(n=1)
    programme = _programme(world, "hz81-25-2025", 100)
    with pytest.raises(VoucherError, match=r"hz81\.25\.categories"):
        issue_voucher(programme, world.enterprises[0], WAN, "catering", actor=world.users["city_staff"])
