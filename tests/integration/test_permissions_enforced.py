"""The permission table is what the code enforces: every (role, permission) pair ``ROLES`` refuses is refused by
the service, verdict or admin page that checks it; the audit settings are the audit administrator's; every
account and role change is audited with old and new values; a responsible unit sees the cases of its measures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from tests.integration.conftest import ROLE_PASSWORD
from tests.signin import sign_in

from srdi.db.admin import EnterpriseAdmin, SrdiUserAdmin
from srdi.db.models import (
    AuditAction,
    AuditEvent,
    AuditSettings,
    Case,
    Enterprise,
    Event,
    ParameterChange,
    Programme,
    User,
)
from srdi.domain.permissions import Permission, allows, spec_of
from srdi.services import (
    accounts,
    audit_settings,
    bank_accounts,
    budgets,
    parameters,
    published_counts,
    role_grants,
    scoping,
    seedlings,
    showcase,
    unit_reports,
)
from srdi.services.cases import TransitionRefused, raise_objection, resolve_objection
from srdi.services.programmes import ProgrammeError, close_programme, start_application
from srdi.services.vouchers import VoucherError, cancel_voucher, redeem
from srdi.web import money_display as md
from srdi.web.policy_display import can_simulate
from srdi.web.screening_data import can_run_screening, can_view_screening

pytestmark = pytest.mark.django_db


def _raises(exc: type[Exception], call: Callable[[], Any], refusal: str) -> bool:
    """False when the call was refused with ``refusal`` (the permission gate); True for any other outcome (it
    got past the gate and failed later on the probe's dummy object, or succeeded)."""
    try:
        with transaction.atomic():
            call()
    except exc as e:
        return refusal not in str(e) and "请先登录" not in str(e)
    except ObjectDoesNotExist:
        return True
    return True


def _admin_module(admin_class: type, user: User) -> bool:
    from django.contrib import admin as django_admin

    request = RequestFactory().get("/admin/")
    request.user = user
    model = (
        admin_class.__dict__.get("model") or {EnterpriseAdmin: Enterprise, SrdiUserAdmin: User}[admin_class]
    )
    return admin_class(model, django_admin.site).has_module_permission(request)


# One probe per permission: the real entry point that enforces it, asked as ``user``; True = let through.
PROBES: dict[Permission, Callable[[User], bool]] = {
    Permission.ENTERPRISE_READ: lambda u: scoping.enterprises_for(u).exists(),
    Permission.ENTERPRISE_EDIT: lambda u: bool(scoping.can_edit_enterprise(u, None)),
    Permission.DATA_IMPORT: lambda u: bool(scoping.can_import(u)),
    Permission.DATA_EXPORT: lambda u: bool(scoping.can_export(u)),
    Permission.DATA_CORRECT: lambda u: _admin_module(EnterpriseAdmin, u),
    Permission.PERSONAL_DATA_REVEAL: lambda u: bool(scoping.can_reveal_personal_data(u)),
    Permission.SCREENING_VIEW: lambda u: bool(can_view_screening(u)),
    Permission.SCREENING_RUN: lambda u: bool(can_run_screening(u)),
    Permission.SIMULATE: lambda u: bool(can_simulate(u)),
    Permission.PROGRAMME_VIEW: lambda u: bool(md.can_view_programmes(u)),
    Permission.PROGRAMME_MANAGE: lambda u: _raises(
        ProgrammeError, lambda: close_programme(Programme(pk=0), u), "申报批次由市经信局关闭"
    ),
    Permission.BUDGET_PROPOSE: lambda u: _raises(
        budgets.BudgetError,
        lambda: budgets.propose_adjustment(Programme(pk=0), kind="x", amount_fen=1, reason="r", actor=u),
        "预算调整由市经信局工作人员提出",
    ),
    Permission.BUDGET_APPROVE: lambda u: _raises(
        budgets.BudgetError, lambda: budgets.decide_adjustment(0, u, approve=True), "预算调整由市级管理员审批"
    ),
    Permission.CASE_VIEW: lambda u: bool(md.can_view_cases(u)),
    Permission.CASE_APPLY: lambda u: _raises(
        ProgrammeError,
        lambda: start_application(
            Programme(pk=0, mode="both", opens_on=date(2000, 1, 1), closes_on=date(2000, 1, 2)),
            u,
            Event(enterprise_id=u.enterprise_id or -1),
        ),
        "只能为本企业申报",
    ),
    Permission.OBJECTION_RECORD: lambda u: _raises(
        TransitionRefused, lambda: raise_objection(0, u, name="x", text="y"), "当前角色不能登记异议"
    ),
    Permission.OBJECTION_RESOLVE: lambda u: _raises(
        TransitionRefused,
        lambda: resolve_objection(0, u, upheld=False, resolution="x"),
        "公示异议由市级人员处理",
    ),
    Permission.BANK_ACCOUNT_PROPOSE: lambda u: _raises(
        bank_accounts.AccountChangeError,
        lambda: bank_accounts.request_change(
            0, u, account_name="a", bank_name="b", account_number="62220202"
        ),
        "收款账户更正由企业或其所在区县工作人员提出",
    ),
    Permission.BANK_ACCOUNT_CONFIRM: lambda u: _raises(
        bank_accounts.AccountChangeError,
        lambda: bank_accounts.decide_change(0, u, confirm=True),
        "收款账户更正由区县、市级或资金管理人员确认",
    ),
    Permission.BANK_ACCOUNT_FULL: lambda u: md.sees_bank_account(
        u, Case(enterprise_id=u.enterprise_id or 0, district_code="330106")
    ),
    Permission.PAYMENT_VIEW: lambda u: bool(md.can_view_payments(u)),
    Permission.PAYMENT_RUN: lambda u: bool(md.can_run_payments(u)),
    Permission.TREASURY_FILE: lambda u: bool(md.can_download_treasury_file(u)),
    Permission.VOUCHER_VIEW: lambda u: bool(md.can_view_vouchers(u)),
    Permission.VOUCHER_ISSUE: lambda u: _raises(
        VoucherError, lambda: cancel_voucher("NOPE", u, reason="x"), "服务券由市经信局作废"
    ),
    Permission.VOUCHER_REDEEM: lambda u: _raises(
        VoucherError,
        lambda: redeem("NOPE", u, service="x", delivered_on=date(2026, 1, 5), amount_fen=1),
        "只有服务机构用户可以核销服务券",
    ),
    Permission.LEDGER_VERIFY: lambda u: bool(md.can_verify_ledger(u)),
    Permission.AUDIT_READ: lambda u: bool(scoping.can_view_audit_log(u)),
    Permission.AUDIT_SETTINGS: lambda u: _raises(
        audit_settings.AuditSettingsError,
        lambda: audit_settings.change(u, retention_days=400),
        "审计设置只能由审计管理员修改",
    ),
    Permission.ACCOUNT_MANAGE: lambda u: _raises(
        accounts.AccountError,
        lambda: accounts.create_account(u, username=f"probe_{u.pk}", password="x", check_password=False),
        "账号由系统管理员创建和停用",
    ),
    Permission.ROLE_GRANT: lambda u: _raises(
        role_grants.GrantError,
        lambda: role_grants.request_grant(u, User.objects.get(username="ru_leader"), "leader"),
        "角色只能由安全管理员授予",
    ),
    Permission.UNIT_REPORT_FILE: lambda u: _raises(
        unit_reports.UnitReportError,
        lambda: unit_reports.save_report(
            u, pack="hz81", article=6, year=2025, quarter=4, narrative="probe", kpi_values={}
        ),
        "季度工作报告由责任单位填报",
    ),
    Permission.SHOWCASE_PROPOSE: lambda u: _raises(
        showcase.ShowcaseError,
        lambda: showcase.create_entry(u, uscc="", public_name="x", cluster="x", story="x"),
        "典型案例由市经信局或区县工作人员推荐",
    ),
    Permission.SHOWCASE_MANAGE: lambda u: _raises(
        showcase.ShowcaseError,
        lambda: showcase.transition(u, 0, "approve"),
        "典型案例的发布、退回和撤下由市经信局工作人员办理",
    ),
    Permission.SHOWCASE_CONSENT: lambda u: _raises(
        showcase.ShowcaseError,
        lambda: showcase.record_consent(u, 0, agree=True),
        "只有企业本身可以同意或撤回展示",
    ),
    Permission.UNIT_REPORT_REVIEW: lambda u: _raises(
        unit_reports.UnitReportError,
        lambda: unit_reports.review(u, 0, accept=True),
        "季度工作报告由市经信局审核",
    ),
    Permission.PARAMETER_PROPOSE: lambda u: _raises(
        parameters.ParameterChangeError,
        lambda: parameters.propose(
            u, pid="hz81.99.nope", value=1, effective_from=date(2025, 1, 1), document="d", reason="r"
        ),
        "政策参数的调整由市经信局工作人员提出",
    ),
    Permission.PARAMETER_APPROVE: lambda u: (
        not parameters.may_decide(u, ParameterChange(moves_money=True, proposed_by_id=-1))
    ),
    Permission.SEEDLING_VIEW: lambda u: seedlings.may_view(u),
    Permission.SEEDLING_PROPOSE: lambda u: seedlings.may_propose(u),
    Permission.PROGRAMME_TARGETS_MANAGE: lambda u: _raises(
        published_counts.PublishedCountError,
        lambda: published_counts.enter(
            u, published_counts.EntryInput("nope", "2025", "b", "new", "", "1", "OFFICIAL", "d")
        ),
        "官方公布数由市经信局工作人员录入",
    ),
}
# Case transitions (CASE_ACCEPT … CASE_CANCEL) are enforced by ``guards.check`` from ``Transition.permission``:
# tested for every role and transition in tests/unit/test_permissions.py.
TRANSITION_PERMISSIONS = {
    Permission.CASE_ACCEPT,
    Permission.CASE_DISTRICT_REVIEW,
    Permission.CASE_CITY_REVIEW,
    Permission.CASE_APPROVE,
    Permission.CASE_CANCEL,
    Permission.CASE_RETURN,
    Permission.CASE_REJECT,
}


def test_every_permission_has_a_probe():
    assert set(PROBES) | TRANSITION_PERMISSIONS == set(Permission)


def test_every_refused_pair_is_refused_and_every_granted_pair_gets_through(role_users):
    """Table-driven: for each seed user (one per role) and each permission, the entry point answers as the
    table says. Provider redemption needs a linked service provider, so that allowed pair is not asserted."""
    unexpected = []
    for key, user in role_users.items():
        for permission, probe in PROBES.items():
            expected = allows(user.role, permission)
            got = probe(user)
            if got != expected and not (expected and (key, permission) in NEEDS_BINDING):
                unexpected.append(f"{key} × {permission.value}: table says {expected}, code says {got}")
    assert not unexpected, "\n".join(unexpected)
    assert AuditSettings.objects.get().retention_days == 400  # the audit administrator's probe went through


# Allowed pairs whose entry point also needs a binding the seed does not give (a provider account without a
# linked service provider).
# The provider and the responsible unit may open the enterprise library, but their scope holds no enterprise
# here (a provider none ever; a responsible unit only those with cases of its measures, tested below).
NEEDS_BINDING = {
    ("provider", Permission.VOUCHER_VIEW),
    ("provider", Permission.VOUCHER_REDEEM),
    ("provider", Permission.ENTERPRISE_READ),
    ("responsible_unit", Permission.ENTERPRISE_READ),
}


def test_an_inactive_user_holds_no_permission(role_users):
    admin = role_users["city_admin"]
    admin.is_active = False
    admin.save()
    assert not [p for p, probe in PROBES.items() if probe(admin)]


# ---- audit settings ---------------------------------------------------------------------------------------


def test_an_auditor_cannot_change_audit_settings(role_users):
    auditor, audit_admin = role_users["auditor"], role_users["audit_admin"]
    with pytest.raises(audit_settings.AuditSettingsError):
        audit_settings.change(auditor, retention_days=200)
    assert not AuditSettings.objects.exists()
    refused = AuditEvent.objects.filter(actor=auditor, action=AuditAction.SETTINGS, success=False)
    assert refused.exists()
    browser = sign_in(Client(), auditor)
    page = browser.get(reverse("web:audit_log"))
    assert page.status_code == 200 and "只有审计管理员可以修改" in page.content.decode()
    assert 'action="/audit/settings/"' not in page.content.decode()
    response = browser.post(reverse("web:audit_settings"), {"retention_days": 200, "checkpoint_minutes": 5})
    assert response.status_code == 403
    assert audit_settings.current().retention_days == 365 * 3

    admin_browser = sign_in(Client(), audit_admin)
    assert 'action="/audit/settings/"' in admin_browser.get(reverse("web:audit_log")).content.decode()
    response = admin_browser.post(
        reverse("web:audit_settings"), {"retention_days": 200, "checkpoint_minutes": 5}
    )
    assert response.status_code == 302
    assert (audit_settings.current().retention_days, audit_settings.current().checkpoint_minutes) == (200, 5)
    event = AuditEvent.objects.filter(action=AuditAction.SETTINGS, success=True).latest("id")
    assert event.actor == audit_admin
    assert event.old == {"retention_days": 1095, "checkpoint_minutes": 60}
    assert event.new == {"retention_days": 200, "checkpoint_minutes": 5}
    with pytest.raises(audit_settings.AuditSettingsError, match="180"):
        audit_settings.change(audit_admin, retention_days=30)


# ---- account and role changes are audited with old and new values -----------------------------------------


def test_role_changes_carry_old_and_new_values(role_users):
    sec, sec2, sysadmin = (
        role_users["security_admin"],
        role_users["security_admin_2"],
        role_users["system_admin"],
    )
    user = accounts.create_account(sysadmin, username="newcomer", password="x", check_password=False)
    created = AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(user.pk)).get()
    assert created.actor == sysadmin and created.old is None
    assert created.new["role"] == "" and created.new["is_superuser"] is False

    outcome = role_grants.request_grant(sec, user, "district_staff", district_code="330106")
    assert outcome.applied  # not a money or admin role: at once
    event = AuditEvent.objects.filter(action=AuditAction.ROLE_GRANT, object_id=str(user.pk)).latest("id")
    assert event.old["role"] == "" and event.old["district"] is None
    assert event.new["role"] == "district_staff" and event.new["district"] == "330106"

    pending = role_grants.request_grant(sec, user, "finance", reason="调岗")
    requested = AuditEvent.objects.filter(action=AuditAction.ROLE_GRANT, object_type="role_grant").latest(
        "id"
    )
    assert requested.extra["status"] == "pending" and requested.new["role"] == "finance"
    role_grants.decide(sec2, pending.grant.pk, approve=True)
    event = AuditEvent.objects.filter(action=AuditAction.ROLE_GRANT, object_id=str(user.pk)).latest("id")
    assert (event.old["role"], event.new["role"]) == ("district_staff", "finance")
    assert (event.old["district"], event.new["district"]) == ("330106", None)

    accounts.set_active(sysadmin, user, False, reason="离职")
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(user.pk)).latest("id")
    assert (event.old["is_active"], event.new["is_active"]) == (True, False)

    role_grants.revoke(sec, user, reason="离职")
    event = AuditEvent.objects.filter(action=AuditAction.ROLE_GRANT, object_id=str(user.pk)).latest("id")
    assert (event.old["role"], event.new["role"]) == ("finance", "")


