"""The audit-log page: who may read it, filters, pagination, and the hash-chain check."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from tests.integration.test_audit_log import _drop_guards, _restore_guards

from srdi.db.models import AuditAction, AuditEvent
from srdi.services import audit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["city_admin", "auditor"])
def test_admin_and_auditor_read_the_log(login_as, seed, role):
    audit.record(
        AuditAction.EXPORT, seed.users["city_staff"], object_type="enterprise", object_repr="导出测试记录"
    )
    response = login_as(role).get(reverse("web:audit_log"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "导出测试记录" in text and "审计日志" in text
    assert "审计日志" in [item["label"] for item in response.context["nav"]]


@pytest.mark.parametrize("role", ["city_staff", "district_staff", "enterprise", "provider"])
def test_other_roles_are_refused_and_the_refusal_is_logged(login_as, seed, role):
    before = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count()
    response = login_as(role).get(reverse("web:audit_log"))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count() == before + 1
    menu = login_as(role).get(reverse("web:home")).context["nav"]
    assert "审计日志" not in [item["label"] for item in menu]


def test_filters_narrow_the_list(login_as, seed):
    audit.record(AuditAction.EXPORT, seed.users["city_staff"], object_type="enterprise", object_repr="甲导出")
    audit.record(AuditAction.REVEAL, seed.users["city_admin"], object_type="enterprise", object_repr="乙查看")
    audit.record(
        AuditAction.ACCESS_DENIED,
        seed.users["district_staff"],
        object_type="page",
        object_repr="丙越权",
        success=False,
    )
    client = login_as("auditor")
    text = client.get(reverse("web:audit_log"), {"action": "reveal"}).content.decode()
    assert "乙查看" in text and "甲导出" not in text
    text = client.get(reverse("web:audit_log"), {"success": "0"}).content.decode()
    assert "丙越权" in text and "乙查看" not in text
    text = client.get(reverse("web:audit_log"), {"q": "甲导出"}).content.decode()
    assert "甲导出" in text and "丙越权" not in text
    bad = client.get(reverse("web:audit_log"), {"since": "2025-02-01", "until": "2025-01-01"})
    assert "起始日期晚于截止日期" in bad.content.decode()


def test_pagination_keeps_fifty_per_page(login_as, seed):
    for i in range(60):
        audit.record(AuditAction.EXPORT, None, object_type="bulk", object_repr=f"批量{i:02d}")
    client = login_as("auditor")
    first = client.get(reverse("web:audit_log"), {"object_type": "bulk"})
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("web:audit_log"), {"object_type": "bulk", "page": 2})
    assert len(second.context["page"].object_list) == 10


@pytest.mark.ledger_unchecked
@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # PostgreSQL cannot drop a trigger mid-transaction
def test_chain_check_reports_a_tampered_event(login_as, seed):
    event = audit.record(AuditAction.EXPORT, None, object_type="enterprise", object_repr="原始内容")
    client = login_as("auditor")
    assert "哈希链完整" in client.get(reverse("web:audit_log"), {"verify": "1"}).content.decode()
    _drop_guards()  # tamper behind the application's back, as a database superuser could
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE srdi_auditevent SET object_repr = %s WHERE id = %s", ["篡改后", event.pk])
    finally:
        _restore_guards()
    text = client.get(reverse("web:audit_log"), {"verify": "1"}).content.decode()
    assert f"哈希链在第 {event.seq} 条（记录 #{event.pk}）处有问题" in text
