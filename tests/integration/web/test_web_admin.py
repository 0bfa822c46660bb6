"""The back-office admin: pages render, audit data is read-only, admin changes reach the audit log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from srdi.db.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model",
    ["enterprise", "certification", "contact", "importbatch", "auditevent", "user", "district", "apitoken"],
)
def test_changelists_render(login_as, model):
    response = login_as("city_admin").get(reverse(f"admin:srdi_{model}_changelist"))
    assert response.status_code == 200


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
    client = login_as("city_admin")
    url = reverse("admin:srdi_user_change", args=[seed.users["auditor"].pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in ("groups", "user_permissions")
    }
    data.update(
        {"organisation": "市审计局", "last_login_0": "", "last_login_1": "", "date_joined_0": "2025-01-01"}
    )
    data["date_joined_1"] = "00:00:00"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="user").latest("id")
    assert event.actor == seed.users["city_admin"]
    assert event.object_id == str(seed.users["auditor"].pk)
    assert event.extra["via"] == "admin"


def test_non_staff_cannot_enter_the_admin(login_as):
    response = login_as("district_staff").get(reverse("admin:index"))
    assert response.status_code == 302
