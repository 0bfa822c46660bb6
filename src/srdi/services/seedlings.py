"""The 小巨人 seedling pool (种苗库) as a managed list: who may see and change it, adding, removing, confirming,
and the pool's size on any day.

Use ``add`` / ``add_candidates`` / ``remove`` / ``decide`` / ``decide_removal`` from views and the CLI: they check
the user's rights and scope, validate (a refusal is a ``SeedlingError`` with a Chinese message naming the field),
write in one transaction and record an audit event. City staff (``PROGRAMME_TARGETS_MANAGE``) change the pool
directly and confirm proposals; district staff (``SEEDLING_PROPOSE``) propose additions and removals for
enterprises of their district only; enterprise users see nothing (``SEEDLING_VIEW``). ``pool_on(day)`` counts the
pool on any day (``srdi.domain.programme.seedlings``): members in the pool, and graduates — members that gained
the 小巨人 title, counted as such and never deleted. ``candidates_for(user)`` pre-selects the enterprises the
latest finished screening found eligible for 小巨人 that do not hold it and are not already in the pool.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from srdi.db.models import AssessmentRun, AuditAction, Certification, Enterprise, SeedlingMember, User
from srdi.domain.permissions import Permission, Scope
from srdi.domain.programme.seedlings import PoolSpell, PoolState, PoolTally, graduation_day, state_on, tally
from srdi.services import audit, scoping
from srdi.services.assessments import latest_run
from srdi.services.programme_pipeline import candidates, valid_on_q

TIER = "little_giant"
POOL_TARGET_ID = "lg_seedling_pool_min"
REASON_MAX = 1000
OPEN = Q(
    status__in=[SeedlingMember.Status.PROPOSED, SeedlingMember.Status.CONFIRMED], removed_on__isnull=True
)


class SeedlingError(Exception):
    """A refused change: ``message`` in Chinese, ``field`` the form field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def may_view(user: User) -> bool:
    return bool(scoping.can(user, Permission.SEEDLING_VIEW)) and user.scope in (Scope.ALL, Scope.DISTRICT)


def may_manage(user: User) -> bool:
    return bool(scoping.can(user, Permission.PROGRAMME_TARGETS_MANAGE)) and user.scope is Scope.ALL


def may_propose(user: User) -> bool:
    return bool(scoping.can(user, Permission.SEEDLING_PROPOSE)) and user.scope is Scope.DISTRICT


def may_change(user: User) -> bool:
    return may_manage(user) or may_propose(user)


def district_of(user: User) -> str | None:
    """The one district a user is limited to (district staff), or None for the city."""
    return None if scoping.sees_all_districts(user) else str(user.district_id or "")


def members_for(user: User) -> QuerySet[SeedlingMember]:
    """Every spell the user may see: all for the city, its district's enterprises for district staff."""
    qs = SeedlingMember.objects.select_related(
        "enterprise", "enterprise__district", "proposed_by", "decided_by"
    )
    if not may_view(user):
        return qs.none()
    district = district_of(user)
    return qs if district is None else qs.filter(enterprise__district_id=district)


def _today() -> date:
    return timezone.localdate()


