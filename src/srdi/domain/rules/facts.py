"""The facts frame: one row per enterprise with everything the rules read, for one ``as_of`` date.

Use ``build_facts(tables, as_of)``. Yearly figures become columns such as ``rd_expense_fen[Y]`` and
``rd_expense_fen[Y-1]`` where Y is the last full year before ``as_of``; lists (awards, contests, equity
financing, titles, certifications) are aggregated column-wise into the flags and sums the criteria use; the
300号 size class is computed vectorised. An unknown list gives null, never False or 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import polars as pl

from srdi.domain.size_class import standards
from srdi.domain.tables import FIGURES, Tables

YEAR_OFFSETS = {"Y": 0, "Y-1": 1, "Y-2": 2}
TIERS = ("innovative_sme", "srdi_sme", "hidden_champion", "little_giant")


def year_col(figure: str, offset: str) -> str:
    """Name of a yearly-figure column, e.g. ``year_col('rd_expense_fen', 'Y-1')`` → ``rd_expense_fen[Y-1]``."""
    return f"{figure}[{offset}]"


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 Feb → 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class FactOptions:
    """List-aggregation settings taken from the rulebooks' parameters."""

    sci_award_kinds: tuple[str, ...] = ("sci_tech",)
    award_levels_innovative: tuple[str, ...] = ("national", "provincial", "ministerial")
    maker_contest_kinds: tuple[str, ...] = ("maker_china",)
    top500_groups: tuple[str, ...] = ("national_top500", "national_top50")
    top50_groups: tuple[str, ...] = ("national_top50",)
    d2_titles: tuple[str, ...] = ("high_tech_enterprise", "tech_innovation_demo", "ip_advantage", "ip_demo")
    validity_years: int = 3


@dataclass(frozen=True)
class Facts:
    """The facts (a lazy query until collected with the rules) and the dates it was built for."""

    frame: pl.LazyFrame
    as_of: date
    year: int  # Y

    def year_of(self, offset: str) -> int:
        return self.year - YEAR_OFFSETS[offset]


def _kleene_any(expr: pl.Expr) -> pl.Expr:
    return expr.any(ignore_nulls=False)


def _with_flag(known: str, cols: dict[str, Any]) -> list[pl.Expr]:
    """Expressions that fill aggregated columns: a known-but-empty list gives the default, unknown stays null."""
    out = []
    for col, default in cols.items():
        out.append(
            pl.when(pl.col(known))
            .then(pl.col(col).fill_null(default) if default is not None else pl.col(col))
            .otherwise(pl.col(col))
            .alias(col)
        )
    return out


def _yearly(tables: Tables, y: int) -> pl.LazyFrame:
    years = tables.years.lazy()
    parts = []
    for label, offset in YEAR_OFFSETS.items():
        part = years.filter(pl.col("year") == y - offset).select(
            "eid", *[pl.col(f).alias(year_col(f, label)) for f in FIGURES]
        )
        parts.append(part.unique(subset="eid", keep="first"))
    out = parts[0]
    for part in parts[1:]:
        out = out.join(part, on="eid", how="full", coalesce=True)
    return out


def _awards(tables: Tables, as_of: date, opts: FactOptions) -> pl.LazyFrame:
    since = years_before(as_of, 3)
    in_window = (pl.col("date") > since) & (pl.col("date") <= as_of)
    sci = pl.col("kind").is_in(list(opts.sci_award_kinds))
    level = pl.col("level")
    return (
        tables.awards.lazy()
        .group_by("eid")
        .agg(
            _kleene_any(sci & level.is_in(list(opts.award_levels_innovative)) & in_window).alias(
                "award_sci_np_3y"
            ),
            _kleene_any(sci & (level == "provincial") & (pl.col("rank") <= 3) & in_window).alias(
                "award_prov_top3_3y"
            ),
            _kleene_any(sci & (level == "national") & (pl.col("rank") <= 5) & in_window).alias(
                "award_nat_top5_3y"
            ),
            _kleene_any(sci & (level == "national") & (pl.col("rank") <= 3) & in_window).alias(
                "award_nat_top3_3y"
            ),
        )
    )


