"""Running the rulebooks in force over a set of enterprises, row by row or column-wise.

Use ``assess(tables, as_of)``: it builds the facts, computes every measure, test and indicator of every tier
(the stages of ``srdi.domain.rules.expr`` expressions ``compile.py`` builds), and returns an ``Assessment``
holding the result and the compiled rulebooks. The same call serves one profile and a million, with one of two
backends lowered from the same expressions:

- **scalar** (up to ``SCALAR_ROWS`` enterprises): the generated Python program (``scalar.ScalarProgram``)
  evaluates each facts row dict (``_scalar_fact_rows``: plain rows in, ``scalar_facts`` out, no Polars). A
  Polars query costs ~15 ms whatever the row count; facts and program cost ~0.1 ms a row.
- **columnar** (more): one Polars pass per stage, one ``collect``.

The crossover was measured with ``python -m benchmarks profile`` (docs/performance.md, "One profile in process;
scalar and columnar backends"): the scalar path is cheaper up to between 128 and 256 demo-generator
enterprises. ``srdi.domain.rules.explain`` turns a row back into the contract's result
with its full trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cached_property
from typing import Any

import polars as pl

from srdi.domain.rules import expr as ir
from srdi.domain.rules.compile import (
    Compiled,
    compile_rulebook,
    hashable,
    measure_expressions,
    measure_helpers,
)
from srdi.domain.rules.expr import stages_to_polars
from srdi.domain.rules.facts import FactOptions, Facts, build_facts, collect
from srdi.domain.rules.model import Rulebook, Transition
from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.rules.rulebook import TIERS, Library, load_library
from srdi.domain.rules.scalar import ScalarProgram
from srdi.domain.rules.scalar_facts import build_fact_rows
from srdi.domain.rules.widths import Narrowing, input_bounds, narrowing, read_columns
from srdi.domain.tables import RowTables, Tables

DECIMAL_FACTS = frozenset(
    {"mp_niche_market_share", "mp_revenue_share", "platform_score[A]", "platform_score[A-1]"}
)
# Up to this many enterprises the query runs without the optimiser (measured faster; see ``assess``).
UNOPTIMISED_ROWS = 4096
# Up to this many enterprises ``assess`` evaluates the generated scalar program row by row; above, one Polars
# query (measured crossover: docs/performance.md, "Scalar and columnar backends").
SCALAR_ROWS = 128
# Above this many enterprises the columnar path narrows its arithmetic to 64 bits where the batch's magnitudes
# allow (``widths``); below, measuring them and lowering a narrowed plan would cost more than it saves.
NARROW_ROWS = UNOPTIMISED_ROWS


_FORCED: ContextVar[str | None] = ContextVar("srdi_rules_backend", default=None)


@contextmanager
def forced_backend(name: str) -> Iterator[None]:
    """Within the block, every ``assess`` without its own ``backend`` uses ``name`` ("scalar"/"columnar"),
    including the re-assessments of gap planning: how the differential test runs the contract both ways."""
    if name not in ("scalar", "columnar"):
        raise ValueError(f"unknown backend {name!r} (scalar or columnar)")
    token = _FORCED.set(name)
    try:
        yield
    finally:
        _FORCED.reset(token)


class NoRulebook(RuleDataError):
    """No rulebook is in force for a tier on the requested date."""


class Assessment:
    """Every column the rules computed, the facts they read, and the compiled rulebooks by tier.

    ``backend`` says how it was computed: ``"columnar"`` (one Polars query; ``frame`` is the result) or
    ``"scalar"`` (the generated Python program per facts row; ``row(i)`` is the computed dict and ``frame`` is
    built from the rows, with the columnar schema, only when someone asks for it).
    """

    def __init__(
        self,
        *,
        compiled: dict[str, Compiled],
        library: Library,
        as_of: date,
        frame: pl.DataFrame | None = None,
        rows: list[dict[str, Any]] | None = None,
        frame_of_rows: Callable[[list[dict[str, Any]]], pl.DataFrame] | None = None,
        facts: Facts | Callable[[], Facts] | None = None,
        purpose: str = "application",
        routes: dict[str, Transition] | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
        backend: str = "columnar",
    ):
        if frame is None and rows is None:
            raise ValueError("an assessment needs its frame or its rows")
        self.compiled = compiled
        self.library = library
        self.as_of = as_of
        self.year = as_of.year - 1  # Y, the year of the figures (as the facts query takes it)
        self.purpose = purpose
        self.routes = dict(routes or {})
        self.overrides = dict(overrides or {})
        self.backend = backend
        self._frame = frame
        self._rows = rows
        self._frame_of_rows = frame_of_rows
        self._facts = facts
        # (row index, tier) → the tier's contract result, worked out once (``explain.tier_result``).
        self.traces: dict[tuple[int, str], dict[str, Any]] = {}

    @property
    def facts(self) -> Facts:
        """The facts query the rules read (built on first use on the scalar path)."""
        if callable(self._facts):
            self._facts = self._facts()
        assert self._facts is not None
        return self._facts

    @property
    def frame(self) -> pl.DataFrame:
        """Every column as one frame (on the scalar path built from the rows now, with the columnar schema)."""
        if self._frame is None:
            assert self._rows is not None and self._frame_of_rows is not None
            self._frame = self._frame_of_rows(self._rows)
        return self._frame

    @property
    def height(self) -> int:
        return len(self._rows) if self._rows is not None else self.frame.height

    def row(self, index: int) -> dict[str, Any]:
        """One enterprise's columns by name (read-only: small assessments share one dict per row)."""
        if self._rows is None:
            if self.frame.height > UNOPTIMISED_ROWS:
                return self.frame.row(index, named=True)
            # Explaining and gap planning read each row several times; converting them together is cheaper.
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
    tables: Tables | RowTables,
    as_of: date,
    *,
    tiers: tuple[str, ...] = TIERS,
    library: Library | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    extra: Callable[[dict[str, Compiled]], list[list[ir.Expr]]] | None = None,
    keep: Callable[[dict[str, Compiled]], list[str]] | None = None,
    purpose: str = "application",
    routes: dict[str, Transition] | None = None,
    backend: str | None = None,
) -> Assessment:
    """Assess every enterprise in ``tables`` against the rulebooks in force on ``as_of`` for ``purpose``.

    ``routes`` replaces a tier's rulebook by the one a cohort route keeps in force (``route_groups`` splits the
    enterprises by the routes that apply to them). ``extra`` adds further expression stages computed from the
    rule columns (the six-dimension profile); ``keep`` limits the collected columns (whole-city screening
    keeps the summary only, so that the traces of a million rows are never materialised — any row can be
    explained again by assessing it alone). ``backend`` forces ``"scalar"`` or ``"columnar"``; by default up to
    ``SCALAR_ROWS`` enterprises are evaluated by the scalar program, more by one Polars query. ``tables`` may be
    plain rows (``RowTables``, what the contract and gap planning build): the scalar path reads them as they
    are, the columnar path makes them frames first.
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
    options = fact_options(library, as_of, compiled)
    plan = _plan(library, compiled, extra(compiled) if extra else None)
    selected = keep(compiled) if keep is not None else None
    chosen = backend or _FORCED.get() or ("scalar" if len(tables) <= SCALAR_ROWS else "columnar")
    common: dict[str, Any] = {
        "compiled": compiled,
        "library": library,
        "as_of": as_of,
        "purpose": purpose,
        "routes": routes,
        "overrides": overrides,
    }
    if chosen == "scalar":
        rows = plan.program().evaluate(_scalar_fact_rows(tables, as_of, options))
        if selected is not None:
            rows = [{k: r[k] for k in selected} for r in rows]

        def facts() -> Facts:
            return build_facts(_frames(tables), as_of, options)

        def frame_of_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
            schema = plan.query(facts().frame, selected).collect_schema()
            return pl.DataFrame(rows, schema=schema, orient="row")

        return Assessment(rows=rows, frame_of_rows=frame_of_rows, facts=facts, backend="scalar", **common)
    if chosen != "columnar":
        raise ValueError(f"unknown backend {chosen!r} (scalar or columnar)")
    built = build_facts(_frames(tables), as_of, options)
    # A few rows: skip the query optimiser. Optimising one query of hundreds of expressions costs more than
    # evaluating them on a handful of rows; the optimisations never change results, so neither does this.
    optimise = len(tables) > UNOPTIMISED_ROWS
    if len(tables) > NARROW_ROWS:
        facts_frame = collect(built.frame, optimise=optimise)
        # The facts' magnitudes decide which expressions may compute in 64 bits (``widths``).
        narrowed = plan.narrowing(input_bounds(facts_frame, plan.inputs))
        frame = collect(plan.query(facts_frame.lazy(), selected, narrowed), optimise=optimise)
    else:
        frame = collect(plan.query(built.frame, selected), optimise=optimise)
    return Assessment(frame=frame, facts=built, backend="columnar", **common)


def _scalar_fact_rows(tables: Tables | RowTables, as_of: date, options: FactOptions) -> list[dict[str, Any]]:
    """The facts rows of the scalar path, in plain Python (``scalar_facts``: the rows ``frame.rows(named=True)``
    of the Polars facts query would give, held equal by the differential tests)."""
    rows = tables if isinstance(tables, RowTables) else RowTables.from_tables(tables)
    return build_fact_rows(rows, as_of, options)


def _frames(tables: Tables | RowTables) -> Tables:
    return tables.to_tables() if isinstance(tables, RowTables) else tables


class _Plan:
    """The stages of one set of compiled rulebooks (+ extra stages), lowered to Polars and to Python on demand.

    On the columnar path the stages are first narrowed to 64-bit arithmetic where the batch's magnitudes allow
    (``widths``); each narrowing and its Polars lowering are kept, as batches of similar magnitude share them."""

    CACHED_NARROWINGS = 16

    def __init__(self, stages: list[list[ir.Expr]], keepalive: Any):
        self.stages = stages
        self._keepalive = keepalive  # the objects whose ids make the cache key
        self._polars: dict[Any, list[list[pl.Expr]]] = {}
        self._narrowings: dict[tuple[tuple[str, int | None], ...], Narrowing] = {}
        self._program: ScalarProgram | None = None

    @cached_property
    def inputs(self) -> list[str]:
        """The input columns the stages read (measured for narrowing; a scalar-only plan never needs them)."""
        return read_columns(self.stages)

    def narrowing(self, bounds: dict[str, int | None]) -> Narrowing:
        key = tuple(sorted(bounds.items()))
        found = self._narrowings.get(key)
        if found is None:
            if len(self._narrowings) >= self.CACHED_NARROWINGS:
                self._narrowings.clear()
            found = self._narrowings[key] = narrowing(self.stages, bounds)
        return found

    def polars(self, narrowed: Narrowing | None = None) -> list[list[pl.Expr]]:
        key = narrowed.fitting if narrowed is not None else None
        found = self._polars.get(key)
        if found is None:
            if len(self._polars) >= self.CACHED_NARROWINGS:
                self._polars.clear()
            found = self._polars[key] = stages_to_polars(narrowed.stages if narrowed else self.stages)
        return found

    def program(self) -> ScalarProgram:
        if self._program is None:
            self._program = ScalarProgram(self.stages)
        return self._program

    def query(
        self, lazy: pl.LazyFrame, selected: list[str] | None, narrowed: Narrowing | None = None
    ) -> pl.LazyFrame:
        for stage in self.polars(narrowed):
            lazy = lazy.with_columns(stage)
        # Columns computed in 64 bits leave as the 128-bit integers they are compiled as.
        wide = narrowed.narrowed if narrowed is not None else frozenset()
        if selected is not None:
            return lazy.select([pl.col(c).cast(pl.Int128) if c in wide else pl.col(c) for c in selected])
        return lazy.with_columns([pl.col(c).cast(pl.Int128) for c in sorted(wide)]) if wide else lazy


_PLANS: dict[tuple[Any, ...], _Plan] = {}


def _plan(library: Library, compiled: dict[str, Compiled], extra: list[list[ir.Expr]] | None) -> _Plan:
    """The cached plan: keyed like ``_COMPILED`` (the compiled objects it is made of, and the extra stages)."""
    key = (
        id(library),
        tuple((t, id(c)) for t, c in compiled.items()),
        id(extra) if extra is not None else None,
    )
    found = _PLANS.get(key)
    if found is None:
        if len(_PLANS) > 64:
            _PLANS.clear()
        helpers, measures = _measure_columns(library)
        stages: list[list[ir.Expr]] = [helpers, measures]
        for i in range(max(len(c.stages) for c in compiled.values())):
            exprs = [e for c in compiled.values() if i < len(c.stages) for e in c.stages[i]]
            if exprs:
                stages.append(exprs)
        stages += extra or []
        found = _PLANS[key] = _Plan(stages, (library, dict(compiled), extra))
    return found


# Compiling is pure and depends only on the rulebook, the date and the overrides: cache it, so that the
# single-enterprise path (API, enterprise page) pays only for evaluation.
_COMPILED: dict[tuple[int, str, date, Any, str, Any], Compiled] = {}
_MEASURES: dict[int, tuple[list[ir.Expr], list[ir.Expr]]] = {}


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
    tables: Tables | RowTables,
    as_of: date,
    purpose: str,
    library: Library | None = None,
    tiers: tuple[str, ...] = TIERS,
) -> list[tuple[dict[str, Transition], list[int]]]:
    """Split the enterprises by the cohort routes that apply to them on ``as_of`` for ``purpose``.

    A route applies to an enterprise that holds a certification of the route's tier recognised within the
    cohort's dates (e.g. a 小巨人 recognised in 2023, reviewed in 2026 under 63号). Returns (routes by tier,
    eids) groups; the enterprises no route applies to form the group without routes. One group in the usual
    case, so assessing costs one pass."""
    library = library or load_library()
    routes = [(tier, t) for tier in tiers for t, _ in library.cohort_routes(tier, as_of, purpose)]
    eids = (
        [r["eid"] for r in tables.enterprises]
        if isinstance(tables, RowTables)
        else tables.enterprises.get_column("eid").to_list()
    )
    if not routes:
        return [({}, eids)]
    members: dict[int, dict[str, Transition]] = {}
    if isinstance(tables, RowTables) or tables.certifications.height <= UNOPTIMISED_ROWS:
        # A few rows: one pass in Python (a filter query per route costs more than the rows).
        certs = (
            [(c["eid"], c["tier"], c["recognized_on"]) for c in tables.certifications]
            if isinstance(tables, RowTables)
            else tables.certifications.select("eid", "tier", "recognized_on").rows()
        )
        for tier, t in routes:
            cohort = t.cohort
            assert cohort is not None
            for eid, cert_tier, recognized in certs:
                if (
                    cert_tier == cohort.tier
                    and recognized is not None
                    and cohort.recognized_from <= recognized <= cohort.recognized_to
                ):
                    members.setdefault(eid, {}).setdefault(tier, t)
    else:
        for tier, t in routes:
            assert t.cohort is not None
            hit = tables.certifications.filter(
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


def _measure_columns(library: Library) -> tuple[list[ir.Expr], list[ir.Expr]]:
    found = _MEASURES.get(id(library))
    if found is None:
        found = _MEASURES[id(library)] = (
            [e for m in library.measures.values() for e in measure_helpers(m, DECIMAL_FACTS)],
            [e for m in library.measures.values() for e in measure_expressions(m, DECIMAL_FACTS)],
        )
    return found
