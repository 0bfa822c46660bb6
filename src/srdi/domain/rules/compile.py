"""Compiling measures and rulebooks into Polars expressions, exactly and in three-valued logic.

Measures become pairs of Int128 columns (numerator, denominator ≥ 0) so that every comparison with a
threshold ``p/q`` is a cross-multiplication of integers — no float ever decides a band. Tests become Boolean
columns where null means "unknown"; indicators become ``lo``/``hi`` point columns (equal when known). The
``Compiled`` result lists every column with the rule element it belongs to, so that traces are read from
the very values that decided the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from srdi.domain.rules.facts import LIST_FACTS, ListFactColumn
from srdi.domain.rules.model import SWITCHABLE, Check, Indicator, Measure, Rulebook, Test, Transition
from srdi.domain.rules.parameters import Resolved, RuleDataError, convert_value

I128 = pl.Int128
DECIMAL_SCALE = 10**9
NODE_STAGES = 4  # test trees are at most this deep; deeper trees simply take more passes


def num(mid: str) -> str:
    return f"m:{mid}:num"


def den(mid: str) -> str:
    return f"m:{mid}:den"


def flag(mid: str) -> str:
    return f"m:{mid}:lower_bound"


def _input(name: str, decimal_columns: frozenset[str]) -> tuple[pl.Expr, pl.Expr]:
    if name in decimal_columns:
        return (pl.col(name) * DECIMAL_SCALE).cast(I128), pl.lit(DECIMAL_SCALE, dtype=I128)
    return pl.col(name).cast(I128), pl.lit(1, dtype=I128)


def _growth(cur: pl.Expr, prev: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(cur − prev)/|prev|; a zero base gives ±infinity (den 0) or 0 when nothing changed."""
    diff = cur - prev
    base = prev.abs()
    zero_base = base == 0
    n = pl.when(zero_base & (diff == 0)).then(pl.lit(0, dtype=I128)).otherwise(diff)
    d = pl.when(zero_base & (diff == 0)).then(pl.lit(1, dtype=I128)).otherwise(base)
    return n, d


