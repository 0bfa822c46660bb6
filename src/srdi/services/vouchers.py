"""Service vouchers (81号 第25条): issued to SRDI enterprises from the annual fund, redeemed by providers.

Use ``issue_voucher`` (commits the fund through the ledger; only SRDI enterprises) and ``redeem`` (a provider
redeems a voucher of its category against a delivered service: the redeemed amount is paid and any remainder
released; a voucher is redeemed at most once — a conditional update plus a one-to-one constraint).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from srdi.db.models import (
    AuditAction,
    BudgetAccount,
    Enterprise,
    Programme,
    Role,
    ServiceProvider,
    User,
    Voucher,
    VoucherRedemption,
)
from srdi.domain.rules.facts import certification_valid_on
from srdi.services import audit, ledger
from srdi.services.notify import Message, notify


class VoucherError(ValueError):
    """A voucher request that cannot be carried out; the message says why."""


def _fund(programme: Programme) -> BudgetAccount:
    fund = BudgetAccount.objects.filter(programme=programme, year=programme.year, side="city").first()
    if fund is None:
        raise VoucherError("服务券年度资金尚未下达")
    return fund


def is_srdi(enterprise: Enterprise, on: date) -> bool:
    """Holds a valid 小巨人 or 省级专精特新 title on the date."""
    import polars as pl

    rows = list(
        enterprise.certifications.filter(tier__in=("little_giant", "srdi_sme")).values(
            "tier", "recognized_on", "expires_on", "revoked_on"
        )
    )
    if not rows:
        return False
    frame = pl.DataFrame(
        rows,
        schema={"tier": pl.String, "recognized_on": pl.Date, "expires_on": pl.Date, "revoked_on": pl.Date},
    )
    return bool(frame.select(certification_valid_on(on).fill_null(False).any()).item())


def issue_voucher(
    programme: Programme,
    enterprise: Enterprise,
    face_value_fen: int,
    category: str,
    *,
    actor: User,
    valid_days: int = 365,
) -> Voucher:
    """Issue one voucher; refuses non-SRDI enterprises and anything the annual fund cannot cover."""
    if programme.article != 25:
        raise VoucherError("服务券须在第25条的批次下发放")
    if actor.role not in (Role.CITY_ADMIN, Role.CITY_STAFF):
        raise VoucherError("服务券由市经信局发放")
    today = timezone.localdate()
    if not is_srdi(enterprise, today if programme.year >= today.year else date(programme.year, 12, 31)):
        raise VoucherError(f"{enterprise.name} 不是有效期内的专精特新企业，不能发放服务券")
    if face_value_fen <= 0:
        raise VoucherError("面额必须为正")
    with transaction.atomic():
        voucher = Voucher.objects.create(
            code=f"FWQ{programme.year}{secrets.token_hex(5).upper()}",
            programme=programme,
            enterprise=enterprise,
            face_value_fen=face_value_fen,
            category=category,
            issued_at=timezone.now(),
            expires_on=today + timedelta(days=valid_days),
            issued_by=actor,
        )
        try:
            ledger.commit(
                [ledger.Share(_fund(programme), face_value_fen)],
                actor=actor,
                voucher=voucher,
                memo=f"发放服务券 {voucher.code}",
            )
        except ledger.BudgetExceeded:
            raise VoucherError("服务券年度资金余额不足") from None
        audit.record(
            AuditAction.CREATE,
            actor,
            object_type="voucher",
            object_id=str(voucher.pk),
            object_repr=voucher.code,
            new={"enterprise": enterprise.uscc, "face_value_fen": face_value_fen, "category": category},
        )
        notify(
            Message(
                f"已获发服务券 {voucher.code}",
                f"面额 {face_value_fen / 100:.2f} 元，类别 {voucher.get_category_display()}",
                "/vouchers/",
                enterprise_id=enterprise.pk,
            )
        )
    return voucher


@dataclass
class Redeemed:
    redemption: VoucherRedemption


def redeem(code: str, user: User, *, service: str, delivered_on: date, amount_fen: int) -> Redeemed:
    """A provider redeems a voucher once, for at most its face value and only in its own categories."""
    if user.role != Role.PROVIDER or user.provider_id is None:
        raise VoucherError("只有服务机构用户可以核销服务券")
    provider = ServiceProvider.objects.get(pk=user.provider_id)
    if not provider.active:
        raise VoucherError("服务机构已停用")
    if not service.strip():
        raise VoucherError("请填写服务内容")
    try:
        with transaction.atomic():
            voucher = (
                Voucher.objects.select_for_update().select_related("programme").get(code=code.strip().upper())
            )
            if voucher.category not in provider.categories:
                raise VoucherError(f"该券类别（{voucher.get_category_display()}）不在本机构服务范围内")
            if voucher.expires_on < delivered_on:
                raise VoucherError("服务券已过期")
            if not 0 < amount_fen <= voucher.face_value_fen:
                raise VoucherError(f"核销金额应大于0且不超过面额 {voucher.face_value_fen} 分")
            # A single conditional update: only an issued voucher can become redeemed, whatever runs concurrently.
            if (
                Voucher.objects.filter(pk=voucher.pk, status=Voucher.Status.ISSUED).update(
                    status=Voucher.Status.REDEEMED
                )
                != 1
            ):
                raise VoucherError("该服务券已核销或已作废")
            fund = _fund(voucher.programme)
            entry = ledger.pay(
                [ledger.Share(fund, amount_fen)],
                actor=user,
                voucher=voucher,
                memo=f"核销服务券 {voucher.code}",
            )
            remainder = voucher.face_value_fen - amount_fen
            if remainder:
                ledger.release(
                    [ledger.Share(fund, remainder)],
                    actor=user,
                    voucher=voucher,
                    memo=f"服务券 {voucher.code} 未用余额退回",
                )
            redemption = VoucherRedemption.objects.create(
                voucher=voucher,
                provider=provider,
                service=service.strip()[:255],
                delivered_on=delivered_on,
                amount_fen=amount_fen,
                redeemed_by=user,
                redeemed_at=timezone.now(),
                entry=entry,
            )
            audit.record(
                AuditAction.LEDGER,
                user,
                object_type="voucher",
                object_id=str(voucher.pk),
                object_repr=f"核销 {voucher.code}",
                new={"amount_fen": amount_fen, "provider": provider.name},
            )
    except Voucher.DoesNotExist:
        raise VoucherError("券号不存在") from None
    except IntegrityError:
        raise VoucherError("该服务券已核销") from None
    return Redeemed(redemption)
