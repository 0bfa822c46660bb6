"""The brief's narrative is made only of its figures (unknown ones said to be unknown, never 0), months are
checked, money is exact, and characters outside the embedded font are replaced and listed, never left as boxes."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.pdf_pages import page_texts

from srdi.domain.programme.brief import (
    DistrictLine,
    MissingLine,
    MoneyLine,
    MonthError,
    MonthlyBrief,
    PipelineLine,
    TargetLine,
    month_end,
    narrative,
    parse_month,
    wan,
    wan_text,
)
from srdi.interchange.brief_pdf import MISSING_MARK, fit_text, font_chars, write_pdf

LG = "国家级专精特新“小巨人”企业"


def target(
    value: int | None = 28, projected: int | None = 39, lagging: tuple[str, ...] = ("西湖区",)
) -> TargetLine:
    return TargetLine("若干措施", "累计培育专精特新“小巨人”企业", "little_giant", LG, value, 750, "家",
                      date(2028, 12, 31), projected, lagging)  # fmt: skip


def brief(**changes: object) -> MonthlyBrief:
    base = {
        "year": 2026,
        "month": 11,
        "as_of": date(2026, 11, 30),
        "generated_at": datetime(2026, 12, 1, 9, 0),
        "district_code": "",
        "district_name": "",
        "rulebook": "81号（hz81）、若干措施（hz25）；参数：基线",
        "tiers": (LG,),
        "targets": (target(),),
        "districts": (DistrictLine("330106", "西湖区", (20,), 5, 1, 2_000_000_000, 0),),
        "money_by_measure": (
            MoneyLine("hz81.9", "81号 第9条 技术改造补助", 10**10, 10**8, 2 * 10**8, 97 * 10**8),
        ),
        "money_by_district": (),
        "money_by_side": (),
        "money_total": MoneyLine("total", "合计", 10**10, 10**8, 2 * 10**8, 97 * 10**8),
        "blocked": (),
        "pipeline": (PipelineLine(LG, 12, (("西湖区", 7), ("滨江区", 5))),),
        "pipeline_as_of": date(2026, 11, 30),
        "report_quarter": (2026, 3),
        "missing_reports": (MissingLine("81号 第20条 人才培训", "市人社局", "未填报"),),
        "kpis": (),
    }
    base.update(changes)
    return MonthlyBrief(**base)  # type: ignore[arg-type]


def test_sentences_carry_the_figures() -> None:
    text = narrative(brief())
    assert (
        text[0]
        == "本简报范围：全市；数据截至2026年11月30日；口径：81号（hz81）、若干措施（hz25）；参数：基线。"
    )
    assert text[1] == (
        f"截至2026年11月30日，{LG}累计28家，完成若干措施2028年目标（750家）的3.7%，"
        "按近两年平均净增预计期末达39家，按当前进度难以按期完成；落后区县：西湖区。"
    )
    assert (
        "资金执行：预算10,000.00万元，已支付200.00万元（执行率2.0%），已承诺未支付100.00万元，可用余额9,700.00万元。"
        in text
    )
    assert "培育梯队（2026年11月30日筛查）：符合条件尚未获评的企业国家级专精特新“小巨人”企业12家。" in text
    assert text[-1] == "2026年第3季度责任单位报送：缺报1项（市人社局）。"


def test_on_track_and_no_lagging() -> None:
    line = narrative(brief(targets=(target(700, 800, ()),)))[1]
    assert line.endswith("按近两年平均净增预计期末达800家，可按期完成；无落后区县。")


def test_unknown_figures_are_said_unknown_never_zero() -> None:
    text = narrative(
        brief(
            targets=(target(None, None, ()),),
            money_total=None,
            money_by_measure=(),
            pipeline=None,
            missing_reports=(),
        )
    )
    joined = "".join(text)
    assert "另有1项目标数据库暂无数据，完成情况未知（见目标进度表）。" in text
    assert "称号累计数未知" in joined
    assert "资金执行：尚无预算数据，执行情况未知。" in text
    assert "尚无已完成的梯度筛查，培育梯队未知。" in text
    assert "2026年第3季度责任单位报送：无缺报。" in text
    assert not re.search(r"(?<![\d,.])0(家|万元|%)", joined)


def test_projection_unknown() -> None:
    assert "期末预计值未知" in narrative(brief(targets=(target(28, None),)))[1]


@given(
    value=st.integers(0, 10**6),
    goal=st.integers(1, 10**6),
    budget=st.integers(1, 10**14),
    paid=st.integers(0, 10**14),
)
def test_every_number_comes_from_the_brief(value: int, goal: int, budget: int, paid: int) -> None:
    t = TargetLine("81号", "x", "little_giant", LG, value, goal, "家", date(2025, 12, 31), value, ())
    money = MoneyLine("total", "合计", budget, 0, paid, budget - paid)
    text = "".join(narrative(brief(targets=(t,), money_total=money, money_by_measure=(money,))))
    assert f"累计{value:,}家" in text and f"（{goal:,}家）" in text
    assert f"预算{wan_text(budget)}" in text and f"已支付{wan_text(paid)}" in text
    pct = (Decimal(100) * value / goal).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
    assert f"的{pct}%" in text


@pytest.mark.parametrize(("value", "verdict"), [(420, "未完成"), (500, "已完成"), (530, "已完成")])
def test_a_target_whose_period_has_ended_is_reached_or_not_never_projected(value: int, verdict: str) -> None:
    t = TargetLine("81号", "x", "little_giant", LG, value, 500, "家", date(2025, 12, 31), value, ())
    text = "".join(narrative(brief(targets=(t,))))
    assert f"目标期已于2025年12月31日结束，{verdict}" in text
    assert "预计期末" not in text and "按期完成" not in text


@given(st.integers(-(10**15), 10**15))
def test_wan_is_exact(fen: int) -> None:
    value = wan(fen)
    assert value is not None and value * 1_000_000 == fen


@pytest.mark.parametrize(
    ("text", "expected"), [("2026-11", (2026, 11)), (" 2025-01 ", (2025, 1)), ("2024-12", (2024, 12))]
)
def test_parse_month(text: str, expected: tuple[int, int]) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "1999-05", "abcd-ef"]
)
def test_bad_months(text: str) -> None:
    with pytest.raises(MonthError):
        parse_month(text)


def test_month_end() -> None:
    assert month_end(2026, 2) == date(2026, 2, 28) and month_end(2028, 2) == date(2028, 2, 29)
    assert month_end(2026, 12) == date(2026, 12, 31)


# ---- the font guard ---------------------------------------------------------------------------------------


def test_the_font_covers_gb2312_and_the_brief_punctuation() -> None:
    have = font_chars()
    for ch in "杭州专精特新“小巨人”：；，。（）《》〔〕、—…％〓万元¥·" + "".join(
        chr(c) for c in range(0x20, 0x7F)
    ):
        assert ord(ch) in have, ch


def test_characters_outside_the_font_are_replaced_and_listed() -> None:
    rare = "\U00020000"  # CJK Extension B, not in the subset
    assert ord(rare) not in font_chars()
    fitted, replaced = fit_text(f"杭州{rare}科技ＡＢＣ")
    assert fitted == f"杭州{MISSING_MARK}科技ＡＢＣ" or fitted == f"杭州{MISSING_MARK}科技ABC"
    assert replaced == {0x20000}
    text = "".join(page_texts(write_pdf(brief(district_code="330106", district_name=f"西湖{rare}区"))))
    assert rare not in text
    assert f"西湖{MISSING_MARK}区" in text
    assert "U+20000" in text  # the last page lists what was replaced
