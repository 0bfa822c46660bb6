"""The dates srdi judges, and calendar-year arithmetic on them.

Use ``years_before``/``years_after`` for "the same day N years earlier/later" (29 February falls back to the
28th), and ``judged_date_error`` to check a reference date given by a person or a file: srdi judges days from
the first tier rulebooks in force (63号, 2022-06-01) up to the end of the century — later dates are typing
mistakes, and plans that wait years after them would leave the calendar.
"""

from __future__ import annotations

from datetime import date

EARLIEST_AS_OF = date(2022, 6, 1)  # 工信部企业〔2022〕63号 in force
LATEST_AS_OF = date(2099, 12, 31)


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 Feb → 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 Feb → 28 Feb)."""
    return years_before(day, -years)


def judged_date_error(day: date, *, earliest: date = EARLIEST_AS_OF) -> str | None:
    """Why ``day`` cannot be judged (a sentence for the person who gave it), or None."""
    if day < earliest:
        return f"基准日 {day} 早于最早的认定标准（{earliest} 起施行）"
    if day > LATEST_AS_OF:
        return f"基准日 {day} 晚于 {LATEST_AS_OF}，请检查年份"
    return None
