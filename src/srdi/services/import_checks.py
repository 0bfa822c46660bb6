"""Plausibility checks of a validated import against what is already stored.

Use ``plausibility_flags`` between validation and writing (``import_file`` and the preview): it reads the stored
yearly figures of the file's enterprises and asks ``srdi.domain.plausibility`` which incoming amounts look like a
unit mistake. Each flag carries the file row it came from, so the page and the CLI can point at it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from srdi.db.mapping import YEAR_FIELDS
from srdi.db.models import EnterpriseYear
from srdi.domain.plausibility import PlausibilityFlag, check_figures
from srdi.interchange.rows import SourceRecord
from srdi.services.enterprise_writer import Incoming

CHUNK = 1000


@dataclass(frozen=True)
class RowFlag:
    """A plausibility flag and the file row (or JSON record) it points at."""

    row: int
    flag: PlausibilityFlag

    def message(self, unit: str = "行") -> str:
        where = f"第{self.row}{unit}" if self.row else "文件"
        return f"{where}（{self.flag.uscc}）：{self.flag.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "uscc": self.flag.uscc,
            "year": self.flag.year,
            "field": self.flag.field,
            "value": self.flag.value,
            "kind": str(self.flag.kind),
            "reason": self.flag.reason,
        }


def _stored_years(usccs: list[str]) -> dict[str, dict[int, dict[str, int | None]]]:
    stored: dict[str, dict[int, dict[str, int | None]]] = defaultdict(dict)
    for start in range(0, len(usccs), CHUNK):
        part = usccs[start : start + CHUNK]
        for row in EnterpriseYear.objects.filter(enterprise__uscc__in=part).values(
            "enterprise__uscc", "year", *YEAR_FIELDS
        ):
            stored[row["enterprise__uscc"]][row["year"]] = {f: row[f] for f in YEAR_FIELDS}
    return stored


def plausibility_flags(valid: list[tuple[SourceRecord, Incoming]]) -> list[RowFlag]:
    """Flags for every validated record, in file order."""
    with_years = [(record, inc) for record, inc in valid if inc.years]
    stored = _stored_years([inc.uscc for _, inc in with_years])
    found: list[RowFlag] = []
    for record, inc in with_years:
        for flag in check_figures(inc.uscc, inc.years, stored.get(inc.uscc, {})):
            row = record.row_of_year.get(str(flag.year), record.rows[0] if record.rows else 0)
            found.append(RowFlag(row, flag))
    found.sort(key=lambda f: (f.row, f.flag.field))
    return found
