"""Hostile files through the whole import (issue #13 item 4): refused with a reason code, never a traceback.

The reproductions: a million-row workbook is refused early and quickly; a sheet declaring A1:XFD1048576 with
one formula is read in bounded time; NUL or a bidi override in a name is refused naming the row and column
(on SQLite and on PostgreSQL: nothing reaches the database); the corrupt files of the fuzz corpus are refused
by the import service and by ``srdi import`` (with and without ``--dry-run``) with a message, never a crash.
"""

from __future__ import annotations

import json
import time

import pytest
from tests.hostile_files import USCCS, corpus, declared_wide_xlsx, million_row_xlsx, named_xlsx

from srdi.db.models import AuditAction, AuditEvent, Enterprise, ImportBatch
from srdi.interchange.limits import ReadLimits
from srdi.interchange.refusals import FileRefused, Reason
from srdi.services.import_preview import preview_file
from srdi.services.imports import import_file, validate

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def million() -> bytes:
    return million_row_xlsx(1_000_000)


def test_a_million_row_workbook_is_refused_early_by_its_row_count(million):
    assert len(million) < 50 * 1024 * 1024  # it passes the size limit: the row limit must refuse it
    started = time.perf_counter()
    result = import_file(million, "million.xlsx")
    seconds = time.perf_counter() - started
    assert result.status == ImportBatch.Status.REJECTED
    assert result.refusal == Reason.TOO_MANY_ROWS
    assert "超过 200,000 行" in result.message and "工作表「企业数据」" in result.message
    assert seconds < 30, seconds  # ~2 s on an idle 2-core machine; it used to take 72 s and 2 GB
    event = AuditEvent.objects.filter(action=AuditAction.IMPORT).latest("pk")
    assert event.new["refusal"] == "too_many_rows"


def test_a_sheet_declaring_the_whole_grid_with_one_formula_is_read_in_bounded_time():
    data = declared_wide_xlsx(20_000)
    started = time.perf_counter()
    checked = validate(data, "wide.xlsx", actor=None)
    seconds = time.perf_counter() - started
    assert checked.rows_total == 20_000
    formula = [e for e in checked.errors if "公式" in e.reason]
    assert [(e.row, e.letter) for e in formula] == [(3, "C")]
    assert seconds < 20, seconds  # ~2 s; reading to the declared 1,048,576 × 16,384 cells took minutes


@pytest.mark.parametrize(
    ("rows", "cells", "code"),
    [
        ('<row r="2"><c r="A2"><v>1</v></c><c r="IW2"><v>1</v></c></row>', "", Reason.TOO_MANY_COLUMNS),
        (
            '<row r="150000"><c r="A150000"><v>1</v></c><c r="DZ150000"><v>1</v></c></row>',
            "",
            Reason.TOO_MANY_CELLS,
        ),
        ('<row r="1048576"><c r="A1048576"><v>1</v></c></row>', "", Reason.TOO_MANY_ROWS),
        ("<row>" + "<c><v>1</v></c>" * 300 + "</row>", "", Reason.TOO_MANY_COLUMNS),
    ],
)
def test_two_far_apart_cells_are_refused_before_the_reader_allocates_the_block(rows, cells, code):
    from tests.hostile_files import header_row, sheet_xlsx

    sheet = (
        (
            b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>"
        )
        + header_row()
        + rows.encode()
        + b"</sheetData></worksheet>"
    )
    started = time.perf_counter()
    with pytest.raises(FileRefused) as refused:
        validate(sheet_xlsx(sheet), "far.xlsx", actor=None)
    assert refused.value.code == code
    assert time.perf_counter() - started < 5


def test_the_time_budget_refuses_cleanly():
    data = declared_wide_xlsx(3_000)
    with pytest.raises(FileRefused) as refused:
        validate(data, "slow.xlsx", actor=None, limits=ReadLimits(seconds=0))
    assert refused.value.code == Reason.TIME_BUDGET
    assert "秒" in str(refused.value)


