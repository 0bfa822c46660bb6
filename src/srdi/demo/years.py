"""Four years of figures (as_of_year−4 … as_of_year−1) for one block of demo enterprises (vectorised).

Use ``years_block`` from the generator. Each enterprise has lasting financial traits (main-business share, R&D
intensity, margin, debt ratio, assets per revenue, revenue per employee, R&D-staff share); each year's ratios
vary a little around them, and revenue grows with the latent quality ``q``. The three later years come from the
block's ``STREAM_YEARS`` stream exactly as before the fourth year was added; the earliest year draws from its
own stream, so adding it changed none of the other years' values. Some rows and fields are left unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from srdi.demo.columns import Nullable, with_nulls
from srdi.demo.enterprises import Latent

# Per industry group: R&D intensity, revenue per employee (万元), R&D-staff share, assets per unit of revenue.
_RD_INTENSITY = np.array([0.042, 0.090, 0.008, 0.060])
_REVENUE_PER_EMPLOYEE = np.array([60.0, 35.0, 200.0, 30.0])
_RD_STAFF_SHARE = np.array([0.14, 0.35, 0.05, 0.30])
_ASSET_RATIO = np.array([1.1, 0.8, 0.6, 1.3])

# ratio → (spread of one year around the enterprise's own level, lower bound, upper bound)
_SPREAD = {
    "main_share": (0.02, 0.45, 1.0),
    "rd_int": (0.004, 0.0, 0.15),
    "margin": (0.015, -0.10, 0.25),
    "debt": (0.02, 0.10, 0.90),
    "staff_share": (0.01, 0.02, 0.60),
}

YEAR_FIGURES = (
    "operating_revenue_fen",
    "main_business_revenue_fen",
    "rd_expense_fen",
    "net_profit_fen",
    "total_assets_fen",
    "total_liabilities_fen",
    "employees",
    "rd_staff",
)
LATER_YEARS = 3  # as_of_year−3 … as_of_year−1, from STREAM_YEARS


@dataclass
class LastYear:
    """Figures of the last full year before unknowns were applied (for the v1.1 columns and platform scores)."""

    main_share: np.ndarray  # main-business share of revenue
    rd_intensity: np.ndarray
    revenue_wan: np.ndarray
    revenue_cagr_2y: np.ndarray  # (revenue Y ÷ revenue Y−2)^(1/2) − 1


@dataclass
class YearsResult:
    """The yearly-figure columns of a block and its last full year."""

    columns: dict[str, Any]
    last: LastYear


def _fen(wan: np.ndarray) -> np.ndarray:
    """万元 → fen, rounded to whole yuan."""
    fen: np.ndarray = np.rint(wan * 10_000).astype(np.int64) * 100
    return fen


def _growth(rng: np.random.Generator, q: np.ndarray, years: int) -> np.ndarray:
    return np.clip(0.06 + 0.06 * q[:, None] + 0.18 * rng.standard_normal((len(q), years)), -0.6, 2.0)


def _around(ratio: str, level: np.ndarray, noise: np.ndarray) -> np.ndarray:
    sd, lo, hi = _SPREAD[ratio]
    return np.clip(level[:, None] + sd * noise, lo, hi)


def _staff(rev: np.ndarray, rpe: np.ndarray, noise: np.ndarray, staff_share: np.ndarray) -> tuple[Any, Any]:
    """Employees and R&D staff (at least 2 %, at most 60 % of employees)."""
    employees = np.maximum(3, np.rint(rev / rpe[:, None] * np.exp(0.04 * noise))).astype(np.int64)
    rd_staff = np.clip(np.rint(employees * staff_share), np.ceil(employees * 0.02), np.floor(employees * 0.6))
    return employees, rd_staff.astype(np.int64)


def _figures(rev: np.ndarray, r: dict[str, np.ndarray], employees: Any, rd_staff: Any) -> dict[str, Any]:
    assets = rev * r["asset_ratio"]
    return {
        "operating_revenue_fen": _fen(rev),
        "main_business_revenue_fen": _fen(rev * r["main_share"]),
        "rd_expense_fen": _fen(rev * r["rd_int"]),
        "net_profit_fen": _fen(rev * r["margin"]),
        "total_assets_fen": _fen(assets),
        "total_liabilities_fen": _fen(assets * r["debt"]),
        "employees": employees,
        "rd_staff": rd_staff,
    }


def _rows(
    rng: np.random.Generator, figures: dict[str, Any], present: np.ndarray, eid: np.ndarray, first_year: int
) -> dict[str, Any]:
    """Rows of the present (enterprise, year) cells, enterprise by enterprise; a few fields left unknown."""
    n, k = present.shape
    keep = present.ravel()
    out: dict[str, Any] = {
        "eid": np.repeat(eid, k)[keep],
        "year": np.tile(np.arange(first_year, first_year + k), n)[keep],
    }
    for name in YEAR_FIGURES:
        values = figures[name].ravel()[keep]
        missing = rng.random(len(values)) < (0.003 if name == "employees" else 0.004)
        out[name] = with_nulls(values, missing)
    return out


def years_block(
    rng: np.random.Generator, early_rng: np.random.Generator, lat: Latent, as_of_year: int
) -> YearsResult:
    """Figures of as_of_year−4 … as_of_year−1 (``early_rng`` draws the earliest year), rows by enterprise and year."""
    n = len(lat.eid)
    q, g = lat.q, lat.group
    growth = _growth(rng, q, LATER_YEARS - 1)
    rev = np.empty((n, LATER_YEARS))
    rev[:, 2] = lat.revenue_wan  # column 2 = last full year
    rev[:, 1] = rev[:, 2] / (1 + growth[:, 1])
    rev[:, 0] = rev[:, 1] / (1 + growth[:, 0])
    rev = rev.clip(10.0, None)

    # Each enterprise's level of a ratio, then its three yearly values (the draws interleave as they always did).
    level: dict[str, np.ndarray] = {}
    r: dict[str, np.ndarray] = {}

    def vary(ratio: str, own: np.ndarray) -> None:
        level[ratio] = own
        r[ratio] = _around(ratio, own, rng.standard_normal((n, LATER_YEARS)))

    vary("main_share", np.clip(0.88 + 0.06 * q + 0.12 * rng.standard_normal(n), 0.45, 1.0))
    vary("rd_int", np.clip(_RD_INTENSITY[g] + 0.018 * q + 0.02 * rng.standard_normal(n), 0.0, 0.15))
    vary("margin", np.clip(0.06 + 0.035 * q + 0.06 * rng.standard_normal(n), -0.10, 0.25))
    level["asset_ratio"] = _ASSET_RATIO[g] * np.exp(0.35 * rng.standard_normal(n))
    r["asset_ratio"] = level["asset_ratio"][:, None] * np.exp(0.05 * rng.standard_normal((n, LATER_YEARS)))
    vary("debt", np.clip(0.45 - 0.06 * q + 0.15 * rng.standard_normal(n), 0.10, 0.90))
    rpe = _REVENUE_PER_EMPLOYEE[g] * np.exp(0.35 * rng.standard_normal(n))
    staff_noise = rng.standard_normal((n, LATER_YEARS))
    vary("staff_share", np.clip(_RD_STAFF_SHARE[g] + 0.04 * q + 0.07 * rng.standard_normal(n), 0.02, 0.60))
    employees, rd_staff = _staff(rev, rpe, staff_noise, r["staff_share"])
    figures = _figures(rev, r, employees, rd_staff)

    # unknowns: whole enterprises without figures, missing years, missing single fields
    present = np.ones((n, LATER_YEARS), dtype=bool)
    no_figures = rng.random(n) < 0.004
    present[no_figures] = False
    present[:, 0] &= rng.random(n) >= 0.025
    present[:, 1] &= rng.random(n) >= 0.008
    present[:, 2] &= rng.random(n) >= 0.006
    later = _rows(rng, figures, present, lat.eid, as_of_year - LATER_YEARS)
    early = _earliest_year(early_rng, lat, rev[:, 0], level, rpe, no_figures, as_of_year - LATER_YEARS - 1)
    last = LastYear(r["main_share"][:, 2], r["rd_int"][:, 2], rev[:, 2], np.sqrt(rev[:, 2] / rev[:, 0]) - 1)
    return YearsResult(_by_enterprise_and_year(later, early), last)


def _earliest_year(
    rng: np.random.Generator,
    lat: Latent,
    next_revenue: np.ndarray,
    level: dict[str, np.ndarray],
    rpe: np.ndarray,
    no_figures: np.ndarray,
    year: int,
) -> dict[str, Any]:
    """The year before the three later ones: the same traits, its own growth and yearly variation."""
    n = len(lat.eid)
    rev = (next_revenue / (1 + _growth(rng, lat.q, 1)[:, 0])).clip(10.0, None)[:, None]
    r = {ratio: _around(ratio, level[ratio], rng.standard_normal((n, 1))) for ratio in _SPREAD}
    r["asset_ratio"] = level["asset_ratio"][:, None] * np.exp(0.05 * rng.standard_normal((n, 1)))
    employees, rd_staff = _staff(rev, rpe, rng.standard_normal((n, 1)), r["staff_share"])
    figures = _figures(rev, r, employees, rd_staff)
    # none before the enterprise was founded; older years are missing a little more often
    present = (~no_figures & (lat.founded_year <= year) & (rng.random(n) >= 0.035))[:, None]
    return _rows(rng, figures, present, lat.eid, year)


def _by_enterprise_and_year(*parts: dict[str, Any]) -> dict[str, Any]:
    """The row sets as one, ordered by enterprise and then year."""
    eid = np.concatenate([p["eid"] for p in parts])
    year = np.concatenate([p["year"] for p in parts])
    order = np.lexsort((year, eid))
    out: dict[str, Any] = {"eid": eid[order], "year": year[order]}
    for name in YEAR_FIGURES:
        cols: list[Nullable] = [p[name] for p in parts]
        values = np.concatenate([c.values for c in cols])[order]
        missing = np.concatenate([c.missing for c in cols])[order]
        out[name] = with_nulls(values, missing)
    return out
