"""How the 小巨人 seedling pool (种苗库) is counted on any day: members in the pool, and graduates.

Use ``state_on(spell, recognitions, day)`` for one confirmed spell of one enterprise and ``tally(...)`` for a
whole pool. The pool service (``srdi.services.seedlings``) reads the spells and certifications; nothing here
reads the database.

The rules (successor policy hz25, target ``lg_seedling_pool_min``: a dynamic pool of 300 or more):
- a confirmed spell counts from ``added_on`` (inclusive) to ``removed_on`` (exclusive; open while empty);
  proposals not yet confirmed and declined proposals never count;
- **graduation**: the enterprise's first 小巨人 recognition on or after ``added_on`` and before ``removed_on``
  graduates it on that day. From then on it is a graduate — counted as such, no longer in the pool — and stays
  a graduate even if the spell is closed later (a graduate is never deleted);
- a recognition before ``added_on`` does not graduate the spell (the pool service refuses to add an enterprise
  that holds a valid 小巨人 title on the day it would join).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class PoolState(StrEnum):
    OUTSIDE = "outside"  # not yet added, or removed without graduating
    IN_POOL = "in_pool"
    GRADUATED = "graduated"


STATE_LABELS = {
    PoolState.OUTSIDE: "不在库",
    PoolState.IN_POOL: "在库",
    PoolState.GRADUATED: "已获评小巨人（毕业）",
}


@dataclass(frozen=True)
class PoolSpell:
    """One confirmed spell: in the pool from ``added_on`` until the day before ``removed_on``."""

    added_on: date
    removed_on: date | None = None


def graduation_day(spell: PoolSpell, recognitions: Iterable[date]) -> date | None:
    """The first recognition while the spell is open (on or after ``added_on``, before ``removed_on``)."""
    inside = [
        d for d in recognitions if d >= spell.added_on and (spell.removed_on is None or d < spell.removed_on)
    ]
    return min(inside) if inside else None


def state_on(spell: PoolSpell, recognitions: Iterable[date], day: date) -> PoolState:
    """Where the spell stands on ``day`` (see the module docstring)."""
    if day < spell.added_on:
        return PoolState.OUTSIDE
    graduated = graduation_day(spell, recognitions)
    if graduated is not None and graduated <= day:
        return PoolState.GRADUATED
    if spell.removed_on is not None and spell.removed_on <= day:
        return PoolState.OUTSIDE
    return PoolState.IN_POOL


@dataclass(frozen=True)
class PoolTally:
    """The pool on one day: members in it and graduates so far (each enterprise once)."""

    on: date
    in_pool: int
    graduated: int


def tally(
    spells: Iterable[tuple[int, PoolSpell]], recognitions: dict[int, list[date]], day: date
) -> PoolTally:
    """Count ``(enterprise id, spell)`` pairs on ``day``; an enterprise counts once (graduated wins over in
    pool, which wins over outside) even when it has several spells."""
    best: dict[int, PoolState] = {}
    rank = {PoolState.OUTSIDE: 0, PoolState.IN_POOL: 1, PoolState.GRADUATED: 2}
    for eid, spell in spells:
        state = state_on(spell, recognitions.get(eid, ()), day)
        if rank[state] > rank[best.get(eid, PoolState.OUTSIDE)]:
            best[eid] = state
    states = list(best.values())
    return PoolTally(day, states.count(PoolState.IN_POOL), states.count(PoolState.GRADUATED))
