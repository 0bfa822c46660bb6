"""Parameter changes and cases: setting an unset amount unblocks ``amount_unset`` cases in the next offers run
(through the usual review), and an approved change never alters a case already decided or paid.

81号 第6条 (技术交易奖励) pays a ratio of the year's technology transactions; the ratio
(``hz81.6.tech_transaction_ratio``) is unset in the shipped YAML, so an application is ``amount_unset`` until
the bureau sets it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client
from tests.conftest import make_uscc
from tests.integration.money.conftest import AFTER_PUBLICITY, SRDI_CERT
from tests.integration.money.test_workflow import _to_publicity
from tests.signin import sign_in

from srdi.db.models import AuditEvent, Case, Enterprise, Event, LedgerEntry, Notification, Payment
from srdi.domain.policy.layering import versions_used
from srdi.services import budgets, parameters
from srdi.services import cases as case_service
from srdi.services.accounts import create_user
from srdi.services.cases import TransitionRefused, transition, update_claim
from srdi.services.imports import import_file
from srdi.services.payments import create_payment_run, execute_payment_run
from srdi.services.programmes import create_programme, generate_offers, start_application

pytestmark = pytest.mark.django_db

RATIO = "hz81.6.tech_transaction_ratio"
EVENT_DAY = date(2025, 3, 10)
TRADED = 500_000_000  # 500万元 of technology transactions in 2025
IN_WINDOW = date(2025, 6, 16)  # a Monday inside the programme's window and hz81's


def _profile(i: int) -> dict:
    return {
        "uscc": make_uscc("330106"),
        "name": f"杭州技术交易{i}有限公司",
        "district": "330106",
        "industry_code": "C3976",
        "certifications": SRDI_CERT,
        "compliance": {"dishonest": False},
        "events": [
            {"kind": "tech_transaction", "year": 2025, "amount_fen": TRADED, "date": EVENT_DAY.isoformat()}
        ],
    }


@pytest.fixture
def tech(db, monkeypatch):
    """Two enterprises with a 2025 technology transaction, a 第6条 programme, and enterprise A's application
    taken to the city review, where it stops: its amount is unset."""
    monkeypatch.setattr(case_service, "today", lambda: IN_WINDOW)
    profiles = [_profile(0), _profile(1)]
    assert import_file(json.dumps(profiles).encode(), "tech.json").ok
    a, b = (Enterprise.objects.get(uscc=p["uscc"]) for p in profiles)
    users = {
        "staff": create_user(username="t_staff", password="x", role="city_staff", check_password=False),
        "admin": create_user(username="t_admin", password="x", role="city_admin", check_password=False),
        "district": create_user(
            username="t_district",
            password="x",
            role="district_staff",
            district_code="330106",
            check_password=False,
        ),
        "enterprise": create_user(
            username="t_ent", password="x", role="enterprise", enterprise_uscc=a.uscc, check_password=False
        ),
    }
    programme = create_programme(
        code="hz81-6-2025",
        name="2025年技术交易奖励",
        article=6,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=10**10,
        district_budget_fen=10**10,
        actor=users["admin"],
    )
    first = generate_offers(programme, actor=users["admin"])
    assert (first.created, first.updated) == (0, 0)  # amount_unset: nothing to offer yet
    case = start_application(programme, users["enterprise"], Event.objects.get(enterprise=a))
    assert (case.entitlement_status, case.entitlement_fen) == ("amount_unset", None)
    update_claim(
        case.pk,
        users["enterprise"],
        bank_account_name="甲",
        bank_name="杭州银行",
        bank_account_number="62220202000012",
    )
    transition(case.pk, users["enterprise"], "submit")
    transition(case.pk, users["district"], "accept")
    transition(case.pk, users["district"], "district_pass")
    with pytest.raises(TransitionRefused, match="金额标准未公布"):
        transition(case.pk, users["staff"], "city_pass")
    return programme, users, case, a, b


def _set_ratio(users, value: str, effective_from: date) -> parameters.ParameterChange:
    change = parameters.propose(
        users["staff"],
        pid=RATIO,
        value=value,
        effective_from=effective_from,
        document="杭经信〔2025〕6号",
        article="第二条",
        reason="技术交易奖励比例公布",
        as_text=True,
    )
    return parameters.decide(change.pk, users["admin"], approve=True)


def test_setting_the_unset_ratio_unblocks_the_case_in_the_next_offers_run(
    tech, django_capture_on_commit_callbacks
):
    programme, users, case, a, b = tech
    change = _set_ratio(users, "0.05", date(2025, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        summary = generate_offers(programme, actor=users["staff"])
    assert summary.updated == 1 and summary.existing == 0
    assert "1 个金额待定的事项已按现行标准重新测算" in summary.message
    assert change.version in summary.versions and change.version in summary.parameters

    case.refresh_from_db()
    assert case.state == "city_review"  # not moved on: the usual review follows
    assert (case.entitlement_status, case.entitlement_fen) == ("granted", 25_000_000)  # 500万 × 5%
    assert versions_used(case.entitlement_trace) == [change.version]
    amount = next(b for b in case.entitlement_trace["basis"] if b["type"] == "amount")
    assert amount["parameters"][0] == {**amount["parameters"][0], "id": RATIO, "version": change.version}
    notice = Notification.objects.get(enterprise=a, title__startswith="金额标准已公布")
    assert "测算金额 25万元" in notice.body, notice.body
    assert "仍须按程序审核" in notice.body and notice.url == f"/cases/{case.pk}/"
    audited = AuditEvent.objects.get(object_type="case", object_id=str(case.pk), extra__reason="amount_set")
    assert audited.old == {"entitlement_status": "amount_unset", "entitlement_fen": None}
    assert audited.new == {"entitlement_status": "granted", "entitlement_fen": 25_000_000}
    assert audited.extra["parameter_versions"] == [change.version]
    run = (
        AuditEvent.objects.filter(object_type="programme", object_id=str(programme.pk)).order_by("id").last()
    )
    assert run.new["updated"] == 1 and run.extra["parameter_versions"] == [change.version]

    # Enterprise B never applied: its event now gets a 免申即享 offer with the computed amount.
    offer = Case.objects.get(programme=programme, enterprise=b)
    assert (offer.state, offer.entitlement_status, offer.entitlement_fen) == (
        "offered",
        "granted",
        25_000_000,
    )
    assert versions_used(offer.entitlement_trace) == [change.version]

    # A second run changes nothing: the case is no longer amount_unset.
    again = generate_offers(programme, actor=users["staff"])
    assert (again.created, again.updated, again.existing) == (0, 0, 2)

    # The usual review goes on from where it stopped, and approval pays the computed amount once published.
    transition(case.pk, users["staff"], "city_pass")
    transition(case.pk, users["admin"], "approve", on=AFTER_PUBLICITY)
    case.refresh_from_db()
    assert case.approved_fen == 25_000_000 and versions_used(case.entitlement_trace) == [change.version]


def test_a_value_effective_only_after_the_event_leaves_the_case_unset(tech):
    programme, users, case, _, b = tech
    change = _set_ratio(users, "0.05", date(2025, 4, 1))  # after the 2025-03-10 transaction
    summary = generate_offers(programme, actor=users["staff"])
    assert (summary.updated, summary.created) == (0, 0)
    case.refresh_from_db()
    assert (case.entitlement_status, case.entitlement_fen) == ("amount_unset", None)
    assert change.version not in versions_used(case.entitlement_trace)
    assert not Case.objects.filter(programme=programme, enterprise=b).exists()
    assert not AuditEvent.objects.filter(
        object_type="case", object_id=str(case.pk), extra__reason="amount_set"
    )


def test_a_proposal_not_yet_approved_changes_nothing(tech):
    programme, users, case, _, _ = tech
    parameters.propose(
        users["staff"],
        pid=RATIO,
        value="0.05",
        effective_from=date(2025, 1, 1),
        document="杭经信〔2025〕6号",
        reason="待审批",
        as_text=True,
    )
    assert generate_offers(programme, actor=users["staff"]).updated == 0
    case.refresh_from_db()
    assert case.entitlement_status == "amount_unset"


def _rate(world, value: str) -> parameters.ParameterChange:
    change = parameters.propose(
        world.users["city_staff"],
        pid="hz81.9.rate.key",
        value=value,
        effective_from=date(2024, 1, 27),
        document="杭经信〔2025〕9号",
        reason="调整技改补助比例",
        as_text=True,
    )
    return parameters.decide(change.pk, world.users["city_admin"], approve=True)


def test_an_approved_change_never_alters_a_case_decided_before_it(world):
    """Enterprise 0's case is approved and paid at 20%; the rate then goes to 25%. The paid case keeps its
    approved amount, payment, ledger entries and trace (also after another offers run); enterprise 1's case,
    approved after the change, gets the new rate."""
    u = world.users
    paid = world.case(world.enterprises[0])
    _to_publicity(world, paid)
    transition(paid.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    assert execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"]).paid == [
        paid.pk
    ]
    paid.refresh_from_db()
    assert paid.approved_fen == 200_000_000 and versions_used(paid.entitlement_trace) == ["baseline"]
    before_trace = paid.entitlement_trace
    before_payments = list(Payment.objects.filter(case=paid).values())
    before_ledger = list(LedgerEntry.objects.filter(case=paid).values())

    change = _rate(world, "0.25")
    summary = generate_offers(world.programme, actor=u["city_admin"])
    assert summary.created == 0 and change.version in summary.parameters

    paid.refresh_from_db()
    assert paid.state == "paid" and paid.approved_fen == 200_000_000
    assert paid.entitlement_trace == before_trace
    assert list(Payment.objects.filter(case=paid).values()) == before_payments
    assert list(LedgerEntry.objects.filter(case=paid).values()) == before_ledger

    later = world.case(world.enterprises[1])
    assert later.entitlement_fen == 200_000_000  # offered at 20% before the change …
    u_enterprise = create_user(
        username="w_ent1",
        password="x",
        role="enterprise",
        enterprise_uscc=world.enterprises[1].uscc,
        check_password=False,
    )
    update_claim(
        later.pk,
        u_enterprise,
        bank_account_name="乙",
        bank_name="杭州银行",
        bank_account_number="62220202000099",
    )
    transition(later.pk, u_enterprise, "confirm")
    transition(later.pk, u["district"], "district_pass")
    transition(later.pk, u["city_staff"], "city_pass")
    transition(later.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    later.refresh_from_db()
    assert later.approved_fen == 250_000_000  # … approved after it at 25%: 1000万 × 25%
    assert versions_used(later.entitlement_trace) == sorted(["baseline", change.version])


def test_the_case_page_and_the_budget_suggestion_name_the_version(tech):
    programme, users, case, _, _ = tech
    before = budgets.suggest("hz81", 6, 2025)
    assert (before.awards, before.parameters, before.versions) == (0, "基线", [])
    change = _set_ratio(users, "0.05", date(2025, 1, 1))
    after = budgets.suggest("hz81", 6, 2025)
    assert after.awards == 2 and after.city_fen == 25_000_000  # two awards of 25万, split half and half
    assert after.parameters == f"基线 + {change.version}" and after.versions == [change.version]
    generate_offers(programme, actor=users["staff"])
    page = sign_in(Client(), users["staff"]).get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert f"年度累计实际技术交易额的奖励比例：5%（参数版本 {change.version}）" in page.content.decode()


def test_a_change_approved_during_publicity_sends_the_case_back_to_be_published_again(world):
    """What is approved is what was published: a rate change approved while the case is in 公示 makes the
    approval refuse (``parameters_changed``); ``republish`` takes it back to city review, ``city_pass`` publishes
    the new amount, and only then is it approved."""
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    case.refresh_from_db()
    assert (case.state, case.entitlement_fen) == ("publicity", 200_000_000)  # published at 20%
    change = _rate(world, "0.25")
    with pytest.raises(TransitionRefused, match="公示后政策参数已调整") as refused:
        transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    assert refused.value.verdict.code == "parameters_changed" and change.version in str(refused.value)
    case.refresh_from_db()
    assert (case.state, case.entitlement_fen, case.approved_fen) == ("publicity", 200_000_000, None)
    with pytest.raises(TransitionRefused):
        transition(case.pk, u["city_staff"], "republish")  # a reason is required
    transition(case.pk, u["city_staff"], "republish", reason="参数调整后按新比例重新公示")
    transition(case.pk, u["city_staff"], "city_pass")
    case.refresh_from_db()
    assert (case.state, case.entitlement_fen) == ("publicity", 250_000_000)  # published again, at 25%
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    case.refresh_from_db()
    assert case.approved_fen == 250_000_000 and change.version in versions_used(case.entitlement_trace)
