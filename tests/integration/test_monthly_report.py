"""``srdi report monthly`` on a small seeded database: both files written; the PDF rendered to PNG has its charts
drawn and its Chinese text (figures and narrative) extractable, every character covered by the embedded font;
the XLSX has the expected sheets and figures equal to direct queries; bad months and directories refused."""

from __future__ import annotations

import ctypes
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from unittest import mock

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from click.testing import CliRunner
from django.db.models import Sum
from django.utils import timezone
from fontTools.ttLib import TTFont
from openpyxl import load_workbook
from PIL import Image
from tests.integration.test_programme_targets import (  # noqa: F401 - ``world`` is a fixture
    BINJIANG,
    WEST,
    direct_count,
    direct_pipeline,
    world,
)
from tests.pdf_pages import page_texts

from srdi.cli import commands_report  # noqa: F401 - registers the command
from srdi.cli.main import cli
from srdi.db.models import AssessmentRun, BudgetAccount, Enterprise, EnterpriseAssessment, LedgerLine
from srdi.domain.programme.brief import narrative
from srdi.interchange.brief_pdf import font_path
from srdi.services.accounts import create_user
from srdi.services.monthly_report import gather
from srdi.services.programmes import create_programme

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 30)
TIERS = ("innovative_sme", "srdi_sme", "hidden_champion", "little_giant")
SHEETS = [
    "关键指标",
    "目标进度",
    "分区县",
    "资金执行",
    "金额或期限未设定",
    "储备梯队",
    "责任单位报送",
    "说明",
]


@pytest.fixture
def brief_world(world: None) -> AssessmentRun:  # noqa: F811 - the imported fixture
    admin = create_user(username="brief_admin", password="x", role="city_admin", check_password=False)
    with posted_on(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)):  # 23:59 in Hangzhou: still November
        create_programme(
            code="hz81-9-2026",
            name="2026年技改补助",
            article=9,
            year=2026,
            opens_on=date(2026, 1, 1),
            closes_on=date(2026, 12, 31),
            city_budget_fen=5_000_000_123,  # not a whole 万元: the XLSX must keep the fen
            district_budgets={WEST: 2 * 10**9, BINJIANG: 3 * 10**9},
            actor=admin,
        )
    with posted_on(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)):  # 00:00 on 1 December in Hangzhou
        create_programme(
            code="hz81-9-2027",
            name="2027年技改补助",
            article=9,
            year=2027,
            opens_on=date(2027, 1, 1),
            closes_on=date(2027, 12, 31),
            city_budget_fen=7 * 10**9,
            district_budgets={WEST: 10**9},
            actor=admin,
        )
    now = timezone.now()
    run = AssessmentRun.objects.create(as_of=ON, started_at=now, finished_at=now)
    for i, e in enumerate(Enterprise.objects.order_by("id")[:12]):
        EnterpriseAssessment.objects.create(
            run=run,
            enterprise=e,
            **{f"{t}_status": "eligible" if (i + k) % 2 else "ineligible" for k, t in enumerate(TIERS)},
        )
    return run


@contextmanager
def posted_on(moment: datetime) -> Iterator[None]:
    """Ledger entries posted inside the block carry ``moment`` as their time."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return moment.astimezone(tz) if tz else moment

    with mock.patch("srdi.services.ledger.datetime", Clock):
        yield


def ledger_cap(before: date, **budget: object) -> Decimal:
    """Budget in 万元 from the journal: the lines of the budgets' accounts posted by the end of ``before``
    (Hangzhou, UTC+8), summed directly."""
    lines = LedgerLine.objects.filter(
        account__budget__isnull=False,
        account__kind__in=("available", "committed", "paid"),
        entry__created_at__lt=datetime(before.year, before.month, before.day, 16, 0, tzinfo=UTC),
        **{f"account__budget__{k}": v for k, v in budget.items()},
    ).aggregate(d=Sum("debit_fen"), c=Sum("credit_fen"))
    return Decimal((lines["d"] or 0) - (lines["c"] or 0)).scaleb(-6)


def _run(out: Path, *args: str):
    return CliRunner().invoke(cli, ["report", "monthly", "--month", "2026-11", "--out", str(out), *args])


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fonts_used(raw: bytes) -> set[str]:
    """The font of every character of every page, as pdfium reads it."""
    names = set()
    buffer, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    pdf = pdfium.PdfDocument(raw)
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            for k in range(textpage.count_chars()):
                pdfium_c.FPDFText_GetFontInfo(textpage, k, buffer, 256, ctypes.byref(flags))
                names.add(buffer.value.decode())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return names


def _render_with_titles(
    raw: bytes, index: int, titles: tuple[str, ...]
) -> tuple[Image.Image, dict[str, int]]:
    """Page ``index`` rendered at 2× (144 dpi) and the pixel row just below each title's first character."""
    pdf = pdfium.PdfDocument(raw)
    try:
        page = pdf[index]
        textpage = page.get_textpage()
        image = page.render(scale=2).to_pil()
        height = page.get_height()
        tops = {}
        for title in titles:
            searcher = textpage.search(title)
            found = searcher.get_next()
            assert found is not None, title
            _left, bottom, _right, _top = textpage.get_charbox(found[0])
            tops[title] = int((height - bottom) * 2)
            searcher.close()
        textpage.close()
        page.close()
        return image, tops
    finally:
        pdf.close()


