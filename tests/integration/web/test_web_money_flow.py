"""A whole case through the pages (POSTs only), and the rules the pages must keep: scope, separation of duties,
step-up before approval and payment, read-only auditors, per-row bulk refusals."""

from __future__ import annotations

import re

import pytest
import test_web_money_world as money_world
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from test_web_money_world import (
    ACCOUNT,
    PASSWORD,
    approve,
    client_for,
    end_publicity,
    messages_of,
    text_of,
    to_publicity,
)

from srdi.db.models import (
    AuditEvent,
    BankAccountChange,
    BudgetAccount,
    Case,
    CaseTransition,
    Notification,
    Objection,
    Payment,
    Programme,
)
from srdi.services.cases import transition, update_claim
from srdi.services.payments import create_payment_run

pytestmark = pytest.mark.django_db

# The shared fixtures (a module attribute, not an import, so that linters see no redefinition).
mworld = money_world.mworld
ledger_verifies = money_world.ledger_verifies


def _post(client, name, args=(), data=None, follow=True):
    return client.post(reverse(name, args=args), data or {}, follow=follow)


def test_a_whole_case_through_the_pages(mworld, django_capture_on_commit_callbacks):
    u = mworld.users
    case = mworld.case(0)
    enterprise = client_for(u["enterprise"])

    # The enterprise sees the offer in its queue and on the case page, with the explanation.
    listing = text_of(enterprise.get(reverse("web:case_list")))
    assert case.title in listing and "待确认（免申即享）" in listing
    page = text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    assert "意愿确认" in page and "1,000万元 × 20% = 200万元" in page and "81号 第9条" in page

    # 意愿确认: bank account, then confirm.
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(
            enterprise,
            "web:case_claim",
            [case.pk],
            {
                "bank_account_name": "杭州测试0有限公司",
                "bank_name": "杭州银行西湖支行",
                "bank_account_number": "6222 0202 0000 1234",
                "then": "confirm",
            },
        )
    assert r.status_code == 200
    case.refresh_from_db()
    assert case.state == "district_review" and case.bank_account_number == ACCOUNT
    assert "已确认意愿并提交" in " ".join(messages_of(r))

    # The district passes it in bulk from its queue.
    district = client_for(u["district"])
    queue = text_of(district.get(reverse("web:case_list") + "?queue=district"))
    assert f'value="{case.pk}"' in queue and "区县审核通过" in queue
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(district, "web:case_bulk", data={"action": "district_pass", "ids": [case.pk]})
    assert "1 件已办理" in " ".join(messages_of(r))
    assert Case.objects.get(pk=case.pk).state == "city_review"

    # City review → publicity.
    city = client_for(u["city_staff"])
    _post(city, "web:case_action", [case.pk], {"name": "city_pass", "reason": ""})
    case.refresh_from_db()
    assert case.state == "publicity" and case.publicity_ends_on is not None
    assert case.title in text_of(city.get(reverse("web:publicity_list")))

    # Approval: refused during publicity (with the reason), then by another city administrator with step-up.
    admin2 = client_for(u["city_admin2"])
    page = text_of(admin2.get(reverse("web:case_detail", args=[case.pk])))
    assert "期满后方可批准" in page  # the disabled button's reason
    end_publicity(case)
    r = _post(admin2, "web:case_action", [case.pk], {"name": "approve", "amount_yuan": "2000000.00"})
    assert "二次验证" in " ".join(messages_of(r))
    assert Case.objects.get(pk=case.pk).state == "publicity"
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(
            admin2,
            "web:case_action",
            [case.pk],
            {"name": "approve", "amount_yuan": "2000000.00", "stepup_password": PASSWORD},
        )
    case.refresh_from_db()
    assert case.state == "approved" and case.approved_fen == 200_000_000
    assert (case.city_fen, case.district_fen) == (100_000_000, 100_000_000)
    doc = text_of(admin2.get(reverse("web:approval_document", args=[case.pk])))
    assert (
        "¥2,000,000.00" in doc and "w_admin2" in doc and "81号 第9条" in doc and "杭政办函〔2023〕81号" in doc
    )

    # Finance: a run (step-up), the treasury file, execution.
    finance = client_for(u["finance"])
    r = _post(
        finance, "web:payment_runs", data={"programme": mworld.programme.pk, "stepup_password": PASSWORD}
    )
    run_id = int(re.search(r"/payments/(\d+)/", r.redirect_chain[-1][0]).group(1))
    assert Case.objects.get(pk=case.pk).state == "payment_scheduled"
    download = finance.post(reverse("web:payment_run_file", args=[run_id]), {"fmt": "csv"})
    assert download.status_code == 200 and ACCOUNT.encode() in download.content
    assert download["Cache-Control"] == "no-store, private"
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(finance, "web:payment_run_execute", [run_id])
    assert "成功 1 笔" in " ".join(messages_of(r))
    case.refresh_from_db()
    assert case.state == "paid" and Payment.objects.get(case=case).amount_fen == 200_000_000

    # The enterprise sees 已拨付, the timeline and a message.
    page = text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    assert "已拨付" in page and "¥2,000,000.00" in page
    names = list(CaseTransition.objects.filter(case=case).values_list("name", flat=True))
    assert names == ["confirm", "district_pass", "city_pass", "approve", "schedule_payment", "mark_paid"]
    for name in ("确认意愿并提交（免申即享）", "区县审核通过", "市级审核通过，进入公示", "批准（公示期满）"):
        assert name in page
    assert Notification.objects.filter(enterprise=case.enterprise, title__contains="已拨付").exists()
    paid_tab = text_of(enterprise.get(reverse("web:case_list") + "?queue=paid"))
    assert case.title in paid_tab
    budget = BudgetAccount.objects.get(programme=mworld.programme, side="city")
    assert (budget.used_fen, budget.paid_fen) == (100_000_000, 100_000_000)


