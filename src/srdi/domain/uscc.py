"""统一社会信用代码 (USCC) checking under GB 32100-2015.

Use ``check_uscc`` to validate a code and get a reason in Chinese, ``uscc_check_char`` to compute the
check character of the first 17 characters (for generating test and demo codes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FORMAT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}


@dataclass(frozen=True)
class UsccCheck:
    """Outcome of a USCC check: ``ok`` and, when not ok, the reason."""

    ok: bool
    reason: str = ""


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(ch not in _VALUE for ch in first17):
        raise ValueError(f"前17位必须由 GB 32100 字符集组成: {first17!r}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def check_uscc(code: str) -> UsccCheck:
    """Check length, character set, the digit positions 3–8 and the check character."""
    if not isinstance(code, str):
        return UsccCheck(False, "统一社会信用代码必须是字符串")
    if len(code) != 18:
        return UsccCheck(False, f"统一社会信用代码应为18位，实际{len(code)}位")
    if not FORMAT.match(code):
        bad = [ch for ch in code if ch not in _VALUE]
        if bad:
            return UsccCheck(
                False, f"含有不允许的字符 {''.join(sorted(set(bad)))}（不使用 I、O、S、V、Z 及小写字母）"
            )
        return UsccCheck(False, "第3–8位（登记管理机关行政区划码）必须为数字")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return UsccCheck(False, f"校验位错误：应为 {expected}，实际为 {code[17]}")
    return UsccCheck(True)


def is_valid_uscc(code: str) -> bool:
    """True when the code passes every GB 32100 check."""
    return check_uscc(code).ok
