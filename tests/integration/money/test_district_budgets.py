"""Each district's budget on its own: unequal amounts, a district at 0 where the city pays all, adjustments
(increase, transfer, release) proposed and approved by two people, and the procedure's rules (公示 in working
days, never below the minimum)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from tests.conftest import make_uscc
from tests.integration.money.conftest import AFTER_PUBLICITY, SRDI_CERT, renovation

from srdi.db.models import BudgetAccount, BudgetAdjustment, Case, Enterprise, LedgerEntry
from srdi.services import budgets
from srdi.services.accounts import create_user
from srdi.services.cases import TransitionRefused, transition
from srdi.services.imports import import_file
from srdi.services.programmes import ProgrammeError, create_programme, generate_offers

pytestmark = pytest.mark.django_db
XIHU, CHUNAN, BINJIANG = "330106", "330127", "330108"


@pytest.fixture
def people(db):
    make = {
        "admin": "city_admin",
        "admin2": "city_admin",
        "staff": "city_staff",
        "reviewer": "city_staff",
    }
    users = {
        k: create_user(username=f"b_{k}", password="x", role=r, check_password=False) for k, r in make.items()
    }
    for code in (XIHU, CHUNAN, BINJIANG):
        users[code] = create_user(
            username=f"b_d{code}",
            password="x",
            role="district_staff",
            district_code=code,
            check_password=False,
        )
    return users


def _enterprises():
    profiles = [
        {
            "uscc": make_uscc(code),
            "name": f"杭州{code}科技有限公司",
            "district": code,
            "industry_code": "C3976",
            "certifications": SRDI_CERT,
            "compliance": {"dishonest": False},
            "events": [renovation(f"P{code}", 1_000_000_000)],
        }
        for code in (XIHU, CHUNAN, BINJIANG)
    ]
    assert import_file(json.dumps(profiles).encode(), "b.json").ok
    return {e.district_id: e for e in Enterprise.objects.all()}


def _programme(people, **kwargs):
    args = {
        "code": "hz81-9-2025-d",
        "name": "2025年技改补助（分区预算）",
        "article": 9,
        "year": 2025,
        "opens_on": date(2025, 1, 1),
        "closes_on": date(2025, 12, 31),
        "city_budget_fen": 10**10,
        "district_budgets": {XIHU: 300_000_000, BINJIANG: 50_000_000},
        "city_pays_all": [CHUNAN],
        "actor": people["admin"],
    }
    return create_programme(**(args | kwargs))


def _approve(people, case: Case) -> Case:
    enterprise_user = create_user(
        username=f"b_e{case.pk}",
        password="x",
        role="enterprise",
        enterprise_uscc=case.enterprise.uscc,
        check_password=False,
    )
    Case.objects.filter(pk=case.pk).update(
        bank_account_name="甲", bank_name="乙", bank_account_number="62220202000012"
    )
    transition(case.pk, enterprise_user, "confirm")
    transition(case.pk, people[case.district_code], "district_pass")
    transition(case.pk, people["staff"], "city_pass")
    transition(case.pk, people["admin"], "approve", on=AFTER_PUBLICITY)
    return Case.objects.get(pk=case.pk)


def test_unequal_district_budgets_and_a_district_the_city_pays_for_in_full(people):
    _enterprises()
    programme = _programme(people)
    caps = dict(BudgetAccount.objects.filter(programme=programme).values_list("district_code", "cap_fen"))
    assert caps == {"": 10**10, XIHU: 300_000_000, BINJIANG: 50_000_000}  # 淳安 at 0: no district budget
    generate_offers(programme, actor=people["admin"])
    cases = {c.district_code: c for c in Case.objects.filter(programme=programme)}

    chunan = _approve(people, cases[CHUNAN])
    assert (chunan.state, chunan.city_fen, chunan.district_fen) == ("approved", 200_000_000, 0)
    xihu = _approve(people, cases[XIHU])
    assert (xihu.city_fen, xihu.district_fen) == (100_000_000, 100_000_000)
    # 滨江's own budget (50万) cannot cover its half (100万): refused, naming the budget, nothing committed.
    with pytest.raises(TransitionRefused, match="预算余额不足") as refused:
        _approve(people, cases[BINJIANG])
    assert refused.value.verdict.code == "budget"
    assert BudgetAccount.objects.get(programme=programme, district_code=BINJIANG).used_fen == 0


def test_a_district_without_a_budget_is_refused_with_its_name(people):
    firms = _enterprises()
    programme = _programme(people, city_pays_all=[], district_budgets={XIHU: 300_000_000})
    generate_offers(programme, actor=people["admin"])
    case = Case.objects.get(programme=programme, enterprise=firms[CHUNAN])
    with pytest.raises(TransitionRefused, match=f"区县（{CHUNAN}）预算尚未下达"):
        _approve(people, case)


def test_adjustments_need_a_second_person_and_never_cut_below_use(people):
    firms = _enterprises()
    programme = _programme(people)
    generate_offers(programme, actor=people["admin"])
    _approve(
        people, Case.objects.get(programme=programme, enterprise=firms[XIHU])
    )  # 西湖 uses 100万 of 300万

    with pytest.raises(budgets.BudgetError, match="市经信局工作人员"):
        budgets.propose_adjustment(
            programme, kind="increase", amount_fen=1, reason="x", target=XIHU, actor=people[XIHU]
        )
    transfer = budgets.propose_adjustment(
        programme,
        kind="transfer",
        amount_fen=150_000_000,
        reason="西湖区项目少于预期，调剂至滨江区",
        source=XIHU,
        target=BINJIANG,
        document="杭经信财〔2025〕88号",
        actor=people["staff"],
    )
    assert transfer.status == "pending" and not LedgerEntry.objects.filter(kind="transfer").exists()
    with pytest.raises(budgets.BudgetError, match="市级管理员审批"):
        budgets.decide_adjustment(transfer.pk, people["reviewer"], approve=True)
    budgets.decide_adjustment(transfer.pk, people["admin"], approve=True)
    caps = dict(BudgetAccount.objects.filter(programme=programme).values_list("district_code", "cap_fen"))
    assert (caps[XIHU], caps[BINJIANG]) == (150_000_000, 200_000_000)

    # A proposer cannot approve their own adjustment.
    own = budgets.propose_adjustment(
        programme, kind="increase", amount_fen=50_000_000, reason="追加", target=CHUNAN, actor=people["admin"]
    )
    with pytest.raises(budgets.BudgetError, match="不能审批自己"):
        budgets.decide_adjustment(own.pk, people["admin"], approve=True)
    budgets.decide_adjustment(own.pk, people["admin2"], approve=True)
    assert BudgetAccount.objects.get(programme=programme, district_code=CHUNAN).cap_fen == 50_000_000

    # A release may not take 西湖 below the 100万 it has committed.
    with pytest.raises(budgets.BudgetError, match="不足调出"):
        budgets.propose_adjustment(
            programme,
            kind="release",
            amount_fen=50_000_001,
            reason="核减",
            source=XIHU,
            actor=people["staff"],
        )
    release = budgets.propose_adjustment(
        programme,
        kind="release",
        amount_fen=50_000_000,
        reason="年度结余核减",
        source=XIHU,
        actor=people["staff"],
    )
    refused = budgets.propose_adjustment(
        programme, kind="release", amount_fen=1, reason="核减", source=XIHU, actor=people["staff"]
    )
    budgets.decide_adjustment(release.pk, people["admin"], approve=True)
    with pytest.raises(budgets.BudgetError, match="可用额度不足"):  # the first release used the room
        budgets.decide_adjustment(refused.pk, people["admin"], approve=True)
    budgets.decide_adjustment(refused.pk, people["admin"], approve=False, reason="已核减")
    xihu = BudgetAccount.objects.get(programme=programme, district_code=XIHU)
    assert (xihu.cap_fen, xihu.used_fen) == (100_000_000, 100_000_000)
    kinds = [(h.what, h.status) for h in budgets.history(programme)]
    assert ("调剂", "已生效") in kinds and ("核减", "未批准") in kinds and ("追加", "已生效") in kinds
    assert kinds.count(("下达", "已生效")) == 3  # city, 西湖, 滨江
    assert BudgetAdjustment.objects.filter(status="approved").count() == 3


def test_the_publicity_period_counts_working_days_and_may_not_be_shorter_than_the_minimum(people):
    _enterprises()
    with pytest.raises(ProgrammeError, match="公示期应为 5–60 个工作日"):
        _programme(people, publicity_days=0)
    programme = _programme(people)  # default: the minimum, 5 working days
    assert programme.publicity_days == 5
    generate_offers(programme, actor=people["admin"])
    case = Case.objects.filter(programme=programme).first()
    Case.objects.filter(pk=case.pk).update(
        state="city_review",
        bank_account_name="甲",
        bank_name="乙",
        bank_account_number="62220202000012",
        district_reviewer=people[case.district_code],
    )
    transition(case.pk, people["staff"], "city_pass", on=date(2026, 9, 30))
    case.refresh_from_db()
    # 10-01…10-07 are the National Day holidays, 10-10 (a Saturday) is a make-up working day.
    assert (case.publicity_starts_on, case.publicity_ends_on) == (date(2026, 9, 30), date(2026, 10, 13))
    with pytest.raises(TransitionRefused, match="公示期至 2026-10-13"):
        transition(case.pk, people["admin"], "approve", on=date(2026, 10, 13))


def test_a_pack_without_a_known_cost_sharing_rule_is_never_split_by_a_guess():
    from srdi.db.models import Programme

    successor = Programme(pack="hz25", city_pays_all=[CHUNAN])
    assert (
        budgets.city_share(successor, CHUNAN, date(2026, 7, 1)) == 1
    )  # the city pays in full: no split needed
    with pytest.raises(budgets.BudgetError, match="分担办法尚未公布"):
        budgets.city_share(successor, XIHU, date(2026, 7, 1))
    assert budgets.city_share(Programme(pack="hz81", city_pays_all=[]), XIHU, date(2025, 7, 1)) > 0
