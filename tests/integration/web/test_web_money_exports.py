"""Exports of the money pages are scoped, formula-escaped and audited; vouchers are issued, redeemed once
and reported; the ledger check page shows every invariant."""

from __future__ import annotations

import csv
import io

import pytest
import test_web_money_world as money_world
from django.urls import reverse
from openpyxl import load_workbook
from test_web_money_world import PASSWORD, approve, client_for, messages_of, text_of, to_publicity

from srdi.db.models import AuditEvent, BudgetAccount, Enterprise, Voucher
from srdi.services.payments import create_payment_run

pytestmark = pytest.mark.django_db

# The shared fixtures (a module attribute, not an import, so that linters see no redefinition).
mworld = money_world.mworld
ledger_verifies = money_world.ledger_verifies

FORMULA = '=HYPERLINK("http://evil.example","点我")'


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_publicity_export_is_scoped_escaped_and_audited(mworld):
    first = to_publicity(mworld, 0)
    to_publicity(mworld, 1)
    Enterprise.objects.filter(pk=first.enterprise_id).update(name=FORMULA)
    city = client_for(mworld.users["city_staff"])
    response = city.post(reverse("web:publicity_export"), {"fmt": "csv"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store, private"
    rows = _csv_rows(response.content)
    assert rows[0][:3] == ["事项编号", "批次", "企业名称"]
    names = [r[2] for r in rows[1:]]
    assert "'" + FORMULA in names and FORMULA not in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    assert AuditEvent.objects.filter(
        action="export", object_type="publicity", actor=mworld.users["city_staff"]
    ).exists()

    xlsx = city.post(reverse("web:publicity_export"), {"fmt": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "'" + FORMULA in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

    # Filters apply to the export; an enterprise exports only its own rows.
    filtered = _csv_rows(city.post(reverse("web:publicity_export"), {"fmt": "csv", "q": "杭州测试1"}).content)
    assert len(filtered) == 2 and filtered[1][2] == "杭州测试1有限公司"
    own = _csv_rows(
        client_for(mworld.users["enterprise2"]).post(reverse("web:publicity_export"), {"fmt": "csv"}).content
    )
    assert [r[2] for r in own[1:]] == ["杭州测试1有限公司"]
    assert city.post(reverse("web:publicity_export"), {"fmt": "pdf"}).status_code == 400
    assert (
        client_for(mworld.users["provider"]).post(reverse("web:publicity_export"), {"fmt": "csv"}).status_code
        == 403
    )


def test_payment_file_is_finance_only_escaped_and_audited(mworld):
    case = to_publicity(mworld, 0)
    Enterprise.objects.filter(pk=case.enterprise_id).update(name=FORMULA)
    approve(mworld, case)
    run = create_payment_run(mworld.users["finance"], mworld.programme)
    url = reverse("web:payment_run_file", args=[run.pk])
    assert client_for(mworld.users["auditor"]).post(url, {"fmt": "csv"}).status_code == 403
    assert client_for(mworld.users["city_staff"]).post(url, {"fmt": "csv"}).status_code == 403
    finance = client_for(mworld.users["finance"])
    no_stepup = finance.post(url, {"fmt": "csv"})
    assert no_stepup.status_code == 302  # back to the run page with "二次验证"
    response = finance.post(url, {"fmt": "xlsx", "stepup_password": PASSWORD})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "'" + FORMULA in values and "6222020200001234" in values
    assert AuditEvent.objects.filter(
        action="export", object_type="payment_run", object_id=str(run.pk)
    ).exists()
    # Auditors see the run with masked accounts; finance sees the full number.
    auditor_page = text_of(
        client_for(mworld.users["auditor"]).get(reverse("web:payment_run_detail", args=[run.pk]))
    )
    assert "6222020200001234" not in auditor_page and "**** **** 1234" in auditor_page
    assert "执行拨付" not in auditor_page
    assert "6222020200001234" in text_of(finance.get(reverse("web:payment_run_detail", args=[run.pk])))


def test_vouchers_issue_redeem_once_and_report(mworld):
    u = mworld.users
    ent = mworld.world.enterprises[0]
    city = client_for(u["city_staff"])
    page = text_of(city.get(reverse("web:vouchers")))
    assert "发放服务券" in page and "2025年服务券" in page and "10万元" in page
    r = city.post(
        reverse("web:voucher_issue"),
        {
            "programme": mworld.vouchers.pk,
            "uscc": ent.uscc,
            "face_value_yuan": "20000",
            "category": "intellectual_property",
        },
        follow=True,
    )
    voucher = Voucher.objects.get(enterprise=ent)
    assert voucher.face_value_fen == 2_000_000 and voucher.code in " ".join(messages_of(r))
    fund = BudgetAccount.objects.get(programme=mworld.vouchers, side="city")
    assert fund.used_fen == 2_000_000
    # Over the fund: refused with the service's reason.
    r = city.post(
        reverse("web:voucher_issue"),
        {
            "programme": mworld.vouchers.pk,
            "uscc": ent.uscc,
            "face_value_yuan": "90000",
            "category": "legal_tax",
        },
        follow=True,
    )
    assert "服务券年度资金余额不足" in " ".join(messages_of(r))
    # A code that is not in the database.
    r = city.post(
        reverse("web:voucher_issue"),
        {
            "programme": mworld.vouchers.pk,
            "uscc": "91330100MA00000099",
            "face_value_yuan": "1",
            "category": "legal_tax",
        },
        follow=True,
    )
    assert "未发放" in " ".join(messages_of(r))

    # The enterprise sees its voucher; another enterprise does not.
    assert voucher.code in text_of(client_for(u["enterprise"]).get(reverse("web:vouchers")))
    assert voucher.code not in text_of(client_for(u["enterprise2"]).get(reverse("web:vouchers")))

    # The provider redeems 1.5万 of 2万 (the rest returns to the fund); a second redemption is refused.
    provider = client_for(u["provider"])
    data = {
        "code": voucher.code,
        "service": "专利布局分析",
        "delivered_on": "2025-06-30",
        "amount_yuan": "15000",
    }
    r = provider.post(reverse("web:voucher_redeem"), data, follow=True)
    assert "已核销" in " ".join(messages_of(r))
    assert "已核销或已作废" in " ".join(
        messages_of(provider.post(reverse("web:voucher_redeem"), data, follow=True))
    )
    fund.refresh_from_db()
    assert (fund.used_fen, fund.paid_fen) == (1_500_000, 1_500_000)
    page = text_of(provider.get(reverse("web:vouchers")))
    assert "专利布局分析" in page and "¥15,000.00" in page
    # The city's report by category.
    report = client_for(u["auditor"]).get(reverse("web:vouchers")).context["report"]
    ip = next(r for r in report if r["label"] == "知识产权服务")
    assert (ip["issued_n"], ip["issued_fen"], ip["redeemed_n"], ip["redeemed_fen"]) == (
        1,
        2_000_000,
        1,
        1_500_000,
    )
    assert report[-1]["label"] == "合计" and report[-1]["issued_n"] == 1
    # Only the city issues; only providers redeem.
    assert client_for(u["finance"]).post(reverse("web:voucher_issue"), {}).status_code == 403
    assert client_for(u["enterprise"]).post(reverse("web:voucher_redeem"), data).status_code == 403


def test_ledger_check_page_shows_every_invariant(mworld):
    case = to_publicity(mworld, 0)
    approve(mworld, case)
    response = client_for(mworld.users["auditor"]).get(reverse("web:ledger_verify"))
    text = text_of(response)
    assert 'data-ledger-ok="1"' in text
    for code in ("I1", "I2", "I3", "I4", "I5", "I6"):
        assert f">{code}<" in text
    assert response["Cache-Control"] == "no-store, private"


def test_the_city_cancels_an_unused_voucher_from_the_list_and_others_cannot(mworld):
    from srdi.services.vouchers import issue_voucher

    staff = mworld.users["city_staff"]
    voucher = issue_voucher(mworld.vouchers, mworld.world.enterprises[0], 1_000_000, "legal_tax", actor=staff)
    city = client_for(staff)
    assert "作废原因" in text_of(city.get(reverse("web:vouchers")))
    for role in ("district", "enterprise", "provider", "auditor", "finance"):
        r = client_for(mworld.users[role]).post(
            reverse("web:voucher_cancel"), {"code": voucher.code, "reason": "越权"}
        )
        assert r.status_code == 403, role
    r = city.post(reverse("web:voucher_cancel"), {"code": voucher.code, "reason": ""}, follow=True)
    assert "未作废" in " ".join(messages_of(r))
    r = city.post(reverse("web:voucher_cancel"), {"code": voucher.code, "reason": "企业已注销"}, follow=True)
    assert "已作废服务券" in " ".join(messages_of(r))
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.CANCELLED
    assert BudgetAccount.objects.get(programme=mworld.vouchers, side="city").used_fen == 0
    r = city.post(reverse("web:voucher_cancel"), {"code": voucher.code, "reason": "再次"}, follow=True)
    assert "不能再作废" in " ".join(messages_of(r))


@pytest.mark.parametrize("junk", ["1e999999", "1E+999999", "9" * 400, "¥", "²"])
def test_absurd_money_and_id_fields_get_a_message_not_a_crash(mworld, junk):
    u = mworld.users
    city = client_for(u["city_staff"])
    case = mworld.case(0)
    r = city.post(reverse("web:case_action", args=[case.pk]), {"name": "approve", "amount_yuan": junk})
    assert r.status_code < 500
    r = city.post(
        reverse("web:voucher_issue"),
        {
            "programme": mworld.vouchers.pk,
            "uscc": mworld.world.enterprises[0].uscc,
            "face_value_yuan": junk,
            "category": "legal_tax",
        },
        follow=True,
    )
    assert r.status_code == 200 and "未发放" in " ".join(messages_of(r))
    provider = client_for(u["provider"])
    r = provider.post(
        reverse("web:voucher_redeem"),
        {"code": "FWQ2025ABCDE", "service": "x", "delivered_on": "2025-06-01", "amount_yuan": junk},
        follow=True,
    )
    assert r.status_code == 200
    for ids in (junk, "99999999999999999999", "²"):
        assert city.post(reverse("web:case_bulk"), {"ids": ids, "name": "accept"}).status_code < 500
    enterprise = client_for(u["enterprise"])
    assert enterprise.post(reverse("web:inbox_read"), {"id": "²"}).status_code < 500
    r = enterprise.post(
        reverse("web:programme_apply", args=[mworld.programme.pk]), {"event": "²"}, follow=True
    )
    assert r.status_code == 200
