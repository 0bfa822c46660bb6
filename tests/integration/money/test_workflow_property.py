"""A stateful property test: random roles × actions × cases never produce an illegal transition, a
self-approval, a city review by an earlier district reviewer, an approval above the entitlement (or of 0), a
scheduled case outside a payment run, or a transition without an audit event."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from tests.integration.money.conftest import build_world

from srdi.db.models import AuditEvent, BudgetAccount, Case, CaseTransition, Objection, PaymentRun
from srdi.domain.workflow.definition import TRANSITIONS
from srdi.services.cases import (
    TransitionRefused,
    raise_objection,
    resolve_objection,
    transition,
    update_claim,
)
from srdi.services.payments import PaymentConflict, disburse

pytestmark = pytest.mark.django_db
DAYS = [date.today(), date.today() + timedelta(days=30)]
REACHED: set[str] = set()
NEXT = {  # a plausible next step per state, so that random runs also get far down the workflow
    "offered": ("confirm", "enterprise", 0),
    "draft": ("submit", "enterprise", 0),
    "returned": ("submit", "enterprise", 0),
    "submitted": ("accept", "district", 0),
    "district_review": ("district_pass", "district", 0),
    "city_review": ("city_pass", "city_staff", 0),
    "publicity": ("approve", "city_admin", 1),
    "approved": ("schedule_payment", "finance", 0),
    "payment_failed": ("schedule_payment", "finance", 0),
}
USERS = [
    "enterprise",
    "district",
    "other_district",
    "city_staff",
    "city_admin",
    "city_admin2",
    "finance",
    "auditor",
]


def machine_for(world):
    cases = [world.case(e).pk for e in world.enterprises]
    from srdi.services.accounts import create_user

    owners = {}
    for e in world.enterprises:
        owners[e.pk] = (
            world.users["enterprise"]
            if world.users["enterprise"].enterprise_id == e.pk
            else create_user(
                username=f"prop_{e.pk}",
                password="x",
                role="enterprise",
                enterprise_uscc=e.uscc,
                check_password=False,
            )
        )

    class Workflow(RuleBasedStateMachine):
        @initialize()
        def begin(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def _user(self, key, case_id):
            if key == "enterprise":
                return owners[Case.objects.get(pk=case_id).enterprise_id]
            return world.users[key]

        @rule(
            case=st.sampled_from(cases),
            who=st.sampled_from(USERS),
            name=st.sampled_from(sorted(TRANSITIONS)),
            day=st.sampled_from(DAYS),
            reason=st.sampled_from(["", "材料不全"]),
            factor=st.sampled_from([None, 0.5, 1.0, 1.5]),
        )
        def act(self, case, who, name, day, reason, factor):
            current = Case.objects.get(pk=case)
            requested = (
                None
                if factor is None or current.entitlement_fen is None
                else int(current.entitlement_fen * factor)
            )
            with contextlib.suppress(TransitionRefused):
                transition(case, self._user(who, case), name, reason=reason, on=day, requested_fen=requested)

        @rule(case=st.sampled_from(cases))
        def advance(self, case):
            current = Case.objects.get(pk=case)
            if current.state == "payment_scheduled":
                with contextlib.suppress(TransitionRefused, PaymentConflict):
                    disburse(case, current.approved_fen or 0, f"prop-{case}", actor=world.users["finance"])
            elif current.state in NEXT:
                name, who, day = NEXT[current.state]
                if name == "confirm":
                    self.claim(case, "enterprise")
                with contextlib.suppress(TransitionRefused):
                    # scheduling is the payment service's move (as create_payment_run makes it, into a run)
                    scheduling = name == "schedule_payment"
                    transition(
                        case,
                        self._user(who, case),
                        name,
                        on=DAYS[day],
                        by_service=scheduling,
                        run=PaymentRun.objects.create(created_by=world.users["finance"])
                        if scheduling
                        else None,
                    )
            REACHED.add(Case.objects.get(pk=case).state)

        @rule(case=st.sampled_from(cases), who=st.sampled_from(USERS))
        def claim(self, case, who):
            with contextlib.suppress(TransitionRefused):
                update_claim(
                    case,
                    self._user(who, case),
                    bank_account_name="甲",
                    bank_name="乙",
                    bank_account_number="62220202000012",
                )

        @rule(case=st.sampled_from(cases), upheld=st.booleans())
        def objection(self, case, upheld):
            try:
                objection = raise_objection(case, world.users["city_staff"], name="甲", text="异议")
                resolve_objection(objection.pk, world.users["city_admin"], upheld=upheld, resolution="已核实")
            except TransitionRefused:
                pass

        @rule(case=st.sampled_from(cases), delta=st.sampled_from([0, 1]))
        def pay(self, case, delta):
            current = Case.objects.get(pk=case)
            with contextlib.suppress(TransitionRefused, PaymentConflict):
                disburse(
                    case, (current.approved_fen or 0) + delta, f"prop-{case}", actor=world.users["finance"]
                )

        @invariant()
        def only_legal_transitions(self):
            for t in CaseTransition.objects.select_related("actor"):
                spec = TRANSITIONS[t.name]
                assert t.from_state in spec.sources and t.to_state == spec.target, (
                    t.name,
                    t.from_state,
                    t.to_state,
                )
                assert t.actor is None or t.actor.role in spec.roles, (t.name, t.actor.role)

        @invariant()
        def no_self_approval_and_within_entitlement(self):
            for c in Case.objects.exclude(approver=None):
                reviewers = set(
                    c.transitions.filter(
                        name__in=("accept", "district_pass", "city_pass", "return")
                    ).values_list("actor_id", flat=True)
                )
                assert c.approver_id not in reviewers
                if c.approved_fen is not None:
                    assert 0 < c.approved_fen <= (c.entitlement_fen or 0)

        @invariant()
        def no_district_reviewer_ever_does_the_city_review(self):
            # Across every round of return and resubmission: whoever took a district-stage step before a city
            # pass (accept, district pass, or a return from district review) is not the one who passes it.
            for case_id in cases:
                district_stage: set[int] = set()
                for t in CaseTransition.objects.filter(case_id=case_id).order_by("id"):
                    if t.name == "city_pass":
                        assert t.actor_id not in district_stage, (case_id, t.actor_id, district_stage)
                    elif t.name in ("accept", "district_pass") or (
                        t.name == "return" and t.from_state == "district_review"
                    ):
                        district_stage.add(t.actor_id)

        @invariant()
        def scheduled_cases_belong_to_a_run(self):
            assert not Case.objects.filter(state="payment_scheduled", payment_run__isnull=True).exists()

        @invariant()
        def every_transition_is_audited(self):
            for case_id in cases:
                moves = CaseTransition.objects.filter(case_id=case_id).count()
                audited = AuditEvent.objects.filter(
                    object_type="case", object_id=str(case_id), action="transition", success=True
                ).count()
                assert moves == audited, (case_id, moves, audited)

        @invariant()
        def budgets_hold(self):
            for b in BudgetAccount.objects.all():
                assert 0 <= b.paid_fen <= b.used_fen <= b.cap_fen

    return Workflow


def test_random_roles_actions_and_cases_keep_the_rules(db):
    world = build_world(n=3, publicity_days=5)
    Workflow = machine_for(world)
    Workflow.TestCase.settings = settings(
        max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
    )
    Workflow.TestCase().runTest()
    assert Objection.objects.count() == 0  # every example rolled back to the savepoint
    assert {"publicity", "approved", "paid"} <= REACHED, REACHED  # the runs really went through the workflow
