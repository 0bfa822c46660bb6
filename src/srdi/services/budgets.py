"""Programme budgets: the city's and each district's own, how an award is split between them, and adjustments.

Use ``open_budgets`` when a programme is created (a city amount and one amount per district, each allocated
through the ledger; a district at 0 gets no budget), ``suggest`` to propose those amounts from the entitlement
engine (the programme's measure and year over every recorded event, split by the fiscal shares — what the
awards would cost each side), ``city_share(programme, district, day)`` for the split the approval uses (the
district's ``fiscal_share`` parameter, or 1 where the programme says the city pays all), and
``propose_adjustment`` / ``decide_adjustment`` for later changes: an increase, a transfer between two budgets of
the programme or a release, each with a reason, approved by a second person and only then posted to the ledger
(a release or transfer never takes a budget below what it has committed or paid). ``history`` lists every
allocation and adjustment of a programme for its budget page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from srdi.db.models import (
    AuditAction,
    BudgetAccount,
    BudgetAdjustment,
    Case,
    Enterprise,
    Event,
    LedgerEntry,
    Programme,
    User,
)
from srdi.domain.money import split_city_district
from srdi.domain.permissions import Permission
from srdi.domain.policy.layering import versions_used
from srdi.domain.policy.params import ParamSet
from srdi.domain.reference import district_codes, district_name
from srdi.services import audit, ledger
from srdi.services.parameters import pack_in_force, packs_in_force, parameter_set_label

CITY = "city"
DEFAULT_CITY_SHARE = Decimal("0.5")


class BudgetError(ValueError):
    """A budget request that cannot be carried out; the message says why."""


def _params(pack: str) -> ParamSet:
    return ParamSet.for_run(tuple(p for p in packs_in_force() if p.id == pack))


def city_share(programme: Programme, district: str, day: date) -> Decimal:
    """The city's fraction of an award in ``district`` under ``programme`` on ``day``.

    ``BudgetError`` when the pack's cost-sharing rule is not known (hz25): money is never split by a guessed
    share — the programme must name the districts the city pays for in full, or wait for the rule."""
    if district in (programme.city_pays_all or []):
        return Decimal(1)
    pack = pack_in_force(programme.pack)
    if pack is not None and not pack.cost_sharing:
        raise BudgetError(
            f"{pack.title}的市、区（县、市）分担办法尚未公布，不能拆分 {district_name(district)} 的金额；"
            "请在批次中将该区县设为由市全额承担，或待分担办法公布后再审批"
        )
    params = _params(programme.pack)
    pid = f"fiscal_share.{district}"
    value = params.value(pid, day) if pid in params.params else None
    return value if value is not None else DEFAULT_CITY_SHARE


def estimated_split(case: Case) -> tuple[int | None, int | None]:
    """(city, district) of the case's entitlement as its approval would split it (unknown amount: None)."""
    from srdi.services.case_entitlement import event_day

    if case.entitlement_fen is None:
        return None, None
    return split_city_district(
        case.entitlement_fen, city_share(case.programme, case.district_code, event_day(case))
    )


