"""A parameter's history and its value in force on a day, for ``srdi policy show`` and the catalogue pages.

Use ``parameter_history(pid)`` for everything that was ever said about one parameter: the periods of the shipped
YAML (the cited baseline) and every change proposed in the product — approved, proposed, rejected or withdrawn —
with its version, dates, document, who proposed and decided it and when. ``value_in_force(pid, day)`` is the value
the engine uses on ``day`` (baseline and approved changes laid over it), citing the version when it comes from an
approved change. Both also know the LPR pseudo-parameter ``reference.lpr_1y``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from srdi.db.models import ParameterChange
from srdi.domain.rules.parameters import Parameter, Resolved, to_json
from srdi.services import lpr
from srdi.services.parameters import known_parameter, packs_in_force


@dataclass(frozen=True)
class HistoryRow:
    """One period of the baseline (``version`` "") or one proposed change, in the baseline YAML's value form."""

    start: date
    end: date | None
    value: Any
    version: str = ""
    status: str = ""  # "" for the baseline; a ``ParameterChange.Status`` value otherwise
    status_label: str = "基线（政策文件）"
    document: str = ""
    article: str = ""
    reason: str = ""
    proposed_by: str = ""
    proposed_at: datetime | None = None
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_reason: str = ""
    source_version: str = ""

    @property
    def is_baseline(self) -> bool:
        return not self.version


@dataclass(frozen=True)
class ParameterHistory:
    """A parameter as declared (label, unit, reference), its baseline periods, then its changes oldest first."""

    pid: str
    label: str
    unit: str
    reference: str
    pack: str
    baseline: tuple[HistoryRow, ...]
    changes: tuple[HistoryRow, ...]

    @property
    def rows(self) -> tuple[HistoryRow, ...]:
        return (*self.baseline, *self.changes)


def change_row(change: ParameterChange) -> HistoryRow:
    return HistoryRow(
        start=change.effective_from,
        end=change.effective_to,
        value=change.value,
        version=change.version,
        status=change.status,
        status_label=change.get_status_display(),
        document=change.document,
        article=change.article,
        reason=change.reason,
        proposed_by=change.proposed_by.username,
        proposed_at=change.proposed_at,
        decided_by=change.decided_by.username if change.decided_by else "",
        decided_at=change.decided_at,
        decision_reason=change.decision_reason,
        source_version=change.source_version,
    )


def parameter_history(pid: str) -> ParameterHistory | None:
    """Everything said about ``pid``: the YAML periods and every change in the order proposed (None if unknown)."""
    known = known_parameter(pid)
    if known is None:
        return None
    pack_id, param, _ = known
    baseline = tuple(HistoryRow(p.start, p.end, to_json(p.value)) for p in param.periods)
    changes = (
        ParameterChange.objects.none()
        if not ParameterChange.table_ready()
        else ParameterChange.objects.filter(parameter=pid)
        .select_related("proposed_by", "decided_by")
        .order_by("proposed_at", "id")
    )
    return ParameterHistory(
        pid,
        param.label,
        param.unit,
        param.reference,
        pack_id,
        baseline,
        tuple(change_row(c) for c in changes),
    )


def parameter_in_force(pid: str) -> Parameter | None:
    """The parameter with the approved changes laid over its baseline (None if unknown)."""
    if pid == lpr.LPR_PID:
        return lpr.lpr_parameter(lpr.refresh())
    for pack in packs_in_force():
        if pid in pack.parameters:
            return pack.parameters[pid]
    return None


def value_in_force(pid: str, day: date) -> Resolved | None:
    """The value the engine uses for ``pid`` on ``day`` (``Resolved.version`` names the approved change, if any)."""
    param = parameter_in_force(pid)
    return param.at(day) if param is not None else None
