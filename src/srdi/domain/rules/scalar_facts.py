"""The facts rows of a few enterprises in plain Python: the scalar twin of ``srdi.domain.rules.facts``.

Use ``build_fact_rows(rows, as_of, options)`` where building Polars tables and a query costs more than the work
itself (one profile, a handful): it returns, for each enterprise of ``rows`` (``srdi.domain.tables.RowTables``)
in order, exactly the dict that ``collect(build_facts(rows.to_tables(), as_of, options).frame)`` gives as a
named row — every column with the same name, order, value and Python type (None for unknown), and the same
``DuplicateYears`` error. Batches use ``build_facts``: column-wise, it is far cheaper per row (and
``engine.assess`` uses it for every assessment until the scalar rule backend is wired in).

The computation is written twice, the rule values once: each section below mirrors the function of
``facts.py`` named in its heading and reads the same rule data (``ListFactColumn.values`` of the compiled
rulebooks, the 300号 table through ``srdi.domain.size_class``, the lifecycle rules through
``srdi.domain.lifecycle``), and ``tests/unit/test_scalar_facts.py`` holds the two equal on every YAML rule
case, demo-generator data, an edge grid and Hypothesis batches (boundaries included). A change to
``facts.py`` needs the same change here, or that test fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from srdi.domain.certifications import effective_expiry
from srdi.domain.dates import years_before
from srdi.domain.lifecycle import LifecycleRules, ban_in_force, fraud_ban_spans, revoked_on_after
from srdi.domain.rules.facts import (
    CERT_TIERS,
    LIST_FACTS,
    SCORE_OFFSETS,
    WINDOW_YEARS,
    YEAR_OFFSETS,
    DuplicateYears,
    FactOptions,
    ListFactColumn,
    score_col,
    year_col,
)
from srdi.domain.size_class import classify_by_standard, fen_to_wan_floor, standard_or_none
from srdi.domain.tables import ENTERPRISE_SCHEMA, FIGURES, RowTables

Row = Mapping[str, Any]
Tri = bool | None
Condition = Callable[[Row], Tri]

# Decimal(20, 9) columns: Polars gives them with nine decimal places.
_NANO = Decimal("1e-9")
_DECIMAL_COLUMNS = tuple(c for c, t in ENTERPRISE_SCHEMA.items() if str(t).startswith("Decimal"))
_YEAR_COLUMNS = {label: [(f, year_col(f, label)) for f in FIGURES] for label in YEAR_OFFSETS}


def _dec(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_NANO, rounding=ROUND_HALF_EVEN)


# ---- Kleene three-valued logic, as Polars evaluates it ------------------------------------------------------


def _and(*terms: Tri) -> Tri:
    out: Tri = True
    for term in terms:
        if term is False:
            return False
        if term is None:
            out = None
    return out


def _any(values: Iterable[Tri]) -> Tri:
    """``expr.any(ignore_nulls=False)`` over a group; no rows (no group: the join gives null) → None."""
    out: Tri = False
    seen = False
    for value in values:
        seen = True
        if value is True:
            return True
        if value is None:
            out = None
    return out if seen else None


def _in(value: Any, members: frozenset[Any]) -> Tri:
    return None if value is None else value in members


def _le(a: Any, b: Any) -> Tri:
    return None if a is None or b is None else a <= b


def _ge(a: Any, b: Any) -> Tri:
    return None if a is None or b is None else a >= b


def _gt(a: Any, b: Any) -> Tri:
    return None if a is None or b is None else a > b


def _eq(a: Any, b: Any) -> Tri:
    return None if a is None else a == b


def _not(a: Tri) -> Tri:
    return None if a is None else not a


# ---- list facts: ``facts.list_fact_condition`` ---------------------------------------------------------------


def _list_condition(col: ListFactColumn, as_of: date) -> Condition:
    """The condition one row of the fact's list table must meet (Kleene), as ``list_fact_condition``."""
    fact = col.fact
    if fact in ("direct_title_valid", "excluding_title_valid"):
        listed = "direct_title_kinds" if fact == "direct_title_valid" else "excluding_title_kinds"
        titles = frozenset(col.value(listed))
        return lambda r: _and(_in(r["kind"], titles), _le(r["valid_from"], as_of), _ge(r["valid_to"], as_of))
    if fact in ("ip_class1_items_enough", "invention_items_enough"):
        # Written out (IP lists are the longest): a false term decides False, else an unknown one None.
        class1 = fact == "ip_class1_items_enough"
        kinds = frozenset(col.value("ip_class1_kinds" if class1 else "ip_invention_kinds"))
        rank = int(col.value("ip_max_holder_rank")) if class1 else 0

        def ip_item(r: Row) -> Tri:
            kind, granted, expires, benefit = (
                r["kind"],
                r["granted_on"],
                r["expires_on"],
                r["applied_with_benefit"],
            )
            if (
                (kind is not None and kind not in kinds)
                or (granted is not None and granted > as_of)
                or (expires is not None and expires < as_of)
                or benefit is False
            ):
                return False
            unknown = kind is None or granted is None or benefit is None
            if class1:
                transferred, holder = r["transferred_in"], r["holder_rank"]
                if transferred is True or (holder is not None and holder > rank):
                    return False
                unknown = unknown or transferred is None or holder is None
            return None if unknown else True

        return ip_item
    start = years_before(as_of, WINDOW_YEARS)

    def in_window(r: Row) -> Tri:
        return _and(_gt(r["date"], start), _le(r["date"], as_of))

    if fact == "maker_contest_3y":
        contests = frozenset(col.value("direct_contest_kinds"))
        groups = frozenset(col.value("direct_contest_groups"))
        return lambda r: _and(_in(r["kind"], contests), _in(r["group"], groups), in_window(r))
    awards = frozenset(col.value("direct_award_kinds"))
    if fact == "sci_award_3y":
        levels = frozenset(col.value("direct_award_levels"))
        return lambda r: _and(_in(r["kind"], awards), _in(r["level"], levels), in_window(r))
    if fact in ("sci_award_provincial_ranked_3y", "sci_award_national_ranked_3y"):
        provincial = fact == "sci_award_provincial_ranked_3y"
        level = "provincial" if provincial else "national"
        max_rank = int(
            col.value("direct_award_provincial_max_rank" if provincial else "direct_award_national_max_rank")
        )
        return lambda r: _and(
            _in(r["kind"], awards), _eq(r["level"], level), _le(r["rank"], max_rank), in_window(r)
        )
    raise ValueError(f"unknown list fact {fact!r}")  # pragma: no cover - LIST_FACTS lists them all


