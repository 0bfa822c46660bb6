"""The back-office admin: pages render, audit data is read-only, admin changes reach the audit log; business
tables are the city administrator's, accounts the system administrator's (三权分立), nobody is a superuser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from srdi.db.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "role"),
    [
        ("enterprise", "city_admin"),
        ("certification", "city_admin"),
        ("contact", "city_admin"),
        ("importbatch", "city_admin"),
        ("auditevent", "city_admin"),
        ("district", "city_admin"),
        ("user", "system_admin"),
        ("apitoken", "system_admin"),
    ],
)
def test_changelists_render(login_as, model, role):
    response = login_as(role).get(reverse(f"admin:srdi_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["user", "apitoken"])
def test_city_admin_cannot_manage_accounts_in_the_admin(login_as, model):
    client = login_as("city_admin")
    assert client.get(reverse(f"admin:srdi_{model}_changelist")).status_code == 403
    if model == "user":
        assert client.get(reverse("admin:srdi_user_add")).status_code == 403


@pytest.mark.parametrize("model", ["enterprise", "contact", "auditevent"])
def test_system_admin_sees_no_business_data_in_the_admin(login_as, model):
    assert login_as("system_admin").get(reverse(f"admin:srdi_{model}_changelist")).status_code == 403


def test_nobody_is_a_superuser(seed):
    assert not [u.username for u in seed.users.values() if u.is_superuser]
    staff = sorted(k for k, u in seed.users.items() if u.is_staff)
    assert staff == ["city_admin", "system_admin"]


def test_enterprise_change_page_masks_contacts(login_as, seed):
    response = login_as("city_admin").get(reverse("admin:srdi_enterprise_change", args=[seed.west.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "139****5678" in text
    assert "13912345678" not in text


def test_audit_log_cannot_be_added_changed_or_deleted(login_as, seed):
    client = login_as("city_admin")
    event = AuditEvent.objects.first()
    assert client.get(reverse("admin:srdi_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:srdi_auditevent_delete", args=[event.pk])).status_code == 403
    change = client.post(reverse("admin:srdi_auditevent_change", args=[event.pk]), {"action": "delete"})
    assert change.status_code == 403
    assert client.get(reverse("admin:srdi_importbatch_add")).status_code == 403


def test_admin_edits_are_audited(login_as, seed):
    client = login_as("system_admin")
    url = reverse("admin:srdi_user_change", args=[seed.users["auditor"].pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in ("groups", "user_permissions")
    }
    data.update(
        {
            "is_active": "",
            "role": "city_admin",  # read-only here: ignored
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2025-01-01",
        }
    )
    data["date_joined_1"] = "00:00:00"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="user").latest("id")
    assert event.actor == seed.users["system_admin"]
    assert event.object_id == str(seed.users["auditor"].pk)
    assert event.extra["via"] == "admin"
    assert event.old["is_active"] is True and event.new["is_active"] is False
    assert event.old["role"] == event.new["role"] == "auditor"  # the role field cannot be changed here
    seed.users["auditor"].refresh_from_db()
    assert seed.users["auditor"].role == "auditor" and not seed.users["auditor"].is_active


def test_an_account_added_in_the_admin_has_no_role(login_as, seed):
    client = login_as("system_admin")
    response = client.post(
        reverse("admin:srdi_user_add"),
        {
            "username": "shadow_admin",
            "organisation": "市经信局",
            "role": "city_admin",
            "is_superuser": "on",
            "password1": "Xk9#mQ2$vL7!pR4z",
            "password2": "Xk9#mQ2$vL7!pR4z",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    from srdi.db.models import User

    shadow = User.objects.get(username="shadow_admin")
    assert shadow.role == "" and not shadow.is_superuser and not shadow.is_staff
    event = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="user").latest("id")
    assert event.new["role"] == "" and event.new["username"] == "shadow_admin"


def test_non_staff_cannot_enter_the_admin(login_as):
    response = login_as("district_staff").get(reverse("admin:index"))
    assert response.status_code == 302
