"""The home's visit rule (``domain.home.next_visits``): "since my last visit" is the start of the previous visit,
and refreshes within a visit never lose it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.home import QUEUE_LABELS, VISIT_GAP_MINUTES, QueueKind, next_visits

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
GAP = timedelta(minutes=VISIT_GAP_MINUTES)


def test_first_visit_then_refresh_then_new_visit():
    v = next_visits(None, START)
    assert v.previous_at is None
    v = next_visits(v, START + timedelta(minutes=10))
    assert v.previous_at is None and v.current_at == START
    later = START + timedelta(minutes=10) + GAP + timedelta(seconds=1)
    v = next_visits(v, later)
    assert (v.current_at, v.previous_at) == (later, START)


@given(st.lists(st.integers(min_value=0, max_value=180), min_size=1, max_size=30))
def test_previous_is_the_start_of_the_visit_before(gaps_minutes):
    """Against a model: split the opening times into visits (a gap over the limit starts one)."""
    times, t = [], START
    for m in gaps_minutes:
        t += timedelta(minutes=m)
        times.append(t)
    v = None
    starts: list[datetime] = []
    for i, now in enumerate(times):
        v = next_visits(v, now)
        if i == 0 or now - times[i - 1] > GAP:
            starts.append(now)
        assert v.current_at == starts[-1]
        assert v.previous_at == (starts[-2] if len(starts) > 1 else None)
        assert v.seen_at == now


def test_every_queue_kind_has_a_chinese_label():
    assert set(QUEUE_LABELS) == set(QueueKind)
    assert all(label and not label.isascii() for label in QUEUE_LABELS.values())
