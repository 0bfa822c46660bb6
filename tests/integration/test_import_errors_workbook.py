"""All errors of a file in one pass, and the error workbook: the rows with every error beside them (CLI, service)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from tests.conftest import make_uscc

from srdi.db.models import AuditAction, AuditEvent, Enterprise, EnterpriseYear, ImportBatch
from srdi.interchange.error_workbook import DATA_SHEET, ERRORS_HEADER, ROW_HEADER, SUMMARY_SHEET
from srdi.services.import_errors import error_workbook
from srdi.services.imports import import_file, read_checked

pytestmark = pytest.mark.django_db

HEADER = [
    "统一社会信用代码",
    "企业名称",
    "所属区县",
    "年度",
    "营业收入（万元）",
    "浙江省注册",
    "数字化水平等级",
    "产业生态圈",
]


def workbook(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业数据"
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def bad_uscc() -> str:
    good = make_uscc()
    return good[:17] + ("0" if good[17] != "0" else "1")  # wrong check character


def several_errors_file() -> tuple[bytes, str, str]:
    good, wrong = make_uscc(), bad_uscc()
    rows = [
        [good, "甲公司", "西湖区", 2024, 1234.56, "是", 2, "智能物联"],
        # five errors in one row: a profile-level one (check character, range) beside cell-level ones
        [wrong, "乙公司", "西湖区", 2024, "abc", "也许", 9, "不存在的圈"],
        # two errors: an unknown district (profile level) and a fractional fen (cell level)
        [make_uscc("330108"), "丙公司", "火星区", 2024, 0.0000001, "否", 1, "生物医药"],
    ]
    return workbook(rows), good, wrong


def test_every_error_of_every_row_is_reported_in_one_pass():
    data, _, wrong = several_errors_file()
    checked = read_checked(data, "多错误.xlsx", actor=None)
    by_row: dict[int, set[str]] = {}
    for e in checked.errors:
        by_row.setdefault(e.row, set()).add(e.letter)
    assert by_row[3] == {"A", "E", "F", "G", "H"}  # USCC check character, 营业收入, 浙江省注册, 等级, 生态圈
    assert by_row[4] == {"C", "E"}
    assert 2 not in by_row
    uscc_error = next(e for e in checked.errors if e.row == 3 and e.letter == "A")
    assert "GB 32100" in uscc_error.reason and uscc_error.value == wrong
    assert [inc.uscc for _, inc in checked.valid] == [checked.valid[0][1].uscc]  # only the good row


def test_the_error_workbook_has_every_error_beside_its_row():
    data, good, wrong = several_errors_file()
    result = error_workbook(data, "西湖区填报.xlsx", actor=None)
    assert result.filename == "西湖区填报-错误说明.xlsx"
    assert (result.errors, result.rows_with_errors) == (7, 2)
    wb = load_workbook(io.BytesIO(result.content))
    assert wb.sheetnames == [DATA_SHEET, SUMMARY_SHEET]
    ws = wb[DATA_SHEET]
    header = [c.value for c in ws[1]]
    assert header == [*HEADER, ERRORS_HEADER, ROW_HEADER]
    rows = {row[-1].value: row for row in ws.iter_rows(min_row=2)}
    assert rows[2][0].value == good and rows[2][-2].value is None
    explanation = rows[3][-2].value
    for letter in "AEFGH":
        assert f"{letter}列「" in explanation
    assert "营业收入（万元）" in explanation and "GB 32100" in explanation
    assert rows[3][0].value == wrong
    assert rows[3][4].fill.fgColor.rgb.endswith("FFC7CE")  # the refused cell is highlighted
    assert rows[3][1].fill.fgColor.rgb in ("00000000", None)  # a good cell is not
    assert "C列「所属区县」" in rows[4][-2].value
    summary = [[c.value for c in row] for row in wb[SUMMARY_SHEET].iter_rows()]
    assert summary[3][:2] == ["错误总数", 7]
    assert len([line for line in summary if line[0] in ("第3行", "第4行")]) == 7
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="import_errors")
    assert event.new["errors"] == 7


def test_the_corrected_error_workbook_imports_as_it_is():
    data, good, _ = several_errors_file()
    wb = load_workbook(io.BytesIO(error_workbook(data, "a.xlsx", actor=None).content))
    ws = wb[DATA_SHEET]
    fixed = make_uscc("330106")
    for cells, values in (
        (ws[3], [fixed, None, None, None, 88, "否", 3, "新材料"]),
        (ws[4], [None, None, "滨江区", None, 1, None, None, None]),
    ):
        for cell, value in zip(cells, values, strict=False):
            if value is not None:
                cell.value = value
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_file(buffer.getvalue(), "a-错误说明.xlsx")
    assert result.errors == [], result.error_messages()
    assert result.status == ImportBatch.Status.APPLIED
    assert Enterprise.objects.get(uscc=fixed).ecosystem == "new_materials"
    assert EnterpriseYear.objects.get(enterprise__uscc=fixed).operating_revenue_fen == 88_000_000
    assert Enterprise.objects.filter(uscc=good).exists()


def test_cli_writes_the_error_workbook(cli_runner, tmp_path):
    data, _, _ = several_errors_file()
    source, target = tmp_path / "多错误.xlsx", tmp_path / "errors.xlsx"
    source.write_bytes(data)
    result = cli_runner("import", str(source), "--errors-out", str(target))
    assert result.exit_code == 1
    assert "7 处错误" in result.output
    ws = load_workbook(target)[DATA_SHEET]
    assert ws.cell(row=1, column=len(HEADER) + 1).value == ERRORS_HEADER
    assert "G列「数字化水平等级」" in ws.cell(row=3, column=len(HEADER) + 1).value
    assert Enterprise.objects.count() == 0
    dry = cli_runner("import", str(source), "--dry-run", "--errors-out", str(tmp_path / "dry.xlsx"))
    assert dry.exit_code == 1 and (tmp_path / "dry.xlsx").exists()


def test_a_district_sees_its_scope_error_beside_the_other_errors_of_the_row(role_users):
    staff = role_users["district_staff"]  # 西湖区
    wrong = bad_uscc()
    data = workbook([[wrong, "外区公司", "滨江区", 2024, "abc", "是", 1, "智能物联"]])
    checked = read_checked(data, "a.xlsx", actor=staff)
    assert {e.letter for e in checked.errors} == {"A", "C", "E"}  # check character, scope, amount
    # a JSON record whose district is not text is refused, not looked up
    json_data = b'[{"uscc": "%s", "district": ["330106"]}]' % make_uscc().encode()
    assert read_checked(json_data, "a.json", actor=staff).errors
