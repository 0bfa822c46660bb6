"""Separation of duties survives a return and resubmission: whoever took a district-stage step on a case
(受理, 区县审核通过, or 退回 at district review) never does its city review, and nobody who reviewed it at any
stage approves it."""

from __future__ import annotations

import pytest
from tests.integration.money.conftest import AFTER_PUBLICITY

from srdi.db.models import AuditEvent, Case
from srdi.services.cases import TransitionRefused, transition, update_claim, view_of

pytestmark = pytest.mark.django_db


def _confirmed(world) -> Case:
    u = world.users
    case = world.case(world.enterprises[0])
    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number="62220202000012"
    )
    transition(case.pk, u["enterprise"], "confirm")
    return case


def _resubmit(world, case: Case, reviewer_key: str = "district") -> None:
    u = world.users
    transition(case.pk, u["enterprise"], "submit")
    transition(case.pk, u[reviewer_key], "accept")
    transition(case.pk, u[reviewer_key], "district_pass")


def _refused_for_separation(case: Case, user, name: str) -> None:
    with pytest.raises(TransitionRefused, match="职责分离") as refused:
        transition(case.pk, user, name, on=AFTER_PUBLICITY)
    assert refused.value.verdict.code == "separation_of_duties"
    assert AuditEvent.objects.filter(
        object_type="case", object_id=str(case.pk), success=False, extra__code="separation_of_duties"
    ).exists()


def test_an_earlier_district_reviewer_never_does_the_city_review_after_a_return(world):
    u = world.users
    case = _confirmed(world)
    transition(case.pk, u["city_admin"], "district_pass")  # round 1: a city admin reviews for the district
    transition(case.pk, u["city_staff"], "return", reason="请补充发票")
    _resubmit(world, case)  # round 2: the district itself reviews
    case.refresh_from_db()
    assert case.district_reviewer_id == u["district"].pk  # the current reviewer is someone else now …
    _refused_for_separation(case, u["city_admin"], "city_pass")  # … but the earlier one is still barred
    transition(case.pk, u["city_admin2"], "city_pass")
    _refused_for_separation(case, u["city_admin"], "approve")
    _refused_for_separation(case, u["city_admin2"], "approve")
    assert Case.objects.get(pk=case.pk).state == "publicity"


def test_a_district_stage_return_or_acceptance_also_bars_the_city_review(world):
    u = world.users
    case = _confirmed(world)
    transition(case.pk, u["city_admin"], "return", reason="开户名有误")  # a district-stage return
    _resubmit(world, case)
    _refused_for_separation(case, u["city_admin"], "city_pass")
    transition(case.pk, u["city_staff"], "return", reason="请补充验收报告")  # a city-stage return …
    _resubmit(
        world, case, reviewer_key="city_admin2"
    )  # … and a city admin accepts and passes for the district
    _refused_for_separation(case, u["city_admin2"], "city_pass")
    transition(case.pk, u["city_staff"], "city_pass")  # whoever returned at city level may pass it later
    for key in ("city_admin", "city_admin2"):
        _refused_for_separation(case, u[key], "approve")


def test_the_view_lists_every_reviewer(world):
    u = world.users
    case = _confirmed(world)
    transition(case.pk, u["city_admin"], "district_pass")
    transition(case.pk, u["city_staff"], "return", reason="请补充发票")
    _resubmit(world, case)
    view = view_of(Case.objects.get(pk=case.pk))
    assert view.reviewers == frozenset({u["city_admin"].pk, u["city_staff"].pk, u["district"].pk})
    assert view.district_reviewers == frozenset({u["city_admin"].pk, u["district"].pk})
