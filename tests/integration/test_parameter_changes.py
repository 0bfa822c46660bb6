"""Maker–checker for parameter values (``srdi.services.parameters``): propose, approve by another person, in force
on its date; the proposer can never approve their own change, and money changes need ``parameter.approve``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from srdi.db.models import AuditEvent, ParameterChange
from srdi.services import parameters as svc

RATE = "hz81.9.rate.key"


def _propose(user, pid=RATE, value="15%", start=date(2025, 7, 1), **extra):
    return svc.propose(
        user,
        pid=pid,
        value=value,
        as_text=True,
        effective_from=start,
        document=extra.pop("document", "杭经信〔2025〕99号"),
        article=extra.pop("article", "第二条"),
        reason=extra.pop("reason", "技改补助比例下调"),
        **extra,
    )


def _rate_on(day: date):
    return svc.pack_in_force("hz81").parameters[RATE].at(day)


@pytest.mark.django_db
def test_a_change_approved_by_another_person_is_in_force_from_its_date(role_users):
    change = _propose(role_users["city_staff"])
    assert change.status == ParameterChange.Status.PROPOSED and change.moves_money
    assert change.value == "0.15"
    assert _rate_on(date(2025, 8, 1)).value == Decimal("0.20")  # a proposal has no effect
    svc.decide(change.pk, role_users["city_admin"], approve=True)
    before, after = _rate_on(date(2025, 6, 30)), _rate_on(date(2025, 7, 1))
    assert (before.value, before.version) == (Decimal("0.20"), "")
    assert (after.value, after.version) == (Decimal("0.15"), change.version)
    assert svc.parameter_set_label() == f"基线 + {change.version}"
    actions = list(
        AuditEvent.objects.filter(object_type="parameter_change", object_id=str(change.pk)).values_list(
            "object_repr", flat=True
        )
    )
    assert any("提出参数调整" in a for a in actions) and any("批准参数调整" in a for a in actions)


@pytest.mark.django_db
def test_the_proposer_can_never_approve_their_own_change(role_users):
    admin = role_users["city_admin"]
    change = _propose(admin)
    with pytest.raises(svc.ParameterChangeError, match="提出人不能审批"):
        svc.decide(change.pk, admin, approve=True)
    change.refresh_from_db()
    assert change.status == ParameterChange.Status.PROPOSED
    assert AuditEvent.objects.filter(
        object_type="parameter_change", object_id=str(change.pk), success=False
    ).exists()
    # Not even by writing the row directly: the database refuses the same person as decider.
    change.status, change.decided_by = ParameterChange.Status.APPROVED, admin
    with pytest.raises(IntegrityError), transaction.atomic():
        change.save()


@pytest.mark.django_db
def test_changes_that_move_money_need_the_approve_permission_and_a_procedure_change_does_not(role_users):
    staff, other = role_users["city_staff"], role_users["city_admin"]
    money = _propose(other)
    with pytest.raises(svc.ParameterChangeError, match="市经信局管理员审批"):
        svc.decide(money.pk, staff, approve=True)
    # A list that decides who is paid moves money too, whatever its unit.
    industries = _propose(other, pid="hz81.9.key_industries", value="new_energy, new_materials")
    assert industries.moves_money
    with pytest.raises(svc.ParameterChangeError, match="市经信局管理员审批"):
        svc.decide(industries.pk, staff, approve=True)
    publicity = _propose(other, pid="procedure.publicity_min_working_days", value="7")
    assert not publicity.moves_money
    svc.decide(publicity.pk, staff, approve=True)  # another staff member may approve a procedure value
    param = svc.pack_in_force("hz81").parameters["procedure.publicity_min_working_days"]
    assert param.at(date(2025, 8, 1)).value == 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"pid": "hz81.99.nothing"}, "parameter", "未知参数编号"),
        ({"value": "150%"}, "value", "比例应在 0 与 1 之间"),
        ({"document": "  "}, "document", "请填写依据文件"),
        ({"reason": ""}, "reason", "请填写调整理由"),
        ({"effective_to": date(2025, 1, 1)}, "effective_to", "失效日期早于生效日期"),
        ({"reason": "比例\u202e下调"}, "reason", "双向文本控制符"),
    ],
)
def test_bad_proposals_are_refused_naming_the_field_and_nothing_is_stored(role_users, kwargs, field, message):
    with pytest.raises(svc.ParameterChangeError, match=message) as refused:
        _propose(role_users["city_staff"], **kwargs)
    assert refused.value.field == field
    assert not ParameterChange.objects.exists()


@pytest.mark.django_db
def test_read_only_and_district_roles_cannot_propose(role_users):
    for key in ("district_staff", "auditor", "leader", "enterprise"):
        with pytest.raises(svc.ParameterChangeError, match="市经信局工作人员提出"):
            _propose(role_users[key])


@pytest.mark.django_db
def test_a_rejection_needs_a_reason_and_a_withdrawn_change_cannot_be_decided(role_users):
    change = _propose(role_users["city_staff"])
    with pytest.raises(svc.ParameterChangeError, match="请填写审批意见"):
        svc.decide(change.pk, role_users["city_admin"], approve=False)
    svc.withdraw(change.pk, role_users["city_staff"])
    with pytest.raises(svc.ParameterChangeError, match="已撤回"):
        svc.decide(change.pk, role_users["city_admin"], approve=True)
    assert _rate_on(date(2025, 8, 1)).value == Decimal("0.20")


@pytest.mark.django_db
def test_entitle_in_force_uses_approved_values_and_plain_entitle_keeps_the_baseline(
    role_users, cli_runner, tmp_path
):
    import json

    from tests.conftest import make_uscc

    from srdi.cli import commands_contract  # noqa: F401 - registers the command

    change = _propose(role_users["city_staff"], start=date(2025, 1, 1))
    svc.decide(change.pk, role_users["city_admin"], approve=True)
    project = {
        "kind": "tech_renovation",
        "project_id": "P1",
        "date": "2025-03-01",
        "industry": "new_energy",
        "total_investment_fen": 1_000_000_000,
        "eligible_investment_since_2023_fen": 1_000_000_000,
    }
    srdi = [{"tier": "srdi_sme", "recognized_on": "2023-01-15", "expires_on": "2026-01-14"}]
    path = tmp_path / "in.json"
    path.write_text(
        json.dumps(
            {
                "enterprises": [
                    {
                        "uscc": make_uscc("330106"),
                        "district": "330106",
                        "certifications": srdi,
                        "events": [project],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )

    def amount(*flags: str) -> int:
        result = cli_runner("entitle", str(path), "--compact", *flags)
        assert result.exit_code == 0, result.output
        records = json.loads(result.output)["results"][0]["entitlements"]
        return next(r["amount_fen"] for r in records if r["event"] == "P1")

    assert amount() == 200_000_000  # the contract's baseline: 20 %
    assert amount("--in-force") == 150_000_000  # the approved change: 15 %


@pytest.mark.django_db
def test_the_database_refuses_to_edit_a_decided_change(role_users):
    from django.db import DatabaseError

    change = _propose(role_users["city_staff"])
    ParameterChange.objects.filter(pk=change.pk).update(reason="补充理由")  # a proposal may still be edited
    svc.decide(change.pk, role_users["city_admin"], approve=True)
    with pytest.raises(DatabaseError), transaction.atomic():
        ParameterChange.objects.filter(pk=change.pk).update(value="0.05")
    change.refresh_from_db()
    assert change.value == "0.15" and change.reason == "补充理由"
