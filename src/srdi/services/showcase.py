"""The showcase of exemplary enterprises (典型案例, 81号 第26条): proposing, reviewing, consent, the public list.

Use ``create_entry`` / ``update_entry`` when staff with ``SHOWCASE_PROPOSE`` propose or edit an entry (district
staff for their district's enterprises only: the scope of ``scoping.enterprises_for``), ``transition`` to submit,
approve, reject, withdraw or reopen it (approving, rejecting and withdrawing need ``SHOWCASE_MANAGE``, a city
permission; approval by a user who did not create, last edit or submit the entry — four eyes), ``record_consent``
when the enterprise's own user agrees or withdraws in the portal, ``upload_consent_document`` when city staff
file the signed consent document, ``public_entries`` / ``public_entry`` for the no-login page.

The tier shown is computed, never typed: the enterprise's highest tier title valid on the day
(``with_tier_today``). The public page shows an entry only while it is published, the enterprise's consent
stands and such a title exists (``srdi.domain.showcase.shown_publicly``, the same rule as a query here): a
lapsed title hides it the next day, a withdrawn consent at once (and the entry is withdrawn). Every write is one
transaction with its audit event; refusals raise ``ShowcaseError`` with a Chinese message naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import transaction
from django.db.models import Case, CharField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from srdi.db.models import AuditAction, Certification, Enterprise, ShowcaseEntry, User
from srdi.domain import permissions
from srdi.domain.permissions import Permission
from srdi.domain.reference import TIER_RANK, TIERS
from srdi.domain.showcase import (
    EDITABLE,
    Action,
    Approval,
    Consent,
    ConsentMethod,
    ShowcaseRuleError,
    Status,
    approval_verdict,
    clean_cluster,
    clean_public_name,
    clean_reason,
    clean_story,
    next_status,
)
from srdi.domain.verdict import Verdict
from srdi.services import audit, evidence, scoping
from srdi.services.programme_pipeline import valid_on_q

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ShowcaseError = ShowcaseRuleError
OBJECT_TYPE = "showcase_entry"
WITHDRAWN_BY_ENTERPRISE = "企业撤回了展示同意"
# Who may take each action (the permission; the scope of the entry's enterprise is checked as well).
ACTION_PERMISSION: dict[Action, Permission] = {
    Action.SUBMIT: Permission.SHOWCASE_PROPOSE,
    Action.REOPEN: Permission.SHOWCASE_PROPOSE,
    Action.APPROVE: Permission.SHOWCASE_MANAGE,
    Action.REJECT: Permission.SHOWCASE_MANAGE,
    Action.WITHDRAW: Permission.SHOWCASE_MANAGE,
}


def _record(action: AuditAction, user: User, entry: ShowcaseEntry, what: str, **fields: Any) -> None:
    """One audit event about an entry (its id, and ``what`` as the object's description)."""
    audit.record(
        action, user, object_type=OBJECT_TYPE, object_id=str(entry.pk), object_repr=what[:255], **fields
    )


# ---- who may do what ------------------------------------------------------------------------------------


def _holds(user: User, permission: Permission) -> bool:
    return bool(user.is_authenticated and user.is_active and user.can(permission))


def may_take(user: User, action: Action) -> bool:
    """Whether the user's role allows the action (the entry must still be in the user's scope)."""
    return _holds(user, ACTION_PERMISSION[action])


def may_propose(user: User) -> bool:
    return _holds(user, Permission.SHOWCASE_PROPOSE)


def may_manage(user: User) -> bool:
    return _holds(user, Permission.SHOWCASE_MANAGE)


def may_consent(user: User) -> bool:
    return _holds(user, Permission.SHOWCASE_CONSENT) and bool(user.enterprise_id)


def _gate(user: User, permission: Permission, what: str, ip: str) -> None:
    """Refuse (audited) unless the active user's role holds ``permission``, with the table's wording."""
    if _holds(user, permission):
        return
    verdict = permissions.check(
        getattr(user, "role", ""), permission, active=bool(user.is_authenticated and user.is_active)
    )
    audit.record(
        AuditAction.ACCESS_DENIED,
        user if user.is_authenticated else None,
        object_type=OBJECT_TYPE,
        object_repr=what[:255],
        success=False,
        extra={"reason": verdict.reason, "permission": permission.value},
        ip_address=ip,
    )
    raise ShowcaseError(verdict.reason)


def entries_for(user: User) -> QuerySet[ShowcaseEntry]:
    """Entries the user may see behind sign-in: staff those of the enterprises in their scope, an enterprise
    user its own enterprise's."""
    qs = ShowcaseEntry.objects.select_related("enterprise", "enterprise__district")
    if may_propose(user) or may_manage(user):
        return qs.filter(enterprise__in=scoping.enterprises_for(user))
    if may_consent(user):
        return qs.filter(enterprise_id=user.enterprise_id or 0)
    return qs.none()


def _entry_for_update(user: User, pk: int) -> ShowcaseEntry:
    entry = entries_for(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if entry is None:
        raise ShowcaseError("案例不存在")
    return entry


# ---- the tier shown: computed -----------------------------------------------------------------------------


def tier_today_subquery(day: date) -> Subquery:
    """The code of the enterprise's highest tier title (``TIERS``) valid on ``day``, for an entry row."""
    rank = Case(
        *[When(tier=t, then=Value(r)) for t, r in TIER_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    best = (
        Certification.objects.filter(valid_on_q(day), enterprise=OuterRef("enterprise_id"), tier__in=TIERS)
        .annotate(rank=rank)
        .order_by("-rank")
        .values("tier")[:1]
    )
    return Subquery(best, output_field=CharField())


class TierToday(TypedDict):
    """What ``with_tier_today`` adds to each entry."""

    tier_today: str | None


def with_tier_today(
    qs: QuerySet[ShowcaseEntry], day: date | None = None
) -> QuerySet[WithAnnotations[ShowcaseEntry, TierToday]]:
    """Annotate ``tier_today`` (null when the enterprise holds no tier title valid on ``day``)."""
    return qs.annotate(tier_today=tier_today_subquery(day or timezone.localdate()))


def tier_of(entry: ShowcaseEntry, day: date | None = None) -> str | None:
    """The tier an entry would show on ``day``: its enterprise's highest tier title valid then, or None."""
    return tier_of_enterprise(entry.enterprise, day)


def tier_of_enterprise(enterprise: Enterprise, day: date | None = None) -> str | None:
    """The enterprise's highest tier title (``TIERS``) valid on ``day``, or None."""
    found = Certification.objects.filter(
        valid_on_q(day or timezone.localdate()), enterprise=enterprise, tier__in=TIERS
    ).values_list("tier", flat=True)
    return max(found, key=lambda t: TIER_RANK[t], default=None)


# ---- the public page ------------------------------------------------------------------------------------


def public_entries(
    *,
    day: date | None = None,
    tier: str = "",
    cluster: str = "",
    district: str = "",
    q: str = "",
) -> QuerySet[WithAnnotations[ShowcaseEntry, TierToday]]:
    """Entries shown to the public on ``day``: published, consented, with a tier title valid that day;
    filtered by tier shown, cluster, district and words of the name or story."""
    qs = with_tier_today(
        ShowcaseEntry.objects.select_related("enterprise__district").filter(
            status=Status.PUBLISHED, consent=Consent.GIVEN
        ),
        day,
    ).filter(tier_today__isnull=False)
    if tier:
        qs = qs.filter(tier_today=tier)
    if cluster:
        qs = qs.filter(cluster=cluster)
    if district:
        qs = qs.filter(enterprise__district_id=district)
    words = (q or "").split()[:5]
    for word in words:
        qs = qs.filter(Q(public_name__icontains=word) | Q(story__icontains=word))
    return qs.order_by("-published_at", "-id")


def public_entry(pk: int, day: date | None = None) -> WithAnnotations[ShowcaseEntry, TierToday] | None:
    """One entry as the public may see it, or None (not published, no consent, title lapsed, or no such id)."""
    return public_entries(day=day).filter(pk=pk).first()


# ---- proposing and editing ------------------------------------------------------------------------------


def _content(entry: ShowcaseEntry) -> dict[str, str]:
    return {"public_name": entry.public_name, "cluster": entry.cluster, "story": entry.story}


def create_entry(
    user: User, *, uscc: str, public_name: str, cluster: str, story: str, ip: str = ""
) -> ShowcaseEntry:
    """Propose an entry for an enterprise in the user's scope (one entry per enterprise), as a draft."""
    _gate(user, Permission.SHOWCASE_PROPOSE, f"推荐典型案例：{uscc}", ip)
    code = (uscc or "").strip().upper()
    if not code:
        raise ShowcaseError("请填写企业的“统一社会信用代码”", "uscc")
    try:
        enterprise = scoping.get_enterprise(user, uscc=code, ip=ip)
    except scoping.OutOfScope:
        raise ShowcaseError("未找到该企业（或不在本区县范围内）", "uscc") from None
    content = {
        "public_name": clean_public_name(public_name),
        "cluster": clean_cluster(cluster),
        "story": clean_story(story),
    }
    now = timezone.now()
    with transaction.atomic():
        existing = ShowcaseEntry.objects.select_for_update().filter(enterprise=enterprise).first()
        if existing is not None:
            raise ShowcaseError(f"该企业已有典型案例（编号 {existing.pk}），请编辑原案例", "uscc")
        entry = ShowcaseEntry.objects.create(
            enterprise=enterprise,
            created_by=user,
            created_at=now,
            updated_by=user,
            updated_at=now,
            **content,
        )
        _record(
            AuditAction.CREATE,
            user,
            entry,
            f"推荐典型案例：{entry.public_name}",
            new={**content, "enterprise": enterprise.uscc, "status": entry.status},
            ip_address=ip,
        )
    return entry


def update_entry(
    user: User, pk: int, *, public_name: str, cluster: str, story: str, ip: str = ""
) -> ShowcaseEntry:
    """Edit a draft. A changed text voids a consent given to the old text (the enterprise agrees again)."""
    _gate(user, Permission.SHOWCASE_PROPOSE, f"修改典型案例 {pk}", ip)
    content = {
        "public_name": clean_public_name(public_name),
        "cluster": clean_cluster(cluster),
        "story": clean_story(story),
    }
    with transaction.atomic():
        entry = _entry_for_update(user, pk)
        if entry.status not in EDITABLE:
            raise ShowcaseError(f"案例{Status(entry.status).label}，只有草稿可以修改", "status")
        old = _content(entry) | {"consent": entry.consent}
        if content == _content(entry):
            return entry
        for name, value in content.items():
            setattr(entry, name, value)
        if entry.consent == Consent.GIVEN:
            _clear_consent(entry)
        entry.updated_by, entry.updated_at = user, timezone.now()
        entry.save()
        _record(
            AuditAction.UPDATE,
            user,
            entry,
            f"修改典型案例：{entry.public_name}",
            old=old,
            new=content | {"consent": entry.consent},
            ip_address=ip,
        )
    return entry


def _clear_consent(entry: ShowcaseEntry) -> None:
    entry.consent, entry.consent_method, entry.consent_at, entry.consent_by = Consent.NONE, "", None, None
    entry.consent_document_name, entry.consent_document_sha256, entry.consent_document_bytes = "", "", None


# ---- the workflow ---------------------------------------------------------------------------------------


def transition(
    user: User, pk: int, action: str, *, reason: str = "", ip: str = "", today: date | None = None
) -> ShowcaseEntry:
    """Submit, approve, reject, withdraw or reopen an entry (``srdi.domain.showcase.TRANSITIONS``)."""
    try:
        act = Action(action)
    except ValueError:
        raise ShowcaseError("无效的操作", "action") from None
    _gate(user, ACTION_PERMISSION[act], f"典型案例 {pk}：{act.label}", ip)
    text = clean_reason(reason, act)
    now = timezone.now()
    refusal: tuple[ShowcaseEntry, Verdict] | None = None
    with transaction.atomic():
        entry = _entry_for_update(user, pk)
        old = entry.status
        new = next_status(old, act)
        if act is Action.APPROVE:
            verdict = approval_verdict(
                Approval(
                    approver_id=user.pk,
                    authors=frozenset(
                        i for i in (entry.created_by_id, entry.updated_by_id, entry.submitted_by_id) if i
                    ),
                    consent=entry.consent,
                    tier_today=tier_of(entry, today),
                )
            )
            if not verdict:
                refusal = (entry, verdict)
            else:
                entry.decided_by, entry.decided_at, entry.published_at = user, now, now
                entry.reason = ""
        elif act is Action.SUBMIT:
            entry.submitted_by, entry.submitted_at, entry.reason = user, now, ""
        elif act in (Action.REJECT, Action.WITHDRAW):
            entry.decided_by, entry.decided_at, entry.reason = user, now, text
        if refusal is None:
            entry.status = new
            entry.save()
            _record(
                AuditAction.TRANSITION,
                user,
                entry,
                f"典型案例：{entry.public_name}（{act.label}）",
                old={"status": old},
                new={"status": new.value, "reason": text},
                ip_address=ip,
            )
    if refusal is not None:  # recorded outside the refused change's transaction, so that it stays
        refused, verdict = refusal
        _record(
            AuditAction.TRANSITION,
            user,
            refused,
            f"典型案例：{refused.public_name}（批准被拒绝）",
            success=False,
            extra={"reason": verdict.reason, "code": verdict.code},
            ip_address=ip,
        )
        raise ShowcaseError(verdict.reason, "action")
    return entry


# ---- consent --------------------------------------------------------------------------------------------


def record_consent(user: User, pk: int, *, agree: bool, ip: str = "") -> ShowcaseEntry:
    """The enterprise's own user agrees to its entry being shown, or withdraws that consent. Withdrawing takes
    a published entry off the public page at once (it becomes 已撤下)."""
    _gate(user, Permission.SHOWCASE_CONSENT, f"典型案例 {pk}：{'同意' if agree else '撤回同意'}", ip)
    if not user.enterprise_id:
        raise ShowcaseError("账号未绑定企业")
    now = timezone.now()
    with transaction.atomic():
        entry = (
            ShowcaseEntry.objects.select_for_update().filter(pk=pk, enterprise_id=user.enterprise_id).first()
        )
        if entry is None:
            raise ShowcaseError("案例不存在")
        old = {"consent": entry.consent, "status": entry.status}
        if agree and entry.consent == Consent.GIVEN:
            raise ShowcaseError("已同意展示，无需重复确认")
        if not agree and entry.consent != Consent.GIVEN:
            raise ShowcaseError("尚未同意展示，无需撤回")
        if agree:
            _clear_consent(entry)
            entry.consent, entry.consent_method = Consent.GIVEN, ConsentMethod.PORTAL
        else:
            entry.consent = Consent.WITHDRAWN
            if entry.status == Status.PUBLISHED:
                entry.status, entry.reason = Status.WITHDRAWN, WITHDRAWN_BY_ENTERPRISE
        entry.consent_at, entry.consent_by = now, user
        entry.save()
        _record(
            AuditAction.UPDATE,
            user,
            entry,
            f"典型案例：{entry.public_name}（企业{'同意展示' if agree else '撤回同意'}）",
            old=old,
            new={"consent": entry.consent, "status": entry.status, "method": ConsentMethod.PORTAL.value},
            ip_address=ip,
        )
    return entry


def upload_consent_document(
    user: User, pk: int, *, filename: str, data: bytes, ip: str = ""
) -> ShowcaseEntry:
    """City staff file the enterprise's signed consent document (checked and stored like evidence, SHA-256);
    the consent stands from now."""
    _gate(user, Permission.SHOWCASE_MANAGE, f"典型案例 {pk}：上传同意书", ip)
    if not data:
        raise ShowcaseError("请上传企业盖章的“展示同意书”", "document")
    try:
        name, sha, size = evidence.store_document(data, filename)
    except evidence.EvidenceError as refused:
        raise ShowcaseError(f"“展示同意书”{filename}：{refused}", "document") from None
    now = timezone.now()
    with transaction.atomic():
        entry = _entry_for_update(user, pk)
        old = {"consent": entry.consent, "method": entry.consent_method}
        entry.consent, entry.consent_method = Consent.GIVEN, ConsentMethod.DOCUMENT
        entry.consent_at, entry.consent_by = now, user
        entry.consent_document_name, entry.consent_document_sha256 = name, sha
        entry.consent_document_bytes = size
        entry.save()
        _record(
            AuditAction.UPDATE,
            user,
            entry,
            f"典型案例：{entry.public_name}（上传展示同意书）",
            old=old,
            new={"consent": entry.consent, "method": entry.consent_method, "sha256": sha, "filename": name},
            ip_address=ip,
        )
    return entry


def open_consent_document(user: User, pk: int, ip: str = "") -> tuple[ShowcaseEntry, bytes]:
    """The signed consent document, verified against its SHA-256, for staff in scope or the enterprise itself
    (the download is audited)."""
    entry = entries_for(user).exclude(consent_document_sha256="").filter(pk=pk).first()
    if entry is None:
        raise ShowcaseError("文件不存在")
    try:
        data = evidence.read_verified(entry.consent_document_sha256, entry.consent_document_bytes)
    except evidence.EvidenceError as refused:
        raise ShowcaseError(str(refused)) from None
    _record(
        AuditAction.EXPORT,
        user,
        entry,
        f"下载展示同意书：{entry.consent_document_name}",
        extra={"sha256": entry.consent_document_sha256},
        ip_address=ip,
    )
    return entry, data


def enterprise_of(user: User) -> Enterprise | None:
    """The enterprise user's own enterprise (for the portal page)."""
    return Enterprise.objects.filter(pk=user.enterprise_id).first() if user.enterprise_id else None
