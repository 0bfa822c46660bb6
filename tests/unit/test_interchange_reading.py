"""Reading spreadsheets: header matching, header detection, code/date/text cells, CSV encodings and layout."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from srdi.interchange import safety
from srdi.interchange.cells import MASKED, CellError, parser_for
from srdi.interchange.columns import BY_NAME, COLUMNS
from srdi.interchange.detect import Grid, find_header
from srdi.interchange.headers import NEEDS_UNIT, Match, match_header, match_pair, normalise
from srdi.interchange.readers import FileFormatError, decode_csv, read_table
from srdi.interchange.rows import parse_rows

USCC = "91330106MA2B0CD00C"


def field_of(header: str) -> tuple[str | None, str | None, int | None, str]:
    m = match_header(header)
    return (m.column.name if m.column else None), m.unit, m.year, m.problem


@pytest.mark.parametrize(
    ("header", "field", "unit", "year"),
    [
        ("uscc", "uscc", None, None),
        ("统一社会信用代码*", "uscc", None, None),
        ("*社会信用代码：", "uscc", None, None),
        ("企业信用代码", "uscc", None, None),
        ("单位名称", "name", None, None),
        ("区县（代码）", "district", None, None),
        ("成立时间", "founded_on", None, None),
        ("数据年度", "year", None, None),
        ("营业收入（分）", "operating_revenue_fen", "分", None),
        ("operating_revenue_fen", "operating_revenue_fen", "分", None),
        ("营业收入(万元)", "operating_revenue_fen", "万元", None),
        ("营收（万）", "operating_revenue_fen", "万元", None),
        ("营业收入\n（元）", "operating_revenue_fen", "元", None),
        ("营业收入　（元）", "operating_revenue_fen", "元", None),
        ("2024年营业收入（万元）", "operating_revenue_fen", "万元", 2024),
        ("营业收入（2023年，万元）", "operating_revenue_fen", "万元", 2023),
        ("研发经费支出（万元）", "rd_expense_fen", "万元", None),
        ("总资产（元）", "total_assets_fen", "元", None),
        ("职工人数（人）", "employees", "人", None),
        ("研发人员数", "rd_staff", None, None),
        ("有效发明专利数（件）", "ip.invention_patents", "件", None),
        ("细分市场占有率（%）", "main_product.niche_market_share", "%", None),
        ("联系人", "contact.name", None, None),
        ("手机", "contact.phone", None, None),
        ("Ⅰ类知识产权", "ip.class1", None, None),
    ],
)
def test_headers_as_districts_write_them(header, field, unit, year):
    assert field_of(header) == (field, unit, year, "")


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("营业收入", NEEDS_UNIT),
        ("净利润", NEEDS_UNIT),
        ("营业收入（千元）", "千元"),
        ("营业收入千元", "千元"),
        ("营业收入（元/年）", "无法识别"),
        ("营业收入（万元", "无法识别"),
        ("从业人员（万元）", "无法识别"),
        ("2024年发明专利", "不分年度"),
    ],
)
def test_headers_of_ours_with_a_unit_we_cannot_read_are_problems(header, problem):
    m = match_header(header)
    assert m.kind is Match.FIELD and problem in m.problem


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("序号", Match.KNOWN_OTHER),
        ("备注", Match.KNOWN_OTHER),
        ("研发人员占比（%）", Match.UNKNOWN),
        ("", Match.EMPTY),
    ],
)
def test_headers_not_ours_are_ignored(header, kind):
    assert match_header(header).kind is kind


def test_every_label_and_alias_is_recognised_and_names_are_unambiguous():
    seen: dict[str, str] = {}
    for column in COLUMNS:
        for header in (column.name, column.label, *column.aliases):
            m = match_header(header)
            assert m.column is column, header
            key = normalise(header)
            assert seen.setdefault(key, column.name) == column.name, header


@pytest.mark.parametrize(
    ("group", "child", "expected"),
    [
        ("财务数据（万元）", "营业收入", ("operating_revenue_fen", "万元", None, "")),
        ("2024年", "研发费用（万元）", ("rd_expense_fen", "万元", 2024, "")),
        ("营业收入（万元）", "2023年", ("operating_revenue_fen", "万元", 2023, "")),
        ("统一社会信用代码", "", ("uscc", None, None, "")),
        (
            "财务数据（万元）",
            "从业人员",
            ("employees", None, None, ""),
        ),  # a 万元 group says nothing of people
        ("2024年（万元）", "营业收入", ("operating_revenue_fen", "万元", 2024, "")),
    ],
)
def test_group_headers_apply_their_unit_and_year(group, child, expected):
    m = match_pair(group, child)
    assert ((m.column.name if m.column else None), m.unit, m.year, m.problem) == expected


def test_a_group_unit_that_contradicts_the_column_is_a_problem():
    assert "不一致" in match_pair("财务数据（万元）", "营业收入（分）").problem


def test_header_found_below_titles_and_over_a_group_row():
    grid = Grid(
        [
            ["2024年度专精特新企业统计表", "", "", "", ""],
            ["统一社会信用代码", "企业名称", "2024年", "", "备注"],
            ["", "", "营业收入（万元）", "研发费用（万元）", ""],
            [USCC, "甲", 1, 2, ""],
        ]
    )
    found = find_header(grid)
    assert found is not None
    assert (found.row, found.rows) == (2, 2)
    assert [m.year for m in found.matches[2:4]] == [2024, 2024]


def test_a_title_is_not_a_group_even_when_it_names_a_year():
    grid = Grid([["2024年度申报企业名单"], ["统一社会信用代码", "年度", "营业收入（万元）"], [USCC, 2023, 1]])
    found = find_header(grid)
    assert found is not None and (found.row, found.rows) == (1, 1)
    assert found.matches[2].year is None


def test_known_merges_limit_a_group_to_its_range():
    rows = [
        ["统一社会信用代码", "年度", "财务数据（万元）", "", "净利润"],
        ["", "", "营业收入", "研发费用", ""],
    ]
    found = find_header(Grid(rows, merges=[((0, 2), (0, 3)), ((0, 0), (1, 0)), ((0, 1), (1, 1))]))
    assert found is not None
    assert found.matches[3].unit == "万元"
    assert found.matches[4].problem == NEEDS_UNIT  # 净利润 is outside the merged group: no unit of its own


def test_a_help_sheet_has_no_header():
    rows = [["字段名", "含义", "类型"], ["uscc", "统一社会信用代码", "文本"], ["name", "企业名称", "文本"]]
    assert find_header(Grid(rows)) is None


# ---------------------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------------------


def parse(name: str, cell: object, unit: str | None = None) -> object:
    return parser_for(BY_NAME[name], unit)(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2006-07-20", "2006-07-20"),
        ("2006/7/20", "2006-07-20"),
        ("2006.7.20", "2006-07-20"),
        ("2009.11.14", "2009-11-14"),
        ("2024年3月5日", "2024-03-05"),
        ("２０２４年３月５日", "2024-03-05"),
        ("20240305", "2024-03-05"),
        ("2024-03-05 00:00:00", "2024-03-05"),
        (date(2012, 5, 1), "2012-05-01"),
        (datetime(2012, 5, 1), "2012-05-01"),
        (38918.0, "2006-07-20"),  # Excel serial day number, 1900 system
        (61.0, "1900-03-01"),
        (20240305.0, "2024-03-05"),
    ],
)
def test_dates(cell, expected):
    assert parse("founded_on", cell) == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2024年3月", "缺少日"),
        ("2024-03", "缺少日"),
        ("2023-02-30", "日期不存在"),
        ("7/20/2006", "日期格式"),
        (60.0, "1900-02-29"),
        (38918.5, "时间"),
        (datetime(2012, 5, 1, 9, 30), "时间"),
    ],
)
def test_dates_refused(cell, reason):
    with pytest.raises(CellError, match=reason):
        parse("founded_on", cell)


def test_serial_numbers_in_a_1904_workbook():
    assert parser_for(BY_NAME["founded_on"], None, date1904=True)(37456.0) == "2006-07-20"


@pytest.mark.parametrize(
    ("name", "cell", "expected"),
    [
        ("uscc", " 91330106MA2B0CD00C ", "91330106MA2B0CD00C"),
        ("uscc", "９１３３０１０６ＭＡ２Ｂ０ＣＤ００Ｃ", "91330106MA2B0CD00C"),
        ("uscc", "9133 0106 MA2B 0CD0 0C", "91330106MA2B0CD00C"),
        ("district", 330106.0, "330106"),
        ("district", "西湖区", "330106"),
        ("district", "杭州市余杭区", "330110"),
        ("district", "余杭", "330110"),
        ("contact.phone", 13912345678.0, "13912345678"),
        ("contact.id_number", "330106198001011235", "330106198001011235"),
        ("name", "'=HYPERLINK(1)", "=HYPERLINK(1)"),
        ("contact.name", "马*", MASKED),
        ("contact.phone", "155****3633", MASKED),
        ("contact.id_number", "3301＊＊＊＊1234", MASKED),
        ("year", "2024年", 2024),
        ("year", "２０２４", 2024),
        # a valid code with the shape of E-notation (digits, E, digits) is a code, not a number
        ("uscc", "913301060000000E61", "913301060000000E61"),
    ],
)
def test_text_and_code_cells(name, cell, expected):
    assert parse(name, cell) == expected


@pytest.mark.parametrize(
    ("name", "cell", "reason"),
    [
        ("uscc", 913301060000000013.0, "数值单元格"),
        ("uscc", 91330106.0, "数值单元格"),  # any number in the USCC column
        ("uscc", "9.13301E+17", "科学计数法"),
        ("uscc", "913301060000000E62", "科学计数法"),  # the shape of a code, a wrong check character
        ("contact.id_number", 330106198001011234.0, "文本格式"),
        ("contact.phone", "1.3912E+10", "科学计数法"),
        ("name", "杭州*科技", "脱敏"),
        ("uscc", "9133****0C", "脱敏"),
        ("district", 3301.5, "文本格式"),
        ("name", True, "应为文本"),
    ],
)
def test_code_and_text_cells_refused(name, cell, reason):
    with pytest.raises(CellError, match=reason):
        parse(name, cell)


def test_uscc_refusals_never_suggest_the_override_reason():
    for cell in (913301060000000013.0, "9.13301E+17"):
        with pytest.raises(CellError) as exc:
            parse("uscc", cell)
        assert "uscc_override_reason" not in str(exc.value)


@pytest.mark.parametrize(
    ("cell", "unit", "expected"),
    [
        ("12", "%", "0.12"),
        (12.0, "%", "0.12"),
        ("12%", None, "0.12"),
        ("12%", "%", "0.12"),
        (0.12, None, "0.12"),
    ],
)
def test_ratios(cell, unit, expected):
    assert Decimal(parse("main_product.niche_market_share", cell, unit)) == Decimal(expected)


def test_a_percent_formatted_number_under_a_percent_header_is_ambiguous():
    with pytest.raises(CellError, match="无法判断"):
        parse("main_product.niche_market_share", 0.12, "%")


# ---------------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ("\ufeffa,b".encode(), "UTF-8（带 BOM）"),
        (b"a,b", "UTF-8"),
        (b"\x84\x31\x95\x33" + "信用代码".encode("gb18030"), "GB18030（带 BOM）"),
        ("信用代码".encode("gbk"), "GB18030/GBK"),
        ("\ufeff信用代码".encode("utf-16-le"), "UTF-16 LE（带 BOM）"),
        ("\ufeff信用代码".encode("utf-16-be"), "UTF-16 BE（带 BOM）"),
    ],
)
def test_csv_encodings(data, label):
    text, found = decode_csv(data)
    assert found == label and not text.startswith("\ufeff")


def test_utf16_without_bom_is_refused_with_a_hint():
    with pytest.raises(FileFormatError, match="UTF-16"):
        decode_csv("信用代码\t企业名称".encode("utf-16-le"))


def test_no_header_anywhere_is_one_clear_error():
    with pytest.raises(FileFormatError, match="未找到表头") as exc:
        read_table(b"a,b\n1,2\n", "csv")
    assert exc.value.layout is not None and exc.value.layout.encoding == "UTF-8"


def test_wide_row_and_long_rows_give_the_same_record():
    wide = f"统一社会信用代码,2023年营业收入（万元）,2024年营业收入（万元）\n{USCC},1,2\n".encode()
    long = f"统一社会信用代码,年度,营业收入（万元）\n{USCC},2023,1\n{USCC},2024,2\n".encode()
    records = [parse_rows(read_table(data, "csv")).records for data in (wide, long)]
    assert records[0][0].data == records[1][0].data


def test_a_year_column_contradicting_a_year_header_is_refused():
    data = f"统一社会信用代码,年度,2023年营业收入（万元）\n{USCC},2024,1\n".encode()
    parsed = parse_rows(read_table(data, "csv"))
    assert any("不一致" in e.reason and e.letter == "C" for e in parsed.errors)


def test_unknown_columns_are_ignored_with_a_warning_listing_them():
    data = f"序号,统一社会信用代码,研发人员占比（%）,奇怪的列\n1,{USCC},3,x\n".encode()
    table = read_table(data, "csv")
    assert [c.header for c in table.layout.ignored()] == ["序号", "研发人员占比（%）", "奇怪的列"]
    assert len(table.warnings) == 1 and "C列「研发人员占比（%）」" in table.warnings[0].reason
    assert "序号" not in table.warnings[0].reason


def test_a_duplicated_column_is_a_header_error():
    table = read_table(f"统一社会信用代码,企业名称,单位名称\n{USCC},甲,甲\n".encode(), "csv")
    assert table.errors and table.errors[0].letter == "C" and "重复" in table.errors[0].reason


def _xlsx(build) -> bytes:
    wb = Workbook()
    build(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_the_data_sheet_wins_over_hidden_help_and_lesser_sheets():
    def build(wb: Workbook) -> None:
        help_sheet = wb.active
        help_sheet.title = "填写说明"
        help_sheet.append(["字段名", "含义"])
        help_sheet.append(["uscc", "统一社会信用代码"])
        hidden = wb.create_sheet("隐藏")
        hidden.append(["统一社会信用代码", "企业名称", "年度", "营业收入（万元）"])
        hidden.sheet_state = "veryHidden"
        small = wb.create_sheet("汇总")
        small.append(["统一社会信用代码"])
        data = wb.create_sheet("企业数据")
        data.append(["统一社会信用代码", "企业名称"])
        data.append([USCC, "甲"])

    table = read_table(_xlsx(build), "xlsx")
    assert table.layout.sheet == "企业数据"
    reasons = {s.name: s.reason for s in table.layout.skipped_sheets}
    assert reasons["隐藏"] == "隐藏工作表" and "未找到表头" in reasons["填写说明"] and "汇总" in reasons
    assert any(w.sheet == "汇总" for w in table.warnings)


def test_a_formula_in_an_ignored_column_is_harmless_but_not_in_an_imported_one():
    def build(wb: Workbook) -> None:
        ws = wb.active
        ws.append(["序号", "统一社会信用代码", "年度", "营业收入（万元）"])
        ws.append(["=ROW()-1", USCC, 2024, "=1+1"])

    table = read_table(_xlsx(build), "xlsx")
    assert [(f.row, f.letter) for f in table.formulas] == [(2, "D")]


def test_ods_is_checked_like_xlsx():
    fake = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(safety.UnsafeFile, match="DTD"):
        safety.check_ods(fake.getvalue())
    assert safety.detect_format(fake.getvalue(), "a.ods") == "ods"
    with pytest.raises(safety.UnsafeFile, match="xls"):
        safety.detect_format(b"\xd0\xcf\x11\xe0" + b"\0" * 10, "a.xls")
