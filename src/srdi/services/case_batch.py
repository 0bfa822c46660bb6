"""Taking one transition on many cases at once, with exactly the rules of ``services.cases.transition``.

Use ``transition_many(moves, name)`` when a service or ``srdi demo`` moves hundreds or thousands of cases the same
step (``moves`` is a list of (case id, acting user)). Each case goes through ``cases.take`` — the same lock,
guards, effects (budgets and the ledger on approval), saved transition and notification as one
``transition`` call — under its own savepoint, so a refused case is rolled back alone, its refusal audited,
and the others go on. What is batched is only what costs without protecting anything: the entitlements of
``city_pass``/``approve`` are recomputed for all the cases' enterprises in one engine run per 2,000 (checked
under each case's lock against the matter's payments, as ``transition`` does), the audit events are written
with ``audit.record_many`` and the transaction commits once per chunk of ``CHUNK`` cases. The audit events come
out in the order one-by-one calls would write them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from srdi.db.models import Case, Enterprise, Payment, PaymentRun, User
from srdi.domain.verdict import Verdict
from srdi.services import audit
from srdi.services.case_entitlement import current_entitlement, entitlement_from_records, records_for
from srdi.services.cases import (
    RECOMPUTED_AT,
    Outcome,
    TransitionRefused,
    _paid_marker,
    refusal_entry,
    take,
    today,
)

CHUNK = 500  # cases per transaction (one commit, one audit write)


@dataclass
class BatchResult:
    """What ``transition_many`` did: the outcomes of the cases moved, in order, and the refused cases' reasons."""

    done: list[Outcome] = field(default_factory=list)
    refused: dict[int, Verdict] = field(default_factory=dict)

    @property
    def moved_ids(self) -> list[int]:
        return [outcome.case.pk for outcome in self.done]


def precompute(case_ids: Sequence[int], name: str) -> dict[int, tuple[Any, tuple[int, int]]]:
    """For a recomputing transition: case id → (entitlement now, the matter's payment marker), read outside the
    write transaction. A case with payments of its own is computed alone (its own payments are left out of its
    history, as ``current_entitlement`` does); the others share one engine run per chunk of enterprises."""
    if name not in RECOMPUTED_AT or not case_ids:
        return {}
    cases = list(Case.objects.select_related("programme", "enterprise").filter(pk__in=list(case_ids)))
    own_paid = set(Payment.objects.filter(case_id__in=list(case_ids)).values_list("case_id", flat=True))
    shared = {c.enterprise_id for c in cases if c.pk not in own_paid}
    records = dict(records_for(Enterprise.objects.filter(pk__in=shared))) if shared else {}
    out = {}
    for case in cases:
        if case.pk in own_paid:
            entitlement = current_entitlement(case)
        else:
            entitlement = entitlement_from_records(case, records.get(case.enterprise_id, []))
        out[case.pk] = (entitlement, _paid_marker(case))
    return out


def transition_many(
    moves: Sequence[tuple[int, User]],
    name: str,
    *,
    reason: str = "",
    on: date | None = None,
    ip: str = "",
    by_service: bool = False,
    run: PaymentRun | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Take transition ``name`` on every case of ``moves`` (case id, acting user), in the given order.

    A case may appear once. Refusals do not raise: they are audited as ``transition`` audits them and returned in
    ``refused``. ``progress`` is called with the number of cases handled after each chunk."""
    ids = [case_id for case_id, _ in moves]
    if len(set(ids)) != len(ids):
        raise ValueError("transition_many: a case appears twice")
    on = on or today()
    result = BatchResult()
    for start in range(0, len(moves), chunk):
        part = moves[start : start + chunk]
        ready = precompute([case_id for case_id, _ in part], name)
        entries: list[audit.Entry] = []
        with transaction.atomic():
            for case_id, user in part:
                precomputed, marker = ready.get(case_id, (None, None))
                try:
                    with transaction.atomic():  # a savepoint: a refused case is rolled back alone
                        outcome = take(
                            case_id,
                            user,
                            name,
                            record=entries.append,
                            reason=reason,
                            on=on,
                            ip=ip,
                            by_service=by_service,
                            run=run,
                            precomputed=precomputed,
                            marker=marker,
                        )
                except TransitionRefused as refused:
                    entries.append(refusal_entry(case_id, user, name, refused, ip))
                    result.refused[case_id] = refused.verdict
                    continue
                result.done.append(outcome)
            audit.record_many(entries)
        if progress is not None:
            progress(len(part))
    return result
