"""What a case is entitled to right now: the engine's answer for its event, counting payments already made.

Use ``current_entitlement(case)`` (approval calls it) and ``entitlement_for_event``: the enterprise's stored
profile and events go through ``srdi entitle``'s code with the payment history of the same matters, so an
award already paid under another case for the same matter reduces this one to a top-up (从优、就高、不重复).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from django.db.models import QuerySet
from django.utils import timezone

from srdi.db.models import Case, Enterprise, Payment
from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import records_by_enterprise
from srdi.domain.policy.engine import HISTORY_SCHEMA, entitle
from srdi.domain.tables import tables_from_profiles
from srdi.services.exports import CHUNK, profiles_from_db
from srdi.services.parameters import packs_in_force


@dataclass
class Entitlement:
    """The engine's answer for one case. ``amount_fen`` is what may still be paid under the case: already net of
    ``paid_before_fen`` (earlier payments for the same matter), 0 when nothing is left (从优、就高、不重复)."""

    status: str
    amount_fen: int | None
    record: dict[str, Any]
    paid_before_fen: int = 0
    missing: list[str] = field(default_factory=list)


def payment_history(eids: dict[int, int], exclude_case: int | None = None) -> pl.DataFrame:
    """Payments already made to the enterprises (enterprise pk → eid), keyed by the matter they paid for.

    ``year`` is the pool year of the matter (the year of the case's event date; for a loan its contract date),
    so that a 贴息 paid in January for a loan signed in December counts against the year of the contract. The
    payment date's year is used only when the case has no dated event — its year in Hangzhou (Asia/Shanghai),
    not the stored UTC one: a payment at 00:00–07:59 on 1 January belongs to the new year.
    """
    rows = []
    payments = Payment.objects.filter(
        case__enterprise_id__in=list(eids),
        bank_return__isnull=True,  # a payment sent back does not stand
    ).select_related("case", "case__event")
    if exclude_case is not None:
        payments = payments.exclude(case_id=exclude_case)
    for p in payments:
        event = p.case.event
        rows.append(
            {
                "eid": eids[p.case.enterprise_id],
                "group": p.case.matter.split("|", 1)[0],
                "matter": p.case.matter,
                "year": event.date.year
                if event is not None and event.date
                else timezone.localtime(p.paid_at).year,
                "paid_fen": p.amount_fen,
                "reference": f"事项#{p.case_id}",
            }
        )
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA) if rows else pl.DataFrame(schema=HISTORY_SCHEMA)


def records_for(
    enterprises: QuerySet[Enterprise], exclude_case: int | None = None
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(enterprise pk, entitlement records) for every enterprise, one engine run per chunk of 2,000.

    The engine is vectorised, so screening a whole programme this way costs about what one enterprise costs.
    """
    packs = packs_in_force()
    pks = dict(enterprises.values_list("uscc", "pk"))
    chunk: list[tuple[int, Any]] = []

    def flush() -> Iterator[tuple[int, list[dict[str, Any]]]]:
        eids = {pk: eid for eid, (pk, _) in enumerate(chunk)}
        tables = tables_from_profiles([profile for _, profile in chunk])
        result = entitle(tables, packs, history=payment_history(eids, exclude_case))
        by_eid = records_by_enterprise(result)
        for eid, (pk, _) in enumerate(chunk):
            yield pk, by_eid.get(eid, [])

    for profile, _ in profiles_from_db(enterprises):
        chunk.append((pks[profile["uscc"]], parse_profile(profile)))
        if len(chunk) == CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


def enterprise_records(enterprise: Enterprise, exclude_case: int | None = None) -> list[dict[str, Any]]:
    """Every entitlement record of the enterprise's recorded events, against its payment history."""
    for _, records in records_for(Enterprise.objects.filter(pk=enterprise.pk), exclude_case):
        return records
    return []


def event_day(case: Case) -> date:
    """The date the entitlement engine read its parameters on for the case: its event's (contract) date, else
    today in Hangzhou."""
    basis = (case.entitlement_trace or {}).get("basis") or [{}]
    inputs = basis[0].get("event") or {}
    raw = inputs.get("contract_date") or inputs.get("date")
    try:
        return date.fromisoformat(str(raw)) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def current_entitlement(case: Case) -> Entitlement:
    """The case's entitlement now (the record for its measure and event), net of earlier payments for its matter.

    A record the engine marks ``superseded`` (the matter was already paid in full, or a better award for it
    exists) is worth 0 here: nothing more may be paid under this case."""
    return entitlement_from_records(case, enterprise_records(case.enterprise, exclude_case=case.pk))


def entitlement_from_records(case: Case, records: list[dict[str, Any]]) -> Entitlement:
    """The case's entitlement read from records the engine already computed for its enterprise (an offers run
    computes them for a whole programme at once). The records must have been computed without the case's own
    payments — true of every case not yet approved, which is the only kind an offers run refreshes."""
    label = (case.entitlement_trace or {}).get("event")
    for record in records:
        if record["measure"] == case.programme.measure_id and record["event"] == label:
            paid = next(
                (b.get("paid_before_fen", 0) for b in record["basis"] if b.get("type") == "overlap"), 0
            )
            amount: int | None = None
            if record["status"] == "granted":
                amount = record["amount_fen"]
            elif record["status"] == "superseded":
                amount = 0
            return Entitlement(record["status"], amount, record, paid or 0, record.get("missing", []))
    return Entitlement("needs_data", None, {"event": label}, 0, ["events"])
