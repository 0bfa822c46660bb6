"""Refusing invisible and dangerous characters in free text (NUL, other C0 controls, DEL, bidi overrides).

Use ``text_problem(value, multiline=...)``: it returns the Chinese reason a text may not be stored, or None.
The exchange format (so JSON, CLI, API and spreadsheet imports) and the web forms that save free text call the
same function. NUL truncates strings in C libraries and is refused by PostgreSQL; other control characters hide
text from search and break exports; Unicode bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) make
text display in a different order than it is stored ("Trojan Source"). Tab and line breaks are allowed only
where a field takes several lines.
"""

from __future__ import annotations

import re

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SINGLE_LINE = re.compile(f"[\x00-\x1f\x7f{BIDI}]")
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{BIDI}]")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` may not be stored (naming the character and its position), or None when it may."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if found is None:
        return None
    ch = found.group(0)
    if ch in BIDI:
        kind = "Unicode 双向文本控制符（可使显示顺序与实际内容不同）"
    elif ch == "\x00":
        kind = "空字符 NUL"
    elif ch in "\t\r\n":
        kind = "制表符或换行符（此字段只能填一行）"
    else:
        kind = "不可见的控制字符"
    return f"含{kind} U+{ord(ch):04X}（第{found.start() + 1}个字符），请删除后重新填写"


_ANY_FORBIDDEN = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{BIDI}]")


def visible(value: str) -> str:
    """``value`` with every refused character written as ``\\uXXXX`` (for reports, logs and the database).

    A refused value is still shown to the user, and stored in an import report; this keeps NUL out of
    PostgreSQL text and JSON, and keeps a bidi override from reordering the report around it.
    """
    return _ANY_FORBIDDEN.sub(lambda m: f"\\u{ord(m.group(0)):04x}", value)
