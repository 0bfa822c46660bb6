"""The scalar facts (``srdi.domain.rules.scalar_facts``) equal the Polars facts query row by row.

Every YAML rule case, demo-generator data for several seeds and reference dates, and Hypothesis batches with
unknown and empty lists, duplicate years, window and expiry edges and zero or negative figures go through both
``build_facts`` and ``build_fact_rows``; each row must have the same columns in the same order with the same
values and Python types (Decimals to the digit), and both must refuse the same inputs.

The demo part runs ``SRDI_SCALAR_FACTS_ROWS`` enterprises in all (default 3,000); set it to 100000 or more for
the full differential run.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srdi.demo.generator import generate
from srdi.domain.dates import years_before
from srdi.domain.exchange import parse_profile
from srdi.domain.lifecycle import Deadline
from srdi.domain.rules.cases import assessment_cases
from srdi.domain.rules.engine import assess, fact_options, route_groups
from srdi.domain.rules.facts import CERT_TIERS, DuplicateYears, FactOptions, build_facts, collect
from srdi.domain.rules.scalar_facts import build_fact_rows
from srdi.domain.tables import SCHEMAS, RowTables, rows_from_profiles, tables_from_profiles

CASES = assessment_cases()
DEMO_ROWS = int(os.environ.get("SRDI_SCALAR_FACTS_ROWS", "3000"))
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
DEMO_DATES = (date(2025, 12, 31), date(2026, 3, 31), date(2026, 4, 1), date(2026, 6, 30), TODAY)
DEMO_SEEDS = (11, 29)


def difference(want: dict[str, Any], got: dict[str, Any]) -> str | None:
    """The first way ``got`` differs from ``want`` (names, order, type, value, Decimal digits), or None."""
    if list(want) != list(got):
        return f"columns: missing {set(want) - set(got)}, extra {set(got) - set(want)}, or another order"
    for key, a in want.items():
        b = got[key]
        if type(a) is not type(b) or a != b or (isinstance(a, Decimal) and a.as_tuple() != b.as_tuple()):
            return f"{key}: Polars {a!r}, scalar {b!r}"
    return None


def assert_same(rows: RowTables, as_of: date, options: FactOptions) -> int:
    """Both paths on ``rows``: equal rows, or the same refusal. Returns the number of rows compared."""
    refused: tuple[Any, ...] | None = None
    try:
        want = collect(build_facts(rows.to_tables(), as_of, options).frame).rows(named=True)
    except DuplicateYears as exc:
        refused = exc.args
    if refused is not None:
        with pytest.raises(DuplicateYears) as also:
            build_fact_rows(rows, as_of, options)
        assert also.value.args == refused
        return 0
    got = build_fact_rows(rows, as_of, options)
    assert len(got) == len(want)
    for i, (w, g) in enumerate(zip(want, got, strict=True)):
        found = difference(w, g)
        assert found is None, f"row {i} (eid {w['eid']}): {found}"
    return len(want)


@cache
def options_on(as_of: date, purpose: str = "application") -> FactOptions:
    """The fact options ``assess`` builds for the rulebooks in force on ``as_of``."""
    one = generate(1, 1, as_of.year)
    assessment = assess(one, as_of, purpose=purpose)
    return fact_options(assessment.library, as_of, assessment.compiled)


# ---- the row tables ---------------------------------------------------------------------------------------


def test_tables_from_profiles_are_the_row_tables_in_columns():
    profiles = [parse_profile(c.profile) for c in CASES[:40]]
    rows = rows_from_profiles(profiles)
    tables = tables_from_profiles(profiles)
    assert len(rows) == len(tables) == 40
    for name in SCHEMAS:
        assert getattr(rows.to_tables(), name).equals(getattr(tables, name)), name
        assert all(list(r) == list(SCHEMAS[name]) for r in getattr(rows, name)), name
    assert RowTables.from_tables(tables) == rows


def test_row_tables_round_trip_demo_data_with_events():
    tables = generate(200, 5, 2026)
    rows = RowTables.from_tables(tables)
    assert rows.events and rows.ip_items and rows.scores
    back = rows.to_tables()
    for name in SCHEMAS:
        assert getattr(back, name).equals(getattr(tables, name)), name


# ---- (a) every YAML rule case ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case_facts_are_equal(case):
    as_of = date.fromisoformat(case.as_of)
    rows = rows_from_profiles([parse_profile(case.profile)])
    tables = rows.to_tables()
    [(routes, _)] = route_groups(tables, as_of, case.purpose)
    overrides = {case.subject: case.parameters} if case.parameters else None
    assessment = assess(tables, as_of, overrides=overrides, purpose=case.purpose, routes=routes)
    assert assert_same(rows, as_of, fact_options(assessment.library, as_of, assessment.compiled)) == 1


def test_all_rule_cases_together():
    """One batch of every case profile (several enterprises, the batch-level shortcuts of the Polars path)."""
    rows = rows_from_profiles([parse_profile(c.profile) for c in CASES])
    for as_of in (date(2025, 6, 30), date(2026, 6, 30)):
        assert assert_same(rows, as_of, options_on(as_of)) == len(CASES)


# ---- (b) demo-generator data -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", DEMO_SEEDS)
@pytest.mark.parametrize("as_of", DEMO_DATES, ids=str)
def test_demo_data_facts_are_equal(seed, as_of):
    n = max(1, DEMO_ROWS // (len(DEMO_SEEDS) * len(DEMO_DATES)))
    # the data of a demo made in as_of's year, or (other seed) in the year before
    tables = generate(n, seed, as_of.year if seed == DEMO_SEEDS[0] else as_of.year - 1)
    rows = RowTables.from_tables(tables)
    for purpose in ("application", "review"):
        assert assert_same(rows, as_of, options_on(as_of, purpose)) == n


# ---- (c) Hypothesis: unknown and empty lists, duplicates, edges, zero and negative figures -----------------

AS_OF = (date(2025, 12, 31), date(2026, 4, 1), date(2026, 6, 30), date(2024, 2, 29), date(2027, 3, 1))
# a code of every 300号 group, codes outside it (J, K7040, G53), too short (G59) or malformed, and None
CODES = (
    *("A011", "B06", "C3562", "C13", "D44", "E4710", "F5123", "F5211", "G5431", "G5910", "G5920", "G6010"),
    *("H6110", "H6210", "I6310", "I6510", "K7010", "K7020", "L7211", "R86", "c3562"),
    *(None, "G59", "G53", "J6620", "K7040", "X999"),
)
# the 300号 bounds in 万元, as fen, and one fen either side
BOUNDS_FEN = [
    wan * 1_000_000 + d
    for wan in (
        50,
        100,
        300,
        500,
        1000,
        2000,
        5000,
        6000,
        8000,
        10000,
        20000,
        30000,
        40000,
        80000,
        120000,
        200000,
    )
    for d in (-1, 0, 1)
]


def _variants(base: FactOptions, as_of: date) -> list[FactOptions]:
    """The rulebooks' options, and the same facts with other values (terms, any/all, limits) and a lifecycle
    that cancels after one or two missed updates, so that every branch of the facts is reached."""
    other = []
    for col in base.columns:
        values = []
        for pid, value in col.values:
            if pid == "tier1_requires_all":
                value = not value
            elif pid == "title_validity_years":
                value = 2
            elif pid in ("ip_class1_min", "ip_invention_min"):
                value = 1
            elif pid in ("tier1_titles",):
                value = ("tech_sme", "innovative_sme", "srdi_sme")
            values.append((pid, value))
        other.append(replace(col, column="x|" + col.column, values=tuple(values)))
    lifecycle = base.lifecycle
    assert lifecycle is not None
    strict = replace(
        lifecycle,
        deadlines=tuple(
            Deadline(year, date(year, 5, 31), 1 + year % 2)
            for year in range(2021, as_of.year + 1)
            if date(year, 5, 31) < as_of
        ),
        cancellation_tiers=("srdi_sme", "innovative_sme"),
        validity_years=2,
    )
    return [
        base,
        FactOptions(validity_years=4, columns=base.columns + tuple(other), lifecycle=strict),
        FactOptions(validity_years=3, columns=base.columns),
    ]


@cache
def variants_on(as_of: date) -> list[FactOptions]:
    return _variants(options_on(as_of), as_of)


def _edges(as_of: date) -> list[date]:
    y = as_of.year - 1
    edges = [
        as_of,
        years_before(as_of, 2),
        years_before(as_of, 3),
        years_before(as_of, 1),
        date(y - 1, 1, 1),
        date(y, 12, 31),
        date(2024, 2, 29),
        date(2023, 3, 1),
        date(y, 5, 31),
        date(y, 4, 30),
    ]
    return [d + timedelta(days=k) for d in edges for k in (-1, 0, 1)]


def _dates(as_of: date) -> st.SearchStrategy[date | None]:
    edges = st.sampled_from(_edges(as_of))
    return st.one_of(
        st.none(), edges, edges, edges, st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))
    )


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


TRI = st.sampled_from([True, False, None])
FEN = _maybe(
    st.one_of(
        st.sampled_from([0, -1, 1, 999_999, 1_000_000, -1_000_001]),
        st.sampled_from(BOUNDS_FEN),
        st.integers(-(10**12), 10**13),
    )
)
EMPLOYEES = (0, 1, 4, 5, 9, 10, 19, 20, 49, 50, 99, 100, 199, 200, 299, 300, 999, 1000, 1999, 2000)
COUNT = _maybe(st.one_of(st.sampled_from([-1, *EMPLOYEES]), st.integers(-5, 5000)))
RATIO = _maybe(st.decimals(min_value=0, max_value=1, places=9, allow_nan=False))


def _row(table: str, **values: Any) -> dict[str, Any]:
    return {c: values.get(c) for c in SCHEMAS[table]}


@st.composite
def batches(draw: st.DrawFn) -> tuple[RowTables, date, FactOptions]:
    as_of = draw(st.sampled_from(AS_OF))
    options = draw(st.sampled_from(variants_on(as_of)))
    dates = _dates(as_of)
    n = draw(st.integers(1, 3))
    eids = st.integers(0, n)  # eid n has no enterprise row: its list rows join nothing
    y = as_of.year - 1
    enterprises = []
    for eid in range(n):
        known = {
            f"{k}_known": draw(TRI) for k in ("titles", "awards", "contests", "equity", "certifications")
        }
        known |= {
            f"{k}_known": draw(TRI) for k in ("ip_items", "platform_scores", "data_updates", "sanctions")
        }
        enterprises.append(
            _row(
                "enterprises",
                eid=eid,
                uscc=f"U{eid}",
                industry_code=draw(st.sampled_from(CODES)),
                founded_on=draw(dates),
                niche_since_year=draw(_maybe(st.integers(1990, as_of.year + 1))),
                ip_invention_patents=draw(COUNT),
                mp_niche_market_share=draw(RATIO),
                mp_revenue_share=draw(RATIO),
                digital_level=draw(_maybe(st.integers(0, 6))),
                **known,
            )
        )
    years = []
    for eid in range(n):
        for year in draw(st.lists(st.sampled_from([y, y - 1, y - 2, y - 3, y + 1]), max_size=5)):
            figures = {
                f: draw(COUNT if f in ("employees", "rd_staff") else FEN)
                for f in SCHEMAS["years"]
                if f not in ("eid", "year")
            }
            years.append(_row("years", eid=eid, year=year, **figures))

    def rows(table: str, draw_one: Any, max_size: int = 4) -> list[dict[str, Any]]:
        return [_row(table, eid=draw(eids), **draw_one()) for _ in range(draw(st.integers(0, max_size)))]

    kinds = st.sampled_from(
        [None, "high_tech_enterprise", "ip_demo", "single_champion", "tech_innovation_demo"]
    )
    titles = rows("titles", lambda: {"kind": draw(kinds), "valid_from": draw(dates), "valid_to": draw(dates)})
    levels = st.sampled_from([None, "national", "provincial", "municipal"])
    awards = rows(
        "awards",
        lambda: {
            "level": draw(levels),
            "kind": draw(st.sampled_from([None, "sci_tech", "other"])),
            "rank": draw(_maybe(st.integers(1, 6))),
            "date": draw(dates),
        },
    )
    contests = rows(
        "contests",
        lambda: {
            "kind": draw(st.sampled_from([None, "maker_china", "other"])),
            "group": draw(st.sampled_from([None, "national_top50", "national_top500", "provincial"])),
            "date": draw(dates),
        },
    )
    equity = rows(
        "equity",
        lambda: {
            "date": draw(dates),
            "amount_fen": draw(_maybe(st.integers(0, 10**13))),
            "qualified_investor": draw(TRI),
        },
    )
    certifications = rows(
        "certifications",
        lambda: {
            "tier": draw(st.sampled_from([None, *CERT_TIERS])),
            "recognized_on": draw(dates),
            "expires_on": draw(dates),
            "revoked_on": draw(dates),
        },
        6,
    )
    ip_kinds = st.sampled_from(
        [None, "invention_patent", "plant_variety", "utility_model", "software_copyright"]
    )
    ip_items = rows(
        "ip_items",
        lambda: {
            "kind": draw(ip_kinds),
            "granted_on": draw(dates),
            "expires_on": draw(dates),
            "transferred_in": draw(TRI),
            "holder_rank": draw(_maybe(st.integers(1, 5))),
            "applied_with_benefit": draw(TRI),
        },
        6,
    )
    scores = rows(
        "scores",
        lambda: {
            "year": draw(st.sampled_from([as_of.year, as_of.year - 1, as_of.year - 2])),
            "score": draw(_maybe(st.decimals(min_value=0, max_value=100, places=6, allow_nan=False))),
        },
        3,
    )
    updates = rows(
        "data_updates",
        lambda: {"year": draw(st.integers(2021, as_of.year)), "updated_on": draw(dates)},
        5,
    )
    sanctions = rows(
        "sanctions",
        lambda: {"kind": draw(st.sampled_from(["data_fraud", None, "other"])), "date": draw(dates)},
        2,
    )
    batch = RowTables(
        enterprises=enterprises,
        years=years,
        titles=titles,
        awards=awards,
        contests=contests,
        equity=equity,
        certifications=certifications,
        events=[],
        ip_items=ip_items,
        scores=scores,
        data_updates=updates,
        sanctions=sanctions,
    )
    return batch, as_of, options


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_generated_batches_give_equal_facts(batch):
    rows, as_of, options = batch
    assert_same(rows, as_of, options)


def test_duplicate_years_are_refused_by_both():
    profile = parse_profile(CASES[0].profile)
    rows = rows_from_profiles([profile])
    as_of = date.fromisoformat(CASES[0].as_of)
    rows.years.append(dict(rows.years[0]))
    with pytest.raises(DuplicateYears):
        collect(build_facts(rows.to_tables(), as_of, options_on(as_of)).frame)
    with pytest.raises(DuplicateYears):
        build_fact_rows(rows, as_of, options_on(as_of))


def _grid(as_of: date, fraud: bool) -> RowTables:
    """One enterprise per pair (a, b) of edge dates (and None), each with one row of every list dated by them:
    titles valid a–b, awards and contests on a, equity raised on a, a certification recognised on a and
    revoked (or expiring) on b or else a fraud finding on b (``fraud``), an IP item granted a and expiring b, and
    annual updates on the day before, of or after each deadline (or undated, two, none) for some."""
    days: list[date | None] = [None, *sorted(set(_edges(as_of)))]
    y = as_of.year - 1
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
    eid = 0
    for a in days:
        for b in days:
            k = eid
            rows["enterprises"].append(
                _row(
                    "enterprises",
                    eid=eid,
                    uscc=f"G{eid}",
                    industry_code=CODES[k % len(CODES)],
                    founded_on=a,
                    niche_since_year=y - k % 5,
                    ip_invention_patents=k % 3,
                    **{f"{t}_known": k % 7 != 0 for t in ("titles", "awards", "contests", "equity")},
                    certifications_known=k % 11 != 0,
                    ip_items_known=k % 5 != 0,
                    data_updates_known=k % 2 == 0,
                    sanctions_known=True,
                )
            )
            rows["years"].append(
                _row(
                    "years",
                    eid=eid,
                    year=y,
                    employees=EMPLOYEES[k % len(EMPLOYEES)],
                    operating_revenue_fen=BOUNDS_FEN[k % len(BOUNDS_FEN)],
                    total_assets_fen=BOUNDS_FEN[(k // 3) % len(BOUNDS_FEN)],
                )
            )
            rows["titles"].append(
                _row("titles", eid=eid, kind="high_tech_enterprise", valid_from=a, valid_to=b)
            )
            level = ("national", "provincial", "municipal")[k % 3]
            rows["awards"].append(
                _row("awards", eid=eid, level=level, kind="sci_tech", rank=k % 5 + 1, date=a)
            )
            rows["contests"].append(
                _row("contests", eid=eid, kind="maker_china", group="national_top50", date=a)
            )
            rows["equity"].append(_row("equity", eid=eid, date=a, amount_fen=100, qualified_investor=True))
            tier = ("srdi_sme", "innovative_sme", "tech_sme", "little_giant")[k % 4]
            # with a fraud finding on b, the certification's own end would hide the ban's
            expires, revoked = (None, None) if fraud else (b, None) if k % 3 == 0 else (None, b)
            rows["certifications"].append(
                _row(
                    "certifications",
                    eid=eid,
                    tier=tier,
                    recognized_on=a,
                    expires_on=expires,
                    revoked_on=revoked,
                )
            )
            rows["ip_items"].append(
                _row(
                    "ip_items",
                    eid=eid,
                    kind="invention_patent",
                    granted_on=a,
                    expires_on=b,
                    transferred_in=False,
                    holder_rank=1,
                    applied_with_benefit=True,
                )
            )
            if fraud:
                rows["sanctions"].append(_row("sanctions", eid=eid, kind="data_fraud", date=b))
            if k % 2 == 0:
                for year in range(2021, as_of.year + 1):
                    deadline = date(year, 5, 31)
                    shift = (k // 2 + year) % 5 - 1  # -1, 0, 1: one update that many days from the deadline
                    made: list[date | None] = [deadline + timedelta(days=shift)] if shift < 2 else []
                    if shift == -1 or shift == 2:  # an on-time (or undated) update and a late one
                        made += [deadline + timedelta(days=1)] + ([None] if shift == 2 else [])
                    rows["data_updates"] += [
                        _row("data_updates", eid=eid, year=year, updated_on=day) for day in made
                    ]
            eid += 1
    return RowTables(**rows)


@pytest.mark.parametrize("fraud", [False, True], ids=["no_fraud", "fraud"])
@pytest.mark.parametrize("as_of", AS_OF, ids=str)
def test_edge_grid_gives_equal_facts(as_of, fraud):
    grid = _grid(as_of, fraud)
    for options in variants_on(as_of):
        assert assert_same(grid, as_of, options) == len(grid)
