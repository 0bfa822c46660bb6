"""Reading one cell exactly, or refusing it: the value typed, never a nearby one.

``parser_for(column, unit)`` returns the function that reads every cell of a column (chosen once per column,
not per cell). Cells arrive as a spreadsheet reader gives them: text, ``float`` for every number of an
xlsx/ods (``int`` too), ``bool``, ``date``/``datetime``. The rules:

- A float is read through ``repr()`` → ``Decimal``, which is the shortest text giving the same double — what
  was typed. A number at or above 2^53 is refused (doubles no longer hold every integer there). Excel keeps 15
  significant digits of a number, so a number cell is refused where 15 digits may not reach the value's last
  digit: an amount of 10^15 fen or more, and in a code or text column anything but an integer below 10^15
  (an 18-digit USCC or ID number typed as a number has already been changed). The USCC column refuses every
  numeric cell.
- Text numbers may use full-width digits, ``，``/``,`` thousands separators in groups of three and spaces;
  scientific notation (``1.00069E+11``) is refused everywhere: its digits are already lost.
- Money is converted to fen by the column's unit (元 ×100, 万元 ×1,000,000) and refused when the result is not a
  whole number of fen: never rounded.
- A ``*``/``＊`` in a text cell means masked data (an export of ours): refused, except in a contact column,
  whose parser answers ``MASKED`` so that the row's contact is dropped with a warning.
- A contact's ID number must pass GB 11643 (``srdi.domain.id_number``: 18 characters, region, birth date, check
  character); the reason names what is wrong, and the row error names the record and the column.
- Dates: ``2006-07-20``, ``2006/7/20``, ``2006.7.20``, ``2024年3月5日``, ``20240305``, date cells, and Excel serial
  day numbers in numeric cells (1900 date system unless the workbook says 1904). ``2024年3月`` is refused.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from srdi.domain.choice_labels import JSON_CODE_KEYS, choice_labels, code_of
from srdi.domain.id_number import id_number_problem, normalise_id_number
from srdi.domain.reference import districts
from srdi.domain.text import text_problem
from srdi.domain.uscc import is_valid_uscc
from srdi.interchange.columns import Column
from srdi.interchange.headers import MONEY_UNITS, PERCENT_UNITS
from srdi.interchange.writers import TRIGGERS

TRUE_WORDS = {"true", "是", "y", "yes", "1", "有", "√"}
FALSE_WORDS = {"false", "否", "n", "no", "0", "无", "×"}
JSON_KINDS = ("json", "json_map")
# Columns holding codes: full-width characters are made half-width and spaces removed.
CODE_COLUMNS = frozenset({"uscc", "district", "industry_code", "contact.phone", "contact.id_number"})
YEAR_COLUMNS = frozenset({"year", "niche_since_year"})
EXACT_FLOAT = 2**53  # from here on a double no longer holds every integer
EXACT_DIGITS = 10**15  # Excel keeps 15 significant digits of a number

AS_TEXT = "请将该列设置为文本格式后重新录入（已变成数值的号码无法还原，须重新输入或粘贴原始文本）"
E_NOTATION = "是科学计数法，原数字的位数已丢失，不能导入：请将该列设置为数值或文本格式，填写完整数字"
MASKED_TEXT = "值含 * 号，是脱敏后的数据（如本系统的导出文件），不能作为原始数据导入"


class CellError(ValueError):
    """A cell that cannot be read exactly as its column's kind; the message says why and how to fix it."""


class Masked(Enum):
    """A contact cell holding masked data (``马*``, ``155****3633``)."""

    MASKED = "masked"


MASKED = Masked.MASKED
Parser = Callable[[Any], Any]

_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_E_NOTATION = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)e[+-]?\d+", re.IGNORECASE)
_DATE_SEP = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_DATE_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MONTH_ONLY = re.compile(r"(\d{4})(?:年(\d{1,2})月?|[-/.](\d{1,2}))")
_MIDNIGHT = re.compile(r"(.+?)(?:[ T]0?0:00(?::00(?:\.0+)?)?)")


