"""The simulated effect of approving a proposed parameter change (what the approver sees before deciding).

Use ``refresh_effect(change)`` when a change is proposed (and again on request while it is still proposed): it runs
``compute_effect`` and stores the result on the change (``effect`` JSON, ``effect_computed_at``) as it is shown, so
the approval page shows the figures the approver saw even if events are added later. ``Effect.from_json`` reads
it back. ``compute_effect`` runs the simulation engine (``srdi simulate``'s code) over every recorded event of the
database, twice per year — the packs in force (``packs_in_force``) against the same packs with the proposal laid
over them (``with_proposal``), both restricted to the change's pack — for each calendar year from the change's
start to its end (to the last year with recorded events when open-ended), only years with events, at most
``MAX_YEARS``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from srdi.db.models import AuditAction, Event, ParameterChange, User
from srdi.domain.policy.simulate import (
    MONEY_KEYS,
    Simulation,
    enterprise_changes,
    run_simulation,
    status_moves,
)
from srdi.domain.tables import Tables
from srdi.services import audit
from srdi.services.facts_loader import load_tables
from srdi.services.lpr import LPR_PID
from srdi.services.parameters import ParameterChangeError, packs_in_force, with_proposal

MAX_YEARS = 5  # years simulated for one change (two engine runs each); later years are named, not computed
MOST_AFFECTED = 20
LPR_NOTE = (
    "LPR 调整影响第17条等按LPR判断的贴息，无法预先测算：批准后，合同日在该期LPR发布日之后的贷款按新利率重新测算，"
    "已批准或已拨付的事项不变"
)
CHUNK = 2000  # enterprises read per query (an IN list well under every database's limit of bound parameters)


@dataclass(frozen=True)
class Money:
    """Granted amounts (fen) and how many results were granted."""

    amount_fen: int = 0
    city_fen: int = 0
    district_fen: int = 0
    grants: int = 0

    def minus(self, other: Money) -> Money:
        return Money(*(getattr(self, k) - getattr(other, k) for k in MONEY_KEYS))

    def plus(self, other: Money) -> Money:
        return Money(*(getattr(self, k) + getattr(other, k) for k in MONEY_KEYS))

    @classmethod
    def of(cls, row: dict[str, Any] | None) -> Money:
        row = row or {}
        return cls(*(int(row.get(k) or 0) for k in MONEY_KEYS))


class BeforeAfter:
    """A line costed before and after the change; ``difference`` is after − before."""

    before: Money
    after: Money

    @property
    def difference(self) -> Money:
        return self.after.minus(self.before)


@dataclass(frozen=True)
class MeasureLine(BeforeAfter):
    measure: str
    article: int
    before: Money
    after: Money


@dataclass(frozen=True)
class DistrictLine(BeforeAfter):
    district: str  # "" when the enterprise's district is not known
    before: Money
    after: Money


@dataclass(frozen=True)
class StatusMove:
    before: str
    after: str
    count: int


@dataclass(frozen=True)
class EnterpriseLine:
    uscc: str
    name: str
    district: str
    before_fen: int
    after_fen: int

    @property
    def difference_fen(self) -> int:
        return self.after_fen - self.before_fen


@dataclass(frozen=True)
class YearEffect(BeforeAfter):
    """One calendar year's events costed before and after the change."""

    year: int
    events: int
    before: Money
    after: Money
    by_measure: tuple[MeasureLine, ...]
    by_district: tuple[DistrictLine, ...]
    gainers: int
    losers: int
    moves: tuple[StatusMove, ...]
    most_affected: tuple[EnterpriseLine, ...]