def test_step_up_refuses_a_wrong_password_and_audits_it(mworld):
    case = to_publicity(mworld, 0)
    end_publicity(case)
    admin2 = client_for(mworld.users["city_admin2"])
    r = _post(admin2, "web:case_action", [case.pk], {"name": "approve", "stepup_password": "wrong"})
    assert "二次验证未通过" in " ".join(messages_of(r))
    assert Case.objects.get(pk=case.pk).state == "publicity"
    assert AuditEvent.objects.filter(
        object_type="stepup", success=False, actor=mworld.users["city_admin2"]
    ).exists()
    finance = client_for(mworld.users["finance"])
    assert finance.post(reverse("web:payment_runs"), {"programme": ""}).status_code == 302
    assert not mworld.programme.cases.filter(state="payment_scheduled").exists()


def test_separation_of_duties_shows_the_reason_and_refuses(mworld):
    u = mworld.users
    case = mworld.case(0)
    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT
    )
    transition(case.pk, u["enterprise"], "confirm")
    admin = client_for(u["city_admin"])
    _post(admin, "web:case_action", [case.pk], {"name": "district_pass"})
    assert Case.objects.get(pk=case.pk).state == "city_review"
    page = text_of(admin.get(reverse("web:case_detail", args=[case.pk])))
    assert "区县审核人不能同时进行市级审核（职责分离）" in page
    r = _post(admin, "web:case_action", [case.pk], {"name": "city_pass"})
    assert "职责分离" in " ".join(messages_of(r))
    transition(case.pk, u["city_admin2"], "city_pass")
    end_publicity(case)
    r = _post(admin, "web:case_action", [case.pk], {"name": "approve", "stepup_password": PASSWORD})
    assert "职责分离" in " ".join(messages_of(r))
    assert Case.objects.get(pk=case.pk).state == "publicity"