def _half_width(text: str) -> str:
    """Full-width digits and punctuation as ASCII, all whitespace removed (for codes and numbers)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    return "".join(text.split())


def is_masked(text: str) -> bool:
    return "*" in text or "＊" in text


def number_text(text: str, expected: str = "应为数字") -> Decimal:
    """A number written as text, exactly; E-notation and malformed separators refused."""
    t = _half_width(text)
    if _PLAIN.fullmatch(t):
        return Decimal(t)
    if _GROUPED.fullmatch(t):
        return Decimal(t.replace(",", ""))
    if _E_NOTATION.fullmatch(t):
        raise CellError(E_NOTATION)
    if "," in t:
        raise CellError("千位分隔符位置不对（应每三位一个，如 1,234,567）")
    raise CellError(expected)


def number_cell(value: int | float) -> Decimal:
    """A numeric cell's value as typed (via ``repr``); refused where a double cannot hold it exactly."""
    if isinstance(value, float) and not math.isfinite(value):
        raise CellError("应为有限数值")
    if abs(value) >= EXACT_FLOAT:
        raise CellError("数值过大，表格软件已无法精确保存：请将该列设置为文本格式后重新录入完整数字")
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _not_a_number(value: Any) -> CellError:
    if isinstance(value, bool):
        return CellError("应为数字，不是 是/否")
    if isinstance(value, date | time | timedelta):
        return CellError("应为数字，不是日期或时间")
    return CellError("应为数字")


def _decimal_of(value: Any) -> Decimal:
    if isinstance(value, str):
        return number_text(value, "应为整数")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_cell(value)
    raise _not_a_number(value)


TOO_MANY_DIGITS = (
    "数值单元格超过15位有效数字（表格软件只保存15位，多出的位数已被改成0）："
    "请将该列设置为文本格式后重新录入完整数字"
)


def shift(number: Decimal, places: int) -> Decimal:
    """``number`` × 10^places, exactly (``Decimal`` arithmetic would round to 28 digits)."""
    sign, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):
        raise CellError("应为有限数值")
    return Decimal((sign, digits, exponent + places))


def _integer(value: Any, places: int, what: str) -> int:
    if type(value) is float and places == 0 and value.is_integer() and abs(value) < EXACT_DIGITS:
        return int(value)  # the common cell, without going through Decimal
    if type(value) is str and value.isascii() and value.isdigit():
        digits: int = int(value) * 10**places
        return digits
    number = shift(_decimal_of(value), places)
    if number != number.to_integral_value():
        raise CellError(what)
    # A number cell keeps 15 significant digits: an amount of 10^15 fen or more, counted down to the fen, may
    # have lost digits that cannot be told from zeros.
    if type(value) is not str and abs(number) >= EXACT_DIGITS:
        raise CellError(TOO_MANY_DIGITS)
    return int(number)


def _int_parser(column: Column) -> Parser:
    year_like = column.name in YEAR_COLUMNS

    def parse(value: Any) -> int:
        if year_like and isinstance(value, str):
            value = value.strip().removesuffix("年度").removesuffix("年")
        return _integer(value, 0, "应为整数")

    return parse


def _fen_parser(unit: str | None) -> Parser:
    places = len(str(MONEY_UNITS[unit or "分"])) - 1  # 分 0, 元 2, 万元 6
    if places == 0:
        what = "应为整数（金额单位为分，不能有小数）"
    else:
        what = f"按{unit}换算为分后不是整数（金额最小单位为分），不能四舍五入：请核对数值"

    def parse(value: Any) -> int:
        return _integer(value, places, what)

    return parse


