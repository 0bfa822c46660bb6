"""The projection of a cumulative figure to its target date, and its explanation."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.programme.projection import explain, project


def test_projection_uses_the_last_two_full_years() -> None:
    p = project(
        1000, {2023: 50, 2024: 100, 2025: 200, 2026: 999}, date(2026, 12, 31), date(2028, 12, 31), 1500
    )
    assert p.years_used == (2024, 2025)
    assert p.pace_per_year == Fraction(150)
    assert p.projected == 1000 + int(150 * Fraction(731) / Fraction(36525, 100))  # 731 days ≈ 2.0014 years
    assert p.projected == 1300
    assert not p.on_track
    assert "1300" in explain(p) and "2024年+100" in explain(p) and "无法按期完成" in explain(p)


def test_after_the_target_date_the_projection_is_the_value_now() -> None:
    p = project(480, {2024: 10, 2025: 10}, date(2026, 3, 1), date(2025, 12, 31), 500)
    assert p.years_left == 0 and p.projected == 480 and not p.on_track
    assert round(p.percent_done) == 96


@given(st.integers(0, 10_000), st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 2000))
def test_more_growth_never_projects_less(value: int, a: int, b: int, extra: int) -> None:
    today, by = date(2026, 6, 1), date(2028, 12, 31)
    low = project(value, {2024: a, 2025: b}, today, by, 1)
    high = project(value, {2024: a + extra, 2025: b}, today, by, 1)
    assert value <= low.projected <= high.projected
