"""``case_batch.transition_many`` does exactly what one ``transition`` call per case does.

The same steps are taken twice on the same cases from the same starting point — once one case at a time with
``transition``, once with ``transition_many`` in small chunks — and everything written is compared row by row in
order: case rows, saved transitions, audit events (refusals included, at the same place), ledger entries and
lines, budgets. A tight city budget makes some approvals refused and one district reviewer from another district
is refused for being out of scope, so refusals are part of what is compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from srdi.db.models import AuditEvent, BudgetAccount, Case, CaseTransition, LedgerEntry, LedgerLine, User
from srdi.services.accounts import create_user
from srdi.services.case_batch import transition_many
from srdi.services.cases import TransitionRefused, transition, update_claim

from .conftest import AFTER_PUBLICITY, build_world

pytestmark = pytest.mark.django_db

Moves = list[tuple[int, User]]


def _written() -> dict[str, list[Any]]:
    """Everything a transition writes, in write order, without clock times and hashes."""
    return {
        "cases": list(
            Case.objects.order_by("id").values(
                "id",
                "state",
                "entitlement_status",
                "entitlement_fen",
                "entitlement_trace",
                "paid_for_matter_fen",
                "matter_entitlement_fen",
                "approved_fen",
                "city_fen",
                "district_fen",
                "publicity_starts_on",
                "publicity_ends_on",
                "submitted_by_id",
                "district_reviewer_id",
                "city_reviewer_id",
                "approver_id",
                "last_reason",
            )
        ),
        "transitions": list(
            CaseTransition.objects.order_by("id").values(
                "case_id", "name", "from_state", "to_state", "actor_id", "reason", "before", "after"
            )
        ),
        "audit": list(
            AuditEvent.objects.order_by("seq").values(
                "seq",
                "actor_id",
                "action",
                "object_type",
                "object_id",
                "object_repr",
                "success",
                "old",
                "new",
                "extra",
            )
        ),
        "ledger": list(
            LedgerEntry.objects.order_by("seq").values(
                "seq", "kind", "case_id", "amount_fen", "memo", "actor_label"
            )
        ),
        "lines": list(
            LedgerLine.objects.order_by("id").values("entry__seq", "account__code", "debit_fen", "credit_fen")
        ),
        "budgets": list(BudgetAccount.objects.order_by("id").values("id", "cap_fen", "used_fen", "paid_fen")),
    }


def _one_by_one(moves: Moves, name: str, **kwargs: Any) -> None:
    for case_id, user in moves:
        try:
            transition(case_id, user, name, **kwargs)
        except TransitionRefused:
            continue


def _batched(moves: Moves, name: str, **kwargs: Any) -> None:
    transition_many(moves, name, chunk=2, **kwargs)


def _run(steps: Callable[[], list[tuple[Moves, str, dict[str, Any]]]], take: Callable[..., None]) -> dict:
    """Take the steps with ``take`` inside a savepoint, read what was written, then roll it back."""
    with transaction.atomic():
        for moves, name, kwargs in steps():
            take(moves, name, **kwargs)
        written = _written()
        transaction.set_rollback(True)
    return written


def test_a_batch_writes_exactly_what_one_transition_per_case_writes():
    # each award is 200万; a city budget of 300万 covers some of the approvals only
    world = build_world(n=5, city_budget=300_0000_00)
    users = world.users
    cases = list(Case.objects.filter(programme=world.programme).select_related("enterprise").order_by("id"))
    assert len(cases) == 5
    for i, case in enumerate(cases):
        owner = create_user(
            username=f"w_owner{i}",
            password="x",
            role="enterprise",
            enterprise_uscc=case.enterprise.uscc,
            check_password=False,
        )
        update_claim(
            case.pk,
            owner,
            bank_account_name="演示",
            bank_name="杭州银行",
            bank_account_number="6222020200001",
        )
        transition(case.pk, owner, "confirm")

    def steps() -> list[tuple[Moves, str, dict[str, Any]]]:
        # the first case's reviewer is of another district: refused (out of scope), it stays at district review;
        # a refusal before a move in the same chunk shows that the audit events keep their order
        district = [
            (c.pk, users["other_district"] if i == 0 else users["district"]) for i, c in enumerate(cases)
        ]
        return [
            (district, "district_pass", {}),
            ([(c.pk, users["city_staff"]) for c in cases], "city_pass", {}),
            ([(c.pk, users["city_admin"]) for c in cases], "approve", {"on": AFTER_PUBLICITY}),
        ]

    one = _run(steps, _one_by_one)
    many = _run(steps, _batched)
    assert many == one
    states = [row["state"] for row in one["cases"]]
    assert "approved" in states and "district_review" in states and "publicity" in states
    refusals = {row["extra"]["code"] for row in one["audit"] if not row["success"]}
    assert "budget" in refusals and len(refusals) >= 2, refusals


def test_a_case_may_appear_once():
    world = build_world(n=1)
    case = Case.objects.get(programme=world.programme)
    with pytest.raises(ValueError):
        transition_many(
            [(case.pk, world.users["district"]), (case.pk, world.users["district"])], "district_pass"
        )
