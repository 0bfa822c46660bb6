"""The exchange format takes values as JSON types them: no silent coercion of text or floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.conftest import make_uscc

from srdi.domain.exchange import RecordError, parse_profile


def _profile(**fields):
    return {"uscc": make_uscc("330106"), "name": "杭州测试有限公司", "district": "330106", **fields}


@pytest.mark.parametrize(
    ("fields", "path", "reason"),
    [
        ({"financials": {"2024": {"rd_expense_fen": "1,000,000"}}}, "financials.2024.rd_expense_fen", "文本"),
        ({"financials": {"2024": {"rd_expense_fen": 1000000.0}}}, "financials.2024.rd_expense_fen", "小数"),
        (
            {"financials": {"2024": {"rd_expense_fen": Decimal("1000000.0")}}},
            "financials.2024.rd_expense_fen",
            "小数",
        ),
        ({"financials": {"2024": {"rd_expense_fen": True}}}, "financials.2024.rd_expense_fen", "true/false"),
        ({"financials": {"2024": {"employees": "400"}}}, "financials.2024.employees", "整数"),
        ({"niche_since_year": "2012"}, "niche_since_year", "整数"),
        ({"niche_since_year": 2012.0}, "niche_since_year", "整数"),
        ({"registered_in_zhejiang": "yes"}, "registered_in_zhejiang", "true 或 false"),
        ({"compliance": {"dishonest": 0}}, "compliance.dishonest", "true 或 false"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_a_record_error_naming_the_field(fields, path, reason):
    with pytest.raises(RecordError) as caught:
        parse_profile(_profile(**fields))
    problems = {p.path: p.reason for p in caught.value.problems}
    assert path in problems and reason in problems[path], problems


def test_values_of_the_right_type_are_accepted():
    profile = parse_profile(
        _profile(
            niche_since_year=2012,
            registered_in_zhejiang=True,
            financials={"2024": {"rd_expense_fen": 1_000_000, "employees": 400}},
            main_product={"niche_market_share": "0.12"},
        )
    )
    assert profile.financials["2024"].rd_expense_fen == 1_000_000
    assert profile.registered_in_zhejiang is True
