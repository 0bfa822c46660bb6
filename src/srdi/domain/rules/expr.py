"""The rule expression language: one immutable tree, lowered to Polars (columnar) or to Python (scalar).

Use it wherever a rule becomes a computation (``compile.py``, the engine's measure columns, the six-dimension
profile): the builder API mirrors the few Polars functions the rules need (``col``, ``lit``, arithmetic,
comparisons, Kleene ``&``/``|``/``~``, ``when/then/otherwise``, the ``*_horizontal`` reductions, ``is_null``,
``fill_null``, ``is_in``, ``cast``, ``abs``, ``sign``, ``clip``, ``//``, ``str.to_lowercase``,
``replace_strict``, ``alias``), so that one definition serves both backends:

- ``to_polars(expr)`` gives the very Polars expression the rules used to be written as (the columnar path);
- ``srdi.domain.rules.scalar.ScalarProgram`` turns a list of stages of these expressions into one Python
  function that evaluates a row dict with Polars' semantics (null = unknown), for small batches.

A node is ``op`` (a string), ``args`` (child nodes) and ``data`` (hashable constants). Plain Python values
given where Polars accepts them (``x * 2``, ``.then(True)``, ``.fill_null(False)``) are kept as ``py`` nodes and
handed to Polars as they were, so Polars interprets them exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

# Data types, by their Polars names.
Int128 = "Int128"
Int64 = "Int64"
Int32 = "Int32"
String = "String"
Boolean = "Boolean"
INTEGER_TYPES = frozenset({Int128, Int64, Int32})


class Expr:
    """One node of an expression tree (immutable; comparison operators build nodes, so identity is ``is``)."""

    __slots__ = ("args", "data", "op")

    op: str
    args: tuple[Expr, ...]
    data: Any

    def __init__(self, op: str, args: tuple[Expr, ...] = (), data: Any = None):
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "data", data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("expressions are immutable")

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        if self.op == "col":
            return f"col({self.data!r})"
        if self.op in ("lit", "py"):
            return f"{self.op}({self.data!r})"
        inner = ", ".join(repr(a) for a in self.args)
        return f"{self.op}[{self.data!r}]({inner})" if self.data is not None else f"{self.op}({inner})"

    def __bool__(self) -> bool:
        raise TypeError("an expression has no truth value (use & | ~)")

    # ---- naming -------------------------------------------------------------------------------------
    def alias(self, name: str) -> Expr:
        return Expr("alias", (self,), name)

    @property
    def output_name(self) -> str:
        """The column this expression writes (its alias, or the column it reads)."""
        if self.op in ("alias", "col"):
            return str(self.data)
        if self.args:
            return self.args[0].output_name
        raise ValueError(f"{self!r} has no output name")

    # ---- arithmetic and comparisons -----------------------------------------------------------------
    def _bin(self, op: str, other: Any) -> Expr:
        return Expr(op, (self, _arg(other)))

    def _rbin(self, op: str, other: Any) -> Expr:
        return Expr(op, (_arg(other), self))

    def __add__(self, other: Any) -> Expr:
        return self._bin("add", other)

    def __radd__(self, other: Any) -> Expr:
        return self._rbin("add", other)

    def __sub__(self, other: Any) -> Expr:
        return self._bin("sub", other)

    def __rsub__(self, other: Any) -> Expr:
        return self._rbin("sub", other)

    def __mul__(self, other: Any) -> Expr:
        return self._bin("mul", other)

    def __rmul__(self, other: Any) -> Expr:
        return self._rbin("mul", other)

    def __floordiv__(self, other: Any) -> Expr:
        return self._bin("floordiv", other)

    def __rfloordiv__(self, other: Any) -> Expr:
        return self._rbin("floordiv", other)

    def __eq__(self, other: Any) -> Expr:  # type: ignore[override]
        return self._bin("eq", other)

    def __ne__(self, other: Any) -> Expr:  # type: ignore[override]
        return self._bin("ne", other)

    def __lt__(self, other: Any) -> Expr:
        return self._bin("lt", other)

    def __le__(self, other: Any) -> Expr:
        return self._bin("le", other)

    def __gt__(self, other: Any) -> Expr:
        return self._bin("gt", other)

    def __ge__(self, other: Any) -> Expr:
        return self._bin("ge", other)

    def eq(self, other: Any) -> Expr:
        return self._bin("eq", other)

    # ---- Kleene logic -------------------------------------------------------------------------------
    def __and__(self, other: Any) -> Expr:
        return self._bin("and", other)

    def __rand__(self, other: Any) -> Expr:
        return self._rbin("and", other)

    def __or__(self, other: Any) -> Expr:
        return self._bin("or", other)

    def __ror__(self, other: Any) -> Expr:
        return self._rbin("or", other)

    def __invert__(self) -> Expr:
        return Expr("not", (self,))

    # ---- nulls, membership, conversions -------------------------------------------------------------
    def is_null(self) -> Expr:
        return Expr("is_null", (self,))

    def is_not_null(self) -> Expr:
        return Expr("is_not_null", (self,))

    def fill_null(self, value: Any) -> Expr:
        return Expr("fill_null", (self, _arg(value)))

    def is_in(self, values: Iterable[Any]) -> Expr:
        return Expr("is_in", (self,), tuple(values))

    def cast(self, dtype: str) -> Expr:
        return Expr("cast", (self,), dtype)

    def abs(self) -> Expr:
        return Expr("abs", (self,))

    def sign(self) -> Expr:
        return Expr("sign", (self,))

    def clip(self, lower: int, upper: int) -> Expr:
        return Expr("clip", (self,), (lower, upper))

    def replace_strict(self, mapping: Mapping[Any, Any], *, default: Any, return_dtype: str) -> Expr:
        return Expr("replace_strict", (self,), (tuple(mapping.items()), default, return_dtype))

    @property
    def str(self) -> _StrNamespace:
        return _StrNamespace(self)


class _StrNamespace:
    __slots__ = ("_expr",)

    def __init__(self, expr: Expr):
        self._expr = expr

    def to_lowercase(self) -> Expr:
        return Expr("lower", (self._expr,))


def _arg(value: Any) -> Expr:
    """An operand: an expression as it is, a plain Python value as a ``py`` node (handed to Polars as is)."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, _When | _ChainedWhen):
        raise TypeError("a when() needs its then()")
    return Expr("py", (), value)


