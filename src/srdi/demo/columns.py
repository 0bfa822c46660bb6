"""Building Polars frames from NumPy columns that may hold unknowns.

NumPy has no nullable integers or booleans, so a column with unknowns travels as ``Nullable(values,
missing)`` and becomes a Polars column with nulls only when the frame is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl


@dataclass
class Nullable:
    """Values plus a mask of the rows whose value is unknown."""

    values: np.ndarray
    missing: np.ndarray


def with_nulls(values: np.ndarray, missing: np.ndarray) -> Nullable:
    """Mark ``missing`` rows of ``values`` as unknown."""
    return Nullable(values, np.asarray(missing, dtype=bool))


def frame(columns: dict[str, Any], schema: dict[str, Any] | None = None) -> pl.DataFrame:
    """A frame from NumPy columns; ``Nullable`` columns get nulls; ``schema`` casts known names."""
    plain: dict[str, Any] = {}
    masks: dict[str, np.ndarray] = {}
    for name, col in columns.items():
        if isinstance(col, Nullable):
            plain[name] = col.values
            if col.missing.any():
                masks[name] = col.missing
        else:
            plain[name] = col
    df = pl.DataFrame(plain)
    if masks:
        df = (
            df.with_columns([pl.Series(f"__m_{k}", v) for k, v in masks.items()])
            .with_columns(
                [pl.when(pl.col(f"__m_{k}")).then(None).otherwise(pl.col(k)).alias(k) for k in masks]
            )
            .drop([f"__m_{k}" for k in masks])
        )
    if schema:
        df = df.with_columns([pl.col(c).cast(t) for c, t in schema.items() if c in df.columns])
    return df
