"""The error workbook's summary: counts by column, and a long list capped (all errors stay beside their rows)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from srdi.interchange.error_workbook import (
    SUMMARY_LISTED,
    SUMMARY_SHEET,
    row_explanation,
    write_error_workbook,
)
from srdi.interchange.problems import RowError


def test_row_explanation_names_each_column_and_value():
    text = row_explanation(
        [RowError(3, "营业收入（万元）", "abc", "应为数字", letter="E"), RowError(3, "", "", "缺少年度")]
    )
    assert text == "E列「营业收入（万元）」值 'abc'：应为数字；\n缺少年度"


def test_a_json_import_gets_the_summary_only_and_a_long_list_is_capped():
    errors = [RowError(n, "district", "x", "不是区县代码") for n in range(1, SUMMARY_LISTED + 6)]
    wb = load_workbook(
        io.BytesIO(write_error_workbook(None, errors, filename="a.json", rows_total=9, unit="条"))
    )
    assert wb.sheetnames == [SUMMARY_SHEET]
    lines = [[c.value for c in row] for row in wb[SUMMARY_SHEET].iter_rows()]
    assert lines[3][:2] == ["错误总数", SUMMARY_LISTED + 5]
    assert lines[6][1:4] == [None, "district", SUMMARY_LISTED + 5]
    assert sum(1 for line in lines if str(line[0]).startswith("第")) == SUMMARY_LISTED
    assert any(str(line[0]).startswith(f"以下列出前 {SUMMARY_LISTED} 处错误") for line in lines)