# ---- certification validity: ``facts.certification_valid_on`` ----------------------------------------------


def _valid_key(term: int) -> str:
    return f"__valid_{term}y"


def _certification_valid_on(cert: Row, revoked_on: date | None, day: date, term: int) -> Tri:
    """Kleene validity of a certification row on a day (revoked on or before the day → not valid)."""
    recognized = cert["recognized_on"]
    expiry = effective_expiry(recognized, cert["expires_on"], term)
    return _and(_le(recognized, day), _ge(expiry, day), revoked_on is None or revoked_on > day)


def _cert_valid(tier: str, term: int) -> Condition:
    key = _valid_key(term)
    return lambda r: _and(_eq(r["tier"], tier), r[key])


# ---- the plan: ``facts._fact_plan`` and ``facts._counted`` ---------------------------------------------------


@dataclass(frozen=True)
class _Counted:
    """A ``count`` list fact: its column, row condition, minimum, and whether the v1 count stands in."""

    column: str
    condition: Condition
    minimum: int
    v1_fallback: bool


@dataclass(frozen=True)
class _Titles:
    """A ``titles`` list fact: one validity column per listed title (``<column>#<tier>``), any or all."""

    column: str
    parts: tuple[tuple[str, Condition], ...]
    requires_all: bool


@dataclass(frozen=True)
class _TablePlan:
    """One list table's facts, in the column order of the Polars query."""

    table: str
    anys: tuple[tuple[str, Condition], ...]
    counted: tuple[_Counted | _Titles, ...]


