"""Programmes (申报批次): creating one with its budgets, where it stands, offers, applications and closing it.

Use ``create_programme`` (the city budget and each district's own are allocated through the ledger; the 公示
period is checked against the procedure's minimum), ``phase(programme, day)`` for where it stands (筹备、未开始、
受理中、受理截止、已结束 — every page and service asks it instead of the stored status), ``generate_offers``
(screening finds the enterprises whose recorded events qualify and creates an offer for each — with exactly
what is missing when data is incomplete — unless the matter is already held by another case, which the
summary names; it also recomputes the programme's cases not yet approved whose amount was still unset, so a
value the bureau has since set reaches them — they then go through the usual review), ``start_application``
(an enterprise applies for one of its events inside the window) and ``close_programme`` (no new cases; offers
and drafts nobody submitted lapse and free their matters).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from srdi.db.models import AuditAction, Case, Enterprise, Event, Programme, User
from srdi.domain.digits import is_digits
from srdi.domain.money import format_wan, format_yuan
from srdi.domain.permissions import Permission
from srdi.domain.policy.labels import ENTITLEMENT_STATUS_LABELS, NO_APPLICATION_STATUSES, event_title
from srdi.domain.policy.layering import versions_used
from srdi.domain.policy.params import ParamSet
from srdi.domain.reference import district_codes
from srdi.domain.workflow.definition import COMMITTED, OPEN
from srdi.services import audit, budgets, matters
from srdi.services import cases as case_service
from srdi.services.case_entitlement import enterprise_records, entitlement_from_records, records_for
from srdi.services.notify import Message, notify
from srdi.services.parameters import packs_in_force, parameter_set_label

OFFERABLE = ("granted", "needs_data")
# Cases an offers run may recompute: open and not yet approved (an approved case's amount is decided — it is
# committed in the ledger and never recomputed by a later parameter change).
BEFORE_APPROVAL = OPEN - COMMITTED
MIN_PUBLICITY = "procedure.publicity_min_working_days"
MAX_PUBLICITY_DAYS = 60


class Phase(enum.Enum):
    """Where a programme stands on a day (its stored status and its application window together)."""

    DRAFT = "筹备中"
    UPCOMING = "未开始受理"
    OPEN = "受理中"
    REVIEWING = "受理已截止（审核兑现中）"
    CLOSED = "已结束"

    @property
    def label(self) -> str:
        return self.value

    @property
    def takes_new_cases(self) -> bool:
        """Offers may be generated and confirmed, and drafts submitted, until the programme is closed."""
        return self not in (Phase.DRAFT, Phase.CLOSED)


def phase(programme: Programme, day: date | None = None) -> Phase:
    """The programme's phase on ``day`` (today in Hangzhou by default)."""
    day = day or case_service.today()
    if programme.status == Programme.Status.CLOSED:
        return Phase.CLOSED
    if programme.status == Programme.Status.DRAFT:
        return Phase.DRAFT
    if day < programme.opens_on:
        return Phase.UPCOMING
    if day > programme.closes_on:
        return Phase.REVIEWING
    return Phase.OPEN


def minimum_publicity(pack: str, day: date) -> int:
    """The procedure's minimum 公示 period in working days on ``day`` (a parameter, cited as srdi's decision)."""
    params = ParamSet.for_run(tuple(p for p in packs_in_force() if p.id == pack))
    value = params.value(MIN_PUBLICITY, day) if MIN_PUBLICITY in params.params else None
    return int(value) if value is not None else 0


class ProgrammeError(ValueError):
    """A programme or offer request that cannot be carried out; the message says why."""


