"""How the policy counts titles (梯度培育) against its cumulative targets, on any day.

Use ``title_spells`` to turn an enterprise's certification rows, move-ins and sanctions into the periods during
which it counts for the city in one tier, then ``count_on`` / ``additions_by_year`` over those periods. The
targets service (``srdi.services.programme_targets``) does this for the whole database; nothing here reads it.

The rules (one enterprise, one tier; "counted" means it is in the cumulative 累计培育 figure):
- **First recognition counts.** The enterprise counts from the recognition day of its first certification of
  the tier (a certification without a recognition date never counts).
- **A review (复核) is a renewal, not a new title.** A later certification of the same tier recognised while the
  enterprise already counts (whatever its batch text says) extends the same period; it adds nothing.
- **A move-in (relocation_in) counts for the city.** A title recognised elsewhere counts for Hangzhou from the
  move-in day (the later of the move-in and the recognition), and is a new title for the city in that year.
- **Revoked or cancelled titles stop counting** from the revocation day: ``revoked_on`` as recorded (a
  cancellation by the province, including after two missed annual data updates, is recorded there; see
  ``srdi.domain.lifecycle``), or the date of a data-fraud sanction (``sanctions`` of kind ``data_fraud``),
  which removes every title held on that day. A new recognition after a revocation counts again, as a new
  title (a new period).
- **Expiry does not uncount.** A title that expires without review stays in the cumulative figure: the targets
  are "累计培育", the number of enterprises cultivated, not the number holding a valid title today.
- **The 63号 → 2号 change (2026-04-01)** changes the criteria, not the titles: a title recognised under 63号
  keeps counting after the change, and a review under 2号 of a 63号 title is a renewal like any other.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class TitleRecord:
    """One certification row of one enterprise in one tier (the three dates that matter for counting)."""

    recognized_on: date | None
    revoked_on: date | None = None


@dataclass(frozen=True)
class Spell:
    """A period during which one enterprise counts for the city in one tier: from ``start`` (included) to
    ``end`` (the revocation day, excluded; None while it still counts). ``renewals`` reviews fell inside it;
    ``via_move_in`` when it starts with a move-in rather than a recognition in the city."""

    start: date
    end: date | None
    renewals: int = 0
    via_move_in: bool = False

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def title_spells(
    records: Iterable[TitleRecord],
    move_ins: Iterable[date] = (),
    frauds: Iterable[date] = (),
) -> tuple[Spell, ...]:
    """The counting periods of one enterprise in one tier (see the module docstring for the rules)."""
    certs = sorted(
        (r for r in records if r.recognized_on is not None), key=lambda r: r.recognized_on or date.min
    )
    if not certs:
        return ()
    fraud_days = sorted(frauds)
    arrival = min(move_ins, default=None)
    if len(certs) == 1 and certs[0].revoked_on is None and not fraud_days and arrival is None:
        return (Spell(certs[0].recognized_on or date.min, None),)  # the common case, for large databases
    spells: list[Spell] = []
    start: date | None = None
    renewals = 0
    for i, cert in enumerate(certs):
        recognized = cert.recognized_on
        assert recognized is not None
        if start is None:
            start, renewals = recognized, 0
        else:
            renewals += 1
        next_recognition = certs[i + 1].recognized_on if i + 1 < len(certs) else None
        ends = [d for d in (cert.revoked_on, *fraud_days) if d is not None and d >= recognized]
        end = min(ends, default=None)
        if end is not None and (next_recognition is None or end <= next_recognition):
            spells.append(Spell(start, end, renewals))
            start = None
    if start is not None:
        spells.append(Spell(start, None, renewals))
    if arrival is None:
        return tuple(s for s in spells if s.end is None or s.start < s.end)
    moved: list[Spell] = []
    for s in spells:
        if s.end is not None and s.end <= arrival:
            continue  # ended before the enterprise came to the city
        if s.start < arrival:
            moved.append(Spell(arrival, s.end, s.renewals, via_move_in=True))
        else:
            moved.append(s)
    return tuple(s for s in moved if s.end is None or s.start < s.end)


def count_on(spells: Iterable[Sequence[Spell]], day: date) -> int:
    """How many enterprises count on ``day`` (one sequence of spells per enterprise)."""
    return sum(1 for one in spells if any(s.covers(day) for s in one))


def additions_by_year(spells: Iterable[Sequence[Spell]]) -> Counter[int]:
    """New titles per calendar year: every spell's start (a first recognition, a move-in, or a recognition
    after a revocation). Renewals add nothing."""
    return Counter(s.start.year for one in spells for s in one)


def removals_by_year(spells: Iterable[Sequence[Spell]]) -> Counter[int]:
    """Titles that stopped counting (revoked, cancelled, data fraud) per calendar year."""
    return Counter(s.end.year for one in spells for s in one if s.end is not None)


@dataclass(frozen=True)
class Tally:
    """Many enterprises' spells as two sorted lists of days, for fast counts over large databases.

    An enterprise's spells never overlap (``title_spells`` closes one before the next starts), so the count on a
    day is the number of starts on or before it minus the number of ends on or before it: the same as
    ``count_on``, in logarithmic time."""

    starts: tuple[date, ...]
    ends: tuple[date, ...]

    @classmethod
    def of(cls, spells: Iterable[Sequence[Spell]]) -> Tally:
        starts: list[date] = []
        ends: list[date] = []
        for one in spells:
            for s in one:
                starts.append(s.start)
                if s.end is not None:
                    ends.append(s.end)
        return cls(tuple(sorted(starts)), tuple(sorted(ends)))

    def count_on(self, day: date) -> int:
        return bisect_right(self.starts, day) - bisect_right(self.ends, day)

    def added(self, first: date, last: date) -> int:
        """Spells starting between ``first`` and ``last`` (both included)."""
        return bisect_right(self.starts, last) - bisect_left(self.starts, first)

    def removed(self, first: date, last: date) -> int:
        """Spells ending (revocations) between ``first`` and ``last`` (both included)."""
        return bisect_right(self.ends, last) - bisect_left(self.ends, first)
