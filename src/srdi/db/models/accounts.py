"""Accounts and roles. Every user has one role; district and enterprise users are bound to one scope.

The roles, their scope rules and permissions are ``srdi.domain.permissions`` (``ROLES``); ``Role`` here is the
same vocabulary as database choices. Roles change only through ``srdi.services.role_grants`` (``RoleGrant``
holds a grant that waits for a second security administrator).
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from srdi.domain import permissions
from srdi.domain.permissions import Permission, RoleSpec, Scope

# The database choices of ``User.role``: the domain's ``Role`` values with the labels of ``ROLES``.
Role = models.TextChoices(  # type: ignore[call-overload]
    "Role", [(role.name, (role.value, spec.label)) for role, spec in permissions.ROLES.items()]
)


class User(AbstractUser):
    """A platform user. ``district`` is set for district staff, ``enterprise`` for enterprise users."""

    # Empty: an account the system administrator created that no security administrator has granted a role yet.
    role = models.CharField("角色", max_length=20, choices=Role.choices, blank=True, default="")
    district = models.ForeignKey(
        "srdi.District", verbose_name="所属区县", null=True, blank=True, on_delete=models.PROTECT
    )
    enterprise = models.ForeignKey(
        "srdi.Enterprise",
        verbose_name="所属企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    provider = models.ForeignKey(
        "srdi.ServiceProvider",
        verbose_name="所属服务机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    organisation = models.CharField("单位", max_length=200, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # Set when someone else chose the password (admin, ``srdi createuser``, a reset): the user must replace it
    # at the next sign-in; pages send them to the change form and the API refuses their session.
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="district_staff") | Q(district__isnull=False),
                name="district_staff_has_district",
            ),
            models.CheckConstraint(
                condition=~Q(role="enterprise") | Q(enterprise__isnull=False),
                name="enterprise_user_has_enterprise",
            ),
        ]

    def set_password(self, raw_password: str | None) -> None:
        """Set the password and restart the rotation clock, wherever it is set (pages, admin, CLI)."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def check_password(self, raw_password: str | None) -> bool:
        # A hasher upgrade re-hashes the same password through ``set_password``: that is not a change.
        changed_at = self.password_changed_at
        ok = super().check_password(raw_password)
        self.password_changed_at = changed_at
        return ok

    @property
    def role_label(self) -> str:
        return permissions.spec_of(self.role).label if self.role else "—"

    @property
    def spec(self) -> RoleSpec:
        """The row of ``permissions.ROLES`` for this user's role (``NO_ROLE`` when inactive or without one)."""
        if not (self.is_authenticated and self.is_active):
            return permissions.NO_ROLE
        return permissions.spec_of(self.role)

    @property
    def scope(self) -> Scope:
        return self.spec.scope

    def can(self, permission: Permission) -> bool:
        """Whether this (active) user's role holds the permission; the scope still decides which rows."""
        return permission in self.spec.permissions

    @property
    def is_city(self) -> bool:
        """City-wide import rights (sees every import batch)."""
        return self.scope is Scope.ALL and self.can(Permission.DATA_IMPORT)

    @property
    def is_read_only(self) -> bool:
        return permissions.is_read_only(self.role)

    # Fields whose old and new values every account and role change writes to the audit log.
    AUDITED_FIELDS = (
        "username",
        "role",
        "district_id",
        "enterprise_id",
        "provider_id",
        "organisation",
        "is_active",
        "is_staff",
        "is_superuser",
    )

    def account_values(self) -> dict[str, object]:
        """The audited account fields, for ``old``/``new`` of an audit event."""
        return {name.removesuffix("_id"): getattr(self, name) for name in self.AUDITED_FIELDS}


class ApiToken(models.Model):
    """A bearer token for system-to-system API calls; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Null only for tokens issued before migration 0007 (which gave those an expiry too).
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "API 令牌"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class RoleGrant(models.Model):
    """A role given to (or taken from) a user by a security administrator: applied at once, or — for a money or
    administration role — pending until a second security administrator approves it (``services.role_grants``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待第二人审批"
        APPLIED = "applied", "已生效"
        REFUSED = "refused", "已拒绝"

    user = models.ForeignKey(User, verbose_name="账号", on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField("授予角色", max_length=20, blank=True, default="")  # empty: revoke
    district = models.ForeignKey(
        "srdi.District",
        verbose_name="区县",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "srdi.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    provider = models.ForeignKey(
        "srdi.ServiceProvider",
        verbose_name="服务机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.CharField("单位", max_length=200, blank=True, default="")
    reason = models.CharField("理由", max_length=500, blank=True, default="")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(User, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        User, verbose_name="审批人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "角色授权"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="role_grant_second_person",
            ),
            models.CheckConstraint(condition=~Q(user=models.F("requested_by")), name="role_grant_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {permissions.spec_of(self.role).label if self.role else '撤销角色'}"


class AuthGeneration(models.Model):
    """One row (``id`` 1) whose ``value`` goes up whenever a token or an account changes (a token revoked, a user
    deactivated, a role changed …; moved by triggers, migration 0029): every process's token cache
    (``srdi.services.token_cache``) reads it on each request and forgets what it cached under an older value, so
    a revocation is refused at once everywhere."""

    value = models.BigIntegerField("认证数据版本", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "认证数据版本"