def _coloured(image, box: tuple[int, int, int, int]) -> int:
    """Pixels in ``box`` whose colour is clearly not grey (the bars; text and axes are black or grey)."""
    pixels = np.asarray(image.crop(box).convert("RGB"), dtype=np.int16)
    return int(((pixels.max(axis=2) - pixels.min(axis=2)) > 60).sum())


def test_cli_writes_both_files_with_charts_text_and_figures(
    brief_world: AssessmentRun, tmp_path: Path
) -> None:
    result = _run(tmp_path / "out")
    assert result.exit_code == 0, result.output
    pdf_path = tmp_path / "out" / "srdi-monthly-2026-11.pdf"
    xlsx_path = tmp_path / "out" / "srdi-monthly-2026-11.xlsx"
    assert pdf_path.stat().st_size > 10_000 and xlsx_path.stat().st_size > 3_000

    brief = gather(2026, 11)
    raw = pdf_path.read_bytes()
    assert b"/FontFile2" in raw and b"+SRDIBriefSans-Regular" in raw  # the TrueType font, embedded (subset)
    assert _fonts_used(raw) == {"SRDIBriefSans-Regular"}  # every character is set in it
    texts = page_texts(raw)
    assert len(texts) >= 3
    everything = _squash("".join(texts))

    # the figures and the generated narrative are there, in Chinese
    little = direct_count("little_giant", ON)
    assert little > 0
    assert f"国家级专精特新“小巨人”企业累计{little:,}家" in everything
    for sentence in narrative(brief):
        assert _squash(sentence) in everything, sentence
    for i, text in enumerate(texts):  # every page names the packs and the generation time
        assert "口径：" in text and "生成时间：" in text, i
        assert "81号" in text

    # every character printed is in the embedded font's cmap: no missing-glyph boxes, nothing replaced
    cmap = TTFont(font_path())["cmap"].getBestCmap()
    printed = {c for c in everything if c.strip()}
    assert not {c for c in printed if ord(c) not in cmap}
    assert "〓" not in everything and "\ufffd" not in everything

    # the chart page: below each chart title, coloured bars are drawn
    chart_page = next(i for i, text in enumerate(texts) if "目标进度：完成率" in text)
    image, tops = _render_with_titles(
        raw, chart_page, ("目标进度：完成率", "分区县称号累计", "资金执行：按政策措施")
    )
    for title, y0 in tops.items():
        assert _coloured(image, (0, y0, image.width, min(image.height, y0 + 360))) > 500, title
    assert _coloured(image, (0, 0, image.width, 60)) == 0  # the page top is text only (a control)

    # the XLSX
    wb = load_workbook(xlsx_path)
    assert wb.sheetnames == SHEETS
    key = {row[0]: row[1] for row in wb["关键指标"].iter_rows(min_row=2, values_only=True)}
    assert key["国家级专精特新“小巨人”企业累计（81号）"] == little
    assert key["省级专精特新中小企业累计（81号）"] == direct_count("srdi_sme", ON)
    november = ledger_cap(ON)
    assert november == Decimal("10000.000123")  # the 2027 budget was posted on 1 December: not in November
    assert Decimal(str(key["预算"])) == november  # exact to the fen
    assert wb["关键指标"]["B" + str(list(key).index("预算") + 2)].number_format == "#,##0.00####"
    districts = {row[1]: row for row in wb["分区县"].iter_rows(min_row=2, values_only=True)}
    header = next(wb["分区县"].iter_rows(max_row=1, values_only=True))
    col = header.index("国家级专精特新“小巨人”企业累计")
    assert districts[WEST][col] == direct_count("little_giant", ON, WEST)
    assert districts[BINJIANG][col] == direct_count("little_giant", ON, BINJIANG)
    budget_col = header.index("区县预算（万元）")
    assert Decimal(str(districts[WEST][budget_col])) == ledger_cap(ON, side="district", district_code=WEST)
    assert districts["330102"][budget_col] == "无预算"  # no budget of its own: said so, not 0
    pipeline = {(r[0], r[1]): r[2] for r in wb["储备梯队"].iter_rows(min_row=2, values_only=True)}
    assert pipeline[("国家级专精特新“小巨人”企业", "合计")] == direct_pipeline(
        brief_world, "little_giant", None
    )
    money = list(wb["资金执行"].iter_rows(min_row=2, values_only=True))
    total = next(r for r in money if r[0] == "合计")
    assert Decimal(str(total[2])) == november
    december = gather(2026, 12)
    assert december.money_total is not None
    assert Decimal(december.money_total.budget_fen).scaleb(-6) == ledger_cap(date(2026, 12, 31))
    assert december.money_total.budget_fen == BudgetAccount.objects.aggregate(t=Sum("cap_fen"))["t"]