@transaction.atomic
def create_programme(
    *,
    code: str,
    name: str,
    article: int,
    year: int,
    opens_on: date,
    closes_on: date,
    city_budget_fen: int,
    district_budget_fen: int = 0,
    district_budgets: Mapping[str, int] | None = None,
    city_pays_all: list[str] | None = None,
    pack: str = "hz81",
    mode: str = Programme.Mode.BOTH,
    publicity_days: int | None = None,
    quota: int | None = None,
    required_evidence: list[str] | None = None,
    description: str = "",
    actor: User | None = None,
) -> Programme:
    """A programme for one money measure with a city budget and each district's own.

    ``district_budgets`` gives each district its amount (a district left out or at 0 gets no budget: its awards
    can be approved only where the city pays all); ``district_budget_fen`` is the shorthand "the same amount
    for every district". ``publicity_days`` counts working days and may not be below the procedure's minimum
    (default: that minimum)."""
    packs = {p.id: p for p in packs_in_force()}
    if pack not in packs:
        raise ProgrammeError(f"未知政策包 {pack}")
    try:
        measure = packs[pack].measure(article)
    except KeyError:
        raise ProgrammeError(f"{pack} 没有第{article}条") from None
    if not measure.is_money:
        raise ProgrammeError(f"{measure.reference}不是资金类措施")
    if closes_on < opens_on:
        raise ProgrammeError("截止日期早于开始日期")
    if Programme.objects.filter(code=code).exists():
        raise ProgrammeError(f"批次编号 {code} 已存在，请换一个编号")
    minimum = minimum_publicity(pack, opens_on) if measure.events else 0
    days = minimum if publicity_days is None else publicity_days
    if not minimum <= days <= MAX_PUBLICITY_DAYS:
        raise ProgrammeError(
            f"公示期应为 {minimum}–{MAX_PUBLICITY_DAYS} 个工作日（下限见参数 {MIN_PUBLICITY}），实际为 {days}"
        )
    if district_budgets is not None and district_budget_fen:
        raise ProgrammeError("区县预算请逐区填写，或统一填写一个金额，不能同时使用")
    everyone_city = sorted(set(city_pays_all or []))
    unknown = set(everyone_city) - district_codes()
    if unknown:
        raise ProgrammeError(f"市级全额承担的区县代码无效：{'、'.join(sorted(unknown))}")
    per_district = (
        dict(district_budgets)
        if district_budgets is not None
        else {c: district_budget_fen for c in district_codes()}
    )
    programme = Programme.objects.create(
        code=code,
        name=name,
        pack=pack,
        article=article,
        year=year,
        opens_on=opens_on,
        closes_on=closes_on,
        mode=mode,
        publicity_days=days,
        quota=quota,
        required_evidence=required_evidence or [],
        city_pays_all=everyone_city,
        description=description,
        created_by=actor,
    )
    try:
        budgets.open_budgets(programme, city_budget_fen, per_district, actor)
    except budgets.BudgetError as exc:
        raise ProgrammeError(str(exc)) from None
    audit.record(
        AuditAction.CREATE,
        actor,
        object_type="programme",
        object_id=str(programme.pk),
        object_repr=name,
        new={
            "code": code,
            "article": article,
            "year": year,
            "city_budget_fen": city_budget_fen,
            "district_budgets": {c: v for c, v in sorted(per_district.items()) if v},
            "city_pays_all": everyone_city,
            "publicity_working_days": days,
        },
    )
    return programme


def close_programme(programme: Programme, actor: User, reason: str = "", ip: str = "") -> int:
    """Close a programme: no new offers or applications; offers, drafts and returned cases nobody (re)submitted
    lapse (freeing their matters for a later programme). Cases under review go on to review and payment.
    Returns the number of lapsed cases."""
    if not actor.can(Permission.PROGRAMME_MANAGE):
        raise ProgrammeError("申报批次由市经信局关闭")
    why = reason.strip() or f"批次“{programme.name}”已结束，未提交的事项失效"
    with transaction.atomic():
        # The row lock makes offers and applications being created at the same moment wait for the close
        # (they lock it too) and then see the programme closed.
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        if locked.status == Programme.Status.CLOSED:
            raise ProgrammeError("该批次已结束")
        Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.CLOSED)
        audit.record(
            AuditAction.UPDATE,
            actor,
            object_type="programme",
            object_id=str(programme.pk),
            object_repr=f"结束批次：{programme.name}",
            old={"status": programme.status},
            new={"status": Programme.Status.CLOSED, "reason": why},
            ip_address=ip,
        )
        lapsed = 0
        unsubmitted = Case.objects.select_for_update().filter(
            programme=programme, state__in=("offered", "draft", "returned")
        )
        for case_id in unsubmitted.values_list("pk", flat=True):
            case_service.transition(case_id, actor, "lapse", reason=why, by_service=True, ip=ip)
            lapsed += 1
    programme.status = Programme.Status.CLOSED
    return lapsed


