"""Compiling measures and rulebooks into rule expressions (``rules.expr``), exactly and in three-valued logic.

Measures become pairs of Int128 columns (numerator, denominator ≥ 0) so that every comparison with a
threshold ``p/q`` is a cross-multiplication of integers — no float ever decides a band. Tests become Boolean
columns where null means "unknown"; indicators become ``lo``/``hi`` point columns (equal when known). The
``Compiled`` result lists every column with the rule element it belongs to, so that traces are read from
the very values that decided the outcome. The expressions are lowered to Polars (``expr.to_polars``) or to the
generated scalar program (``scalar.ScalarProgram``) by the engine; nothing here is written for one backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from srdi.domain.rules import expr as ir
from srdi.domain.rules.facts import LIST_FACTS, ListFactColumn
from srdi.domain.rules.model import SWITCHABLE, Check, Indicator, Measure, Rulebook, Test, Transition
from srdi.domain.rules.parameters import Resolved, RuleDataError, convert_value

I128 = ir.Int128
DECIMAL_SCALE = 10**9
NODE_STAGES = 4  # test trees are at most this deep; deeper trees simply take more passes


def num(mid: str) -> str:
    return f"m:{mid}:num"


def den(mid: str) -> str:
    return f"m:{mid}:den"


def flag(mid: str) -> str:
    return f"m:{mid}:lower_bound"


def _input(name: str, decimal_columns: frozenset[str]) -> tuple[ir.Expr, ir.Expr]:
    if name in decimal_columns:
        return (ir.col(name) * DECIMAL_SCALE).cast(I128), ir.lit(DECIMAL_SCALE, dtype=I128)
    return ir.col(name).cast(I128), ir.lit(1, dtype=I128)


def _growth(cur: ir.Expr, prev: ir.Expr) -> tuple[ir.Expr, ir.Expr]:
    """(cur − prev)/|prev|; a zero base gives ±infinity (den 0) or 0 when nothing changed."""
    diff = cur - prev
    base = prev.abs()
    zero_base = base == 0
    n = ir.when(zero_base & (diff == 0)).then(ir.lit(0, dtype=I128)).otherwise(diff)
    d = ir.when(zero_base & (diff == 0)).then(ir.lit(1, dtype=I128)).otherwise(base)
    return n, d


def _normalise_ratio(n: ir.Expr, d: ir.Expr) -> tuple[ir.Expr, ir.Expr]:
    """A ratio with a zero denominator: 0/0 → 0; x/0 → ±infinity (kept as den 0)."""
    both_zero = (n == 0) & (d == 0)
    return (
        ir.when(both_zero).then(ir.lit(0, dtype=I128)).otherwise(n),
        ir.when(both_zero).then(ir.lit(1, dtype=I128)).otherwise(d),
    )


def _growth_helper_names(mid: str) -> tuple[str, str, str, str]:
    return (f"m:{mid}:g1n", f"m:{mid}:g1d", f"m:{mid}:g2n", f"m:{mid}:g2d")


def measure_helpers(measure: Measure, decimal_columns: frozenset[str]) -> list[ir.Expr]:
    """Intermediate columns a measure needs before its own (the two growth rates of a mean growth)."""
    if measure.kind != "mean_growth":
        return []
    (a, _), (b, _), (c, _) = (_input(i, decimal_columns) for i in measure.inputs)
    n1, d1 = _growth(b, a)
    n2, d2 = _growth(c, b)
    return [e.alias(name) for e, name in zip((n1, d1, n2, d2), _growth_helper_names(measure.id), strict=True)]


def measure_expressions(measure: Measure, decimal_columns: frozenset[str]) -> list[ir.Expr]:
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
        d = ir.lit(1, dtype=I128)
    elif measure.kind == "mean":
        n = ins[0][0]
        for x, _ in ins[1:]:
            n = n + x
        d = ir.lit(len(ins), dtype=I128)
    elif measure.kind == "mean_growth":
        # The two growth rates are helper columns (see measure_helpers): nesting their expressions here would
        # repeat each subtree several times, which costs little over a million rows but most of a single row.
        n1, d1, n2, d2 = (ir.col(h) for h in _growth_helper_names(measure.id))
        inf1, inf2 = d1 == 0, d2 == 0
        # Mean of two growth rates; an infinite one makes the mean infinite with its sign.
        n = (
            ir.when(inf1 & inf2)
            .then(n1.sign() + n2.sign())
            .when(inf1)
            .then(n1.sign())
            .when(inf2)
            .then(n2.sign())
            .otherwise(n1 * d2 + n2 * d1)
        )
        d = ir.when(inf1 | inf2).then(ir.lit(0, dtype=I128)).otherwise(d1 * d2 * 2)
        n, d = _normalise_ratio(n, d)
    else:  # pragma: no cover - the loader refuses other kinds
        raise ValueError(measure.kind)
    out = [n.cast(I128).alias(num(measure.id)), d.cast(I128).alias(den(measure.id))]
    if measure.lower_bound_flag:
        out.append(ir.col(measure.lower_bound_flag).alias(flag(measure.id)))
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


def compare(mid: str, op: str, threshold: Any, *, lower_bound: bool = False) -> ir.Expr:
    """Kleene comparison of a measure with a threshold by cross-multiplication."""
    p, q = fraction(threshold)
    left = ir.col(num(mid)) * ir.lit(q, dtype=I128)
    right = ir.col(den(mid)) * ir.lit(p, dtype=I128)
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
        return ir.when(result).then(True).when(ir.col(flag(mid))).then(None).otherwise(result)
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
    stages: list[list[ir.Expr]]
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

    def fact(self, fact: str) -> ir.Expr:
        return ir.col(fact_column(self.prefix, fact))

    def list_facts(self) -> dict[str, ListFactColumn]:
        """The list facts this rulebook reads, with the parameter values that define them."""
        out = {}
        for fact in sorted(self.rb.facts_used() & set(LIST_FACTS)):
            values = tuple((pid, hashable(self.value(pid))) for pid in LIST_FACTS[fact].params)
            out[fact] = ListFactColumn(fact_column(self.prefix, fact), fact, values)
        return out

    def test_expr(self, t: Test) -> ir.Expr:
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
            return ir.lit(t.kind == "all")
        return ir.all_horizontal(exprs) if t.kind == "all" else ir.any_horizontal(exprs)

    def enabled(self, t: Test) -> bool:
        return not t.enabled_by or bool(self.value(t.enabled_by))

    def node(self, column: str, t: Test) -> Node:
        node = Node(column, t, enabled=self.enabled(t))
        if t.kind in ("all", "any"):
            node.children = [self.node(f"{column}/{i}", c) for i, c in enumerate(t.children)]
        self.nodes.append(node)
        return node

    def node_stages(self) -> list[list[ir.Expr]]:
        """Node columns by height: leaves first, then each composite from its children's columns."""
        heights: dict[str, int] = {}

        def height(n: Node) -> int:
            if n.column not in heights:
                heights[n.column] = 0 if not n.children else 1 + max(height(c) for c in n.children)
            return heights[n.column]

        stages: list[list[ir.Expr]] = []
        for n in self.nodes:
            if not n.enabled:
                continue
            h = height(n)
            while len(stages) <= h:
                stages.append([])
            if not n.children:
                expr = self.test_expr(n.test)
            else:
                kids = [ir.col(c.column) for c in n.children if c.enabled]
                if not kids:
                    expr = ir.lit(n.test.kind == "all")
                else:
                    expr = ir.all_horizontal(kids) if n.test.kind == "all" else ir.any_horizontal(kids)
            stages[h].append(expr.alias(n.column))
        return stages

    # ---- indicators -------------------------------------------------------------------------------
    def bands_points(self, mid: str, pid: str, pts_col: str) -> tuple[ir.Expr, ir.Expr, ir.Expr]:
        """(points column expr, lo, hi): lo/hi read the points column and widen it when the measure is unknown."""
        bands = self.value(pid)
        expr: Any = ir
        for band in bands:
            op, bound = ("ge", band["min"]) if "min" in band else ("le", band["max"])
            expr = expr.when(compare(mid, self.band_op(op), bound)).then(
                ir.lit(band["points"], dtype=ir.Int32)
            )
        known = expr.otherwise(ir.lit(0, dtype=ir.Int32))
        unknown = ir.col(num(mid)).is_null() | ir.col(den(mid)).is_null()
        top = max(b["points"] for b in bands)
        return (
            known.alias(pts_col),
            ir.when(unknown).then(ir.lit(0, dtype=ir.Int32)).otherwise(ir.col(pts_col)),
            ir.when(unknown).then(ir.lit(top, dtype=ir.Int32)).otherwise(ir.col(pts_col)),
        )

    def indicator(self, ind: Indicator) -> tuple[CompiledIndicator, list[ir.Expr], list[ir.Expr]]:
        """The indicator's (pre-stage expressions, lo/hi expressions)."""
        lo_col, hi_col = self.prefix + f"{ind.id}|lo", self.prefix + f"{ind.id}|hi"
        ci = CompiledIndicator(ind, lo_col, hi_col)
        pre: list[ir.Expr] = []
        exprs: list[ir.Expr] = []
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
            lo_e = los[0] if len(los) == 1 else ir.max_horizontal(los)
            hi_e = his[0] if len(his) == 1 else ir.max_horizontal(his)
        elif ind.kind == "ladder":
            points = self.value(ind.ladder_param)
            steps = [self.node(self.prefix + f"{ind.id}/step:{s.key}", s.test) for s in ind.ladder_steps]
            ci.steps = steps
            low: Any = ir
            high: Any = ir
            for s, node in zip(ind.ladder_steps, steps, strict=True):
                e = ir.col(node.column)  # the step's own column (computed with the other test nodes)
                low = low.when(e.fill_null(False)).then(ir.lit(points[s.key], dtype=ir.Int32))
                high = high.when(e.fill_null(True)).then(ir.lit(points[s.key], dtype=ir.Int32))
            other = ir.lit(points[ind.ladder_otherwise], dtype=ir.Int32)
            lo_e, hi_e = low.otherwise(other), high.otherwise(other)
        elif ind.kind == "map":
            mapping = {str(k).lower(): int(v) for k, v in self.value(ind.param).items()}
            col = self.fact(ind.fact)
            key = col.cast(ir.String).str.to_lowercase()
            known = key.replace_strict(mapping, default=0, return_dtype=ir.Int32)
            lo_e = ir.when(col.is_null()).then(ir.lit(min(mapping.values()), dtype=ir.Int32)).otherwise(known)
            hi_e = ir.when(col.is_null()).then(ir.lit(max(mapping.values()), dtype=ir.Int32)).otherwise(known)
        elif ind.kind == "per_item":
            per = int(self.value(ind.param))
            cap = int(self.value(ind.cap_param))
            yes = ir.sum_horizontal([self.fact(f).fill_null(False).cast(ir.Int32) for f in ind.facts])
            maybe = ir.sum_horizontal([self.fact(f).fill_null(True).cast(ir.Int32) for f in ind.facts])
            lo_e = ir.min_horizontal(yes * per, ir.lit(cap, dtype=ir.Int32))
            hi_e = ir.min_horizontal(maybe * per, ir.lit(cap, dtype=ir.Int32))
        elif ind.kind == "step":
            step = int(self.value(ind.step_param))
            cap = int(self.value(ind.cap_param))
            n, d = ir.col(num(ind.measure)), ir.col(den(ind.measure))
            pts = (n // (d * step)).clip(0, cap).cast(ir.Int32)
            lo_e = ir.when(n.is_null()).then(ir.lit(0, dtype=ir.Int32)).otherwise(pts)
            hi_e = ir.when(n.is_null()).then(ir.lit(cap, dtype=ir.Int32)).otherwise(pts)
        else:  # input
            top = int(self.value(ind.max_param))
            n, d = ir.col(num(ind.measure)), ir.col(den(ind.measure))
            pts = (n // d).clip(0, top).cast(ir.Int32)
            lo_e = ir.when(n.is_null()).then(ir.lit(0, dtype=ir.Int32)).otherwise(pts)
            hi_e = ir.when(n.is_null()).then(ir.lit(top, dtype=ir.Int32)).otherwise(pts)
        exprs += [lo_e.alias(lo_col), hi_e.alias(hi_col)]
        return ci, pre, exprs

    def threshold(self, lo: str, hi: str, pid: str) -> ir.Expr:
        """Kleene ``score ≥ min`` from score bounds (“60分以上”, “不低于20分”: always inclusive)."""
        minimum = int(self.value(pid))
        reached = ir.col(lo) >= minimum
        out_of_reach = ir.col(hi) < minimum
        return ir.when(reached).then(True).when(out_of_reach).then(False).otherwise(None)


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
    pre_points: list[ir.Expr] = []
    stage2: list[ir.Expr] = []
    if rb.score is not None:
        for ind in rb.score.indicators:
            ci, pre, exprs = b.indicator(ind)
            indicators[ind.id] = ci
            pre_points += pre
            stage2 += exprs
    node_stages = b.node_stages()
    node_stages[0] = node_stages[0] + pre_points

    stage3: list[ir.Expr] = []
    routes: list[ir.Expr] = []
    if rb.score is not None:
        group_oks = []
        for g in rb.score.groups:
            members = [indicators[i.id] for i in rb.score.indicators if i.group == g.id]
            stage3 += [
                ir.sum_horizontal([ir.col(m.lo) for m in members]).alias(p + f"group:{g.id}|lo"),
                ir.sum_horizontal([ir.col(m.hi) for m in members]).alias(p + f"group:{g.id}|hi"),
            ]
        all_members = list(indicators.values())
        stage3 += [
            ir.sum_horizontal([ir.col(m.lo) for m in all_members]).alias(p + "total|lo"),
            ir.sum_horizontal([ir.col(m.hi) for m in all_members]).alias(p + "total|hi"),
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
    stage5: list[ir.Expr] = [
        (ir.all_horizontal([ir.col(c) for c in prereq_cols]) if prereq_cols else ir.lit(True)).alias(
            p + "prerequisites"
        ),
    ]
    if rb.score is not None:
        stage5.append(
            ir.all_horizontal([ir.col(p + "total|ok"), *[ir.col(c) for c in group_oks]]).alias(p + "score_ok")
        )
        routes.append(ir.col(p + "score_ok"))
    if general_cols:
        stage5.append(ir.all_horizontal([ir.col(c) for c in general_cols]).alias(p + "general_ok"))
        routes.append(ir.col(p + "general_ok"))
    if direct_cols:
        stage5.append(ir.any_horizontal([ir.col(c) for c in direct_cols]).alias(p + "direct_ok"))
        routes.append(ir.col(p + "direct_ok"))
    eligible = ir.col(p + "prerequisites")
    if routes:
        eligible = ir.all_horizontal([eligible, ir.any_horizontal(routes)])
    standard = [ir.col(p + "score_ok")] if rb.score is not None else []
    if general_cols:
        standard.append(ir.col(p + "general_ok"))
    route: ir.Expr
    if routes:
        standard_ok = ir.any_horizontal(standard) if standard else ir.lit(False)
        route = (
            ir.when(ir.col(p + "eligible").fill_null(False))
            .then(ir.when(standard_ok.fill_null(False)).then(ir.lit("score")).otherwise(ir.lit("direct")))
            .otherwise(ir.lit(None, dtype=ir.String))
        )
    else:
        route = ir.lit(None, dtype=ir.String)
    stage6 = [eligible.alias(p + "eligible")]
    score_expr = (
        ir.when(ir.col(p + "total|lo") == ir.col(p + "total|hi")).then(ir.col(p + "total|lo")).otherwise(None)
        if rb.score is not None
        else ir.lit(None, dtype=ir.Int32)
    )
    stage7 = [
        ir.when(ir.col(p + "eligible"))
        .then(ir.lit("eligible"))
        .when(~ir.col(p + "eligible"))
        .then(ir.lit("ineligible"))
        .otherwise(ir.lit("needs_data"))
        .alias(p + "status"),
        route.alias(p + "route"),
        score_expr.cast(ir.Int32).alias(p + "score"),
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
