"""Money: integer fen, half-up rounding, exact splits, no floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.money import (
    MoneyError,
    apply_rate,
    cap,
    format_wan,
    format_yuan,
    round_half_up,
    split_city_district,
    to_decimal,
    wan_to_fen,
)


def test_half_up_not_bankers():
    assert round_half_up(Decimal("1498.5")) == 1499
    assert round_half_up(Decimal("1497.5")) == 1498
    assert round_half_up(Decimal("-2.5")) == -3


def test_rates_apply_exactly():
    assert apply_rate(60_000_000_000, Decimal("0.20")) == 12_000_000_000
    assert apply_rate(3, Decimal("0.5")) == 2


def test_floats_are_refused():
    with pytest.raises(MoneyError):
        to_decimal(0.1)


def test_wan_to_fen():
    assert wan_to_fen(500) == 500_000_000
    assert wan_to_fen("0.01") == 10_000


@given(st.integers(min_value=0, max_value=10**13), st.decimals(min_value=0, max_value=1, places=4))
def test_city_and_district_always_add_up(amount, share):
    city, district = split_city_district(amount, share)
    assert city + district == amount
    assert city >= 0 and district >= 0


@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=10**12))
def test_cap_never_exceeded(amount, limit):
    assert cap(amount, limit) <= limit


def test_formatting():
    assert format_yuan(123456) == "¥1,234.56"
    assert format_yuan(None) == "—"
    assert format_wan(100_000_000) == "100万元"
    assert format_wan(123_450_000) == "123.45万元"
