"""Who may see and change which enterprise and case: the one place every page, API call and export goes through.

The rules are the table in ``srdi.domain.permissions`` (``ROLES``): a role's permissions say *what* it may do,
its scope rule *where* — city-wide roles every row, district staff their district, an enterprise user its own
enterprise, a responsible unit the cases of the measures that name its organisation, providers and the three
administrators no enterprise at all. This module turns the scope rule into querysets and the permissions into
verdicts. Lookups of objects outside the scope raise ``OutOfScope`` (shown as 404, so existence is not
disclosed) and are audited.
"""

from __future__ import annotations

from functools import cache

from django.db.models import Q, QuerySet

from srdi.db.models import AuditAction, Case, Enterprise, User
from srdi.domain import permissions
from srdi.domain.permissions import Permission, Scope
from srdi.domain.policy.loader import load_packs
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.services import audit


class OutOfScope(Exception):
    """The object does not exist for this user (or is outside the user's scope)."""


def enterprises_for(user: User) -> QuerySet[Enterprise]:
    """Enterprises the user may read."""
    qs = Enterprise.objects.all()
    if not user.is_authenticated or not user.can(Permission.ENTERPRISE_READ):
        return qs.none()
    scope = user.scope
    if scope is Scope.ALL:
        return qs
    if scope is Scope.DISTRICT and user.district_id:
        return qs.filter(district_id=user.district_id)
    if scope is Scope.ENTERPRISE and user.enterprise_id:
        return qs.filter(pk=user.enterprise_id)
    if scope is Scope.RESPONSIBLE_UNIT:
        return qs.filter(pk__in=cases_for(user).values("enterprise_id"))
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
    if not user.can(Permission.ENTERPRISE_EDIT):
        if user.scope is Scope.ENTERPRISE:
            return deny("企业用户的资料由所在区县审核后更新", "enterprise_read_only")
        return permissions.check(user.role, Permission.ENTERPRISE_EDIT)
    if user.scope is Scope.ALL:
        return ALLOW
    if user.scope is Scope.DISTRICT and (enterprise is None or enterprise.district_id == user.district_id):
        return ALLOW
    return deny("区县工作人员只能维护本区县企业", "other_district")


def can_import_for_district(user: User, district_code: str | None) -> Verdict:
    """Whether the user may import a record of this district."""
    verdict = can_import(user)
    if not verdict or user.scope is Scope.ALL:
        return verdict
    if user.scope is Scope.DISTRICT and district_code == user.district_id:
        return ALLOW
    return deny(f"无权导入其他区县（{district_code or '未填区县'}）的企业", "other_district")


def can_import(user: User) -> Verdict:
    """Whether the user may use the import page at all."""
    return _check(user, Permission.DATA_IMPORT)


def can_export(user: User) -> Verdict:
    """Whether the user may export (the export is always limited to ``enterprises_for``)."""
    return _check(user, Permission.DATA_EXPORT)


def cases_for(user: User) -> QuerySet[Case]:
    """Award cases the user may read: city-wide roles all; districts theirs; enterprises their own; a responsible
    unit those of the measures it is responsible for."""
    qs = Case.objects.all()
    if not user.is_authenticated or not user.can(Permission.CASE_VIEW):
        return qs.none()
    scope = user.scope
    if scope is Scope.ALL:
        return qs
    if scope is Scope.DISTRICT and user.district_id:
        return qs.filter(district_code=user.district_id)
    if scope is Scope.ENTERPRISE and user.enterprise_id:
        return qs.filter(enterprise_id=user.enterprise_id)
    if scope is Scope.RESPONSIBLE_UNIT:
        measures = measures_of_unit(user.organisation.strip())
        if not measures:
            return qs.none()
        matches = Q()
        for pack, article in measures:
            matches |= Q(programme__pack=pack, programme__article=article)
        return qs.filter(matches)
    return qs.none()


@cache
def measures_of_unit(organisation: str) -> frozenset[tuple[str, int]]:
    """``(pack, article)`` of every shipped measure whose ``responsible`` list names the organisation."""
    if not organisation:
        return frozenset()
    return frozenset(
        (m.pack, m.article) for pack in load_packs() for m in pack.measures if organisation in m.responsible
    )


def case_in_scope(user: User, case: Case) -> bool:
    """Whether one case is within the user's scope (without a query for the common scopes)."""
    scope = user.scope
    if not user.can(Permission.CASE_VIEW):
        return False
    if scope is Scope.ALL:
        return True
    if scope is Scope.DISTRICT:
        return bool(user.district_id) and case.district_code == user.district_id
    if scope is Scope.ENTERPRISE:
        return bool(user.enterprise_id) and case.enterprise_id == user.enterprise_id
    return cases_for(user).filter(pk=case.pk).exists()


def sees_all_districts(user: User) -> bool:
    """City-wide roles get the district filter and city-wide figures (scope ``ALL``): the one rule for every page."""
    return user.is_authenticated and user.scope is Scope.ALL


def _check(user: User, permission: Permission) -> Verdict:
    """The table's verdict for a signed-in, active user."""
    if not user.is_authenticated:
        return deny("请先登录", "login")
    return permissions.check(user.role, permission, active=user.is_active)


def can(user: User, permission: Permission) -> Verdict:
    """Whether the (signed-in, active) user's role holds ``permission``: the table's verdict."""
    return _check(user, permission)


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
    """Full ID numbers, phones and bank accounts in clear: the ``PERSONAL_DATA_REVEAL`` permission (each reveal
    is audited by the caller). The entry point for every reveal."""
    return _check(user, Permission.PERSONAL_DATA_REVEAL)


def can_view_audit_log(user: User) -> Verdict:
    """Whether the user may read the audit log (audit administrator, auditors, the city administrator)."""
    return _check(user, Permission.AUDIT_READ)


def can_change_audit_settings(user: User) -> Verdict:
    """Only the audit administrator changes the audit settings (the auditor stays read-only)."""
    return _check(user, Permission.AUDIT_SETTINGS)
