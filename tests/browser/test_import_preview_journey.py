"""Issue W2 3/7 in a real Chromium: a district's own spreadsheet is previewed, then written on confirmation.

A district user uploads the workbook the way a district office makes it — a merged title row, a 序号 column,
amounts in 万元 with the unit in the header, a header with a line break — and sees, before anything is written,
the sheet and header row found, the column mapping with the unit conversion, and one new enterprise. Then the
user confirms; the amounts are stored exactly in fen. A second upload changing one figure shows that field's
old and new value. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io

import pytest
from browser_helpers import WEST_LAKE, Shots, uscc
from openpyxl import Workbook

from srdi.db.models import Enterprise, EnterpriseYear

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def district_workbook(code: str, revenue_wan: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "西湖区优质中小企业"
    ws.append(["西湖区2025年度优质中小企业数据报送表"])
    ws.merge_cells("A1:G1")
    ws.append(
        ["序号", "统一社会信用代码", "企业名称", "区县代码", "年度", "营业收入\n（万元）", "从业人员（人）"]
    )
    ws.append([1, code, "杭州西湖报送样例科技有限公司", WEST_LAKE, 2025, revenue_wan, 86])
    for row in ws.iter_rows(min_row=3, min_col=2, max_col=2):
        for cell in row:
            cell.number_format = "@"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_a_district_workbook_is_previewed_then_written_exactly(browser, world, tmp_path):
    page = browser.page
    shot = Shots(page, "import-preview")
    browser.login("west_browser")
    code = uscc(41)
    path = tmp_path / "西湖区报送.xlsx"
    path.write_bytes(district_workbook(code, "1234.5678"))

    page.goto(f"{browser.base_url}/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state("networkidle")
    preview = page.locator("section.import-preview")
    text = preview.inner_text()
    assert "工作表「西湖区优质中小企业」" in text and "表头在第 2 行" in text
    assert "表头上方的标题行" in text
    assert page.locator(".preview-created").inner_text() == "1"
    preview.locator("summary", has_text="列映射").click()
    mapping = preview.locator("table.mapping-table").inner_text()
    assert "operating_revenue_fen" in mapping and "万元" in mapping and "（忽略）" in mapping
    assert not Enterprise.objects.filter(uscc=code).exists()  # nothing written by the preview
    shot("preview")

    page.get_by_role("button", name="确认写入").click()
    page.wait_for_load_state("networkidle")
    assert "已导入" in page.locator("section.import-result").inner_text()
    stored = EnterpriseYear.objects.get(enterprise__uscc=code, year=2025)
    assert stored.operating_revenue_fen == 1_234_567_800 and stored.employees == 86
    shot("written")

    path.write_bytes(district_workbook(code, "1300"))
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".preview-changed").inner_text() == "1"
    diff = page.locator("table.diff-table").inner_text()
    assert "2025年 营业收入" in diff and "¥12,345,678.00" in diff and "¥13,000,000.00" in diff
    assert browser.console_errors == []
    shot("diff")
