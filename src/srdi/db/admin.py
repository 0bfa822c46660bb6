"""The back-office admin (``/admin/``): the city administrator browses and corrects the stored data, the system
administrator manages accounts (三权分立).

Django finds this module because ``srdi.db`` is an installed app. The admin has no row-level scope: only
``is_staff`` users reach it (``services.accounts`` gives that flag by role), nobody is a superuser, and each
model's pages are gated by a permission of ``srdi.domain.permissions`` (``GatedAdmin.permission``): business
tables by ``DATA_CORRECT``, users and API tokens by ``ACCOUNT_MANAGE``. A user's role and its district,
enterprise, provider and unit cannot be edited here (roles come from ``services.role_grants``); accounts
cannot be deleted (disable them). Audit data, import batches and API-token secrets are read-only here;
contacts' phone and ID numbers are shown masked and cannot be edited (they come in through audited imports).
Every add, change and delete made through the admin is passed to the listeners registered with
``on_admin_change`` (the web app registers one that writes the audit log), so this module stays below the
services layer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from srdi.db.models import (
    ApiToken,
    AuditChainHead,
    AuditEvent,
    Award,
    Certification,
    Contact,
    Contest,
    District,
    Enterprise,
    EnterpriseYear,
    EquityFinancing,
    Event,
    ImportBatch,
    Title,
    User,
)
from srdi.domain.masking import mask_id_number, mask_phone
from srdi.domain.permissions import Permission

if TYPE_CHECKING:  # the admin classes are generic only for the type checker
    ModelAdminBase = admin.ModelAdmin[Any]
    TabularInlineBase = admin.TabularInline[Any, Any]
    UserAdminBase = UserAdmin[User]
    UserCreationFormBase = UserCreationForm[User]
    UserChangeFormBase = UserChangeForm[User]
    AdminPasswordChangeFormBase = AdminPasswordChangeForm[User]
else:
    ModelAdminBase = admin.ModelAdmin
    TabularInlineBase = admin.TabularInline
    UserAdminBase = UserAdmin
    UserCreationFormBase = UserCreationForm
    UserChangeFormBase = UserChangeForm
    AdminPasswordChangeFormBase = AdminPasswordChangeForm

# ---- change listeners (the audit hook) ----------------------------------------------------------------

AdminChangeListener = Callable[[HttpRequest, str, Model, str], None]
_listeners: list[AdminChangeListener] = []


def on_admin_change(listener: AdminChangeListener) -> AdminChangeListener:
    """Register ``listener(request, action, obj, message)``; ``action`` is create, update or delete."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def _notify(request: HttpRequest, action: str, obj: Model, message: Any) -> None:
    text = message if isinstance(message, str) else str(message)
    for listener in _listeners:
        listener(request, action, obj, text)


class PermissionGate:
    """The view/add/change/delete answers of an admin page or inline: active staff whose role holds
    ``permission`` (no superuser, no Django model permissions)."""

    permission: ClassVar[Permission] = Permission.DATA_CORRECT

    def _may(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_authenticated and user.is_active and user.can(self.permission))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)


class GatedAdmin(PermissionGate, ModelAdminBase):
    """Pages open to active staff whose role holds ``permission``."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)


class NotifyingAdmin(GatedAdmin):
    """A ModelAdmin that reports every add, change and delete (including inline changes) to the listeners."""

    def log_addition(self, request, obj, message):  # type: ignore[no-untyped-def]
        entry = super().log_addition(request, obj, message)
        _notify(request, "create", obj, message)
        return entry

    def log_change(self, request, obj, message):  # type: ignore[no-untyped-def]
        entry = super().log_change(request, obj, message)
        _notify(request, "update", obj, message)
        return entry

    def log_deletions(self, request, queryset):  # type: ignore[no-untyped-def]
        objects = list(queryset)
        entries = super().log_deletions(request, queryset)
        for obj in objects:
            _notify(request, "delete", obj, "")
        return entries


class ReadOnlyAdmin(GatedAdmin):
    """View-only: records that must not be added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# ---- reference data and accounts ----------------------------------------------------------------------


@admin.register(District)
class DistrictAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind")
    search_fields = ("code", "name")


