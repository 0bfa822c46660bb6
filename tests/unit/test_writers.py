"""The spreadsheet writers: XLSX keeps codes as text (cell and column), CSV stays plain, formulas stay escaped."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from srdi.interchange.writers import (
    EXACT_INTEGER_LIMIT,
    Wan,
    column_width,
    header_names,
    people_columns,
    people_row,
    text_columns,
    write_csv,
    write_xlsx,
    yuan,
)

ROW = {
    "uscc": "913301060000000000",
    "name": "=1+2 公司",
    "district": "330106",
    "industry_code": "C3976",
    "year": 2025,
    "operating_revenue_fen": 987_654_321_012_345,
    "total_assets_fen": 12_345_678_901_234_567,
    "net_profit_fen": -1_200,
    "main_product.niche_market_share": "0.125",
    "registered_in_zhejiang": True,
    "titles": [{"kind": "high_tech_enterprise"}],
    "contact.phone": "057*****1234",
    "contact.id_number": "330106********1007",
}


def _sheet(content: bytes):
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    header = [c.value for c in ws[1]]
    return ws, {name: cell for name, cell in zip(header, ws[2], strict=True)}


def test_xlsx_codes_and_text_columns_are_text_cells_formatted_as_text():
    _, cells = _sheet(write_xlsx([ROW]))
    for name in ("uscc", "name", "district", "industry_code", "contact.phone", "contact.id_number"):
        assert cells[name].data_type == "s", name
        assert cells[name].number_format == "@", name
    assert cells["uscc"].value == "913301060000000000"
    assert cells["name"].value == "'=1+2 公司"  # formula escaping unchanged
    assert text_columns(header_names()) == {
        "uscc",
        "uscc_override_reason",
        "name",
        "district",
        "industry_code",
        "contact.name",
        "contact.position",
        "contact.phone",
        "contact.id_number",
    }


def test_xlsx_text_columns_are_formatted_as_text_for_rows_a_user_adds():
    ws, _ = _sheet(write_xlsx([]))
    letters = {c.value: c.column_letter for c in ws[1]}
    for name in text_columns(header_names()):
        assert ws.column_dimensions[letters[name]].number_format == "@", name
    assert ws.column_dimensions[letters["operating_revenue_fen"]].number_format == "General"
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions[letters["uscc"]].width == column_width("uscc") >= 20


def test_xlsx_numbers_stay_numbers_unless_a_spreadsheet_would_round_them():
    _, cells = _sheet(write_xlsx([ROW]))
    assert (cells["year"].value, cells["year"].data_type) == (2025, "n")
    assert (cells["operating_revenue_fen"].value, cells["operating_revenue_fen"].data_type) == (
        987_654_321_012_345,
        "n",
    )
    assert (cells["net_profit_fen"].value, cells["net_profit_fen"].data_type) == (-1_200, "n")
    big = cells["total_assets_fen"]
    assert (big.value, big.data_type, big.number_format) == ("12345678901234567", "s", "@")
    assert cells["registered_in_zhejiang"].value == "是"


def test_xlsx_digit_strings_in_other_columns_are_text_formatted():
    ws, cells = _sheet(
        write_xlsx(
            [{"bank_account_number": "6222020200001234", "amount_yuan": "12.50"}],
            ["bank_account_number", "amount_yuan"],
        )
    )
    assert cells["bank_account_number"].number_format == "@"
    assert cells["amount_yuan"].number_format == "General"
    assert ws.column_dimensions["A"].number_format == "General"  # not a declared text column


def test_an_integer_at_the_limit_is_text_and_one_below_is_a_number():
    _, cells = _sheet(
        write_xlsx(
            [{"a": EXACT_INTEGER_LIMIT - 1, "b": EXACT_INTEGER_LIMIT, "c": -EXACT_INTEGER_LIMIT}],
            ["a", "b", "c"],
        )
    )
    assert cells["a"].data_type == "n"
    assert (cells["b"].value, cells["b"].data_type) == (str(EXACT_INTEGER_LIMIT), "s")
    assert (cells["c"].value, cells["c"].data_type) == (str(-EXACT_INTEGER_LIMIT), "s")


def test_csv_is_plain_values_under_the_header():
    text = write_csv([ROW]).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].split(",") == header_names()  # no label line: the file is for machines
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["uscc"] == "913301060000000000"
    assert row["total_assets_fen"] == "12345678901234567"
    assert row["net_profit_fen"] == "-1200"
    assert row["name"] == "'=1+2 公司"


def test_the_template_help_sheet_follows_the_data_sheet():
    wb = load_workbook(io.BytesIO(write_xlsx([], help_rows=[["字段名", "含义"]])))
    assert wb.sheetnames == ["企业数据", "填写说明"]
    assert wb.worksheets[1]["A1"].value == "字段名"


def test_columns_headed_by_their_chinese_labels_are_text_columns_too():
    ws, cells = _sheet(
        write_xlsx(
            [{"统一社会信用代码": "91330106MA2B0CDE1X", "企业名称": "杭州某某"}],
            ["统一社会信用代码", "企业名称"],
        )
    )
    assert ws.column_dimensions["A"].number_format == ws.column_dimensions["B"].number_format == "@"
    assert cells["统一社会信用代码"].number_format == "@"
    assert ws.column_dimensions["A"].width == column_width("uscc")


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_yuan_is_a_number_cell_with_the_exact_amount(fen):
    _, cells = _sheet(
        write_xlsx([{"金额（元）": yuan(fen), "账号": "6222"}], ["金额（元）", "账号"], text=["账号"])
    )
    cell = cells["金额（元）"]
    assert cell.data_type == "n" and cell.number_format == "#,##0.00"
    assert Decimal(repr(cell.value)) * 100 == fen
    assert cells["账号"].data_type == "s" and cells["账号"].number_format == "@"


def test_yuan_in_csv_is_two_decimals_and_unknown_is_empty():
    text = write_csv([{"a": yuan(123456), "b": yuan(-5), "c": yuan(None)}], ["a", "b", "c"]).decode(
        "utf-8-sig"
    )
    assert text.splitlines()[1] == "1234.56,-0.05,"


def test_dates_are_date_cells_and_times_naive_beijing():
    moment = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    _, cells = _sheet(
        write_xlsx([{"日期": date(2026, 3, 1), "时间（北京时间）": moment}], ["日期", "时间（北京时间）"])
    )
    assert cells["日期"].is_date and cells["日期"].number_format == "yyyy-mm-dd"
    assert cells["日期"].value == datetime(2026, 3, 1)
    assert cells["时间（北京时间）"].value == datetime(2026, 3, 2, 0, 30)
    text = write_csv([{"t": moment, "d": date(2026, 3, 1)}], ["t", "d"]).decode("utf-8-sig")
    assert text.splitlines()[1] == "2026-03-02 00:30:00,2026-03-01"


def test_the_enterprise_sheet_for_people_has_chinese_headers_and_money_in_wan():
    columns = people_columns()
    assert not [h for h in columns if re.fullmatch(r"[a-z0-9_.]+", h)]
    assert "营业收入（万元）" in columns and "营业收入（分）" not in columns
    _, cells = _sheet(write_xlsx([people_row(ROW)], columns))
    assert cells["统一社会信用代码"].value == ROW["uscc"] and cells["统一社会信用代码"].data_type == "s"
    revenue = cells["营业收入（万元）"]
    assert revenue.data_type == "n" and Decimal(repr(revenue.value)) == Decimal("987654321.012345")
    assert cells["净利润（万元）"].value == -0.0012
    big = cells["资产总额（万元）"]  # 17 significant digits: text, still exact
    assert (big.value, big.data_type) == ("12345678901.234567", "s")
    assert cells["企业名称"].value == "'=1+2 公司"


def test_wan_is_exact():
    assert Wan(123_456_789).value == Decimal("123.456789")