@pytest.mark.parametrize("bad", ["\x00", "\u202e", "\u2066", "\x07", "\x7f"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_control_characters_in_a_name_are_refused_naming_row_and_column(fmt, bad):
    name = f"杭州{bad}测试公司"
    if fmt == "xlsx":
        escaped = name.replace("\x00", "_x0000_").replace("\x07", "_x0007_").replace("\x7f", "_x007F_")
        data = named_xlsx(escaped)
    elif fmt == "csv":
        data = f"统一社会信用代码,企业名称,年度\n{USCCS[0]},{name},2024\n".encode()
    else:
        data = json.dumps([{"uscc": USCCS[0], "name": name}]).encode()
    result = import_file(data, f"names.{fmt}")
    assert result.status == ImportBatch.Status.REJECTED, result.message
    assert Enterprise.objects.count() == 0
    report = json.dumps(ImportBatch.objects.get(pk=result.batch_id).report)
    assert f"\\\\u{ord(bad):04x}" in report  # stored as a visible escape: PostgreSQL refuses a NUL in JSON
    messages = result.error_messages()
    assert len(messages) == 1, messages
    assert f"U+{ord(bad):04X}" in messages[0]
    if fmt == "json":
        assert messages[0].startswith("第1条「name」")
    else:
        assert "第2行" in messages[0] and (
            "B列" in messages[0] if fmt == "xlsx" else "「企业名称」" in messages[0]
        )


def test_tab_and_newline_are_allowed_only_in_a_multi_line_field():
    from srdi.domain.exchange import RecordError, parse_profile

    parse_profile({"uscc": "91330106MA2B0CD0XX", "uscc_override_reason": "登记在册\n见附件"})
    with pytest.raises(RecordError, match="制表符或换行符"):
        parse_profile({"uscc": USCCS[0], "name": "甲\n乙"})


SAMPLE = 300


def test_a_sample_of_the_fuzz_corpus_through_the_whole_import_is_refused_or_accepted_never_raised():
    """A few hundred corpus files through ``import_file`` and ``preview_file`` on the database."""
    codes: dict[str, int] = {}
    for family, name, data in corpus(SAMPLE, seed=486):
        result = import_file(data, name)
        preview = preview_file(data, name, actor=None)
        assert result.status in ImportBatch.Status.values, (family, name)
        if result.refusal is not None:
            assert preview.refusal == str(result.refusal), (family, name)
            assert result.message and result.refusal != Reason.UNREADABLE, (family, name, result.message)
            codes[str(result.refusal)] = codes.get(str(result.refusal), 0) + 1
    assert ImportBatch.objects.count() == SAMPLE
    assert len(codes) >= 8, codes


def test_the_service_guard_refuses_an_unforeseen_reader_error_as_unreadable(monkeypatch, caplog):
    from srdi.services import imports

    def broken(*_args, **_kwargs):
        raise AttributeError("a reader bug")

    monkeypatch.setattr(imports, "read_table", broken)
    data = f"统一社会信用代码,企业名称\n{USCCS[0]},甲\n".encode()
    result = import_file(data, "bug.csv")
    assert result.status == ImportBatch.Status.REJECTED
    assert result.refusal == Reason.UNREADABLE
    assert "无法读取" in result.message
    assert "a reader bug" in caplog.text  # the traceback is logged for the developers


@pytest.mark.parametrize("dry_run", [False, True])
def test_cli_refuses_corrupt_files_with_a_message_and_exit_code_one(cli_runner, tmp_path, dry_run):
    for index, (_family, name, data) in enumerate(corpus(40, seed=7)):
        path = tmp_path / f"{index}-{name}"
        path.write_bytes(data)
        args = ["import", str(path), *(["--dry-run"] if dry_run else [])]
        outcome = cli_runner(*args)  # catch_exceptions=False: a traceback fails the test
        assert outcome.exit_code in (0, 1, 3), outcome.output
        if "原因代码" in outcome.output:
            assert outcome.exit_code == 1
