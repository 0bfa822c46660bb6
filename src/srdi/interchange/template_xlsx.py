"""The import template for people: an XLSX form a clerk fills in, in Chinese, that reads back exactly.

Use ``template_workbook()`` (the bytes of the blank template) and ``template_columns()`` (what each column is
headed and how it is filled in). The data sheet 企业数据 is headed by Chinese labels with units — money in 万元
(``营业收入（万元）``), ratios in % (``细分市场占有率（%）``) — which the reader matches through the same path as
any district file (``headers.match_header``); codes (统一社会信用代码, ID numbers, phones, 行业代码) are text
columns so that a spreadsheet never turns them into numbers; enumerations get a drop-down list from the hidden
sheet 选项 (区县 by name, 产业生态圈, the other coded columns, 是/否). The 说明 sheet says for each column what it
means, whether it is required, its unit, its allowed values and an example. The JSON exchange format keeps its
field ids; the CSV template (``writers.write_csv``) is the machine form with field ids.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from srdi.domain.choice_labels import IP_KINDS, TIER_NAMES, TITLE_KINDS, choice_labels
from srdi.domain.reference import districts
from srdi.interchange.columns import COLUMNS, Column
from srdi.interchange.headers import stem_label
from srdi.interchange.writers import TEXT_FORMAT, column_width

DATA_SHEET = "企业数据"
HELP_SHEET = "说明"
LISTS_SHEET = "选项"
FORM_ROWS = 2000  # rows of the data sheet that get the drop-down lists
YES_NO = ("是", "否")
MONEY_FORMAT = "#,##0.00####"
DATE_FORMAT = "yyyy-mm-dd"
REQUIRED = frozenset({"uscc"})
DISTRICT_HEADER = "所属区县"
CLERK_EXAMPLES = {
    "district": "西湖区",
    "ecosystem": "智能物联",
    "operating_revenue_fen": "1234.56",
    "main_product.niche_market_share": "12.5 或 12.5%",
    "main_product.revenue_share": "65",
    "founded_on": "2012-05-01 或 2012年5月1日",
    "registered_in_zhejiang": "是",
    "certifications": '[{"tier":"专精特新中小企业","recognized_on":"2023-01-15"}]',
    "titles": '[{"kind":"高新技术企业","valid_from":"2023-12-01","valid_to":"2026-11-30"}]',
}


@dataclass(frozen=True)
class TemplateColumn:
    """One column of the template: its header, how it is filled in, and its drop-down list if any."""

    column: Column
    header: str
    unit: str  # 万元 | % | ""
    choices: tuple[str, ...]  # the names offered in the drop-down list (empty: free entry)
    text: bool  # formatted as text (codes, names)

    @property
    def required(self) -> bool:
        return self.column.name in REQUIRED


def _header(column: Column) -> tuple[str, str]:
    if column.kind == "fen":
        return f"{stem_label(column)}（万元）", "万元"
    if column.kind == "decimal":
        return f"{column.label}（%）", "%"
    if column.name == "district":
        return DISTRICT_HEADER, ""
    return column.label, ""


def _choices(column: Column) -> tuple[str, ...]:
    if column.name == "district":
        return tuple(d.name for d in districts())
    if column.kind == "bool":
        return YES_NO
    if column.kind == "choice":
        labels = choice_labels(column.name)
        return tuple(labels.get(code, code) for code in column.choices)
    return ()


def template_columns() -> tuple[TemplateColumn, ...]:
    """Every column of the flat exchange format as the template heads it, in the exchange format's order."""
    out = []
    for column in COLUMNS:
        header, unit = _header(column)
        out.append(TemplateColumn(column, header, unit, _choices(column), column.kind == "text"))
    return tuple(out)


_KIND_NOTES = {
    "text": "文本",
    "int": "整数",
    "fen": "金额，单位万元，可含小数（最多到分，即小数点后6位）",
    "bool": "是/否（下拉选择）",
    "date": "日期，如 2024-03-05、2024/3/5 或 2024年3月5日",
    "decimal": "百分数：填 12.5 或 12.5%（表示 12.5%）",
    "json": "JSON 列表（交换格式 v1.1），称号、梯度可填中文名称",
    "json_map": "JSON 对象（键为年度）",
    "choice": "下拉选择",
}