def _normalise_ratio(n: pl.Expr, d: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A ratio with a zero denominator: 0/0 → 0; x/0 → ±infinity (kept as den 0)."""
    both_zero = (n == 0) & (d == 0)
    return (
        pl.when(both_zero).then(pl.lit(0, dtype=I128)).otherwise(n),
        pl.when(both_zero).then(pl.lit(1, dtype=I128)).otherwise(d),
    )


def _growth_helper_names(mid: str) -> tuple[str, str, str, str]:
    return (f"m:{mid}:g1n", f"m:{mid}:g1d", f"m:{mid}:g2n", f"m:{mid}:g2d")


def measure_helpers(measure: Measure, decimal_columns: frozenset[str]) -> list[pl.Expr]:
    """Intermediate columns a measure needs before its own (the two growth rates of a mean growth)."""
    if measure.kind != "mean_growth":
        return []
    (a, _), (b, _), (c, _) = (_input(i, decimal_columns) for i in measure.inputs)
    n1, d1 = _growth(b, a)
    n2, d2 = _growth(c, b)
    return [e.alias(name) for e, name in zip((n1, d1, n2, d2), _growth_helper_names(measure.id), strict=True)]


def measure_expressions(measure: Measure, decimal_columns: frozenset[str]) -> list[pl.Expr]:
    """Numerator/denominator (and lower-bound flag) columns of one measure."""
    ins = [_input(i, decimal_columns) for i in measure.inputs]
    if measure.kind == "value":
        n, d = ins[0]
    elif measure.kind in ("ratio", "cagr"):  # a cagr is kept as its growth factor last/first
        n, d = _normalise_ratio(ins[0][0], ins[1][0])
    elif measure.kind == "growth":
        n, d = _growth(ins[0][0], ins[1][0])
    elif measure.kind == "sum":
        n = ins[0][0]
        for x, _ in ins[1:]:
            n = n + x
        d = pl.lit(1, dtype=I128)
    elif measure.kind == "mean":
        n = ins[0][0]
        for x, _ in ins[1:]:
            n = n + x
        d = pl.lit(len(ins), dtype=I128)
    elif measure.kind == "mean_growth":
        # The two growth rates are helper columns (see measure_helpers): nesting their expressions here would
        # repeat each subtree several times, which costs little over a million rows but most of a single row.
        n1, d1, n2, d2 = (pl.col(h) for h in _growth_helper_names(measure.id))
        inf1, inf2 = d1 == 0, d2 == 0
        # Mean of two growth rates; an infinite one makes the mean infinite with its sign.
        n = (
            pl.when(inf1 & inf2)
            .then(n1.sign() + n2.sign())
            .when(inf1)
            .then(n1.sign())
            .when(inf2)
            .then(n2.sign())
            .otherwise(n1 * d2 + n2 * d1)
        )
        d = pl.when(inf1 | inf2).then(pl.lit(0, dtype=I128)).otherwise(d1 * d2 * 2)
        n, d = _normalise_ratio(n, d)
    else:  # pragma: no cover - the loader refuses other kinds
        raise ValueError(measure.kind)
    out = [n.cast(I128).alias(num(measure.id)), d.cast(I128).alias(den(measure.id))]
    if measure.lower_bound_flag:
        out.append(pl.col(measure.lower_bound_flag).alias(flag(measure.id)))
    return out


def fraction(value: Any) -> tuple[int, int]:
    """An exact (p, q) with q > 0 for an int or Decimal threshold."""
    if isinstance(value, bool):
        raise TypeError("bool is not a threshold")
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Decimal):
        p, q = value.as_integer_ratio()
        return p, q
    raise TypeError(f"threshold must be int or Decimal, got {value!r}")


def measure_threshold(measure: Measure, value: Any) -> Any:
    """The threshold a measure's columns are compared with: the parameter itself, or for a compound growth rate
    ``t`` over n years the factor (1 + t)^n (exact: ``t`` is a decimal)."""
    if measure.kind == "cagr":
        return (Decimal(1) + Decimal(value)) ** measure.years
    return value


def compare(mid: str, op: str, threshold: Any, *, lower_bound: bool = False) -> pl.Expr:
    """Kleene comparison of a measure with a threshold by cross-multiplication."""
    p, q = fraction(threshold)
    left = pl.col(num(mid)) * pl.lit(q, dtype=I128)
    right = pl.col(den(mid)) * pl.lit(p, dtype=I128)
    result = {
        "ge": left >= right,
        "at_least": left >= right,
        "gt": left > right,
        "le": left <= right,
        "at_most": left <= right,
        "lt": left < right,
    }[op]
    if lower_bound:
        # The measure is a lower bound (some items' amounts are unknown): ≥ decides only when reached.
        return pl.when(result).then(True).when(pl.col(flag(mid))).then(None).otherwise(result)
    return result


@dataclass
class Node:
    """A compiled test node: its column, the source ``Test``, and its children."""

    column: str
    test: Test
    children: list[Node] = field(default_factory=list)
    enabled: bool = True


@dataclass
class CompiledIndicator:
    indicator: Indicator
    lo: str
    hi: str
    steps: list[Node] = field(default_factory=list)
    sub: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Compiled:
    """A rulebook compiled for one ``as_of``: expressions in stages, and where each rule element lives."""

    rulebook: Rulebook
    as_of: date
    inclusive: bool
    params: dict[str, Resolved]
    stages: list[list[pl.Expr]]
    checks: dict[str, Node]
    indicators: dict[str, CompiledIndicator]
    prefix: str
    list_facts: dict[str, ListFactColumn] = field(default_factory=dict)
    purpose: str = "application"
    route: Transition | None = None  # the cohort route that chose this rulebook for some enterprises

    def col(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fact_col(self, fact: str) -> str:
        """The column of a fact: list facts are this tier's own (``<tier>|fact:<name>``), others are shared."""
        return fact_column(self.prefix, fact)


def fact_column(prefix: str, fact: str) -> str:
    return f"{prefix}fact:{fact}" if fact in LIST_FACTS else fact


def hashable(value: Any) -> Any:
    """A hashable copy of a parameter value (lists → tuples, mappings → sorted item tuples)."""
    if isinstance(value, list | tuple):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), hashable(v)) for k, v in value.items()))
    return value


