"""Integer widths on the columnar path: 64-bit arithmetic wherever the inputs' bounds prove it cannot overflow.

The compiled rules compute measures and comparisons in 128-bit integers (``compile.py``: numerator and
denominator columns, thresholds cross-multiplied), which is exact whatever the amounts, and costs a third to
half of evaluating a large batch. Before a batch runs, ``input_bounds`` measures the largest magnitude of every
input column the stages read (one min/max query over the facts), and ``narrowing`` propagates those bounds
through every expression by interval arithmetic: an expression none of whose intermediate values can exceed
2^63 − 1 in magnitude is rewritten to compute in 64 bits; any other (typically a product of two amounts, as
in a mean growth rate) keeps its 128-bit arithmetic and reads narrowed columns widened back, so it computes
exactly what it computed before. Results are identical by construction (held by the differential tests).

Use it in the engine before lowering stages to Polars, for batches above ``engine.NARROW_ROWS``; the scalar
backend computes with Python integers and needs none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from srdi.domain.rules import expr as ir

LIMIT = 2**63 - 1  # the largest magnitude a 64-bit signed integer holds (its minimum is never produced here)
BOOLEAN_BOUND = 1  # a Boolean cast to an integer is 0 or 1

# Operations whose value is a Boolean or a string: their magnitude as a value is at most 1.
_NON_NUMERIC = frozenset(
    {
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "and",
        "or",
        "not",
        "is_null",
        "is_not_null",
        "is_in",
        "all_h",
        "any_h",
    }
)
_STRING = frozenset({"lower"})


def read_columns(stages: list[list[ir.Expr]]) -> list[str]:
    """The input columns the stages read (columns no stage writes), in first-read order."""
    written: set[str] = set()
    read: dict[str, None] = {}
    seen: set[int] = set()

    def walk(e: ir.Expr) -> None:
        if id(e) in seen:
            return
        seen.add(id(e))
        if e.op == "col" and e.data not in written:
            read.setdefault(e.data, None)
        for a in e.args:
            walk(a)

    for stage in stages:
        for e in stage:
            walk(e)
        written.update(e.output_name for e in stage)
    return list(read)


def input_bounds(frame: pl.DataFrame, columns: list[str]) -> dict[str, int | None]:
    """The largest magnitude of each column in ``frame`` (``None``: no proven bound, e.g. a float or a date).

    A bound is rounded up to ``2**k − 1`` so that batches of similar magnitude share one narrowed plan."""
    numeric = [
        c
        for c in columns
        if c in frame.schema and (frame.schema[c].is_integer() or isinstance(frame.schema[c], pl.Decimal))
    ]
    out: dict[str, int | None] = {}
    if numeric:
        row = frame.select(
            *[pl.col(c).min().alias(f"{i}:min") for i, c in enumerate(numeric)],
            *[pl.col(c).max().alias(f"{i}:max") for i, c in enumerate(numeric)],
        ).row(0)
        half = len(numeric)
        for i, c in enumerate(numeric):
            extremes = [abs(_ceil(v)) for v in (row[i], row[half + i]) if v is not None]
            out[c] = (1 << max(extremes, default=0).bit_length()) - 1
    for c in columns:
        if c in out or c not in frame.schema:
            continue
        dt = frame.schema[c]
        out[c] = BOOLEAN_BOUND if dt == pl.Boolean or dt == pl.Null else 0 if dt == pl.String else None
    return out


def _ceil(value: Any) -> int:
    if isinstance(value, Decimal):
        return int(value.to_integral_value(rounding="ROUND_CEILING" if value > 0 else "ROUND_FLOOR"))
    return int(value)


@dataclass(frozen=True)
class Narrowing:
    """The rewritten stages, and which of their 128-bit integer columns now hold 64-bit integers."""

    stages: list[list[ir.Expr]]
    fitting: frozenset[str]  # every output whose expression computes in 64 bits: what decides the rewrite
    narrowed: frozenset[str]  # 128-bit columns as compiled, now computed in 64 bits (widened back on output)
    kept: frozenset[str]  # 128-bit columns whose expression keeps 128-bit arithmetic


class _Analysis:
    """Interval bounds of expression nodes, given the bounds of the columns they read."""

    def __init__(self, columns: Mapping[str, int | None]):
        self.columns: dict[str, int | None] = dict(columns)
        self.wide: dict[str, bool] = {}  # whether a written column is a 128-bit integer as compiled
        self._bound: dict[int, int | None] = {}
        self._peak: dict[int, int | None] = {}  # by node id: the nodes live in the stages being narrowed

    def bound(self, e: ir.Expr) -> int | None:
        """The largest magnitude of ``e``'s value (``None``: unbounded)."""
        key = id(e)
        if key not in self._bound:
            self._bound[key] = self._compute(e)
        return self._bound[key]

    def peak(self, e: ir.Expr) -> int | None:
        """The largest magnitude of ``e`` or of any value computed on the way to it."""
        key = id(e)
        if key not in self._peak:
            own = self.bound(e)
            values = [own, *(self.peak(a) for a in e.args)]
            self._peak[key] = (
                None if any(v is None for v in values) else max(v for v in values if v is not None)
            )
        return self._peak[key]

    def _compute(self, e: ir.Expr) -> int | None:
        op = e.op
        if op == "col":
            return self.columns.get(e.data)
        if op in ("lit", "py"):
            value = e.data[0] if op == "lit" else e.data
            return _constant_bound(value)
        if op in _NON_NUMERIC:
            return BOOLEAN_BOUND
        if op in _STRING:
            return 0
        args = [self.bound(a) for a in e.args]
        if op == "sign":
            return 1
        if op == "clip":
            low, high = e.data
            limit: int = max(abs(int(low)), abs(int(high)))
            return limit if args[0] is None else min(args[0], limit)
        if op == "replace_strict":
            items, default, _ = e.data
            return max([_constant_bound(v) or 0 for _, v in items] + [_constant_bound(default) or 0])
        if op == "when":
            values = [args[i] for i in range(1, len(args) - (1 if e.data else 0), 2)]
            if e.data:
                values.append(args[-1])
            return _max(values)
        if any(a is None for a in args):
            return None
        known = [a for a in args if a is not None]
        if op in ("add", "sub", "sum_h"):
            return sum(known)
        if op == "mul":
            return known[0] * known[1]
        # floordiv (|a // b| ≤ |a| for a non-zero integer b), abs, alias, cast, fill_null, max_h, min_h
        return max(known)

    def is_wide(self, e: ir.Expr) -> bool:
        """Whether ``e`` computes a 128-bit integer as compiled (what a widened read must give back)."""
        op = e.op
        if op == "cast":
            return bool(e.data == ir.Int128)
        if op == "lit":
            return bool(e.data[1] == ir.Int128)
        if op == "col":
            return self.wide.get(e.data, False)
        if op == "when":
            branches = [e.args[i] for i in range(1, len(e.args) - (1 if e.data else 0), 2)]
            if e.data:
                branches.append(e.args[-1])
            return any(self.is_wide(b) for b in branches)
        if op in (
            "add",
            "sub",
            "mul",
            "floordiv",
            "abs",
            "alias",
            "fill_null",
            "clip",
            "sum_h",
            "max_h",
            "min_h",
        ):
            return any(self.is_wide(a) for a in e.args)
        return False


