"""Opening and saving files in LibreOffice Calc, headless, the way a user does with a downloaded export.

``Calc.resave`` converts a file (xlsx → xlsx, xlsx → ods, csv → csv) with ``soffice --headless --convert-to``.
Each instance has its own user profile, so runs in parallel (or beside a desktop LibreOffice) do not share one.
CSV filter options are written as LibreOffice documents them (help page "CSV Filter Options"): field
separator, text delimiter, character set, first line, then per-column formats (``column/format``, 2 = text).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

SOFFICE = shutil.which("soffice")
SKIP_REASON = (
    "LibreOffice (soffice) is not installed: the spreadsheet round trips need it "
    "(Debian package libreoffice-calc-nogui)"
)
UTF8 = 76
CSV_FILTER = "Text - txt - csv (StarCalc)"
TEXT = 2  # the "Text" column format of the CSV import


def csv_options(text_columns: Iterable[int] = ()) -> str:
    """Comma-separated, double-quoted, UTF-8, from line 1; the given 1-based columns imported as text."""
    formats = "/".join(f"{column}/{TEXT}" for column in text_columns)
    return f"44,34,{UTF8},1,{formats}"


class Calc:
    """LibreOffice Calc with a private profile directory."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile

    def resave(self, source: Path, target: str, *, csv_import: str | None = None) -> Path:
        """Open ``source`` and save it as ``target`` (``xlsx``, ``ods`` or ``csv``); the saved file's path.

        ``csv_import`` are the CSV filter options used to open a CSV: the defaults of the import dialog are
        ``csv_options()`` (no column set to text), what a user gets who just opens the file.
        """
        out = source.parent / f"{source.stem}-{target}-saved"
        out.mkdir()
        convert = f"csv:{CSV_FILTER}:44,34,{UTF8},1" if target == "csv" else target
        args = [
            str(SOFFICE),
            f"-env:UserInstallation={self.profile.as_uri()}",
            "--headless",
            "--norestore",
            *([f"--infilter=CSV:{csv_import}"] if csv_import is not None else []),
            "--convert-to",
            convert,
            "--outdir",
            str(out),
            str(source),
        ]
        done = subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)
        saved = out / f"{source.stem}.{target}"
        if not saved.exists():
            raise RuntimeError(f"LibreOffice did not save {saved.name}: {done.stdout} {done.stderr}")
        return saved
