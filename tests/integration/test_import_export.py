"""Import and export: all-or-nothing, partial, idempotence, round trips, hostile files, formula injection."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from tests.conftest import make_uscc
from tests.integration.conftest import json_bytes, profile, xlsx_bytes

from srdi.db.models import AuditEvent, Contact, Enterprise, EnterpriseYear, ImportBatch
from srdi.interchange import safety
from srdi.services.exports import export_enterprises, import_template
from srdi.services.imports import import_file

pytestmark = pytest.mark.django_db

HEADER = [
    "uscc",
    "name",
    "district",
    "industry_code",
    "year",
    "operating_revenue_fen",
    "employees",
    "ip.class1",
    "registered_in_zhejiang",
]


def mixed_csv(good1: str, good2: str) -> bytes:
    rows = [
        HEADER,
        [good1, "甲公司", "330106", "C3976", "2024", "500000000", "50", "2", "是"],
        [good1, "甲公司", "330106", "C3976", "2023", "90000000", "48", "2", "是"],
        [good2, "乙公司", "330108", "I6510", "2024", "12.5", "30", "1", "否"],  # fractional fen
        [
            "91330106MA2XXXXXXX",
            "丙公司",
            "330106",
            "C3976",
            "2024",
            "100",
            "abc",
            "",
            "也许",
        ],  # bad uscc, int, bool
        [make_uscc("330110"), "丁公司", "999999", "C3976", "2024", "100", "5", "", ""],  # bad district
    ]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def test_mixed_file_writes_nothing_and_names_every_bad_value(cli_runner, tmp_path):
    good1, good2 = make_uscc(), make_uscc("330108")
    path = tmp_path / "mixed.csv"
    path.write_bytes(mixed_csv(good1, good2))
    result = cli_runner("import", str(path))
    assert result.exit_code == 1
    assert Enterprise.objects.count() == 0
    assert EnterpriseYear.objects.count() == 0
    out = result.output
    assert "第4行 F列「operating_revenue_fen」值 '12.5'" in out
    assert "第5行 G列「employees」值 'abc'：应为整数" in out
    assert "第5行 I列「registered_in_zhejiang」值 '也许'" in out
    assert "第6行 C列「district」值 '999999'" in out
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


def test_partial_writes_exactly_the_valid_rows(cli_runner, tmp_path):
    good1, good2 = make_uscc(), make_uscc("330108")
    path = tmp_path / "mixed.csv"
    path.write_bytes(mixed_csv(good1, good2))
    result = cli_runner("import", str(path), "--partial")
    assert result.exit_code == 1  # errors were reported
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {good1}
    assert sorted(EnterpriseYear.objects.values_list("year", flat=True)) == [2023, 2024]
    ent = Enterprise.objects.get()
    assert ent.ip_class1 == 2 and ent.registered_in_zhejiang is True
    assert ent.size_class == "small"  # 50 employees, 500万元 revenue in industry


def test_second_identical_import_is_a_no_op():
    data = json_bytes([profile(), profile(district="330108")])
    first = import_file(data, "a.json")
    assert first.status == ImportBatch.Status.APPLIED and first.stats.created == 2
    audit_before = AuditEvent.objects.filter(object_type="enterprise").count()
    second = import_file(data, "a.json")
    assert second.status == ImportBatch.Status.NOOP
    assert second.stats.created == second.stats.updated == second.stats.facts_changed == 0
    assert AuditEvent.objects.filter(object_type="enterprise").count() == audit_before


def test_unknown_stays_unknown_and_merge_does_not_erase():
    p = profile()
    import_file(json_bytes([p]), "a.json")
    partial = {"uscc": p["uscc"], "ip": {"class1": 3}}
    result = import_file(json_bytes([partial]), "b.json")
    assert result.stats.updated == 1
    ent = Enterprise.objects.get()
    assert ent.ip_class1 == 3
    assert ent.name == p["name"]  # not erased by the absent field
    assert ent.ip_class2 is None  # unknown, not 0


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_export_then_import_round_trips_with_no_change(fmt):
    records = [
        profile(
            certifications=[{"tier": "srdi_sme", "recognized_on": "2023-01-15", "expires_on": "2026-01-14"}],
            titles=[{"kind": "high_tech_enterprise", "valid_from": "2023-12-01", "valid_to": "2026-11-30"}],
            main_product={"niche_market_share": "0.12", "chain_role": "none"},
            awards=[],
            events=[{"kind": "loan", "loan_id": "L1", "contract_date": "2024-05-10", "annual_rate": "0.028"}],
            compliance={"dishonest": False},
            financials={"2024": {"net_profit_fen": -1200, "operating_revenue_fen": 1}},
        ),
        profile(district="330108", name='=HYPERLINK("http://x")'),
    ]
    import_file(json_bytes(records), "seed.json")
    before = json.loads(export_enterprises(None, "json").content)
    exported = export_enterprises(None, fmt)
    result = import_file(exported.content, exported.filename)
    assert result.status == ImportBatch.Status.NOOP, result.error_messages()
    after = json.loads(export_enterprises(None, "json").content)
    assert before == after


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_v11_lists_round_trip_through_spreadsheets(fmt):
    """``platform_scores`` is written as an object keyed by year and read back as one (the other lists are lists)."""
    records = [
        profile(
            platform_scores={"2025": "49.5", "2026": "61"},
            ip_items=[{"kind": "invention_patent", "granted_on": "2021-03-02", "holder_rank": 1}],
            data_updates=[{"year": 2026, "updated_on": "2026-05-20"}],
            sanctions=[],
        )
    ]
    import_file(json_bytes(records), "seed.json")
    before = json.loads(export_enterprises(None, "json").content)
    assert before[0]["platform_scores"] == {"2025": "49.5", "2026": "61"}
    exported = export_enterprises(None, fmt)
    result = import_file(exported.content, exported.filename)
    assert result.status == ImportBatch.Status.NOOP, result.error_messages()
    assert json.loads(export_enterprises(None, "json").content) == before


def test_a_platform_scores_cell_must_be_an_object():
    header = ["uscc", "year", "platform_scores"]
    result = import_file(xlsx_bytes([header, [make_uscc("330106"), 2024, '[{"2026": "58.5"}]']]), "s.xlsx")
    assert result.status == ImportBatch.Status.REJECTED
    assert any("JSON 对象" in m for m in result.error_messages())


def test_csv_and_xlsx_exports_escape_formulas_but_keep_numbers():
    import_file(
        json_bytes(
            [
                profile(
                    name="=1+2", financials={"2024": {"net_profit_fen": -500, "operating_revenue_fen": 9}}
                ),
                profile(name="@SUM(A1)"),
                profile(name="+86 热线"),
                profile(name="-2+3"),
            ]
        ),
        "x.json",
    )
    text = export_enterprises(None, "csv").content.decode("utf-8-sig")
    names = [r["name"] for r in csv.DictReader(io.StringIO(text))]
    assert all(n.startswith("'") for n in names), names
    rows = list(csv.DictReader(io.StringIO(text)))
    assert any(r["net_profit_fen"] == "-500" for r in rows)
    wb = load_workbook(io.BytesIO(export_enterprises(None, "xlsx").content))
    ws = wb.active
    header = [c.value for c in ws[1]]
    name_col, profit_col = (
        header.index("企业名称"),
        header.index("净利润（万元）"),
    )  # for people: Chinese, 万元
    cells = list(ws.iter_rows(min_row=2))
    assert all(str(r[name_col].value).startswith("'") for r in cells)
    assert all(r[name_col].data_type == "s" for r in cells)
    assert any(r[profit_col].value == -0.0005 and r[profit_col].data_type == "n" for r in cells)


def test_xlsx_formula_cells_are_refused_not_evaluated():
    uscc = make_uscc()
    data = xlsx_bytes([["uscc", "name", "year", "operating_revenue_fen"], [uscc, "甲", 2024, "=1000*1000"]])
    result = import_file(data, "f.xlsx")
    assert result.status == ImportBatch.Status.REJECTED
    assert any("公式" in m for m in result.error_messages())
    assert Enterprise.objects.count() == 0


def _zip_with(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return buf.getvalue()


def test_zip_bomb_is_refused_with_a_message(monkeypatch):
    monkeypatch.setattr(safety, "MAX_XLSX_UNPACKED", 5 * 1024 * 1024)
    bomb = _zip_with(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/worksheets/sheet1.xml": b"<a>" + b"0" * (20 * 1024 * 1024) + b"</a>",
        }
    )
    assert len(bomb) < 100_000
    result = import_file(bomb, "bomb.xlsx")
    assert result.status == ImportBatch.Status.REJECTED
    assert "压缩炸弹" in result.message or "超过上限" in result.message


def test_real_size_zip_bomb_is_refused_before_unpacking():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(450):
                fh.write(chunk)
    result = import_file(buf.getvalue(), "bomb.xlsx", max_bytes=10 * 1024 * 1024)
    assert result.status == ImportBatch.Status.REJECTED
    assert "超过上限" in result.message


def test_billion_laughs_xlsx_is_refused_with_a_message():
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}'.encode() * 1 + b'">'
            for i in range(1, 10)
        )
        + b"]><worksheet><sheetData><row><c><v>&lol9;</v></c></row></sheetData></worksheet>"
    )
    data = _zip_with({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": lol})
    result = import_file(data, "laughs.xlsx")
    assert result.status == ImportBatch.Status.REJECTED
    assert "DTD" in result.message


@pytest.mark.parametrize(
    ("data", "name", "fragment"),
    [
        (b"", "a.csv", "文件为空"),
        (b"\xd0\xcf\x11\xe0rest", "a.xls", ".xls"),
        (b"PK\x03\x04garbage", "a.xlsx", "损坏"),
        (b"PK\x03\x04garbage", "a.csv", "扩展名"),
        (b"{not json", "a.json", "JSON 格式错误"),
        (b'{"x": 1}', "a.json", "enterprises"),
        (b"\x00\x01\x02", "a.bin", "无法识别"),
    ],
)
def test_hostile_or_broken_files_get_a_message_never_a_crash(data, name, fragment):
    result = import_file(data, name)
    assert result.status == ImportBatch.Status.REJECTED
    assert fragment in result.message


def test_oversized_file_is_refused():
    result = import_file(b"[" + b" " * 2000 + b"]", "big.json", max_bytes=1000)
    assert "超过上限" in result.message


def test_templates_have_every_exchange_field():
    csv_text = import_template("csv").content.decode("utf-8-sig")
    header = csv_text.splitlines()[0].split(",")
    assert {"uscc", "year", "rd_expense_fen", "ip.class1", "certifications"} <= set(header)
    wb = load_workbook(io.BytesIO(import_template("xlsx").content))
    assert wb.sheetnames == ["企业数据", "说明", "选项"]


def test_uscc_override_reason_allows_a_registered_code_that_fails_the_check():
    bad = "91350203M0001QAY9B"
    result = import_file(json_bytes([profile(uscc=bad)]), "a.json")
    assert result.status == ImportBatch.Status.REJECTED
    result = import_file(
        json_bytes([profile(uscc=bad, uscc_override_reason="登记机关确认的历史代码")]), "a.json"
    )
    assert result.status == ImportBatch.Status.APPLIED
    assert Enterprise.objects.get().uscc_override_reason


def test_district_import_cannot_take_over_a_foreign_enterprise():
    from srdi.services.accounts import create_user

    binjiang = profile(district="330108", name="滨江原企业")
    import_file(json_bytes([binjiang]), "city.json")
    xihu = create_user(
        username="xihu_importer",
        password="Xh-import-2025!long",
        role="district_staff",
        district_code="330106",
    )
    takeover = {**binjiang, "district": "330106", "name": "被改名的企业"}
    own = profile(district="330106", name="西湖新企业")
    result = import_file(json_bytes([takeover, own]), "xihu.json", actor=xihu)
    assert result.status == ImportBatch.Status.REJECTED
    assert any(e.column == "uscc" and "其他区县" in e.reason for e in result.errors)
    stored = Enterprise.objects.get(uscc=binjiang["uscc"])
    assert (stored.district_id, stored.name) == ("330108", "滨江原企业")
    partial = import_file(json_bytes([takeover, own]), "xihu.json", actor=xihu, partial=True)
    assert partial.stats.created == 1
    assert Enterprise.objects.get(uscc=binjiang["uscc"]).district_id == "330108"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reimporting_an_export_never_stores_its_masked_contact(fmt):
    uscc = make_uscc()
    header = "uscc,name,year,operating_revenue_fen,contact.name,contact.phone,contact.id_number"
    row = f"{uscc},甲公司,2024,100,马晓明,15512343633,330106198001011235"
    assert import_file(f"{header}\n{row}\n".encode(), "seed.csv").ok
    exported = export_enterprises(None, fmt)
    if fmt == "csv":
        shown = exported.content.decode("utf-8-sig")
    else:
        shown = str([c.value for row in load_workbook(io.BytesIO(exported.content)).active for c in row])
    assert "155****3633" in shown and "马**" in shown
    result = import_file(exported.content, exported.filename)
    assert result.status == ImportBatch.Status.NOOP, result.error_messages()
    assert any("联系人信息已脱敏，未导入" in m for m in result.warning_messages())
    assert list(Contact.objects.values_list("name", "phone", "id_number")) == [
        ("马晓明", "15512343633", "330106198001011235")
    ]


def test_validation_exposes_the_layout_and_warnings_without_writing():
    from srdi.services.imports import validate

    data = f"填报单位：西湖区\n序号,信用代码,年份,营收（万元）,说明列\n1,{make_uscc()},2024,12.5,x\n".encode(
        "gb18030"
    )
    checked = validate(data, "d.csv", actor=None)
    assert checked.file_format == "csv" and checked.rows_total == 1 and not checked.errors
    assert (
        checked.layout is not None
        and checked.layout.header_row == 2
        and checked.layout.encoding == "GB18030/GBK"
    )
    assert checked.unknown_headers == ["说明列"] and checked.warnings
    ((_record, incoming),) = checked.valid
    assert incoming.years[2024]["operating_revenue_fen"] == 12_500_000
    assert Enterprise.objects.count() == 0
