"""An export opened and saved in a spreadsheet program imports back with no change (LibreOffice Calc, headless).

The data hold what spreadsheets damage: all-digit USCCs (``913301060000000000``), an 18-digit ID number, phone
numbers with a leading 0, masked contacts, list fields as JSON, ratios, amounts of 15 digits and beyond, names
that start with a formula character. A district user and city staff each export XLSX and CSV; the file is
opened and saved (xlsx → xlsx, xlsx → ods, and the CSV the way a careful user opens it: the code and text
columns imported as text); importing the saved file is a no-op: no enterprise changed, no contact added (the
masked contact is not imported). A CSV opened with the default settings loses the long codes, and its import
is refused rather than stored wrong.

Needs LibreOffice (``soffice``); skipped, with the reason, where it is not installed.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook
from tests.integration.conftest import json_bytes, profile, xlsx_bytes
from tests.integration.libreoffice import SKIP_REASON, SOFFICE, Calc, csv_options

from srdi.db.models import Contact, Enterprise, ImportBatch, Role, User
from srdi.demo.generator import generate
from srdi.domain.uscc import uscc_check_char
from srdi.interchange.columns import COLUMNS
from srdi.interchange.writers import people_header, text_columns
from srdi.services.accounts import create_user
from srdi.services.demo import load_tables
from srdi.services.exports import export_enterprises, profiles_from_db
from srdi.services.imports import import_file

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(SOFFICE is None, reason=SKIP_REASON)]

WEST, BINJIANG = "330106", "330108"
ALL_DIGITS = "913301060000000000"  # a valid USCC (check character 0) that a spreadsheet reads as a number
ID_NUMBER = "330106198512151002"  # 18 digits, valid check digit
PASSWORD = "Roundtrip-2026!long"
DEMO_SEED = 11


def all_digit_uscc(district: str, start: int) -> str:
    """The first valid USCC of this district, from ``start`` on, whose every character is a digit."""
    for n in itertools.count(start):
        first17 = f"91{district}{n:09d}"
        check = uscc_check_char(first17)
        if check.isdigit():
            return first17 + check
    raise AssertionError("unreachable")


WEST_DIGITS = all_digit_uscc(WEST, 1)
BINJIANG_DIGITS = all_digit_uscc(BINJIANG, 1)


@pytest.fixture(scope="module")
def calc(tmp_path_factory) -> Calc:
    return Calc(tmp_path_factory.mktemp("libreoffice-profile"))


@pytest.fixture
def users(db) -> dict[str, User]:
    return {
        "district": create_user(
            username="rt_west", password=PASSWORD, role=Role.DISTRICT_STAFF, district_code=WEST
        ),
        "city": create_user(username="rt_city", password=PASSWORD, role=Role.CITY_STAFF),
    }


def _years(revenue: int) -> dict[str, dict[str, int]]:
    return {
        "2025": {
            "operating_revenue_fen": revenue,
            "main_business_revenue_fen": revenue - 1,
            "rd_expense_fen": 987_654_321,
            "net_profit_fen": -1_200,
            "total_assets_fen": 123_456_789_012_345,
            "employees": 1_234,
            "rd_staff": 56,
        },
        "2024": {"operating_revenue_fen": 40_000_000, "employees": 0},
    }


@pytest.fixture
def seeded(db) -> None:
    """Demo enterprises (every list of the exchange format) and three with all-digit codes and contacts."""
    load_tables(generate(12, DEMO_SEED, as_of_year=2026), seed=DEMO_SEED)
    records = [
        profile(
            uscc=ALL_DIGITS,
            name="杭州全数字代码科技有限公司",
            district=WEST,
            industry_code="C3976",
            founded_on="2006-07-20",
            niche_since_year=2008,
            financials=_years(987_654_321_012_345),
            ip={"class1": 12, "class1_self_developed": 10, "invention_patents": 7},
            main_product={
                "niche_market_share": "0.125",
                "revenue_share": "0.655",
                "chain_role": "key_link_breakthrough",
                "national_rank": 3,
            },
            compliance={"dishonest": False, "major_accident_3y": False},
            certifications=[{"tier": "srdi_sme", "recognized_on": "2024-01-15", "expires_on": "2027-01-14"}],
            titles=[{"kind": "high_tech_enterprise", "valid_from": "2023-12-01", "valid_to": "2026-11-30"}],
            events=[
                {
                    "kind": "loan",
                    "loan_id": "0012345678901234567",
                    "contract_date": "2024-05-10",
                    "principal_fen": 5_000_000_000,
                    "annual_rate": "0.028",
                }
            ],
            platform_scores={"2025": "49.5", "2026": "61"},
        ),
        profile(uscc=WEST_DIGITS, name='=HYPERLINK("http://x")', district=WEST, financials=_years(1)),
        profile(uscc=BINJIANG_DIGITS, name="+86 热线服务有限公司", district=BINJIANG),
    ]
    # extreme amounts on purpose (exactness at the edges): confirmed past the plausibility hold
    assert import_file(json_bytes(records), "seed.json", confirm=True).status == ImportBatch.Status.APPLIED
    contacts = [
        ["uscc", "contact.name", "contact.position", "contact.phone", "contact.id_number"],
        [ALL_DIGITS, "马晓明", "总经理", "15512343633", ID_NUMBER],
        [WEST_DIGITS, "陈静", "", "057188881234", ""],
        [BINJIANG_DIGITS, "王强", "财务负责人", "01012345678", "33010619800101003X"],
    ]
    result = import_file(xlsx_bytes(contacts), "contacts.xlsx")
    assert result.status == ImportBatch.Status.APPLIED, result.error_messages()
    assert Contact.objects.count() == 3


def snapshot() -> tuple[list[dict[str, Any]], list[tuple[str, ...]]]:
    """Every stored profile and contact."""
    profiles = [p for p, _ in profiles_from_db(Enterprise.objects.all())]
    contacts = list(
        Contact.objects.order_by("id").values_list(
            "enterprise__uscc", "name", "position", "phone", "id_number"
        )
    )
    return profiles, contacts


def sheet_rows(path: Path) -> list[dict[str, Any]]:
    """The first sheet (or the CSV) as rows keyed by header, values as the file holds them."""
    if path.suffix == ".csv":
        return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))
    table = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    # the XLSX for people heads its columns in Chinese (money in 万元): key them by field name here
    fields = {people_header(c): c.name for c in COLUMNS}
    return [dict(zip([fields.get(h, h) for h in table[0]], row, strict=False)) for row in table[1:]]


def careful_csv_options(content: bytes) -> str:
    """The CSV import a careful user makes: every text column of the export (codes, names) as text."""
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    text = text_columns(header)
    return csv_options(i for i, name in enumerate(header, start=1) if name in text)


ROUTES = {
    "xlsx-to-xlsx": ("xlsx", "xlsx"),
    "xlsx-to-ods": ("xlsx", "ods"),
    "csv-to-csv-text-columns": ("csv", "csv"),
}


@pytest.mark.parametrize("who", ["district", "city"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_an_export_opened_and_saved_in_libreoffice_imports_with_no_change(
    seeded, users, calc, tmp_path, who, route
):
    actor = users[who]
    file_format, target = ROUTES[route]
    exported = export_enterprises(actor, file_format)
    expected = Enterprise.objects.filter(district_id=WEST).count() if who == "district" else 15
    assert exported.count == expected
    source = tmp_path / f"export.{file_format}"
    source.write_bytes(exported.content)
    options = careful_csv_options(exported.content) if file_format == "csv" else None
    saved = calc.resave(source, target, csv_import=options)

    rows = {r["uscc"]: r for r in sheet_rows(saved)}
    assert rows[ALL_DIGITS]["contact.phone"] == "155****3633"  # the code is still text, the contact masked
    assert rows[ALL_DIGITS]["contact.id_number"] == "330106********1002"
    assert (BINJIANG_DIGITS in rows) is (who == "city")
    before = snapshot()

    result = import_file(saved.read_bytes(), saved.name, actor=actor)

    assert result.status == ImportBatch.Status.NOOP, result.error_messages()
    assert (result.stats.created, result.stats.updated, result.stats.facts_changed) == (0, 0, 0)
    assert snapshot() == before  # no enterprise changed, no (masked) contact added


def test_a_csv_opened_with_the_default_settings_is_refused_not_stored_wrong(seeded, users, calc, tmp_path):
    exported = export_enterprises(users["city"], "csv")
    source = tmp_path / "export.csv"
    source.write_bytes(exported.content)
    saved = calc.resave(source, "csv", csv_import=csv_options())
    text = saved.read_text("utf-8-sig")
    assert ALL_DIGITS in exported.content.decode("utf-8-sig")
    assert ALL_DIGITS not in text and WEST_DIGITS not in text  # now rounded numbers such as 9.1330106E+017
    before = snapshot()

    result = import_file(saved.read_bytes(), saved.name, actor=users["city"])

    assert result.status == ImportBatch.Status.REJECTED
    assert {e.column for e in result.errors} >= {"uscc"}
    assert snapshot() == before


@pytest.mark.parametrize("target", ["xlsx", "ods"])
def test_an_amount_beyond_15_digits_stays_exact_through_a_spreadsheet(users, calc, tmp_path, target):
    record = profile(district=WEST, financials={"2025": {"total_assets_fen": 12_345_678_901_234_567}})
    assert import_file(json_bytes([record]), "big.json").status == ImportBatch.Status.APPLIED
    source = tmp_path / "export.xlsx"
    source.write_bytes(export_enterprises(users["city"], "xlsx").content)
    saved = calc.resave(source, target)
    assert sheet_rows(saved)[0]["total_assets_fen"] == "12345678901.234567"  # 万元, as text: exact
    before = snapshot()

    result = import_file(saved.read_bytes(), saved.name, actor=users["city"])

    assert result.status == ImportBatch.Status.NOOP, result.error_messages()
    assert snapshot() == before
