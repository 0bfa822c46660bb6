"""A simple, explainable projection of a cumulative figure to a target date.

Use ``project`` with the value today and the yearly net changes: projected end value = value today + (average
net change of the last two full years before today) × years left (days to the target date ÷ 365.25). "On
track" means the projected end value reaches the target. ``explain`` states the same in words for the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

DAYS_PER_YEAR = Fraction(36525, 100)


@dataclass(frozen=True)
class Projection:
    """The projection of one figure: the two full years used, their net changes, the yearly pace, the years
    left, and the projected value on the target date (rounded down to a whole enterprise)."""

    value_now: int
    years_used: tuple[int, ...]
    changes_used: tuple[int, ...]
    pace_per_year: Fraction
    years_left: Fraction
    projected: int
    target: int

    @property
    def on_track(self) -> bool:
        return self.projected >= self.target

    @property
    def percent_done(self) -> float:
        return 100.0 * self.value_now / self.target if self.target else 0.0


def project(value_now: int, changes: Mapping[int, int], today: date, by: date, target: int) -> Projection:
    """Project ``value_now`` to ``by`` at the pace of the two full calendar years before ``today``'s year.

    ``changes`` maps a year to its net change (a year absent from it changed by 0). After ``by`` no years are
    left and the projection is the value today."""
    years = (today.year - 2, today.year - 1)
    used = tuple(int(changes.get(y, 0)) for y in years)
    pace = Fraction(sum(used), len(used))
    left = max(Fraction((by - today).days) / DAYS_PER_YEAR, Fraction(0))
    projected = value_now + int(pace * left // 1)
    return Projection(value_now, years, used, pace, left, projected, target)


def explain(p: Projection) -> str:
    """The projection in one Chinese sentence, with the numbers it used."""
    parts = "、".join(f"{y}年{c:+d}" for y, c in zip(p.years_used, p.changes_used, strict=True))
    pace = float(p.pace_per_year)
    verdict = "可按期完成" if p.on_track else "按当前进度无法按期完成"
    return (
        f"预计期末值 = 当前值 {p.value_now} + 近两个完整年度年均净增 {pace:.1f}（{parts}）× 剩余 "
        f"{float(p.years_left):.2f} 年 = {p.projected}；目标 {p.target}，{verdict}。"
    )
