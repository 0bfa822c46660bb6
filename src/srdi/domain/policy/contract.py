"""``srdi entitle`` as a pure function: the contract's input document in, its output out.

Use ``run_entitle(document)``. The document is ``{"parameters": {...}, "enterprises": [profile + events]}``
(an optional ``as_of`` is accepted for symmetry with ``srdi assess``). A malformed document or an unknown
parameter id raises ``DocumentError``; a malformed record becomes an ``error`` entry and the rest are evaluated.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from srdi.domain.assessment.contract import DocumentError, error_entry, parse_as_of, read_records
from srdi.domain.exchange import Profile, RecordError, parse_profile
from srdi.domain.policy.engine import Entitlements, entitle
from srdi.domain.policy.explain import entitlement_record
from srdi.domain.policy.loader import load_packs
from srdi.domain.policy.model import Pack
from srdi.domain.policy.params import OverrideError
from srdi.domain.tables import tables_from_profiles


def records_by_enterprise(result: Entitlements) -> dict[int, list[dict[str, Any]]]:
    """eid → entitlement records in event order."""
    out: dict[int, list[dict[str, Any]]] = {}
    parts = {mid: {r["erow"]: r for r in frame.iter_rows(named=True)} for mid, frame in result.parts.items()}
    for row in result.frame.sort(["eid", "seq", "pack_order", "article"]).iter_rows(named=True):
        out.setdefault(row["eid"], []).append(
            entitlement_record(result, row, parts[row["measure"]][row["erow"]])
        )
    return out


def run_entitle(document: Any, *, packs: tuple[Pack, ...] | None = None) -> dict[str, Any]:
    """Entitlements under the packs in force for every valid record of the document."""
    records = read_records(document, {"parameters", "enterprises", "as_of"})
    if "as_of" in document:
        parse_as_of(document["as_of"])
    overrides = document.get("parameters") or {}
    if not isinstance(overrides, dict):
        raise DocumentError("parameters 应为对象（参数编号 → 取值）")
    packs = packs if packs is not None else load_packs()
    profiles: list[Profile] = []
    parsed: list[dict[str, Any] | Profile] = []
    for i, record in enumerate(records):
        try:
            profile = parse_profile(record)
        except RecordError as exc:
            parsed.append(error_entry(i, record, exc))
            continue
        parsed.append(profile)
        profiles.append(profile)
    try:
        result = entitle(tables_from_profiles(profiles), packs, overrides=overrides)
    except OverrideError as exc:
        raise DocumentError(f"parameters.{exc.key}：{exc.reason}") from None
    by_eid = records_by_enterprise(result)
    results: list[dict[str, Any]] = []
    position = 0
    for item in parsed:
        if isinstance(item, dict):
            results.append(item)
            continue
        entitlements = by_eid.get(position, [])
        total = sum(e["amount_fen"] for e in entitlements if e["status"] == "granted" and e["amount_fen"])
        results.append(
            {"uscc": item.uscc, "name": item.name, "entitlements": entitlements, "total_fen": total}
        )
        position += 1
    return {"results": results, "policies": [_policy(p, result.params.window(p)) for p in packs]}


def _policy(pack: Pack, window: tuple[date | None, date | None]) -> dict[str, Any]:
    """A pack as the output names it: id, document and the window of this run (null for an end not yet set)."""
    out: dict[str, Any] = {
        "id": pack.id,
        "document": pack.document,
        "window": [d.isoformat() if d else None for d in window],
    }
    if pack.window_by_parameters:
        out["window_parameters"] = [pid for pid in pack.window_params if pid]
    return out