class SrdiUserCreationForm(UserCreationFormBase):
    """A new account has no role: a security administrator grants one (``services.role_grants``)."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "organisation")


class SrdiUserChangeForm(UserChangeFormBase):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("username", "first_name", "last_name", "email", "is_active")  # type: ignore[assignment]


# Role, scope binding and Django's own privilege fields: never editable here.
ROLE_FIELDS = ("role", "district", "enterprise", "provider", "organisation")


class SrdiAdminPasswordChangeForm(AdminPasswordChangeFormBase):
    """An administrator sets someone's password: the user must change it at the next sign-in."""

    def save(self, commit: bool = True) -> User:
        self.user.must_change_password = True  # set_password (in super) restarts password_changed_at
        return super().save(commit=commit)


@admin.register(User)
class SrdiUserAdmin(NotifyingAdmin, UserAdminBase):
    """Accounts: the system administrator creates (without a role), disables and resets passwords."""

    permission = Permission.ACCOUNT_MANAGE
    form = SrdiUserChangeForm
    add_form = SrdiUserCreationForm
    change_password_form = SrdiAdminPasswordChangeForm
    list_display = ("username", "role", "district", "enterprise", "organisation", "is_active", "last_login")
    list_filter = ("role", "district", "is_active", "is_staff")
    search_fields = ("username", "organisation", "enterprise__name", "enterprise__uscc")
    readonly_fields = (
        *ROLE_FIELDS,
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
        "password_changed_at",
        "must_change_password",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("角色与范围（由安全管理员授予，此处只读）", {"fields": ROLE_FIELDS}),
        ("个人信息", {"fields": ("first_name", "last_name", "email")}),
        ("状态", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("时间", {"fields": ("last_login", "date_joined", "password_changed_at", "must_change_password")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "organisation", "password1", "password2")},
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:  # the add form: organisation may be typed once, the role stays empty
            return ()
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are disabled (is_active), never deleted: the audit log points at them

    def save_model(self, request: HttpRequest, obj: User, form: forms.Form, change: bool) -> None:
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        obj._audit_old = stored.account_values() if stored is not None else None  # type: ignore[attr-defined]
        if (
            not change
        ):  # the administrator chose the first password: the user replaces it at the first sign-in
            obj.password_changed_at = timezone.now()
            obj.must_change_password = True
            obj.role = ""
        obj.is_superuser = False
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(NotifyingAdmin):
    """Tokens are issued by the CLI; here they can only be looked at and revoked (``revoked_at``)."""

    permission = Permission.ACCOUNT_MANAGE

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    fields = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "user", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# ---- enterprises --------------------------------------------------------------------------------------

PROVENANCE: tuple[str, ...] = ("source_batch", "recorded_by", "recorded_at")


class GatedInline(PermissionGate, TabularInlineBase):
    """Inline rows follow the same permission as their page (``DATA_CORRECT``)."""


class ProvenanceInline(GatedInline):
    extra = 0
    readonly_fields = PROVENANCE
    show_change_link = False


class YearInline(ProvenanceInline):
    model = EnterpriseYear
    fields = ("year", *EnterpriseYear.FIGURES)
    ordering = ("-year",)


class CertificationInline(ProvenanceInline):
    model = Certification
    fields = ("tier", "recognized_on", "expires_on", "revoked_on", "batch", "source_document")


class TitleInline(ProvenanceInline):
    model = Title
    fields = ("kind", "valid_from", "valid_to")


class AwardInline(ProvenanceInline):
    model = Award
    fields = ("level", "kind", "rank", "date")


class ContestInline(ProvenanceInline):
    model = Contest
    fields = ("kind", "group", "date")


class EquityInline(ProvenanceInline):
    model = EquityFinancing
    fields = ("date", "amount_fen", "qualified_investor")


class ContactInline(GatedInline):
    model = Contact
    extra = 0
    fields = ("name", "position", "masked_phone", "masked_id_number")
    readonly_fields = ("name", "position", "masked_phone", "masked_id_number")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="电话（脱敏）")
    def masked_phone(self, obj: Contact) -> str:
        return mask_phone(obj.phone)

    @admin.display(description="身份证号（脱敏）")
    def masked_id_number(self, obj: Contact) -> str:
        return mask_id_number(obj.id_number)


@admin.register(Enterprise)
class EnterpriseAdmin(NotifyingAdmin):
    list_display = ("uscc", "name", "district", "industry_code", "size_class", "ecosystem", "recorded_at")
    list_filter = ("district", "size_class", "ecosystem", "certifications__tier")
    search_fields = ("uscc", "name")
    readonly_fields = (*PROVENANCE, "created_at", "size_class", "size_year")
    list_select_related = ("district",)
    inlines = (
        YearInline,
        CertificationInline,
        TitleInline,
        AwardInline,
        ContestInline,
        EquityInline,
        ContactInline,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enterprise]:
        return super().get_queryset(request).distinct()


class EnterpriseChildAdmin(NotifyingAdmin):
    """Common settings for the per-enterprise tables when browsed on their own."""

    raw_id_fields: ClassVar[tuple[str, ...]] = ("enterprise",)
    readonly_fields: ClassVar[tuple[str, ...]] = PROVENANCE
    search_fields: ClassVar[tuple[str, ...]] = ("enterprise__uscc", "enterprise__name")
    list_select_related: ClassVar[tuple[str, ...]] = ("enterprise",)


@admin.register(EnterpriseYear)
class EnterpriseYearAdmin(EnterpriseChildAdmin):
    list_display = ("enterprise", "year", "operating_revenue_fen", "rd_expense_fen", "employees")
    list_filter = ("year",)


@admin.register(Certification)
class CertificationAdmin(EnterpriseChildAdmin):
    list_display = ("enterprise", "tier", "recognized_on", "expires_on", "revoked_on", "batch")
    list_filter = ("tier", "batch")
    search_fields = ("enterprise__uscc", "enterprise__name", "batch", "source_document")
    date_hierarchy = "recognized_on"


@admin.register(Title)
class TitleAdmin(EnterpriseChildAdmin):
    list_display = ("enterprise", "kind", "valid_from", "valid_to")
    list_filter = ("kind",)


@admin.register(Award)
class AwardAdmin(EnterpriseChildAdmin):
    list_display = ("enterprise", "level", "kind", "rank", "date")
    list_filter = ("level", "kind")


@admin.register(Contest)
class ContestAdmin(EnterpriseChildAdmin):
    list_display = ("enterprise", "kind", "group", "date")
    list_filter = ("kind",)


@admin.register(EquityFinancing)
class EquityFinancingAdmin(EnterpriseChildAdmin):
    list_display = ("enterprise", "date", "amount_fen", "qualified_investor")
    list_filter = ("qualified_investor",)


@admin.register(Event)
class EventAdmin(EnterpriseChildAdmin):
    list_display = ("enterprise", "kind", "date", "key")
    list_filter = ("kind",)
    search_fields = ("enterprise__uscc", "enterprise__name", "key")


@admin.register(Contact)
class ContactAdmin(EnterpriseChildAdmin):
    """Contacts with phone and ID number masked; those two fields cannot be edited here."""

    list_display = ("enterprise", "name", "position", "masked_phone", "masked_id_number")
    fields = ("enterprise", "name", "position", "masked_phone", "masked_id_number", *PROVENANCE)
    readonly_fields = ("masked_phone", "masked_id_number", *PROVENANCE)
    search_fields = ("enterprise__uscc", "enterprise__name")

    @admin.display(description="电话（脱敏）")
    def masked_phone(self, obj: Contact) -> str:
        return mask_phone(obj.phone)

    @admin.display(description="身份证号（脱敏）")
    def masked_id_number(self, obj: Contact) -> str:
        return mask_id_number(obj.id_number)


# ---- imports and audit (read-only) --------------------------------------------------------------------


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "created_at",
        "filename",
        "actor",
        "file_format",
        "status",
        "rows_total",
        "rows_invalid",
        "enterprises_created",
        "enterprises_updated",
    )
    list_filter = ("status", "file_format", "partial")
    search_fields = ("filename", "sha256", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The hash-chained audit log: view only (the database refuses updates anyway)."""

    list_display = (
        "id",
        "seq",
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "success",
        "ip_address",
    )
    list_filter = ("action", "success", "object_type")
    search_fields = ("actor_label", "object_id", "object_repr", "ip_address")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("id", "last_seq", "last_event_id", "last_hash", "last_key_id")


# ---- second-factor devices: not in the admin ----------------------------------------------------------------
# django-otp registers its devices here, with the TOTP secret and the recovery codes readable and editable. An
# administrator must not be able to read another user's second factor: devices are only enrolled by their user
# and removed by the system operator (``srdi otp reset``).
def _hide_otp_devices() -> None:
    from django.contrib.admin.exceptions import NotRegistered
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        with contextlib.suppress(NotRegistered):
            admin.site.unregister(model)


_hide_otp_devices()
