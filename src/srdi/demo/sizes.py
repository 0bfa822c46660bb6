"""SME size classes (工信部联企业〔2011〕300号) for whole columns at once.

The same rule as ``srdi.domain.size_class.classify_size`` and the same year choice as the enterprise writer
(the latest year with employees or revenue), but evaluated as Polars expressions with three-valued logic:
Polars' ``&``/``|`` on nullable booleans are Kleene logic, exactly ``tri_all``/``tri_any``. The industry
standards and their thresholds come from ``srdi.domain.size_class`` (one CSV), so nothing is duplicated but
the cascade. The unit tests compare this with ``classify_size`` row by row.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from srdi.domain.size_class import Condition, industry_standard, standards

_VARS = {"E": "employees", "R": "revenue_wan", "A": "assets_wan"}


def _condition(cond: Condition) -> pl.Expr:
    terms = [
        (pl.col(_VARS[t.var]) >= t.bound) if t.op == ">=" else (pl.col(_VARS[t.var]) < t.bound)
        for t in cond.terms
    ]
    expr = terms[0]
    for t in terms[1:]:
        expr = (expr & t) if cond.joiner == "and" else (expr | t)
    return expr


def size_inputs(years: pl.DataFrame) -> pl.DataFrame:
    """Per enterprise: the year used for sizing and its employees, revenue and assets (万元, rounded down)."""
    return (
        years.filter(pl.col("employees").is_not_null() | pl.col("operating_revenue_fen").is_not_null())
        .sort("eid", "year")
        .group_by("eid", maintain_order=True)
        .last()
        .select(
            "eid",
            pl.col("year").cast(pl.Int32).alias("size_year"),
            pl.col("employees"),
            (pl.col("operating_revenue_fen") // 1_000_000).alias("revenue_wan"),
            (pl.col("total_assets_fen") // 1_000_000).alias("assets_wan"),
        )
    )


def size_classes(enterprises: pl.DataFrame, years: pl.DataFrame) -> pl.DataFrame:
    """``eid``, ``size_class`` (large/medium/small/micro or null) and ``size_year`` for every enterprise."""
    codes = enterprises["industry_code"].drop_nulls().unique().to_list()
    group_of = {code: industry_standard(code).industry for code in codes}
    df = enterprises.select("eid", "industry_code").join(size_inputs(years), on="eid", how="left")
    df = df.with_columns(
        std=pl.col("industry_code").replace_strict(group_of, default=None, return_dtype=pl.String)
        if group_of
        else pl.lit(None, dtype=pl.String)
    )
    size: pl.Expr = pl.lit(None, dtype=pl.String)
    chain: Any = None
    for std, _ in standards():
        large = ~_condition(std.sme_if)
        medium = _condition(std.medium_if)
        small = _condition(std.small_if)
        cls = (
            pl.when(large.eq(True))
            .then(pl.lit("large"))
            .when(large.eq(False) & medium.eq(True))
            .then(pl.lit("medium"))
            .when(large.eq(False) & medium.eq(False) & small.eq(True))
            .then(pl.lit("small"))
            .when(large.eq(False) & medium.eq(False) & small.eq(False))
            .then(pl.lit("micro"))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
        is_std = pl.col("std") == std.industry
        chain = pl.when(is_std).then(cls) if chain is None else chain.when(is_std).then(cls)
    if chain is not None:
        size = chain.otherwise(pl.lit(None, dtype=pl.String))
    return df.select("eid", size.alias("size_class"), "size_year")