def _check_reason(reason: str, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise SeedlingError("请填写理由", field)
    if len(text) > REASON_MAX:
        raise SeedlingError(f"理由不超过 {REASON_MAX} 字", field)
    return text


def _check_day(day: date | None, what: str, field: str) -> date:
    if day is None:
        raise SeedlingError(f"请填写{what}（格式 2026-01-31）", field)
    if day > _today():
        raise SeedlingError(f"{what}不能晚于今天", field)
    return day


def _in_scope(user: User, enterprise: Enterprise) -> None:
    district = district_of(user)
    if district is not None and enterprise.district_id != district:
        raise SeedlingError("区县工作人员只能为本区县企业提出", "enterprise")


def _check_can_join(enterprise: Enterprise, added_on: date) -> None:
    if SeedlingMember.objects.filter(OPEN, enterprise=enterprise).exists():
        raise SeedlingError(
            f"{enterprise.name or enterprise.uscc} 已在种苗库中（或已提出待确认）", "enterprise"
        )
    last = (
        SeedlingMember.objects.filter(enterprise=enterprise, removed_on__isnull=False)
        .order_by("-removed_on")
        .values_list("removed_on", flat=True)
        .first()
    )
    if last is not None and added_on < last:
        raise SeedlingError(f"入库日期不能早于该企业上次移出的日期 {last.isoformat()}", "added_on")
    holds = Certification.objects.filter(valid_on_q(added_on), enterprise=enterprise, tier=TIER)
    if holds.exists():
        raise SeedlingError(
            f"{enterprise.name or enterprise.uscc} 在入库日期已持有有效的小巨人称号", "enterprise"
        )


def _audit_row(m: SeedlingMember) -> dict[str, object]:
    return {
        "enterprise": m.enterprise_id,
        "status": m.status,
        "added_on": m.added_on,
        "reason": m.reason,
        "source": m.source,
        "source_run": m.source_run_id,
        "removal_proposed_on": m.removal_proposed_on,
        "removal_reason": m.removal_reason,
        "removed_on": m.removed_on,
    }


def _record(
    action: str, user: User, m: SeedlingMember, what: str, old: dict[str, object] | None, ip: str
) -> None:
    audit.record(
        action,
        user,
        object_type="seedling",
        object_id=str(m.pk),
        object_repr=f"小巨人种苗库：{what} {m.enterprise.name or m.enterprise.uscc}"[:255],
        old=old,
        new=_audit_row(m),
        ip_address=ip,
    )


def _create(
    user: User,
    enterprise: Enterprise,
    added_on: date,
    reason: str,
    source: str,
    run: AssessmentRun | None,
    ip: str,
) -> SeedlingMember:
    now = timezone.now()
    direct = may_manage(user)
    m = SeedlingMember(
        enterprise=enterprise,
        status=SeedlingMember.Status.CONFIRMED if direct else SeedlingMember.Status.PROPOSED,
        added_on=added_on,
        reason=reason,
        source=source,
        source_run=run,
        proposed_by=user,
        proposed_at=now,
        decided_by=user if direct else None,
        decided_at=now if direct else None,
    )
    try:
        with transaction.atomic():
            m.save()
    except IntegrityError as exc:
        raise SeedlingError(
            f"{enterprise.name or enterprise.uscc} 已在种苗库中（或已提出待确认）", "enterprise"
        ) from exc
    _record(AuditAction.CREATE, user, m, "入库" if direct else "提出入库", None, ip)
    return m


def _require_change(user: User) -> None:
    if not may_change(user):
        raise SeedlingError("种苗库的增减由区县工作人员提出、市经信局确认")


def add(
    user: User,
    enterprise: Enterprise,
    added_on: date | None,
    reason: str,
    *,
    ip: str = "",
) -> SeedlingMember:
    """Add one enterprise (city: confirmed at once; district staff: a proposal the city confirms)."""
    _require_change(user)
    _in_scope(user, enterprise)
    day = _check_day(added_on, "入库日期", "added_on")
    text = _check_reason(reason)
    with transaction.atomic():
        Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        _check_can_join(enterprise, day)
        return _create(user, enterprise, day, text, SeedlingMember.Source.MANUAL, None, ip)


@dataclass(frozen=True)
class Candidate:
    """An enterprise the latest screening found eligible for 小巨人 that does not hold it, not in the pool."""

    enterprise_id: int
    uscc: str
    name: str
    district: str


@dataclass(frozen=True)
class Candidates:
    run: AssessmentRun | None
    rows: tuple[Candidate, ...]


def candidates_for(user: User) -> Candidates:
    """The 小巨人 candidates of the latest finished application screening in the user's scope, minus those
    already in the pool or proposed (the "add candidates" page pre-selects them all)."""
    run = latest_run()
    if run is None or not may_change(user):
        return Candidates(run, ())
    rows = (
        candidates(run, TIER, district_of(user))
        .exclude(enterprise__seedling_spells__in=SeedlingMember.objects.filter(OPEN))
        .select_related("enterprise", "enterprise__district")
        .order_by("enterprise__district_id", "enterprise__name", "enterprise_id")
    )
    out = tuple(
        Candidate(
            r.enterprise_id,
            r.enterprise.uscc,
            r.enterprise.name,
            r.enterprise.district.name if r.enterprise.district else "",
        )
        for r in rows
    )
    return Candidates(run, out)


def add_candidates(
    user: User,
    enterprise_ids: Iterable[int],
    added_on: date | None,
    reason: str,
    *,
    ip: str = "",
) -> list[SeedlingMember]:
    """Add the chosen candidates of the latest screening (each must still be a candidate in the user's scope)."""
    _require_change(user)
    day = _check_day(added_on, "入库日期", "added_on")
    text = _check_reason(reason)
    found = candidates_for(user)
    wanted = set(enterprise_ids)
    if not wanted:
        raise SeedlingError("请至少选择一家企业", "enterprises")
    allowed = {c.enterprise_id for c in found.rows}
    if wanted - allowed:
        raise SeedlingError(
            "所选企业中有不属于最新筛查候选（或已在库、或不在本区县）的企业，请刷新后重试", "enterprises"
        )
    out = []
    with transaction.atomic():
        for ent in Enterprise.objects.select_for_update().filter(pk__in=sorted(wanted)).order_by("pk"):
            _check_can_join(ent, day)
            out.append(_create(user, ent, day, text, SeedlingMember.Source.SCREENING, found.run, ip))
    return out


def _member_in_scope(user: User, pk: int) -> SeedlingMember:
    m = members_for(user).filter(pk=pk).first()
    if m is None:
        raise LookupError(pk)
    return m


def get_member(user: User, pk: int) -> SeedlingMember:
    """One spell the user may see; ``LookupError`` otherwise (a 404 for the views)."""
    return _member_in_scope(user, pk)


def decide(
    user: User, member: SeedlingMember, confirm: bool, note: str = "", *, ip: str = ""
) -> SeedlingMember:
    """The city confirms or declines a district's proposal to add."""
    if not may_manage(user):
        raise SeedlingError("种苗库入库申请由市经信局确认")
    if member.status != SeedlingMember.Status.PROPOSED:
        raise SeedlingError("该记录不是待确认的入库申请")
    text = (note or "").strip()
    if not confirm and not text:
        raise SeedlingError("不予确认时请填写意见", "note")
    old = _audit_row(member)
    with transaction.atomic():
        member.status = SeedlingMember.Status.CONFIRMED if confirm else SeedlingMember.Status.DECLINED
        member.decided_by = user
        member.decided_at = timezone.now()
        member.decision_note = text[:REASON_MAX]
        member.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _record(AuditAction.UPDATE, user, member, "确认入库" if confirm else "不予入库", old, ip)
    return member


def remove(
    user: User, member: SeedlingMember, removed_on: date | None, reason: str, *, ip: str = ""
) -> SeedlingMember:
    """Remove a member (city: at once; district staff: a removal proposal the city confirms)."""
    _require_change(user)
    _in_scope(user, member.enterprise)
    if member.status != SeedlingMember.Status.CONFIRMED or member.removed_on is not None:
        raise SeedlingError("只能移出在库的企业")
    day = _check_day(removed_on, "移出日期", "removed_on")
    if day < member.added_on:
        raise SeedlingError(f"移出日期不能早于入库日期 {member.added_on.isoformat()}", "removed_on")
    text = _check_reason(reason)
    if not may_manage(user) and member.removal_proposed_on is not None:
        raise SeedlingError("已提出移出，等待市级确认")
    old = _audit_row(member)
    now = timezone.now()
    with transaction.atomic():
        member.removal_proposed_on = day
        member.removal_reason = text
        member.removal_proposed_by = user
        member.removal_proposed_at = now
        fields = ["removal_proposed_on", "removal_reason", "removal_proposed_by", "removal_proposed_at"]
        if may_manage(user):
            member.removed_on, member.removed_by, member.removed_at = day, user, now
            fields += ["removed_on", "removed_by", "removed_at"]
        member.save(update_fields=fields)
        _record(AuditAction.UPDATE, user, member, "移出" if may_manage(user) else "提出移出", old, ip)
    return member


def decide_removal(user: User, member: SeedlingMember, confirm: bool, *, ip: str = "") -> SeedlingMember:
    """The city confirms a district's removal proposal (the spell ends on the proposed day) or rejects it."""
    if not may_manage(user):
        raise SeedlingError("移出申请由市经信局确认")
    if member.removal_proposed_on is None or member.removed_on is not None:
        raise SeedlingError("该记录没有待确认的移出申请")
    old = _audit_row(member)
    with transaction.atomic():
        if confirm:
            member.removed_on, member.removed_by, member.removed_at = (
                member.removal_proposed_on,
                user,
                timezone.now(),
            )
            member.save(update_fields=["removed_on", "removed_by", "removed_at"])
        else:
            member.removal_proposed_on = None
            member.removal_reason = ""
            member.removal_proposed_by = None
            member.removal_proposed_at = None
            member.save(
                update_fields=[
                    "removal_proposed_on",
                    "removal_reason",
                    "removal_proposed_by",
                    "removal_proposed_at",
                ]
            )
        _record(AuditAction.UPDATE, user, member, "确认移出" if confirm else "不予移出", old, ip)
    return member


# --- counting -------------------------------------------------------------------------------------------------


def _recognitions(enterprise_ids: Iterable[int]) -> dict[int, list[date]]:
    out: dict[int, list[date]] = defaultdict(list)
    rows = Certification.objects.filter(
        enterprise_id__in=list(enterprise_ids), tier=TIER, recognized_on__isnull=False
    ).values_list("enterprise_id", "recognized_on")
    for eid, day in rows:
        if day is not None:
            out[eid].append(day)
    return out


def _confirmed(district: str | None) -> list[tuple[int, str, PoolSpell]]:
    qs = SeedlingMember.objects.filter(status=SeedlingMember.Status.CONFIRMED)
    if district:
        qs = qs.filter(enterprise__district_id=district)
    return [
        (eid, dist or "", PoolSpell(added, removed))
        for eid, dist, added, removed in qs.values_list(
            "enterprise_id", "enterprise__district_id", "added_on", "removed_on"
        )
    ]


@dataclass(frozen=True)
class PoolCount:
    """The pool on one day for the city (``district`` empty) or one district, and per district."""

    tally: PoolTally
    by_district: tuple[tuple[str, PoolTally], ...]  # (district code, tally), largest pool first

    @property
    def in_pool(self) -> int:
        return self.tally.in_pool

    @property
    def graduated(self) -> int:
        return self.tally.graduated


def pool_on(day: date, district: str | None = None) -> PoolCount:
    """Members in the pool and graduates on ``day`` (``district``: that district's enterprises only)."""
    spells = _confirmed(district)
    recs = _recognitions({eid for eid, _, _ in spells})
    groups: dict[str, list[tuple[int, PoolSpell]]] = defaultdict(list)
    for eid, dist, spell in spells:
        groups[dist].append((eid, spell))
    per = [(code, tally(group, recs, day)) for code, group in groups.items()]
    per.sort(key=lambda x: (-x[1].in_pool, -x[1].graduated, x[0]))
    return PoolCount(tally([(e, s) for e, _, s in spells], recs, day), tuple(per))


def pool_net_changes(years: Sequence[int], district: str | None = None) -> dict[int, int]:
    """Net change of the pool size over each full calendar year (for the projection)."""
    return {
        y: pool_on(date(y, 12, 31), district).in_pool - pool_on(date(y - 1, 12, 31), district).in_pool
        for y in years
    }


@dataclass(frozen=True)
class MemberView:
    """One spell as the list shows it: its state today and its graduation day."""

    member: SeedlingMember
    state: PoolState
    graduated_on: date | None

    @property
    def label(self) -> str:
        m = self.member
        if m.status == SeedlingMember.Status.PROPOSED:
            return "待市级确认入库"
        if m.status == SeedlingMember.Status.DECLINED:
            return "未予确认"
        if self.state is PoolState.GRADUATED:
            return "已获评小巨人（毕业）"
        if m.removed_on is not None and self.state is PoolState.OUTSIDE and m.removed_on <= _today():
            return "已移出"
        if m.removal_proposed_on is not None and m.removed_on is None:
            return "在库（移出待确认）"
        return "在库"


def views_of(members: Sequence[SeedlingMember], day: date) -> list[MemberView]:
    """Each spell with its state on ``day`` and its graduation day (one certification query)."""
    recs = _recognitions({m.enterprise_id for m in members})
    out = []
    for m in members:
        spell = PoolSpell(m.added_on, m.removed_on)
        confirmed = m.status == SeedlingMember.Status.CONFIRMED
        state = state_on(spell, recs.get(m.enterprise_id, ()), day) if confirmed else PoolState.OUTSIDE
        grad = graduation_day(spell, recs.get(m.enterprise_id, ())) if confirmed else None
        out.append(MemberView(m, state, grad))
    return out
