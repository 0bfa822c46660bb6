"""The scalar lowering of the rule expressions reproduces Polars, operator by operator.

Each expression is lowered both ways (``to_polars`` over a frame, ``ScalarProgram`` over the same rows as dicts)
and Hypothesis draws the rows: small integers, booleans, strings and nulls, Decimals as the fact columns hold
them. The results must be equal value for value, type included (``True`` is not ``1``).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from srdi.domain.rules import expr as ir
from srdi.domain.rules.expr import stages_to_polars
from srdi.domain.rules.scalar import ScalarProgram

SCHEMA = {
    "a": pl.Int128,
    "b": pl.Int128,
    "c": pl.Int32,
    "p": pl.Boolean,
    "q": pl.Boolean,
    "s": pl.String,
    "d": pl.Decimal(20, 9),
    "k": pl.Int64,
}

a, b, c, p, q, s, d, k = (ir.col(n) for n in SCHEMA)
I128 = ir.Int128

EXPRESSIONS: dict[str, ir.Expr] = {
    "add": a + b,
    "sub": a - b,
    "mul": a * b,
    "rmul": 40 * a,
    "floordiv": a // b,
    "floordiv_const": a // 3,
    "eq": a == b,
    "ne": a != b,
    "lt": a < b,
    "le": a <= b,
    "gt": a > 2,
    "ge": a >= b,
    "str_eq": s == "key",
    "str_eq_method": s.eq("x"),
    "and": p & q,
    "or": p | q,
    "not": ~p,
    "and_cmp": (a > 0) & q,
    "all3": ir.all_horizontal([p, q, a > b]),
    "any3": ir.any_horizontal([p, q, a > b]),
    "all1": ir.all_horizontal([p]),
    "sum": ir.sum_horizontal([a, b, c]),
    "sum_bool_casts": ir.sum_horizontal(
        [p.fill_null(False).cast(ir.Int32), q.fill_null(True).cast(ir.Int32)]
    ),
    "sum_of_known": ir.sum_horizontal([ir.when(a == b).then(a), ir.when(b > 0).then(b)]),
    "max": ir.max_horizontal([a, b]),
    "max3": ir.max_horizontal([a, b, c]),
    "min": ir.min_horizontal([a, b]),
    "min_const": ir.min_horizontal(c * 3, ir.lit(5, dtype=ir.Int32)),
    "is_null": a.is_null(),
    "is_not_null": b.is_not_null(),
    "fill_null": a.fill_null(0),
    "fill_bool": p.fill_null(True),
    "is_in": s.is_in(["x", "key"]),
    "is_in_int": a.is_in([1, 2, -3]),
    "cast_i32": a.cast(ir.Int32),
    "cast_bool_int": p.cast(ir.Int64),
    "cast_str_bool": p.cast(ir.String),
    "cast_str_int": c.cast(ir.String).str.to_lowercase(),
    "abs": a.abs(),
    "sign": a.sign(),
    "clip": a.clip(0, 3),
    "lower": s.str.to_lowercase(),
    "replace_default": s.replace_strict({"x": 1, "key": 2}, default=0, return_dtype=ir.Int32),
    "replace_none": s.replace_strict({"x": "X", "key": None}, default=None, return_dtype=ir.String),
    "when_chain": ir.when(a > b).then(ir.lit(1, dtype=ir.Int32)).when(p).then(ir.lit(2, dtype=ir.Int32)),
    "when_otherwise": ir.when(p).then(a).when(~q).then(b).otherwise(c.cast(I128)),
    "when_py": ir.when(p).then(True).when(q).then(None).otherwise(a > 0),
    "when_nested": ir.when(p.fill_null(False))
    .then(ir.when((a > b).fill_null(False)).then(ir.lit("score")).otherwise(ir.lit("direct")))
    .otherwise(ir.lit(None, dtype=ir.String)),
    "decimal_scaled": (d * 10**9).cast(I128),
    "decimal_ratio": ((d * 10**9).cast(I128) * 10) // ir.lit(10**9, dtype=I128),
    "half_up": ((a.cast(I128) * 2 + b) // (b * 2)).cast(ir.Int64),
    "growth": ir.when((b.abs() == 0) & ((a - b) == 0)).then(ir.lit(0, dtype=I128)).otherwise(a - b),
    "sign_sum": a.sign() + b.sign(),
    "int64_cmp": k >= 80 * k.fill_null(1),
}

INTS = st.one_of(st.none(), st.integers(-5, 5))
ROW = st.fixed_dictionaries(
    {
        "a": INTS,
        "b": INTS,
        "c": INTS,
        "p": st.one_of(st.none(), st.booleans()),
        "q": st.one_of(st.none(), st.booleans()),
        "s": st.one_of(st.none(), st.sampled_from(["x", "key", "KEY", "Y", ""])),
        "d": st.one_of(
            st.none(),
            st.decimals(min_value=-100, max_value=100, places=9, allow_nan=False, allow_infinity=False),
        ),
        "k": INTS,
    }
)

STAGES = [[e.alias(name) for name, e in EXPRESSIONS.items()]]
PROGRAM = ScalarProgram(STAGES)
POLARS = stages_to_polars(STAGES)


def _typed(value: object) -> tuple[type, object]:
    return type(value), value


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=12))
def test_every_operator_matches_polars(rows):
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row").with_columns(POLARS[0])
    expected = frame.rows(named=True)
    got = PROGRAM.evaluate(frame.select(list(SCHEMA)).rows(named=True))
    for want, have in zip(expected, got, strict=True):
        for name in EXPRESSIONS:
            assert _typed(have[name]) == _typed(want[name]), (name, {k: want[k] for k in SCHEMA}, have[name])


def test_program_columns_are_the_query_columns_in_order():
    frame = pl.DataFrame([], schema=SCHEMA).with_columns(POLARS[0])
    assert PROGRAM.columns == frame.columns[len(SCHEMA) :]


def test_a_stage_reads_the_columns_before_it():
    stages = [
        [ir.lit(1, dtype=ir.Int64).alias("x")],
        [(ir.col("x") + 1).alias("y"), (ir.col("x") * 10).alias("x")],
        [(ir.col("x") + ir.col("y")).alias("z")],
    ]
    frame = pl.DataFrame({"a": [1]}).lazy()
    for stage in stages_to_polars(stages):
        frame = frame.with_columns(stage)
    expected = frame.collect().rows(named=True)
    assert ScalarProgram(stages).evaluate([{"a": 1}]) == expected


def test_expressions_are_immutable_and_have_no_truth_value():
    import pytest

    e = a + 1
    with pytest.raises(AttributeError):
        e.op = "sub"  # type: ignore[misc]
    with pytest.raises(TypeError):
        bool(a == b)


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=6))
def test_long_and_deeply_nested_chains_match_polars(rows):
    """Chains longer than ``FLAT_WHEN`` and nestings deeper than Python's block limit are generated flat."""
    long: Any = ir
    for i in range(30):
        long = long.when(a == (i % 11) - 5).then(ir.lit(i, dtype=ir.Int64))
    deep: ir.Expr = b
    for i in range(120):
        deep = ir.when(p.fill_null(i % 2 == 0)).then(deep + 1).otherwise(c.fill_null(i))
    stages = [[long.otherwise(k).alias("long"), long.alias("long_null"), deep.alias("deep")]]
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row").with_columns(stages_to_polars(stages)[0])
    got = ScalarProgram(stages).evaluate(frame.select(list(SCHEMA)).rows(named=True))
    assert [typed_row(r) for r in got] == [typed_row(r) for r in frame.rows(named=True)]


def typed_row(row: dict[str, Any]) -> list[tuple[str, type, object]]:
    return [(k, type(v), v) for k, v in row.items()]
