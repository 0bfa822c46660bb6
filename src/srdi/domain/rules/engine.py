"""Running the rulebooks in force over a set of enterprises, column-wise.

Use ``assess(tables, as_of)``: it builds the facts frame, computes every measure, test and indicator of every
tier as columns (one Polars pass per stage), and returns an ``Assessment`` holding the frame and the compiled
rulebooks. The same call serves one profile and a million enterprises; ``srdi.domain.rules.explain`` turns a
row back into the contract's result with its full trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from srdi.domain.rules.compile import (
    Compiled,
    compile_rulebook,
    hashable,
    measure_expressions,
    measure_helpers,
)
from srdi.domain.rules.facts import FactOptions, Facts, build_facts, collect
from srdi.domain.rules.model import Rulebook, Transition
from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.rules.rulebook import TIERS, Library, load_library
from srdi.domain.tables import Tables

DECIMAL_FACTS = frozenset(
    {"mp_niche_market_share", "mp_revenue_share", "platform_score[A]", "platform_score[A-1]"}
)
# Up to this many enterprises the query runs without the optimiser (measured faster; see ``assess``).
UNOPTIMISED_ROWS = 4096


class NoRulebook(RuleDataError):
    """No rulebook is in force for a tier on the requested date."""


@dataclass
class Assessment:
    """Every column the rules computed, the facts they read, and the compiled rulebooks by tier."""

    frame: pl.DataFrame
    facts: Facts
    compiled: dict[str, Compiled]
    library: Library
    purpose: str = "application"
    routes: dict[str, Transition] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    _rows: list[dict[str, Any]] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def as_of(self) -> date:
        return self.facts.as_of

    def row(self, index: int) -> dict[str, Any]:
        """One enterprise's columns by name (read-only: small assessments share one dict per row)."""
        if self.frame.height > UNOPTIMISED_ROWS:
            return self.frame.row(index, named=True)
        if self._rows is None:
            # Explaining and gap planning read each row several times; converting them together is cheaper.
            # (A plain attribute, not ``cached_property``, whose lock on Python 3.11 is shared by all instances.)
            self._rows = self.frame.rows(named=True)
        return self._rows[index]

    def summary(self) -> pl.DataFrame:
        """eid, uscc, size class and per-tier status/score/route — what screening stores."""
        return self.frame.select(summary_columns(self.compiled))


def summary_columns(compiled: dict[str, Compiled]) -> list[str]:
    """The identifying and per-tier result columns of an assessment."""
    cols = ["eid", "uscc", "district", "ecosystem", "size_class", "is_sme"]
    for c in compiled.values():
        cols += [c.col("status"), c.col("score"), c.col("route"), c.col("eligible")]
    return cols


def fact_options(library: Library, as_of: date, compiled: dict[str, Compiled]) -> FactOptions:
    """What the facts frame must hold: each tier's list facts (from its resolved, possibly overridden
    parameters) and the shared certification columns (common ``title_validity_years``)."""
    validity = library.common["title_validity_years"].at(as_of)
    return FactOptions(
        validity_years=int(validity.value) if validity is not None else FactOptions.validity_years,
        columns=tuple(col for c in compiled.values() for col in c.list_facts.values()),
        lifecycle=library.lifecycle(as_of),
    )


