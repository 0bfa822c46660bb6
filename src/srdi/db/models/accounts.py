"""Accounts and roles. Every user has one role; district and enterprise users are bound to one scope."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", "市经信局管理员"
    CITY_STAFF = "city_staff", "市经信局工作人员"
    DISTRICT_STAFF = "district_staff", "区县（市）工作人员"
    ENTERPRISE = "enterprise", "企业用户"
    PROVIDER = "provider", "服务机构"
    AUDITOR = "auditor", "审计人员（只读）"
    FINANCE = "finance", "资金管理（拨付）"


CITY_ROLES = frozenset({Role.CITY_ADMIN, Role.CITY_STAFF})
STAFF_ROLES = frozenset({Role.CITY_ADMIN, Role.CITY_STAFF, Role.DISTRICT_STAFF})
READ_ONLY_ROLES = frozenset({Role.AUDITOR})


class User(AbstractUser):
    """A platform user. ``district`` is set for district staff, ``enterprise`` for enterprise users."""

    role = models.CharField("角色", max_length=20, choices=Role.choices)
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
        return Role(self.role).label if self.role else "—"

    @property
    def is_city(self) -> bool:
        return self.role in CITY_ROLES

    @property
    def is_read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES


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