@dataclass(frozen=True)
class _Plan:
    terms: tuple[int, ...]
    lists: tuple[_TablePlan, ...]
    equity_windows: tuple[tuple[str, Callable[[date | None], Tri]], ...]


@lru_cache(maxsize=256)
def _plan(as_of: date, opts: FactOptions) -> _Plan:
    """The conditions of ``_fact_plan`` for one date and options (cached: they depend on nothing else)."""
    terms = sorted(
        {opts.validity_years}
        | {
            int(c.value("title_validity_years"))
            for c in opts.columns
            if c.fact.startswith("cert_valid_") or c.fact == "tier1_title_valid"
        }
    )
    by_table: dict[str, list[tuple[str, Condition]]] = {
        "awards": [],
        "contests": [],
        "titles": [],
        "certifications": [(f"cert_valid_{t}", _cert_valid(t, opts.validity_years)) for t in CERT_TIERS],
        "ip_items": [],
    }
    counted: dict[str, list[_Counted | _Titles]] = {"ip_items": [], "certifications": []}
    for col in opts.columns:
        kind = LIST_FACTS[col.fact].kind
        if kind == "titles":
            term = int(col.value("title_validity_years"))
            parts = tuple((f"{col.column}#{t}", _cert_valid(t, term)) for t in col.value("tier1_titles"))
            counted["certifications"].append(
                _Titles(col.column, parts, bool(col.value("tier1_requires_all")))
            )
            continue
        if col.fact.startswith("cert_valid_"):
            condition = _cert_valid(
                col.fact.removeprefix("cert_valid_"), int(col.value("title_validity_years"))
            )
        else:
            condition = _list_condition(col, as_of)
        if kind == "count":
            minimum = int(
                col.value("ip_class1_min" if col.fact == "ip_class1_items_enough" else "ip_invention_min")
            )
            counted[LIST_FACTS[col.fact].table].append(
                _Counted(col.column, condition, minimum, col.fact == "invention_items_enough")
            )
        else:
            by_table[LIST_FACTS[col.fact].table].append((col.column, condition))
    lists = tuple(
        _TablePlan(table, tuple(columns), tuple(counted.get(table, [])))
        for table, columns in by_table.items()
        if columns or counted.get(table)
    )
    return _Plan(tuple(terms), lists, _equity_windows(as_of))


# ---- equity: ``facts._equity_aggregations`` ------------------------------------------------------------------


def _equity_windows(as_of: date) -> tuple[tuple[str, Callable[[date | None], Tri]], ...]:
    y = as_of.year - 1
    two, three = years_before(as_of, 2), years_before(as_of, 3)
    fy_start, fy_end = date(y - 1, 1, 1), date(y, 12, 31)
    return (
        ("equity_qualified_2y_fen", lambda d: _and(_gt(d, two), _le(d, as_of))),
        ("equity_qualified_3y_fen", lambda d: _and(_gt(d, three), _le(d, as_of))),
        ("equity_qualified_fy2_fen", lambda d: _and(_ge(d, fy_start), _le(d, fy_end))),
    )


def _equity(out: dict[str, Any], rows: Sequence[Row], known: Tri, plan: _Plan) -> None:
    """Qualified equity raised per window, and whether an unknown field leaves the sum uncertain."""
    for name, window in plan.equity_windows:
        total: int | None = None
        uncertain: bool | None = None
        for r in rows:
            counts = _and(r["qualified_investor"], window(r["date"]))
            amount = r["amount_fen"]
            total = (total or 0) + (amount if counts is True and amount is not None else 0)
            uncertain = bool(uncertain) or counts is None or (counts is True and amount is None)
        if known is True:  # ``_with_flag``: a known but empty list gives 0 and False
            total = 0 if total is None else total
            uncertain = False if uncertain is None else uncertain
        out[name] = total
        out[f"{name}__uncertain"] = uncertain


