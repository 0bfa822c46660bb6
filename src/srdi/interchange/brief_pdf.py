"""The monthly brief as PDF (A4): key figures and narrative on page 1, vector charts, then the tables.

Use ``write_pdf(brief)``. Text is set in the vendored font ``fonts/SrdiBriefSans.ttf`` (a GB2312+ subset of
Noto Sans CJK SC in TrueType outlines, SIL OFL; ``scripts/make_brief_font.py``), embedded in the PDF, so the file
reads the same on any machine. A character the font does not have is never left to show as an empty box:
``fit_text`` replaces it with 〓 and the last page lists the code points replaced. Charts are reportlab drawings
(vector bars, not pictures). Every page's footer names the policy packs the figures were judged under and the
time the brief was generated.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from srdi.domain.beijing_time import LABEL, format_beijing
from srdi.domain.programme.brief import (
    NO_BUDGET,
    UNKNOWN,
    MonthlyBrief,
    cn_date,
    count_text,
    narrative,
    pct_text,
    wan,
    wan_number,
    wan_text,
)

FONT = "SrdiBriefSans"
FONT_FILE = "SrdiBriefSans.ttf"
MISSING_MARK = "〓"  # GETA MARK: the customary stand-in for a character the type does not have
PALETTE = (
    colors.HexColor("#2f6db5"),
    colors.HexColor("#e07b39"),
    colors.HexColor("#3a9d5d"),
    colors.HexColor("#c23b3b"),
    colors.HexColor("#7d5ba6"),
)
CHART_WIDTH = 170 * mm
CHART_HEIGHT = 70 * mm
MAX_BARS = 16


def font_path() -> str:
    return str(resources.files("srdi.interchange").joinpath("fonts", FONT_FILE))


@cache
def font_chars() -> frozenset[int]:
    """The code points the embedded font draws (its cmap)."""
    register_font()
    face = pdfmetrics.getFont(FONT).face
    return frozenset(face.charToGlyph)


@cache
def register_font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, font_path()))
    return FONT


class Glyphs:
    """Replaces characters outside the font (after NFKC, which maps e.g. full-width letters) and remembers them."""

    def __init__(self) -> None:
        self.replaced: set[int] = set()

    def fit(self, text: str) -> str:
        have = font_chars()
        out = []
        for ch in text:
            if ord(ch) in have or ch in "\n\t":
                out.append(ch)
                continue
            alt = unicodedata.normalize("NFKC", ch)
            if alt and all(ord(c) in have for c in alt):
                out.append(alt)
            else:
                self.replaced.add(ord(ch))
                out.append(MISSING_MARK)
        return "".join(out)


def fit_text(text: str) -> tuple[str, frozenset[int]]:
    """``text`` with every character the font lacks replaced by 〓, and the code points replaced."""
    g = Glyphs()
    return g.fit(text), frozenset(g.replaced)


def _bar_label(unit: str) -> Any:
    """How a bar is labelled: nothing for 0 (the axis says it), one decimal for %, two for 万元."""
    pattern = {"家": "{:,.0f}", "%": "{:.1f}"}.get(unit, "{:,.2f}")

    def label(value: float) -> str:
        return pattern.format(value) if value else ""

    return label


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Writer:
    """One brief being laid out: styles, the glyph guard, and the flowables."""

    def __init__(self, brief: MonthlyBrief) -> None:
        register_font()
        self.brief = brief
        self.glyphs = Glyphs()
        base = {"fontName": FONT, "wordWrap": "CJK", "alignment": TA_LEFT}
        self.title = ParagraphStyle("title", fontSize=18, leading=24, spaceAfter=4, **base)
        self.h2 = ParagraphStyle("h2", fontSize=13, leading=18, spaceBefore=8, spaceAfter=4, **base)
        self.body = ParagraphStyle("body", fontSize=10, leading=15, spaceAfter=3, **base)
        self.small = ParagraphStyle("small", fontSize=8, leading=11, **base)
        self.cell = ParagraphStyle("cell", fontSize=8, leading=10, **base)

    def t(self, text: object) -> str:
        return self.glyphs.fit(str(text))

    def para(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(_escape(self.t(text)), style or self.body)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
        data = [[self.para(h, self.cell) for h in header]]
        data += [[self.para("" if v is None else str(v), self.cell) for v in row] for row in rows]
        tbl = Table(data, colWidths=list(widths), repeatRows=1)
        tbl.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f2")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return tbl

    # ---- charts ------------------------------------------------------------------------------------------

    def _empty(self, title: str, why: str) -> Drawing:
        d = Drawing(CHART_WIDTH, 20 * mm)
        d.add(String(0, 12 * mm, self.t(title), fontName=FONT, fontSize=11))
        d.add(String(0, 4 * mm, self.t(why), fontName=FONT, fontSize=9, fillColor=colors.grey))
        return d

    def _bars(
        self,
        title: str,
        labels: Sequence[str],
        series: Sequence[tuple[str, Sequence[float]]],
        horizontal: bool,
        unit: str,
    ) -> Drawing:
        labels = [self.t(x) for x in labels[:MAX_BARS]]
        data = [list(values[:MAX_BARS]) for _, values in series]
        height = max(CHART_HEIGHT, (14 + 7 * len(labels) * len(series)) * mm) if horizontal else CHART_HEIGHT
        height = min(height, 150 * mm)
        d = Drawing(CHART_WIDTH, height)
        d.add(String(0, height - 5 * mm, self.t(f"{title}（{unit}）"), fontName=FONT, fontSize=11))
        chart: HorizontalBarChart | VerticalBarChart = (
            HorizontalBarChart() if horizontal else VerticalBarChart()
        )
        left = 55 * mm if horizontal else 15 * mm
        chart.x = left
        chart.y = 18 * mm if not horizontal else 8 * mm
        chart.width = CHART_WIDTH - left - 35 * mm
        chart.height = height - chart.y - 10 * mm
        chart.data = data
        chart.categoryAxis.categoryNames = labels
        chart.categoryAxis.labels.fontName = FONT
        chart.categoryAxis.labels.fontSize = 7
        chart.valueAxis.labels.fontName = FONT
        chart.valueAxis.labels.fontSize = 7
        chart.valueAxis.valueMin = 0
        top = max((v for s in data for v in s), default=0)
        chart.valueAxis.valueMax = top * 1.1 if top > 0 else 1
        if not horizontal:
            chart.categoryAxis.labels.angle = 30
            chart.categoryAxis.labels.boxAnchor = "ne"
        else:
            chart.categoryAxis.labels.boxAnchor = "e"
            chart.categoryAxis.reverseDirection = 1
        chart.barLabels.fontName = FONT
        chart.barLabels.fontSize = 6
        chart.barLabelFormat = _bar_label(unit)
        chart.barLabels.nudge = 8
        for i in range(len(series)):
            chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
            chart.bars[i].strokeColor = None
        d.add(chart)
        if len(series) > 1:
            legend = Legend()
            legend.x = CHART_WIDTH - 32 * mm
            legend.y = height - 12 * mm
            legend.fontName = FONT
            legend.fontSize = 7
            legend.alignment = "right"
            legend.columnMaximum = 8
            legend.deltay = 9
            legend.colorNamePairs = [
                (PALETTE[i % len(PALETTE)], self.t(name)) for i, (name, _) in enumerate(series)
            ]
            d.add(legend)
        return d

    def charts(self) -> list[Flowable]:
        b = self.brief
        out: list[Flowable] = [self.para("图表", self.h2)]
        measured = [t for t in b.targets if t.percent is not None]
        if measured:
            out.append(
                self._bars(
                    "目标进度：完成率",
                    [f"{t.tier_label}·{t.pack_citation}" for t in measured],
                    [("完成率", [float(t.percent or 0) for t in measured])],
                    True,
                    "%",
                )
            )
        else:
            out.append(self._empty("目标进度：完成率", f"数据库中没有可计量的目标，完成率{UNKNOWN}。"))
        out.append(Spacer(1, 6 * mm))
        if b.tiers and b.districts:
            series = [
                (tier, [float(d.titles[i] or 0) for d in b.districts]) for i, tier in enumerate(b.tiers)
            ]
            out.append(self._bars("分区县称号累计", [d.name for d in b.districts], series, False, "家"))
        else:
            out.append(self._empty("分区县称号累计", f"没有称号数据，分区县累计{UNKNOWN}。"))
        out.append(Spacer(1, 6 * mm))
        if b.money_by_measure:
            rows = b.money_by_measure
            out.append(
                self._bars(
                    "资金执行：按政策措施",
                    [m.label for m in rows],
                    [
                        ("预算", [float(wan(m.budget_fen) or 0) for m in rows]),
                        ("已支付", [float(wan(m.paid_fen) or 0) for m in rows]),
                    ],
                    True,
                    "万元",
                )
            )
        else:
            out.append(self._empty("资金执行：按政策措施", f"尚无预算数据，资金执行{UNKNOWN}。"))
        return out

    # ---- pages -------------------------------------------------------------------------------------------

    def first_page(self) -> list[Flowable]:
        b = self.brief
        out: list[Flowable] = [
            self.para(f"杭州市专精特新企业培育月报（{b.year}年{b.month}月）", self.title),
            self.para(f"范围：{b.scope_label}　　数据截至：{cn_date(b.as_of)}", self.body),
            self.para("关键指标", self.h2),
        ]
        rows: list[list[Any]] = []
        for t in b.targets:
            if t.measured:
                rows.append(
                    [
                        f"{t.tier_label}（{t.pack_citation}）",
                        count_text(t.value, t.unit),
                        f"{t.target:,}{t.unit}",
                        pct_text(t.percent),
                        count_text(t.projected, t.unit),
                        "、".join(t.lagging) or "无",
                    ]
                )
        if rows:
            out.append(
                self.table(
                    ["称号（政策）", "累计", "目标", "完成率", "预计期末", "落后区县"],
                    rows,
                    [44 * mm, 20 * mm, 20 * mm, 16 * mm, 22 * mm, 48 * mm],
                )
            )
        m = b.money_total
        money = [
            ["预算", wan_text(m.budget_fen if m else None)],
            ["已支付", wan_text(m.paid_fen if m else None)],
            ["执行率", pct_text(m.execution if m else None)],
            ["已承诺未支付", wan_text(m.committed_fen if m else None)],
            ["可用余额", wan_text(m.remaining_fen if m else None)],
            [
                "培育梯队（符合条件尚未获评）",
                UNKNOWN if b.pipeline is None else f"{sum(p.total for p in b.pipeline):,}家",
            ],
            [
                f"{b.report_quarter[0]}年第{b.report_quarter[1]}季度责任单位缺报",
                f"{len(b.missing_reports)}项",
            ],
        ]
        out += [Spacer(1, 3 * mm), self.table(["指标", "数值"], money, [80 * mm, 90 * mm])]
        out.append(self.para("简要分析（依据上述数字自动生成）", self.h2))
        out += [self.para(s) for s in narrative(b)]
        return out

    def tables(self) -> list[Flowable]:
        b = self.brief
        out: list[Flowable] = [self.para("目标进度", self.h2)]
        out.append(
            self.table(
                ["政策", "目标", "当前值", "目标值", "完成率", "目标日期", "预计期末值", "落后区县"],
                [
                    [
                        t.pack_citation,
                        t.label,
                        count_text(t.value, t.unit) if t.value is not None else UNKNOWN,
                        f"{t.target:,}{t.unit}",
                        pct_text(t.percent),
                        t.by.isoformat() if t.by else "",
                        count_text(t.projected, t.unit),
                        "、".join(t.lagging) if t.measured else UNKNOWN,
                    ]
                    for t in b.targets
                ],
                [16 * mm, 46 * mm, 18 * mm, 18 * mm, 14 * mm, 20 * mm, 18 * mm, 20 * mm],
            )
        )
        out.append(self.para("分区县", self.h2))
        header = ["区县", *b.tiers, "培育梯队", "落后目标数", "区县预算（万元）", "区县已支付（万元）"]
        tier_w = (170 * mm - 20 * mm - 4 * 17 * mm) / max(len(b.tiers), 1)
        out.append(
            self.table(
                header,
                [
                    [
                        d.name,
                        *(count_text(v, "") for v in d.titles),
                        count_text(d.candidates, ""),
                        d.lagging_targets,
                        wan_number(d.budget_fen, NO_BUDGET),
                        wan_number(d.paid_fen, NO_BUDGET),
                    ]
                    for d in b.districts
                ],
                [20 * mm, *([tier_w] * len(b.tiers)), 17 * mm, 17 * mm, 17 * mm, 17 * mm],
            )
        )
        out.append(self.para("资金执行（按政策措施）", self.h2))
        lines = [*b.money_by_measure, *([b.money_total] if b.money_total else [])]
        out.append(
            self.table(
                ["政策措施（万元）", "预算", "已承诺未支付", "已支付", "可用余额", "执行率"],
                [
                    [
                        m.label,
                        wan_number(m.budget_fen),
                        wan_number(m.committed_fen),
                        wan_number(m.paid_fen),
                        wan_number(m.remaining_fen),
                        pct_text(m.execution),
                    ]
                    for m in lines
                ]
                or [["尚无预算数据", UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]],
                [60 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm],
            )
        )
        out.append(
            self.para(
                f"资金数字为资金台账截至{cn_date(b.as_of)}的余额（万元）；"
                + f"金额或期限未设定的在办案件（生成时）{sum(x.amount_unset + x.window_unset for x in b.blocked)}件。"
            )
        )
        out.append(self.para("培育梯队（符合条件尚未获评）", self.h2))
        if b.pipeline is None:
            out.append(self.para(f"尚无已完成的梯度筛查，培育梯队{UNKNOWN}。"))
        else:
            out.append(
                self.table(
                    ["层级", "合计", "主要区县"],
                    [
                        [p.tier_label, p.total, "、".join(f"{n} {c}" for n, c in p.districts[:6]) or "—"]
                        for p in b.pipeline
                    ],
                    [50 * mm, 20 * mm, 100 * mm],
                )
            )
        y, q = b.report_quarter
        out.append(self.para(f"责任单位报送（{y}年第{q}季度）", self.h2))
        if b.missing_reports:
            out.append(
                self.table(
                    ["政策措施", "责任单位", "状态"],
                    [[r.measure, r.organisation, r.status] for r in b.missing_reports],
                    [80 * mm, 60 * mm, 30 * mm],
                )
            )
        else:
            out.append(self.para("无缺报。"))
        if b.kpis:
            out.append(Spacer(1, 2 * mm))
            out.append(
                self.table(
                    ["政策措施", "工作指标", "本季度"],
                    [[k.measure, k.kpi, f"{k.value:,}{k.unit}"] for k in b.kpis],
                    [80 * mm, 60 * mm, 30 * mm],
                )
            )
        return out

    def footer(self, canvas: Canvas, doc: Any) -> None:
        b = self.brief
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        stamp = f"{format_beijing(b.generated_at)}（{LABEL}）"
        canvas.drawString(20 * mm, 12 * mm, self.t(f"口径：{b.rulebook}"))
        canvas.drawString(
            20 * mm, 8 * mm, self.t(f"生成时间：{stamp}　数据截至：{cn_date(b.as_of)}　范围：{b.scope_label}")
        )
        canvas.drawRightString(A4[0] - 20 * mm, 8 * mm, f"{doc.page}")
        canvas.restoreState()

    def build(self) -> bytes:
        story = [*self.first_page(), PageBreak(), *self.charts(), PageBreak(), *self.tables()]
        if self.glyphs.replaced:
            codes = "、".join(f"U+{c:04X}" for c in sorted(self.glyphs.replaced))
            story.append(
                KeepTogether(
                    [self.para(f"注：以下字符超出内嵌字体，已以“{MISSING_MARK}”代替：{codes}。", self.small)]
                )
            )
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=16 * mm,
            bottomMargin=20 * mm,
            title=f"杭州市专精特新企业培育月报 {self.brief.month_label}（{self.brief.scope_label}）",
            author="srdi",
            invariant=True,
        )
        doc.build(story, onFirstPage=self.footer, onLaterPages=self.footer)
        return buffer.getvalue()


def write_pdf(brief: MonthlyBrief) -> bytes:
    """The brief as PDF bytes (the font embedded; characters outside it replaced and listed)."""
    return Writer(brief).build()