def _constant_bound(value: Any) -> int | None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return BOOLEAN_BOUND
    if isinstance(value, int):
        return abs(value)
    if isinstance(value, Decimal):
        return abs(_ceil(value))
    return None


def _max(values: list[int | None]) -> int | None:
    if any(v is None for v in values):
        return None
    return max((v for v in values if v is not None), default=0)


def narrowing(stages: list[list[ir.Expr]], columns: Mapping[str, int | None]) -> Narrowing:
    """The stages with every expression that provably fits in 64 bits rewritten to compute in 64 bits.

    ``columns`` bounds the input columns (``input_bounds``); a column without a bound is unbounded."""
    analysis = _Analysis(columns)
    fitting: set[str] = set()
    narrowed: set[str] = set()  # 128-bit columns as compiled that now hold 64-bit integers
    kept: set[str] = set()
    narrow_memo: dict[int, ir.Expr] = {}
    out: list[list[ir.Expr]] = []
    for stage in stages:
        rewritten = []
        for e in stage:
            name = e.output_name
            wide = analysis.is_wide(e)
            peak = analysis.peak(e)
            if peak is not None and peak <= LIMIT:
                rewritten.append(_narrow(e, narrow_memo) if _mentions_int128(e, set()) else e)
                fitting.add(name)
                if wide:
                    narrowed.add(name)
            else:
                rewritten.append(_widen_reads(e, narrowed, {}))
                if wide:
                    kept.add(name)
            analysis.columns[name] = analysis.bound(e)
            analysis.wide[name] = wide
        out.append(rewritten)
    return Narrowing(out, frozenset(fitting), frozenset(narrowed), frozenset(kept))


def _mentions_int128(e: ir.Expr, seen: set[int]) -> bool:
    if id(e) in seen:
        return False
    seen.add(id(e))
    if (e.op == "cast" and e.data == ir.Int128) or (e.op == "lit" and e.data[1] == ir.Int128):
        return True
    return any(_mentions_int128(a, seen) for a in e.args)


def _narrow(e: ir.Expr, memo: dict[int, ir.Expr]) -> ir.Expr:
    """``e`` with every 128-bit cast and literal made 64-bit (shared subtrees rewritten once)."""
    found = memo.get(id(e))
    if found is not None:
        return found
    if e.op == "cast" and e.data == ir.Int128:
        new = ir.Expr("cast", (_narrow(e.args[0], memo),), ir.Int64)
    elif e.op == "lit" and e.data[1] == ir.Int128:
        new = ir.Expr("lit", (), (e.data[0], ir.Int64))
    elif not e.args:
        new = e
    else:
        args = tuple(_narrow(a, memo) for a in e.args)
        new = e if all(n is o for n, o in zip(args, e.args, strict=True)) else ir.Expr(e.op, args, e.data)
    memo[id(e)] = new
    return new


def _widen_reads(e: ir.Expr, names: set[str], memo: dict[int, ir.Expr]) -> ir.Expr:
    """``e`` reading each narrowed column widened back to 128 bits (so that it computes as compiled)."""
    found = memo.get(id(e))
    if found is not None:
        return found
    if e.op == "col":
        new = e.cast(ir.Int128) if e.data in names else e
    elif not e.args:
        new = e
    else:
        args = tuple(_widen_reads(a, names, memo) for a in e.args)
        new = e if all(n is o for n, o in zip(args, e.args, strict=True)) else ir.Expr(e.op, args, e.data)
    memo[id(e)] = new
    return new
