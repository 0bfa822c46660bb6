"""Who may see and change which enterprise: the one place every page, API call and export goes through.

City staff and auditors see every enterprise; district staff see their district only; an enterprise user
sees its own enterprise only; service providers see none through these views. Lookups of objects outside
the scope raise ``OutOfScope`` (shown as 404, so existence is not disclosed) and are audited.
"""

from __future__ import annotations

from django.db.models import QuerySet

from srdi.db.models import AuditAction, Case, Enterprise, Role, User
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.services import audit


class OutOfScope(Exception):
    """The object does not exist for this user (or is outside the user's scope)."""


def enterprises_for(user: User) -> QuerySet[Enterprise]:
    """Enterprises the user may read."""
    qs = Enterprise.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.role in (Role.CITY_ADMIN, Role.CITY_STAFF, Role.AUDITOR, Role.FINANCE):
        return qs
    if user.role == Role.DISTRICT_STAFF and user.district_id:
        return qs.filter(district_id=user.district_id)
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return qs.filter(pk=user.enterprise_id)
    return qs.none()


def get_enterprise(user: User, *, pk: int | None = None, uscc: str | None = None, ip: str = "") -> Enterprise:
    """One enterprise the user may read, by id or USCC; ``OutOfScope`` otherwise (and audited)."""
    lookup = {"pk": pk} if pk is not None else {"uscc": (uscc or "").upper()}
    found = enterprises_for(user).filter(**lookup).first()
    if found is None:
        if Enterprise.objects.filter(**lookup).exists():
            audit.record(
                AuditAction.ACCESS_DENIED,
                user if user.is_authenticated else None,
                object_type="enterprise",
                object_id=str(pk or uscc),
                success=False,
                ip_address=ip,
            )
        raise OutOfScope
    return found


def can_edit_enterprise(user: User, enterprise: Enterprise | None = None) -> Verdict:
    """Whether the user may create (``enterprise=None``) or change an enterprise's data."""
    if not user.is_authenticated or not user.is_active:
        return deny("请先登录", "login")
    if user.role in (Role.CITY_ADMIN, Role.CITY_STAFF):
        return ALLOW
    if user.role == Role.DISTRICT_STAFF:
        if enterprise is None or enterprise.district_id == user.district_id:
            return ALLOW
        return deny("区县工作人员只能维护本区县企业", "other_district")
    if user.role == Role.ENTERPRISE:
        return deny("企业用户的资料由所在区县审核后更新", "enterprise_read_only")
    return deny("当前角色只读", "read_only")


def can_import_for_district(user: User, district_code: str | None) -> Verdict:
    """Whether the user may import a record of this district."""
    if user.role in (Role.CITY_ADMIN, Role.CITY_STAFF):
        return ALLOW
    if user.role == Role.DISTRICT_STAFF:
        if district_code == user.district_id:
            return ALLOW
        return deny(f"无权导入其他区县（{district_code or '未填区县'}）的企业", "other_district")
    return deny("当前角色不能导入数据", "read_only")


def can_import(user: User) -> Verdict:
    """Whether the user may use the import page at all."""
    if user.is_authenticated and user.role in (Role.CITY_ADMIN, Role.CITY_STAFF, Role.DISTRICT_STAFF):
        return ALLOW
    return deny("当前角色不能导入数据", "read_only")


def can_export(user: User) -> Verdict:
    """Whether the user may export (the export is always limited to ``enterprises_for``)."""
    if user.is_authenticated and user.role in (
        Role.CITY_ADMIN,
        Role.CITY_STAFF,
        Role.DISTRICT_STAFF,
        Role.AUDITOR,
        Role.ENTERPRISE,
        Role.FINANCE,
    ):
        return ALLOW
    return deny("当前角色不能导出数据", "no_export")


def cases_for(user: User) -> QuerySet[Case]:
    """Award cases the user may read: city, finance and auditors all; districts theirs; enterprises their own."""
    qs = Case.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.role in (Role.CITY_ADMIN, Role.CITY_STAFF, Role.AUDITOR, Role.FINANCE):
        return qs
    if user.role == Role.DISTRICT_STAFF and user.district_id:
        return qs.filter(district_code=user.district_id)
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()


def get_case(user: User, pk: int, ip: str = "") -> Case:
    """One case the user may read; ``OutOfScope`` otherwise (and audited when it exists)."""
    found = cases_for(user).filter(pk=pk).first()
    if found is None:
        if Case.objects.filter(pk=pk).exists():
            audit.record(
                AuditAction.ACCESS_DENIED,
                user if user.is_authenticated else None,
                object_type="case",
                object_id=str(pk),
                success=False,
                ip_address=ip,
            )
        raise OutOfScope
    return found


def can_reveal_personal_data(user: User) -> Verdict:
    """Full ID numbers and phones are for city administrators only (each reveal is audited)."""
    if user.is_authenticated and user.role == Role.CITY_ADMIN:
        return ALLOW
    return deny("只有市级管理员可以查看完整的个人信息", "pii")


def can_view_audit_log(user: User) -> Verdict:
    """Whether the user may read the audit log (the city administrator and auditors; read-only)."""
    if user.is_authenticated and user.role in (Role.CITY_ADMIN, Role.AUDITOR):
        return ALLOW
    return deny("只有市经信局管理员和审计人员可以查看审计日志", "audit_log")
