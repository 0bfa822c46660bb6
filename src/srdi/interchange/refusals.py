"""Why a whole file was refused: a reason code, a Chinese message, and where in the file if known.

Use ``FileRefused`` (or its subclasses ``safety.UnsafeFile`` and ``readers.FileFormatError``) for anything that
stops a file from being read at all; row-level problems are ``problems.RowError``. Every refusal carries a
``Reason`` code, so that the page, the CLI, the audit log and the fuzz corpus test can tell the refusals apart
without reading the message. Readers turn the exceptions of the libraries they call (zipfile, zlib, calamine,
openpyxl, csv, json, codecs) into a ``FileRefused`` at their boundary; ``Reason.UNREADABLE`` is the last resort
of the import service for anything else (its traceback is logged).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Reason codes of a refused file (stable: shown to users, stored in audit events, counted in tests)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNKNOWN_FORMAT = "unknown_format"
    EXTENSION_MISMATCH = "extension_mismatch"
    LEGACY_XLS = "legacy_xls"
    ENCRYPTED = "encrypted"
    CORRUPT_ZIP = "corrupt_zip"
    ZIP_BOMB = "zip_bomb"
    ZIP_SLIP = "zip_slip"
    MACRO = "macro"
    XML_BOMB = "xml_bomb"
    NOT_A_WORKBOOK = "not_a_workbook"
    CORRUPT_WORKBOOK = "corrupt_workbook"
    ENCODING = "encoding"
    CSV_SYNTAX = "csv_syntax"
    JSON_SYNTAX = "json_syntax"
    JSON_SHAPE = "json_shape"
    NO_HEADER = "no_header"
    TOO_MANY_ROWS = "too_many_rows"
    TOO_MANY_COLUMNS = "too_many_columns"
    TOO_MANY_CELLS = "too_many_cells"
    TIME_BUDGET = "time_budget"
    UNREADABLE = "unreadable"


class FileRefused(ValueError):
    """The file as a whole was refused; ``code`` says why, the message says it in Chinese."""

    def __init__(self, message: str, code: Reason = Reason.UNREADABLE, *, sheet: str = "", row: int = 0):
        super().__init__(message)
        self.code = code
        self.sheet = sheet
        self.row = row
