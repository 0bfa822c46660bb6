"""The facts frame: one row per enterprise with everything the rules read, for one ``as_of`` date.

Use ``build_facts(tables, as_of, options)``. Yearly figures become columns such as ``rd_expense_fen[Y]`` and
``rd_expense_fen[Y-1]`` where Y is the last full year before ``as_of``; lists (awards, contests, equity
financing, titles, certifications) are aggregated column-wise into the flags and sums the criteria use; the
300号 size class is computed vectorised. An unknown list gives null, never False or 0.

The list facts a rulebook reads (``LIST_FACTS``: award kinds and levels, rank limits, contest groups, title
kinds, the title validity) are defined by that rulebook's parameters and computed per tier, into the column
``<tier>|fact:<name>``; the engine passes them in ``FactOptions.columns``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

import polars as pl

from srdi.domain.certifications import default_expiry_expr
from srdi.domain.dates import years_before
from srdi.domain.lifecycle import LifecycleRules, apply_lifecycle, fraud_ban_until
from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.size_class import standards
from srdi.domain.tables import FIGURES, Tables

YEAR_OFFSETS = {"Y": 0, "Y-1": 1, "Y-2": 2}
# Platform quality scores (2号, computed by the cultivation platform) are read for the calendar year of as_of
# ("当年度", A) and the year before it.
SCORE_OFFSETS = {"A": 0, "A-1": 1}
TIERS = ("innovative_sme", "srdi_sme", "hidden_champion", "little_giant")
# Certifications also record 科技型中小企业 registrations (v1.1), a tier-1 title under 2号 第三十条.
CERT_TIERS = (*TIERS, "tech_sme")


def score_col(offset: str) -> str:
    """``platform_score[A]`` (the score computed for as_of's year) or ``platform_score[A-1]``."""
    return f"platform_score[{offset}]"


def year_col(figure: str, offset: str) -> str:
    """Name of a yearly-figure column, e.g. ``year_col('rd_expense_fen', 'Y-1')`` → ``rd_expense_fen[Y-1]``."""
    return f"{figure}[{offset}]"


@dataclass(frozen=True)
class ListFact:
    """A fact aggregated from one of the profile's lists, and the rulebook parameters that define it.

    List facts are computed per tier, from the parameters of the rulebook that reads them (after any
    per-run override), into the column ``<tier>|fact:<name>``; see ``list_fact_condition``.
    """

    table: str  # awards | contests | titles | certifications | ip_items
    params: tuple[str, ...]
    # "any": some row meets the condition (Kleene); "count": at least the count parameter's number of rows do
    # (sure rows decide yes, rows that might count keep it unknown); "titles": any or all of listed titles.
    kind: str = "any"


# Unit each list-fact parameter must have (checked when the rulebooks are loaded).
LIST_FACT_PARAM_UNITS = {
    "direct_award_kinds": "list",
    "direct_award_levels": "list",
    "direct_award_provincial_max_rank": "count",
    "direct_award_national_max_rank": "count",
    "direct_contest_kinds": "list",
    "direct_contest_groups": "list",
    "direct_title_kinds": "list",
    "excluding_title_kinds": "list",
    "title_validity_years": "years",
    "ip_class1_kinds": "list",
    "ip_max_holder_rank": "count",
    "ip_class1_min": "count",
    "ip_invention_kinds": "list",
    "ip_invention_min": "count",
    "tier1_titles": "list",
    "tier1_requires_all": "bool",
}
LIST_FACTS: dict[str, ListFact] = {
    "sci_award_3y": ListFact("awards", ("direct_award_kinds", "direct_award_levels")),
    "sci_award_provincial_ranked_3y": ListFact(
        "awards", ("direct_award_kinds", "direct_award_provincial_max_rank")
    ),
    "sci_award_national_ranked_3y": ListFact(
        "awards", ("direct_award_kinds", "direct_award_national_max_rank")
    ),
    "maker_contest_3y": ListFact("contests", ("direct_contest_kinds", "direct_contest_groups")),
    "direct_title_valid": ListFact("titles", ("direct_title_kinds",)),
    "excluding_title_valid": ListFact("titles", ("excluding_title_kinds",)),
    **{f"cert_valid_{t}": ListFact("certifications", ("title_validity_years",)) for t in CERT_TIERS},
    # 2号 附件3: Ⅰ类 items related to the main product, valid on the date, not transferred in, held at a rank
    # within the limit and applied with economic benefit; at least ``ip_class1_min`` of them.
    "ip_class1_items_enough": ListFact(
        "ip_items", ("ip_class1_kinds", "ip_max_holder_rank", "ip_class1_min"), kind="count"
    ),
    # Valid invention patents applied with economic benefit (Zhejiang 2026 隐形冠军); without ``ip_items`` the
    # v1 count ``ip.invention_patents`` is read instead (the contract's fixed reading).
    "invention_items_enough": ListFact("ip_items", ("ip_invention_kinds", "ip_invention_min"), kind="count"),
    # 2号 第三十条: a valid 创新型中小企业 title or 科技型中小企业 registration (any; or all, by the switch).
    "tier1_title_valid": ListFact(
        "certifications", ("tier1_titles", "tier1_requires_all", "title_validity_years"), kind="titles"
    ),
}
WINDOW_YEARS = 3  # “近三年” of the award and contest facts (the ``_3y`` in their names)


@dataclass(frozen=True)
class ListFactColumn:
    """One list fact to compute for one tier: its column, the fact, and the parameter values it uses."""

    column: str
    fact: str
    values: tuple[tuple[str, Any], ...]  # (parameter id, value), lists frozen as tuples

    def value(self, pid: str) -> Any:
        return dict(self.values)[pid]


@dataclass(frozen=True)
class FactOptions:
    """What ``build_facts`` computes beyond the plain inputs.

    ``validity_years`` is the default term of the shared ``cert_valid_<tier>`` columns (the ladder of the
    six-dimension profile, policy standing); ``columns`` are the tiers' own list facts; ``lifecycle`` ends
    titles cancelled for missed annual updates or removed for data fraud before any validity is judged.
    """

    validity_years: int = 3
    columns: tuple[ListFactColumn, ...] = ()
    lifecycle: LifecycleRules | None = None


@lru_cache(maxsize=4096)
def list_fact_condition(col: ListFactColumn, as_of: date) -> pl.Expr:
    """The condition one row of the fact's list table must meet (Kleene: an unknown field gives null).

    Cached: expressions are immutable, and building them is a fixed cost of every one-row assessment. The
    ``cert_valid_<tier>`` facts read per-row validity columns and are built with them in ``_fact_plan``.
    """
    fact = col.fact
    if fact in ("direct_title_valid", "excluding_title_valid"):
        valid = (pl.col("valid_from") <= as_of) & (pl.col("valid_to") >= as_of)
        listed = "direct_title_kinds" if fact == "direct_title_valid" else "excluding_title_kinds"
        return pl.col("kind").is_in(list(col.value(listed))) & valid
    if fact in ("ip_class1_items_enough", "invention_items_enough"):
        valid = (pl.col("granted_on") <= as_of) & (
            pl.col("expires_on").is_null() | (pl.col("expires_on") >= as_of)
        )
        if fact == "invention_items_enough":
            return (
                pl.col("kind").is_in(list(col.value("ip_invention_kinds")))
                & valid
                & pl.col("applied_with_benefit")
            )
        rank = int(col.value("ip_max_holder_rank"))
        return (
            pl.col("kind").is_in(list(col.value("ip_class1_kinds")))
            & valid
            & ~pl.col("transferred_in")
            & (pl.col("holder_rank") <= rank)
            & pl.col("applied_with_benefit")
        )
    in_window = (pl.col("date") > years_before(as_of, WINDOW_YEARS)) & (pl.col("date") <= as_of)
    if fact == "maker_contest_3y":
        kinds = pl.col("kind").is_in(list(col.value("direct_contest_kinds")))
        return kinds & pl.col("group").is_in(list(col.value("direct_contest_groups"))) & in_window
    sci = pl.col("kind").is_in(list(col.value("direct_award_kinds")))
    level = pl.col("level")
    if fact == "sci_award_3y":
        return sci & level.is_in(list(col.value("direct_award_levels"))) & in_window
    if fact == "sci_award_provincial_ranked_3y":
        rank = int(col.value("direct_award_provincial_max_rank"))
        return sci & (level == "provincial") & (pl.col("rank") <= rank) & in_window
    if fact == "sci_award_national_ranked_3y":
        rank = int(col.value("direct_award_national_max_rank"))
        return sci & (level == "national") & (pl.col("rank") <= rank) & in_window
    raise ValueError(f"unknown list fact {fact!r}")  # pragma: no cover - LIST_FACTS lists them all


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


class DuplicateYears(RuleDataError):
    """The yearly figures hold more than one row for an enterprise and year."""


def collect(query: pl.LazyFrame, *, optimise: bool = True) -> pl.DataFrame:
    """Run a query built on the facts, refusing by name the one input error only the query itself detects (two
    yearly rows for one enterprise and year, see ``_with_years``)."""
    try:
        return query.collect() if optimise else query.collect(optimizations=pl.QueryOptFlags.none())
    except pl.exceptions.ComputeError as exc:
        if "m:1 validation" in str(exc):
            raise DuplicateYears("years", "year", "同一企业同一年度有多行财务数据，请合并后再评价") from None
        raise


def _with_years(frame: pl.LazyFrame, tables: Tables, y: int) -> pl.LazyFrame:
    """``frame`` with each figure of years Y, Y-1 and Y-2 as columns (``rd_expense_fen[Y-1]`` …).

    A year's row is left-joined by ``eid``; the join checks that there is at most one row per enterprise and
    year (the database and the exchange format both guarantee it) instead of de-duplicating, which cost most
    of the facts query on a million enterprises.
    """
    years = tables.years.lazy()
    for label, offset in YEAR_OFFSETS.items():
        part = years.filter(pl.col("year") == y - offset).select(
            "eid", *[pl.col(f).alias(year_col(f, label)) for f in FIGURES]
        )
        frame = frame.join(part, on="eid", how="left", maintain_order="left", validate="m:1")
    return frame


def _equity_aggregations(as_of: date) -> list[pl.Expr]:
    """Qualified equity raised: in the rolling 2 and 3 years up to as_of (63号 "近2年/近3年"), and in the two
    financial years before the application year (2号 "近两年" = Y−1 and Y, criteria-2026 §1.4)."""
    y = as_of.year - 1
    windows = {
        "equity_qualified_2y_fen": (pl.col("date") > years_before(as_of, 2)) & (pl.col("date") <= as_of),
        "equity_qualified_3y_fen": (pl.col("date") > years_before(as_of, 3)) & (pl.col("date") <= as_of),
        "equity_qualified_fy2_fen": (pl.col("date") >= date(y - 1, 1, 1))
        & (pl.col("date") <= date(y, 12, 31)),
    }
    aggs = []
    for name, window in windows.items():
        counts = pl.col("qualified_investor") & window
        known_amount = pl.when(counts.fill_null(False) & pl.col("amount_fen").is_not_null()).then(
            pl.col("amount_fen")
        )
        uncertain = counts.is_null() | (counts.fill_null(False) & pl.col("amount_fen").is_null())
        aggs.append(known_amount.fill_null(0).sum().alias(name))
        aggs.append(uncertain.any().alias(f"{name}__uncertain"))
    return aggs


def certification_expiry(validity_years: int = 3) -> pl.Expr:
    """Effective expiry: ``expires_on``, or else the day before the anniversary ``validity_years`` later.

    The rule is ``srdi.domain.certifications.effective_expiry`` (2023-01-15 → 2026-01-14; 2024-02-29 →
    2027-02-28), vectorised by ``default_expiry_expr``.
    """
    return pl.coalesce(pl.col("expires_on"), default_expiry_expr(pl.col("recognized_on"), validity_years))


def certification_valid_on(day: date | pl.Expr, validity_years: int = 3) -> pl.Expr:
    """Kleene validity of a certification row on a day (revoked on or before the day → not valid)."""
    d = pl.lit(day) if isinstance(day, date) else day
    not_revoked = pl.col("revoked_on").is_null() | (pl.col("revoked_on") > d)
    return (pl.col("recognized_on") <= d) & (certification_expiry(validity_years) >= d) & not_revoked


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


_VARS = {"E": "__E", "R": "__R", "A": "__A"}


def _condition_shapes(attr: str) -> list[tuple[str, dict[str, str], list[int]]]:
    """Group the standards' ``attr`` conditions by shape: (joiner, comparison per variable, member indexes).

    A standard joins a group with the same joiner whose comparisons agree on every variable it uses; a variable
    a member does not use is neutral for it. The 300号 table has one shape per condition.
    """
    stds, _ = _standard_index()
    groups: list[tuple[str, dict[str, str], list[int]]] = []
    for i, std in enumerate(stds):
        cond = getattr(std, attr)
        ops = {t.var: t.op for t in cond.terms}
        if len(ops) != len(cond.terms):
            raise ValueError(f"{std.industry} {attr}: 同一变量出现两次，无法按形状计算")
        for joiner, shape, members in groups:
            if joiner == cond.joiner and all(shape.get(v, op) == op for v, op in ops.items()):
                shape.update(ops)
                members.append(i)
                break
        else:
            groups.append((cond.joiner, dict(ops), [i]))
    return groups


_SIZE_ATTRS = ("sme_if", "medium_if", "small_if")


@cache
def _size_plan() -> tuple[pl.DataFrame, dict[str, pl.Expr]]:
    """The 300号 table as one row per standard (``__std``) holding each shape's bounds, and per condition the
    expression that reads them.

    Each shape of condition is one expression over bound columns (a variable a standard does not use has no
    bound and is neutral: True under ``and``, False under ``or``), rather than a when/then branch per
    industry: the result is the same, and one join to the bounds costs a fraction of looking each bound up.
    """
    stds, _ = _standard_index()
    rows: dict[str, list[Any]] = {
        "__std": list(range(len(stds))),
        "__size_group": [s.industry for s in stds],
    }
    exprs: dict[str, pl.Expr] = {}
    for attr in _SIZE_ATTRS:
        shape_col = f"__shape:{attr}"
        rows[shape_col] = [None] * len(stds)
        expr = pl.lit(None, dtype=pl.Boolean)
        for k, (joiner, shape, members) in enumerate(_condition_shapes(attr)):
            for i in members:
                rows[shape_col][i] = k
            neutral = pl.lit(joiner == "and")
            terms = []
            for var, op in shape.items():
                bound_col = f"__bound:{attr}:{k}:{var}"
                rows[bound_col] = [
                    next((t.bound for t in getattr(stds[i], attr).terms if t.var == var), None)
                    if i in members
                    else None
                    for i in range(len(stds))
                ]
                bound, value = pl.col(bound_col), pl.col(_VARS[var])
                compare = value >= bound if op == ">=" else value < bound
                terms.append(pl.when(bound.is_null()).then(neutral).otherwise(compare))
            combined = terms[0]
            for term in terms[1:]:
                combined = (combined & term) if joiner == "and" else (combined | term)
            expr = pl.when(pl.col(shape_col) == k).then(combined).otherwise(expr)
        exprs[attr] = expr
    schema = {name: pl.Int64 for name in rows} | {"__std": pl.Int32, "__size_group": pl.String}
    return pl.DataFrame(rows, schema=schema), exprs


def size_expressions(frame: pl.LazyFrame, codes: list[str | None]) -> pl.LazyFrame:
    """Add ``size_group``, ``size_class`` and ``is_sme`` (Kleene) using the 300号 table, vectorised."""
    bounds, conditions = _size_plan()
    mapping = _industry_to_index(codes)
    idx = pl.col("industry_code").replace_strict(mapping, default=None, return_dtype=pl.Int32)
    frame = frame.with_columns(
        idx.alias("__std"),
        pl.col("employees[Y]").alias("__E"),
        (pl.col("operating_revenue_fen[Y]") // 1_000_000).alias("__R"),
        (pl.col("total_assets_fen[Y]") // 1_000_000).alias("__A"),
    ).join(bounds.lazy(), on="__std", how="left", maintain_order="left")
    frame = frame.with_columns(
        conditions["sme_if"].alias("is_sme"),
        conditions["medium_if"].alias("__medium"),
        conditions["small_if"].alias("__small"),
        pl.col("__size_group").alias("size_group"),
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
    helpers = [name for name in bounds.columns if name.startswith("__")]
    return frame.with_columns(size.alias("size_class")).drop(
        *helpers, "__E", "__R", "__A", "__medium", "__small"
    )


def _with_scores(frame: pl.LazyFrame, tables: Tables, year: int) -> pl.LazyFrame:
    """``frame`` with the platform quality score of as_of's year and of the year before (null when not given)."""
    if tables.scores.height == 0:
        return frame.with_columns(
            pl.lit(None, dtype=pl.Decimal(20, 9)).alias(score_col(o)) for o in SCORE_OFFSETS
        )
    scores = tables.scores.lazy()
    for label, offset in SCORE_OFFSETS.items():
        part = scores.filter(pl.col("year") == year - offset).select(
            "eid", pl.col("score").alias(score_col(label))
        )
        frame = frame.join(part, on="eid", how="left", maintain_order="left", validate="m:1")
    return frame


def _with_fraud_ban(
    frame: pl.LazyFrame, tables: Tables, rules: LifecycleRules | None, as_of: date
) -> pl.LazyFrame:
    """``fraud_ban_active``: a data-fraud ban covers as_of (no sanction known: false)."""
    if rules is None or tables.sanctions.height == 0:
        return frame.with_columns(pl.lit(False).alias("fraud_ban_active"))
    bans = fraud_ban_until(tables, rules, as_of).lazy()
    return (
        frame.join(bans, on="eid", how="left", maintain_order="left")
        .with_columns(pl.col("__ban_until").is_not_null().alias("fraud_ban_active"))
        .drop("__ban_until")
    )


def build_facts(tables: Tables, as_of: date, options: FactOptions | None = None) -> Facts:
    """The facts query for ``as_of`` (Y = as_of.year − 1), lazy so that it runs in one pass with the rules."""
    opts = options or FactOptions()
    y = as_of.year - 1
    if opts.lifecycle is not None:
        tables = apply_lifecycle(tables, opts.lifecycle)
    plan = _fact_plan(as_of, opts)
    frame = _with_years(tables.enterprises.lazy(), tables, y)
    frame = _with_scores(frame, tables, as_of.year)
    frame = _with_fraud_ban(frame, tables, opts.lifecycle, as_of)
    frame = frame.with_columns(plan.derived)
    frame = _join_aggregate(frame, tables.equity, tables.equity.lazy().group_by("eid").agg(plan.equity))
    frame = frame.with_columns(plan.equity_flags)
    for lp in plan.lists:
        source: pl.DataFrame = getattr(tables, lp.table)
        rows = source.lazy().with_columns(lp.prepare) if lp.prepare else source.lazy()
        if lp.relevant is not None:
            rows = rows.filter(lp.relevant)
        frame = _join_aggregate(frame, source, rows.group_by("eid").agg(lp.aggregations)).with_columns(
            lp.flags
        )
    codes = tables.enterprises.get_column("industry_code").unique().to_list()
    frame = size_expressions(frame, codes)
    return Facts(frame=frame, as_of=as_of, year=y)


@dataclass(frozen=True)
class _FactPlan:
    """The expressions of a facts query, which depend only on the date and the options."""

    derived: list[pl.Expr]
    equity: list[pl.Expr]
    equity_flags: list[pl.Expr]
    lists: list[_ListPlan]


@dataclass(frozen=True)
class _ListPlan:
    """How one list table becomes per-enterprise facts."""

    table: str
    prepare: list[pl.Expr]  # row columns computed before aggregating
    # The rows some condition may hold for (Kleene: unknown is kept), where dropping the others changes nothing.
    relevant: pl.Expr | None
    aggregations: list[pl.Expr]
    flags: list[pl.Expr]  # the final columns, with the defaults of a known list


@lru_cache(maxsize=256)
def _fact_plan(as_of: date, opts: FactOptions) -> _FactPlan:
    # Cached: building these expressions is a fixed cost of every one-row assessment; expressions are immutable.
    y = as_of.year - 1
    # A certification's validity depends on the term in years only: computed once per term for each row, then
    # read by every tier's condition (a small query evaluates a repeated expression again each time).
    terms = sorted(
        {opts.validity_years}
        | {
            int(c.value("title_validity_years"))
            for c in opts.columns
            if c.fact.startswith("cert_valid_") or c.fact == "tier1_title_valid"
        }
    )
    cert_prepare = [certification_valid_on(as_of, n).alias(f"__valid_{n}y") for n in terms]

    def cert_valid(tier: str, term: int) -> pl.Expr:
        return (pl.col("tier") == tier) & pl.col(f"__valid_{term}y")

    by_table: dict[str, list[tuple[str, pl.Expr]]] = {
        "awards": [],
        "contests": [],
        "titles": [],
        "certifications": [(f"cert_valid_{t}", cert_valid(t, opts.validity_years)) for t in CERT_TIERS],
        "ip_items": [],
    }
    counted: dict[str, list[tuple[ListFactColumn, pl.Expr]]] = {"ip_items": [], "certifications": []}
    for col in opts.columns:
        kind = LIST_FACTS[col.fact].kind
        if kind == "titles":
            term = int(col.value("title_validity_years"))
            for tier in col.value("tier1_titles"):
                counted["certifications"].append((col, cert_valid(tier, term).alias(f"{col.column}#{tier}")))
            continue
        if col.fact.startswith("cert_valid_"):
            term = int(col.value("title_validity_years"))
            condition = cert_valid(col.fact.removeprefix("cert_valid_"), term)
        else:
            condition = list_fact_condition(col, as_of)
        if kind == "count":
            counted[LIST_FACTS[col.fact].table].append((col, condition))
        else:
            by_table[LIST_FACTS[col.fact].table].append((col.column, condition))
    equity_defaults = {
        "equity_qualified_2y_fen": 0,
        "equity_qualified_2y_fen__uncertain": False,
        "equity_qualified_3y_fen": 0,
        "equity_qualified_3y_fen__uncertain": False,
        "equity_qualified_fy2_fen": 0,
        "equity_qualified_fy2_fen__uncertain": False,
    }
    lists = []
    for table, columns in by_table.items():
        extra_aggs, extra_flags = _counted(counted.get(table, []), table)
        if not columns and not extra_aggs:
            continue
        lists.append(
            _ListPlan(
                table,
                cert_prepare if table == "certifications" else [],
                _relevant_rows(columns, counted.get(table, [])),
                [*(_kleene_any(cond).alias(name) for name, cond in columns), *extra_aggs],
                [
                    *_with_flag(f"{table}_known", dict.fromkeys((name for name, _ in columns), False)),
                    *extra_flags,
                ],
            )
        )
    return _FactPlan(
        derived=[
            (pl.lit(y) - pl.col("niche_since_year") + 1).cast(pl.Int32).alias("years_in_niche"),
            _full_years(pl.col("founded_on"), as_of).alias("years_operating"),
        ],
        equity=_equity_aggregations(as_of),
        equity_flags=_with_flag("equity_known", equity_defaults),
        lists=lists,
    )


def _relevant_rows(
    columns: list[tuple[str, pl.Expr]], counted: list[tuple[ListFactColumn, pl.Expr]]
) -> pl.Expr | None:
    """The filter that keeps only rows some condition may hold for, when the table's facts are all counts or
    title checks: those read their aggregates only for a known list, where an enterprise left with no rows
    gets 0 or false, exactly what its surely-failing rows gave (most IP items count for nothing, and
    aggregating fewer rows is most of the saving). A Kleene ``any`` fact keeps every row: for a list that is not
    known, failing rows make it false where no rows leave it unknown."""
    if columns or not counted:
        return None
    return pl.any_horizontal([cond.meta.undo_aliases().fill_null(True) for _, cond in counted])


def _counted(facts: list[tuple[ListFactColumn, pl.Expr]], table: str) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Aggregations and final expressions of the counting list facts of one table.

    A ``count`` fact keeps ``<column>#count`` (rows that surely count) and ``<column>#maybe`` (rows that might:
    an unknown field); it is true when the sure rows reach the minimum, false when even the possible ones do
    not, unknown otherwise, and unknown when the list itself is not known (the invention-patent fact then
    reads the v1 ``ip.invention_patents`` count). A ``titles`` fact combines one validity column per listed
    title with any/all."""
    aggs: list[pl.Expr] = []
    flags: list[pl.Expr] = []
    known = pl.col(f"{table}_known").fill_null(False)
    titles: dict[str, list[str]] = {}
    for col, cond in facts:
        if LIST_FACTS[col.fact].kind == "titles":
            name = cond.meta.output_name()
            aggs.append(_kleene_any(cond).alias(name))
            titles.setdefault(col.column, []).append(name)
            continue
        sure, maybe = f"{col.column}#count", f"{col.column}#maybe"
        aggs += [cond.fill_null(False).sum().alias(sure), cond.fill_null(True).sum().alias(maybe)]
        minimum = int(
            col.value("ip_class1_min" if col.fact == "ip_class1_items_enough" else "ip_invention_min")
        )
        n_sure = pl.when(known).then(pl.col(sure).fill_null(0))
        n_maybe = pl.when(known).then(pl.col(maybe).fill_null(0))
        verdict = pl.when(n_sure >= minimum).then(True).when(n_maybe < minimum).then(False).otherwise(None)
        if col.fact == "invention_items_enough":  # no list: the v1 count decides
            verdict = pl.when(known).then(verdict).otherwise(pl.col("ip_invention_patents") >= minimum)
        flags += [n_sure.alias(sure), n_maybe.alias(maybe)]
        flags.append(verdict.alias(col.column))
    for column, names in titles.items():
        col = next(c for c, _ in facts if c.column == column)
        parts = [pl.when(known).then(pl.col(n).fill_null(False)) for n in names]
        combined = pl.all_horizontal(parts) if col.value("tier1_requires_all") else pl.any_horizontal(parts)
        flags.append(combined.alias(column))
    return aggs, flags


def _join_aggregate(frame: pl.LazyFrame, source: pl.DataFrame, aggregate: pl.LazyFrame) -> pl.LazyFrame:
    """Left-join a per-enterprise aggregate; from an empty source table, its columns are simply null.

    The shortcut gives exactly what the join would, and spares a single profile without, say, contests the cost
    of a group-by and a join (most of a one-row assessment's time is such fixed costs).
    """
    if source.height:
        return frame.join(aggregate, on="eid", how="left", maintain_order="left")
    schema = aggregate.collect_schema()
    return frame.with_columns(
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in schema.items() if name != "eid"
    )


def _full_years(start: pl.Expr, as_of: date) -> pl.Expr:
    """Whole years from ``start`` to ``as_of`` (birthday arithmetic)."""
    years = pl.lit(as_of.year) - start.dt.year()
    before_anniversary = (start.dt.month() > as_of.month) | (
        (start.dt.month() == as_of.month) & (start.dt.day() > as_of.day)
    )
    return (years - before_anniversary.cast(pl.Int32)).cast(pl.Int32)