@dataclass
class OfferSummary:
    """What an offers run did: new offers, matters already in this programme, matters held elsewhere (an open
    case of another programme, or paid in full already) with the case that holds each, cases whose unset amount
    was recomputed (``updated``), and the parameter set the run used (``parameters``: the baseline and the
    approved changes, ``versions``: those the new and updated cases' traces cite)."""

    created: int = 0
    existing: int = 0
    incomplete: int = 0
    updated: int = 0
    held: list[str] = field(default_factory=list)
    parameters: str = ""
    versions: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = (
            f"免申即享：新生成要约 {self.created} 个（其中数据不全 {self.incomplete} 个），"
            f"本批次已存在 {self.existing} 个"
        )
        if self.updated:
            text += f"；{self.updated} 个金额待定的事项已按现行标准重新测算（仍须按程序审核）"
        if self.held:
            text += f"；{len(self.held)} 个事项已由其他事项办理或已足额兑现，未重复生成"
        if self.parameters:
            text += f"；参数：{self.parameters}"
        return text + "。"


def _title(programme: Programme, record: dict[str, Any]) -> str:
    return f"{record['reference']} {record['title']}（{event_title(record['basis'][0]['event'])}）"


def _matter(record: dict[str, Any]) -> str:
    for b in record["basis"]:
        if b.get("type") == "overlap" and b.get("matter"):
            return str(b["matter"])
    return f"{record['measure']}|{record['event']}"


def _records_for(programme: Programme, enterprise: Enterprise) -> list[dict[str, Any]]:
    return _programme_records(programme, enterprise_records(enterprise))