def test_business_roles_cannot_create_accounts_or_grant_roles(role_users):
    target = role_users["leader"]
    for key, user in role_users.items():
        spec = spec_of(user.role)
        if Permission.ACCOUNT_MANAGE not in spec.permissions:
            with pytest.raises(accounts.AccountError):
                accounts.create_account(user, username=f"x_{key}", password="x", check_password=False)
            with pytest.raises(accounts.AccountError):
                accounts.set_active(user, target, False)
        if Permission.ROLE_GRANT not in spec.permissions:
            with pytest.raises(role_grants.GrantError):
                role_grants.request_grant(user, target, "auditor")
            with pytest.raises(role_grants.GrantError):
                role_grants.revoke(user, target)
    target.refresh_from_db()
    assert target.role == "leader" and target.is_active


def test_a_refused_grant_and_a_refusal_are_final(role_users):
    sec, sec2 = role_users["security_admin"], role_users["security_admin_2"]
    user = role_users["city_staff"]
    outcome = role_grants.request_grant(sec, user, "system_admin")
    role_grants.decide(sec2, outcome.grant.pk, approve=False, reason="不符合规定")
    user.refresh_from_db()
    assert user.role == "city_staff"
    with pytest.raises(role_grants.GrantError) as again:
        role_grants.decide(sec2, outcome.grant.pk, approve=True)
    assert again.value.code == "decided"


