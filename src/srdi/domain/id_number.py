"""居民身份证号 (GB 11643-1999 公民身份号码): the check every ID number passes before it is stored.

Use ``id_number_problem(text)`` where a value arrives (import cells, forms, the ``Contact`` model): it answers
``None`` for a valid number or the reason in Chinese. ``normalise_id_number`` gives the stored form (upper-case
``X``, no spaces). The number is 18 characters: a 6-digit region code, the birth date ``YYYYMMDD``, a 3-digit
sequence and the ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``).

Checked: the length and characters; the first two digits are a province-level code (GB/T 2260, including 71
台湾, 81 香港, 82 澳门 and 83 for residence permits of Taiwan residents); the region code is not a province
total (``xx0000``); the birth date exists and lies between 1900-01-01 and today; the check
character. The full county table is not checked (codes change every year; old numbers keep old codes).

15-digit first-generation numbers are refused: the exchange format and the import template define no such
field, and those cards stopped being valid on 2013-01-01.
"""

from __future__ import annotations

from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
PROVINCES = frozenset(
    {
        *("11", "12", "13", "14", "15"),
        *("21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46"),
        *("50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65"),
        *("71", "81", "82", "83"),
    }
)
EARLIEST_BIRTH = date(1900, 1, 1)
_DIGITS = frozenset("0123456789")


def check_char(first17: str) -> str:
    """The MOD 11-2 check character of the first 17 digits."""
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise_id_number(text: str) -> str:
    """Spaces removed, ``x`` upper-cased: the form that is checked and stored."""
    return "".join(text.split()).upper()


def id_number_problem(text: str, *, today: date | None = None) -> str | None:
    """``None`` when ``text`` is a valid 18-character ID number, else why not (Chinese, for the user)."""
    value = normalise_id_number(text)
    if len(value) == 15 and set(value) <= _DIGITS:
        return "15位旧身份证号已停止使用，请填写18位身份证号"
    if len(value) != 18:
        return f"身份证号应为18位，实为{len(value)}位"
    if not set(value[:17]) <= _DIGITS or value[17] not in "0123456789X":
        return "身份证号应为17位数字加1位校验位（数字或 X）"
    if value[:2] not in PROVINCES:
        return f"身份证号前两位 {value[:2]} 不是省级行政区划代码"
    if value[2:6] == "0000":
        return f"身份证号前六位 {value[:6]} 是省级代码，不是县级行政区划代码"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return f"身份证号中的出生日期 {value[6:14]} 不存在"
    latest = today or date.today()  # noqa: DTZ011 - a birth date is a calendar day: no time zone to apply
    if born < EARLIEST_BIRTH or born > latest:
        return f"身份证号中的出生日期 {born.isoformat()} 不合理"
    expected = check_char(value[:17])
    if value[17] != expected:
        return f"身份证号校验位应为 {expected}，实为 {value[17]}（号码有误）"
    return None


def is_valid_id_number(text: str, *, today: date | None = None) -> bool:
    return id_number_problem(text, today=today) is None