def assess(
    tables: Tables,
    as_of: date,
    *,
    tiers: tuple[str, ...] = TIERS,
    library: Library | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    extra: Callable[[dict[str, Compiled]], list[list[pl.Expr]]] | None = None,
    keep: Callable[[dict[str, Compiled]], list[str]] | None = None,
    purpose: str = "application",
    routes: dict[str, Transition] | None = None,
) -> Assessment:
    """Assess every enterprise in ``tables`` against the rulebooks in force on ``as_of`` for ``purpose``.

    ``routes`` replaces a tier's rulebook by the one a cohort route keeps in force (``route_groups`` splits the
    enterprises by the routes that apply to them). ``extra`` adds further expression stages computed from the
    rule columns (the six-dimension profile); ``keep`` limits the collected columns (whole-city screening
    keeps the summary only, so that the traces of a million rows are never materialised — any row can be
    explained again by assessing it alone).
    """
    library = library or load_library()
    books = {}
    for tier in tiers:
        route = (routes or {}).get(tier)
        rb = (
            route_rulebook(library, tier, route)
            if route is not None
            else library.for_tier(tier, as_of, purpose)
        )
        if rb is None:
            spans = [
                f"{b.id}: {b.valid_from}–{b.valid_to or '…'}" for b in library.rulebooks if b.tier == tier
            ]
            raise NoRulebook("rulebooks", tier, f"{as_of} 没有有效的评价规则库（现有：{'；'.join(spans)}）")
        books[tier] = rb
    unknown = set(overrides or {}) - set(books)
    if unknown:
        raise RuleDataError(
            "overrides", sorted(unknown)[0], f"不是本次评价的层级（可选：{', '.join(books)}）"
        )
    compiled = {
        tier: _compiled(
            library, rb, as_of, (overrides or {}).get(tier) or {}, purpose, (routes or {}).get(tier)
        )
        for tier, rb in books.items()
    }
    facts = build_facts(tables, as_of, fact_options(library, as_of, compiled))
    helpers, measures = _measure_columns(library)
    stages: list[list[pl.Expr]] = [helpers, measures]
    for i in range(max(len(c.stages) for c in compiled.values())):
        exprs = [e for c in compiled.values() if i < len(c.stages) for e in c.stages[i]]
        if exprs:
            stages.append(exprs)
    stages += extra(compiled) if extra else []
    selected = keep(compiled) if keep is not None else None
    lazy = facts.frame
    for stage in stages:
        lazy = lazy.with_columns(stage)
    lazy = lazy.select(selected) if selected is not None else lazy
    # A few rows: skip the query optimiser. Optimising one query of hundreds of expressions costs more than
    # evaluating them on a handful of rows; the optimisations never change results, so neither does this.
    frame = collect(lazy, optimise=len(tables) > UNOPTIMISED_ROWS)
    return Assessment(
        frame=frame,
        facts=facts,
        compiled=compiled,
        library=library,
        purpose=purpose,
        routes=dict(routes or {}),
        overrides=dict(overrides or {}),
    )


# Compiling is pure and depends only on the rulebook, the date and the overrides: cache it, so that the
# single-enterprise path (API, enterprise page) pays only for evaluation.
_COMPILED: dict[tuple[int, str, date, Any, str, Any], Compiled] = {}
_MEASURES: dict[int, tuple[list[pl.Expr], list[pl.Expr]]] = {}


def _compiled(
    library: Library, rb: Any, as_of: date, overrides: dict[str, Any], purpose: str, route: Transition | None
) -> Compiled:
    key = (id(library), rb.id, as_of, hashable(overrides), purpose, route)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) > 256:
            _COMPILED.clear()
        found = compile_rulebook(rb, as_of, library.measures, overrides, purpose)
        found.route = route
        _COMPILED[key] = found
    return found


def route_rulebook(library: Library, tier: str, route: Transition) -> Rulebook:
    """The rulebook that carries a cohort route."""
    return next(rb for rb in library.rulebooks if rb.tier == tier and route in rb.transitions)


def route_groups(
    tables: Tables, as_of: date, purpose: str, library: Library | None = None, tiers: tuple[str, ...] = TIERS
) -> list[tuple[dict[str, Transition], list[int]]]:
    """Split the enterprises by the cohort routes that apply to them on ``as_of`` for ``purpose``.

    A route applies to an enterprise that holds a certification of the route's tier recognised within the
    cohort's dates (e.g. a 小巨人 recognised in 2023, reviewed in 2026 under 63号). Returns (routes by tier,
    eids) groups; the enterprises no route applies to form the group without routes. One group in the usual
    case, so assessing costs one pass."""
    library = library or load_library()
    routes = [(tier, t) for tier in tiers for t, _ in library.cohort_routes(tier, as_of, purpose)]
    eids = tables.enterprises.get_column("eid").to_list()
    if not routes:
        return [({}, eids)]
    members: dict[int, dict[str, Transition]] = {}
    certs = tables.certifications
    for tier, t in routes:
        assert t.cohort is not None
        hit = certs.filter(
            (pl.col("tier") == t.cohort.tier)
            & (pl.col("recognized_on") >= t.cohort.recognized_from)
            & (pl.col("recognized_on") <= t.cohort.recognized_to)
        ).get_column("eid")
        for eid in hit.unique().to_list():
            members.setdefault(eid, {}).setdefault(tier, t)
    groups: dict[tuple[Any, ...], tuple[dict[str, Transition], list[int]]] = {}
    for eid in eids:
        chosen = members.get(eid, {})
        key = tuple(sorted((tier, id(t)) for tier, t in chosen.items()))
        groups.setdefault(key, (chosen, []))[1].append(eid)
    return list(groups.values())


def _measure_columns(library: Library) -> tuple[list[pl.Expr], list[pl.Expr]]:
    found = _MEASURES.get(id(library))
    if found is None:
        found = _MEASURES[id(library)] = (
            [e for m in library.measures.values() for e in measure_helpers(m, DECIMAL_FACTS)],
            [e for m in library.measures.values() for e in measure_expressions(m, DECIMAL_FACTS)],
        )
    return found
