"""64-bit narrowing of the columnar path (``srdi.domain.rules.widths``): decided by bounds, identical results.

The unit cases pin the decision (an expression narrows when every intermediate value fits, keeps 128 bits
otherwise and then reads narrowed columns widened back); the property runs the whole rulebook over demo
enterprises whose amounts are scaled up to the largest the exchange format accepts, narrowed and not, and
requires the same frame, value by value and type by type.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srdi.demo.generator import generate
from srdi.domain.money import MAX_FEN
from srdi.domain.rules import expr as ir
from srdi.domain.rules.engine import assess
from srdi.domain.rules.widths import LIMIT, input_bounds, narrowing, read_columns

I128 = ir.Int128


@pytest.fixture(autouse=True, scope="module")
def narrow_every_batch():
    """The engine narrows batches above ``NARROW_ROWS`` only; these small ones must be narrowed too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("srdi.domain.rules.engine.NARROW_ROWS", 0)
        yield


def _mentions(e: ir.Expr, op: str, data: object) -> bool:
    if e.op == op and (e.data == data or (op == "lit" and e.data[1] == data)):
        return True
    return any(_mentions(a, op, data) for a in e.args)


def _ratio_compare() -> list[list[ir.Expr]]:
    """What ``compile`` makes of "a / b ≥ 3%": num/den columns, then a cross-multiplied comparison."""
    return [
        [ir.col("a").cast(I128).alias("n"), ir.col("b").cast(I128).alias("d")],
        [(ir.col("n") * ir.lit(100, dtype=I128) >= ir.col("d") * ir.lit(3, dtype=I128)).alias("ok")],
    ]


def test_small_magnitudes_compute_in_64_bits() -> None:
    stages = _ratio_compare()
    result = narrowing(stages, {"a": 2**40 - 1, "b": 2**40 - 1})
    assert result.narrowed == {"n", "d"} and not result.kept
    assert not any(_mentions(e, "cast", I128) or _mentions(e, "lit", I128) for s in result.stages for e in s)


def test_a_product_that_may_overflow_keeps_128_bits() -> None:
    stages = _ratio_compare()
    # n·100 may reach 2^62·100: the comparison keeps 128 bits; n and d themselves still fit.
    result = narrowing(stages, {"a": 2**62, "b": 2**40})
    assert result.narrowed == {"n", "d"}
    comparison = result.stages[1][0]
    assert _mentions(comparison, "lit", I128)
    # …and reads the narrowed columns widened back, so it computes exactly as compiled.
    frame = pl.DataFrame({"a": [2**62, -(2**62), 5], "b": [2**40, 1, 0]})
    wide = (
        frame.lazy().with_columns(ir.stages_to_polars(stages)[0]).with_columns(ir.stages_to_polars(stages)[1])
    )
    narrow_polars = ir.stages_to_polars(result.stages)
    narrow = frame.lazy().with_columns(narrow_polars[0]).with_columns(narrow_polars[1])
    assert wide.collect()["ok"].to_list() == narrow.collect()["ok"].to_list() == [True, False, True]


def test_unbounded_input_keeps_128_bits() -> None:
    result = narrowing(_ratio_compare(), {"a": None, "b": 7})
    assert result.kept == {"n"} and result.narrowed == {"d"}


def test_a_square_of_an_amount_is_kept_and_exact() -> None:
    stages = [
        [ir.col("a").cast(I128).alias("n")],
        [(ir.col("n") * ir.col("n")).alias("sq")],
    ]
    result = narrowing(stages, {"a": 2**40})
    assert result.narrowed == {"n"} and result.kept == {"sq"}
    lowered = ir.stages_to_polars(result.stages)
    out = pl.DataFrame({"a": [2**40]}).lazy().with_columns(lowered[0]).with_columns(lowered[1]).collect()
    assert out["sq"].dtype == pl.Int128 and out["sq"][0] == 2**80


def test_bounds_of_the_inputs() -> None:
    frame = pl.DataFrame(
        {
            "i": [3, -1000, None],
            "empty": pl.Series([None, None, None], dtype=pl.Int64),
            "flag": [True, None, False],
            "name": ["a", "b", None],
            "share": pl.Series(["0.5", "-2.25", None]).str.to_decimal(scale=2),
            "x": [1.5, 2.0, None],
        }
    )
    bounds = input_bounds(frame, ["i", "empty", "flag", "name", "share", "x", "absent"])
    assert bounds == {"i": 1023, "empty": 0, "flag": 1, "name": 0, "share": 3, "x": None}
    assert LIMIT == 2**63 - 1


def test_read_columns_are_inputs_only() -> None:
    stages = _ratio_compare()
    assert read_columns(stages) == ["a", "b"]


def _scaled(seed: int, factor: int, extreme: bool) -> object:
    tables = generate(40, seed, as_of_year=2025)
    amounts = [c for c in tables.years.columns if c.endswith("_fen")]
    years = tables.years.with_columns(
        [(pl.col(c).cast(pl.Int128) * factor).clip(-MAX_FEN, MAX_FEN).cast(pl.Int64) for c in amounts]
    )
    if extreme:  # one enterprise at the largest amount the exchange format accepts
        first = years.get_column("eid")[0]
        years = years.with_columns(
            [pl.when(pl.col("eid") == first).then(MAX_FEN).otherwise(pl.col(c)).alias(c) for c in amounts]
        )
    return replace(tables, years=years)


def test_batches_of_different_magnitudes_do_not_share_a_narrowing() -> None:
    """A batch whose comparison overflows 64 bits after one whose did not (the same columns narrowed in both)."""
    on = date(2025, 6, 30)
    for tables in (_scaled(7, 1, False), _scaled(7, 1, True)):
        columnar = assess(tables, on, backend="columnar").frame  # type: ignore[arg-type]
        scalar = assess(tables, on, backend="scalar")  # type: ignore[arg-type]
        assert [scalar.row(i) for i in range(scalar.height)] == columnar.rows(named=True)


@settings(max_examples=8)
@given(
    seed=st.integers(0, 10_000),
    factor=st.sampled_from([1, 10**3, 10**6, 10**8]),
    extreme=st.booleans(),
)
def test_narrowed_and_128_bit_give_the_same_frame(seed: int, factor: int, extreme: bool) -> None:
    tables = _scaled(seed, factor, extreme)
    on = date(2025, 6, 30)
    narrowed = assess(tables, on, backend="columnar").frame  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("srdi.domain.rules.engine.input_bounds", lambda frame, columns: dict.fromkeys(columns))
        wide = assess(tables, on, backend="columnar").frame  # type: ignore[arg-type]
    assert narrowed.schema == wide.schema
    assert narrowed.equals(wide)
    scalar = assess(tables, on, backend="scalar")  # type: ignore[arg-type]
    assert [scalar.row(i) for i in range(scalar.height)] == narrowed.rows(named=True)
