"""GB 11643 身份证号: every generated valid number passes, every single-character change fails, and the
check agrees with python-stdnum's ``cn.ric`` wherever stdnum knows the region."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from srdi.domain.id_number import (
    PROVINCES,
    check_char,
    id_number_problem,
    is_valid_id_number,
    normalise_id_number,
)
from srdi.domain.reference import districts

TODAY = date(2026, 12, 7)
HANGZHOU = sorted(d.code for d in districts())
CHARS = "0123456789X"


@st.composite
def valid_numbers(draw: st.DrawFn, regions: list[str] | None = None) -> str:
    if regions:
        region = draw(st.sampled_from(regions))
    else:
        province = draw(st.sampled_from(sorted(PROVINCES)))
        rest = draw(st.integers(1, 9999))
        region = f"{province}{rest:04d}"
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


@settings(max_examples=500)
@given(valid_numbers())
def test_generated_valid_numbers_are_accepted(number: str) -> None:
    assert id_number_problem(number, today=TODAY) is None
    assert id_number_problem(number.lower(), today=TODAY) is None  # a lower-case x is the same number


@settings(max_examples=500)
@given(valid_numbers(), st.integers(0, 17), st.sampled_from(CHARS))
def test_any_single_character_substitution_is_rejected(number: str, position: int, char: str) -> None:
    if number[position] == char:
        char = CHARS[(CHARS.index(char) + 1) % len(CHARS)]
    changed = number[:position] + char + number[position + 1 :]
    assert id_number_problem(changed, today=TODAY) is not None


@settings(max_examples=300)
@given(valid_numbers(HANGZHOU), st.integers(0, 17), st.sampled_from(CHARS))
def test_agrees_with_stdnum_cn_ric(number: str, position: int, char: str) -> None:
    """Real Hangzhou region codes and one-character mutants: our check agrees with stdnum's length, format,
    check digit and birth date (stdnum also looks the county up in its table of when each code was in use,
    which we do not: an old number keeps an old code)."""
    for candidate in (number, number[:position] + char + number[position + 1 :]):
        try:
            ric.validate(candidate)
            theirs = True
        except (stdnum_errors.InvalidComponent, KeyError):  # KeyError: stdnum's table lacks the county
            try:
                ric.get_birth_date(candidate)
                theirs = True  # only the birth place (county by year) failed
            except stdnum_errors.ValidationError:
                theirs = False
        except stdnum_errors.ValidationError:
            theirs = False
        if theirs and candidate[6:14] > f"{TODAY:%Y%m%d}":
            theirs = False  # stdnum allows a future birth date
        assert is_valid_id_number(candidate, today=TODAY) == theirs, candidate


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("330106800101123", "15位旧身份证号已停止使用"),
        ("33010619800101", "应为18位，实为14位"),
        ("33010619800101A03X", "17位数字加1位校验位"),
        ("99010619800101003X", "前两位 99 不是省级行政区划代码"),
        ("330000198001010036", "是省级代码"),
        ("330106198002300034", "出生日期 19800230 不存在"),
        ("330106189912310038", "出生日期 1899-12-31 不合理"),
        ("330106203001010037", "出生日期 2030-01-01 不合理"),
        ("330106198001010034", "校验位应为 X，实为 4"),
    ],
)
def test_each_problem_has_its_reason(text: str, reason: str) -> None:
    problem = id_number_problem(text, today=TODAY)
    assert problem is not None and reason in problem


def test_the_known_example_and_normalisation() -> None:
    assert is_valid_id_number("33010619800101003X", today=TODAY)
    assert is_valid_id_number(" 3301 0619 8001 0100 3x ", today=TODAY)
    assert normalise_id_number(" 3301 0619 8001 0100 3x ") == "33010619800101003X"
    assert is_valid_id_number("11010519491231002X", today=TODAY)  # the GB 11643 standard's own example
    born_today = f"330106{TODAY:%Y%m%d}001"
    assert is_valid_id_number(born_today + check_char(born_today), today=TODAY)
    tomorrow = f"330106{TODAY + timedelta(days=1):%Y%m%d}001"
    assert not is_valid_id_number(tomorrow + check_char(tomorrow), today=TODAY)
