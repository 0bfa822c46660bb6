"""SME size classes under 300号 for every industry family of the criteria table, incl. 下划一档."""

from __future__ import annotations

import pytest

from srdi.domain.size_class import OutsideStandard, classify_size, fen_to_wan_floor, industry_standard


@pytest.mark.parametrize(
    ("code", "industry"),
    [
        ("A0111", "农、林、牧、渔业"),
        ("B0610", "工业"),
        ("C3976", "工业"),
        ("D4411", "工业"),
        ("E4710", "建筑业"),
        ("F5111", "批发业"),
        ("F5211", "零售业"),
        ("G5410", "交通运输业"),
        ("G5810", "交通运输业"),
        ("G5910", "交通运输业"),  # 装卸搬运 (G591) is 交通运输业
        ("G591", "交通运输业"),
        ("G5920", "仓储业"),
        ("G5990", "仓储业"),
        ("G6010", "邮政业"),
        ("H6110", "住宿业"),
        ("H6210", "餐饮业"),
        ("I6311", "信息传输业"),
        ("I6410", "信息传输业"),
        ("I6510", "软件和信息技术服务业"),
        ("K7010", "房地产开发经营"),
        ("K7020", "物业管理"),
        ("L7211", "租赁和商务服务业"),
        ("M7310", "其他未列明行业"),
        ("C", "工业"),
        ("I65", "软件和信息技术服务业"),
    ],
)
def test_industry_codes_map_to_their_300_group(code, industry):
    assert industry_standard(code).industry == industry


# (code, employees, revenue 万元, assets 万元) → expected class
CASES = [
    # 工业: medium E>=300 and R>=2000; small E>=20 and R>=300; large E>=1000 and R>=40000
    ("C3976", 1000, 40000, None, "large"),
    ("C3976", 999, 40000, None, "medium"),
    ("C3976", 1000, 39999, None, "medium"),
    ("C3976", 300, 2000, None, "medium"),
    ("C3976", 299, 50000, None, "small"),  # 下划一档: fails medium's E bound
    ("C3976", 5000, 1999, None, "small"),  # 下划一档: fails medium's R bound
    ("C3976", 20, 300, None, "small"),
    ("C3976", 19, 300, None, "micro"),
    ("C3976", 1500, 299, None, "micro"),  # micro needs only one condition
    # 软件和信息技术服务业
    ("I6510", 300, 10000, None, "large"),
    ("I6510", 100, 1000, None, "medium"),
    ("I6510", 99, 5000, None, "small"),
    ("I6510", 10, 50, None, "small"),
    ("I6510", 9, 5000, None, "micro"),
    # 信息传输业: large needs E>=2000 and R>=100000
    ("I6311", 2000, 100000, None, "large"),
    ("I6311", 150, 1000, None, "medium"),
    ("I6311", 50, 100, None, "small"),
    ("I6311", 50, 99, None, "micro"),
    # 批发业
    ("F5111", 200, 40000, None, "large"),
    ("F5111", 20, 5000, None, "medium"),
    ("F5111", 5, 1000, None, "small"),
    ("F5111", 4, 1000, None, "micro"),
    # 租赁和商务服务业 uses total assets
    ("L7211", 300, None, 120000, "large"),
    ("L7211", 100, None, 8000, "medium"),
    ("L7211", 10, None, 100, "small"),
    ("L7211", 10, None, 99, "micro"),
    # 其他未列明行业 uses employees only
    ("M7310", 300, None, None, "large"),
    ("M7310", 100, None, None, "medium"),
    ("M7310", 10, None, None, "small"),
    ("M7310", 9, None, None, "micro"),
    # 农、林、牧、渔业 uses revenue only
    ("A0111", None, 20000, None, "large"),
    ("A0111", None, 500, None, "medium"),
    ("A0111", None, 50, None, "small"),
    ("A0111", None, 49, None, "micro"),
    # 建筑业 uses revenue and assets
    ("E4710", None, 80000, 80000, "large"),
    ("E4710", None, 6000, 5000, "medium"),
    ("E4710", None, 6000, 4999, "small"),
    ("E4710", None, 300, 299, "micro"),
]