def test_district_cannot_open_or_act_on_another_districts_case(mworld):
    u = mworld.users
    case = mworld.case(0)
    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT
    )
    transition(case.pk, u["enterprise"], "confirm")
    other = client_for(u["other_district"])
    assert other.get(reverse("web:case_detail", args=[case.pk])).status_code == 404
    assert (
        other.post(reverse("web:case_action", args=[case.pk]), {"name": "district_pass"}).status_code == 404
    )
    assert other.get(reverse("web:approval_document", args=[case.pk])).status_code == 404
    r = _post(other, "web:case_bulk", data={"action": "district_pass", "ids": [case.pk]})
    assert f"#{case.pk}：事项不存在或不在您的权限范围内" in messages_of(r)
    assert case.title not in " ".join(messages_of(r))  # not even the title leaks
    listing = text_of(other.get(reverse("web:case_list") + "?queue=all"))
    assert case.title not in listing and case.enterprise.name not in listing
    assert Case.objects.get(pk=case.pk).state == "district_review"


def test_auditor_cannot_post_any_action(mworld):
    u = mworld.users
    case = to_publicity(mworld, 0)
    objection = Objection.objects.create(
        case=case, raised_by_name="王某", raised_at=case.updated_at, text="存疑", recorded_by=u["city_staff"]
    )
    auditor = client_for(u["auditor"])
    posts = [
        ("web:case_action", [case.pk], {"name": "approve", "stepup_password": PASSWORD}),
        ("web:case_action", [case.pk], {"name": "reject", "reason": "x"}),
        ("web:case_bulk", [], {"action": "city_pass", "ids": [case.pk]}),
        (
            "web:case_claim",
            [case.pk],
            {"bank_account_name": "a", "bank_name": "b", "bank_account_number": ACCOUNT},
        ),
        ("web:case_objection", [case.pk], {"text": "x"}),
        ("web:objection_resolve", [objection.pk], {"upheld": "1", "resolution": "x"}),
        ("web:programme_create", [], {"code": "x"}),
        ("web:programme_offers", [mworld.programme.pk], {}),
        ("web:programme_apply", [mworld.programme.pk], {"event": "1"}),
        ("web:payment_runs", [], {"stepup_password": PASSWORD}),
        ("web:payment_run_execute", [1], {"stepup_password": PASSWORD}),
        ("web:payment_run_file", [1], {"fmt": "csv", "stepup_password": PASSWORD}),
        ("web:voucher_issue", [], {}),
        ("web:voucher_redeem", [], {}),
    ]
    for name, args, data in posts:
        assert auditor.post(reverse(name, args=args), data).status_code == 403, name
    case.refresh_from_db()
    assert case.state == "publicity" and Objection.objects.get(pk=objection.pk).status == "open"
    assert not Programme.objects.filter(code="x").exists()
    page = text_of(auditor.get(reverse("web:case_detail", args=[case.pk])))
    assert "当前角色只读" in page and 'action="/cases/' not in page


def test_enterprise_sees_only_its_own_cases(mworld):
    u = mworld.users
    mine, theirs = mworld.case(0), mworld.case(1)
    client = client_for(u["enterprise"])
    listing = text_of(client.get(reverse("web:case_list") + "?queue=all"))
    assert mine.title in listing
    assert theirs.enterprise.name not in listing and f"/cases/{theirs.pk}/" not in listing
    assert client.get(reverse("web:case_detail", args=[theirs.pk])).status_code == 404
    r = client.post(
        reverse("web:case_claim", args=[theirs.pk]),
        {"bank_account_name": "a", "bank_name": "b", "bank_account_number": ACCOUNT, "then": "confirm"},
    )
    assert r.status_code == 404
    assert Case.objects.get(pk=theirs.pk).state == "offered"
    programme_page = text_of(client.get(reverse("web:programme_detail", args=[mworld.programme.pk])))
    assert "预算执行" not in programme_page  # budgets are for staff


