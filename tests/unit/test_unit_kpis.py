"""The KPI definitions of the responsible units' work measures, and the reporting quarters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.policy.loader import load_packs
from srdi.domain.unit_kpis import KPIS, KpiSource, last_ended_quarter, quarter_bounds, quarter_of


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_lies_in_its_quarter_and_quarters_tile_the_year(day):
    year, quarter = quarter_of(day)
    start, end = quarter_bounds(year, quarter)
    assert start <= day <= end
    if quarter < 4:
        assert quarter_bounds(year, quarter + 1)[0] == end + timedelta(days=1)
    else:
        assert end == date(year, 12, 31)


def test_a_quarter_outside_one_to_four_is_refused():
    with pytest.raises(ValueError):
        quarter_bounds(2025, 5)


def test_every_kpi_names_a_measure_with_responsible_units_and_is_well_formed():
    measures = {(m.pack, m.article): m for p in load_packs() for m in p.measures}
    keys = [k.key for kpis in KPIS.values() for k in kpis]
    assert len(keys) == len(set(keys))  # a key is stored in reports: unique across measures
    for (pack, article), kpis in KPIS.items():
        assert measures[(pack, article)].responsible, (pack, article)
        for k in kpis:
            assert k.cite.startswith("81号第")
            if k.source is KpiSource.EVENTS:
                assert k.event_kind is not None and k.measure in ("count", "person_times", "enterprises")
            else:
                assert k.event_kind is None
    assert {a for _, a in KPIS} == {6, 7, 8, 10, 20, 24, 26}  # the work measures the issue names


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 1, 1), (2025, 4)),
        (date(2026, 3, 31), (2025, 4)),
        (date(2026, 4, 1), (2026, 1)),
        (date(2026, 12, 7), (2026, 3)),
    ],
)
def test_last_ended_quarter(today, expected):
    assert last_ended_quarter(today) == expected