# ---- list tables: ``facts._join_aggregate`` with the plan's aggregations and fills --------------------------


def _list_facts(out: dict[str, Any], plan: _TablePlan, rows: Sequence[Row], ent: Row) -> None:
    known = ent[f"{plan.table}_known"]
    for column, condition in plan.anys:
        value = _any(condition(r) for r in rows)
        out[column] = False if value is None and known is True else value
    known_or_false = known is True
    verdicts: dict[str, Tri] = {}
    for fact in plan.counted:
        if isinstance(fact, _Titles):
            for name, condition in fact.parts:
                out[name] = _any(condition(r) for r in rows)
            continue
        sure = maybe = None
        if rows:
            results = [fact.condition(r) for r in rows]
            sure = sum(1 for x in results if x is True)
            maybe = sum(1 for x in results if x is not False)
        n_sure = (sure or 0) if known_or_false else None
        n_maybe = (maybe or 0) if known_or_false else None
        out[f"{fact.column}#count"] = n_sure
        out[f"{fact.column}#maybe"] = n_maybe
        verdict: Tri = (
            True
            if n_sure is not None and n_sure >= fact.minimum
            else False
            if n_maybe is not None and n_maybe < fact.minimum
            else None
        )
        if fact.v1_fallback and not known_or_false:  # no list: the v1 count decides
            verdict = _ge(ent["ip_invention_patents"], fact.minimum)
        verdicts[fact.column] = verdict
    out.update(verdicts)
    for fact in plan.counted:
        if isinstance(fact, _Titles):
            parts = [(out[name] is True) if known_or_false else None for name, _ in fact.parts]
            out[fact.column] = _all_horizontal(parts) if fact.requires_all else _any_horizontal(parts)


def _all_horizontal(parts: list[Tri]) -> Tri:
    return _and(*parts)


def _any_horizontal(parts: list[Tri]) -> Tri:
    if any(p is True for p in parts):
        return True
    return None if any(p is None for p in parts) else False


# ---- yearly figures and scores: ``facts._with_years`` and ``facts._with_scores`` -----------------------------


def _by_year(rows: list[dict[str, Any]], years: dict[int, str]) -> dict[Any, dict[str, dict[str, Any]]]:
    """eid → label → the row of that year (only the years read); two rows of one year refuse like the join."""
    out: dict[Any, dict[str, dict[str, Any]]] = {}
    for r in rows:
        label = years.get(r["year"])
        if label is None or r["eid"] is None:
            continue
        seen = out.setdefault(r["eid"], {})
        if label in seen:
            raise DuplicateYears("years", "year", "同一企业同一年度有多行财务数据，请合并后再评价")
        seen[label] = r
    return out


def _years(out: dict[str, Any], found: dict[str, dict[str, Any]] | None) -> None:
    for label, columns in _YEAR_COLUMNS.items():
        row = found.get(label) if found else None
        for figure, column in columns:
            out[column] = None if row is None else row[figure]


def _scores(out: dict[str, Any], found: dict[str, dict[str, Any]] | None) -> None:
    for label in SCORE_OFFSETS:
        row = found.get(label) if found else None
        out[score_col(label)] = None if row is None else _dec(row["score"])


# ---- derived columns: ``facts._fact_plan`` ``derived`` and ``facts._full_years`` ----------------------------


def _full_years(start: date | None, as_of: date) -> int | None:
    if start is None:
        return None
    before_anniversary = (start.month, start.day) > (as_of.month, as_of.day)
    return as_of.year - start.year - int(before_anniversary)


# ---- the 300号 size class: ``facts.size_expressions`` --------------------------------------------------------