def _decimal_parser(unit: str | None) -> Parser:
    percent_header = unit in PERCENT_UNITS

    def parse(value: Any) -> str:
        if isinstance(value, str):
            t = _half_width(value)
            if t.endswith("%"):
                return str(shift(number_text(t[:-1]), -2))
            number = number_text(t)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = number_cell(value)
            if percent_header and 0 < abs(number) < 1:
                # A cell formatted as a percentage holds 0.12 for 12%: under a (%) header it is ambiguous.
                raise CellError("表头为（%），但值小于 1：无法判断是百分数还是小数，请填写为文本，如“12%”")
        else:
            raise _not_a_number(value)
        return str(shift(number, -2) if percent_header else number)

    return parse


def _district_names() -> dict[str, str]:
    names: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for d in districts():
        names[d.name] = d.code
        short.setdefault(d.name[:-1], set()).add(d.code)
    for stem, codes in short.items():
        if len(codes) == 1 and stem not in names:
            names[stem] = next(iter(codes))
    return names


def _text_parser(column: Column) -> Parser:
    name = column.name
    code = name in CODE_COLUMNS
    contact = column.level == "contact"
    district = name == "district"
    names = _district_names() if district else {}
    uscc = name == "uscc"
    id_number = name == "contact.id_number"

    def parse(value: Any) -> Any:
        if isinstance(value, float | int) and not isinstance(value, bool):
            if uscc:
                raise CellError("统一社会信用代码是数值单元格（可能已被表格软件改变）：" + AS_TEXT)
            if (isinstance(value, float) and not value.is_integer()) or abs(value) >= EXACT_DIGITS:
                raise CellError("该单元格是数值格式，超过15位的数字或小数无法精确保存：" + AS_TEXT)
            text = str(int(value))
        elif isinstance(value, str):
            text = value.strip()
            if text.startswith("'") and text[1:].lstrip(" ").startswith(TRIGGERS):
                text = text[1:]  # the apostrophe our exports put before formula triggers
        elif isinstance(value, bool):
            raise CellError("应为文本，不是 是/否")
        else:
            raise CellError("应为文本，不是日期或时间")
        problem = text_problem(text)
        if problem:
            raise CellError(problem)
        if is_masked(text):
            if contact:
                return MASKED
            raise CellError(MASKED_TEXT)
        if code:
            text = _half_width(text)
        # A real code such as 913301060000000E61 has the shape of E-notation; its check character tells it
        # apart from a number Excel wrote as 9.13301E+17.
        if (
            ("e" in text or "E" in text)
            and _E_NOTATION.fullmatch(_half_width(text))
            and not (code and is_valid_uscc(text))
        ):
            raise CellError(E_NOTATION)
        if id_number and text:
            problem = id_number_problem(text)
            if problem:
                raise CellError(problem)
            return normalise_id_number(text)
        if district and text and not text.isdigit():
            found = names.get(text.removeprefix("杭州市").removeprefix("浙江省杭州市"))
            if found is not None:
                return found
        return text

    return parse


def _excel_serial(n: int, date1904: bool) -> date:
    if date1904:
        return date(1904, 1, 1) + timedelta(days=n)
    if n == 60:
        raise CellError("Excel 序列号 60 对应不存在的 1900-02-29")
    return date(1899, 12, 31 if n < 60 else 30) + timedelta(days=n)


def _ymd(y: str, m: str, d: str) -> str:
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        raise CellError(f"日期不存在（{y}年{int(m)}月{int(d)}日）") from None


def _date_parser(date1904: bool) -> Parser:
    def parse(value: Any) -> str:
        if isinstance(value, datetime):
            if value.time() != time(0, 0):
                raise CellError("日期单元格含时间：请只填日期")
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool | time | timedelta):
            raise CellError("应为日期")
        if isinstance(value, int | float):
            if isinstance(value, float) and not value.is_integer():
                raise CellError("日期序列号含小数（时间）：请只填日期")
            n = int(value)
            if 1 <= n <= 2_958_465:
                return _excel_serial(n, date1904).isoformat()
            if 10_000_101 <= n <= 99_991_231:
                s = str(n)
                return _ymd(s[:4], s[4:6], s[6:])
            raise CellError("数值不是日期（Excel 日期序列号应在 1–2958465 之间）")
        text = unicodedata.normalize("NFKC", str(value)).strip()
        plain = _MIDNIGHT.fullmatch(text)
        if plain:
            text = plain.group(1)
        text = "".join(text.split())
        for pattern in (_DATE_SEP, _DATE_CN):
            m = pattern.fullmatch(text)
            if m:
                groups = m.groups()
                return _ymd(groups[0], groups[-2], groups[-1])
        m = _DATE_COMPACT.fullmatch(text)
        if m:
            return _ymd(*m.groups())
        if _MONTH_ONLY.fullmatch(text):
            raise CellError("日期缺少日：请填写完整日期，如 2024-03-05")
        raise CellError("日期格式应为 2024-03-05、2024/3/5、2024.3.5、2024年3月5日 或 20240305")

    return parse


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    word = _half_width(str(value)).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("应为 是/否（或 true/false）")


