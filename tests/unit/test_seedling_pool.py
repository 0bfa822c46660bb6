"""Counting rules of the 小巨人 seedling pool: spells from/to, graduation, one count per enterprise."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.programme.seedlings import PoolSpell, PoolState, graduation_day, state_on, tally

D = date


def test_a_spell_counts_from_added_on_until_the_day_before_removed_on() -> None:
    spell = PoolSpell(D(2026, 3, 1), D(2026, 6, 1))
    assert state_on(spell, [], D(2026, 2, 28)) is PoolState.OUTSIDE
    assert state_on(spell, [], D(2026, 3, 1)) is PoolState.IN_POOL
    assert state_on(spell, [], D(2026, 5, 31)) is PoolState.IN_POOL
    assert state_on(spell, [], D(2026, 6, 1)) is PoolState.OUTSIDE
    assert state_on(PoolSpell(D(2026, 3, 1)), [], D(2030, 1, 1)) is PoolState.IN_POOL


def test_gaining_the_title_graduates_and_stays_graduated() -> None:
    spell = PoolSpell(D(2026, 3, 1))
    recs = [D(2026, 9, 1)]
    assert graduation_day(spell, recs) == D(2026, 9, 1)
    assert state_on(spell, recs, D(2026, 8, 31)) is PoolState.IN_POOL
    assert state_on(spell, recs, D(2026, 9, 1)) is PoolState.GRADUATED
    closed_later = PoolSpell(D(2026, 3, 1), D(2027, 1, 1))  # a graduate removed later is still a graduate
    assert state_on(closed_later, recs, D(2028, 1, 1)) is PoolState.GRADUATED


def test_recognitions_outside_the_spell_do_not_graduate() -> None:
    spell = PoolSpell(D(2026, 3, 1), D(2026, 6, 1))
    assert graduation_day(spell, [D(2025, 1, 1)]) is None  # before joining
    assert graduation_day(spell, [D(2026, 6, 1)]) is None  # on the removal day: already out
    assert state_on(spell, [D(2026, 7, 1)], D(2026, 8, 1)) is PoolState.OUTSIDE
    assert graduation_day(spell, [D(2026, 5, 31), D(2026, 4, 1)]) == D(2026, 4, 1)  # the first one


def test_tally_counts_each_enterprise_once() -> None:
    spells = [
        (1, PoolSpell(D(2026, 1, 1), D(2026, 3, 1))),  # removed, then back: in the pool once
        (1, PoolSpell(D(2026, 3, 1))),
        (2, PoolSpell(D(2026, 1, 1))),  # graduated in spring
        (3, PoolSpell(D(2026, 1, 1), D(2026, 2, 1))),  # removed
        (4, PoolSpell(D(2026, 12, 1))),  # not yet in on the day
    ]
    t = tally(spells, {2: [D(2026, 4, 1)]}, D(2026, 6, 30))
    assert (t.in_pool, t.graduated) == (1, 1)


days = st.dates(min_value=D(2025, 1, 1), max_value=D(2028, 12, 31))


@given(
    added=days,
    length=st.one_of(st.none(), st.integers(0, 900)),
    recs=st.lists(days, max_size=3),
    day=days,
)
def test_states_are_consistent(added: date, length: int | None, recs: list[date], day: date) -> None:
    removed = None if length is None else added + timedelta(days=length)
    spell = PoolSpell(added, removed)
    state = state_on(spell, recs, day)
    grad = graduation_day(spell, recs)
    if state is PoolState.GRADUATED:
        assert grad is not None and added <= grad <= day
    if state is PoolState.IN_POOL:
        assert added <= day and (removed is None or day < removed)
        assert grad is None or grad > day
    if day < added:
        assert state is PoolState.OUTSIDE
    later = day + timedelta(days=400)  # once graduated, always graduated
    if state is PoolState.GRADUATED:
        assert state_on(spell, recs, later) is PoolState.GRADUATED
    t = tally([(1, spell)], {1: recs}, day)
    assert (t.in_pool, t.graduated) == (int(state is PoolState.IN_POOL), int(state is PoolState.GRADUATED))