def test_district_brief(brief_world: AssessmentRun, tmp_path: Path) -> None:
    result = _run(tmp_path, "--district", WEST)
    assert result.exit_code == 0, result.output
    wb = load_workbook(tmp_path / f"srdi-monthly-2026-11-{WEST}.xlsx")
    assert [r[1] for r in wb["分区县"].iter_rows(min_row=2, values_only=True)] == [WEST]
    key = {row[0]: row[1] for row in wb["关键指标"].iter_rows(min_row=2, values_only=True)}
    assert key["国家级专精特新“小巨人”企业累计（81号）"] == direct_count("little_giant", ON, WEST)
    assert Decimal(str(key["预算"])) == ledger_cap(ON, side="district", district_code=WEST) == Decimal(2000)
    text = page_texts(tmp_path / f"srdi-monthly-2026-11-{WEST}.pdf")[0]
    assert "范围：西湖区" in text


def test_unknown_figures_say_unknown_not_zero(db, tmp_path: Path) -> None:
    """An empty database: no budget, no screening — the brief says 未知, never 0."""
    assert _run(tmp_path).exit_code == 0
    wb = load_workbook(tmp_path / "srdi-monthly-2026-11.xlsx")
    key = {row[0]: row[1] for row in wb["关键指标"].iter_rows(min_row=2, values_only=True)}
    assert key["预算"] == "未知" and key["培育梯队（符合条件尚未获评）"] == "未知"
    text = _squash(page_texts(tmp_path / "srdi-monthly-2026-11.pdf")[0])
    assert "尚无预算数据，执行情况未知" in text and "培育梯队未知" in text


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026-13", "月份应在 01 至 12 之间"), ("11/2026", "月份格式应为 YYYY-MM"), ("", "月份格式应为")],
)
def test_bad_month_is_refused(db, tmp_path: Path, month: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["report", "monthly", "--month", month, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_unwritable_directory_and_unknown_district_are_refused(db, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = _run(blocker)
    assert result.exit_code == 2 and "是一个文件，不是目录" in result.output
    result = _run(blocker / "sub")
    assert result.exit_code == 2 and "无法创建输出目录" in result.output
    result = _run(tmp_path / "d", "--district", "999999")
    assert result.exit_code == 2 and "没有区划代码为 999999 的区县" in result.output
    assert not list((tmp_path / "d").glob("*.pdf"))


def test_xlsx_text_is_formula_safe(brief_world: AssessmentRun) -> None:
    from srdi.interchange.brief_xlsx import write_xlsx

    brief = gather(2026, 11)
    brief = type(brief)(**{**brief.__dict__, "rulebook": '=HYPERLINK("x")'})
    wb = load_workbook(io.BytesIO(write_xlsx(brief)))
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["口径（政策包与参数）"] == '\'=HYPERLINK("x")'
