"""GB 32100-2015 check character: the published vectors, the counter-example, and every substitution."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from srdi.domain.uscc import CHARSET, check_uscc, is_valid_uscc, uscc_check_char

VALID = [
    "91350200776049653A",
    "91350500798359476R",
    "91440101MA5CJQ4N59",
    "913502000728319549",
    "123502001549897397",
    "91350213678251743X",
]


@pytest.mark.parametrize("code", VALID)
def test_published_vectors_are_accepted(code):
    assert check_uscc(code).ok


def test_counter_example_is_rejected_with_the_expected_check_character():
    result = check_uscc("91350203M0001QAY9B")
    assert not result.ok
    assert "应为 9" in result.reason


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("9135020077604965", "18位"),
        ("91350200776049653a", "不允许的字符"),
        ("91350200776O49653A", "不允许的字符"),
        ("91ABCDEF776049653A", "第3–8位"),
    ],
)
def test_malformed_codes_say_why(code, fragment):
    result = check_uscc(code)
    assert not result.ok
    assert fragment in result.reason


first17 = st.tuples(
    st.text(alphabet=CHARSET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=CHARSET, min_size=9, max_size=9),
).map("".join)


@given(first17)
def test_generated_codes_are_valid_and_agree_with_python_stdnum(body):
    code = body + uscc_check_char(body)
    assert is_valid_uscc(code)
    # python-stdnum also checks the inner GB 11714 organisation code (optional here); compare the mod-31 part.
    assert stdnum_uscc.calc_check_digit(body) == code[-1]


@given(first17, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET))
def test_every_single_character_substitution_of_a_valid_code_is_rejected(body, position, replacement):
    code = body + uscc_check_char(body)
    if code[position] == replacement:
        replacement = CHARSET[(CHARSET.index(replacement) + 1) % len(CHARSET)]
    mutated = code[:position] + replacement + code[position + 1 :]
    if 2 <= position <= 7 and not replacement.isdigit():
        assert not check_uscc(mutated).ok  # fails the format check instead
    else:
        assert not is_valid_uscc(mutated)


def test_exhaustive_substitutions_for_one_vector():
    code = VALID[0]
    rejected = 0
    for position in range(18):
        for ch in CHARSET:
            if ch == code[position]:
                continue
            assert not is_valid_uscc(code[:position] + ch + code[position + 1 :])
            rejected += 1
    assert rejected == 18 * 30
