"""SME size classes under 300号 for every industry family of the criteria table, incl. 下划一档."""

from __future__ import annotations

import pytest

from srdi.domain.size_class import classify_size, fen_to_wan_floor, industry_standard


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
        ("G5310", "交通运输业"),
        ("G5810", "交通运输业"),
        ("G5910", "仓储业"),
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
