"""The pieces of the hostile-file defences: column thresholds, extents, ODS repeats, the text rule."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.hostile_files import ods_content, seed_ods, zip_parts

from srdi.domain.text import BIDI, text_problem, visible
from srdi.interchange import safety
from srdi.interchange.cells import CellError, parser_for
from srdi.interchange.columns import BY_NAME
from srdi.interchange.headers import MONEY_UNITS, PERCENT_UNITS
from srdi.interchange.layout import column_letter
from srdi.interchange.limits import Deadline, ReadLimits
from srdi.interchange.refusals import FileRefused, Reason
from srdi.interchange.sheet_extent import _beyond, _row_beyond, check_worksheet, column_number, formula_cells


@pytest.mark.parametrize("limit", [1, 25, 26, 27, 52, 100, 256, 702, 703, 1000, 16_383])
def test_the_beyond_pattern_matches_exactly_the_columns_after_the_limit(limit):
    pattern = re.compile(b"(?:" + _beyond(limit) + b")$")
    for col in range(1, 16_385):
        letters = column_letter(col - 1).encode()
        assert bool(pattern.match(letters)) is (col > limit), (limit, letters)
        assert column_number(letters) == col


@pytest.mark.parametrize("limit", [1, 9, 10, 99, 100, 199_999, 200_000, 1_048_576])
def test_the_row_beyond_pattern_matches_exactly_the_rows_after_the_limit(limit):
    pattern = re.compile(b"(?:" + _row_beyond(limit) + b")$")
    for row in [*range(1, 2_001), *range(limit - 50, limit + 50), 10**11, 999_999_999_999]:
        if row > 0:
            assert bool(pattern.match(str(row).encode())) is (row > limit), (limit, row)


def _sheet(body: str) -> bytes:
    return f'<worksheet xmlns="x"><sheetData>{body}</sheetData></worksheet>'.encode()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('<row r="1"><c r="A1"/></row><row r="300001"><c r="A300001"/></row>', Reason.TOO_MANY_ROWS),
        ('<row r="1"><c r="A1"/><c r="XFD1"/></row>', Reason.TOO_MANY_COLUMNS),
        ('<row r="1"><c s="1" r="XFD1"/></row>', Reason.TOO_MANY_COLUMNS),  # r not first: general path
        ('<x:row r="1"><x:c r="XFD1"/></x:row>', Reason.TOO_MANY_COLUMNS),  # prefixed: general path
        ('<row r="100000"><c r="A100000"/><c r="EA100000"/></row>', Reason.TOO_MANY_CELLS),
        ("<row>" + "<c/>" * 257 + "</row>", Reason.TOO_MANY_COLUMNS),  # cells without r
        ('<row r="1"><c r="A1"/><c r="IV199999"/></row>', Reason.TOO_MANY_CELLS),  # a cell's own row counts
        ('<row r="1"><c r="A1"/><c r="A1048576"/></row>', Reason.TOO_MANY_ROWS),
    ],
)
def test_a_worksheet_over_the_limits_is_refused_by_its_extent(body, code):
    with pytest.raises(FileRefused) as refused:
        check_worksheet(_sheet(body), ReadLimits(), "工作表「x」")
    assert refused.value.code == code
    assert "工作表「x」" in str(refused.value)


def test_a_worksheet_within_the_limits_is_measured():
    scan = check_worksheet(
        _sheet('<row r="1"><c r="A1"/><c r="C1"><f>1+1</f></c></row><row r="7"><c r="A7"/></row>'),
        ReadLimits(),
        "",
    )
    assert scan.rows == 7 and scan.has_formula
    assert list(formula_cells(_sheet('<row r="2"><c r="C2" t="n"><f>A1&amp;1</f></c></row>'))) == [
        (2, 2, "=A1&1")
    ]
    assert formula_cells(_sheet("<row><c><f>1</f></c></row>")) is None  # cannot be placed: openpyxl reads it


def test_the_row_counter_refuses_a_long_sheet_while_it_is_still_being_read():
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, 2_000))
    data = zip_parts(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/worksheets/sheet1.xml": _sheet("").replace(b"</sheetData>", rows + b"</sheetData>"),
        }
    )
    with pytest.raises(FileRefused) as refused:
        safety.check_xlsx(data, ReadLimits(max_rows=1_000))
    assert refused.value.code == Reason.TOO_MANY_ROWS


@pytest.mark.parametrize(
    ("rows", "cols", "code"),
    [
        (1_048_576, 1, Reason.TOO_MANY_ROWS),
        (1, 16_384, Reason.TOO_MANY_COLUMNS),
        (1000, 200, Reason.TOO_MANY_CELLS),
    ],
)
def test_ods_repeated_cells_with_content_count_as_often_as_they_repeat(rows, cols, code):
    extra = (
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell office:value-type="float" '
        f'office:value="1" table:number-columns-repeated="{cols}"/></table:table-row>'
    )
    data = zip_parts(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": ods_content([["uscc"]], extra).encode(),
        }
    )
    with pytest.raises(FileRefused) as refused:
        safety.check_ods(data, ReadLimits(max_cells=100_000))
    assert refused.value.code == code


def test_empty_repeated_ods_rows_are_free():
    extra = (
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
    )
    data = zip_parts(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": ods_content([["uscc"]], extra).encode(),
        }
    )
    safety.check_ods(data)
    safety.check_ods(seed_ods())


def test_the_deadline_refuses_once_spent():
    Deadline(60).check()
    with pytest.raises(FileRefused) as refused:
        Deadline(0, started=0).check("x")
    assert refused.value.code == Reason.TIME_BUDGET


@pytest.mark.parametrize("ch", ["\x00", "\x01", "\x1b", "\x7f", *BIDI])
def test_control_and_bidi_characters_are_refused_everywhere(ch):
    assert text_problem(f"a{ch}b") and text_problem(f"a{ch}b", multiline=True)
    assert "\\u" in visible(ch) and ch not in visible(ch)


def test_tab_and_newline_only_in_multi_line_text():
    assert text_problem("a\tb") and text_problem("a\nb") and text_problem("a\r\nb")
    assert text_problem("a\tb\r\nc", multiline=True) is None


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=BIDI)))
def test_ordinary_text_is_never_refused(text):
    assert text_problem(text) is None
    assert visible(text) == text


# Any cell a reader can hand over: text (with controls, bidi, full-width digits, JSON-ish), numbers of every
# size, NaN and infinity, booleans, dates, times and durations.
_cells = st.one_of(
    st.text(max_size=40),
    st.text(alphabet='0123456789０１２３.,-+eE%万元分年月日/[]{}":tT \u202e\x00', max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


_COLUMN_NAMES = sorted(BY_NAME)


@settings(max_examples=400)
@given(cell=_cells, name=st.sampled_from(_COLUMN_NAMES), date1904=st.booleans())
def test_every_cell_parser_returns_or_refuses_never_crashes(cell, name, date1904):

    column = BY_NAME[name]
    units = {"fen": list(MONEY_UNITS), "decimal": [None, *PERCENT_UNITS]}.get(column.kind, [None])
    for unit in units:
        parse = parser_for(column, unit, date1904=date1904)
        with contextlib.suppress(CellError):  # a refusal is fine; any other exception fails
            parse(cell)


def test_a_json_file_with_too_many_records_is_refused_by_count():
    from srdi.interchange.readers import read_json_records

    assert len(read_json_records(b"[{}, {}]", ReadLimits(max_rows=2))) == 2
    with pytest.raises(FileRefused) as refused:
        read_json_records(b'{"enterprises": [{}, {}, {}]}', ReadLimits(max_rows=2))
    assert refused.value.code == Reason.TOO_MANY_ROWS and "3 条记录" in str(refused.value)


def test_an_ods_whose_xml_is_not_well_formed_is_refused_before_calamine_loops_on_it():
    from tests.hostile_files import _parts

    parts = _parts(seed_ods())
    parts["content.xml"] = parts["content.xml"].replace(b"</table:table>", b"</table&amp;&lt;:table>")
    with pytest.raises(FileRefused) as refused:
        safety.check_ods(zip_parts(parts))
    assert refused.value.code == Reason.CORRUPT_WORKBOOK and "格式正确的 XML" in str(refused.value)