def _size(out: dict[str, Any]) -> None:
    code = out["industry_code"]
    std = standard_or_none(code) if code is not None else None
    if std is None:
        out["is_sme"] = out["size_group"] = out["size_class"] = None
        return
    result = classify_by_standard(
        std,
        out["employees[Y]"],
        fen_to_wan_floor(out["operating_revenue_fen[Y]"]),
        fen_to_wan_floor(out["total_assets_fen[Y]"]),
    )
    out["is_sme"] = result.is_sme
    out["size_group"] = std.industry
    out["size_class"] = result.size_class


# ---- the lifecycle: ``lifecycle.apply_lifecycle`` and ``facts._with_fraud_ban`` -----------------------------


def _certifications(
    certs: Sequence[Row],
    ent: Row,
    sanctions: Sequence[Row],
    updates: Sequence[Row],
    rules: LifecycleRules | None,
    terms: tuple[int, ...],
    as_of: date,
) -> Sequence[Row]:
    """The certification rows with their validity per term, after the lifecycle moved ``revoked_on``."""
    if not certs:
        return certs
    revoked = [c["revoked_on"] for c in certs]
    if rules is not None:
        spans = fraud_ban_spans(sanctions, rules)
        if spans or ent["data_updates_known"]:
            revoked = revoked_on_after(certs, updates, spans, ent["data_updates_known"], rules)
    return [
        {"tier": c["tier"], **{_valid_key(n): _certification_valid_on(c, end, as_of, n) for n in terms}}
        for c, end in zip(certs, revoked, strict=True)
    ]


def _group(rows: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    """Rows by ``eid`` (a null key joins nothing, as in Polars)."""
    out: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        if r["eid"] is not None:
            out.setdefault(r["eid"], []).append(r)
    return out


_NO_ROWS: tuple[Row, ...] = ()


def build_fact_rows(rows: RowTables, as_of: date, options: FactOptions | None = None) -> list[dict[str, Any]]:
    """The facts of every enterprise of ``rows`` for ``as_of``, one dict each, equal to ``build_facts``'s rows."""
    opts = options or FactOptions()
    plan = _plan(as_of, opts)
    y = as_of.year - 1
    years = _by_year(rows.years, {y - offset: label for label, offset in YEAR_OFFSETS.items()})
    scores = (
        _by_year(rows.scores, {as_of.year - offset: label for label, offset in SCORE_OFFSETS.items()})
        if rows.scores
        else {}
    )
    rules = opts.lifecycle
    sanctions = _group(rows.sanctions)
    updates = _group(rows.data_updates) if rules is not None else {}
    equity = _group(rows.equity)
    lists = {p.table: _group(getattr(rows, p.table)) for p in plan.lists}
    out = []
    for ent in rows.enterprises:
        eid = ent.get("eid")
        row = {c: ent.get(c) for c in ENTERPRISE_SCHEMA}
        for c in _DECIMAL_COLUMNS:
            row[c] = _dec(row[c])
        _years(row, years.get(eid))
        _scores(row, scores.get(eid))
        own_sanctions = sanctions.get(eid, _NO_ROWS)
        row["fraud_ban_active"] = rules is not None and ban_in_force(
            fraud_ban_spans(own_sanctions, rules), as_of
        )
        niche = row["niche_since_year"]
        row["years_in_niche"] = None if niche is None else y - niche + 1
        row["years_operating"] = _full_years(row["founded_on"], as_of)
        _equity(row, equity.get(eid, _NO_ROWS), row["equity_known"], plan)
        for table in plan.lists:
            found: Sequence[Row] = lists[table.table].get(eid, _NO_ROWS)
            if table.table == "certifications":
                found = _certifications(
                    found, ent, own_sanctions, updates.get(eid, _NO_ROWS), rules, plan.terms, as_of
                )
            _list_facts(row, table, found, ent)
        _size(row)
        out.append(row)
    return out
