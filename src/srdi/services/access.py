"""Ending a user's access at once: their sessions (every browser) and, when the account is disabled, their API
tokens.

Use ``end_access(user, reason=…)`` when an account is deactivated (``accounts.deactivate_user`` and the
``post_save`` hook below, which also catches a deactivation in ``/admin/``), and ``end_sessions`` when only
the sessions must go (the second factor was reset). Both are audited (object type ``session``; token
revocations also as ``api_token`` updates). ``connect_signals`` is called once at start-up
(``WebConfig.ready``).

Sessions are found by reading the live (unexpired) rows of the session table: with a 30-minute idle timeout
there are few, and no second index of session keys has to be kept in step with Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from srdi.db.models import ApiToken, AuditAction, User
from srdi.services import audit, auth_generation

# Session keys that name the user: Django's signed-in user, and a sign-in waiting for its second factor.
USER_KEYS = ("_auth_user_id", "srdi_pending_user")


def _session_keys_of(user: User) -> list[str]:
    wanted = str(user.pk)
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()  # Django answers {} for a corrupt row
        if any(str(data.get(k, "")) == wanted for k in USER_KEYS):
            keys.append(session.session_key)
    return keys


def end_sessions(user: User, *, reason: str, actor: User | None = None, ip: str = "") -> int:
    """Delete every session of ``user`` (signed in or half-way through sign-in); audited. Returns how many."""
    with transaction.atomic():
        keys = _session_keys_of(user)
        Session.objects.filter(session_key__in=keys).delete()
        audit.record(
            AuditAction.DELETE,
            actor,
            object_type="session",
            object_id=str(user.pk),
            object_repr=f"{user.username}：结束 {len(keys)} 个会话",
            extra={"reason": reason, "sessions": len(keys)},
            ip_address=ip,
        )
    return len(keys)


def revoke_tokens(user: User, *, reason: str, actor: User | None = None, ip: str = "") -> int:
    """Revoke every live API token of ``user``; audited. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
        ApiToken.objects.filter(pk__in=[t.pk for t in live]).update(revoked_at=now)
        if live:
            auth_generation.changed()  # a bulk update fires no signal (the triggers tell the other processes)
            audit.record(
                AuditAction.UPDATE,
                actor,
                object_type="api_token",
                object_id=str(user.pk),
                object_repr=f"{user.username}：吊销 {len(live)} 个令牌（{'、'.join(t.prefix for t in live)}）",
                old={"revoked_at": None},
                new={"revoked_at": now},
                extra={"operation": "revoke_all", "reason": reason},
                ip_address=ip,
            )
    return len(live)


def end_access(user: User, *, reason: str, actor: User | None = None, ip: str = "") -> tuple[int, int]:
    """End every session and revoke every token of ``user`` in one transaction; (sessions, tokens)."""
    with transaction.atomic():
        return (
            end_sessions(user, reason=reason, actor=actor, ip=ip),
            revoke_tokens(user, reason=reason, actor=actor, ip=ip),
        )


# ---- the hook: a user saved as inactive (anywhere, the admin included) loses access at once ---------------

_WAS_ACTIVE = "_srdi_was_active"


def _remember_active(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    setattr(instance, _WAS_ACTIVE, bool(before))


def _end_if_deactivated(sender: Any, instance: User, created: bool = False, **kwargs: Any) -> None:
    was_active = instance.__dict__.pop(_WAS_ACTIVE, False)
    if was_active and not instance.is_active:
        end_access(instance, reason="deactivated")


def connect_signals() -> None:
    """Connect the deactivation hook and the token cache's invalidation (``auth_generation``) (idempotent)."""
    auth_generation.connect_signals()
    pre_save.connect(_remember_active, sender=User, dispatch_uid="srdi.access.remember_active")
    post_save.connect(_end_if_deactivated, sender=User, dispatch_uid="srdi.access.end_if_deactivated")