def _allowed(t: TemplateColumn) -> str:
    if t.column.name == "district":
        return "杭州市13个区、县（市）的名称（下拉选择），也可填行政区划代码，如 330106"
    if t.column.name == "certifications":
        return "tier 可填：" + "、".join(TIER_NAMES.values())
    if t.column.name == "titles":
        return "kind 可填：" + "、".join(TITLE_KINDS.values())
    if t.column.name == "ip_items":
        return "kind 可填：" + "、".join(IP_KINDS.values())
    return "、".join(t.choices)


def _example(t: TemplateColumn) -> str:
    name = t.column.name
    if name in CLERK_EXAMPLES:
        return CLERK_EXAMPLES[name]
    if t.choices:
        return t.choices[0]
    if t.column.kind == "fen":
        return "1234.56"
    return t.column.example


def help_rows() -> list[list[str]]:
    """The 说明 sheet: a line per column, then the general rules."""
    lines = [["列名", "含义（交换格式字段）", "是否必填", "单位/格式", "可选值", "示例"]]
    for t in template_columns():
        c = t.column
        required = "必填" if t.required else ("填写年度数据时必填" if c.name == "year" else "选填")
        lines.append(
            [t.header, f"{c.label}（{c.name}）", required, _KIND_NOTES[c.kind], _allowed(t), _example(t)]
        )
    lines.append([])
    lines.append(["填写规则", "每行为一家企业的一个年度；同一企业的企业级信息在各行中应一致。"])
    lines.append(
        ["填写规则", "空白单元格表示“未知”，不会当作 0；金额按万元填写，系统精确换算为分，不四舍五入。"]
    )
    lines.append(["填写规则", "代码、证件号、电话列已设为文本格式，请勿改为数值；粘贴时请选择“只粘贴文本”。"])
    lines.append(
        ["填写规则", "下拉列表中的名称与代码均可填写（如 西湖区 或 330106，智能物联 或 smart_iot）。"]
    )
    return lines


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    letter: str = get_column_letter(index)
    return letter


def template_workbook() -> bytes:
    """The blank template: 企业数据 (headers, formats, drop-downs), 说明, and the hidden 选项 lists."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = template_columns()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = DATA_SHEET
    help_ws = wb.create_sheet(HELP_SHEET)
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    list_column = 0
    for index, t in enumerate(columns, start=1):
        letter = _letter(index)
        cell = ws.cell(row=1, column=index, value=t.header)
        cell.font = bold
        cell.number_format = TEXT_FORMAT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if t.required:
            cell.fill = required_fill
        dimension = ws.column_dimensions[letter]
        dimension.width = max(column_width(t.header), 12 if t.choices else 0)
        if t.text:
            dimension.number_format = TEXT_FORMAT
        elif t.column.kind == "fen":
            dimension.number_format = MONEY_FORMAT
        elif t.column.kind == "date":
            dimension.number_format = DATE_FORMAT
        if t.choices:
            list_column += 1
            list_letter = _letter(list_column)
            lists.cell(row=1, column=list_column, value=t.header)
            for row, name in enumerate(t.choices, start=2):
                lists.cell(row=row, column=list_column, value=name)
            source = f"'{LISTS_SHEET}'!${list_letter}$2:${list_letter}${len(t.choices) + 1}"
            validation = DataValidation(
                type="list",
                formula1=f"={source}",
                allow_blank=True,
                showErrorMessage=t.column.kind != "text",  # a district may also be typed as its code
                errorTitle="取值不在列表中",
                error=f"请从下拉列表中选择「{t.header}」",
                promptTitle=t.header,
                prompt="请从下拉列表中选择",
                showInputMessage=True,
            )
            validation.add(f"{letter}2:{letter}{FORM_ROWS + 1}")
            ws.add_data_validation(validation)
    ws.freeze_panes = "B2"
    for line in help_rows():
        help_ws.append(line)
    for letter, width in zip("ABCDEF", (30, 40, 14, 34, 50, 40), strict=True):
        help_ws.column_dimensions[letter].width = width
    for cell in help_ws[1]:
        cell.font = bold
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
