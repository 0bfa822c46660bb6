"""The import template round trip: download it, fill it in as a clerk would (names, 万元, %), import, and find
exactly the intended values stored — through the web page, the service, and a file saved by LibreOffice."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_from_string
from tests.integration.libreoffice import SKIP_REASON, SOFFICE, Calc
from web_helpers import make_uscc

from srdi.db.models import Certification, Contact, Enterprise, EnterpriseYear, ImportBatch, Title
from srdi.interchange.headers import match_header
from srdi.interchange.template_xlsx import DATA_SHEET, HELP_SHEET, LISTS_SHEET, template_columns
from srdi.services.exports import import_template
from srdi.services.imports import import_file

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _header_of(name: str) -> str:
    return next(t.header for t in template_columns() if t.column.name == name)


def fill_as_a_clerk(template: bytes, uscc: str) -> bytes:
    """Two year-rows of one enterprise, typed the way a district clerk types them."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb[DATA_SHEET]
    at = {cell.value: cell.column for cell in ws[1]}
    rows = [
        {
            "uscc": uscc,
            "name": "杭州模板往返科技有限公司",
            "district": "西湖区",
            "industry_code": "C3976",
            "founded_on": date(2012, 5, 1),  # an Excel date cell
            "registered_in_zhejiang": "是",
            "ecosystem": "智能物联",
            "year": 2024,
            "operating_revenue_fen": 1234.56,
            "rd_expense_fen": 61.7284,
            "employees": 120,
            "main_product.niche_market_share": "5.2%",
            "main_product.revenue_share": 65,
            "main_product.chain_role": "关键环节补短板/锻长板/填空白",
            "rd_institution_level": "省级",
            "quality.own_brand": "否",
            "certifications": '[{"tier":"专精特新中小企业","recognized_on":"2023-01-15"}]',
            "titles": '[{"kind":"高新技术企业","valid_from":"2023-12-01","valid_to":"2026-11-30"}]',
            "contact.name": "王芳",
            "contact.phone": "13800138000",
        },
        {
            "uscc": uscc,
            "name": "杭州模板往返科技有限公司",
            "district": "杭州市西湖区",
            "industry_code": "C3976",
            "founded_on": "2012年5月1日",  # the same date typed as text
            "ecosystem": "smart_iot",  # a code is still accepted
            "year": 2023,
            "operating_revenue_fen": 1000,
            "rd_expense_fen": "50.5",
            "employees": 110,
            "main_product.niche_market_share": 5.2,  # a plain number under （%）
        },
    ]
    for number, row in enumerate(rows, start=2):
        for name, value in row.items():
            ws.cell(row=number, column=at[_header_of(name)], value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def assert_stored_exactly(uscc: str) -> None:
    e = Enterprise.objects.get(uscc=uscc)
    assert e.name == "杭州模板往返科技有限公司"
    assert e.district_id == "330106"
    assert e.industry_code == "C3976"
    assert e.founded_on == date(2012, 5, 1)
    assert e.registered_in_zhejiang is True
    assert e.ecosystem == "smart_iot"
    assert e.mp_niche_market_share == Decimal("0.052")
    assert e.mp_revenue_share == Decimal("0.65")
    assert e.mp_chain_role == "key_link_breakthrough"
    assert e.rd_institution_level == "provincial"
    assert e.q_own_brand is False
    years = {y.year: y for y in EnterpriseYear.objects.filter(enterprise=e)}
    assert years[2024].operating_revenue_fen == 12_345_600_00
    assert years[2024].rd_expense_fen == 617_284_00
    assert years[2024].employees == 120
    assert years[2023].operating_revenue_fen == 10_000_000_00
    assert years[2023].rd_expense_fen == 505_000_00
    assert [(c.tier, c.recognized_on) for c in Certification.objects.filter(enterprise=e)] == [
        ("srdi_sme", date(2023, 1, 15))
    ]
    assert [t.kind for t in Title.objects.filter(enterprise=e)] == ["high_tech_enterprise"]
    contact = Contact.objects.get(enterprise=e)
    assert (contact.name, contact.phone) == ("王芳", "13800138000")


def test_every_template_header_reads_back_as_its_column_and_unit():
    for t in template_columns():
        m = match_header(t.header)
        assert m.usable and m.column is t.column, t.header
        assert (m.unit or "") == t.unit or (t.unit == "" and m.unit in (None, "")), t.header
    assert _header_of("operating_revenue_fen") == "营业收入（万元）"
    assert _header_of("main_product.niche_market_share") == "细分市场占有率（%）"


def test_the_template_is_a_clerks_form():
    wb = load_workbook(io.BytesIO(import_template("xlsx").content))
    assert wb.sheetnames == [DATA_SHEET, HELP_SHEET, LISTS_SHEET]
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    ws = wb[DATA_SHEET]
    headers = [c.value for c in ws[1]]
    assert not any(h.isascii() for h in headers if h not in ("uscc",)), headers  # no field ids
    assert "operating_revenue_fen" not in headers
    letter = {c.value: c.column_letter for c in ws[1]}
    for name in ("uscc", "contact.phone", "contact.id_number", "industry_code"):
        assert ws.column_dimensions[letter[_header_of(name)]].number_format == "@"
    lists = {
        coordinate_from_string(str(dv.sqref).split(":")[0])[0]: dv.formula1
        for dv in ws.data_validations.dataValidation
    }
    options = wb[LISTS_SHEET]
    for name, expected in (
        ("district", "西湖区"),
        ("ecosystem", "智能物联"),
        ("registered_in_zhejiang", "是"),
    ):
        formula = lists[letter[_header_of(name)]]
        sheet, cells = formula.lstrip("=").split("!")
        assert sheet.strip("'") == LISTS_SHEET
        first, last = cells.replace("$", "").split(":")
        assert expected in [c.value for row in options[first:last] for c in row]
    help_lines = [[c.value for c in row] for row in wb[HELP_SHEET].iter_rows()]
    assert help_lines[0][:3] == ["列名", "含义（交换格式字段）", "是否必填"]
    uscc_line = next(line for line in help_lines if line[0] == _header_of("uscc"))
    assert uscc_line[2] == "必填"


def test_template_round_trip_through_the_web_page(login_as, seed):
    client = login_as("district_staff")
    template = client.get(reverse("web:import_template", args=["xlsx"]))
    assert template.status_code == 200
    uscc = make_uscc(731)
    filled = fill_as_a_clerk(template.content, uscc)
    upload = SimpleUploadedFile("西湖区填报.xlsx", filled, content_type=XLSX)
    previewed = client.post(reverse("web:import"), {"file": upload})
    assert previewed.context["preview"].errors == []
    done = client.post(reverse("web:import_confirm"), {"token": previewed.context["pending"].token})
    assert done.context["result"].status == ImportBatch.Status.APPLIED
    assert_stored_exactly(uscc)


def test_template_round_trip_through_the_service():
    uscc = make_uscc(732)
    result = import_file(fill_as_a_clerk(import_template("xlsx").content, uscc), "填报.xlsx")
    assert result.errors == [], result.error_messages()
    assert result.status == ImportBatch.Status.APPLIED
    assert_stored_exactly(uscc)


@pytest.mark.skipif(SOFFICE is None, reason=SKIP_REASON)
def test_template_round_trip_through_libreoffice(tmp_path):
    """The clerk's file opened and saved again by LibreOffice Calc still stores exactly the intended values."""
    uscc = make_uscc(733)
    source = tmp_path / "填报.xlsx"
    source.write_bytes(fill_as_a_clerk(import_template("xlsx").content, uscc))
    saved = Calc(tmp_path / "profile").resave(source, "xlsx")
    result = import_file(saved.read_bytes(), "填报.xlsx")
    assert result.errors == [], result.error_messages()
    assert_stored_exactly(uscc)
