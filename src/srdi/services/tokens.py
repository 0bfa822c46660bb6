"""API bearer tokens: issue, revoke and check them.

Use ``create_token`` to issue a token for a user (the raw token is returned once and never stored; only its
SHA-256 digest is kept), ``revoke_token`` to end one by its prefix, and ``authenticate_token`` from the API's
bearer authentication. Every token expires (``SRDI_API_TOKEN_DAYS`` by default, at most
``SRDI_API_TOKEN_MAX_DAYS``); an expired token authenticates nobody, and neither does the token of a user whose
password has passed ``SRDI_PASSWORD_MAX_AGE_DAYS`` (an expired account loses its tokens with its sessions).
Issuing and revoking are audited; neither the raw token nor its digest is logged.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from srdi.db.models import ApiToken, AuditAction, User
from srdi.services import audit
from srdi.services.password_age import password_expired

TOKEN_PREFIX = "srdi_"  # noqa: S105 - the public marker in front of every token
PREFIX_LENGTH = 8  # characters of the random part kept in clear to name the token (ApiToken.prefix)
NAME_MAX_LENGTH = 100
TOUCH_INTERVAL = timedelta(minutes=1)  # last_used_at is written at most this often per token
MAX_RAW_LENGTH = 200


class TokenError(ValueError):
    """A token could not be issued or revoked; the message (Chinese) says why."""


def _new_raw() -> str:
    """A fresh raw token whose clear prefix is unique and cannot be mistaken for a command-line option."""
    while True:
        secret = secrets.token_urlsafe(32)
        prefix = secret[:PREFIX_LENGTH]
        if prefix.startswith("-"):
            continue
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return TOKEN_PREFIX + secret


def prefix_of(raw: str) -> str:
    """The clear prefix stored for a raw token (the first characters after ``srdi_``)."""
    return raw.removeprefix(TOKEN_PREFIX)[:PREFIX_LENGTH]


def create_token(
    user: User, name: str, *, days: int | None = None, actor: User | None = None, ip: str = ""
) -> str:
    """Issue a token for ``user`` valid for ``days`` (default ``SRDI_API_TOKEN_DAYS``); returns the raw token
    (show it once: it cannot be recovered)."""
    longest = int(settings.SRDI_API_TOKEN_MAX_DAYS)
    days = int(settings.SRDI_API_TOKEN_DAYS) if days is None else days
    if not 1 <= days <= longest:
        raise TokenError(f"令牌有效期应为 1 到 {longest} 天（--days），实际为 {days}")
    name = (name or "").strip()
    if not name:
        raise TokenError("请填写令牌用途（--name）")
    if len(name) > NAME_MAX_LENGTH:
        raise TokenError(f"令牌用途不能超过 {NAME_MAX_LENGTH} 个字符")
    if not user.is_active:
        raise TokenError(f"用户 {user.username} 已停用，不能签发令牌")
    with transaction.atomic():
        raw = _new_raw()
        token = ApiToken.objects.create(
            user=user,
            name=name,
            digest=ApiToken.digest_of(raw),
            prefix=prefix_of(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(
            AuditAction.CREATE,
            actor,
            object_type="api_token",
            object_id=str(token.pk),
            object_repr=f"{user.username}：{name}（{token.prefix}…）",
            new={"user": user.username, "name": name, "prefix": token.prefix, "expires_at": token.expires_at},
            ip_address=ip,
        )
    return raw


def revoke_token(prefix: str, *, actor: User | None = None, ip: str = "") -> ApiToken:
    """Revoke the live token with this prefix (``srdi_`` in front is accepted); ``TokenError`` otherwise."""
    prefix = prefix_of((prefix or "").strip())
    if len(prefix) < PREFIX_LENGTH:
        raise TokenError(f"令牌前缀应为 {PREFIX_LENGTH} 个字符（见签发时显示的前缀）")
    with transaction.atomic():
        live = list(ApiToken.objects.select_for_update().filter(prefix=prefix, revoked_at__isnull=True)[:2])
        if not live:
            if ApiToken.objects.filter(prefix=prefix).exists():
                raise TokenError(f"前缀为 {prefix} 的令牌已被吊销")
            raise TokenError(f"没有前缀为 {prefix} 的令牌")
        if len(live) > 1:
            raise TokenError(f"前缀 {prefix} 对应多个有效令牌，请联系管理员处理")
        token = live[0]
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            AuditAction.UPDATE,
            actor,
            object_type="api_token",
            object_id=str(token.pk),
            object_repr=f"吊销令牌 {token.prefix}…（{token.user.username}：{token.name}）",
            old={"revoked_at": None},
            new={"revoked_at": token.revoked_at},
            extra={"operation": "revoke"},
            ip_address=ip,
        )
    return token


def well_formed(raw: str) -> bool:
    """Whether ``raw`` can be a token at all (checked before any hashing or database read)."""
    return bool(raw) and raw.startswith(TOKEN_PREFIX) and len(raw) <= MAX_RAW_LENGTH


def usable(token: ApiToken, now: datetime) -> bool:
    """Whether a live (not revoked) token authenticates now: its user active, the token and the user's
    password not expired."""
    return (
        token.user.is_active
        and (token.expires_at is None or token.expires_at > now)
        and not password_expired(token.user)
    )


def live_token(raw: str) -> ApiToken | None:
    """The unrevoked token (with its user) whose digest is that of ``raw``, usable now, or None."""
    if not well_formed(raw):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not usable(token, timezone.now()):
        return None
    return token


def touch(token_id: int, last_used_at: datetime | None, now: datetime) -> datetime | None:
    """Record a use of the token at most once a minute; returns the ``last_used_at`` now stored."""
    if last_used_at is None or now - last_used_at >= TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        return now
    return last_used_at


def authenticate_token(raw: str) -> User | None:
    """The active user (password not expired) a live (not revoked, not expired) token belongs to, or None;
    records the use at most once a minute. Every call reads the database; the API goes through
    ``srdi.services.token_cache``, which keeps the answer for a few seconds."""
    token = live_token(raw)
    if token is None:
        return None
    touch(token.pk, token.last_used_at, timezone.now())
    return token.user