@dataclass(frozen=True)
class Effect:
    """The effect of approving one change, year by year; ``years_left_out`` were beyond ``MAX_YEARS``."""

    version: str
    parameter: str
    pack: str
    years: tuple[YearEffect, ...]
    years_left_out: tuple[int, ...] = ()
    seconds: float = 0.0
    note: str = ""  # why nothing was simulated, when that is the case

    @property
    def difference(self) -> Money:
        total = Money()
        for y in self.years:
            total = total.plus(y.difference)
        return total

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Effect | None:
        """The stored effect, or None when none was computed (or it was stored by an older form)."""
        if not data or "years" not in data:
            return None
        try:
            return cls(
                version=str(data["version"]),
                parameter=str(data["parameter"]),
                pack=str(data["pack"]),
                years=tuple(_year_from_json(y) for y in data["years"]),
                years_left_out=tuple(int(y) for y in data.get("years_left_out", ())),
                seconds=float(data.get("seconds", 0.0)),
                note=str(data.get("note", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _year_from_json(y: dict[str, Any]) -> YearEffect:
    return YearEffect(
        year=int(y["year"]),
        events=int(y["events"]),
        before=Money.of(y["before"]),
        after=Money.of(y["after"]),
        by_measure=tuple(
            MeasureLine(m["measure"], int(m["article"]), Money.of(m["before"]), Money.of(m["after"]))
            for m in y["by_measure"]
        ),
        by_district=tuple(
            DistrictLine(d["district"], Money.of(d["before"]), Money.of(d["after"])) for d in y["by_district"]
        ),
        gainers=int(y["gainers"]),
        losers=int(y["losers"]),
        moves=tuple(StatusMove(m["before"], m["after"], int(m["count"])) for m in y["moves"]),
        most_affected=tuple(
            EnterpriseLine(e["uscc"], e["name"], e["district"], int(e["before_fen"]), int(e["after_fen"]))
            for e in y["most_affected"]
        ),
    )


def load_event_tables() -> Tables:
    """The facts of the enterprises with at least one recorded event, read in chunks.

    An enterprise without an event has no row in a simulation, so leaving it out changes no figure (the
    acceptance test compares with ``srdi simulate``, which reads every enterprise) and, with 100,000 enterprises
    of which a fifth have events, cuts the reading time several-fold."""
    ids = sorted(set(Event.objects.values_list("enterprise_id", flat=True)))
    parts = [load_tables(ids[i : i + CHUNK], with_events=True) for i in range(0, len(ids), CHUNK)]
    if not parts:
        return Tables.empty()
    if len(parts) == 1:
        return parts[0]
    return Tables(
        **{
            f.name: pl.concat([getattr(p, f.name) for p in parts], how="vertical_relaxed")
            for f in fields(Tables)
        }
    )


def event_years(tables: Tables) -> list[int]:
    """The calendar years with at least one recorded event (by its date, a loan by its contract date)."""
    if not tables.events.height:
        return []
    day = pl.coalesce(pl.col("date"), pl.col("contract_date"))
    years = tables.events.select(day.dt.year().alias("y")).drop_nulls().unique().sort("y")
    return [int(y) for y in years.get_column("y").to_list()]


def years_touched(change: ParameterChange, with_events: list[int]) -> list[int]:
    """The years of ``with_events`` from the change's start to its end (open-ended: to the last such year)."""
    first = change.effective_from.year
    last = change.effective_to.year if change.effective_to else max(with_events, default=first)
    return [y for y in with_events if first <= y <= last]


def _lines(
    base: pl.DataFrame, changed: pl.DataFrame, on: list[str]
) -> list[tuple[dict[str, Any], Money, Money]]:
    before = {tuple(r[c] for c in on): r for r in base.iter_rows(named=True)}
    after = {tuple(r[c] for c in on): r for r in changed.iter_rows(named=True)}
    out = []
    for key in sorted(set(before) | set(after), key=lambda k: tuple("" if v is None else str(v) for v in k)):
        ident = dict(zip(on, key, strict=True))
        out.append((ident, Money.of(before.get(key)), Money.of(after.get(key))))
    return out


def year_effect(year: int, base: Simulation, changed: Simulation) -> YearEffect:
    """Compare two runs of the same year's events."""
    measures = [
        MeasureLine(str(k["measure"]), int(k["article"]), b, a)
        for k, b, a in _lines(base.by_measure, changed.by_measure, ["measure", "article"])
    ]
    measures.sort(key=lambda m: (m.article, m.measure))
    districts = tuple(
        DistrictLine(str(k["district"] or ""), b, a)
        for k, b, a in _lines(base.by_district, changed.by_district, ["district"])
    )
    who = enterprise_changes(base, changed)
    top = tuple(
        EnterpriseLine(r["uscc"] or "", r["name"] or "", r["district"] or "", r["before_fen"], r["after_fen"])
        for r in who.head(MOST_AFFECTED).iter_rows(named=True)
    )
    return YearEffect(
        year=year,
        events=base.events,
        before=Money.of(base.totals),
        after=Money.of(changed.totals),
        by_measure=tuple(measures),
        by_district=districts,
        gainers=who.filter(pl.col("difference_fen") > 0).height,
        losers=who.filter(pl.col("difference_fen") < 0).height,
        moves=tuple(StatusMove(b, a, n) for b, a, n in status_moves(base, changed)),
        most_affected=top,
    )


def compute_effect(change: ParameterChange, tables: Tables | None = None) -> Effect:
    """The effect of approving ``change`` on the recorded events of the year(s) it touches (nothing is stored)."""
    started = time.perf_counter()
    if change.parameter == LPR_PID:
        # A release changes the LPR table the whole engine reads, not a pack; swapping that table for one run
        # would change it for every request of this process, so its effect is not simulated (the page says so).
        return Effect(change.version, change.parameter, change.pack, (), note=LPR_NOTE)
    # The packs that declare the parameter: its own pack, or every pack for a shared one (the fiscal shares).
    baseline = tuple(p for p in packs_in_force() if change.parameter in p.parameters)
    proposed = tuple(p for p in with_proposal(change) if change.parameter in p.parameters)
    if tables is None:
        tables = load_event_tables()
    years = years_touched(change, event_years(tables))
    shown, left_out = years[:MAX_YEARS], years[MAX_YEARS:]
    results = tuple(
        year_effect(y, run_simulation(tables, baseline, y), run_simulation(tables, proposed, y))
        for y in shown
    )
    return Effect(
        version=change.version,
        parameter=change.parameter,
        pack=change.pack,
        years=results,
        years_left_out=tuple(left_out),
        seconds=round(time.perf_counter() - started, 3),
    )


def refresh_effect(change: ParameterChange, actor: User | None = None, *, ip: str = "") -> Effect:
    """Compute the effect of a change still awaiting a decision and store it on the change as it will be shown.

    A decided or withdrawn change keeps the effect its approver saw: refusing here keeps it so."""
    if change.status != ParameterChange.Status.PROPOSED:
        raise ParameterChangeError(f"该调整已{change.get_status_display()}，测算结果保持审批时的内容")
    effect = compute_effect(change)
    with transaction.atomic():
        now = timezone.now()
        # Stored only if still undecided: a decision taken while the figures were being computed keeps the
        # effect its approver saw.
        stored = ParameterChange.objects.filter(pk=change.pk, status=ParameterChange.Status.PROPOSED).update(
            effect=effect.to_json(), effect_computed_at=now
        )
        if not stored:
            raise ParameterChangeError("该调整已在测算期间作出决定，测算结果保持审批时的内容")
        change.effect, change.effect_computed_at = effect.to_json(), now
        if actor is not None:
            total = effect.difference
            audit.record(
                AuditAction.PARAMETER,
                actor,
                object_type="parameter_change",
                object_id=str(change.pk),
                object_repr=f"测算参数调整 {change.version} 的影响：{change.parameter}",
                new={
                    "years": [y.year for y in effect.years],
                    "years_left_out": list(effect.years_left_out),
                    "difference_fen": total.amount_fen,
                    "city_fen": total.city_fen,
                    "district_fen": total.district_fen,
                },
                ip_address=ip,
            )
    return effect