def _programme_records(programme: Programme, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records that belong to the programme: its measure, events of its year."""
    out = []
    for record in records:
        if record["measure"] != programme.measure_id:
            continue
        day = record["basis"][0]["event"].get("date") or record["basis"][0]["event"].get("contract_date")
        if day and int(str(day)[:4]) != programme.year:
            continue
        out.append(record)
    return out


def generate_offers(programme: Programme, *, actor: User | None = None, enterprises=None) -> OfferSummary:  # type: ignore[no-untyped-def]
    """免申即享: create an offer for every qualifying recorded event (idempotent: one case per matter).

    A matter another case holds (open in another programme, or paid in full: the engine marks it superseded
    by the payment) gets no offer; the summary names the holding case. A paid matter whose entitlement is now
    higher gets an offer for the difference only (the engine's top-up)."""
    current = phase(programme)
    if not current.takes_new_cases:
        raise ProgrammeError(f"批次{current.label}，不能生成要约")
    summary = OfferSummary(parameters=parameter_set_label())
    cited: set[str] = set()
    qs = (
        enterprises
        if enterprises is not None
        else Enterprise.objects.filter(
            pk__in=Event.objects.filter(kind__in=_event_kinds(programme)).values("enterprise_id")
        )
    )
    districts = dict(qs.values_list("pk", "district_id"))
    unset = _unset_cases(programme, qs)
    for enterprise_id, records in records_for(qs):
        refreshed = set()
        for case in unset.get(enterprise_id, []):
            if _recompute_unset(case, records, actor, cited):
                summary.updated += 1
                refreshed.add(case.matter)
        for record in _programme_records(programme, records):
            if _paid_in_full(record):
                summary.held.append(_held_by_payment(enterprise_id, record))
                continue
            if record["status"] not in OFFERABLE or (
                record["status"] == "granted" and not record["amount_fen"]
            ):
                continue  # nothing to offer (e.g. a loan whose annual subsidy cap is already used up)
            try:
                with transaction.atomic():
                    if not _still_taking_cases(programme):
                        raise ProgrammeError("批次已在生成要约期间结束，其余要约未生成")
                    case = matters.open_case(
                        programme=programme,
                        enterprise_id=enterprise_id,
                        matter=_matter(record),
                        title=_title(programme, record),
                        origin=Case.Origin.OFFER,
                        state="offered",
                        district_code=districts[enterprise_id] or "",
                        entitlement_status=record["status"],
                        entitlement_fen=record["amount_fen"] if record["status"] == "granted" else None,
                        entitlement_trace=record,
                        missing=record.get("missing", []),
                        event=_event_of(enterprise_id, record),
                    )
                    audit.record(
                        AuditAction.CREATE,
                        actor,
                        object_type="case",
                        object_id=str(case.pk),
                        object_repr=f"免申即享：{case.title}",
                        new={"entitlement_fen": case.entitlement_fen, "missing": case.missing},
                    )
                    notify(
                        Message(
                            f"政策兑现提醒：{case.title}",
                            "系统根据已登记数据测算您可享受该政策，请确认意愿并填写收款账户。"
                            if not case.missing
                            else "请补充以下数据后确认：" + "、".join(case.missing),
                            f"/cases/{case.pk}/",
                            enterprise_id=enterprise_id,
                        )
                    )
            except matters.MatterHeld as held:
                if held.holder is not None and held.holder.programme_id == programme.pk:
                    summary.existing += 0 if held.holder.matter in refreshed else 1
                else:
                    summary.held.append(str(held))
                continue
            summary.created += 1
            summary.incomplete += 1 if case.missing else 0
            cited.update(versions_used(record))
    summary.versions = sorted(cited)
    audit.record(
        AuditAction.UPDATE,
        actor,
        object_type="programme",
        object_id=str(programme.pk),
        object_repr=f"免申即享要约生成：{programme.name}",
        new={
            "created": summary.created,
            "incomplete": summary.incomplete,
            "existing": summary.existing,
            "updated": summary.updated,
            "held": len(summary.held),
        },
        extra={"parameters": summary.parameters, "parameter_versions": summary.versions},
    )
    return summary


def _unset_cases(programme: Programme, enterprises: Any) -> dict[int, list[Case]]:
    """The programme's cases not yet approved whose amount was unset when last computed, by enterprise."""
    out: dict[int, list[Case]] = {}
    qs = Case.objects.select_related("programme", "enterprise").filter(
        programme=programme,
        state__in=BEFORE_APPROVAL,
        entitlement_status="amount_unset",
        enterprise_id__in=enterprises.values("pk"),
    )
    for case in qs.order_by("id"):
        out.setdefault(case.enterprise_id, []).append(case)
    return out


def _recompute_unset(case: Case, records: list[dict[str, Any]], actor: User | None, cited: set[str]) -> bool:
    """Recompute an ``amount_unset`` case from the run's records (the approval's own path,
    ``cases._refresh_entitlement``: top-ups and 从优、就高、不重复 stay in one place). Its state does not change:
    the amount is reviewed, published and approved as usual. False when the amount is still unset."""
    fresh = entitlement_from_records(case, records)
    if fresh.status == "amount_unset" or not fresh.record.get("measure"):
        return False
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("programme", "enterprise").get(pk=case.pk)
        if locked.state not in BEFORE_APPROVAL or locked.entitlement_status != "amount_unset":
            return False  # moved on (or refreshed by a concurrent run) since it was read
        old = {"entitlement_status": locked.entitlement_status, "entitlement_fen": locked.entitlement_fen}
        case_service._refresh_entitlement(locked, fresh)
        locked.save(
            update_fields=[
                "entitlement_status",
                "entitlement_fen",
                "entitlement_trace",
                "paid_for_matter_fen",
                "missing",
            ]
        )
        versions = versions_used(locked.entitlement_trace)
        cited.update(versions)
        audit.record(
            AuditAction.UPDATE,
            actor,
            object_type="case",
            object_id=str(locked.pk),
            object_repr=f"金额标准已公布，重新测算：{locked.title}",
            old=old,
            new={"entitlement_status": locked.entitlement_status, "entitlement_fen": locked.entitlement_fen},
            extra={"parameter_versions": versions, "reason": "amount_set"},
        )
        amount = (
            f"测算金额 {format_wan(locked.entitlement_fen)}"
            if locked.entitlement_fen is not None
            else ENTITLEMENT_STATUS_LABELS.get(locked.entitlement_status, locked.entitlement_status)
        )
        notify(
            Message(
                f"金额标准已公布：{locked.title}",
                f"该事项的金额标准已公布，系统已重新测算（{amount}），仍须按程序审核、公示后兑现。",
                f"/cases/{locked.pk}/",
                enterprise_id=locked.enterprise_id,
            )
        )
    case.entitlement_status, case.entitlement_fen = locked.entitlement_status, locked.entitlement_fen
    return True


def _still_taking_cases(programme: Programme) -> bool:
    """Re-read the programme's status under a row lock (taken by ``close_programme`` too) before a new case."""
    status = Programme.objects.select_for_update().values_list("status", flat=True).get(pk=programme.pk)
    return bool(status == Programme.Status.OPEN)


def _paid_in_full(record: dict[str, Any]) -> bool:
    """The engine superseded the record because payments already made for its matter reach its amount."""
    return record["status"] == "superseded" and str(record.get("superseded_by") or "").startswith("已支付")


def _held_by_payment(enterprise_id: int, record: dict[str, Any]) -> str:
    matter = _matter(record)
    paid = matters.net_paid(enterprise_id, matter)
    cases = Case.objects.filter(enterprise_id=enterprise_id, matter=matter, payments__isnull=False).distinct()
    names = "、".join(f"#{c.pk}" for c in cases.order_by("id")) or "历史支付"
    return (
        f"同一事项已由事项 {names} 兑现 {format_yuan(paid)}，本次测算金额不高于已兑现金额，"
        "不能重复兑现（从优、就高、不重复）"
    )


def _event_kinds(programme: Programme) -> list[str]:
    pack = next(p for p in packs_in_force() if p.id == programme.pack)
    return list(pack.measure(programme.article).events)


def _event_of(enterprise_id: int, record: dict[str, Any]) -> Event | None:
    """The stored event a record is about: by its key, else by kind and date (``#n`` = the n-th that day)."""
    inputs = record["basis"][0]["event"]
    key = inputs.get("project_id") or inputs.get("loan_id") or inputs.get("scene_id") or ""
    qs = Event.objects.filter(enterprise_id=enterprise_id, kind=record["event_kind"])
    if key:
        return qs.filter(key=key).order_by("id").first()
    day = inputs.get("date") or inputs.get("contract_date")
    if day:
        qs = qs.filter(date=day)
    label = str(record.get("event") or "")
    nth = int(label.rsplit("#", 1)[1]) if "#" in label and is_digits(label.rsplit("#", 1)[1]) else 1
    return qs.order_by("id")[nth - 1 : nth].first()


def start_application(programme: Programme, user: User, event: Event) -> Case:
    """An enterprise applies for one of its recorded events under a programme (a draft case).

    Only while the programme is 受理中: inside its window ``opens_on``..``closes_on`` (Hangzhou business date,
    both days included) and not closed; staff still generate 免申即享 offers until it is closed. A matter
    another case holds is refused with that case named."""
    if not user.can(Permission.CASE_APPLY) or user.enterprise_id != event.enterprise_id:
        raise ProgrammeError("只能为本企业申报")
    if programme.mode == Programme.Mode.OFFER:
        raise ProgrammeError("该批次为免申即享，无需申报")
    on = case_service.today()
    current = phase(programme, on)
    if current is not Phase.OPEN:
        raise ProgrammeError(
            f"该批次{current.label}：受理期为 {programme.opens_on} 至 {programme.closes_on}，今天是 {on}"
        )
    records = [
        r
        for r in _records_for(programme, event.enterprise)
        if r["event_kind"] == event.kind and (not event.key or r["event"] == event.key)
    ]
    if not records:
        raise ProgrammeError("该事件不属于本批次的兑现范围")
    record = records[0]
    if _paid_in_full(record):
        raise ProgrammeError(_held_by_payment(event.enterprise_id, record))
    if record["status"] in NO_APPLICATION_STATUSES:
        label = ENTITLEMENT_STATUS_LABELS.get(record["status"], record["status"])
        raise ProgrammeError(f"测算结论为“{label}”：{record['explanation']}")
    matter = _matter(record)
    existing = Case.objects.filter(programme=programme, enterprise=event.enterprise, matter=matter).first()
    if existing is not None and existing.state in OPEN:
        return existing  # applying twice, or for an offer already made, opens the same case
    with transaction.atomic():
        if not _still_taking_cases(programme):
            raise ProgrammeError("该批次已结束，不再受理")
        try:
            case = matters.open_case(
                programme=programme,
                enterprise_id=event.enterprise_id,
                matter=matter,
                title=_title(programme, record),
                origin=Case.Origin.APPLICATION,
                state="draft",
                district_code=event.enterprise.district_id or "",
                entitlement_status=record["status"],
                entitlement_fen=record["amount_fen"] if record["status"] == "granted" else None,
                entitlement_trace=record,
                missing=record.get("missing", []),
                event=event,
            )
        except matters.MatterHeld as held:
            raise ProgrammeError(str(held)) from None
        audit.record(
            AuditAction.CREATE,
            user,
            object_type="case",
            object_id=str(case.pk),
            object_repr=f"申报：{case.title}",
            new={"entitlement_fen": case.entitlement_fen},
        )
    return case
