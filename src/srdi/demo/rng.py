"""Random streams and date arithmetic for the demo generator.

Enterprises are generated in fixed blocks of ``BLOCK`` rows; each block and each part of the model
(enterprise columns, facts, events) draws from its own stream seeded by ``(seed, block, stream)``. So the
output for a seed is reproducible byte for byte, and enterprise *k* gets the same data whatever the total
``n`` is (a larger ``n`` only appends blocks). Dates are handled as ``int32`` days since 1970-01-01, the
physical form of ``pl.Date``.
"""

from __future__ import annotations

from datetime import date

import numpy as np

BLOCK = 8192

STREAM_ENTERPRISES = 1
STREAM_YEARS = 2
STREAM_FACTS = 3
STREAM_EVENTS = 4
# Exchange-format 1.1 parts draw from streams of their own, so adding them changed none of the v1 values.
STREAM_EARLIEST_YEAR = 5
STREAM_ENTERPRISES_V11 = 6
STREAM_TECH_SME = 7
STREAM_IP_ITEMS = 8
STREAM_PLATFORM = 9

_EPOCH = date(1970, 1, 1)


def block_rng(seed: int, block: int, stream: int) -> np.random.Generator:
    """The random stream for one part of one block."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, block, stream])))


def day(text_or_date: str | date) -> int:
    """Days since 1970-01-01 for an ISO date string or a date."""
    d = date.fromisoformat(text_or_date) if isinstance(text_or_date, str) else text_or_date
    return (d - _EPOCH).days


def shift_years(iso: str, years: int) -> str:
    """An ISO date moved by whole years (batch dates never fall on 29 February)."""
    d = date.fromisoformat(iso)
    return d.replace(year=d.year + years).isoformat()


def year_start(years: np.ndarray) -> np.ndarray:
    """Days since the epoch of 1 January of each year."""
    return (
        (np.asarray(years, dtype=np.int64) - 1970)
        .astype("datetime64[Y]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def years_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def add_years_minus_one_day(days: np.ndarray, years: int) -> np.ndarray:
    """The day before the ``years``-th anniversary (the end of a three-year term); 29 Feb maps like 1 Mar."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = d - month.astype("datetime64[D]")  # day of month, 0-based
    target_month = (month + 12 * years).astype("datetime64[D]")
    month_len = ((month + 12 * years + 1).astype("datetime64[D]") - target_month).astype(np.int64)
    dom_i = dom.astype(np.int64)
    overflow = dom_i >= month_len  # 29 February in a common year → 1 March
    anniversary = np.where(
        overflow, target_month.astype(np.int64) + month_len, target_month.astype(np.int64) + dom_i
    )
    out: np.ndarray = anniversary - 1
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, element-wise."""
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out
