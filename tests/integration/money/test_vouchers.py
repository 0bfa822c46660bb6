"""Service vouchers (81号 第25条): only SRDI enterprises, never above the annual fund, never redeemed twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connections
from tests.integration.money.conftest import build_world

from srdi.db.models import BudgetAccount, ServiceProvider, Voucher, VoucherRedemption
from srdi.services.accounts import create_user
from srdi.services.programmes import create_programme
from srdi.services.vouchers import VoucherError, issue_voucher, redeem

WAN = 1_000_000


def _setup(fund_wan: int = 10):
    world = build_world(n=2)
    programme = create_programme(
        code="hz81-25-2025",
        name="2025年服务券",
        article=25,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=fund_wan * WAN,
        actor=world.users["city_admin"],
    )
    provider = ServiceProvider.objects.create(
        name="杭州知识产权服务有限公司",
        uscc="91330106MA2B00001A",
        categories=["intellectual_property", "legal_tax"],
    )
    provider_user = create_user(username="w_provider", password="x", role="provider", check_password=False)
    provider_user.provider = provider
    provider_user.save()
    return world, programme, provider_user


@pytest.mark.django_db
def test_issue_and_redeem_with_remainder_released():
    world, programme, provider_user = _setup()
    ent = world.enterprises[0]
    voucher = issue_voucher(programme, ent, 3 * WAN, "intellectual_property", actor=world.users["city_staff"])
    redeem(voucher.code, provider_user, service="专利布局分析", delivered_on=date.today(), amount_fen=2 * WAN)
    fund = BudgetAccount.objects.get(programme=programme)
    assert (fund.used_fen, fund.paid_fen) == (2 * WAN, 2 * WAN)
    with pytest.raises(VoucherError, match="已核销"):
        redeem(voucher.code, provider_user, service="again", delivered_on=date.today(), amount_fen=WAN)


@pytest.mark.django_db
def test_refusals_say_why():
    world, programme, provider_user = _setup(fund_wan=5)
    innovative = world.enterprises[1]
    innovative.certifications.all().delete()
    with pytest.raises(VoucherError, match="不是有效期内的专精特新企业"):
        issue_voucher(programme, innovative, WAN, "legal_tax", actor=world.users["city_staff"])
    issue_voucher(programme, world.enterprises[0], 4 * WAN, "legal_tax", actor=world.users["city_staff"])
    with pytest.raises(VoucherError, match="余额不足"):
        issue_voucher(programme, world.enterprises[0], 2 * WAN, "legal_tax", actor=world.users["city_staff"])
    other = issue_voucher(
        programme, world.enterprises[0], WAN, "certification_testing", actor=world.users["city_staff"]
    )
    with pytest.raises(VoucherError, match="服务范围"):
        redeem(other.code, provider_user, service="检测", delivered_on=date.today(), amount_fen=WAN)
    with pytest.raises(VoucherError, match="服务机构用户"):
        redeem(
            other.code, world.users["city_staff"], service="检测", delivered_on=date.today(), amount_fen=WAN
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_voucher_redeemed_by_eight_requests_at_once_is_redeemed_once():
    world, programme, provider_user = _setup()
    voucher = issue_voucher(
        programme, world.enterprises[0], 3 * WAN, "intellectual_property", actor=world.users["city_staff"]
    )
    results, lock = [], threading.Lock()

    def attempt(_):
        try:
            redeem(
                voucher.code, provider_user, service="专利检索", delivered_on=date.today(), amount_fen=3 * WAN
            )
            outcome = "ok"
        except VoucherError as exc:
            outcome = str(exc)
        except Exception as exc:
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(attempt, range(8)))
    assert results.count("ok") == 1, results
    assert VoucherRedemption.objects.count() == 1
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"
