"""Guessable passwords (srdi.domain.passwords) and the full validator chain of the settings (ASVS 6.2.4, 6.2.11).

Table-driven: each refused example names the rule that must catch it; each accepted example passes every
validator in ``AUTH_PASSWORD_VALIDATORS`` for a user named ``west_staff`` of 西湖区经信局.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from srdi.db.models import User
from srdi.domain.passwords import Guessable, core, guessable, only_walks, unleet, words

USER = User(username="west_staff", organisation="Xihu Jingxin 西湖区经信局")  # not saved: no database needed
PERSONAL = (USER.username, USER.organisation)

REFUSED = [
    # (password, why) — the examples first
    ("Password123!", Guessable.COMMON_WORD),
    ("Admin@123456", Guessable.COMMON_WORD),
    ("P@ssw0rd2024", Guessable.COMMON_WORD),
    ("Qwerty123!", Guessable.COMMON_WORD),
    ("Hangzhou2026!", Guessable.COMMON_WORD),
    ("!2026Hangzhou", Guessable.COMMON_WORD),
    ("Zhejiang@2025", Guessable.COMMON_WORD),
    ("W0aini1314!!", Guessable.COMMON_WORD),
    ("Welcome1!", Guessable.COMMON_WORD),
    ("Dragon#2024", Guessable.COMMON_WORD),
    ("Michael.1990", Guessable.COMMON_WORD),
    ("$uperman123", Guessable.COMMON_WORD),
    ("Ch1na#2026", Guessable.COMMON_WORD),
    ("1qaz2wsx!@#", Guessable.KEYBOARD_WALK),
    ("Zaq12wsx!", Guessable.KEYBOARD_WALK),
    ("Asdfghjkl;'", Guessable.COMMON_WORD),  # a walk, but also in the common-password list
    ("Ghjkl;7890", Guessable.KEYBOARD_WALK),
    ("Xcvb!@#$5678", Guessable.KEYBOARD_WALK),
    ("Yhnujm!@#456", Guessable.KEYBOARD_WALK),
    ("Poiuy%^&*9876", Guessable.KEYBOARD_WALK),
    ("Abcd1234!@", Guessable.KEYBOARD_WALK),
    ("!@#$QWERasdf", Guessable.COMMON_WORD),
    ("Aaaa1111!!!!", Guessable.KEYBOARD_WALK),
    ("West_staff#2026", Guessable.PERSONAL),
    ("Kx9!west-STAFF", Guessable.PERSONAL),
    ("Jingxin-88#Zz", Guessable.PERSONAL),
    ("西湖区经信局#2026Ab", Guessable.PERSONAL),
]

ACCEPTED = [
    "Kt9!Lantern-Quay",
    "Str0ng!Passw0rd-Test",
    "Xq7#mB2v!Lp9w",
    "correct-Horse-9-battery",
    "Tr0ub4dor&3x-Lake",
    "Mq4$tide-Orchid22",
    "雨后西溪-Kz7!peach",
    "N3w!Passw0rd-Longer",
]


@pytest.mark.parametrize(("password", "why"), REFUSED)
def test_guessable_passwords_are_refused_for_the_right_reason(password, why):
    assert guessable(password, PERSONAL) is why


@pytest.mark.parametrize("password", ACCEPTED)
def test_good_passwords_pass_the_pattern_check(password):
    assert guessable(password, PERSONAL) is None


@pytest.mark.parametrize(("password", "why"), REFUSED)
def test_settings_refuse_them_saying_why(password, why):
    with pytest.raises(ValidationError) as exc:
        validate_password(password, USER)
    assert why.message in exc.value.messages


@pytest.mark.parametrize("password", ACCEPTED)
def test_settings_accept_good_passwords(password):
    validate_password(password, USER)  # raises when refused


def test_the_bundled_list_is_large_and_holds_pinyin():
    bank = words()
    assert len(bank) > 80_000
    assert {"password", "qwerty", "hangzhou", "zhejiang", "woaini", "binjiang"} <= bank


def test_leetspeak_readings():
    assert "password" in unleet("p@ssw0rd")
    assert {"admin", "adm1n"} & unleet("adm1n") == {"admin"}
    assert core("!!2026hangzhou@2026!") == "hangzhou"


def test_keyboard_walks():
    assert only_walks("qwertyuiop") and only_walks("1qaz2wsx") and only_walks("zxcvbn")
    assert not only_walks("qwzm") and not only_walks("ab")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(w for w in ("password", "monkey", "dragon", "hangzhou", "sunshine"))),
    st.text(alphabet="0123456789!@#$%^&*", max_size=8),
    st.text(alphabet="0123456789!@#$%^&*", max_size=8),
    st.booleans(),
)
def test_a_word_with_digits_and_symbols_around_it_is_always_guessable(word, before, after, capital):
    password = before + (word.capitalize() if capital else word) + after
    assert guessable(password) is Guessable.COMMON_WORD


@pytest.mark.parametrize("password", ["!1|" * 42 + "ab", "!" * 12 + "Abcdefgh" + "#" * 12, "@4$5" * 32])
def test_the_check_stays_fast_on_hostile_input(password):
    import time

    guessable("Warm-up!1qaz", PERSONAL)  # the lists and the keyboard graph load once per process
    started = time.perf_counter()
    guessable(password, PERSONAL)
    assert time.perf_counter() - started < 0.25  # measured ≤ 6 ms on an idle machine
