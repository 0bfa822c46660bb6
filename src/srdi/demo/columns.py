"""Building Polars frames from NumPy columns that may hold unknowns.

NumPy has no nullable integers or booleans, so a column with unknowns travels as ``Nullable(values,
missing)`` and becomes a Polars column with nulls only when the frame is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl


@dataclass
class Nullable:
    """Values plus a mask of the rows whose value is unknown."""

    values: np.ndarray | pl.Series
    missing: np.ndarray


def with_nulls(values: np.ndarray | pl.Series, missing: np.ndarray) -> Nullable:
    """Mark ``missing`` rows of ``values`` as unknown."""
    return Nullable(values, np.asarray(missing, dtype=bool))


def _series(name: str, col: Any) -> Any:
    if not isinstance(col, Nullable):
        return col
    series = pl.Series(name, col.values)
    if col.missing.any():
        series = series.scatter(np.flatnonzero(col.missing), None)
    return series


def frame(columns: dict[str, Any], schema: dict[str, Any] | None = None) -> pl.DataFrame:
    """A frame from NumPy columns; ``Nullable`` columns get nulls; ``schema`` casts known names."""
    df = pl.DataFrame({name: _series(name, col) for name, col in columns.items()})
    if schema:
        df = df.with_columns([pl.col(c).cast(t) for c, t in schema.items() if c in df.columns])
    return df


def labels(vocabulary: Sequence[str], codes: np.ndarray) -> pl.Series:
    """A text column from codes into a vocabulary (far faster than converting an array of NumPy strings)."""
    return pl.Series(list(vocabulary), dtype=pl.String).gather(np.asarray(codes, dtype=np.int64))
