"""Sign-in, lockout, sign-out and password change (等保 8.1.4.1 a–b; ASVS 6.3.1, 6.3.8, 7.2.4, 7.4.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.signin import authenticator, next_code
from web_helpers import PASSWORD

from srdi.db.models import AuditAction, AuditEvent, User
from srdi.web.views.auth import LOGIN_FAILED

pytestmark = pytest.mark.django_db

LOGIN = reverse("web:login")
OTP = reverse("web:otp_verify")


def post_login(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def password_then_code(client: Client, username: str, password: str, **extra):
    """The whole sign-in of a staff user: the password, then a code from their authenticator."""
    device = authenticator(User.objects.get(username=username))
    response = post_login(client, username, password, **extra)
    assert response.status_code == 302 and response["Location"] == OTP, response
    assert "_auth_user_id" not in client.session  # not signed in before the second factor
    return client.post(OTP, {"code": next_code(device)})


def test_login_page_renders_in_chinese(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "杭州专精特新名城平台" in text
    assert "杭政办函〔2023〕81号" in text
    assert 'name="csrfmiddlewaretoken"' in text


def test_login_success_starts_a_new_session_and_is_audited(seed):
    client = Client()
    client.get(LOGIN)
    before = client.session.session_key
    response = password_then_code(client, "city_staff", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(seed.users["city_staff"].pk)
    assert client.session.session_key != before
    event = AuditEvent.objects.get(action=AuditAction.LOGIN, actor=seed.users["city_staff"])
    assert event.extra == {"second_factor": "totp"}


def test_login_follows_a_local_next_but_not_an_external_one(seed):
    client = Client()
    response = password_then_code(client, "city_staff", PASSWORD, next="/enterprises/")
    assert response["Location"] == "/enterprises/"
    client = Client()
    response = password_then_code(client, "city_staff", PASSWORD, next="https://evil.example/")
    assert response["Location"] == reverse("web:home")


def test_an_enterprise_user_signs_in_with_the_password_alone(seed):
    client = Client()
    response = post_login(client, "west_ent", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(seed.users["enterprise"].pk)


def test_unknown_user_and_wrong_password_get_the_same_answer(seed):
    unknown = post_login(Client(), "nobody-here", PASSWORD)
    wrong = post_login(Client(), "city_staff", "Wrong!Passw0rd-1")
    assert unknown.status_code == wrong.status_code == 200
    assert LOGIN_FAILED in unknown.content.decode()
    assert LOGIN_FAILED in wrong.content.decode()
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failures.count() == 2
    assert all(not e.success for e in failures)
    assert "_auth_user_id" not in Client().session


def test_inactive_account_cannot_sign_in(seed):
    User.objects.filter(username="city_staff").update(is_active=False)
    response = post_login(Client(), "city_staff", PASSWORD)
    assert LOGIN_FAILED in response.content.decode()


def test_five_failures_lock_the_account_even_for_the_right_password(seed):
    client = Client()
    for attempt in range(1, 6):
        response = post_login(client, "west_staff", f"Wrong!Passw0rd-{attempt}")
    assert response.status_code == 429
    assert "30 分钟" in response.content.decode()
    assert "账号已锁定" in response.content.decode()

    response = post_login(client, "west_staff", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked (lockout is per user name + address).
    assert post_login(Client(), "city_staff", PASSWORD).status_code == 302


def test_four_failures_do_not_lock(seed):
    client = Client()
    for attempt in range(4):
        post_login(client, "west_staff", f"Wrong!Passw0rd-{attempt}")
    assert post_login(client, "west_staff", PASSWORD).status_code == 302


def test_logout_is_post_only_and_ends_the_session(login_as, seed):
    client = login_as("city_staff")
    assert client.get(reverse("web:logout")).status_code == 405
    assert client.get(reverse("web:home")).status_code == 200
    old_key = client.session.session_key
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=seed.users["city_staff"]).exists()
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=old_key).exists()
    home = client.get(reverse("web:home"))
    assert home.status_code == 302
    assert home["Location"].startswith(LOGIN)


def test_pages_need_a_signed_in_user(db):
    for name in ("web:home", "web:enterprise_list", "web:import"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_expired_password_forces_a_change(login_as, seed):
    user = seed.users["district_staff"]
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=400))
    client = login_as("district_staff")
    response = client.get(reverse("web:enterprise_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:password_change")
    page = client.get(reverse("web:password_change"))
    assert page.status_code == 200
    assert "请先修改密码" in page.content.decode()

    new = "N3w!Passw0rd-Longer"
    response = client.post(
        reverse("web:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get(reverse("web:enterprise_list")).status_code == 200  # still signed in, no longer expired
    user.refresh_from_db()
    assert user.check_password(new)
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE, actor=user).exists()


def test_password_change_rejects_wrong_current_and_weak_new(login_as, seed):
    client = login_as("city_staff")
    wrong_current = client.post(
        reverse("web:password_change"),
        {
            "old_password": "not-it",
            "new_password1": "N3w!Passw0rd-Longer",
            "new_password2": "N3w!Passw0rd-Longer",
        },
    )
    assert "当前密码不正确" in wrong_current.content.decode()
    weak = client.post(
        reverse("web:password_change"),
        {"old_password": PASSWORD, "new_password1": "abcdefghijk", "new_password2": "abcdefghijk"},
    )
    assert weak.status_code == 200
    assert "is-invalid" in weak.content.decode()
    assert seed.users["city_staff"].check_password(PASSWORD)
