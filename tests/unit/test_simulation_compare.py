"""Comparing two simulation runs (before and after a parameter change): who gains, who loses, which results move
between statuses, and the difference by district — pure functions over the runs' frames."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.policy.simulate import (
    ENTERPRISE_SCHEMA,
    OUTCOME_SCHEMA,
    Simulation,
    difference,
    enterprise_changes,
    status_moves,
)

MONEY = {"amount_fen": pl.Int64, "city_fen": pl.Int64, "district_fen": pl.Int64, "grants": pl.UInt32}


def _run(
    enterprises: dict[int, int], outcomes: list[tuple[int, str, str]] = (), districts=None
) -> Simulation:
    by_enterprise = pl.DataFrame(
        [
            {
                "eid": e,
                "uscc": f"U{e:03d}",
                "name": f"企业{e}",
                "district": "330106",
                "amount_fen": a,
                "grants": 1,
            }
            for e, a in sorted(enterprises.items())
        ],
        schema=ENTERPRISE_SCHEMA,
    )
    rows = pl.DataFrame(
        [{"erow": r, "measure": m, "eid": 1, "status": s, "amount_fen": 0} for r, m, s in outcomes],
        schema=OUTCOME_SCHEMA,
    )
    by_district = pl.DataFrame(
        [
            {"district": d, "amount_fen": a, "city_fen": a // 2, "district_fen": a - a // 2, "grants": 1}
            for d, a in (districts or {}).items()
        ],
        schema={"district": pl.String, **MONEY},
    )
    by_measure = pl.DataFrame(schema={"measure": pl.String, "article": pl.Int64, **MONEY})
    total = sum(enterprises.values())
    totals = {"amount_fen": total, "city_fen": 0, "district_fen": 0, "grants": len(enterprises)}
    return Simulation(by_measure, by_district, totals, {}, 0, [], rows, by_enterprise)


amounts = st.dictionaries(st.integers(1, 30), st.integers(0, 10**9), max_size=12)


@given(amounts, amounts)
def test_the_changes_add_up_to_the_difference_and_split_into_gainers_and_losers(before, after):
    changes = enterprise_changes(_run(before), _run(after))
    assert changes.get_column("difference_fen").sum() == sum(after.values()) - sum(before.values())
    moved = {e for e in before.keys() | after.keys() if before.get(e, 0) != after.get(e, 0)}
    assert set(changes.get_column("eid").to_list()) == moved
    sizes = changes.get_column("difference_fen").abs().to_list()
    assert sizes == sorted(sizes, reverse=True)  # largest change first


def test_an_enterprise_new_in_the_changed_run_keeps_its_name():
    changes = enterprise_changes(_run({1: 100}), _run({1: 100, 2: 50}))
    assert changes.select("uscc", "name", "before_fen", "after_fen").rows() == [("U002", "企业2", 0, 50)]


def test_status_moves_count_results_by_before_and_after():
    before = _run(
        {}, [(0, "hz81.6", "amount_unset"), (1, "hz81.6", "amount_unset"), (2, "hz81.7", "granted")]
    )
    after = _run({}, [(0, "hz81.6", "granted"), (1, "hz81.6", "granted"), (2, "hz81.7", "not_eligible")])
    assert status_moves(before, after) == [("amount_unset", "granted", 2), ("granted", "not_eligible", 1)]


def test_the_difference_by_district_lists_only_districts_that_moved_unknown_district_included():
    before = _run({}, districts={"330106": 100, "330108": 40, None: 10})
    after = _run({}, districts={"330106": 100, "330108": 60, None: 0})
    rows = difference(before, after)["by_district"]
    assert rows == [
        {"district": "330108", "amount_fen": 20, "city_fen": 10, "district_fen": 10, "grants": 0},
        {"district": None, "amount_fen": -10, "city_fen": -5, "district_fen": -5, "grants": 0},
    ]
