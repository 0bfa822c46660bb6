"""The inbox grouped by kind (``services.inbox``): counts per kind, filters, and bulk mark-read of the user's own
messages only (POST with CSRF)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.signin import sign_in

from srdi.db.models import Notification
from srdi.domain.inbox import MessageKind, kind_of
from srdi.services import inbox as inbox_service
from srdi.services.accounts import create_user


@pytest.fixture
def people(db):
    me = create_user(username="inbox_me", password="x", role="city_staff", check_password=False)
    other = create_user(username="inbox_other", password="x", role="city_staff", check_password=False)
    for i in range(3):
        Notification.objects.create(user=me, title=f"事项{i}", url=f"/cases/{i + 1}/")
    Notification.objects.create(user=me, title="报告", url="/units/?year=2025&quarter=4")
    Notification.objects.create(user=me, title="无链接")
    Notification.objects.create(user=other, title="别人的事项", url="/cases/9/")
    return me, other


def test_kind_of_reads_the_link():
    assert kind_of("/cases/3/") is MessageKind.CASE
    assert kind_of("/units/?year=2025") is MessageKind.UNIT
    assert kind_of("") is MessageKind.OTHER
    assert kind_of("/elsewhere/") is MessageKind.OTHER


def test_counts_per_kind(people):
    me, _ = people
    counts = {k.kind: (k.total, k.unread) for k in inbox_service.kind_counts(me)}
    assert counts == {MessageKind.CASE: (3, 3), MessageKind.UNIT: (1, 1), MessageKind.OTHER: (1, 1)}
    assert sum(t for t, _ in counts.values()) == inbox_service.messages_for(me).count()


def test_filter_and_bulk_mark_read_touch_only_my_messages(people):
    me, other = people
    client = Client(enforce_csrf_checks=False)
    sign_in(client, me)
    page = client.get(reverse("web:inbox"), {"kind": "case"})
    assert page.status_code == 200
    assert [r["n"].title for r in page.context["rows"]] == ["事项2", "事项1", "事项0"]
    assert "事项办理" in page.content.decode() and "别人的事项" not in page.content.decode()
    first = Notification.objects.get(user=me, title="事项0")
    theirs = Notification.objects.get(user=other)
    client.post(reverse("web:inbox_read"), {"selected": "1", "ids": [first.pk, theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None  # another user's message is never touched
    assert Notification.objects.get(pk=first.pk).read_at is not None
    response = client.post(reverse("web:inbox_read"), {"kind_all": "1", "kind": "case", "unread": "1"})
    assert response.status_code == 302 and response["Location"].endswith("?kind=case&unread=1")
    assert not inbox_service.filtered(me, MessageKind.CASE, unread=True).exists()
    assert inbox_service.filtered(me, MessageKind.UNIT, unread=True).count() == 1
    unread = client.get(reverse("web:inbox"), {"unread": "1"})
    assert [r["n"].title for r in unread.context["rows"]] == ["无链接", "报告"]
    assert Notification.objects.get(user=other).read_at is None


def test_bulk_mark_read_needs_csrf(people):
    me, _ = people
    client = Client(enforce_csrf_checks=True)
    sign_in(client, me)
    response = client.post(reverse("web:inbox_read"), {"all": "1"})
    assert response.status_code == 403
    assert inbox_service.messages_for(me).filter(read_at__isnull=True).count() == 5