def test_the_role_page_is_for_security_admins_and_asks_for_the_password(role_users):
    sec, sec2 = role_users["security_admin"], role_users["security_admin_2"]
    for key in ("city_admin", "system_admin", "audit_admin", "auditor"):
        assert sign_in(Client(), role_users[key]).get(reverse("web:role_grants")).status_code == 403, key
    browser = sign_in(Client(), sec)
    page = browser.get(reverse("web:role_grants"))
    assert page.status_code == 200 and "角色授权" in page.content.decode()
    no_password = browser.post(reverse("web:role_grant"), {"username": "ru_leader", "role": "auditor"})
    assert no_password.status_code == 302
    assert User.objects.get(username="ru_leader").role == "leader"
    browser.post(
        reverse("web:role_grant"),
        {"username": "ru_leader", "role": "finance", "stepup_password": ROLE_PASSWORD},
    )
    assert User.objects.get(username="ru_leader").role == "leader"  # pending
    grant = role_grants.pending()[0]
    own = browser.post(reverse("web:role_grant_decide", args=[grant.pk]), {"decision": "approve"})
    assert own.status_code == 302 and User.objects.get(username="ru_leader").role == "leader"
    other = sign_in(Client(), sec2)
    other.post(
        reverse("web:role_grant_decide", args=[grant.pk]),
        {"decision": "approve", "stepup_password": ROLE_PASSWORD},
    )
    assert User.objects.get(username="ru_leader").role == "finance"