def test_bulk_pass_is_guarded_per_row(mworld):
    u = mworld.users
    first, second = mworld.case(0), mworld.case(1)
    update_claim(
        first.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT
    )
    transition(first.pk, u["enterprise"], "confirm")
    district = client_for(u["district"])
    r = _post(
        district,
        "web:case_bulk",
        data={"action": "district_pass", "ids": [first.pk, second.pk], "back": "/cases/?queue=district"},
    )
    text = " ".join(messages_of(r))
    assert "1 件已办理" in text and "1 件未办理" in text
    assert f"#{second.pk}" in text and "不能执行“区县审核通过”" in text
    assert r.redirect_chain[-1][0] == "/cases/?queue=district"
    assert Case.objects.get(pk=first.pk).state == "city_review"
    assert Case.objects.get(pk=second.pk).state == "offered"
    # A role may not pick a transition it does not have.
    assert (
        district.post(reverse("web:case_bulk"), {"action": "city_pass", "ids": [first.pk]}).status_code == 403
    )
    # An open redirect through "back" is not followed.
    r = district.post(
        reverse("web:case_bulk"), {"action": "district_pass", "ids": [], "back": "//evil.example/"}
    )
    assert r["Location"] == "/cases/"


def test_bank_account_is_masked_except_for_the_enterprise_and_finance(mworld):
    u = mworld.users
    case = mworld.case(0)
    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT
    )
    transition(case.pk, u["enterprise"], "confirm")
    for role, full in [("district", False), ("city_staff", False), ("auditor", False), ("finance", True)]:
        text = text_of(client_for(u[role]).get(reverse("web:case_detail", args=[case.pk])))
        assert (ACCOUNT in text) is full, role
        assert "1234" in text
    assert ACCOUNT in text_of(client_for(u["enterprise"]).get(reverse("web:case_detail", args=[case.pk])))


def test_objection_blocks_approval_until_resolved_through_the_pages(mworld):
    u = mworld.users
    case = to_publicity(mworld, 0)
    district = client_for(u["district"])
    _post(district, "web:case_objection", [case.pk], {"name": "王某", "text": "投资额存疑"})
    objection = Objection.objects.get(case=case)
    end_publicity(case)
    admin2 = client_for(u["city_admin2"])
    page = text_of(admin2.get(reverse("web:case_detail", args=[case.pk])))
    assert "尚有 1 条公示异议未处理" in page
    # District staff may record but not resolve.
    r = _post(district, "web:objection_resolve", [objection.pk], {"upheld": "0", "resolution": "不成立"})
    assert "公示异议由市级人员处理" in " ".join(messages_of(r))
    _post(
        client_for(u["city_staff"]),
        "web:objection_resolve",
        [objection.pk],
        {"upheld": "0", "resolution": "核实无误"},
    )
    assert Objection.objects.get(pk=objection.pk).status == "dismissed"
    approve(mworld, case)


def test_return_needs_a_reason_and_the_enterprise_resubmits(mworld):
    u = mworld.users
    case = mworld.case(0)
    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT
    )
    transition(case.pk, u["enterprise"], "confirm")
    district = client_for(u["district"])
    r = _post(district, "web:case_action", [case.pk], {"name": "return", "reason": ""})
    assert "须填写理由" in " ".join(messages_of(r))
    _post(district, "web:case_action", [case.pk], {"name": "return", "reason": "开户名与营业执照不一致"})
    case.refresh_from_db()
    assert case.state == "returned"
    enterprise = client_for(u["enterprise"])
    page = text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    assert "开户名与营业执照不一致" in page and "提交申请" in page
    _post(
        enterprise,
        "web:case_claim",
        [case.pk],
        {
            "bank_account_name": "杭州测试0有限公司",
            "bank_name": "乙",
            "bank_account_number": ACCOUNT,
            "then": "submit",
        },
    )
    assert Case.objects.get(pk=case.pk).state == "submitted"
    _post(district, "web:case_action", [case.pk], {"name": "accept"})
    assert Case.objects.get(pk=case.pk).state == "district_review"


def test_claim_form_validation_shows_errors(mworld):
    case = mworld.case(0)
    r = client_for(mworld.users["enterprise"]).post(
        reverse("web:case_claim", args=[case.pk]),
        {"bank_account_name": "甲", "bank_name": "乙", "bank_account_number": "12ab", "then": "confirm"},
    )
    assert r.status_code == 400 and "银行账号应为8–32位数字" in text_of(r)
    assert Case.objects.get(pk=case.pk).state == "offered"


