"""Two-factor sign-in for staff (等保 L3-CES1-04; ASVS 6.3.2, 6.5.x): enrolment, codes, replay, recovery codes,
lockout, audit, the unverified session on pages and the API, bearer tokens, and ``srdi otp reset``."""

from __future__ import annotations

import base64
import time

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.signin import authenticator, next_code, sign_in, sign_in_without_second_factor, totp_code
from web_helpers import PASSWORD

from srdi.db.models import AuditAction, AuditEvent, User
from srdi.services import second_factor
from srdi.services.tokens import create_token

pytestmark = pytest.mark.django_db

LOGIN = reverse("web:login")
OTP = reverse("web:otp_verify")
ENROL = reverse("web:otp_enrol")
API_LIST = "/api/v1/enterprises"


def password_step(client: Client, username: str, **extra) -> str:
    response = client.post(LOGIN, {"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 302
    return response["Location"]


def secret_on(page) -> bytes:
    """The base32 secret shown on the enrolment page, as the authenticator app would read it."""
    text = page.context["enrolment"].secret.replace(" ", "")
    assert text in page.content.decode().replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


@pytest.mark.parametrize(
    ("role", "asked"),
    [
        ("city_admin", True),
        ("city_staff", True),
        ("district_staff", True),
        ("auditor", True),
        ("enterprise", False),
        ("provider", False),
    ],
)
def test_staff_roles_need_the_second_factor_and_others_do_not(seed, role, asked):
    assert second_factor.required_for(seed.users[role]) is asked
    target = password_step(Client(), seed.users[role].username)
    assert (target in (OTP, ENROL)) is asked


def test_first_sign_in_enrols_shows_the_recovery_codes_once_and_signs_in(seed):
    user = seed.users["district_staff"]
    client = Client()
    assert password_step(client, user.username, next="/enterprises/") == ENROL
    assert client.get(reverse("web:enterprise_list")).status_code == 302  # not signed in yet
    page = client.get(ENROL)
    assert page.status_code == 200 and page["Cache-Control"].startswith("no-store")
    text = page.content.decode()
    assert "<svg" in text and "otpauth://" not in text.split("<svg", 1)[0]  # QR inline, no external image
    key = secret_on(page)

    wrong = client.post(ENROL, {"code": "000000" if totp_code(key) != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    time.sleep(1.1)  # django-otp makes the device wait 1 s after a failure (then 2 s, 4 s …)
    done = client.post(ENROL, {"code": totp_code(key)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(c in done.content.decode() for c in codes)
    assert done.context["next"] == "/enterprises/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("web:enterprise_list")).status_code == 200
    assert client.get(ENROL).status_code == 302  # enrolment is over: nothing shown again
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="otp_device")
    assert created.actor == user and "10" in created.object_repr
    login = AuditEvent.objects.get(action=AuditAction.LOGIN, actor=user)
    assert login.extra == {"second_factor": "totp"}


def test_a_used_code_cannot_be_replayed(seed):
    user = seed.users["city_staff"]
    device = authenticator(user)
    code = next_code(device)
    first = Client()
    password_step(first, user.username)
    assert first.post(OTP, {"code": code})["Location"] == "/"
    device.refresh_from_db()
    assert device.last_t >= 0  # django-otp remembered the time step
    second = Client()
    password_step(second, user.username)
    replay = second.post(OTP, {"code": code})
    assert replay.status_code == 200 and "验证码不正确或已使用过" in replay.content.decode()
    assert "_auth_user_id" not in second.session
    failure = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, object_type="second_factor").get()
    assert failure.actor == user and not failure.success and failure.extra == {"reason": "wrong_code"}


def test_a_recovery_code_works_once(seed):
    user = seed.users["auditor"]
    client = Client()
    password_step(client, user.username)
    key = secret_on(client.get(ENROL))
    codes = client.post(ENROL, {"code": totp_code(key)}).context["codes"]
    client.post(reverse("web:logout"))

    again = Client()
    assert password_step(again, user.username) == OTP
    response = again.post(OTP, {"code": codes[3].upper()})
    assert response.status_code == 302 and again.session["_auth_user_id"] == str(user.pk)
    assert StaticToken.objects.filter(device__user=user).count() == 9
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=user).latest("id").extra == {
        "second_factor": "recovery"
    }
    third = Client()
    password_step(third, user.username)
    assert third.post(OTP, {"code": codes[3]}).status_code == 200  # used up
    assert "_auth_user_id" not in third.session


def test_five_wrong_codes_lock_the_account_like_wrong_passwords(seed, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = (
        0  # only axes here: django-otp's own slow-down is tested by django-otp
    )
    user = seed.users["district_staff"]
    device = authenticator(user)
    client = Client()
    password_step(client, user.username)
    good = next_code(device)
    wrong = [c for c in ("111111", "222222", "333333", "444444", "555555", "666666") if c != good][:5]
    for attempt, code in enumerate(wrong, start=1):
        response = client.post(OTP, {"code": code})
        assert response.status_code == (429 if attempt == 5 else 200)
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert (
        AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, object_type="second_factor").count() == 5
    )
    # Locked: even the right password is refused now.
    assert Client().post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 429


def test_the_pending_sign_in_expires(seed, settings):
    settings.SRDI_SECOND_FACTOR_PENDING_SECONDS = 1
    user = seed.users["city_staff"]
    device = authenticator(user)
    client = Client()
    password_step(client, user.username)
    time.sleep(1.2)
    response = client.post(OTP, {"code": next_code(device)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_an_unverified_staff_session_reaches_no_page_and_no_api(seed):
    user = seed.users["city_admin"]
    authenticator(user)
    client = sign_in_without_second_factor(Client(), user)  # e.g. a session from before 2FA
    for path in ("/", "/enterprises/", "/audit/", "/admin/", "/accounts/password/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == OTP, path
    api = client.get(API_LIST)
    assert api.status_code == 401 and api["Content-Type"].startswith("application/json")
    assert "双因素" in api.json()["detail"]
    # The code verifies the session in place.
    response = client.post(OTP, {"code": next_code(authenticator(user))})
    assert response.status_code == 302
    assert client.get("/enterprises/").status_code == 200
    assert client.get(API_LIST).status_code == 200


def test_the_admin_login_page_goes_to_the_two_step_sign_in(db):
    response = Client().get("/admin/login/?next=/admin/srdi/user/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2Fsrdi%2Fuser%2F"


def test_bearer_tokens_of_staff_need_no_second_factor(seed):
    raw = create_token(seed.users["city_staff"], "同步")
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get(API_LIST)
    assert response.status_code == 200


def test_sign_in_helper_verifies_staff_sessions(seed):
    client = sign_in(Client(), seed.users["district_staff"])
    assert client.get("/enterprises/").status_code == 200
    assert client.get(API_LIST).status_code == 200


def test_otp_reset_makes_the_user_enrol_again_and_ends_sessions(seed):
    from srdi.cli import commands_accounts  # noqa: F401 - registers ``srdi otp``
    from srdi.cli.main import cli

    user = seed.users["district_staff"]
    client = sign_in(Client(), user)
    out = CliRunner().invoke(cli, ["otp", "reset", user.username], catch_exceptions=False)
    assert out.exit_code == 0 and "重新绑定" in out.output
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/enterprises/").status_code == 302  # the session is gone
    event = AuditEvent.objects.get(action=AuditAction.DELETE, object_type="otp_device")
    assert event.object_id == str(user.pk) and event.extra == {"operation": "otp_reset"}
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_type="session").exists()
    assert password_step(Client(), user.username) == ENROL
    missing = CliRunner().invoke(cli, ["otp", "reset", "nobody"])
    assert missing.exit_code != 0 and "不存在" in missing.output


def test_users_of_other_roles_keep_their_sessions_unverified(seed):
    user = User.objects.get(username="west_ent")
    client = sign_in_without_second_factor(Client(), user)
    assert client.get("/").status_code == 200


def test_the_admin_does_not_show_second_factor_secrets(login_as, seed):
    authenticator(seed.users["city_staff"])
    client = login_as("city_admin")
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404
    assert "otp_totp" not in client.get("/admin/").content.decode()
