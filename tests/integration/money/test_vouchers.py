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


@pytest.mark.django_db
def test_cancelling_an_unused_voucher_returns_its_value_and_it_can_never_be_redeemed():
    from srdi.db.models import AuditEvent
    from srdi.services.vouchers import cancel_voucher

    world, programme, provider_user = _setup()
    ent = world.enterprises[0]
    voucher = issue_voucher(programme, ent, 3 * WAN, "intellectual_property", actor=world.users["city_staff"])
    with pytest.raises(VoucherError, match="原因"):
        cancel_voucher(voucher.code, world.users["city_staff"], reason="  ")
    with pytest.raises(VoucherError, match="市经信局"):
        cancel_voucher(voucher.code, provider_user, reason="误发")
    cancelled = cancel_voucher(voucher.code.lower(), world.users["city_staff"], reason="发放对象有误")
    assert cancelled.status == Voucher.Status.CANCELLED
    fund = BudgetAccount.objects.get(programme=programme)
    assert (fund.used_fen, fund.paid_fen) == (0, 0)
    with pytest.raises(VoucherError, match="已核销或已作废"):
        redeem(voucher.code, provider_user, service="专利", delivered_on=date.today(), amount_fen=WAN)
    with pytest.raises(VoucherError, match="不能再作废"):
        cancel_voucher(voucher.code, world.users["city_staff"], reason="再次")
    event = AuditEvent.objects.filter(object_type="voucher", extra__operation="cancel").get()
    assert event.extra["reason"] == "发放对象有误"
    with pytest.raises(VoucherError, match="不存在"):
        cancel_voucher("FWQNOPE", world.users["city_staff"], reason="x")


@pytest.mark.django_db
def test_expiry_voids_only_unused_vouchers_past_their_date_and_can_run_again():
    from click.testing import CliRunner

    from srdi.cli import commands_money  # noqa: F401 - registers ``srdi vouchers``
    from srdi.cli.main import cli
    from srdi.services.vouchers import expire_vouchers

    world, programme, provider_user = _setup()
    staff = world.users["city_staff"]
    old = issue_voucher(programme, world.enterprises[0], 2 * WAN, "intellectual_property", actor=staff)
    used = issue_voucher(programme, world.enterprises[0], 3 * WAN, "legal_tax", actor=staff)
    fresh = issue_voucher(programme, world.enterprises[0], WAN, "legal_tax", actor=staff)
    redeem(used.code, provider_user, service="税务咨询", delivered_on=date.today(), amount_fen=3 * WAN)
    Voucher.objects.filter(pk__in=[old.pk, used.pk]).update(expires_on=date(2025, 3, 31))
    Voucher.objects.filter(pk=fresh.pk).update(expires_on=date(2025, 4, 1))

    assert [v.code for v in expire_vouchers(date(2025, 4, 1))] == [old.code]
    assert expire_vouchers(date(2025, 4, 1)) == []  # running again changes nothing
    statuses = dict(Voucher.objects.values_list("code", "status"))
    assert (statuses[old.code], statuses[used.code], statuses[fresh.code]) == (
        "cancelled",
        "redeemed",
        "issued",
    )
    fund = BudgetAccount.objects.get(programme=programme)
    assert (fund.used_fen, fund.paid_fen) == (4 * WAN, 3 * WAN)

    out = CliRunner().invoke(cli, ["vouchers", "expire", "--on", "2025-04-02"], catch_exceptions=False)
    assert out.exit_code == 0 and "1 张" in out.output and "10,000.00 元" in out.output
    assert Voucher.objects.get(pk=fresh.pk).status == Voucher.Status.CANCELLED
