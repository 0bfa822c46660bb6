"""Creating users and recording sign-in events. Views and the CLI call these; nothing else writes users."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from srdi.db.models import AuditAction, District, Enterprise, Role, User
from srdi.services import access, audit


class AccountError(ValueError):
    """A user could not be created or changed; the message says why."""


@transaction.atomic
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
    must_change_password: bool = False,
) -> User:
    """Create a user with a role and, where the role needs one, its district or enterprise.

    ``must_change_password``: the password was chosen by someone else (an operator, ``srdi createuser``), so
    the user must replace it at the first sign-in."""
    if role not in Role.values:
        raise AccountError(f"未知角色 {role!r}，可选：{', '.join(Role.values)}")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"用户名 {username} 已存在")
    district = None
    enterprise = None
    if role == Role.DISTRICT_STAFF:
        district = District.objects.filter(code=district_code).first()
        if district is None:
            raise AccountError("区县工作人员必须指定有效的区县代码（--district）")
    if role == Role.ENTERPRISE:
        enterprise = Enterprise.objects.filter(uscc=(enterprise_uscc or "").upper()).first()
        if enterprise is None:
            raise AccountError("企业用户必须指定数据库中已有企业的统一社会信用代码（--enterprise）")
    user = User(
        username=username,
        role=role,
        district=district,
        enterprise=enterprise,
        organisation=organisation,
        is_staff=role == Role.CITY_ADMIN,
        is_superuser=role == Role.CITY_ADMIN,
        password_changed_at=timezone.now(),
        must_change_password=must_change_password,
    )
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise AccountError("；".join(exc.messages)) from None
    user.set_password(password)
    user.save()
    audit.record(
        AuditAction.CREATE,
        actor,
        object_type="user",
        object_id=str(user.pk),
        object_repr=username,
        new={
            "username": username,
            "role": role,
            "district": district_code,
            "enterprise": enterprise_uscc,
            "must_change_password": must_change_password,
        },
    )
    return user


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


@transaction.atomic
def deactivate_user(user: User, *, actor: User | None = None, ip: str = "") -> None:
    """Disable an account: it can no longer sign in, and its sessions and API tokens end at once. Audited."""
    was_active = user.is_active
    user.is_active = False
    user.save(update_fields=["is_active"])  # the access hook ends sessions and tokens
    audit.record(
        AuditAction.UPDATE,
        actor,
        object_type="user",
        object_id=str(user.pk),
        object_repr=user.username,
        old={"is_active": was_active},
        new={"is_active": False},
        ip_address=ip,
    )


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