# ---- the createuser bootstrap path ------------------------------------------------------------------------


def test_createuser_gives_money_roles_only_while_bootstrapping(db):
    from click.testing import CliRunner

    from srdi.cli import commands_server  # noqa: F401 - registers createuser
    from srdi.cli.main import cli

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert run("createuser", "sec1", "--role", "security_admin", "--password", ROLE_PASSWORD).exit_code == 0
    refused = run("createuser", "boss", "--role", "city_admin", "--password", ROLE_PASSWORD)
    assert refused.exit_code != 0 and "--bootstrap" in refused.output
    assert run("createuser", "clerk", "--role", "city_staff", "--password", ROLE_PASSWORD).exit_code == 0
    ok = run("createuser", "boss", "--role", "city_admin", "--password", ROLE_PASSWORD, "--bootstrap")
    assert ok.exit_code == 0, ok.output
    boss = User.objects.get(username="boss")
    assert boss.role == "city_admin" and not boss.is_superuser and boss.is_staff
    event = AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(boss.pk)).get()
    assert event.extra == {"via": "cli --bootstrap"} and event.new["role"] == "city_admin"


# ---- the responsible unit's scope --------------------------------------------------------------------------


def test_a_responsible_unit_sees_the_cases_of_its_measures_only(role_users):
    from srdi.domain.policy.loader import load_packs

    unit = role_users["responsible_unit"]
    measures = scoping.measures_of_unit("市科技局")
    assert measures, "市科技局 is named responsible in the shipped packs"
    named = {(m.pack, m.article) for p in load_packs() for m in p.measures if "市科技局" in m.responsible}
    assert measures == named
    (pack, article) = sorted(measures)[0]
    other = next(
        (m.pack, m.article) for p in load_packs() for m in p.measures if "市科技局" not in m.responsible
    )
    ent = Enterprise.objects.get()
    ours = Programme.objects.create(
        code="u1",
        name="科技局条款",
        pack=pack,
        article=article,
        year=2026,
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
    )
    theirs = Programme.objects.create(
        code="u2",
        name="其他条款",
        pack=other[0],
        article=other[1],
        year=2026,
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
    )
    mine = Case.objects.create(
        programme=ours,
        enterprise=ent,
        matter="m1",
        title="t1",
        origin="offer",
        state="offered",
        district_code="330106",
    )
    Case.objects.create(
        programme=theirs,
        enterprise=ent,
        matter="m2",
        title="t2",
        origin="offer",
        state="offered",
        district_code="330106",
    )
    assert list(scoping.cases_for(unit)) == [mine]
    assert list(scoping.enterprises_for(unit)) == [ent]
    assert not md.can_act_on_cases(unit)
    assert not scoping.can_export(unit) and not scoping.can_reveal_personal_data(unit)
    unit.organisation = "市发改委以外的单位"
    unit.save()
    assert not scoping.cases_for(unit).exists()


# ---- migration 0013: no business user stays a superuser -----------------------------------------------------


def test_the_migration_removes_superuser_and_keeps_staff_only_where_the_admin_is_used(role_users):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("srdi.db.migrations.0018_perms")
    User.objects.update(is_superuser=True, is_staff=True)  # as old create_user / createsuperuser left them
    migration.drop_superusers(apps, None)
    assert not User.objects.filter(is_superuser=True).exists()
    assert set(User.objects.filter(is_staff=True).values_list("role", flat=True)) == {
        "city_admin",
        "system_admin",
    }
    assert set(migration.ADMIN_SITE_ROLES) == {
        r for r in (u.role for u in role_users.values()) if accounts.admin_site_role(r)
    }
