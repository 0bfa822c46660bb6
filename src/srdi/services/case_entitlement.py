"""What a case is entitled to right now: the engine's answer for its event, counting payments already made.

Use ``current_entitlement(case)`` (approval calls it) and ``entitlement_for_event``: the enterprise's stored
profile and events go through ``srdi entitle``'s code with the payment history of the same matters, so an
award already paid under another case for the same matter reduces this one to a top-up (从优、就高、不重复).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from srdi.db.models import Case, Enterprise, Payment
from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import records_by_enterprise
from srdi.domain.policy.engine import HISTORY_SCHEMA, entitle
from srdi.domain.policy.loader import load_packs
from srdi.domain.tables import tables_from_profiles
from srdi.services.exports import profiles_from_db


@dataclass
class Entitlement:
    status: str
    amount_fen: int | None
    record: dict[str, Any]
    paid_before_fen: int = 0
    missing: list[str] = field(default_factory=list)


def payment_history(enterprise_id: int, exclude_case: int | None = None) -> pl.DataFrame:
    """Payments already made to the enterprise, keyed by the matter they paid for."""
    rows = []
    payments = Payment.objects.filter(case__enterprise_id=enterprise_id).select_related(
        "case", "case__programme"
    )
    if exclude_case is not None:
        payments = payments.exclude(case_id=exclude_case)
    for p in payments:
        group = p.case.matter.split("|", 1)[0]
        rows.append(
            {
                "eid": 0,
                "group": group,
                "matter": p.case.matter,
                "year": p.paid_at.year,
                "paid_fen": p.amount_fen,
                "reference": f"事项#{p.case_id}",
            }
        )
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA) if rows else pl.DataFrame(schema=HISTORY_SCHEMA)


def enterprise_records(enterprise: Enterprise, exclude_case: int | None = None) -> list[dict[str, Any]]:
    """Every entitlement record of the enterprise's recorded events, against its payment history."""
    profile, _ = next(profiles_from_db(Enterprise.objects.filter(pk=enterprise.pk)))
    tables = tables_from_profiles([parse_profile(profile)])
    packs = load_packs()
    result = entitle(tables, packs, history=payment_history(enterprise.pk, exclude_case))
    return records_by_enterprise(result).get(0, [])


def current_entitlement(case: Case) -> Entitlement:
    """The case's entitlement now (the record for its measure and event)."""
    label = (case.entitlement_trace or {}).get("event")
    for record in enterprise_records(case.enterprise, exclude_case=case.pk):
        if record["measure"] == case.programme.measure_id and record["event"] == label:
            paid = next(
                (b.get("paid_before_fen", 0) for b in record["basis"] if b.get("type") == "overlap"), 0
            )
            amount = record["amount_fen"] if record["status"] == "granted" else None
            return Entitlement(record["status"], amount, record, paid or 0, record.get("missing", []))
    return Entitlement("needs_data", None, {"event": label}, 0, ["events"])