@pytest.mark.parametrize(("code", "employees", "revenue", "assets", "expected"), CASES)
def test_size_class_matches_300(code, employees, revenue, assets, expected):
    result = classify_size(code, employees, revenue, assets)
    assert result.size_class == expected
    assert result.is_sme is (expected != "large")


def test_unknown_revenue_still_decides_sme_when_employees_suffice():
    result = classify_size("C3976", 50, None, None)
    assert result.is_sme is True
    assert result.size_class is None
    assert result.missing == ("R",)


def test_unknown_inputs_never_become_zero():
    result = classify_size("C3976", None, None, None)
    assert result.size_class is None
    assert result.is_sme is None


def test_micro_is_decided_by_one_known_condition():
    assert classify_size("C3976", 10, None, None).size_class == "micro"


def test_fen_to_wan_floor_preserves_threshold_comparisons():
    assert fen_to_wan_floor(39_999_999_999) == 39999  # 39,999.99999 万 < 40,000
    assert fen_to_wan_floor(40_000_000_000) == 40000
    assert fen_to_wan_floor(None) is None


def test_unknown_industry_code_format_is_rejected():
    with pytest.raises(ValueError, match="行业代码"):
        industry_standard("3976")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("G5310", "铁路运输业"),
        ("G53", "铁路运输业"),
        ("J6610", "金融业"),
        ("J66", "金融业"),
        ("J", "金融业"),
        ("K7040", "自有房地产经营"),
    ],
)
def test_industries_300_does_not_cover_have_no_group(code, words):
    with pytest.raises(OutsideStandard) as raised:
        industry_standard(code)
    assert words in raised.value.reason and "300号" in raised.value.reason


@pytest.mark.parametrize(("code", "groups"), [("G59", {"交通运输业", "仓储业"}), ("K70", {"房地产开发经营"})])
def test_a_code_too_short_to_pick_a_group_has_none(code, groups):
    with pytest.raises(OutsideStandard) as raised:
        industry_standard(code)
    assert all(g in raised.value.reason for g in groups)


@pytest.mark.parametrize("code", ["G5310", "J6620", "K7040", "G59"])
def test_no_size_class_outside_300_whatever_the_figures(code):
    # Figures that would make a micro enterprise anywhere else: unknown (null), not "other", not SME.
    result = classify_size(code, 5, 10, 10)
    assert result.size_class is None and result.is_sme is None
    assert result.label == "未知"


def test_loading_and_unloading_is_transport_and_warehousing_the_rest_of_g59():
    # 交通运输业: small needs E >= 20 and R >= 200; 仓储业: small needs E >= 20 and R >= 100
    assert classify_size("G5910", 20, 150, None).size_class == "micro"
    assert classify_size("G5920", 20, 150, None).size_class == "small"
    # 交通运输业 large: E >= 1000 and R >= 30000; 仓储业 large: E >= 200 and R >= 30000
    assert classify_size("G5910", 500, 40000, None).size_class == "medium"
    assert classify_size("G5920", 500, 40000, None).size_class == "large"


def test_the_vectorised_facts_agree_outside_300():
    """The column-wise size (assessment facts) is null too for codes outside 300号."""
    from datetime import date

    from srdi.domain.exchange import parse_profile
    from srdi.domain.rules.cases import case_uscc
    from srdi.domain.rules.facts import build_facts, collect
    from srdi.domain.tables import tables_from_profiles

    profiles = [
        parse_profile(
            {
                "uscc": case_uscc(900 + i),
                "industry_code": code,
                "financials": {"2024": {"employees": 5, "operating_revenue_fen": 10_000_000}},
            }
        )
        for i, code in enumerate(["J6610", "G5310", "K7040", "G5910", "M7310"])
    ]
    frame = collect(build_facts(tables_from_profiles(profiles), date(2025, 6, 30)).frame)
    sizes = dict(
        zip(frame.get_column("eid").to_list(), frame.get_column("size_class").to_list(), strict=True)
    )
    assert [sizes[i] for i in range(5)] == [None, None, None, "micro", "micro"]
