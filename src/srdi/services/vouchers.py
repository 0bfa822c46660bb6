"""Service vouchers (81号 第25条): issued to SRDI enterprises from the annual fund, redeemed by providers.

Use ``issue_voucher`` (commits the fund through the ledger; only SRDI enterprises) and ``redeem`` (a provider
redeems a voucher of its category against a delivered service: the redeemed amount is paid and any remainder
released; a voucher is redeemed at most once — a conditional update plus a one-to-one constraint).
``cancel_voucher`` (the city voids an unused voucher, with a reason) and ``expire_vouchers`` (run daily:
``srdi vouchers expire``) return an unused voucher's face value to the fund; a cancelled voucher can never be
redeemed.

The policy's own limits come from the pack's parameters, read on the issue date: the category must be one of
``<pack>.25.categories`` (81号: the seven service categories) and everything committed to vouchers of the
programme year, city-wide, must stay within ``<pack>.25.annual_budget`` (81号: 不高于1000万元 a year), whatever
budget the programme was opened with.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from srdi.db.models import (
    AuditAction,
    BudgetAccount,
    Enterprise,
    Programme,
    ServiceProvider,
    User,
    Voucher,
    VoucherRedemption,
)
from srdi.domain.money import format_wan
from srdi.domain.permissions import Permission
from srdi.domain.policy.params import ParamSet
from srdi.domain.rules.facts import certification_valid_on
from srdi.services import audit, ledger
from srdi.services.notify import Message, notify
from srdi.services.parameters import packs_in_force


class VoucherError(ValueError):
    """A voucher request that cannot be carried out; the message says why."""


def _fund(programme: Programme) -> BudgetAccount:
    fund = BudgetAccount.objects.filter(programme=programme, year=programme.year, side="city").first()
    if fund is None:
        raise VoucherError("服务券年度资金尚未下达")
    return fund


def _policy_limit(programme: Programme, name: str, day: date) -> tuple[str, Any]:
    """(parameter id, value on ``day``) of the programme's pack, e.g. ``hz81.25.annual_budget``; value None if absent."""
    pid = f"{programme.pack}.{programme.article}.{name}"
    packs = tuple(p for p in packs_in_force() if p.id == programme.pack)
    params = ParamSet.for_run(packs)
    return pid, (params.value(pid, day) if pid in params.params else None)


def _check_policy_limits(programme: Programme, category: str, face_value_fen: int, day: date) -> None:
    """The category is one the policy supports, and the year's vouchers stay within the policy's budget."""
    pid, categories = _policy_limit(programme, "categories", day)
    if categories is not None and category not in categories:
        raise VoucherError(f"类别 {category} 不在第{programme.article}条服务券支持的服务类别内（{pid}）")
    pid, budget = _policy_limit(programme, "annual_budget", day)
    if budget is None:
        return
    committed = (
        BudgetAccount.objects.filter(
            programme__pack=programme.pack,
            programme__article=programme.article,
            year=programme.year,
            side="city",
        ).aggregate(total=Sum("used_fen"))["total"]
        or 0
    )
    if committed + face_value_fen > budget:
        raise VoucherError(
            f"{programme.year}年服务券全市已承诺 {format_wan(committed)}，再发 {format_wan(face_value_fen)} "
            f"将超过每年不高于 {format_wan(budget)} 的上限（{pid}）"
        )


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
    if not actor.can(Permission.VOUCHER_ISSUE):
        raise VoucherError("服务券由市经信局发放")
    today = timezone.localdate()
    if not is_srdi(enterprise, today if programme.year >= today.year else date(programme.year, 12, 31)):
        raise VoucherError(f"{enterprise.name} 不是有效期内的专精特新企业，不能发放服务券")
    if face_value_fen <= 0:
        raise VoucherError("面额必须为正")
    with transaction.atomic():
        # Lock the year's article-25 city funds so that two issues at once cannot both pass the budget check.
        list(
            BudgetAccount.objects.select_for_update(of=("self",)).filter(
                programme__pack=programme.pack,
                programme__article=programme.article,
                year=programme.year,
                side="city",
            )
        )
        _check_policy_limits(programme, category, face_value_fen, today)
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
    if not user.can(Permission.VOUCHER_REDEEM) or user.provider_id is None:
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


CANCEL_REASON_MAX = 200


def _void(voucher: Voucher, actor: User | None, reason: str, operation: str) -> None:
    """Inside a transaction: an issued voucher becomes cancelled and its face value goes back to the fund."""
    if (
        Voucher.objects.filter(pk=voucher.pk, status=Voucher.Status.ISSUED).update(
            status=Voucher.Status.CANCELLED
        )
        != 1
    ):
        raise VoucherError(f"服务券 {voucher.code} 已核销或已作废，不能再作废")
    ledger.release(
        [ledger.Share(_fund(voucher.programme), voucher.face_value_fen)],
        actor=actor,
        voucher=voucher,
        memo=f"服务券 {voucher.code} {reason}，面额退回年度资金",
    )
    audit.record(
        AuditAction.UPDATE,
        actor,
        object_type="voucher",
        object_id=str(voucher.pk),
        object_repr=f"作废 {voucher.code}",
        old={"status": Voucher.Status.ISSUED},
        new={"status": Voucher.Status.CANCELLED},
        extra={"operation": operation, "reason": reason},
    )
    notify(
        Message(
            f"服务券 {voucher.code} 已作废",
            f"原因：{reason}。面额 {format_wan(voucher.face_value_fen)} 已退回服务券年度资金。",
            "/vouchers/",
            enterprise_id=voucher.enterprise_id,
        )
    )


def cancel_voucher(code: str, actor: User, *, reason: str) -> Voucher:
    """The city voids an unused voucher (wrong enterprise, withdrawn title …); its face value returns to the fund."""
    if not actor.can(Permission.VOUCHER_ISSUE):
        raise VoucherError("服务券由市经信局作废")
    reason = (reason or "").strip()
    if not reason:
        raise VoucherError("请填写作废原因")
    if len(reason) > CANCEL_REASON_MAX:
        raise VoucherError(f"作废原因不能超过 {CANCEL_REASON_MAX} 个字")
    try:
        with transaction.atomic():
            voucher = (
                Voucher.objects.select_for_update().select_related("programme").get(code=code.strip().upper())
            )
            _void(voucher, actor, reason, "cancel")
    except Voucher.DoesNotExist:
        raise VoucherError("券号不存在") from None
    voucher.refresh_from_db()
    return voucher


def expire_vouchers(on: date | None = None, *, actor: User | None = None) -> list[Voucher]:
    """Void every unused voucher whose validity ended before ``on`` (default today); returns them.

    Each voucher is voided in its own transaction, so a run interrupted half-way loses nothing and can simply
    be run again; one that was redeemed in the meantime is skipped.
    """
    day = on or timezone.localdate()
    done = []
    for pk in Voucher.objects.filter(status=Voucher.Status.ISSUED, expires_on__lt=day).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            voucher = Voucher.objects.select_for_update().select_related("programme").get(pk=pk)
            if voucher.status != Voucher.Status.ISSUED:
                continue
            _void(voucher, actor, f"已于 {voucher.expires_on:%Y-%m-%d} 到期未使用", "expire")
            done.append(voucher)
    return done
