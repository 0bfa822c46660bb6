"""One enterprise at a time: scoped search, its stored profile, and create/update from a validated profile.

Use these from the API (and any form that edits a single enterprise). ``search`` narrows the user's scope
(``srdi.services.scoping.enterprises_for``); ``profile_json`` gives the stored exchange-format profile;
``create_enterprise`` and ``update_enterprise`` check the edit rules in ``scoping``, own their transaction and
merge through ``write_profiles`` (which audits what changed; an unchanged write records nothing). A refusal
raises ``EnterpriseForbidden`` and is audited as access denied; a duplicate USCC raises ``EnterpriseExists``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, Q, QuerySet

from srdi.db.mapping import ENTERPRISE_FIELDS, EVENT_KEYS, LISTS
from srdi.db.models import AuditAction, Enterprise, Event, User
from srdi.domain.exchange import FieldProblem, Profile, RecordError
from srdi.domain.permissions import Scope
from srdi.domain.verdict import Verdict
from srdi.services import audit, scoping
from srdi.services.enterprise_writer import LIST_MODELS, Incoming, write_profiles
from srdi.services.exports import profiles_from_db

SUMMARY_FIELDS = ("uscc", "name", "district_id", "industry_code", "size_class", "ecosystem")
SHARE_PLACES = Decimal("1e-9")  # Enterprise.mp_niche_market_share keeps 9 decimal places
SHOWN_CHARS = 50  # how much of an over-long text an error echoes back


class EnterpriseWriteError(Exception):
    """A write that cannot be made; ``message`` (Chinese) says why and ``code`` names the rule."""

    def __init__(self, message: str, code: str = ""):
        self.message = message
        self.code = code
        super().__init__(message)


class EnterpriseForbidden(EnterpriseWriteError):
    """The user may not make this change (answer 403)."""


class EnterpriseExists(EnterpriseWriteError):
    """An enterprise with this USCC is already registered (answer 409)."""


@dataclass(frozen=True)
class Written:
    """The enterprise after a write and whether anything changed."""

    enterprise: Enterprise
    changed: bool


def search(
    user: User,
    *,
    q: str | None = None,
    district: str | None = None,
    ecosystem: str | None = None,
    size_class: str | None = None,
) -> QuerySet[Enterprise]:
    """Enterprises the user may read, narrowed by a name/USCC search and filters, in USCC order."""
    qs = scoping.enterprises_for(user)
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(uscc__icontains=text.upper()))
    if district:
        qs = qs.filter(district_id=district)
    if ecosystem:
        qs = qs.filter(ecosystem=ecosystem)
    if size_class:
        qs = qs.filter(size_class=size_class)
    return qs.order_by("uscc")


def summaries(queryset: QuerySet[Enterprise]) -> list[dict[str, Any]]:
    """Summary rows (uscc, name, district code, industry, size class, ecosystem) of a queryset slice."""
    rows = []
    for row in queryset.values(*SUMMARY_FIELDS):
        row["district"] = row.pop("district_id")
        rows.append(row)
    return rows


def profile_json(enterprise: Enterprise) -> dict[str, Any]:
    """The stored exchange-format profile of one enterprise (contacts are never included)."""
    for profile, _contact in profiles_from_db(Enterprise.objects.filter(pk=enterprise.pk)):
        return profile
    raise Enterprise.DoesNotExist(enterprise.pk)


def _refuse(actor: User, verdict: Verdict, *, operation: str, object_id: str = "", ip: str = "") -> None:
    audit.record(
        AuditAction.ACCESS_DENIED,
        actor if actor.is_authenticated else None,
        object_type="enterprise",
        object_id=object_id,
        success=False,
        ip_address=ip,
        extra={"operation": operation, "rule": verdict.code},
    )
    raise EnterpriseForbidden(verdict.reason, verdict.code)


def ensure_may_write(actor: User, *, ip: str = "") -> None:
    """Refuse roles that may never create or change enterprises (auditor, enterprise user, provider).

    The answer does not depend on which enterprise is meant, so it discloses nothing about existence.
    """
    verdict = scoping.can_edit_enterprise(actor, None)
    if not verdict:
        _refuse(actor, verdict, operation="write", ip=ip)


def _district_verdict(actor: User, district: str | None) -> Verdict:
    """May the actor keep an enterprise in ``district`` (district staff: only their own district)?"""
    if actor.scope is Scope.DISTRICT and district is None:
        return Verdict(False, "区县工作人员新增企业须填写本区县代码（district）", "district_required")
    return scoping.can_edit_enterprise(actor, Enterprise(district_id=district))


def _too_long(path: str, value: Any, model: type[Model], field_name: str) -> FieldProblem | None:
    max_length = getattr(model._meta.get_field(field_name), "max_length", None)
    if isinstance(value, str) and max_length and len(value) > max_length:
        shown = value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"
        return FieldProblem(
            path=path, value=shown, reason=f"过长：最多 {max_length} 个字符，实际 {len(value)} 个"
        )
    return None


def storable_problems(profile: Profile) -> list[FieldProblem]:
    """Values the database would reject or round: texts longer than their column, ratios with more than 9
    decimal places. (A silently rounded value would also make every repeat of the same write a change.)"""
    problems: list[FieldProblem | None] = [_too_long("uscc", profile.uscc, Enterprise, "uscc")]
    for path, field_name in ENTERPRISE_FIELDS:
        value: Any = profile
        for key in path:
            value = getattr(value, key, None) if value is not None else None
        problems.append(_too_long(".".join(path), value, Enterprise, field_name))
    for name, model in LIST_MODELS.items():
        for i, item in enumerate(getattr(profile, name) or []):
            for field_name in LISTS[name][1]:
                problems.append(
                    _too_long(f"{name}[{i}].{field_name}", getattr(item, field_name), model, field_name)
                )
    for i, event in enumerate(profile.events or []):
        key_field = EVENT_KEYS.get(event.kind)
        if key_field:
            problems.append(_too_long(f"events[{i}].{key_field}", getattr(event, key_field), Event, "key"))
    share = profile.main_product.niche_market_share if profile.main_product else None
    if share is not None and share != share.quantize(SHARE_PLACES):
        problems.append(
            FieldProblem(
                path="main_product.niche_market_share",
                value=str(share),
                reason="小数位过多：市场占有率最多保留 9 位小数",
            )
        )
    return [p for p in problems if p is not None]


def ensure_storable(profile: Profile) -> None:
    """``RecordError`` naming every value the database cannot keep exactly (see ``storable_problems``)."""
    problems = storable_problems(profile)
    if problems:
        raise RecordError(problems)


def create_enterprise(profile: Profile, actor: User, *, ip: str = "") -> Written:
    """Register a new enterprise from a validated profile; ``EnterpriseExists`` if the USCC is taken."""
    ensure_may_write(actor, ip=ip)
    verdict = _district_verdict(actor, profile.district)
    if not verdict:
        _refuse(actor, verdict, operation="create", object_id=profile.uscc, ip=ip)
    ensure_storable(profile)
    exists = EnterpriseExists("该统一社会信用代码的企业已登记；如需修改请使用更新（PUT）", "exists")
    try:
        with transaction.atomic():
            if Enterprise.objects.filter(uscc=profile.uscc).exists():
                raise exists
            write_profiles([Incoming.of(profile)], actor=actor, batch=None)
            enterprise = Enterprise.objects.get(uscc=profile.uscc)
    except IntegrityError:
        if Enterprise.objects.filter(uscc=profile.uscc).exists():  # a concurrent create won the race
            raise exists from None
        raise
    return Written(enterprise, changed=True)


def update_enterprise(enterprise: Enterprise, profile: Profile, actor: User, *, ip: str = "") -> Written:
    """Merge a full or partial profile into an enterprise the actor may edit (stated values overwrite).

    The caller has already found ``enterprise`` through ``scoping.get_enterprise``. Sending the same profile
    again changes nothing and writes no audit event.
    """
    if profile.uscc != enterprise.uscc:
        raise RecordError(
            [
                FieldProblem(
                    path="uscc",
                    value=profile.uscc,
                    reason="与要更新的企业（请求地址中）的统一社会信用代码不一致",
                )
            ]
        )
    verdict = scoping.can_edit_enterprise(actor, enterprise)
    if not verdict:
        _refuse(actor, verdict, operation="update", object_id=str(enterprise.pk), ip=ip)
    if profile.district is not None and profile.district != enterprise.district_id:
        verdict = _district_verdict(actor, profile.district)
        if not verdict:
            _refuse(actor, verdict, operation="move_district", object_id=str(enterprise.pk), ip=ip)
    ensure_storable(profile)
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        if locked is None or locked.district_id != enterprise.district_id:
            raise scoping.OutOfScope  # removed or moved since it was looked up: the caller's check is stale
        stats = write_profiles([Incoming.of(profile)], actor=actor, batch=None)
        locked.refresh_from_db()
    return Written(locked, changed=bool(stats.updated or stats.created))
