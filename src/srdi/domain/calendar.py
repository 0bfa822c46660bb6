"""Working days in mainland China: weekends, public holidays and the make-up working days (调休).

Use ``add_working_days(start, n)`` for a period counted in working days (公示期 "不少于5个工作日": the period
starts on the day after ``start`` and the result is its last working day), ``is_working_day(day)`` for one
day, and ``calendar_known(year)`` to tell whether the State Council's holiday notice for a year is in the
table. A year without a notice is counted by weekends only, and ``add_working_days`` says so in its result,
so that a page can warn instead of silently guessing holidays that are not published yet. The table is
``reference_data/cn_public_holidays.csv``: weekday holidays and weekend make-up days, each with its notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from srdi.domain.reference import read_reference_csv


@dataclass(frozen=True)
class Calendar:
    """Holidays that fall on weekdays, make-up days that fall on weekends, and the years with a notice."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    years: frozenset[int]

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


@cache
def shipped_calendar() -> Calendar:
    """The holiday table shipped with srdi."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    years: set[int] = set()
    for row in read_reference_csv("cn_public_holidays.csv"):
        day = date.fromisoformat(row["date"])
        years.add(day.year)
        (holidays if row["kind"] == "holiday" else workdays).add(day)
    return Calendar(frozenset(holidays), frozenset(workdays), frozenset(years))


def is_working_day(day: date, calendar: Calendar | None = None) -> bool:
    return (calendar or shipped_calendar()).is_working_day(day)


def calendar_known(year: int, calendar: Calendar | None = None) -> bool:
    return year in (calendar or shipped_calendar()).years


@dataclass(frozen=True)
class WorkingPeriod:
    """The last day of a period of ``n`` working days, and the years counted without a holiday notice."""

    ends_on: date
    unknown_years: tuple[int, ...] = ()


def add_working_days(start: date, n: int, calendar: Calendar | None = None) -> WorkingPeriod:
    """The ``n``-th working day after ``start`` (``start`` itself not counted); ``n`` = 0 gives ``start``."""
    if n < 0:
        raise ValueError("工作日数不能为负")
    cal = calendar or shipped_calendar()
    day, counted, unknown = start, 0, set()
    while counted < n:
        day += timedelta(days=1)
        if day.year not in cal.years:
            unknown.add(day.year)
        if cal.is_working_day(day):
            counted += 1
    return WorkingPeriod(day, tuple(sorted(unknown)))
