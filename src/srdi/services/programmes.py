"""Creating programmes (申报批次) with their budgets, and generating 免申即享 offers and applications.

Use ``create_programme`` (the city and district budgets are allocated through the ledger), ``generate_offers``
(screening finds the enterprises whose recorded events qualify and creates an offer for each — with exactly
what is missing when data is incomplete) and ``start_application`` (an enterprise applies for one of its events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from srdi.db.models import AuditAction, Case, Enterprise, Event, Programme, User
from srdi.domain.digits import is_digits
from srdi.domain.policy.labels import event_title
from srdi.domain.policy.loader import load_packs
from srdi.domain.reference import district_codes
from srdi.services import audit, ledger
from srdi.services import cases as case_service
from srdi.services.case_entitlement import enterprise_records, records_for
from srdi.services.notify import Message, notify

OFFERABLE = ("granted", "needs_data")


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
    pack: str = "hz81",
    mode: str = Programme.Mode.BOTH,
    publicity_days: int = 7,
    quota: int | None = None,
    required_evidence: list[str] | None = None,
    description: str = "",
    actor: User | None = None,
) -> Programme:
    """A programme for one money measure with a city budget and (optionally) the same budget per district."""
    packs = {p.id: p for p in load_packs()}
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
    programme = Programme.objects.create(
        code=code,
        name=name,
        pack=pack,
        article=article,
        year=year,
        opens_on=opens_on,
        closes_on=closes_on,
        mode=mode,
        publicity_days=publicity_days,
        quota=quota,
        required_evidence=required_evidence or [],
        description=description,
        created_by=actor,
    )
    ledger.open_budget(programme.pk, year, "city", "", city_budget_fen, actor)
    if district_budget_fen:
        for code_ in sorted(district_codes()):
            ledger.open_budget(programme.pk, year, "district", code_, district_budget_fen, actor)
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
            "district_budget_fen": district_budget_fen,
        },
    )
    return programme


@dataclass
class OfferSummary:
    created: int = 0
    existing: int = 0
    incomplete: int = 0


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
    """免申即享: create an offer for every qualifying recorded event (idempotent: one case per matter)."""
    summary = OfferSummary()
    qs = (
        enterprises
        if enterprises is not None
        else Enterprise.objects.filter(
            pk__in=Event.objects.filter(kind__in=_event_kinds(programme)).values("enterprise_id")
        )
    )
    districts = dict(qs.values_list("pk", "district_id"))
    for enterprise_id, records in records_for(qs):
        for record in _programme_records(programme, records):
            if record["status"] not in OFFERABLE or (
                record["status"] == "granted" and not record["amount_fen"]
            ):
                continue  # nothing to offer (e.g. a loan whose annual subsidy cap is already used up)
            try:
                with transaction.atomic():
                    case = Case.objects.create(
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
            except IntegrityError:
                summary.existing += 1
                continue
            summary.created += 1
            summary.incomplete += 1 if case.missing else 0
    return summary


def _event_kinds(programme: Programme) -> list[str]:
    pack = next(p for p in load_packs() if p.id == programme.pack)
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

    Only inside the programme's window ``opens_on``..``closes_on`` (Hangzhou business date, both days
    included); staff still generate 免申即享 offers at any time."""
    if user.role != "enterprise" or user.enterprise_id != event.enterprise_id:
        raise ProgrammeError("只能为本企业申报")
    if programme.mode == Programme.Mode.OFFER:
        raise ProgrammeError("该批次为免申即享，无需申报")
    on = case_service.today()
    if not programme.opens_on <= on <= programme.closes_on:
        raise ProgrammeError(
            f"不在受理期内：该批次受理期为 {programme.opens_on} 至 {programme.closes_on}，今天是 {on}"
        )
    records = [
        r
        for r in _records_for(programme, event.enterprise)
        if r["event_kind"] == event.kind and (not event.key or r["event"] == event.key)
    ]
    if not records:
        raise ProgrammeError("该事件不属于本批次的兑现范围")
    record = records[0]
    if record["status"] in ("not_eligible", "outside_policy_window", "superseded"):
        raise ProgrammeError(f"测算结论为“{record['status']}”：{record['explanation']}")
    with transaction.atomic():
        existing = Case.objects.filter(
            programme=programme, enterprise=event.enterprise, matter=_matter(record)
        ).first()
        if existing:
            return existing
        case = Case.objects.create(
            programme=programme,
            enterprise=event.enterprise,
            matter=_matter(record),
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
        audit.record(
            AuditAction.CREATE,
            user,
            object_type="case",
            object_id=str(case.pk),
            object_repr=f"申报：{case.title}",
            new={"entitlement_fen": case.entitlement_fen},
        )
    return case
