"""Plausibility flags: unit slips of 10^4 / 10^6 are caught, ordinary growth and losses are not."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.plausibility import FlagKind, check_figures

WAN = 1_000_000  # fen in one 万元


def kinds(flags):
    return sorted({f.kind for f in flags})


def test_wan_under_fen_header_is_flagged_against_the_other_year():
    incoming = {2024: {"operating_revenue_fen": 5_000}, 2023: {"operating_revenue_fen": 4_800 * WAN}}
    flags = check_figures("U", incoming, {})
    assert [(f.year, f.kind) for f in flags] == [
        (2023, FlagKind.OTHER_YEAR),
        (2024, FlagKind.OTHER_YEAR),
    ]
    assert "2024年营业收入" in flags[1].reason and "疑似金额单位" in flags[1].reason


def test_a_stored_year_is_the_yardstick_too():
    flags = check_figures("U", {2024: {"total_assets_fen": 3_000}}, {2023: {"total_assets_fen": 3_000 * WAN}})
    assert kinds(flags) == [FlagKind.OTHER_YEAR]


def test_revenue_per_employee_far_below_any_real_enterprise():
    flags = check_figures("U", {2024: {"operating_revenue_fen": 120_000, "employees": 80}}, {})
    assert kinds(flags) == [FlagKind.PER_EMPLOYEE]
    assert "80 人" in flags[0].reason


def test_rd_and_main_revenue_above_revenue():
    row = {
        "operating_revenue_fen": 100 * WAN,
        "rd_expense_fen": 101 * WAN,
        "main_business_revenue_fen": 120 * WAN,
    }
    assert set(kinds(check_figures("U", {2024: row}, {}))) == {
        FlagKind.RD_ABOVE_REVENUE,
        FlagKind.MAIN_ABOVE_REVENUE,
    }


def test_growth_losses_and_small_firms_pass():
    incoming = {
        2022: {"operating_revenue_fen": 80 * WAN, "employees": 12, "net_profit_fen": -30 * WAN},
        2023: {"operating_revenue_fen": 900 * WAN, "employees": 40, "rd_expense_fen": 1},
        2024: {
            "operating_revenue_fen": 9_000 * WAN,
            "employees": 90,
            "main_business_revenue_fen": 9_000 * WAN,
        },
    }
    assert check_figures("U", incoming, {}) == []


def test_values_already_stored_are_not_asked_again():
    stored = {2024: {"operating_revenue_fen": 5_000}, 2023: {"operating_revenue_fen": 4_800 * WAN}}
    assert check_figures("U", {2024: {"operating_revenue_fen": 5_000}}, stored) == []
    # …but changing that year's figures asks again
    assert check_figures("U", {2024: {"operating_revenue_fen": 6_000}}, stored)


@given(
    base=st.integers(min_value=10 * WAN, max_value=50_000 * WAN),
    factor=st.sampled_from([10_000, 1_000_000]),
    smaller=st.booleans(),
)
def test_every_ten_thousand_or_million_fold_slip_between_years_is_flagged(base, factor, smaller):
    other = base // factor if smaller else base * factor
    if other == 0:
        return
    flags = check_figures(
        "U", {2024: {"operating_revenue_fen": other}, 2023: {"operating_revenue_fen": base}}, {}
    )
    assert any(f.year == 2024 and f.kind == FlagKind.OTHER_YEAR for f in flags)


@given(
    base=st.integers(min_value=WAN, max_value=100_000 * WAN),
    growth_percent=st.integers(min_value=-95, max_value=2_000),
)
def test_real_year_on_year_change_is_never_flagged(base, growth_percent):
    other = base * (100 + growth_percent) // 100
    flags = check_figures(
        "U", {2024: {"operating_revenue_fen": other}, 2023: {"operating_revenue_fen": base}}, {}
    )
    assert [f for f in flags if f.kind == FlagKind.OTHER_YEAR] == []