def _check_amount(what: str, amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise BudgetError(f"{what}应为不小于 0 的整数分，实际为 {amount!r}")


def open_budgets(
    programme: Programme, city_fen: int, districts: Mapping[str, int], actor: User | None
) -> list[BudgetAccount]:
    """The programme's city budget and each district's (call inside the programme's creation)."""
    _check_amount("市级预算", city_fen)
    unknown = set(districts) - district_codes()
    if unknown:
        raise BudgetError(f"未知区县代码：{'、'.join(sorted(unknown))}")
    opened = [ledger.open_budget(programme.pk, programme.year, CITY, "", city_fen, actor)]
    for code in sorted(districts):
        amount = districts[code]
        _check_amount(f"{district_name(code)}预算", amount)
        if amount:
            opened.append(ledger.open_budget(programme.pk, programme.year, "district", code, amount, actor))
    return opened


@dataclass
class Suggestion:
    """What the programme's awards would cost each side, from the engine: a starting point for the budgets."""

    city_fen: int = 0
    districts: dict[str, int] = field(default_factory=dict)
    awards: int = 0
    incomplete: int = 0
    parameters: str = ""  # the parameter set the engine ran with (``parameter_set_label``)
    versions: list[str] = field(default_factory=list)  # the versions the counted awards' traces cite


def suggest(pack: str, article: int, year: int, city_pays_all: list[str] | None = None) -> Suggestion:
    """Sum the engine's granted awards of the measure for events of ``year``, split city/district."""
    from srdi.services.case_entitlement import records_for

    measure = next(p for p in packs_in_force() if p.id == pack).measure(article)
    out = Suggestion(
        districts={code: 0 for code in sorted(district_codes())}, parameters=parameter_set_label()
    )
    cited: set[str] = set()
    enterprises = Enterprise.objects.filter(
        pk__in=Event.objects.filter(kind__in=list(measure.events)).values("enterprise_id")
    )
    districts = dict(enterprises.values_list("pk", "district_id"))
    everyone_city = set(city_pays_all or [])
    for enterprise_id, records in records_for(enterprises):
        for record in records:
            if record["measure"] != measure.id or _year_of(record) != year:
                continue
            if record["status"] == "needs_data":
                out.incomplete += 1
            if record["status"] != "granted" or not record["amount_fen"]:
                continue
            out.awards += 1
            cited.update(versions_used(record))
            code = districts.get(enterprise_id) or ""
            city, district = int(record.get("city_fen") or 0), int(record.get("district_fen") or 0)
            if code in everyone_city or code not in out.districts:
                city, district = city + district, 0
            out.city_fen += city
            if district:
                out.districts[code] += district
    out.versions = sorted(cited)
    return out


def _year_of(record: dict[str, object]) -> int | None:
    inputs = record["basis"][0]["event"]  # type: ignore[index]
    day = inputs.get("date") or inputs.get("contract_date")
    return int(str(day)[:4]) if day else None


def _budget(programme: Programme, side: str) -> BudgetAccount | None:
    """The programme's budget for ``city`` or a district code (None when it has none)."""
    qs = BudgetAccount.objects.filter(programme=programme, year=programme.year)
    return (
        qs.filter(side=CITY).first()
        if side == CITY
        else qs.filter(side="district", district_code=side).first()
    )


def side_label(side: str) -> str:
    return "市级" if side == CITY else district_name(side)


def propose_adjustment(
    programme: Programme,
    *,
    kind: str,
    amount_fen: int,
    reason: str,
    actor: User,
    source: str = "",
    target: str = "",
    document: str = "",
) -> BudgetAdjustment:
    """Propose an increase (``target``), a release (``source``) or a transfer (both); nothing moves yet."""
    if not actor.can(Permission.BUDGET_PROPOSE):
        raise BudgetError("预算调整由市经信局工作人员提出")
    if kind not in BudgetAdjustment.Kind.values:
        raise BudgetError(f"未知调整类型 {kind!r}")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise BudgetError("调整金额须为大于 0 的整数分")
    if not reason.strip():
        raise BudgetError("请填写调整理由")
    needs = {"increase": ("target",), "release": ("source",), "transfer": ("source", "target")}[kind]
    sides = {"source": source, "target": target}
    for which in ("source", "target"):
        if (which in needs) != bool(sides[which]):
            raise BudgetError(
                f"{BudgetAdjustment.Kind(kind).label}须{'指定' if which in needs else '不指定'}"
                f"{'调出' if which == 'source' else '调入'}预算"
            )
        if sides[which] and sides[which] != CITY and sides[which] not in district_codes():
            raise BudgetError(f"未知区县代码 {sides[which]}")
    if source and source == target:
        raise BudgetError("调出与调入不能是同一预算")
    with transaction.atomic():
        source_budget = _budget(programme, source) if source else None
        if source and source_budget is None:
            raise BudgetError(f"{side_label(source)}没有本批次预算，无法调出")
        if source_budget is not None and source_budget.available_fen < amount_fen:
            raise BudgetError(
                f"{side_label(source)}可用额度 {source_budget.available_fen} 分，不足调出 {amount_fen} 分"
            )
        adjustment = BudgetAdjustment.objects.create(
            programme=programme,
            kind=kind,
            source=source_budget,
            target=_budget(programme, target) if target else None,
            target_side=target,
            amount_fen=amount_fen,
            reason=reason.strip()[:300],
            document=document.strip()[:200],
            requested_by=actor,
            requested_at=timezone.now(),
        )
        audit.record(
            AuditAction.CREATE,
            actor,
            object_type="budget_adjustment",
            object_id=str(adjustment.pk),
            object_repr=f"{programme.name}：{adjustment.get_kind_display()}（待审批）",
            new=_describe(adjustment),
        )
    return adjustment


def _describe(adjustment: BudgetAdjustment) -> dict[str, object]:
    return {
        "kind": adjustment.kind,
        "amount_fen": adjustment.amount_fen,
        "source": _side_of(adjustment.source),
        "target": adjustment.target_side or _side_of(adjustment.target),
        "reason": adjustment.reason,
        "document": adjustment.document,
        "status": adjustment.status,
    }


def sides_of(adjustment: BudgetAdjustment) -> set[str]:
    """The sides (``city`` or district codes) an adjustment touches."""
    out = {side for side in (_side_of(adjustment.source), adjustment.target_side) if side}
    return out


def _side_of(budget: BudgetAccount | None) -> str | None:
    if budget is None:
        return None
    return CITY if budget.side == CITY else budget.district_code


def decide_adjustment(
    adjustment_id: int, actor: User, *, approve: bool, reason: str = ""
) -> BudgetAdjustment:
    """Approve (post to the ledger) or refuse a proposed adjustment; never by the person who proposed it."""
    if not actor.can(Permission.BUDGET_APPROVE):
        raise BudgetError("预算调整由市级管理员审批")
    with transaction.atomic():
        adjustment = (
            BudgetAdjustment.objects.select_for_update(of=("self",))
            .select_related("programme", "source", "target")
            .filter(pk=adjustment_id)
            .first()
        )
        if adjustment is None:
            raise BudgetError("预算调整不存在")
        if adjustment.status != BudgetAdjustment.Status.PENDING:
            raise BudgetError(f"该调整已{adjustment.get_status_display()}")
        if adjustment.requested_by_id == actor.pk:
            raise BudgetError("提出人不能审批自己的预算调整（双人复核）")
        if not approve and not reason.strip():
            raise BudgetError("不予批准须填写理由")
        before = _describe(adjustment)
        if approve:
            memo = f"{adjustment.get_kind_display()}：{adjustment.reason}"[:255]
            try:
                adjustment.entry = _post(adjustment, actor, memo)
            except ledger.BudgetInUse as exc:
                raise BudgetError(
                    f"{side_label(_side_of(exc.budget) or '')}可用额度不足，不能调出 {exc.amount_fen} 分"
                ) from None
        adjustment.status = BudgetAdjustment.Status.APPROVED if approve else BudgetAdjustment.Status.REFUSED
        adjustment.decided_by, adjustment.decided_at = actor, timezone.now()
        adjustment.decision_reason = reason.strip()[:300]
        adjustment.save()
        audit.record(
            AuditAction.UPDATE,
            actor,
            object_type="budget_adjustment",
            object_id=str(adjustment.pk),
            object_repr=f"{adjustment.programme.name}：{adjustment.get_kind_display()}"
            f"（{adjustment.get_status_display()}）",
            old=before,
            new={
                **_describe(adjustment),
                "entry": adjustment.entry_id,
                "decision": adjustment.decision_reason,
            },
        )
    return adjustment


def _post(adjustment: BudgetAdjustment, actor: User, memo: str) -> LedgerEntry:
    amount = adjustment.amount_fen
    if adjustment.target is None and adjustment.target_side:
        # A district without a budget gets one when the increase or transfer to it is approved, not before.
        side = adjustment.target_side
        adjustment.target = ledger.open_budget(
            adjustment.programme_id,
            adjustment.programme.year,
            CITY if side == CITY else "district",
            "" if side == CITY else side,
            0,
            actor,
        )
    if adjustment.kind == BudgetAdjustment.Kind.INCREASE:
        assert adjustment.target is not None
        return ledger.allocate(adjustment.target, amount, actor=actor, memo=memo)
    if adjustment.kind == BudgetAdjustment.Kind.RELEASE:
        assert adjustment.source is not None
        return ledger.deallocate(adjustment.source, amount, actor=actor, memo=memo)
    assert adjustment.source is not None and adjustment.target is not None
    return ledger.transfer_between(adjustment.source, adjustment.target, amount, actor=actor, memo=memo)


@dataclass(frozen=True)
class BudgetEvent:
    """One line of a programme's budget history: an allocation or an adjustment, as posted or proposed;
    ``codes`` are the sides it touches (``city`` or district codes)."""

    at: object
    what: str
    sides: str
    amount_fen: int
    status: str
    actor: str
    reason: str
    adjustment: BudgetAdjustment | None = None
    codes: frozenset[str] = frozenset()


def history(programme: Programme) -> list[BudgetEvent]:
    """Every allocation (the budgets as set at creation) and every adjustment, newest first."""
    budgets = {b.pk: b for b in BudgetAccount.objects.filter(programme=programme)}
    codes = {f"B{pk}:appropriation": b for pk, b in budgets.items()}
    adjusted = set(BudgetAdjustment.objects.filter(programme=programme).values_list("entry_id", flat=True))
    out: list[BudgetEvent] = []
    entries = (
        LedgerEntry.objects.filter(kind="allocate", lines__account__code__in=list(codes))
        .exclude(pk__in=[e for e in adjusted if e])
        .distinct()
        .prefetch_related("lines__account")
    )
    for entry in entries:
        budget = next(codes[line.account.code] for line in entry.lines.all() if line.account.code in codes)
        out.append(
            BudgetEvent(
                entry.created_at,
                "下达",
                side_label(_side_of(budget) or ""),
                entry.amount_fen,
                "已生效",
                entry.actor_label,
                entry.memo,
            )
        )
    for adj in BudgetAdjustment.objects.filter(programme=programme).select_related(
        "source", "target", "requested_by", "decided_by"
    ):
        names = [_side_of(adj.source), adj.target_side or _side_of(adj.target)]
        sides = " → ".join(side_label(n) for n in names if n)
        out.append(
            BudgetEvent(
                adj.requested_at,
                adj.get_kind_display(),
                sides,
                adj.amount_fen,
                adj.get_status_display(),
                adj.requested_by.username + (f" / {adj.decided_by.username}" if adj.decided_by else ""),
                adj.reason,
                adj,
            )
        )
    out.sort(key=lambda e: e.at, reverse=True)  # type: ignore[arg-type, return-value]
    return out
