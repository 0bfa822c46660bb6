"""Importing enterprise data from JSON, CSV, XLSX or ODS: validate every row first, then write all or nothing.

Use ``import_file``. Default all-or-nothing: one bad row and nothing is written (the batch is recorded as
rejected with its report). ``partial=True`` writes the valid records and reports the others. Importing the
same file again changes nothing. Every error of a file is reported in one pass: a row with refused cells is
never written, but its other cells still go through the profile and scope checks (``rows.CheckOnly``).
Hostile files are refused by ``srdi.interchange.safety`` before parsing, and the readers refuse anything they
cannot read with a reason code (``refusals.Reason``), within the limits of the ``SRDI_IMPORT_MAX_*`` settings
(``read_limits``). ``read_checked`` is the last-resort guard: an exception no reader turned into a refusal is
logged with its traceback and the file is refused as ``unreadable``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from srdi.db.models import AuditAction, Enterprise, ImportBatch, User
from srdi.domain.exchange import RecordError, parse_profile
from srdi.domain.permissions import Scope
from srdi.domain.reference import district_codes
from srdi.domain.text import visible
from srdi.interchange.layout import TableLayout
from srdi.interchange.limits import Deadline, ReadLimits
from srdi.interchange.problems import RowError, RowWarning
from srdi.interchange.readers import FORMULA, FileFormatError, RawRow, read_json_records, read_table
from srdi.interchange.refusals import FileRefused, Reason
from srdi.interchange.rows import CheckOnly, SourceRecord, locate_problem, parse_rows
from srdi.interchange.safety import MAX_FILE_BYTES, check_upload
from srdi.services import audit, scoping
from srdi.services.checkpoints import checkpoint_after_commit
from srdi.services.enterprise_writer import Incoming, WriteStats, write_profiles
from srdi.services.import_checks import RowFlag, plausibility_flags
from srdi.services.import_progress import ProgressSink

MAX_REPORTED_ERRORS = 1000
log = logging.getLogger(__name__)
UNREADABLE = "文件无法读取（内容损坏或格式异常），已拒绝；如确认文件无误，请另存为 .xlsx 或 UTF-8 CSV 后重试"


def read_limits() -> ReadLimits:
    """The limits of one import, from the ``SRDI_IMPORT_MAX_*`` settings."""
    return ReadLimits(
        max_rows=int(settings.SRDI_IMPORT_MAX_ROWS),
        max_columns=int(settings.SRDI_IMPORT_MAX_COLUMNS),
        max_cells=int(settings.SRDI_IMPORT_MAX_CELLS),
        seconds=float(settings.SRDI_IMPORT_MAX_SECONDS),
    )


@dataclass
class ImportResult:
    """The outcome of an import, for the page, the CLI and the audit log."""

    status: str
    file_format: str
    rows_total: int = 0
    records_total: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    layout: TableLayout | None = None  # how a spreadsheet was read (None for JSON)
    flags: list[RowFlag] = field(default_factory=list)
    stats: WriteStats = field(default_factory=WriteStats)
    batch_id: int | None = None
    message: str = ""
    refusal: Reason | None = None  # why the whole file was refused, if it was

    @property
    def ok(self) -> bool:
        return self.status in (ImportBatch.Status.APPLIED, ImportBatch.Status.NOOP) and not self.errors

    @property
    def unit(self) -> str:
        return "条" if self.file_format == "json" else "行"

    @property
    def held(self) -> bool:
        return self.status == ImportBatch.Status.HELD

    def error_messages(self) -> list[str]:
        return [e.message(self.unit) for e in self.errors]

    def flag_messages(self) -> list[str]:
        return [f.message(self.unit) for f in self.flags]

    def warning_messages(self) -> list[str]:
        return [w.message(self.unit) for w in self.warnings]


@dataclass
class Validation:
    """A file read and checked, nothing written: the valid records, every error and warning, the layout."""

    file_format: str
    valid: list[tuple[SourceRecord, Incoming]]
    errors: list[RowError]
    warnings: list[RowWarning]
    layout: TableLayout | None  # None for JSON
    rows_total: int

    @property
    def unknown_headers(self) -> list[str]:
        return [c.header for c in self.layout.ignored() if c.unknown] if self.layout else []


def _problem_error(
    record: SourceRecord, path: str, layout: TableLayout | None, value: str, reason: str
) -> RowError:
    """An error of the parsed profile, placed at the spreadsheet row and column (or JSON record) it came from."""
    if layout is None:
        return RowError(record.rows[0] if record.rows else 0, path, value, reason, record.uscc)
    row, column = locate_problem(record, path, layout)
    header, letter = (column.header, column.letter) if column else (path, "")
    return RowError(row, header, value, reason, record.uscc, layout.sheet or "", letter)


def _checked(
    record: SourceRecord, layout: TableLayout | None, actor: User | None, report: Callable[[RowError], None]
) -> Incoming | None:
    """A record's profile checked (and the actor's district scope), every problem reported; None if any."""
    try:
        profile = parse_profile(record.data)
    except RecordError as exc:
        for problem in exc.problems:
            value = problem.value if isinstance(problem.value, str | int) else ""
            report(_problem_error(record, problem.path, layout, str(value)[:80], problem.reason))
        district = record.data.get("district")
        if (
            actor is not None
            and isinstance(district, str)
            and district in district_codes()
            and not any(p.path == "district" for p in exc.problems)
        ):
            verdict = scoping.can_import_for_district(actor, district)
            if not verdict:
                report(_problem_error(record, "district", layout, district, verdict.reason))
        return None
    if actor is not None:
        verdict = scoping.can_import_for_district(actor, profile.district)
        if not verdict:
            report(_problem_error(record, "district", layout, profile.district or "", verdict.reason))
            return None
    return Incoming.of(profile, record.contact)


def _unless_at(letters: frozenset[str], errors: list[RowError]) -> Callable[[RowError], None]:
    """Report an error unless it is in one of ``letters`` (columns whose cells were already refused)."""

    def report(error: RowError) -> None:
        if error.letter not in letters:
            errors.append(error)

    return report


def _json_records(data: bytes, limits: ReadLimits) -> tuple[list[SourceRecord], list[RowError]]:
    records, errors = [], []
    for index, raw in enumerate(read_json_records(data, limits), start=1):
        uscc = str(raw.get("uscc") or "").upper() if isinstance(raw, dict) else ""
        if not isinstance(raw, dict):
            errors.append(RowError(index, "", "", "记录应为 JSON 对象"))
            continue
        records.append(SourceRecord(uscc=uscc, rows=[index], data=raw))
    return records, errors


ROWS_PER_PROGRESS = 1000


def _counted(rows: Iterator[RawRow], sink: ProgressSink) -> Iterator[RawRow]:
    for count, row in enumerate(rows, start=1):
        if count % ROWS_PER_PROGRESS == 0:
            sink.rows(count)
        yield row


def validate(
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    max_bytes: int = MAX_FILE_BYTES,
    sink: ProgressSink | None = None,
    limits: ReadLimits | None = None,
) -> Validation:
    """Read and validate a file without writing anything (``sink`` hears of the rows read).

    Raises ``FileRefused`` (with a reason code) when the file as a whole cannot be read or is over ``limits``.
    """
    limits = limits or ReadLimits()
    deadline = Deadline(limits.seconds)
    file_format = check_upload(data, filename, max_bytes)
    layout: TableLayout | None = None
    warnings: list[RowWarning] = []
    header_errors: list[RowError] = []
    check_only: list[CheckOnly] = []
    if file_format == "json":
        records, errors = _json_records(data, limits)
        rows_total = len(records) + len(errors)
        # The same USCC twice in one JSON file is ambiguous: refuse the later one.
        seen: dict[str, int] = {}
        kept = []
        for r in records:
            if r.uscc and r.uscc in seen:
                errors.append(RowError(r.rows[0], "uscc", r.uscc, f"与第{seen[r.uscc]}条重复", r.uscc))
                continue
            seen[r.uscc] = r.rows[0]
            kept.append(r)
        records = kept
    else:
        table = read_table(data, file_format, limits, deadline)
        layout = table.layout
        if sink is not None:
            table.rows = _counted(table.rows, sink)
        parsed = parse_rows(table)
        records, rows_total, check_only = parsed.records, parsed.rows_total, parsed.check_only
        header_errors = table.errors
        errors = [*header_errors, *parsed.errors]
        warnings = [*table.warnings, *parsed.warnings]
        for f in table.formulas:
            errors.append(
                RowError(f.row, f.column, f.formula, FORMULA, sheet=layout.sheet or "", letter=f.letter)
            )
    valid: list[tuple[SourceRecord, Incoming]] = []
    for n, record in enumerate(records):
        if n % 1000 == 0:
            deadline.check("校验记录")
        incoming = _checked(record, layout, actor, errors.append)
        if incoming is not None:
            valid.append((record, incoming))
            record.data = {}  # the compact Incoming holds what is written; the raw cells are not needed again
    # Rows with cell errors are never written, but their other cells are checked too: every error of a row
    # is reported in one pass.
    checked_only: list[tuple[SourceRecord, Incoming]] = []
    for n, row in enumerate(check_only):
        if n % 1000 == 0:
            deadline.check("校验记录")
        incoming = _checked(row.record, layout, actor, _unless_at(row.failed_letters, errors))
        if incoming is not None:
            checked_only.append((row.record, incoming))
    if actor is not None and checked_only:
        _keep_writable(actor, checked_only, errors, layout)
    if actor is not None:
        valid = _keep_writable(actor, valid, errors, layout)
    if header_errors:
        valid = []  # a column that cannot be read would be left out of every record: write nothing
    errors.sort(key=lambda e: (e.row, len(e.letter), e.letter, e.column))
    return Validation(file_format, valid, errors, warnings, layout, rows_total)


def read_checked(
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    max_bytes: int = MAX_FILE_BYTES,
    sink: ProgressSink | None = None,
    limits: ReadLimits | None = None,
) -> Validation | FileRefused:
    """``validate``, or the refusal: a reader's ``FileRefused``, or ``unreadable`` for anything unforeseen.

    The last resort logs the traceback (a bug to fix: the reader should have named the problem) and never
    lets a hostile file become an HTTP 500 or a CLI traceback. Database errors are not caught here.
    """
    try:
        return validate(
            data, filename, actor=actor, max_bytes=max_bytes, sink=sink, limits=limits or read_limits()
        )
    except FileRefused as exc:
        return exc
    except RecursionError:
        return FileRefused("文件嵌套层次过深，无法读取", Reason.UNREADABLE)
    except MemoryError:
        return FileRefused("文件过大，读取时内存不足；请拆分后导入", Reason.UNREADABLE)
    except DatabaseError:
        raise
    except Exception:
        log.exception(
            "import of %r: a reader raised an exception it should have turned into a refusal", filename
        )
        return FileRefused(UNREADABLE, Reason.UNREADABLE)


def _keep_writable(
    actor: User,
    valid: list[tuple[SourceRecord, Incoming]],
    errors: list[RowError],
    layout: TableLayout | None,
) -> list[tuple[SourceRecord, Incoming]]:
    """Drop (with an error) records that would change an enterprise stored outside the actor's scope.

    The incoming district is checked above; this checks the stored one, so that a district cannot take over
    another district's enterprise by importing its code with its own district.
    """
    if actor.scope is Scope.ALL:
        return valid
    stored: dict[str, str | None] = {}
    codes = [inc.uscc for _, inc in valid]
    for start in range(0, len(codes), 2000):
        stored.update(
            Enterprise.objects.filter(uscc__in=codes[start : start + 2000]).values_list("uscc", "district_id")
        )
    kept = []
    for record, incoming in valid:
        uscc = incoming.uscc
        if uscc in stored and not scoping.can_edit_enterprise(actor, Enterprise(district_id=stored[uscc])):
            errors.append(
                _problem_error(
                    record,
                    "uscc",
                    layout,
                    uscc,
                    "该统一社会信用代码的企业已由其他区县登记，区县工作人员不能修改；企业迁入请联系市经信局",
                )
            )
            continue
        kept.append((record, incoming))
    return kept


def import_file(
    data: bytes,
    filename: str,
    *,
    actor: User | None = None,
    partial: bool = False,
    confirm: bool = False,
    max_bytes: int = MAX_FILE_BYTES,
    sink: ProgressSink | None = None,
) -> ImportResult:
    """Validate, then write (all or nothing unless ``partial``); always records an import batch.

    Amounts that look like a unit mistake (``import_checks``) hold the whole file, written nowhere, until the
    import is repeated with ``confirm=True`` by a person who checked them.
    """
    digest = hashlib.sha256(data).hexdigest()
    if sink is not None:
        sink.stage("读取并校验")
    checked = read_checked(data, filename, actor=actor, max_bytes=max_bytes, sink=sink)
    if isinstance(checked, FileRefused):
        exc = checked
        result = ImportResult(status=ImportBatch.Status.REJECTED, file_format="?", message=str(exc))
        result.refusal = exc.code
        result.errors = [RowError(0, "", "", str(exc))]  # the message names the sheet and row itself
        result.layout = exc.layout if isinstance(exc, FileFormatError) else None
        _record_batch(result, data, filename, digest, actor, partial)
        return result
    valid, errors = checked.valid, checked.errors
    result = ImportResult(
        status=ImportBatch.Status.REJECTED,
        file_format=checked.file_format,
        rows_total=checked.rows_total,
        records_total=len(valid),
        errors=errors,
        unknown_headers=checked.unknown_headers,
        warnings=checked.warnings,
        layout=checked.layout,
    )
    bad_usccs = {e.uscc for e in errors if e.uscc}
    writable = valid if partial or not errors else []
    if sink is not None:
        sink.stage("核对疑似单位错误")
    result.flags = plausibility_flags(writable)
    if result.flags and not confirm:
        result.status = ImportBatch.Status.HELD
        result.message = f"发现 {len(result.flags)} 处疑似金额单位错误，未写入任何数据；请核对后确认导入" + (
            f"（另有 {len(errors)} 处错误）" if errors else ""
        )
        _record_batch(result, data, filename, digest, actor, partial)
        return result
    # With --partial a record is written from its good rows (a record that failed as a whole never reached
    # ``valid``); without it, any error means nothing is written.
    to_write = [inc for _, inc in valid] if partial or not errors else []
    if to_write:
        if sink is not None:
            sink.stage("写入")
        with transaction.atomic():
            result.status = ImportBatch.Status.APPLIED  # provisional; settled by _finish_batch
            batch = _record_batch(result, data, filename, digest, actor, partial)
            result.stats = write_profiles(to_write, actor=actor, batch=batch)
            changed = result.stats.created + result.stats.updated
            if errors:
                result.status = ImportBatch.Status.PARTIAL
            else:
                result.status = ImportBatch.Status.APPLIED if changed else ImportBatch.Status.NOOP
            _finish_batch(batch, result)
            checkpoint_after_commit()  # sign the chain heads outside the database once this import commits
    else:
        if not errors:
            result.status = ImportBatch.Status.NOOP
        _record_batch(result, data, filename, digest, actor, partial)
    if errors and not partial:
        result.message = f"发现 {len(errors)} 处错误，未写入任何数据"
    elif errors:
        result.message = (
            f"已写入有效记录；{len(errors)} 处错误涉及 {len(bad_usccs) or len(errors)} 家企业，未写入"
        )
    elif result.status == ImportBatch.Status.NOOP:
        result.message = "数据与库中一致，没有任何变化"
    else:
        result.message = f"新增企业 {result.stats.created} 家，更新 {result.stats.updated} 家"
    return result


def _report(result: ImportResult) -> list[dict[str, Any]]:
    return [e.as_dict() for e in result.errors[:MAX_REPORTED_ERRORS]]


def _record_batch(
    result: ImportResult,
    data: bytes,
    filename: str,
    digest: str,
    actor: User | None,
    partial: bool,
) -> ImportBatch:
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            actor=actor,
            filename=visible(filename)[:255],
            sha256=digest,
            size_bytes=len(data),
            file_format=result.file_format,
            partial=partial,
            status=result.status,
            rows_total=result.rows_total,
            rows_invalid=len({(e.row) for e in result.errors}),
            report=_report(result),
            flags=[f.as_dict() for f in result.flags[:MAX_REPORTED_ERRORS]],
            confirmed_flags=bool(result.flags) and result.status != ImportBatch.Status.HELD,
        )
        result.batch_id = batch.pk
        if result.status in (ImportBatch.Status.REJECTED, ImportBatch.Status.NOOP, ImportBatch.Status.HELD):
            _audit(batch, result, actor)
    return batch


def _finish_batch(batch: ImportBatch, result: ImportResult) -> None:
    batch.status = result.status
    batch.enterprises_created = result.stats.created
    batch.enterprises_updated = result.stats.updated
    batch.facts_changed = result.stats.facts_changed
    batch.save(update_fields=["status", "enterprises_created", "enterprises_updated", "facts_changed"])
    _audit(batch, result, batch.actor)


def _audit(batch: ImportBatch, result: ImportResult, actor: User | None) -> None:
    audit.record(
        AuditAction.IMPORT,
        actor,
        object_type="import_batch",
        object_id=str(batch.pk),
        object_repr=batch.filename,
        success=result.status not in (ImportBatch.Status.REJECTED, ImportBatch.Status.HELD),
        new={
            "status": result.status,
            "rows": result.rows_total,
            "errors": len(result.errors),
            "flags": len(result.flags),
            "created": result.stats.created,
            "updated": result.stats.updated,
            "sha256": batch.sha256,
            **({"refusal": str(result.refusal)} if result.refusal else {}),
        },
    )
