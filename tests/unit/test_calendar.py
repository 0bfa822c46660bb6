"""Working days (公示期): weekends, the State Council's holidays and make-up days, and years without a notice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.calendar import Calendar, add_working_days, calendar_known, is_working_day, shipped_calendar


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 10, 8), False),  # 国庆 2025: 10-01 … 10-08
        (date(2025, 10, 11), True),  # Saturday, 调休上班
        (date(2026, 2, 14), True),  # Saturday before 春节 2026, 调休上班
        (date(2026, 2, 23), False),  # Monday, the last day of 春节 2026
        (date(2026, 1, 4), True),  # Sunday after 元旦 2026, 调休上班
        (date(2026, 12, 7), True),  # an ordinary Monday
        (date(2026, 12, 6), False),  # an ordinary Sunday
    ],
)
def test_holidays_and_make_up_days_follow_the_notices(day, working):
    assert is_working_day(day) is working


def test_five_working_days_across_national_day_2026():
    period = add_working_days(date(2026, 9, 30), 5)
    assert period.ends_on == date(2026, 10, 13) and period.unknown_years == ()


def test_a_year_without_a_notice_counts_weekends_and_says_so():
    assert calendar_known(2026) and not calendar_known(2027)
    period = add_working_days(date(2026, 12, 30), 5)
    assert period.ends_on == date(2027, 1, 6) and period.unknown_years == (2027,)


def test_zero_days_is_the_start_and_negative_is_refused():
    assert add_working_days(date(2026, 3, 2), 0).ends_on == date(2026, 3, 2)
    with pytest.raises(ValueError, match="不能为负"):
        add_working_days(date(2026, 3, 2), -1)


@given(start=st.dates(date(2023, 1, 1), date(2026, 12, 1)), n=st.integers(1, 30))
def test_the_period_has_exactly_n_working_days_and_ends_on_one(start, n):
    period = add_working_days(start, n)
    days = [start + timedelta(days=i) for i in range(1, (period.ends_on - start).days + 1)]
    assert sum(is_working_day(d) for d in days) == n
    assert is_working_day(period.ends_on)


def test_a_calendar_can_be_given():
    cal = Calendar(frozenset({date(2030, 1, 1)}), frozenset(), frozenset({2030}))
    assert add_working_days(date(2029, 12, 31), 1, cal).ends_on == date(2030, 1, 2)
    assert shipped_calendar().years >= {2023, 2024, 2025, 2026}