def _contests(tables: Tables, as_of: date, opts: FactOptions) -> pl.LazyFrame:
    since = years_before(as_of, 3)
    in_window = (pl.col("date") > since) & (pl.col("date") <= as_of)
    maker = pl.col("kind").is_in(list(opts.maker_contest_kinds))
    return (
        tables.contests.lazy()
        .group_by("eid")
        .agg(
            _kleene_any(maker & pl.col("group").is_in(list(opts.top500_groups)) & in_window).alias(
                "maker_top500_3y"
            ),
            _kleene_any(maker & pl.col("group").is_in(list(opts.top50_groups)) & in_window).alias(
                "maker_top50_3y"
            ),
        )
    )


def _equity(tables: Tables, as_of: date) -> pl.LazyFrame:
    aggs = []
    for years in (2, 3):
        since = years_before(as_of, years)
        counts = pl.col("qualified_investor") & (pl.col("date") > since) & (pl.col("date") <= as_of)
        known_amount = pl.when(counts.fill_null(False) & pl.col("amount_fen").is_not_null()).then(
            pl.col("amount_fen")
        )
        uncertain = counts.is_null() | (counts.fill_null(False) & pl.col("amount_fen").is_null())
        aggs.append(known_amount.fill_null(0).sum().alias(f"equity_qualified_{years}y_fen"))
        aggs.append(uncertain.any().alias(f"equity_qualified_{years}y_fen__uncertain"))
    return tables.equity.lazy().group_by("eid").agg(aggs)


def _titles(tables: Tables, as_of: date, opts: FactOptions) -> pl.LazyFrame:
    valid = (pl.col("valid_from") <= as_of) & (pl.col("valid_to") >= as_of)
    return (
        tables.titles.lazy()
        .group_by("eid")
        .agg(_kleene_any(pl.col("kind").is_in(list(opts.d2_titles)) & valid).alias("title_d2_valid"))
    )


def certification_expiry(validity_years: int = 3) -> pl.Expr:
    """Effective expiry: ``expires_on``, or ``recognized_on`` + validity − 1 day when not given."""
    return pl.coalesce(
        pl.col("expires_on"), pl.col("recognized_on").dt.offset_by(f"{validity_years}y").dt.offset_by("-1d")
    )


def certification_valid_on(day: date | pl.Expr, validity_years: int = 3) -> pl.Expr:
    """Kleene validity of a certification row on a day (revoked on or before the day → not valid)."""
    d = pl.lit(day) if isinstance(day, date) else day
    not_revoked = pl.col("revoked_on").is_null() | (pl.col("revoked_on") > d)
    return (pl.col("recognized_on") <= d) & (certification_expiry(validity_years) >= d) & not_revoked


def _certifications(tables: Tables, as_of: date, opts: FactOptions) -> pl.LazyFrame:
    valid = certification_valid_on(as_of, opts.validity_years)
    return (
        tables.certifications.lazy()
        .group_by("eid")
        .agg([_kleene_any((pl.col("tier") == t) & valid).alias(f"cert_valid_{t}") for t in TIERS])
    )


@cache
def _standard_index() -> tuple[list[Any], Any]:
    rows = standards()
    return [r[0] for r in rows], rows


def _industry_to_index(codes: list[str | None]) -> dict[str, int]:
    from srdi.domain.size_class import industry_standard

    stds, _ = _standard_index()
    names = [s.industry for s in stds]
    out = {}
    for code in codes:
        if code is None:
            continue
        try:
            out[code] = names.index(industry_standard(code).industry)
        except ValueError:
            continue
    return out


def _condition_expr(cond: Any) -> pl.Expr:
    cols = {"E": pl.col("__E"), "R": pl.col("__R"), "A": pl.col("__A")}
    exprs = [(cols[t.var] >= t.bound) if t.op == ">=" else (cols[t.var] < t.bound) for t in cond.terms]
    out: pl.Expr = exprs[0]
    for e in exprs[1:]:
        out = (out & e) if cond.joiner == "and" else (out | e)
    return out


