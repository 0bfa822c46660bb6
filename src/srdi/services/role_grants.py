"""Granting and revoking roles: the security administrator's job, and the only way a role changes (三权分立).

Use ``request_grant`` to give a user a role (with its district, enterprise, provider or organisation),
``decide`` to approve or refuse a pending request, ``revoke`` to take a role away. Only holders of
``Permission.ROLE_GRANT`` (the security administrator) may call them; nobody grants a role to themselves. A role
that moves money or administers the system (``permissions.needs_second_person``) stays a pending ``RoleGrant``
until a *different* security administrator approves it; other roles apply at once. Every request, decision and
change is audited with the old and new account values. ``bootstrap_allowed`` is the rule of the operator's
``srdi createuser`` (break-glass) path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from django.db import transaction
from django.utils import timezone

from srdi.db.models import AuditAction, Role, RoleGrant, User
from srdi.domain import permissions
from srdi.domain.permissions import Permission
from srdi.services import audit
from srdi.services.accounts import AccountError, admin_site_role, resolve_binding

P = ParamSpec("P")
R = TypeVar("R")


class GrantError(ValueError):
    """A grant that may not be made; the message says why (``code`` for the audit log and tests)."""

    def __init__(self, message: str, code: str = "refused", *, user: User | None = None, role: str = ""):
        self.code = code
        self.user = user
        self.role = role
        super().__init__(message)


def _audited(func: Callable[P, R]) -> Callable[P, R]:
    """Record a refusal in the audit log *after* the refused call's transaction has rolled back."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except GrantError as exc:
            actor = args[0]
            assert isinstance(actor, User)
            audit.record(
                AuditAction.ROLE_GRANT,
                actor,
                object_type="user",
                object_id=str(exc.user.pk) if exc.user is not None else "",
                object_repr=f"拒绝：{exc}"[:255],
                success=False,
                ip_address=str(kwargs.get("ip", "")),
                extra={"reason": str(exc), "code": exc.code, "role": exc.role},
            )
            raise

    return wrapper


@dataclass(frozen=True)
class GrantOutcome:
    """The request, and whether the role is already in force (``applied``) or waits for a second person."""

    grant: RoleGrant
    applied: bool


def _refuse(
    actor: User, message: str, code: str, *, user: User | None = None, role: str = "", ip: str = ""
) -> GrantError:
    return GrantError(message, code, user=user, role=role)


def _require_grantor(actor: User, *, user: User | None, role: str, ip: str) -> None:
    if not actor.can(Permission.ROLE_GRANT):
        verdict = permissions.check(actor.role, Permission.ROLE_GRANT, active=actor.is_active)
        raise _refuse(actor, verdict.reason, "role", user=user, role=role, ip=ip)
    if user is not None and user.pk == actor.pk:
        raise _refuse(actor, "不能给自己授予或撤销角色", "self", user=user, role=role, ip=ip)


@_audited
def request_grant(
    actor: User,
    user: User,
    role: str,
    *,
    district_code: str | None = None,
    enterprise_uscc: str | None = None,
    provider_id: int | None = None,
    organisation: str | None = None,
    reason: str = "",
    ip: str = "",
) -> GrantOutcome:
    """Give ``user`` the role: at once, or as a pending request when the role needs a second person."""
    _require_grantor(actor, user=user, role=role, ip=ip)
    if role not in Role.values:
        raise _refuse(actor, f"未知角色 {role!r}", "unknown_role", user=user, role=role, ip=ip)
    try:
        district, enterprise, provider = resolve_binding(role, district_code, enterprise_uscc, provider_id)
    except AccountError as exc:
        raise _refuse(actor, str(exc), "binding", user=user, role=role, ip=ip) from None
    unit = (organisation if organisation is not None else user.organisation).strip()
    if permissions.spec_of(role).binds == "organisation" and not unit:
        raise _refuse(
            actor,
            "责任单位须填写单位名称（与政策条款的责任单位一致）",
            "binding",
            user=user,
            role=role,
            ip=ip,
        )
    with transaction.atomic():
        if RoleGrant.objects.filter(user=user, status=RoleGrant.Status.PENDING).exists():
            raise _refuse(actor, "该账号已有待审批的授权申请", "pending", user=user, role=role, ip=ip)
        grant = RoleGrant.objects.create(
            user=user,
            role=role,
            district=district,
            enterprise=enterprise,
            provider=provider,
            organisation=unit,
            reason=reason.strip()[:500],
            requested_by=actor,
        )
        if permissions.needs_second_person(role):
            audit.record(
                AuditAction.ROLE_GRANT,
                actor,
                object_type="role_grant",
                object_id=str(grant.pk),
                object_repr=f"申请授予 {user.username} {permissions.spec_of(role).label}（待第二人审批）"[
                    :255
                ],
                old=audit.jsonable(user.account_values()),
                new=audit.jsonable(_values_after(user, grant)),
                ip_address=ip,
                extra={"status": "pending", "role": role, "reason": grant.reason},
            )
            return GrantOutcome(grant, applied=False)
        _apply(grant, actor, approver=None, ip=ip)
        return GrantOutcome(grant, applied=True)


