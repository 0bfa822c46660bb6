"""The permission table (``srdi.domain.permissions``): its shape, 三权分立, and the workflow reading it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srdi.domain import permissions
from srdi.domain.permissions import (
    ADMINISTRATION,
    NO_ROLE,
    ROLES,
    WRITES,
    Permission,
    Role,
    Scope,
    allows,
    check,
    needs_second_factor,
    needs_second_person,
    roles_with,
    sees_all_districts,
)
from srdi.domain.workflow.definition import TRANSITIONS
from srdi.domain.workflow.guards import Actor, CaseView
from srdi.domain.workflow.guards import check as guard_check

ADMINS = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
BUSINESS = set(Role) - ADMINS
TODAY = date(2026, 1, 5)


def test_every_role_has_one_row_and_stored_values_are_unchanged():
    assert set(ROLES) == set(Role)
    old = {"city_admin", "city_staff", "district_staff", "enterprise", "provider", "auditor", "finance"}
    assert old <= {r.value for r in Role}
    assert all(len(r.value) <= 20 for r in Role)  # User.role max_length


def test_three_administrators_are_separate_and_hold_no_business_permission():
    """三权分立: accounts, roles and audit settings each belong to one administrator, and to no business role."""
    assert roles_with(Permission.ACCOUNT_MANAGE) == (Role.SYSTEM_ADMIN,)
    assert roles_with(Permission.ROLE_GRANT) == (Role.SECURITY_ADMIN,)
    assert roles_with(Permission.AUDIT_SETTINGS) == (Role.AUDIT_ADMIN,)
    for role in BUSINESS:
        assert not ROLES[role].permissions & ADMINISTRATION, role
    for role in ADMINS:
        assert not ROLES[role].permissions & WRITES, role
        assert ROLES[role].scope is Scope.NONE
        assert not allows(role, Permission.CASE_APPROVE) and not allows(role, Permission.PAYMENT_RUN)


def test_auditor_reads_the_log_but_cannot_change_audit_settings():
    assert allows(Role.AUDITOR, Permission.AUDIT_READ)
    assert not allows(Role.AUDITOR, Permission.AUDIT_SETTINGS)
    verdict = check(Role.AUDITOR, Permission.AUDIT_SETTINGS)
    assert not verdict and "审计管理员" in verdict.reason


def test_read_only_roles_write_nothing():
    for role in (Role.AUDITOR, Role.LEADER, Role.RESPONSIBLE_UNIT):
        assert permissions.is_read_only(role), role
        assert not allows(role, Permission.PERSONAL_DATA_REVEAL)
    assert not permissions.is_read_only(Role.CITY_STAFF)


def test_second_person_for_money_and_admin_roles_and_second_factor_for_staff():
    assert {r for r in Role if needs_second_person(r)} == {
        Role.CITY_ADMIN,
        Role.FINANCE,
        Role.SYSTEM_ADMIN,
        Role.SECURITY_ADMIN,
        Role.AUDIT_ADMIN,
    }
    # Every role that may approve or pay is a money role.
    for perm in (Permission.CASE_APPROVE, Permission.PAYMENT_RUN, Permission.BUDGET_APPROVE):
        assert all(ROLES[r].money for r in roles_with(perm)), perm
    assert {r for r in Role if not needs_second_factor(r)} == {Role.ENTERPRISE, Role.PROVIDER}
    assert not needs_second_factor("") and not needs_second_person("")


def test_no_role_and_unknown_values_may_do_nothing():
    for value in ("", None, "superuser", "CITY_ADMIN"):
        assert permissions.spec_of(value) is NO_ROLE
        assert not any(allows(value, p) for p in Permission)
    assert not check("city_admin", Permission.CASE_APPROVE, active=False)


def test_one_sees_all_districts_rule_includes_finance():
    assert {r for r in Role if sees_all_districts(r)} == {
        Role.CITY_ADMIN,
        Role.CITY_STAFF,
        Role.AUDITOR,
        Role.FINANCE,
        Role.LEADER,
    }


def test_every_permission_is_held_by_someone_and_has_a_refusal():
    for perm in Permission:
        assert roles_with(perm), perm
        assert perm in permissions.REFUSALS, perm


def test_transitions_name_a_permission_and_their_roles_come_from_the_table():
    for t in TRANSITIONS.values():
        assert isinstance(t.permission, Permission)
        assert set(t.roles) == {r.value for r in roles_with(t.permission)}
    assert TRANSITIONS["approve"].roles == ("city_admin",)
    assert set(TRANSITIONS["city_pass"].roles) == {"city_admin", "city_staff"}
    assert set(TRANSITIONS["mark_paid"].roles) == {"city_admin", "finance"}


@given(role=st.sampled_from([*Role, ""]), name=st.sampled_from(sorted(TRANSITIONS)))
def test_the_guards_refuse_exactly_the_roles_the_table_refuses(role, name):
    t = TRANSITIONS[name]
    actor = Actor(user_id=1, role=role, district="330106", enterprise_id=7)
    case = CaseView(state=t.sources[0], enterprise_id=7, district="330106", today=TODAY)
    verdict = guard_check(name, actor, case, reason="理由")
    assert (verdict.code == "role") == (not allows(role, t.permission)), (role, name, verdict)


def test_roles_outside_a_case_scope_are_refused_by_the_in_scope_guard():
    case = CaseView(state="submitted", enterprise_id=7, district="330106", today=TODAY)
    other = Actor(user_id=1, role="district_staff", district="330108")
    assert guard_check("accept", other, case).code == "out_of_scope"
    assert guard_check("accept", Actor(user_id=1, role="district_staff", district="330106"), case)


@pytest.mark.parametrize("role", list(Role))
def test_labels_are_chinese(role):
    assert role.label == ROLES[role].label and any("\u4e00" <= ch <= "\u9fff" for ch in role.label)


def test_security_doc_roles_table_is_generated_from_the_table():
    """docs/security.md §2 holds ``markdown_table()`` verbatim: change ROLES, regenerate the doc."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    assert permissions.markdown_table() in doc
