"""Creating, disabling and resetting accounts, and recording sign-in events. Views and the CLI call these.

三权分立: accounts are the system administrator's (``Permission.ACCOUNT_MANAGE``): ``create_account`` makes an
account *without* a role, ``set_active`` disables or enables one, ``reset_password`` sets a new password. Roles are
granted only by ``services.role_grants`` (the security administrator). ``create_user`` with a role is the
operator's bootstrap path (``srdi createuser``, seeds and tests): it runs without an actor, or refuses. No user is
ever a Django superuser; ``is_staff`` (entry to ``/admin/``) follows the role (``admin_site_role``). Every change
is audited with the old and new values of ``User.AUDITED_FIELDS``.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from srdi.db.models import AuditAction, District, Enterprise, Role, ServiceProvider, User
from srdi.domain import permissions
from srdi.domain.permissions import Permission
from srdi.services import access, audit


class AccountError(ValueError):
    """A user could not be created or changed; the message says why."""


def admin_site_role(role: str) -> bool:
    """Roles that enter ``/admin/`` (``is_staff``): back-office data correction or account management."""
    return permissions.allows(role, Permission.DATA_CORRECT) or permissions.allows(
        role, Permission.ACCOUNT_MANAGE
    )


def require_account_manager(actor: User | None, what: str) -> None:
    """Refuse (audited) unless ``actor`` is ``None`` (the operator) or holds ``ACCOUNT_MANAGE``."""
    if actor is None or actor.can(Permission.ACCOUNT_MANAGE):
        return
    verdict = permissions.check(actor.role, Permission.ACCOUNT_MANAGE, active=actor.is_active)
    audit.record(
        AuditAction.ACCESS_DENIED,
        actor,
        object_type="user",
        object_repr=f"拒绝：{what}"[:255],
        success=False,
        extra={"reason": verdict.reason, "code": verdict.code, "permission": Permission.ACCOUNT_MANAGE.value},
    )
    raise AccountError(verdict.reason)


def resolve_binding(
    role: str, district_code: str | None, enterprise_uscc: str | None, provider_id: int | None
) -> tuple[District | None, Enterprise | None, ServiceProvider | None]:
    """The district, enterprise or provider a role is bound to (``RoleSpec.binds``), checked to exist."""
    binds = permissions.spec_of(role).binds
    district = enterprise = provider = None
    if binds == "district":
        district = District.objects.filter(code=district_code).first()
        if district is None:
            raise AccountError("区县工作人员必须指定有效的区县代码（--district）")
    if binds == "enterprise":
        enterprise = Enterprise.objects.filter(uscc=(enterprise_uscc or "").upper()).first()
        if enterprise is None:
            raise AccountError("企业用户必须指定数据库中已有企业的统一社会信用代码（--enterprise）")
    if binds == "provider" and provider_id is not None:
        provider = ServiceProvider.objects.filter(pk=provider_id).first()
        if provider is None:
            raise AccountError("服务机构不存在")
    return district, enterprise, provider


def create_user(
    *,
    username: str,
    password: str,
    role: str,
    district_code: str | None = None,
    enterprise_uscc: str | None = None,
    organisation: str = "",
    actor: User | None = None,
    check_password: bool = True,
    provider_id: int | None = None,
    via: str = "",
    must_change_password: bool = False,
) -> User:
    """Create a user with a role and, where the role needs one, its district, enterprise or provider.

    With a role this is the operator's path (``actor`` is ``None``: the CLI, seeds, tests). A signed-in actor
    must hold ``ACCOUNT_MANAGE`` and may create an account *without* a role only (``role=""``): roles come from a
    security administrator through ``services.role_grants``. Nobody becomes a superuser.
    ``must_change_password``: the password was chosen by someone else (an operator, ``srdi createuser``), so
    the user must replace it at the first sign-in."""
    if role and role not in Role.values:
        raise AccountError(f"未知角色 {role!r}，可选：{', '.join(Role.values)}")
    require_account_manager(actor, f"创建账号 {username}")
    if actor is not None and role:
        audit.record(
            AuditAction.ACCESS_DENIED,
            actor,
            object_type="user",
            object_repr=f"拒绝：创建账号 {username} 并授予 {role}"[:255],
            success=False,
            extra={"reason": "角色只能由安全管理员授予", "code": "role_grant", "role": role},
        )
        raise AccountError("角色只能由安全管理员授予：请先创建无角色的账号，再由安全管理员授权")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"用户名 {username} 已存在")
    district, enterprise, provider = resolve_binding(role, district_code, enterprise_uscc, provider_id)
    user = User(
        username=username,
        role=role,
        district=district,
        enterprise=enterprise,
        provider=provider,
        organisation=organisation,
        is_staff=admin_site_role(role),
        is_superuser=False,
        password_changed_at=timezone.now(),
        must_change_password=must_change_password,
    )
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise AccountError("；".join(exc.messages)) from None
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit.record(
            AuditAction.CREATE,
            actor,
            object_type="user",
            object_id=str(user.pk),
            object_repr=username,
            old=None,
            new=audit.jsonable(user.account_values()),
            extra={"via": via} if via else None,
        )
    return user


def create_account(
    actor: User, *, username: str, password: str, organisation: str = "", check_password: bool = True
) -> User:
    """The system administrator creates an account without a role (a security administrator grants one)."""
    return create_user(
        username=username,
        password=password,
        role="",
        organisation=organisation,
        actor=actor,
        check_password=check_password,
    )


def set_active(actor: User, user: User, active: bool, *, reason: str = "", ip: str = "") -> User:
    """Disable or enable an account (system administrator); audited with old and new values."""
    require_account_manager(actor, f"{'启用' if active else '停用'}账号 {user.username}")
    if actor.pk == user.pk and not active:
        raise AccountError("不能停用自己的账号")
    return _set_active(user, active, actor=actor, reason=reason, ip=ip)


def _set_active(user: User, active: bool, *, actor: User | None, reason: str = "", ip: str = "") -> User:
    # Disabling ends the user's sessions and API tokens at once (the access hook on save).
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        old = locked.account_values()
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit.record(
            AuditAction.UPDATE,
            actor,
            object_type="user",
            object_id=str(locked.pk),
            object_repr=locked.username,
            old=audit.jsonable(old),
            new=audit.jsonable(locked.account_values()),
            ip_address=ip,
            extra={"reason": reason} if reason else None,
        )
    return locked


def reset_password(actor: User, user: User, new_password: str, *, ip: str = "") -> None:
    """The system administrator sets a new password for someone else (audited; the value never is); the user
    must change it at the next sign-in."""
    require_account_manager(actor, f"重置 {user.username} 的密码")
    set_password_by_operator(user, new_password, actor=actor, ip=ip)


def change_password(user: User, new_password: str, *, ip: str = "") -> None:
    """Validate and set a new password, restarting the rotation clock."""
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise AccountError("；".join(exc.messages)) from None
    if user.check_password(new_password):
        raise AccountError("新密码不能与当前密码相同")
    with transaction.atomic():
        user.set_password(new_password)  # also restarts password_changed_at
        user.must_change_password = False
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        audit.record(
            AuditAction.PASSWORD_CHANGE, user, object_type="user", object_id=str(user.pk), ip_address=ip
        )


@transaction.atomic
def set_password_by_operator(
    user: User, new_password: str, *, actor: User | None = None, ip: str = ""
) -> None:
    """An operator sets (resets) someone's password: validated, and the user must change it at the next
    sign-in; their sessions end. Audited."""
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise AccountError("；".join(exc.messages)) from None
    user.set_password(new_password)
    user.must_change_password = True
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit.record(
        AuditAction.PASSWORD_CHANGE,
        actor,
        object_type="user",
        object_id=str(user.pk),
        object_repr=user.username,
        extra={"operation": "reset", "must_change_password": True},
        ip_address=ip,
    )
    access.end_sessions(user, reason="password_reset", actor=actor, ip=ip)


def deactivate_user(user: User, *, actor: User | None = None, ip: str = "") -> None:
    """The operator's path (``srdi user deactivate``): disable an account; its sessions and API tokens end at
    once. Audited with old and new values."""
    _set_active(user, False, actor=actor, ip=ip)


def record_login(user: User, *, ip: str = "", second_factor: str = "") -> None:
    """Audit a successful sign-in (``second_factor``: how the second factor was proven, if one was asked)."""
    audit.record(
        AuditAction.LOGIN,
        user,
        object_type="user",
        object_id=str(user.pk),
        ip_address=ip,
        extra={"second_factor": second_factor} if second_factor else None,
    )


def record_login_failure(username: str, *, ip: str = "") -> None:
    """Audit a failed sign-in (the attempted name is kept, sanitised, never the password)."""
    clean = username.replace("\r", " ").replace("\n", " ")[:150]
    audit.record(
        AuditAction.LOGIN_FAILED, None, object_type="user", object_repr=clean, success=False, ip_address=ip
    )


def record_logout(user: User, *, ip: str = "", reason: str = "") -> None:
    """Audit a sign-out (``reason``: why the system ended the session, e.g. ``session_lifetime``)."""
    audit.record(
        AuditAction.LOGOUT,
        user,
        object_type="user",
        object_id=str(user.pk),
        ip_address=ip,
        extra={"reason": reason} if reason else None,
    )
