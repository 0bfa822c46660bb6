"""参数管理 pages: who may see them, proposing (value read by unit, refusals on the field), the approval page with
the effect, maker–checker (the proposer is refused and audited), approval by a city administrator making the value
in force from its date, withdrawal, the list's filters and the history page."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from tests.signin import sign_in
from web_helpers import PASSWORD

from srdi.db.models import AuditAction, AuditEvent, ParameterChange
from srdi.services.accounts import create_user
from srdi.services.parameters import pack_in_force, packs_in_force

pytestmark = pytest.mark.django_db

PID = "hz81.7.scene_amount"
FORM = {
    "parameter": PID,
    "value": "40万",
    "effective_from": "2031-01-01",
    "effective_to": "",
    "document": "杭经信〔2031〕1号",
    "article": "第二条",
    "reason": "按新的实施细则调整场景奖励",
}


def html(response) -> str:
    return response.content.decode()


def _propose(client, **changes) -> tuple[object, ParameterChange | None]:
    response = client.post(reverse("web:parameter_propose"), {**FORM, **changes})
    return response, ParameterChange.objects.order_by("-id").first()


@pytest.mark.parametrize(
    "role", ["district_staff", "other_district_staff", "enterprise", "provider", "auditor"]
)
def test_other_roles_are_refused_and_the_refusal_is_audited(login_as, seed, role):
    client = login_as(role)
    for name, args in [
        ("web:parameter_changes", []),
        ("web:parameter_propose", []),
        ("web:parameter_history", [PID]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_DENIED, actor=seed.users[role], object_id="parameter_changes"
    ).exists()
    assert "参数管理" not in html(client.get("/"))


def test_city_staff_and_admin_see_the_menu_entry(login_as):
    for role in ("city_staff", "city_admin"):
        assert "参数管理" in html(login_as(role).get(reverse("web:policy_catalogue")))


def test_the_propose_form_groups_parameters_by_pack_with_the_value_in_force(login_as):
    page = html(login_as("city_staff").get(reverse("web:parameter_propose") + f"?parameter={PID}"))
    assert '<optgroup label="杭政办函〔2023〕81号（hz81）">' in page
    assert (
        "hz81.7.scene_amount 优秀创新突破类场景和应用类首创场景每个奖励（不超过）（金额，现值 50万元）"
        in page
    )
    assert "金额以万元填写" in page  # the hint of the chosen parameter's unit


def test_a_proposal_is_stored_with_its_effect_and_shown_on_the_approval_page(login_as, seed):
    staff = login_as("city_staff")
    response, change = _propose(staff)
    assert change is not None and change.status == "proposed"
    assert response.status_code == 302 and response.url == reverse("web:parameter_change", args=[change.pk])
    assert change.value == 40_000_000 and change.effect_computed_at is not None
    page = html(staff.get(response.url))
    assert "40万元" in page and "批准后的影响（测算）" in page
    assert "提出人不能审批自己提出的参数调整" in page
    assert 'value="approve"' not in page  # no approve button for the proposer
    assert 'value="withdraw"' in page
    admin_page = html(login_as("city_admin").get(response.url))
    assert 'value="approve"' in admin_page and 'value="reject"' in admin_page
    assert 'value="withdraw"' not in admin_page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value": "-40万"}, "value", "金额不能为负数"),
        ({"value": "四十万"}, "value", "金额应为整数分"),
        ({"effective_to": "2030-12-31"}, "effective_to", "失效日期早于生效日期"),
        ({"document": "   "}, "document", "必填"),
        ({"value": "40"}, "value", "金额请写明单位"),  # 40 分 or 40 万元? the form does not guess
        ({"value": "400,000.5"}, "value", "金额请写明单位"),
        (
            {"parameter": "hz25.window.from", "value": "2026-01-28", "effective_from": "2026-02-01"},
            "effective_from",
            "按文件印发日 2025-12-28 读取",
        ),
    ],
)
def test_refusals_are_shown_on_the_field_they_name(login_as, changes, field, message):
    response, change = _propose(login_as("city_staff"), **changes)
    assert response.status_code == 200 and change is None
    errors = response.context["form"].errors
    assert any(message in e for e in errors[field]), errors


def test_a_ratio_is_typed_as_a_percentage(login_as):
    _response, change = _propose(login_as("city_staff"), parameter="hz81.9.rate.key", value="15%")
    assert change is not None and change.value == "0.15"


def test_the_proposer_cannot_approve_their_own_change_refused_and_audited(seed):
    admin_a = create_user(username="param_admin_a", password=PASSWORD, role="city_admin")
    client = sign_in(Client(), admin_a)
    _response, change = _propose(client)
    assert change is not None
    url = reverse("web:parameter_change", args=[change.pk])
    page = html(client.get(url))
    assert "提出人不能审批自己提出的参数调整" in page and 'value="approve"' not in page
    response = client.post(url, {"action": "approve", "reason": ""})
    assert response.status_code == 403
    assert "提出人不能审批自己提出的参数调整" in html(response)
    change.refresh_from_db()
    assert change.status == "proposed"
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_DENIED,
        actor=admin_a,
        object_type="parameter_change",
        object_id=str(change.pk),
    ).exists()


def test_staff_cannot_approve_a_money_change_and_rejecting_needs_a_reason(login_as, seed):
    _response, change = _propose(login_as("city_staff"))
    assert change is not None
    url = reverse("web:parameter_change", args=[change.pk])
    other_staff = sign_in(
        Client(),
        create_user(username="city_staff_b", password=PASSWORD, role="city_staff"),
    )
    page = html(other_staff.get(url))
    assert "涉及资金的政策参数调整由市经信局管理员审批" in page and 'value="approve"' not in page
    admin = login_as("city_admin")
    response = admin.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 200
    assert any("请填写审批意见" in e for e in response.context["form"].errors["reason"])
    change.refresh_from_db()
    assert change.status == "proposed"


def test_approval_by_a_city_admin_makes_the_value_in_force_from_its_date(login_as, seed):
    _response, change = _propose(login_as("city_staff"))
    assert change is not None
    url = reverse("web:parameter_change", args=[change.pk])
    admin = login_as("city_admin")
    refused = admin.post(url, {"action": "approve", "reason": "同意"})
    assert refused.status_code == 403 and "此操作需要二次验证" in html(refused)  # the password first
    wrong = admin.post(url, {"action": "approve", "reason": "同意", "stepup_password": "not-the-password"})
    assert wrong.status_code == 403 and "二次验证未通过" in html(wrong)
    change.refresh_from_db()
    assert change.status == "proposed"
    response = admin.post(url, {"action": "approve", "reason": "同意", "stepup_password": PASSWORD})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "approved" and change.decided_by == seed.users["city_admin"]
    param = pack_in_force("hz81").parameters[PID]  # type: ignore[union-attr]
    assert param.at(date(2031, 1, 1)).value == 40_000_000  # type: ignore[union-attr]
    assert param.at(date(2031, 1, 1)).version == change.version  # type: ignore[union-attr]
    assert param.at(date(2030, 12, 31)).value == 50_000_000  # type: ignore[union-attr]
    assert any(p.id == "hz81" for p in packs_in_force())
    history = html(login_as("city_staff").get(reverse("web:parameter_history", args=[PID])))
    assert change.version in history and "已批准" in history and "city_admin" in history
    assert AuditEvent.objects.filter(
        action=AuditAction.PARAMETER, object_id=str(change.pk), object_repr__startswith="批准参数调整"
    ).exists()


def test_the_proposer_withdraws_and_the_effect_is_kept(login_as):
    staff = login_as("city_staff")
    _response, change = _propose(staff)
    assert change is not None
    url = reverse("web:parameter_change", args=[change.pk])
    assert staff.post(url, {"action": "withdraw"}).status_code == 302
    change.refresh_from_db()
    assert change.status == "withdrawn" and change.effect
    response = staff.post(url, {"action": "refresh"})
    assert "测算结果保持审批时的内容" in html(response)


def test_the_list_puts_pending_first_and_filters(login_as):
    staff = login_as("city_staff")
    _r, first = _propose(staff, document="杭经信〔2031〕7号")
    _r, second = _propose(staff, parameter="hz81.9.rate.key", value="15%")
    assert first is not None and second is not None
    staff.post(reverse("web:parameter_change", args=[second.pk]), {"action": "withdraw"})
    page = html(staff.get(reverse("web:parameter_changes")))
    assert page.index(first.version) < page.index(second.version)  # pending before withdrawn
    only = html(staff.get(reverse("web:parameter_changes") + "?status=withdrawn"))
    assert second.version in only and f">{first.version}<" not in only
    by_label = html(staff.get(reverse("web:parameter_changes") + "?q=六大重点产业"))
    assert second.version in by_label and f">{first.version}<" not in by_label
    by_document = html(staff.get(reverse("web:parameter_changes") + "?q=〔2031〕7号"))
    assert f">{first.version}<" in by_document and f">{second.version}<" not in by_document


def test_the_attached_document_downloads_verified_and_a_changed_file_is_refused(login_as, seed, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from srdi.services.evidence import path_for

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    staff = login_as("city_staff")
    upload = SimpleUploadedFile("实施细则.pdf", pdf, content_type="application/pdf")
    _response, change = _propose(staff, attachment=upload)
    assert change is not None and change.attachment_name == "实施细则.pdf"
    url = reverse("web:parameter_attachment", args=[change.pk])
    assert url in html(staff.get(reverse("web:parameter_change", args=[change.pk])))
    response = staff.get(url)
    assert response.status_code == 200 and response.content == pdf
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store, private"
    assert AuditEvent.objects.filter(
        object_type="parameter_change", object_repr__contains="下载参数调整附件"
    ).exists()
    stored = path_for(change.attachment_sha256)
    stored.write_bytes(pdf + b"x")  # content-addressed storage is shared by the session: put it back after
    try:
        assert staff.get(url).status_code == 404
    finally:
        stored.write_bytes(pdf)
    assert AuditEvent.objects.filter(
        object_type="parameter_change", success=False, object_repr__contains="下载参数调整附件失败"
    ).exists()
    assert login_as("enterprise").get(url).status_code == 403
