"""Every export a person opens: Chinese headers (with units), amounts number cells with exact values, codes text
cells, dates date cells, times Beijing time with the header saying so; the machine CSVs keep their field ids.

Each file is opened with openpyxl as a spreadsheet would open it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import test_web_money_world as money_world
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from test_web_money_world import PASSWORD, approve, client_for, to_publicity

from srdi.db.models import AuditAction, AuditEvent, Case, EnterpriseYear
from srdi.services import audit
from srdi.services.payments import PAYMENT_COLUMNS, create_payment_run, payment_file
from srdi.services.screening import run_screen

pytestmark = pytest.mark.django_db

mworld = money_world.mworld

# A header a person would not read: ASCII only, snake_case or a dotted field id.
FIELD_ID = re.compile(r"^[a-z0-9_.]+$")
INSTANT = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 2026-03-02 00:30 in Beijing


def _sheet(content: bytes) -> Worksheet:
    sheet = load_workbook(io.BytesIO(content)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def _table(content: bytes) -> tuple[list[str], list[dict[str, object]], Worksheet]:
    sheet = _sheet(content)
    header = [str(c.value) for c in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    return header, [{k: c.value for k, c in r.items()} for r in rows], sheet


def _cells(sheet: Worksheet, name: str) -> list:
    header = [c.value for c in sheet[1]]
    col = header.index(name) + 1
    return [sheet.cell(row=r, column=col) for r in range(2, sheet.max_row + 1)]


def _chinese_headers(header: list[str]) -> None:
    assert header and not [h for h in header if FIELD_ID.match(h)], header
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in header), header


def _exact(cell, fen: int) -> None:
    assert cell.data_type == "n", (cell.value, cell.data_type)
    assert Decimal(repr(cell.value)) == Decimal(fen) / 100, (cell.value, fen)


def test_the_payment_file_for_people_is_chinese_with_numeric_amounts_and_text_codes(mworld):
    cases = [to_publicity(mworld, 0), to_publicity(mworld, 1)]
    for case in cases:
        approve(mworld, case)
    Case.objects.filter(pk=cases[0].pk).update(bank_account_number="=6222020200001234")
    run = create_payment_run(mworld.users["finance"], mworld.programme)
    finance = client_for(mworld.users["finance"])
    response = finance.post(
        reverse("web:payment_run_file", args=[run.pk]), {"fmt": "xlsx", "stepup_password": PASSWORD}
    )
    assert response.status_code == 200
    header, rows, sheet = _table(response.content)
    _chinese_headers(header)
    assert header[:4] == ["事项编号", "批次代码", "企业名称", "统一社会信用代码"]
    assert {"拨付金额（元）", "其中市级承担（元）", "其中区县承担（元）", "银行账号"} <= set(header)
    stored = {c.pk: c for c in Case.objects.filter(payment_run=run).select_related("enterprise")}
    assert len(rows) == len(stored) == 2
    for line, amount, city, district, uscc, account in zip(
        rows,
        _cells(sheet, "拨付金额（元）"),
        _cells(sheet, "其中市级承担（元）"),
        _cells(sheet, "其中区县承担（元）"),
        _cells(sheet, "统一社会信用代码"),
        _cells(sheet, "银行账号"),
        strict=True,
    ):
        case = stored[int(str(line["事项编号"]))]
        _exact(amount, case.approved_fen)
        _exact(city, case.city_fen)
        _exact(district, case.district_fen)
        assert amount.number_format == "#,##0.00"
        assert uscc.data_type == "s" and uscc.value == case.enterprise.uscc
        assert account.data_type == "s" and account.number_format == "@"
    accounts = [c.value for c in _cells(sheet, "银行账号")]
    assert "'=6222020200001234" in accounts and "6222020200001234" in accounts  # formulas still escaped

    # The CSV is the machine format: field ids, amounts as text with two decimals, and its name says so.
    machine = payment_file(run, "csv", mworld.users["finance"]).decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(machine)))
    assert list(lines[0]) == PAYMENT_COLUMNS
    first = stored[int(lines[0]["case"])]
    assert lines[0]["amount_yuan"] == f"{first.approved_fen // 100}.{first.approved_fen % 100:02d}"
    csv_response = finance.post(
        reverse("web:payment_run_file", args=[run.pk]), {"fmt": "csv", "stepup_password": PASSWORD}
    )
    assert "%E6%9C%BA%E5%99%A8%E4%BA%A4%E6%8D%A2%E6%A0%BC%E5%BC%8F" in csv_response["Content-Disposition"]


def test_the_publicity_export_has_numeric_amounts_and_date_cells(mworld):
    case = to_publicity(mworld, 0)
    city = client_for(mworld.users["city_staff"])
    response = city.post(reverse("web:publicity_export"), {"fmt": "xlsx"})
    header, _rows, sheet = _table(response.content)
    _chinese_headers(header)
    case.refresh_from_db()
    _exact(_cells(sheet, "拟兑现金额（元）")[0], case.entitlement_fen)
    start = _cells(sheet, "公示开始")[0]
    assert start.is_date and start.value.date() == case.publicity_starts_on
    assert start.number_format == "yyyy-mm-dd"
    assert _cells(sheet, "统一社会信用代码")[0].data_type == "s"


def test_the_enterprise_list_export_is_chinese_with_money_in_wan(login_as, seed):
    client = login_as("city_staff")
    response = client.post(reverse("web:enterprise_export"), {"fmt": "xlsx"})
    assert response.status_code == 200
    header, rows, sheet = _table(response.content)
    _chinese_headers(header)
    assert "营业收入（万元）" in header and "统一社会信用代码" in header
    year = (
        EnterpriseYear.objects.filter(operating_revenue_fen__isnull=False)
        .select_related("enterprise")
        .first()
    )
    assert year is not None
    line = next(
        i
        for i, r in enumerate(rows)
        if r["统一社会信用代码"] == year.enterprise.uscc and r["年度"] == year.year
    )
    revenue = _cells(sheet, "营业收入（万元）")[line]
    assert revenue.data_type == "n"
    assert Decimal(repr(revenue.value)) * 1_000_000 == year.operating_revenue_fen
    assert all(c.data_type == "s" for c in _cells(sheet, "统一社会信用代码"))
    # coded values are written by their names (the import reads them back as codes)
    from srdi.domain.reference import district_name

    district_header = next(h for h in header if h.startswith("所属区县") or h.startswith("区县"))
    assert rows[line][district_header] == district_name(year.enterprise.district_id)
    # The JSON exchange format keeps its field ids.
    exchange = client.post(reverse("web:enterprise_export"), {"fmt": "json"}).json()
    assert "uscc" in exchange[0] and "financials" in exchange[0]


def test_the_screening_export_is_chinese_with_the_reference_day_a_date(login_as, seed):
    run = run_screen()
    response = login_as("city_staff").post(reverse("web:screening_export"), {"fmt": "xlsx", "run": run.pk})
    header, _rows, sheet = _table(response.content)
    _chinese_headers(header)
    day = _cells(sheet, "评价基准日")[0]
    assert day.is_date and day.value.date() == run.as_of
    assert all(c.data_type == "s" for c in _cells(sheet, "统一社会信用代码"))


def test_the_audit_page_shows_beijing_time_labelled_and_filters_by_beijing_days(login_as, seed):
    audit.record(
        AuditAction.EXPORT,
        seed.users["city_staff"],
        object_type="enterprise",
        object_repr="北京时间测试",
        occurred_at=INSTANT,
    )
    client = login_as("auditor")
    page = client.get(reverse("web:audit_log"), {"q": "北京时间测试"}).content.decode()
    assert "2026-03-02 00:30:00" in page and "2026-03-01 16:30" not in page
    assert "时间（北京时间）" in page and "时间（UTC）" not in page
    assert "起始日期（北京时间）" in page
    # The day a person types is a Beijing day: the event is on 2 March, not on 1 March.
    on_2nd = client.get(
        reverse("web:audit_log"), {"q": "北京时间测试", "since": "2026-03-02", "until": "2026-03-02"}
    )
    assert "北京时间测试" in _rows_text(on_2nd)
    on_1st = client.get(
        reverse("web:audit_log"), {"q": "北京时间测试", "since": "2026-03-01", "until": "2026-03-01"}
    )
    assert "北京时间测试" not in _rows_text(on_1st)


def _rows_text(response) -> str:
    return " ".join(e.object_repr for e in response.context["page"].object_list)


def test_every_page_says_its_times_are_beijing_time(login_as, seed):
    page = login_as("city_staff").get(reverse("web:home")).content.decode()
    assert "页面所示时间均为北京时间" in page


def test_the_audit_log_export_is_chinese_with_beijing_time_and_labels(login_as, seed):
    audit.record(
        AuditAction.EXPORT,
        seed.users["city_staff"],
        object_type="payment_run",
        object_id="0123",
        object_repr="=北京时间导出测试",
        occurred_at=INSTANT,
        ip_address="10.0.0.1",
    )
    audit.record(AuditAction.EXPORT, seed.users["city_staff"], object_type="enterprise", object_repr="另一条")
    client = login_as("auditor")
    page = client.get(reverse("web:audit_log"), {"q": "北京时间导出测试"}).content.decode()
    assert "data-audit-export" in page and 'name="q" value="北京时间导出测试"' in page
    response = client.post(reverse("web:audit_export"), {"q": "北京时间导出测试"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store, private"
    header, rows, sheet = _table(response.content)
    _chinese_headers(header)
    assert "时间（北京时间）" in header and "对象类型" in header
    assert len(rows) == 1
    (row,) = rows
    assert row["时间（北京时间）"] == datetime(2026, 3, 2, 0, 30)
    assert _cells(sheet, "时间（北京时间）")[0].is_date
    assert row["操作"] == "导出" and row["对象类型"] == "拨付批次"
    assert row["对象"] == "'=北京时间导出测试"  # formula escaped
    id_cell = _cells(sheet, "对象编号")[0]
    assert (id_cell.value, id_cell.data_type) == ("0123", "s")
    exported = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="audit_log").get()
    assert exported.new["count"] == 1 and exported.actor == seed.users["auditor"]


@pytest.mark.parametrize("role", ["city_staff", "district_staff", "enterprise"])
def test_only_readers_of_the_log_may_export_it(login_as, seed, role):
    assert login_as(role).post(reverse("web:audit_export")).status_code == 403
