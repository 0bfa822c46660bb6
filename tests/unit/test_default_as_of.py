"""SRDI_DEFAULT_AS_OF: today in Asia/Shanghai, read on every call, unless the environment pins a date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from srdi.config.settings.base import pinned_as_of


def test_unset_or_blank_pins_nothing():
    assert pinned_as_of({}) is None
    assert pinned_as_of({"SRDI_DEFAULT_AS_OF": "  "}) is None


def test_a_date_in_the_environment_pins_the_reference_date():
    assert pinned_as_of({"SRDI_DEFAULT_AS_OF": "2025-12-31"}) == "2025-12-31"


@pytest.mark.parametrize("text", ["2025-13-01", "31/12/2025", "today"])
def test_a_bad_date_stops_the_start_up_with_the_variable_named(text):
    with pytest.raises(ImproperlyConfigured, match="SRDI_DEFAULT_AS_OF"):
        pinned_as_of({"SRDI_DEFAULT_AS_OF": text})


def test_unpinned_it_is_today_in_hangzhou_not_on_the_server_clock(settings, monkeypatch):
    from django.utils import timezone

    from srdi.services import screening

    settings.SRDI_DEFAULT_AS_OF = None
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 6, 17, 30, tzinfo=UTC))  # 01:30 on 7 Dec
    assert screening.default_as_of() == date(2026, 12, 7)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 7, 15, 59, tzinfo=UTC))
    assert screening.default_as_of() == date(2026, 12, 7)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 7, 16, 0, tzinfo=UTC))
    assert screening.default_as_of() == date(2026, 12, 8)


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
