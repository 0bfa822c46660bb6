"""The second sign-in factor (TOTP authenticator app, with one-time recovery codes) — django-otp underneath.

Use ``required_for(user)`` to decide whether a user must pass it (the one place that decides: staff roles),
``has_device`` to choose between the code page and enrolment, ``start_enrolment`` / ``confirm_enrolment`` to
enrol (the secret and QR code are shown once; ten recovery codes are returned once), ``verify`` to check a code
after the password, and ``reset`` (operator, ``srdi otp reset``) to make a user enrol again.

A TOTP code is accepted one step (30 s) early or late and only once: django-otp's ``TOTPDevice`` keeps the last
time step used (``last_t``) and refuses that step and any earlier one, so a code seen over a shoulder cannot be
replayed. Each device also slows down repeated failures (django-otp throttling). Every failure is audited
(``login_failed``, object type ``second_factor``); the sign-in view also counts it in django-axes, so wrong
codes lock the account like wrong passwords. Enrolment and reset are audited (object type ``otp_device``).
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass

import segno
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from srdi.db.models import AuditAction, User
from srdi.domain import permissions
from srdi.services import access, audit

RECOVERY_CODES = 10
TOTP_NAME = "身份验证器"
RECOVERY_NAME = "恢复码"
CODE_MAX_LENGTH = 32


class Method(enum.Enum):
    """How a second factor was proven."""

    TOTP = "totp"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class Enrolment:
    """A new, not yet confirmed authenticator: show ``secret`` and ``qr_svg`` once."""

    device_id: int
    secret: str  # base32, grouped by four for typing
    otpauth_url: str
    qr_svg: str  # inline <svg> element (no external image)


@dataclass(frozen=True)
class Verified:
    """A second factor that passed: the device to persist in the session and how it was proven."""

    device: TOTPDevice | StaticDevice
    method: Method
    recovery_left: int


@dataclass(frozen=True)
class Enrolled:
    """A confirmed authenticator and the recovery codes (plain; shown once, never stored in clear elsewhere)."""

    device: TOTPDevice
    recovery_codes: tuple[str, ...]


def required_for(user: object) -> bool:
    """Whether this user must pass a second factor to use a session (the one place that decides)."""
    # Staff roles (the ``staff`` flag of the permission table): everyone but enterprise users and providers.
    role = getattr(user, "role", None)
    return bool(getattr(user, "is_authenticated", False)) and permissions.needs_second_factor(role)


def pending_for(user: object) -> bool:
    """Whether this signed-in user's session still lacks the second factor (``request.user`` as wrapped by
    django-otp's ``OTPMiddleware``, which adds ``is_verified``)."""
    if not required_for(user):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (callable(is_verified) and is_verified())


def has_device(user: User) -> bool:
    """Whether the user has a confirmed authenticator (else sign-in goes to enrolment)."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _secret_b32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def start_enrolment(user: User) -> Enrolment:
    """A fresh unconfirmed authenticator for ``user`` (earlier unconfirmed ones are dropped)."""
    if has_device(user):
        raise ValueError("该用户已绑定身份验证器；如需重新绑定，请由系统运维人员执行 srdi otp reset")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return describe(device)


def describe(device: TOTPDevice) -> Enrolment:
    """The secret, ``otpauth://`` URL and QR code (inline SVG, made here: no network) of an authenticator."""
    url = device.config_url
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=5, dark="#111", light="#fff", title="身份验证器二维码")
    return Enrolment(device_id=device.pk, secret=_grouped(_secret_b32(device)), otpauth_url=url, qr_svg=svg)


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()[:CODE_MAX_LENGTH]


def _record_failure(user: User, reason: str, ip: str) -> None:
    audit.record(
        AuditAction.LOGIN_FAILED,
        user,
        object_type="second_factor",
        object_id=str(user.pk),
        object_repr=user.username,
        success=False,
        extra={"reason": reason},
        ip_address=ip,
    )


def confirm_enrolment(user: User, device_id: int, code: str, *, ip: str = "") -> Enrolled | None:
    """Confirm the authenticator with a code from the app; returns it and ten new recovery codes, or None
    (audited) when the code is wrong."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        )
        code = _clean(code)
        if device is None or not code.isdigit() or not device.verify_token(code):
            ok = False
        else:
            ok = True
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(user)
            audit.record(
                AuditAction.CREATE,
                user,
                object_type="otp_device",
                object_id=str(device.pk),
                object_repr=f"{user.username}：绑定身份验证器，生成 {len(codes)} 个恢复码",
                ip_address=ip,
            )
    if not ok:
        _record_failure(user, "enrolment_code", ip)
        return None
    return Enrolled(device=device, recovery_codes=codes)


def _new_recovery_codes(user: User) -> tuple[str, ...]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = tuple(StaticToken.random_token() for _ in range(RECOVERY_CODES))
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def verify(user: User, code: str, *, ip: str = "") -> Verified | None:
    """Check a 6-digit TOTP code, or a recovery code (used up), for ``user``; None (audited) if neither."""
    code = _clean(code)
    found: Verified | None = None
    if code:
        with transaction.atomic():
            if code.isdigit():
                for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
                    if device.verify_token(code):
                        found = Verified(device, Method.TOTP, recovery_left(user))
                        break
            else:
                for static in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
                    if static.verify_token(code):
                        found = Verified(static, Method.RECOVERY, recovery_left(user))
                        break
    if found is None:
        _record_failure(user, "wrong_code" if code else "empty_code", ip)
    return found


def recovery_left(user: User) -> int:
    """How many unused recovery codes the user has."""
    return int(StaticToken.objects.filter(device__user=user).count())


def reset(user: User, *, actor: User | None = None, ip: str = "") -> int:
    """Remove the user's authenticators and recovery codes and end their sessions, so that the next sign-in
    enrols again (lost phone). Returns the number of devices removed; audited."""
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
        static = StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
        audit.record(
            AuditAction.DELETE,
            actor,
            object_type="otp_device",
            object_id=str(user.pk),
            object_repr=f"{user.username}：重置双因素认证（删除 {totp} 个身份验证器、{static} 组恢复码）",
            extra={"operation": "otp_reset"},
            ip_address=ip,
        )
        access.end_sessions(user, reason="otp_reset", actor=actor, ip=ip)
    return int(totp) + int(static)