def size_expressions(frame: pl.LazyFrame, codes: list[str | None]) -> pl.LazyFrame:
    """Add ``size_group``, ``size_class`` and ``is_sme`` (Kleene) using the 300号 table, vectorised."""
    stds, _ = _standard_index()
    mapping = _industry_to_index(codes)
    idx = pl.col("industry_code").replace_strict(mapping, default=None, return_dtype=pl.Int32)
    frame = frame.with_columns(
        idx.alias("__std"),
        pl.col("employees[Y]").alias("__E"),
        (pl.col("operating_revenue_fen[Y]") // 1_000_000).alias("__R"),
        (pl.col("total_assets_fen[Y]") // 1_000_000).alias("__A"),
    )

    def per_standard(attr: str) -> pl.Expr:
        expr = pl.lit(None, dtype=pl.Boolean)
        for i, std in enumerate(stds):
            expr = pl.when(pl.col("__std") == i).then(_condition_expr(getattr(std, attr))).otherwise(expr)
        return expr

    frame = frame.with_columns(
        per_standard("sme_if").alias("is_sme"),
        per_standard("medium_if").alias("__medium"),
        per_standard("small_if").alias("__small"),
        pl.col("__std")
        .replace_strict(dict(enumerate(s.industry for s in stds)), default=None, return_dtype=pl.String)
        .alias("size_group"),
    )
    large = ~pl.col("is_sme")
    size = (
        pl.when(large)
        .then(pl.lit("large"))
        .when(large.not_() & pl.col("__medium"))
        .then(pl.lit("medium"))
        .when(large.not_() & pl.col("__medium").not_() & pl.col("__small"))
        .then(pl.lit("small"))
        .when(large.not_() & pl.col("__medium").not_() & pl.col("__small").not_())
        .then(pl.lit("micro"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return frame.with_columns(size.alias("size_class")).drop(
        "__std", "__E", "__R", "__A", "__medium", "__small"
    )


def build_facts(tables: Tables, as_of: date, options: FactOptions | None = None) -> Facts:
    """The facts query for ``as_of`` (Y = as_of.year − 1), lazy so that it runs in one pass with the rules."""
    opts = options or FactOptions()
    y = as_of.year - 1
    frame = tables.enterprises.lazy().join(_yearly(tables, y), on="eid", how="left", maintain_order="left")
    frame = frame.with_columns(
        (pl.lit(y) - pl.col("niche_since_year") + 1).cast(pl.Int32).alias("years_in_niche"),
        _full_years(pl.col("founded_on"), as_of).alias("years_operating"),
    )
    for agg, known, defaults in (
        (
            _awards(tables, as_of, opts),
            "awards_known",
            {
                "award_sci_np_3y": False,
                "award_prov_top3_3y": False,
                "award_nat_top5_3y": False,
                "award_nat_top3_3y": False,
            },
        ),
        (
            _contests(tables, as_of, opts),
            "contests_known",
            {"maker_top500_3y": False, "maker_top50_3y": False},
        ),
        (
            _equity(tables, as_of),
            "equity_known",
            {
                "equity_qualified_2y_fen": 0,
                "equity_qualified_2y_fen__uncertain": False,
                "equity_qualified_3y_fen": 0,
                "equity_qualified_3y_fen__uncertain": False,
            },
        ),
        (_titles(tables, as_of, opts), "titles_known", {"title_d2_valid": False}),
        (
            _certifications(tables, as_of, opts),
            "certifications_known",
            {f"cert_valid_{t}": False for t in TIERS},
        ),
    ):
        frame = frame.join(agg, on="eid", how="left", maintain_order="left").with_columns(
            _with_flag(known, defaults)
        )
    codes = tables.enterprises.get_column("industry_code").unique().to_list()
    frame = size_expressions(frame, codes)
    return Facts(frame=frame, as_of=as_of, year=y)


def _full_years(start: pl.Expr, as_of: date) -> pl.Expr:
    """Whole years from ``start`` to ``as_of`` (birthday arithmetic)."""
    years = pl.lit(as_of.year) - start.dt.year()
    before_anniversary = (start.dt.month() > as_of.month) | (
        (start.dt.month() == as_of.month) & (start.dt.day() > as_of.day)
    )
    return (years - before_anniversary.cast(pl.Int32)).cast(pl.Int32)
