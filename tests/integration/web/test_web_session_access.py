"""Sessions and access end when they must (ASVS 7.3.2, 7.4.2; 等保 L3-CES1-01/-02): the absolute session
lifetime, passwords that expired or were set by an administrator (pages and API), and deactivation, which ends
sessions and revokes tokens at once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.signin import sign_in
from web_helpers import PASSWORD

from srdi.db.models import ApiToken, AuditAction, AuditEvent, User
from srdi.services import accounts
from srdi.services.tokens import authenticate_token, create_token
from srdi.web.middleware import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

API_LIST = "/api/v1/enterprises"
LOGIN = reverse("web:login")


def age_session(client: Client, hours: float) -> None:
    session = client.session
    session[SIGNED_IN_AT] = time.time() - hours * 3600
    session.save()


# ---- absolute lifetime ----------------------------------------------------------------------------------


def test_a_session_ends_after_the_absolute_lifetime_however_active(seed):
    user = seed.users["district_staff"]
    client = sign_in(Client(), user)
    assert SIGNED_IN_AT in client.session  # stamped at sign-in
    age_session(client, 11.9)
    assert client.get("/enterprises/").status_code == 200  # active and within 12 h
    age_session(client, 12.1)
    response = client.get("/enterprises/")
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next=%2Fenterprises%2F"
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=user).latest("id")
    assert event.extra == {"reason": "session_lifetime"}


def test_the_api_refuses_a_session_past_the_lifetime(seed):
    client = sign_in(Client(), seed.users["city_staff"])
    assert client.get(API_LIST).status_code == 200
    age_session(client, 13)
    response = client.get(API_LIST)
    assert response.status_code == 401 and response["Content-Type"].startswith("application/json")


def test_the_lifetime_is_a_setting(seed, settings):
    settings.SRDI_SESSION_MAX_AGE_HOURS = 1
    client = sign_in(Client(), seed.users["enterprise"])
    age_session(client, 1.1)
    assert client.get("/").status_code == 302


# ---- passwords that must be changed ------------------------------------------------------------------------


def test_an_administrator_set_password_must_be_changed_first(seed):
    user = seed.users["district_staff"]
    accounts.set_password_by_operator(user, "Mq4$tide-Orchid22", actor=seed.users["city_admin"])
    user.refresh_from_db()
    assert user.must_change_password and user.password_changed_at > timezone.now() - timedelta(minutes=1)
    client = sign_in(Client(), user)
    response = client.get("/enterprises/")
    assert response.status_code == 302 and response["Location"] == reverse("web:password_change")
    page = client.get(reverse("web:password_change"))
    assert "由管理员设置" in page.content.decode()
    api = client.get(API_LIST)
    assert api.status_code == 401 and "修改密码" in api.json()["detail"]

    new = "Kt9!Lantern-Quay"
    client.post(
        reverse("web:password_change"),
        {"old_password": "Mq4$tide-Orchid22", "new_password1": new, "new_password2": new},
    )
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/enterprises/").status_code == 200
    assert client.get(API_LIST).status_code == 200


def test_the_api_refuses_the_session_of_an_expired_password(seed):
    user = seed.users["city_staff"]
    client = sign_in(Client(), user)
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    response = client.get(API_LIST)
    assert response.status_code == 401 and "密码已过期" in response.json()["detail"]


def test_an_expired_password_also_stops_the_users_tokens(seed):
    user = seed.users["city_staff"]
    raw = create_token(user, "同步")
    assert authenticate_token(raw) == user
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    assert authenticate_token(raw) is None
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get(API_LIST)
    assert response.status_code == 401


def test_a_user_without_a_change_date_ages_from_joining(seed):
    user = seed.users["auditor"]
    User.objects.filter(pk=user.pk).update(
        password_changed_at=None, date_joined=timezone.now() - timedelta(days=200)
    )
    client = sign_in(Client(), User.objects.get(pk=user.pk))
    assert client.get("/enterprises/")["Location"] == reverse("web:password_change")


def test_every_password_set_restarts_the_clock(db):
    user = User(username="clock", role="city_staff")
    user.set_password("Mq4$tide-Orchid22")
    assert user.password_changed_at is not None and not user.must_change_password


def test_passwords_set_in_the_admin_must_be_changed(login_as, seed):
    client = login_as("system_admin")  # accounts are the system administrator's (三权分立)
    response = client.post(
        reverse("admin:srdi_user_add"),
        {
            "username": "new_clerk",
            "organisation": "市经信局",
            "password1": "Mq4$tide-Orchid22",
            "password2": "Mq4$tide-Orchid22",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    clerk = User.objects.get(username="new_clerk")
    assert clerk.must_change_password and clerk.password_changed_at is not None

    target = seed.users["auditor"]
    User.objects.filter(pk=target.pk).update(password_changed_at=timezone.now() - timedelta(days=80))
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    response = client.post(url, {"password1": "Kt9!Lantern-Quay", "password2": "Kt9!Lantern-Quay"})
    assert response.status_code == 302, response.context["form"].errors
    target.refresh_from_db()
    assert target.must_change_password
    assert target.password_changed_at > timezone.now() - timedelta(minutes=1)


def test_the_admin_refuses_a_guessable_password(login_as, seed):
    response = login_as("system_admin").post(
        reverse("admin:auth_user_password_change", args=[seed.users["auditor"].pk]),
        {"password1": "Admin@123456", "password2": "Admin@123456"},
    )
    assert response.status_code == 200 and "容易被猜中" in response.content.decode()


def test_createuser_sets_a_password_that_must_be_changed(seed):
    from srdi.cli import commands_server  # noqa: F401 - registers ``srdi createuser``
    from srdi.cli.main import cli

    runner = CliRunner()
    out = runner.invoke(
        cli, ["createuser", "cli_clerk", "--role", "city_staff", "--password", "Mq4$tide-Orchid22"]
    )
    assert out.exit_code == 0, out.output
    assert User.objects.get(username="cli_clerk").must_change_password
    weak = runner.invoke(
        cli, ["createuser", "cli_weak", "--role", "city_staff", "--password", "Password123!"]
    )
    assert weak.exit_code != 0 and "容易被猜中" in weak.output


# ---- deactivation ends sessions and tokens at once --------------------------------------------------------


def _sessions_of(user: User) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk))


def test_deactivating_a_user_ends_sessions_and_revokes_tokens_at_once(seed):
    from srdi.cli import commands_accounts  # noqa: F401 - registers ``srdi user``
    from srdi.cli.main import cli

    user = seed.users["district_staff"]
    other = sign_in(Client(), seed.users["city_staff"])
    browsers = [sign_in(Client(), user), sign_in(Client(), user)]
    raws = [create_token(user, "甲"), create_token(user, "乙")]
    assert _sessions_of(user) == 2

    out = CliRunner().invoke(cli, ["user", "deactivate", user.username], catch_exceptions=False)
    assert out.exit_code == 0
    assert _sessions_of(user) == 0
    assert all(b.get("/enterprises/").status_code == 302 for b in browsers)
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert all(authenticate_token(r) is None for r in raws)
    assert other.get("/enterprises/").status_code == 200  # nobody else is touched
    ended = AuditEvent.objects.get(action=AuditAction.DELETE, object_type="session")
    assert ended.extra == {"reason": "deactivated", "sessions": 2}
    revoked = AuditEvent.objects.get(object_type="api_token", extra__operation="revoke_all")
    assert revoked.extra["reason"] == "deactivated"
    changed = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="user", object_id=str(user.pk))
    assert changed.old["is_active"] is True and changed.new["is_active"] is False


def test_deactivating_in_the_admin_also_ends_access(seed):
    user = seed.users["auditor"]
    browser = sign_in(Client(), user)
    raw = create_token(user, "报表")
    user.is_active = False
    user.save()  # what the admin's change form does
    assert browser.get("/").status_code == 302
    assert authenticate_token(raw) is None
    assert _sessions_of(user) == 0


def test_saving_an_active_user_ends_nothing(seed):
    user = seed.users["auditor"]
    browser = sign_in(Client(), user)
    user.organisation = "市审计局"
    user.save()
    assert browser.get("/").status_code == 200
    assert not AuditEvent.objects.filter(object_type="session").exists()


def test_a_reset_password_ends_the_sessions(seed):
    user = seed.users["city_staff"]
    browser = sign_in(Client(), user)
    accounts.set_password_by_operator(user, "Mq4$tide-Orchid22")
    assert browser.get("/").status_code == 302
    assert Client().post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 200
