"""SRDI_DEFAULT_AS_OF: today in Asia/Shanghai unless the environment sets a date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from srdi.config.settings.base import default_as_of


def test_unset_means_today_in_hangzhou_not_on_the_server_clock():
    late_evening_utc = datetime(2026, 12, 6, 17, 30, tzinfo=UTC)  # 01:30 on 7 December in Hangzhou
    assert default_as_of({}, late_evening_utc) == "2026-12-07"
    assert default_as_of({"SRDI_DEFAULT_AS_OF": "  "}, late_evening_utc) == "2026-12-07"
    assert default_as_of({}, datetime(2026, 12, 7, 15, 59, tzinfo=UTC)) == "2026-12-07"
    assert default_as_of({}, datetime(2026, 12, 7, 16, 0, tzinfo=UTC)) == "2026-12-08"


def test_a_date_in_the_environment_overrides():
    assert (
        default_as_of({"SRDI_DEFAULT_AS_OF": "2025-12-31"}, datetime(2026, 12, 7, tzinfo=UTC)) == "2025-12-31"
    )


@pytest.mark.parametrize("text", ["2025-13-01", "31/12/2025", "today"])
def test_a_bad_date_stops_the_start_up_with_the_variable_named(text):
    with pytest.raises(ImproperlyConfigured, match="SRDI_DEFAULT_AS_OF"):
        default_as_of({"SRDI_DEFAULT_AS_OF": text})


def test_without_a_clock_it_reads_the_current_day():
    today = datetime.now(UTC).astimezone().date()
    assert abs((datetime.fromisoformat(default_as_of({})).date() - today).days) <= 1


def test_unpinned_the_reference_date_is_read_on_every_call(settings, monkeypatch):
    """A server that runs for weeks judges by today, not by the day it started."""
    from datetime import date

    from django.utils import timezone

    from srdi.services import screening

    settings.SRDI_DEFAULT_AS_OF = None
    monkeypatch.setattr(timezone, "localdate", lambda: date(2026, 12, 7))
    assert screening.default_as_of() == date(2026, 12, 7)
    monkeypatch.setattr(timezone, "localdate", lambda: date(2026, 12, 8))
    assert screening.default_as_of() == date(2026, 12, 8)
    settings.SRDI_DEFAULT_AS_OF = "2025-12-31"
    assert screening.default_as_of() == date(2025, 12, 31)