def _resolve(rb: Rulebook, as_of: date) -> dict[str, Resolved]:
    out = {}
    for pid, param in rb.parameters.items():
        resolved = param.at(as_of)
        if resolved is None:
            raise RuleDataError(rb.source, pid, f"参数在 {as_of} 无有效取值")
        out[pid] = resolved
    return out


class _Builder:
    def __init__(self, rb: Rulebook, as_of: date, measures: dict[str, Measure], overrides: dict[str, Any]):
        self.rb = rb
        self.measures = measures
        self.params = _resolve(rb, as_of)
        for pid, raw in overrides.items():
            if pid not in self.params:
                raise RuleDataError(
                    "overrides",
                    f"{rb.tier}.{pid}",
                    f"不是规则库 {rb.id} 的参数，无法覆盖（可覆盖：{', '.join(sorted(self.params))}）",
                )
            r = self.params[pid]
            value = convert_value("overrides", f"{rb.tier}.{pid}", r.unit, raw)
            self.params[pid] = Resolved(
                r.id,
                r.label,
                r.unit,
                r.reference,
                value,
                r.effective_from,
                r.effective_to,
                "本次运行覆盖",
                False,
            )
        self.inclusive = bool(self.params["band_boundaries_inclusive"].value)
        self.prefix = f"{rb.tier}|"
        self.nodes: list[Node] = []

    def value(self, pid: str) -> Any:
        return self.params[pid].value

    def band_op(self, op: str) -> str:
        """The operator of a band-table boundary: ≥/≤, or strict when band_boundaries_inclusive is false."""
        return op if self.inclusive else SWITCHABLE.get(op, op)

    def fact(self, fact: str) -> pl.Expr:
        return pl.col(fact_column(self.prefix, fact))

    def list_facts(self) -> dict[str, ListFactColumn]:
        """The list facts this rulebook reads, with the parameter values that define them."""
        out = {}
        for fact in sorted(self.rb.facts_used() & set(LIST_FACTS)):
            values = tuple((pid, hashable(self.value(pid))) for pid in LIST_FACTS[fact].params)
            out[fact] = ListFactColumn(fact_column(self.prefix, fact), fact, values)
        return out

    def test_expr(self, t: Test) -> pl.Expr:
        if t.kind == "compare":
            m = self.measures[t.measure]
            threshold = measure_threshold(m, self.value(t.param))
            return compare(t.measure, t.op, threshold, lower_bound=bool(m.lower_bound_flag))
        if t.kind == "fact_is":
            return self.fact(t.fact) if t.value else ~self.fact(t.fact)
        if t.kind == "fact_in":
            return self.fact(t.fact).is_in(list(self.value(t.param)))
        kids = [(c, self.enabled(c)) for c in t.children]
        exprs = [self.test_expr(c) for c, on in kids if on]
        if not exprs:
            return pl.lit(t.kind == "all")
        return pl.all_horizontal(exprs) if t.kind == "all" else pl.any_horizontal(exprs)

    def enabled(self, t: Test) -> bool:
        return not t.enabled_by or bool(self.value(t.enabled_by))

    def node(self, column: str, t: Test) -> Node:
        node = Node(column, t, enabled=self.enabled(t))
        if t.kind in ("all", "any"):
            node.children = [self.node(f"{column}/{i}", c) for i, c in enumerate(t.children)]
        self.nodes.append(node)
        return node

    def node_stages(self) -> list[list[pl.Expr]]:
        """Node columns by height: leaves first, then each composite from its children's columns."""
        heights: dict[str, int] = {}

        def height(n: Node) -> int:
            if n.column not in heights:
                heights[n.column] = 0 if not n.children else 1 + max(height(c) for c in n.children)
            return heights[n.column]

        stages: list[list[pl.Expr]] = []
        for n in self.nodes:
            if not n.enabled:
                continue
            h = height(n)
            while len(stages) <= h:
                stages.append([])
            if not n.children:
                expr = self.test_expr(n.test)
            else:
                kids = [pl.col(c.column) for c in n.children if c.enabled]
                if not kids:
                    expr = pl.lit(n.test.kind == "all")
                else:
                    expr = pl.all_horizontal(kids) if n.test.kind == "all" else pl.any_horizontal(kids)
            stages[h].append(expr.alias(n.column))
        return stages

    # ---- indicators -------------------------------------------------------------------------------
    def bands_points(self, mid: str, pid: str, pts_col: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        """(points column expr, lo, hi): lo/hi read the points column and widen it when the measure is unknown."""
        bands = self.value(pid)
        expr: Any = pl
        for band in bands:
            op, bound = ("ge", band["min"]) if "min" in band else ("le", band["max"])
            expr = expr.when(compare(mid, self.band_op(op), bound)).then(
                pl.lit(band["points"], dtype=pl.Int32)
            )
        known = expr.otherwise(pl.lit(0, dtype=pl.Int32))
        unknown = pl.col(num(mid)).is_null() | pl.col(den(mid)).is_null()
        top = max(b["points"] for b in bands)
        return (
            known.alias(pts_col),
            pl.when(unknown).then(pl.lit(0, dtype=pl.Int32)).otherwise(pl.col(pts_col)),
            pl.when(unknown).then(pl.lit(top, dtype=pl.Int32)).otherwise(pl.col(pts_col)),
        )

    def indicator(self, ind: Indicator) -> tuple[CompiledIndicator, list[pl.Expr], list[pl.Expr]]:
        """The indicator's (pre-stage expressions, lo/hi expressions)."""
        lo_col, hi_col = self.prefix + f"{ind.id}|lo", self.prefix + f"{ind.id}|hi"
        ci = CompiledIndicator(ind, lo_col, hi_col)
        pre: list[pl.Expr] = []
        exprs: list[pl.Expr] = []
        if ind.kind in ("bands", "best_of"):
            los, his = [], []
            for i, band in enumerate(ind.bands):
                pts, lo, hi = self.bands_points(band.measure, band.param, self.prefix + f"{ind.id}/b{i}|pts")
                pre.append(pts)
                if ind.kind == "best_of":
                    sub_lo, sub_hi = self.prefix + f"{ind.id}/b{i}|lo", self.prefix + f"{ind.id}/b{i}|hi"
                    exprs += [lo.alias(sub_lo), hi.alias(sub_hi)]
                    ci.sub.append((sub_lo, sub_hi))
                los.append(lo)
                his.append(hi)
            lo_e = los[0] if len(los) == 1 else pl.max_horizontal(los)
            hi_e = his[0] if len(his) == 1 else pl.max_horizontal(his)
        elif ind.kind == "ladder":
            points = self.value(ind.ladder_param)
            steps = [self.node(self.prefix + f"{ind.id}/step:{s.key}", s.test) for s in ind.ladder_steps]
            ci.steps = steps
            low: Any = pl
            high: Any = pl
            for s, node in zip(ind.ladder_steps, steps, strict=True):
                e = pl.col(node.column)  # the step's own column (computed with the other test nodes)
                low = low.when(e.fill_null(False)).then(pl.lit(points[s.key], dtype=pl.Int32))
                high = high.when(e.fill_null(True)).then(pl.lit(points[s.key], dtype=pl.Int32))
            other = pl.lit(points[ind.ladder_otherwise], dtype=pl.Int32)
            lo_e, hi_e = low.otherwise(other), high.otherwise(other)
        elif ind.kind == "map":
            mapping = {str(k).lower(): int(v) for k, v in self.value(ind.param).items()}
            col = self.fact(ind.fact)
            key = col.cast(pl.String).str.to_lowercase()
            known = key.replace_strict(mapping, default=0, return_dtype=pl.Int32)
            lo_e = pl.when(col.is_null()).then(pl.lit(min(mapping.values()), dtype=pl.Int32)).otherwise(known)
            hi_e = pl.when(col.is_null()).then(pl.lit(max(mapping.values()), dtype=pl.Int32)).otherwise(known)
        elif ind.kind == "per_item":
            per = int(self.value(ind.param))
            cap = int(self.value(ind.cap_param))
            yes = pl.sum_horizontal([self.fact(f).fill_null(False).cast(pl.Int32) for f in ind.facts])
            maybe = pl.sum_horizontal([self.fact(f).fill_null(True).cast(pl.Int32) for f in ind.facts])
            lo_e = pl.min_horizontal(yes * per, pl.lit(cap, dtype=pl.Int32))
            hi_e = pl.min_horizontal(maybe * per, pl.lit(cap, dtype=pl.Int32))
        elif ind.kind == "step":
            step = int(self.value(ind.step_param))
            cap = int(self.value(ind.cap_param))
            n, d = pl.col(num(ind.measure)), pl.col(den(ind.measure))
            pts = (n // (d * step)).clip(0, cap).cast(pl.Int32)
            lo_e = pl.when(n.is_null()).then(pl.lit(0, dtype=pl.Int32)).otherwise(pts)
            hi_e = pl.when(n.is_null()).then(pl.lit(cap, dtype=pl.Int32)).otherwise(pts)
        else:  # input
            top = int(self.value(ind.max_param))
            n, d = pl.col(num(ind.measure)), pl.col(den(ind.measure))
            pts = (n // d).clip(0, top).cast(pl.Int32)
            lo_e = pl.when(n.is_null()).then(pl.lit(0, dtype=pl.Int32)).otherwise(pts)
            hi_e = pl.when(n.is_null()).then(pl.lit(top, dtype=pl.Int32)).otherwise(pts)
        exprs += [lo_e.alias(lo_col), hi_e.alias(hi_col)]
        return ci, pre, exprs

    def threshold(self, lo: str, hi: str, pid: str) -> pl.Expr:
        """Kleene ``score ≥ min`` from score bounds (“60分以上”, “不低于20分”: always inclusive)."""
        minimum = int(self.value(pid))
        reached = pl.col(lo) >= minimum
        out_of_reach = pl.col(hi) < minimum
        return pl.when(reached).then(True).when(out_of_reach).then(False).otherwise(None)


def compile_rulebook(
    rb: Rulebook,
    as_of: date,
    measures: dict[str, Measure],
    overrides: dict[str, Any] | None = None,
    purpose: str = "application",
    prefix: str | None = None,
) -> Compiled:
    """Compile one rulebook for ``as_of`` and a purpose (认定 or 复核: a check for the other purpose is left out;
    measures must be computed in an earlier stage). Its columns are named ``<tier>|…`` unless ``prefix`` says
    otherwise (a second copy of a rulebook in the same query, e.g. the six-dimension yardstick)."""
    b = _Builder(rb, as_of, measures, overrides or {})
    if prefix is not None:
        b.prefix = prefix
    p = b.prefix
    checks: dict[str, Node] = {}

    def section(items: tuple[Check, ...]) -> list[str]:
        cols = []
        for c in items:
            if (c.enabled_by and not b.value(c.enabled_by)) or not c.applies_to(purpose):
                continue
            assert c.test is not None
            checks[c.id] = b.node(p + c.id, c.test)
            cols.append(p + c.id)
        return cols

    prereq_cols = section(rb.prerequisites)
    general_cols = section(rb.general)
    direct_cols = section(rb.direct)
    indicators: dict[str, CompiledIndicator] = {}
    pre_points: list[pl.Expr] = []
    stage2: list[pl.Expr] = []
    if rb.score is not None:
        for ind in rb.score.indicators:
            ci, pre, exprs = b.indicator(ind)
            indicators[ind.id] = ci
            pre_points += pre
            stage2 += exprs
    node_stages = b.node_stages()
    node_stages[0] = node_stages[0] + pre_points

    stage3: list[pl.Expr] = []
    routes: list[pl.Expr] = []
    if rb.score is not None:
        group_oks = []
        for g in rb.score.groups:
            members = [indicators[i.id] for i in rb.score.indicators if i.group == g.id]
            stage3 += [
                pl.sum_horizontal([pl.col(m.lo) for m in members]).alias(p + f"group:{g.id}|lo"),
                pl.sum_horizontal([pl.col(m.hi) for m in members]).alias(p + f"group:{g.id}|hi"),
            ]
        all_members = list(indicators.values())
        stage3 += [
            pl.sum_horizontal([pl.col(m.lo) for m in all_members]).alias(p + "total|lo"),
            pl.sum_horizontal([pl.col(m.hi) for m in all_members]).alias(p + "total|hi"),
        ]
        stage4_groups = []
        for g in rb.score.groups:
            if g.min_param:
                stage4_groups.append(
                    b.threshold(p + f"group:{g.id}|lo", p + f"group:{g.id}|hi", g.min_param).alias(
                        p + f"group:{g.id}|ok"
                    )
                )
                group_oks.append(p + f"group:{g.id}|ok")
        total_ok = b.threshold(p + "total|lo", p + "total|hi", rb.score.total_min_param).alias(p + "total|ok")
        stage4 = [*stage4_groups, total_ok]
    else:
        stage4 = []
        group_oks = []
    stage5: list[pl.Expr] = [
        (pl.all_horizontal([pl.col(c) for c in prereq_cols]) if prereq_cols else pl.lit(True)).alias(
            p + "prerequisites"
        ),
    ]
    if rb.score is not None:
        stage5.append(
            pl.all_horizontal([pl.col(p + "total|ok"), *[pl.col(c) for c in group_oks]]).alias(p + "score_ok")
        )
        routes.append(pl.col(p + "score_ok"))
    if general_cols:
        stage5.append(pl.all_horizontal([pl.col(c) for c in general_cols]).alias(p + "general_ok"))
        routes.append(pl.col(p + "general_ok"))
    if direct_cols:
        stage5.append(pl.any_horizontal([pl.col(c) for c in direct_cols]).alias(p + "direct_ok"))
        routes.append(pl.col(p + "direct_ok"))
    eligible = pl.col(p + "prerequisites")
    if routes:
        eligible = pl.all_horizontal([eligible, pl.any_horizontal(routes)])
    standard = [pl.col(p + "score_ok")] if rb.score is not None else []
    if general_cols:
        standard.append(pl.col(p + "general_ok"))
    route: pl.Expr
    if routes:
        standard_ok = pl.any_horizontal(standard) if standard else pl.lit(False)
        route = (
            pl.when(pl.col(p + "eligible").fill_null(False))
            .then(pl.when(standard_ok.fill_null(False)).then(pl.lit("score")).otherwise(pl.lit("direct")))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
    else:
        route = pl.lit(None, dtype=pl.String)
    stage6 = [eligible.alias(p + "eligible")]
    score_expr = (
        pl.when(pl.col(p + "total|lo") == pl.col(p + "total|hi")).then(pl.col(p + "total|lo")).otherwise(None)
        if rb.score is not None
        else pl.lit(None, dtype=pl.Int32)
    )
    stage7 = [
        pl.when(pl.col(p + "eligible"))
        .then(pl.lit("eligible"))
        .when(~pl.col(p + "eligible"))
        .then(pl.lit("ineligible"))
        .otherwise(pl.lit("needs_data"))
        .alias(p + "status"),
        route.alias(p + "route"),
        score_expr.cast(pl.Int32).alias(p + "score"),
    ]
    # Pad node stages so that every tier's later stages line up in the engine's passes.
    while len(node_stages) < NODE_STAGES:
        node_stages.append([])
    return Compiled(
        rb,
        as_of,
        b.inclusive,
        b.params,
        [*node_stages, stage2, stage3, stage4, stage5, stage6, stage7],
        checks,
        indicators,
        p,
        b.list_facts(),
        purpose,
    )
