"""Formatting on the enterprise page: exact percentages, 万元, unknown never shown as 0."""

from __future__ import annotations

from decimal import Decimal

import pytest

from srdi.web.display import percent_of_share, ratio_percent


@pytest.mark.parametrize(
    ("num", "den", "shown"),
    [
        (3, 100, "3.00%"),
        (1, 3, "33.33%"),
        (2, 3, "66.67%"),
        (1, 8, "12.50%"),
        (1, 80000, "0.00%"),  # 0.00125% rounds down
        (1, 40000, "0.00%"),  # 0.0025% rounds down at 2 places
        (5, 200000, "0.00%"),
        (1, 400, "0.25%"),
        (1, 800, "0.13%"),  # 0.125% rounds half-up, never half-even
        (-1, 800, "-0.13%"),
        (300_000_000_000_000_001, 10_000_000_000_000_000_000, "3.00%"),  # no float drift on large fen
        (None, 100, "未知"),
        (5, None, "未知"),
        (5, 0, "—"),
    ],
)
def test_ratio_percent(num, den, shown):
    assert ratio_percent(num, den) == shown


def test_share_is_shown_exactly():
    assert percent_of_share(Decimal("0.125")) == "12.5%"
    assert percent_of_share(Decimal("0.100000000")) == "10%"
    assert percent_of_share(Decimal("0.000000001")) == "0.0000001%"
