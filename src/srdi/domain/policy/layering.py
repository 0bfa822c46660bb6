"""Values the bureau set in the product, laid over the cited YAML baseline of the packs.

Use ``apply_entries(packs, entries)`` to get the packs as they stand with the approved parameter changes: each
``ParameterEntry`` is a dated value (``start``…``end``, end inclusive, None open-ended) that replaces, on those
days only, whatever the baseline (or an earlier entry) said. Entries are applied in the order they were
approved, so a later decision wins where two overlap. The YAML periods stay as they are outside the entry's
days; nothing is edited in place. Every period an entry creates carries the entry's version label, which the
trace of every result cites (``Resolved.version``), so a result says which decision its amount came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from srdi.domain.policy.model import Pack
from srdi.domain.rules.parameters import Parameter, Period

BASELINE = "baseline"  # the version label of a value read from the shipped YAML


@dataclass(frozen=True)
class ParameterEntry:
    """One approved change: parameter ``pid`` takes ``value`` (already converted for its unit) on
    ``start``…``end``. ``version`` is the label results cite (``PV12``); ``document`` the 文号 and article."""

    pid: str
    start: date
    end: date | None
    value: Any
    version: str
    document: str = ""


def overlay(periods: tuple[Period, ...], entry: ParameterEntry) -> tuple[Period, ...]:
    """``periods`` with ``entry``'s days given to the entry: earlier periods cut around it, none dropped whole
    unless the entry covers all of it."""
    out: list[Period] = []
    for p in periods:
        p_end = p.end or date.max
        e_end = entry.end or date.max
        if p_end < entry.start or p.start > e_end:
            out.append(p)
            continue
        if p.start < entry.start:
            out.append(dataclasses.replace(p, end=entry.start - timedelta(days=1)))
        if e_end < p_end:
            out.append(dataclasses.replace(p, start=e_end + timedelta(days=1)))
    # A value the bureau set under a document it names is an official value, whatever the baseline's status.
    out.append(Period(entry.start, entry.end, entry.value, version=entry.version, status="official"))
    out.sort(key=lambda period: period.start)
    return tuple(out)


def apply_entries(packs: tuple[Pack, ...], entries: Iterable[ParameterEntry]) -> tuple[Pack, ...]:
    """The packs with every entry laid over their parameters (entries in approval order).

    A parameter shared by several packs (the fiscal shares) changes in each of them. An entry naming a parameter
    no pack has is ignored here; the service refuses such a proposal before it is stored."""
    changed: dict[str, Parameter] = {}
    known = {pid: param for pack in packs for pid, param in pack.parameters.items()}
    for entry in entries:
        param = changed.get(entry.pid) or known.get(entry.pid)
        if param is None:
            continue
        changed[entry.pid] = dataclasses.replace(param, periods=overlay(param.periods, entry))
    if not changed:
        return packs
    out = []
    for pack in packs:
        mine = {pid: changed[pid] for pid in pack.parameters if pid in changed}
        out.append(dataclasses.replace(pack, parameters={**pack.parameters, **mine}) if mine else pack)
    return tuple(out)


def versions_used(trace: Any) -> list[str]:
    """Every parameter version a result's trace cites (baseline values as ``baseline``; an approved LPR release by
    its version), sorted, once each."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "id" in node and "effective_from" in node and "value" in node:
                found.add(str(node.get("version") or BASELINE))
            elif "released_on" in node and "one_year_percent" in node and node.get("version"):
                found.add(str(node["version"]))  # an LPR release approved in the product
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(trace)
    return sorted(found)