def _choice_parser(column: Column) -> Parser:
    labels = choice_labels(column.name) or {c: c for c in column.choices}
    allowed = "、".join(labels[c] if labels[c] == c else f"{labels[c]}（{c}）" for c in column.choices)

    def parse(value: Any) -> str:
        text = str(value).strip() if isinstance(value, str) else None
        code = code_of(labels, text) if text is not None else None
        if code is None or code not in column.choices:
            raise CellError(f"应为以下之一：{allowed}")
        return code

    return parse


_JSON_DECODER = json.JSONDecoder(parse_float=Decimal)


def _named_codes(items: Any, keys: dict[str, Any]) -> Any:
    """A list of JSON objects with the names of ``keys`` (``{"tier": "专精特新中小企业"}``) read as codes."""
    if not isinstance(items, list):
        return items
    for item in items:
        if isinstance(item, dict):
            for key, labels in keys.items():
                value = item.get(key)
                if isinstance(value, str):
                    item[key] = code_of(labels, value.strip()) or value
    return items


def _json_parser(kind: str, name: str = "") -> Parser:
    what, shape, opening = ("JSON 列表", list, "[") if kind == "json" else ("JSON 对象", dict, "{")
    keys = JSON_CODE_KEYS.get(name, {})

    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            raise CellError(f"应为 {what}（文本）")
        text = value.strip()
        try:
            if text.startswith("\ufeff"):
                raise json.JSONDecodeError("Unexpected UTF-8 BOM", text, 0)
            parsed = _JSON_DECODER.decode(text)
        except json.JSONDecodeError as exc:
            raise CellError(f"应为 {what}（{exc.msg}）") from None
        except (ValueError, RecursionError):
            raise CellError(f"应为 {what}（内容过大或嵌套过深）") from None
        if not isinstance(parsed, shape):
            raise CellError(f"应为 {what}（以 {opening} 开头）")
        return _named_codes(parsed, keys) if keys else parsed

    return parse


def parser_for(column: Column, unit: str | None = None, *, date1904: bool = False) -> Parser:
    """The function reading every non-empty cell of this column (with the unit its header names)."""
    kind = column.kind
    if kind == "text":
        return _text_parser(column)
    if kind == "int":
        return _int_parser(column)
    if kind == "fen":
        return _fen_parser(unit)
    if kind == "decimal":
        return _decimal_parser(unit)
    if kind == "date":
        return _date_parser(date1904)
    if kind == "bool":
        return _bool
    if kind == "choice":
        return _choice_parser(column)
    if kind in JSON_KINDS:
        return _json_parser(kind, column.name)
    raise ValueError(f"unknown column kind {kind}")


def unit_note(column: Column, unit: str | None) -> str:
    """What the import does with a column's unit, for the layout: ``万元 → 分（×1,000,000）``."""
    if column.kind == "fen":
        factor = MONEY_UNITS[unit or "分"]
        return "金额单位：分" if factor == 1 else f"{unit} → 分（×{factor:,}）"
    if column.kind == "decimal" and unit in PERCENT_UNITS:
        return "百分数 → 比例（÷100）"
    if column.kind == "date":
        return "日期；数值按 Excel 日期序列号读"
    return ""