def test_programme_create_offers_and_application_through_the_pages(mworld, monkeypatch):
    u = mworld.users
    city = client_for(u["city_staff"])
    form = text_of(city.get(reverse("web:programme_create")))
    assert "81号 第9条 技术改造补助" in form and "81号 第1条" not in form  # money measures only
    r = _post(
        city,
        "web:programme_create",
        data={
            "article": "9",
            "code": "hz81-9-2025b",
            "name": "2025年技改补助（第二批）",
            "year": "2025",
            "mode": "application",
            "opens_on": "2025-01-01",
            "closes_on": "2025-12-31",
            "city_budget_wan": "500",
            "district_330106": "50.5",
            "district_330108": "20",
            "district_330127": "0",
            "city_pays_all": ["330127"],
            "publicity_days": "7",
            "required_evidence": "项目备案证明\n竣工验收报告\n项目备案证明",
        },
    )
    programme = Programme.objects.get(code="hz81-9-2025b")
    assert programme.required_evidence == ["项目备案证明", "竣工验收报告"]
    assert (programme.publicity_days, programme.city_pays_all) == (7, ["330127"])
    assert BudgetAccount.objects.get(programme=programme, side="city").cap_fen == 500_000_000
    districts = BudgetAccount.objects.filter(programme=programme, side="district")
    assert dict(districts.values_list("district_code", "cap_fen")) == {
        "330106": 50_500_000,
        "330108": 20_000_000,
    }
    assert "预算执行" in text_of(r) and "市级全额承担：</strong>淳安县" in text_of(r)
    # Duplicate code and bad dates are form errors, not 500s.
    r = city.post(
        reverse("web:programme_create"),
        {
            "article": "9",
            "code": "hz81-9-2025b",
            "name": "x",
            "year": "2025",
            "mode": "both",
            "opens_on": "2025-02-01",
            "closes_on": "2025-01-01",
            "city_budget_wan": "1",
            "publicity_days": "7",
        },
    )
    assert r.status_code == 200 and "截止日期早于开始日期" in text_of(r)

    # The enterprise applies for its recorded event (inside the programme's window), fills the claim, and
    # cannot submit until a file is filed under each required document (ticking is not evidence).
    from datetime import date

    from srdi.services import cases as case_service

    monkeypatch.setattr(case_service, "today", lambda: date(2025, 6, 30))
    enterprise = client_for(u["enterprise"])
    page = text_of(enterprise.get(reverse("web:programme_detail", args=[programme.pk])))
    event = mworld.case(0).event
    assert f'name="event" value="{event.pk}"' in page
    # The project's 免申即享 offer of the first programme still holds the matter: the application names it.
    offer = mworld.case(0)
    r = _post(enterprise, "web:programme_apply", [programme.pk], {"event": event.pk})
    assert f"事项 #{offer.pk}" in " ".join(messages_of(r)) and "不能重复兑现" in " ".join(messages_of(r))
    assert not Case.objects.filter(programme=programme).exists()
    _post(enterprise, "web:case_action", [offer.pk], {"name": "decline"})
    r = _post(enterprise, "web:programme_apply", [programme.pk], {"event": event.pk})
    case = Case.objects.get(programme=programme, enterprise=event.enterprise)
    assert case.state == "draft" and case.origin == "application"
    claim = {"bank_account_name": "甲", "bank_name": "乙", "bank_account_number": ACCOUNT, "then": "submit"}
    r = _post(
        enterprise, "web:case_claim", [case.pk], {**claim, "evidence": ["项目备案证明", "竣工验收报告"]}
    )
    assert "项目备案证明" in " ".join(messages_of(r)) and "竣工验收报告" in " ".join(messages_of(r))
    assert Case.objects.get(pk=case.pk).state == "draft"
    pdf = b"%PDF-1.4\n%%EOF\n"
    for label in ("项目备案证明", "竣工验收报告"):
        upload = SimpleUploadedFile(f"{label}.pdf", pdf + label.encode(), content_type="application/pdf")
        enterprise.post(reverse("web:case_evidence_upload", args=[case.pk]), {"label": label, "file": upload})
    _post(enterprise, "web:case_claim", [case.pk], claim)
    assert Case.objects.get(pk=case.pk).state == "submitted"

    # Offers can be generated from the page (idempotent); an offer-only programme takes no applications.
    r = _post(city, "web:programme_offers", [mworld.programme.pk])
    said = " ".join(messages_of(r))
    assert "新生成要约 0 个" in said and "本批次已存在 2 个" in said
    assert (
        f"同一事项正在办理：事项 #{case.pk}" in said
    )  # the declined offer's matter is now held by the application
    other_event = mworld.case(1).event
    r = _post(enterprise, "web:programme_apply", [programme.pk], {"event": other_event.pk})
    assert "请选择本企业已登记的事项" in " ".join(messages_of(r))