def col(name: str) -> Expr:
    return Expr("col", (), name)


def lit(value: Any, dtype: str | None = None) -> Expr:
    return Expr("lit", (), (value, dtype))


def _horizontal(op: str, *exprs: Any) -> Expr:
    items: list[Any] = []
    for e in exprs:
        items.extend(e if isinstance(e, list | tuple) else [e])
    return Expr(op, tuple(_arg(e) for e in items))


def all_horizontal(*exprs: Any) -> Expr:
    return _horizontal("all_h", *exprs)


def any_horizontal(*exprs: Any) -> Expr:
    return _horizontal("any_h", *exprs)


def sum_horizontal(*exprs: Any) -> Expr:
    return _horizontal("sum_h", *exprs)


def max_horizontal(*exprs: Any) -> Expr:
    return _horizontal("max_h", *exprs)


def min_horizontal(*exprs: Any) -> Expr:
    return _horizontal("min_h", *exprs)


# ---- when / then / otherwise (args: p1, v1, p2, v2, …[, otherwise]; data: whether otherwise is given) ----
class _When:
    __slots__ = ("_cases", "_pred")

    def __init__(self, cases: tuple[Expr, ...], pred: Expr):
        self._cases = cases
        self._pred = pred

    def then(self, value: Any) -> Then:
        return Then("when", (*self._cases, self._pred, _arg(value)), False)


class _ChainedWhen(_When):
    __slots__ = ()


class Then(Expr):
    """A ``when(…).then(…)`` chain: an expression (null where no branch holds) that can be extended."""

    __slots__ = ()

    def when(self, predicate: Any) -> _ChainedWhen:
        return _ChainedWhen(self.args, _arg(predicate))

    def otherwise(self, value: Any) -> Expr:
        return Expr("when", (*self.args, _arg(value)), True)


def when(predicate: Any) -> _When:
    return _When((), _arg(predicate))


# ---- lowering 1: Polars -------------------------------------------------------------------------------
_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "floordiv": lambda a, b: a // b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
}
_HORIZONTAL = {
    "all_h": pl.all_horizontal,
    "any_h": pl.any_horizontal,
    "sum_h": pl.sum_horizontal,
    "max_h": pl.max_horizontal,
    "min_h": pl.min_horizontal,
}


def dtype(name: str) -> Any:
    return getattr(pl, name)


def to_polars(expr: Expr, memo: dict[int, Any] | None = None) -> Any:
    """The Polars expression (or plain value, for a ``py`` node) of ``expr``."""
    memo = {} if memo is None else memo
    found = memo.get(id(expr))
    if found is not None:
        return found[1]
    out = _lower(expr, memo)
    memo[id(expr)] = (expr, out)  # the node is kept so that its id stays its own
    return out


def _lower(e: Expr, memo: dict[int, Any]) -> Any:
    op = e.op
    if op == "py":
        return e.data
    if op == "col":
        return pl.col(e.data)
    if op == "lit":
        value, dt = e.data
        return pl.lit(value) if dt is None else pl.lit(value, dtype=dtype(dt))
    args = [to_polars(a, memo) for a in e.args]
    if op in _BINARY:
        return _BINARY[op](args[0], args[1])
    if op in _HORIZONTAL:
        return _HORIZONTAL[op](args)
    if op == "when":
        chain: Any = pl
        pairs = len(args) // 2
        for i in range(pairs):
            chain = chain.when(args[2 * i]).then(args[2 * i + 1])
        return chain.otherwise(args[-1]) if e.data else chain
    a: Any = args[0] if args else None
    if op == "alias":
        return a.alias(e.data)
    if op == "not":
        return ~a
    if op == "is_null":
        return a.is_null()
    if op == "is_not_null":
        return a.is_not_null()
    if op == "fill_null":
        return a.fill_null(args[1])
    if op == "is_in":
        return a.is_in(list(e.data))
    if op == "cast":
        return a.cast(dtype(e.data))
    if op == "abs":
        return a.abs()
    if op == "sign":
        return a.sign()
    if op == "clip":
        return a.clip(*e.data)
    if op == "lower":
        return a.str.to_lowercase()
    if op == "replace_strict":
        items, default, rt = e.data
        return a.replace_strict(dict(items), default=default, return_dtype=dtype(rt))
    raise ValueError(f"unknown expression {op}")  # pragma: no cover


def stages_to_polars(stages: list[list[Expr]]) -> list[list[Any]]:
    """Every stage lowered to Polars (shared subtrees lowered once)."""
    memo: dict[int, Any] = {}
    return [[to_polars(e, memo) for e in stage] for stage in stages]
