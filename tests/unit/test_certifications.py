"""Certification validity: the three-year default term, revocation, and the status labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.certifications import (
    STATUS_LABELS,
    anniversary,
    earliest_recognition_valid_on,
    effective_expiry,
    is_valid_on,
    last_valid_day,
    period_status,
    status_on,
)


@dataclass(frozen=True)
class Cert:
    recognized_on: date | None
    expires_on: date | None = None
    revoked_on: date | None = None


D = date


def test_default_term_ends_the_day_before_the_third_anniversary():
    assert effective_expiry(D(2023, 1, 15), None) == D(2026, 1, 14)


def test_stated_expiry_wins_over_the_default_term():
    assert effective_expiry(D(2023, 1, 15), D(2025, 6, 30)) == D(2025, 6, 30)


def test_no_dates_means_no_expiry_known():
    assert effective_expiry(None, None) is None


def test_leap_day_recognition_covers_three_full_years():
    assert anniversary(D(2024, 2, 29), 3) == D(2027, 3, 1)
    assert effective_expiry(D(2024, 2, 29), None) == D(2027, 2, 28)


@pytest.mark.parametrize(
    ("day", "valid"),
    [
        (D(2023, 1, 14), False),  # the day before recognition
        (D(2023, 1, 15), True),  # recognition day counts
        (D(2026, 1, 14), True),  # last day of the default term counts
        (D(2026, 1, 15), False),  # the third anniversary is outside
    ],
)
def test_validity_boundaries_of_the_default_term(day, valid):
    assert is_valid_on(Cert(D(2023, 1, 15)), day) is valid


def test_revocation_ends_validity_on_the_revocation_day():
    cert = Cert(D(2023, 1, 15), revoked_on=D(2024, 5, 1))
    assert is_valid_on(cert, D(2024, 4, 30))
    assert not is_valid_on(cert, D(2024, 5, 1))


def test_without_recognition_date_a_certification_is_never_valid():
    assert not is_valid_on(Cert(None, D(2030, 1, 1)), D(2025, 1, 1))
    assert status_on(Cert(None, D(2030, 1, 1)), D(2025, 1, 1)) == "unknown"
    assert status_on(Cert(None, D(2020, 1, 1)), D(2025, 1, 1)) == "expired"


@pytest.mark.parametrize(
    ("cert", "day", "status"),
    [
        (Cert(D(2023, 1, 15)), D(2024, 1, 1), "valid"),
        (Cert(D(2023, 1, 15)), D(2025, 10, 16), "expiring"),  # exactly 90 days left
        (Cert(D(2023, 1, 15)), D(2025, 10, 15), "valid"),  # 91 days left
        (Cert(D(2023, 1, 15)), D(2026, 1, 14), "expiring"),
        (Cert(D(2023, 1, 15)), D(2026, 1, 15), "expired"),
        (Cert(D(2023, 1, 15)), D(2022, 12, 31), "not_started"),
        (Cert(D(2023, 1, 15), revoked_on=D(2024, 5, 1)), D(2024, 5, 1), "revoked"),
        (Cert(D(2023, 1, 15), revoked_on=D(2024, 5, 1)), D(2026, 6, 1), "revoked"),
        (Cert(D(2023, 1, 15), revoked_on=D(2024, 5, 1)), D(2024, 3, 1), "expiring"),  # revocation is near
        (Cert(D(2023, 1, 15), D(2030, 1, 1)), D(2027, 1, 1), "valid"),
    ],
)
def test_status_labels(cert, day, status):
    assert status_on(cert, day) == status
    assert status in STATUS_LABELS


def test_last_valid_day_is_the_earlier_of_expiry_and_revocation():
    assert last_valid_day(Cert(D(2023, 1, 15))) == D(2026, 1, 14)
    assert last_valid_day(Cert(D(2023, 1, 15), revoked_on=D(2024, 5, 1))) == D(2024, 4, 30)
    assert last_valid_day(Cert(None)) is None


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        (D(2023, 12, 1), D(2026, 11, 30), "valid"),
        (D(2023, 12, 1), D(2025, 3, 1), "expiring"),
        (D(2020, 1, 1), D(2022, 12, 31), "expired"),
        (D(2025, 6, 1), D(2028, 5, 31), "not_started"),
        (D(2023, 12, 1), None, "unknown"),
        (None, D(2026, 1, 1), "unknown"),
    ],
)
def test_period_status_for_titles(start, end, status):
    assert period_status(start, end, D(2025, 1, 1)) == status


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)))
def test_earliest_recognition_is_the_exact_boundary(day):
    first = earliest_recognition_valid_on(day)
    assert effective_expiry(first, None) >= day
    assert effective_expiry(first - timedelta(days=1), None) < day


@given(
    st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)),
    st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)),
)
def test_date_filter_agrees_with_the_rule(recognized, day):
    """The database filter (recognized in [earliest, day]) selects exactly the certifications valid on day."""
    in_filter = earliest_recognition_valid_on(day) <= recognized <= day
    assert in_filter is is_valid_on(Cert(recognized), day)


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2050, 12, 31)),
    st.integers(min_value=-2000, max_value=2000),
)
def test_valid_exactly_when_status_says_valid_or_expiring(recognized, offset):
    cert = Cert(recognized)
    day = recognized + timedelta(days=offset)
    assert is_valid_on(cert, day) is (status_on(cert, day) in ("valid", "expiring"))


# ---- one rule for the pages and for the engine (29 February, month ends) --------------------------------


@pytest.mark.parametrize(
    ("recognized", "expiry"),
    [
        (D(2024, 2, 29), D(2027, 2, 28)),  # no 29 Feb in 2027: the term ends on the last day of February
        (D(2024, 2, 28), D(2027, 2, 27)),
        (D(2024, 3, 1), D(2027, 2, 28)),
        (D(2025, 3, 1), D(2028, 2, 29)),  # the day before 1 March of a leap year is 29 February
        (D(2023, 3, 1), D(2026, 2, 28)),
        (D(2023, 1, 31), D(2026, 1, 30)),
        (D(2023, 12, 31), D(2026, 12, 30)),
        (D(2023, 1, 1), D(2025, 12, 31)),
    ],
)
def test_default_expiry_around_leap_days_and_month_ends(recognized, expiry):
    import polars as pl

    from srdi.domain.rules.facts import certification_expiry

    assert effective_expiry(recognized, None) == expiry
    frame = pl.DataFrame(
        {"recognized_on": [recognized], "expires_on": [None]},
        schema={"recognized_on": pl.Date, "expires_on": pl.Date},
    )
    assert frame.select(certification_expiry(3)).item() == expiry


def test_engine_and_pages_agree_on_every_day_for_every_term():
    """The vectorised expiry (engine, screening, vouchers) equals ``effective_expiry`` day by day."""
    import polars as pl

    from srdi.domain.rules.facts import certification_expiry

    days = pl.date_range(D(2019, 1, 1), D(2029, 12, 31), eager=True)
    frame = pl.DataFrame({"recognized_on": days, "expires_on": pl.Series([None] * len(days), dtype=pl.Date)})
    for years in (1, 2, 3, 4, 5):
        engine = frame.select(certification_expiry(years)).to_series().to_list()
        pages = [effective_expiry(d, None, years) for d in days.to_list()]
        assert engine == pages, years


def test_leap_day_certification_is_valid_on_its_last_day_in_the_facts():
    import polars as pl

    from srdi.domain.rules.facts import certification_valid_on

    frame = pl.DataFrame(
        {"recognized_on": [D(2024, 2, 29)], "expires_on": [None], "revoked_on": [None]},
        schema={"recognized_on": pl.Date, "expires_on": pl.Date, "revoked_on": pl.Date},
    )
    assert frame.select(certification_valid_on(D(2027, 2, 28))).item() is True
    assert frame.select(certification_valid_on(D(2027, 3, 1))).item() is False
    assert is_valid_on(Cert(D(2024, 2, 29)), D(2027, 2, 28))
