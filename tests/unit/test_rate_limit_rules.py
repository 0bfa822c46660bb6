"""The sliding-window-of-two-buckets rule of ``srdi.domain.rate_limits``, without a database."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srdi.domain.rate_limits import Rate, RateError, admits, ceiling, retry_after, window_at


def test_rates_are_read_from_settings_text() -> None:
    assert Rate.parse("600/min") == Rate(600, 60)
    assert Rate.parse("30/hour") == Rate(30, 3600)
    assert Rate.parse(" 5 / 10s ") == Rate(5, 10)
    assert Rate.parse("2/day") == Rate(2, 86400)
    for off in ("", "0", "off", "OFF", "none"):
        assert Rate.parse(off) is None
    for bad in ("600", "600/fortnight", "-1/min", "0/min", "abc/min", "5/0s"):
        with pytest.raises(RateError):
            Rate.parse(bad)


def test_windows_are_aligned_to_the_period() -> None:
    window = window_at(Rate(10, 60), 1_000_030.0)
    assert (window.start, window.previous, window.end) == (1_000_020, 999_960, 1_000_080)
    assert window.elapsed == pytest.approx(10 / 60)


def test_a_full_previous_window_keeps_the_next_closed_at_its_start_and_opens_it_gradually() -> None:
    rate = Rate(100, 60)
    assert ceiling(rate, previous=100, elapsed=0.0) == 0  # no boundary burst of twice the limit
    assert ceiling(rate, previous=100, elapsed=0.5) == 50
    assert ceiling(rate, previous=0, elapsed=0.0) == 100
    assert admits(rate, previous=0, current=99, elapsed=0.9)
    assert not admits(rate, previous=0, current=100, elapsed=0.9)
    assert not admits(rate, previous=100, current=50, elapsed=0.5)
    assert admits(rate, previous=100, current=49, elapsed=0.5)


def test_retry_after_names_the_moment_a_request_is_admitted_again() -> None:
    rate = Rate(100, 60)
    start = 6000.0
    # full window, nothing before: wait for the next window
    assert retry_after(rate, start + 15, previous=0, current=100) == 47
    # half the previous window still weighs: room for 50 more once previous × (1 − f) < 50, i.e. at f > 0.5
    assert retry_after(rate, start + 15, previous=100, current=50) == 16
    assert retry_after(rate, start + 59.9, previous=0, current=100) == 2
    assert retry_after(rate, start + 15, previous=0, current=99) == 1


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(1, 50),
    period=st.sampled_from([1, 10, 60, 3600]),
    gaps=st.lists(st.floats(0, 2, allow_nan=False), min_size=1, max_size=400),
)
def test_no_window_admits_more_than_the_limit_and_waiting_retry_after_is_enough(
    limit: int, period: int, gaps: list[float]
) -> None:
    """One caller, requests at arbitrary moments: every fixed window admits at most ``limit``, and a request
    made ``retry_after`` seconds after a refusal is admitted."""
    rate = Rate(limit, period)
    counts: dict[int, int] = {}
    now = 10_000.0 * period
    for gap in gaps:
        now += gap * period / 10
        window = window_at(rate, now)
        previous, current = counts.get(window.previous, 0), counts.get(window.start, 0)
        if admits(rate, previous, current, window.elapsed):
            counts[window.start] = current + 1
        else:
            wait = retry_after(rate, now, previous, current)
            assert 1 <= wait <= period + 1
            later = window_at(rate, now + wait)
            later_previous = counts.get(later.previous, 0)
            later_current = counts.get(later.start, 0)
            assert admits(rate, later_previous, later_current, later.elapsed)
    assert all(n <= limit for n in counts.values())


@given(limit=st.integers(1, 500), burst=st.integers(0, 2000))
def test_a_fresh_caller_gets_exactly_the_limit_in_one_window(limit: int, burst: int) -> None:
    rate = Rate(limit, 3600)
    admitted = 0
    for _ in range(burst):
        if admits(rate, 0, admitted, 0.01):
            admitted += 1
    assert admitted == min(limit, burst)