@_audited
def decide(actor: User, grant_id: int, *, approve: bool, reason: str = "", ip: str = "") -> RoleGrant:
    """A second security administrator approves (the role takes effect) or refuses a pending grant."""
    with transaction.atomic():
        grant = RoleGrant.objects.select_for_update().select_related("user").filter(pk=grant_id).first()
        if grant is None:
            raise GrantError("授权申请不存在", "not_found")
        _require_grantor(actor, user=grant.user, role=grant.role, ip=ip)
        if grant.status != RoleGrant.Status.PENDING:
            raise _refuse(
                actor,
                f"该申请已{grant.get_status_display()}",
                "decided",
                user=grant.user,
                role=grant.role,
                ip=ip,
            )
        if grant.requested_by_id == actor.pk:
            raise _refuse(
                actor,
                "授权申请须由另一名安全管理员审批",
                "same_person",
                user=grant.user,
                role=grant.role,
                ip=ip,
            )
        if not approve:
            grant.status = RoleGrant.Status.REFUSED
            grant.decided_by, grant.decided_at = actor, timezone.now()
            grant.save(update_fields=["status", "decided_by", "decided_at"])
            audit.record(
                AuditAction.ROLE_GRANT,
                actor,
                object_type="role_grant",
                object_id=str(grant.pk),
                object_repr=f"拒绝授予 {grant.user.username} {permissions.spec_of(grant.role).label}"[:255],
                ip_address=ip,
                extra={"status": "refused", "role": grant.role, "reason": reason.strip()},
            )
            return grant
        _apply(grant, grant.requested_by, approver=actor, ip=ip)
        return grant


@_audited
def revoke(actor: User, user: User, *, reason: str = "", ip: str = "") -> GrantOutcome:
    """Take the user's role away at once (less power needs no second person); the account stays."""
    _require_grantor(actor, user=user, role="", ip=ip)
    with transaction.atomic():
        grant = RoleGrant.objects.create(user=user, role="", reason=reason.strip()[:500], requested_by=actor)
        _apply(grant, actor, approver=None, ip=ip)
    return GrantOutcome(grant, applied=True)


def _values_after(user: User, grant: RoleGrant) -> dict[str, object]:
    return {
        **user.account_values(),
        "role": grant.role,
        "district": grant.district_id,
        "enterprise": grant.enterprise_id,
        "provider": grant.provider_id,
        "organisation": grant.organisation if grant.role else user.organisation,
        "is_staff": admin_site_role(grant.role),
        "is_superuser": False,
    }


def _apply(grant: RoleGrant, requester: User, *, approver: User | None, ip: str) -> None:
    """Write the role and its binding to the user; audit old and new values (inside the caller's transaction)."""
    user = User.objects.select_for_update().get(pk=grant.user_id)
    old = user.account_values()
    user.role = grant.role
    user.district_id = grant.district_id
    user.enterprise_id = grant.enterprise_id
    user.provider_id = grant.provider_id
    if grant.role:
        user.organisation = grant.organisation
    user.is_staff = admin_site_role(grant.role)
    user.is_superuser = False
    user.save(
        update_fields=[
            "role",
            "district",
            "enterprise",
            "provider",
            "organisation",
            "is_staff",
            "is_superuser",
        ]
    )
    grant.status = RoleGrant.Status.APPLIED
    grant.decided_by = approver
    grant.decided_at = timezone.now()
    grant.save(update_fields=["status", "decided_by", "decided_at"])
    label = permissions.spec_of(grant.role).label if grant.role else "撤销角色"
    audit.record(
        AuditAction.ROLE_GRANT,
        approver or requester,
        object_type="user",
        object_id=str(user.pk),
        object_repr=f"{user.username}：{label}"[:255],
        old=audit.jsonable(old),
        new=audit.jsonable(user.account_values()),
        ip_address=ip,
        extra={
            "grant": grant.pk,
            "requested_by": requester.username,
            "approved_by": approver.username if approver is not None else None,
            "reason": grant.reason,
        },
    )


def pending() -> list[RoleGrant]:
    """Grant requests waiting for a second security administrator, oldest first."""
    return list(
        RoleGrant.objects.filter(status=RoleGrant.Status.PENDING)
        .select_related("user", "requested_by", "district")
        .order_by("requested_at", "id")
    )


def has_security_admin() -> bool:
    """Whether an active security administrator exists (after which bootstrap grants need ``--bootstrap``)."""
    return User.objects.filter(role=Role.SECURITY_ADMIN, is_active=True).exists()


def bootstrap_allowed(role: str, *, bootstrap: bool) -> bool:
    """The operator's ``srdi createuser`` may give a money or administration role only with ``--bootstrap``
    or while no security administrator exists yet (installing the first administrators)."""
    if not role or not permissions.needs_second_person(role):
        return True
    return bootstrap or not has_security_admin()
