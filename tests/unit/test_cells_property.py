"""Property: an amount in fen, put into a cell the way Excel or LibreOffice would, is read as exactly that
amount or refused — never as a different number.

Excel and LibreOffice keep 15 significant digits of a number typed into a cell (the rest become zeros) and
store a double; text cells keep what was typed. Each way of writing is tried under a 分, 元 and 万元 header.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from srdi.interchange.cells import CellError, parser_for
from srdi.interchange.columns import BY_NAME

REVENUE = BY_NAME["operating_revenue_fen"]
PLACES = {"分": 0, "元": 2, "万元": 6}
FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
amounts = st.one_of(
    st.integers(min_value=-(10**17), max_value=10**17),
    st.integers(min_value=-10_000_000_000, max_value=10_000_000_000),  # the usual sizes, more often
    st.integers(min_value=0, max_value=10**6).map(lambda n: n * 10**6),  # whole 元 / 万元
)
units = st.sampled_from(list(PLACES))


def typed(amount: int, unit: str) -> Decimal:
    """The amount as a person types it in the header's unit (exact decimal)."""
    return Decimal(amount).scaleb(-PLACES[unit]).normalize()


def as_number_cell(value: Decimal) -> float:
    """What Excel/LibreOffice store for a typed number: its first 15 significant digits, as a double."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) > 15:
        exponent += len(digits) - 15
        digits = digits[:15]
    return float(Decimal((sign, digits, exponent)))


def grouped(value: Decimal) -> str:
    return f"{value:,f}"


def read(cell: object, unit: str) -> int | None:
    """The parsed amount, or None when refused."""
    try:
        return parser_for(REVENUE, unit)(cell)
    except CellError:
        return None


@settings(max_examples=600, deadline=None)
@given(amount=amounts, unit=units)
@example(amount=123_456_789_012_345_678, unit="万元")  # 18 digits: Excel keeps 15
@example(amount=1_234_567_890_123_456, unit="元")
@example(amount=100_069_000_000_00, unit="元")
@example(amount=913_301_060_000_000_013, unit="分")
def test_an_amount_is_read_exactly_or_refused(amount, unit):
    value = typed(amount, unit)
    plain = format(value, "f")
    number_cell = as_number_cell(value)
    cells = {
        "float cell": number_cell,
        "text": plain,
        "text with thousands separators": grouped(value),
        "full-width text": grouped(value).translate(FULL_WIDTH),
        "text with spaces": f" {plain} ",
        "E-notation text": f"{value:E}",
    }
    if value == value.to_integral_value():
        cells["int cell"] = int(value)
    for how, cell in cells.items():
        got = read(cell, unit)
        assert got is None or got == amount, (how, cell, got)
    # Not vacuous: text is always read, and so is a number cell whose 15 digits reach the fen.
    for how in ("text", "text with thousands separators", "full-width text", "text with spaces"):
        assert read(cells[how], unit) == amount, how
    if abs(amount) < 10**15:
        assert read(number_cell, unit) == amount
    assert read(cells["E-notation text"], unit) is None


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    unit=units,
    extra=st.integers(min_value=1, max_value=9),
)
def test_a_value_between_two_fen_is_refused_never_rounded(amount, unit, extra):
    assume(unit != "分")
    value = typed(amount, unit) + Decimal(extra).scaleb(-PLACES[unit] - 1)  # a tenth of a fen more
    assert read(format(value, "f"), unit) is None
    assert read(as_number_cell(value), unit) is None  # at most 15 digits here: the cell holds them all


@pytest.mark.parametrize(
    ("cell", "unit", "expected"),
    [
        (1234.56, "万元", 1_234_560_000),
        ("1,234,567.89", "元", 123_456_789),
        ("１，２３４，５６７．８９", "元", 123_456_789),
        ("12,34", "元", None),  # separators not in groups of three
        ("1.00069E+11", "元", None),
        ("1E+5", "分", None),
        (12.5, "分", None),
        (1.23456789, "万元", None),
        (True, "分", None),
        (float("nan"), "分", None),
        (2.0**53, "分", None),
        (-12.34, "万元", -12_340_000),
    ],
)
def test_cells_under_a_unit(cell, unit, expected):
    assert read(cell, unit) == expected
