"""Times shown to people are Beijing time: one known instant, naive values read as UTC, Beijing days, the filter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.beijing_time import (
    BEIJING,
    beijing_day,
    for_sheet,
    format_beijing,
    format_iso,
    labelled,
    to_beijing,
)
from srdi.web.templatetags.srdi_time import beijing, beijing_label

INSTANT = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)


def test_a_known_utc_instant_is_the_next_day_in_beijing():
    assert format_beijing(INSTANT) == "2026-03-02 00:30"
    assert format_beijing(INSTANT, seconds=True) == "2026-03-02 00:30:00"
    assert for_sheet(INSTANT) == datetime(2026, 3, 2, 0, 30)
    assert for_sheet(INSTANT).tzinfo is None
    # the same instant given in another zone, or naive (as the database's UTC), shows the same
    assert format_beijing(INSTANT.astimezone(timezone(timedelta(hours=-5)))) == "2026-03-02 00:30"
    assert format_beijing(datetime(2026, 3, 1, 16, 30)) == "2026-03-02 00:30"
    assert format_beijing(None) == ""


def test_labels_say_beijing_time():
    assert labelled("时间") == "时间（北京时间）"
    assert beijing_label("导出时间") == "导出时间（北京时间）"


def test_the_template_filter_uses_the_same_format():
    assert beijing(INSTANT) == "2026-03-02 00:30"
    assert beijing(INSTANT, "seconds") == "2026-03-02 00:30:00"
    assert beijing(None) == "" and beijing(date(2026, 3, 1)) == ""  # type: ignore[arg-type]
    assert beijing("2026-03-01T16:30:00+00:00", "seconds") == "2026-03-02 00:30:00"  # a checkpoint's ISO text
    assert (
        format_iso("2026-03-01T16:30:00Z") == "2026-03-02 00:30:00" and format_iso("不是时间") == "不是时间"
    )


def test_a_beijing_day_starts_at_16_utc_the_day_before():
    start, end = beijing_day(date(2026, 3, 2))
    assert start.astimezone(UTC) == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)
    assert start <= INSTANT < end


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)))
def test_beijing_is_always_eight_hours_ahead_and_inside_its_own_day(moment):
    assert for_sheet(moment) - moment.replace(tzinfo=None) == timedelta(hours=8)
    start, end = beijing_day(to_beijing(moment).date())
    assert start <= moment < end


def test_the_first_and_last_days_give_an_open_range_not_an_overflow():
    start, end = beijing_day(date.max)
    assert start == datetime(9999, 12, 31, tzinfo=BEIJING) and end == datetime.max.replace(tzinfo=UTC)
    start, end = beijing_day(date.min)
    assert start == datetime.min.replace(tzinfo=UTC) and end == datetime(1, 1, 2, tzinfo=BEIJING)
    assert start.astimezone(UTC) <= end.astimezone(UTC)
