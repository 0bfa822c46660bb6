"""The issue-13 reproduction, now failing safely: a city admin who reviewed a case is refused approval, and
cannot get around it with a second city-admin account — not in ``/admin/``, not through the services or the
role page; even a security administrator's grant of city_admin waits for a second security administrator.
A system administrator cannot approve money either (三权分立)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.integration.money.conftest import AFTER_PUBLICITY
from tests.signin import sign_in

from srdi.db.models import AuditAction, AuditEvent, Case, RoleGrant, User
from srdi.services import role_grants
from srdi.services.accounts import AccountError, create_account, create_user
from srdi.services.cases import TransitionRefused, transition
from srdi.services.payments import PaymentConflict, disburse

pytestmark = pytest.mark.django_db

STRONG = "Kq7#vTz2!mW9pLx4"


def _in_publicity(world) -> Case:
    u = world.users
    case = world.case(world.enterprises[0])
    from srdi.services.cases import update_claim

    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number="62220202000012"
    )
    transition(case.pk, u["enterprise"], "confirm")
    transition(case.pk, u["district"], "district_pass")
    transition(case.pk, u["city_admin"], "city_pass")  # the city admin reviews the case
    return Case.objects.get(pk=case.pk)


def test_the_shadow_admin_route_is_closed(world):
    u = world.users
    admin = u["city_admin"]
    case = _in_publicity(world)

    # 1. The reviewer is refused approval (separation of duties, as before).
    with pytest.raises(TransitionRefused) as refused:
        transition(case.pk, admin, "approve", on=AFTER_PUBLICITY)
    assert refused.value.verdict.code == "separation_of_duties"

    # 2. A second city-admin account through the services: refused, and audited.
    with pytest.raises(AccountError, match="系统管理员"):
        create_user(username="shadow", password=STRONG, role="city_admin", actor=admin)
    with pytest.raises(AccountError, match="系统管理员"):
        create_account(admin, username="shadow", password=STRONG)
    victim = create_user(username="plain", password=STRONG, role="city_staff")
    with pytest.raises(role_grants.GrantError) as grant_refused:
        role_grants.request_grant(admin, victim, "city_admin")
    assert grant_refused.value.code == "role"

    # 3. … through /admin/ and the role page: 403, nothing created.
    browser = sign_in(Client(), admin)
    assert browser.get(reverse("admin:srdi_user_add")).status_code == 403
    added = browser.post(
        reverse("admin:srdi_user_add"),
        {"username": "shadow", "role": "city_admin", "password1": STRONG, "password2": STRONG},
    )
    assert added.status_code == 403
    change = browser.post(reverse("admin:srdi_user_change", args=[victim.pk]), {"role": "city_admin"})
    assert change.status_code == 403
    grant = browser.post(reverse("web:role_grant"), {"username": "plain", "role": "city_admin"})
    assert grant.status_code == 403
    assert not User.objects.filter(username="shadow").exists()
    victim.refresh_from_db()
    assert victim.role == "city_staff"
    assert not User.objects.filter(is_superuser=True).exists()
    refusals = AuditEvent.objects.filter(actor=admin, success=False)
    assert refusals.filter(action=AuditAction.ACCESS_DENIED, object_type="user").count() >= 2
    assert refusals.filter(action=AuditAction.ROLE_GRANT).exists()

    # 4. Even the proper route needs two security administrators.
    sec1 = create_user(username="sec1", password=STRONG, role="security_admin")
    sec2 = create_user(username="sec2", password=STRONG, role="security_admin")
    sysadmin = create_user(username="sys", password=STRONG, role="system_admin")
    new = create_account(sysadmin, username="new_admin", password=STRONG)
    assert new.role == "" and not new.is_staff and not new.is_superuser
    outcome = role_grants.request_grant(sec1, new, "city_admin", reason="新任管理员")
    assert not outcome.applied
    new.refresh_from_db()
    assert new.role == ""  # pending: the account can do nothing yet
    with pytest.raises(TransitionRefused) as no_role:
        transition(case.pk, new, "approve", on=AFTER_PUBLICITY)
    assert no_role.value.verdict.code == "role"
    with pytest.raises(role_grants.GrantError) as own:
        role_grants.decide(sec1, outcome.grant.pk, approve=True)
    assert own.value.code == "same_person"
    with pytest.raises(role_grants.GrantError) as not_security:
        role_grants.decide(admin, outcome.grant.pk, approve=True)
    assert not_security.value.code == "role"
    with pytest.raises(role_grants.GrantError) as itself:
        role_grants.request_grant(sec1, sec1, "city_admin")
    assert itself.value.code == "self"
    role_grants.decide(sec2, outcome.grant.pk, approve=True)
    new.refresh_from_db()
    assert new.role == "city_admin" and not new.is_superuser
    grant = RoleGrant.objects.get(pk=outcome.grant.pk)
    assert (grant.requested_by, grant.decided_by, grant.status) == (sec1, sec2, "applied")
    event = AuditEvent.objects.filter(
        action=AuditAction.ROLE_GRANT, object_id=str(new.pk), success=True
    ).latest("id")
    assert event.old["role"] == "" and event.new["role"] == "city_admin"
    assert event.actor == sec2 and event.extra["requested_by"] == "sec1"


def test_a_system_admin_cannot_approve_or_pay(world):
    u = world.users
    case = _in_publicity(world)
    sysadmin = create_user(username="sys", password=STRONG, role="system_admin")
    with pytest.raises(TransitionRefused) as refused:
        transition(case.pk, sysadmin, "approve", on=AFTER_PUBLICITY)
    assert refused.value.verdict.code == "role"
    with pytest.raises(PaymentConflict) as no_pay:
        disburse(case.pk, 100, "sys-run", actor=sysadmin)
    assert no_pay.value.code == "role"
    browser = sign_in(Client(), sysadmin)
    assert browser.get(reverse("web:case_detail", args=[case.pk])).status_code == 403
    response = browser.post(
        reverse("web:case_action", args=[case.pk]), {"name": "approve", "stepup_password": STRONG}
    )
    assert response.status_code == 403
    assert browser.get(reverse("web:payment_runs")).status_code == 403
    assert Case.objects.get(pk=case.pk).state == "publicity"
    # The proper approver (another city admin, who did not review) still can.
    transition(case.pk, u["city_admin2"], "approve", on=AFTER_PUBLICITY)
    assert Case.objects.get(pk=case.pk).state == "approved"
