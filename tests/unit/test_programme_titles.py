"""Title counting rules of the programme targets: first recognition, review, move-in, revocation, 63号/2号."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.programme.titles import (
    Spell,
    Tally,
    TitleRecord,
    additions_by_year,
    count_on,
    removals_by_year,
    title_spells,
)

D = date


def test_first_recognition_counts_from_its_day() -> None:
    spells = title_spells([TitleRecord(D(2023, 7, 14))])
    assert spells == (Spell(D(2023, 7, 14), None),)
    assert count_on([spells], D(2023, 7, 13)) == 0
    assert count_on([spells], D(2023, 7, 14)) == 1
    assert additions_by_year([spells]) == {2023: 1}


def test_review_is_a_renewal_not_a_new_title() -> None:
    spells = title_spells([TitleRecord(D(2022, 7, 1)), TitleRecord(D(2025, 7, 1))])
    assert spells == (Spell(D(2022, 7, 1), None, renewals=1),)
    assert additions_by_year([spells]) == {2022: 1}
    assert count_on([spells], D(2026, 1, 1)) == 1


def test_expired_title_stays_in_the_cumulative_figure() -> None:
    spells = title_spells([TitleRecord(D(2020, 1, 1))])
    assert count_on([spells], D(2026, 1, 1)) == 1


def test_move_in_counts_for_the_city_from_the_move_in_day() -> None:
    spells = title_spells([TitleRecord(D(2022, 7, 1))], move_ins=[D(2024, 5, 10)])
    assert spells == (Spell(D(2024, 5, 10), None, via_move_in=True),)
    assert count_on([spells], D(2024, 5, 9)) == 0
    assert count_on([spells], D(2024, 5, 10)) == 1
    assert additions_by_year([spells]) == {2024: 1}


def test_recognition_after_move_in_counts_from_recognition() -> None:
    spells = title_spells([TitleRecord(D(2025, 1, 1))], move_ins=[D(2024, 5, 10)])
    assert spells == (Spell(D(2025, 1, 1), None),)


def test_revoked_title_stops_counting_on_the_revocation_day() -> None:
    spells = title_spells([TitleRecord(D(2022, 7, 1), revoked_on=D(2024, 6, 1))])
    assert spells == (Spell(D(2022, 7, 1), D(2024, 6, 1)),)
    assert count_on([spells], D(2024, 5, 31)) == 1
    assert count_on([spells], D(2024, 6, 1)) == 0
    assert removals_by_year([spells]) == {2024: 1}


def test_revoked_review_ends_the_whole_title() -> None:
    spells = title_spells([TitleRecord(D(2021, 7, 1)), TitleRecord(D(2024, 7, 1), revoked_on=D(2025, 6, 1))])
    assert spells == (Spell(D(2021, 7, 1), D(2025, 6, 1), renewals=1),)


def test_recognition_after_revocation_is_a_new_title() -> None:
    spells = title_spells([TitleRecord(D(2021, 7, 1), revoked_on=D(2022, 6, 1)), TitleRecord(D(2024, 7, 1))])
    assert spells == (Spell(D(2021, 7, 1), D(2022, 6, 1)), Spell(D(2024, 7, 1), None))
    assert additions_by_year([spells]) == {2021: 1, 2024: 1}
    assert count_on([spells], D(2023, 1, 1)) == 0


def test_data_fraud_removes_the_title_from_its_date() -> None:
    spells = title_spells([TitleRecord(D(2022, 7, 1))], frauds=[D(2025, 3, 3)])
    assert spells == (Spell(D(2022, 7, 1), D(2025, 3, 3)),)
    # a fraud before a title was recognised does not end it (the ban itself is srdi.domain.lifecycle's job)
    assert title_spells([TitleRecord(D(2022, 7, 1))], frauds=[D(2020, 1, 1)]) == (Spell(D(2022, 7, 1), None),)


def test_title_without_recognition_date_never_counts() -> None:
    assert title_spells([TitleRecord(None)]) == ()


def test_title_keeps_counting_across_the_63_to_2_change() -> None:
    change = D(2026, 4, 1)
    under_63 = title_spells([TitleRecord(D(2025, 7, 1))])
    reviewed_under_2 = title_spells([TitleRecord(D(2023, 5, 1)), TitleRecord(D(2026, 5, 1))])
    for spells in (under_63, reviewed_under_2):
        assert count_on([spells], change - timedelta(days=1)) == 1
        assert count_on([spells], change) == 1
        assert count_on([spells], D(2026, 12, 31)) == 1
    assert additions_by_year([reviewed_under_2]) == {2023: 1}


days = st.dates(min_value=D(2015, 1, 1), max_value=D(2030, 12, 31))
unrevoked = st.lists(st.builds(TitleRecord, days), max_size=5)


@given(st.lists(unrevoked, max_size=6), st.lists(st.lists(days, max_size=2), max_size=6), days, days)
def test_counts_never_decrease_when_nothing_is_revoked(
    records: list[list[TitleRecord]], moves: list[list[date]], a: date, b: date
) -> None:
    spells = [title_spells(r, m) for r, m in zip(records, moves + [[]] * len(records), strict=False)]
    early, late = min(a, b), max(a, b)
    assert count_on(spells, early) <= count_on(spells, late)


records_any = st.lists(st.builds(TitleRecord, days, st.none() | days), max_size=5)


@given(records_any, st.lists(days, max_size=2), st.lists(days, max_size=2), days)
def test_count_equals_additions_minus_removals(
    records: list[TitleRecord], moves: list[date], frauds: list[date], day: date
) -> None:
    spells = title_spells(records, moves, frauds)
    assert all(s.end is None or s.start < s.end for s in spells)
    assert all(a.end is not None and a.end <= b.start for a, b in pairwise(spells))
    added = sum(1 for s in spells if s.start <= day)
    removed = sum(1 for s in spells if s.end is not None and s.end <= day)
    assert count_on([spells], day) == added - removed
    assert count_on([spells], day) <= 1


@given(
    st.lists(st.tuples(records_any, st.lists(days, max_size=2), st.lists(days, max_size=1)), max_size=8),
    days,
    days,
)
def test_tally_agrees_with_count_on(
    enterprises: list[tuple[list[TitleRecord], list[date], list[date]]], a: date, b: date
) -> None:
    spells = [title_spells(r, m, f) for r, m, f in enterprises]
    tally = Tally.of(spells)
    first, last = min(a, b), max(a, b)
    assert tally.count_on(a) == count_on(spells, a)
    assert tally.added(first, last) == sum(1 for one in spells for s in one if first <= s.start <= last)
    assert tally.removed(first, last) == sum(
        1 for one in spells for s in one if s.end is not None and first <= s.end <= last
    )