def _correct_account(mworld, case, number: str) -> None:
    """The enterprise proposes a corrected account on the case page; district staff confirm it there."""
    u = mworld.users
    enterprise = client_for(u["enterprise"])
    page = text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    assert "收款账户更正" in page and "提交账户更正" in page
    _post(
        enterprise,
        "web:case_account",
        [case.pk],
        {"account_name": "杭州测试0有限公司", "bank_name": "杭州银行", "account_number": number},
    )
    change = BankAccountChange.objects.get(case=case, status="pending")
    assert "核对无误，确认" not in text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    district = client_for(u["district"])
    assert "核对无误，确认" in text_of(district.get(reverse("web:case_detail", args=[case.pk])))
    _post(district, "web:account_change_decide", [change.pk], {"decision": "confirm"})
    assert Case.objects.get(pk=case.pk).bank_account_number == number


def test_payment_failure_and_a_bank_return_are_corrected_by_two_people_and_paid_once(mworld):
    u = mworld.users
    case = to_publicity(mworld, 0)
    approve(mworld, case)
    Case.objects.filter(pk=case.pk).update(bank_account_number="")  # the treasury will refuse this line
    run = create_payment_run(u["finance"], mworld.programme)
    finance = client_for(u["finance"])
    r = _post(finance, "web:payment_run_execute", [run.pk], {"stepup_password": PASSWORD})
    assert "失败 1 笔" in " ".join(messages_of(r))
    assert Case.objects.get(pk=case.pk).state == "payment_failed"
    page = text_of(finance.get(reverse("web:payment_run_detail", args=[run.pk])))
    assert "收款账号无效" in page
    failed = text_of(finance.get(reverse("web:case_list") + "?queue=failed"))
    assert case.title in failed
    # Waiting for a corrected account: no run takes it.
    r = _post(finance, "web:payment_runs", data={"programme": ""})  # step-up still fresh
    assert "没有待拨付的事项" in " ".join(messages_of(r))
    _correct_account(mworld, case, ACCOUNT)
    r = _post(finance, "web:payment_runs", data={"programme": ""})
    run2 = int(re.search(r"/payments/(\d+)/", r.redirect_chain[-1][0]).group(1))
    _post(finance, "web:payment_run_execute", [run2])
    assert Case.objects.get(pk=case.pk).state == "paid"

    # The bank sends the money back: finance records it on the run's page; the posting is reversed.
    payment = Payment.objects.get(case=case)
    page = text_of(finance.get(reverse("web:payment_run_detail", args=[run2])))
    assert "登记退回" in page
    r = _post(
        finance,
        "web:payment_return",
        [run2],
        {"payment": payment.pk, "reason": "账户已冻结", "stepup_password": PASSWORD},
    )
    assert "已登记" in " ".join(messages_of(r))
    assert Case.objects.get(pk=case.pk).state == "payment_failed"
    assert "已退回" in text_of(finance.get(reverse("web:payment_run_detail", args=[run2])))
    _correct_account(mworld, case, "6222020200009999")
    r = _post(finance, "web:payment_runs", data={"programme": ""})
    run3 = int(re.search(r"/payments/(\d+)/", r.redirect_chain[-1][0]).group(1))
    _post(finance, "web:payment_run_execute", [run3])
    assert [
        (p.attempt, p.bank_account_number) for p in Payment.objects.filter(case=case).order_by("attempt")
    ] == [
        (1, ACCOUNT),
        (2, "6222020200009999"),
    ]
    # Nothing left: no empty run is created.
    r = _post(finance, "web:payment_runs", data={"programme": ""})
    assert "没有待拨付的事项" in " ".join(messages_of(r))


def test_inbox_lists_marks_read_and_follows_only_local_links(mworld):
    u = mworld.users
    client = client_for(u["enterprise"])
    page = text_of(client.get(reverse("web:inbox")))
    assert "政策兑现提醒" in page and "1</strong> 条未读" in page
    note = Notification.objects.get(enterprise=mworld.world.enterprises[0])
    r = client.post(reverse("web:inbox_read"), {"id": note.pk, "open": "1"})
    assert r["Location"] == f"/cases/{mworld.case(0).pk}/"
    assert Notification.objects.get(pk=note.pk).read_at is not None
    Notification.objects.create(user=u["enterprise"], title="外链", url="//evil.example/x")
    evil = Notification.objects.get(title="外链")
    r = client.post(reverse("web:inbox_read"), {"id": evil.pk, "open": "1"})
    assert r["Location"] == reverse("web:inbox")
    # Another enterprise's message cannot be marked.
    theirs = Notification.objects.get(enterprise=mworld.world.enterprises[1])
    client.post(reverse("web:inbox_read"), {"id": theirs.pk})
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert "政策兑现提醒" not in text_of(client_for(u["provider"]).get(reverse("web:inbox")))


def test_payment_moves_happen_only_in_payment_runs(mworld):
    u = mworld.users
    case = to_publicity(mworld, 0)
    approve(mworld, case)
    finance = client_for(u["finance"])
    page = text_of(finance.get(reverse("web:case_detail", args=[case.pk])))
    assert "列入拨付批次" not in page and "拨付通过拨付批次办理" in page
    for name in ("schedule_payment", "mark_paid", "mark_failed"):
        r = _post(finance, "web:case_action", [case.pk], {"name": name, "reason": "x"})
        assert "通过拨付批次办理" in " ".join(messages_of(r)), name
    assert Case.objects.get(pk=case.pk).state == "approved"


def test_an_offer_with_missing_data_cannot_be_confirmed(mworld):
    case = mworld.case(0)
    Case.objects.filter(pk=case.pk).update(missing=["events[0].industry"])
    enterprise = client_for(mworld.users["enterprise"])
    page = text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    assert "尚缺数据：</strong>事项数据：项目所属产业" in page
    assert 'type="button" disabled title="尚缺数据' in page
    r = _post(
        enterprise,
        "web:case_claim",
        [case.pk],
        {"bank_account_name": "甲", "bank_name": "乙", "bank_account_number": ACCOUNT, "then": "confirm"},
    )
    assert "尚缺数据" in " ".join(messages_of(r))
    assert Case.objects.get(pk=case.pk).state == "offered"


def test_guessing_the_step_up_password_locks_the_account(mworld):
    case = to_publicity(mworld, 0)
    end_publicity(case)
    admin2 = client_for(mworld.users["city_admin2"])
    url = reverse("web:case_action", args=[case.pk])
    statuses = [
        admin2.post(url, {"name": "approve", "stepup_password": f"guess{i}"}).status_code for i in range(6)
    ]
    # django-axes counts each failure: the fifth locks the account, as five failures at the sign-in page do.
    assert statuses == [302, 302, 302, 302, 429, 429]
    response = admin2.post(url, {"name": "approve", "stepup_password": PASSWORD})
    assert response.status_code == 429
    assert Case.objects.get(pk=case.pk).state == "publicity"
