"""Measures that apply to an enterprise without an event: qualifications, priorities and unset amounts.

Use ``standing(tables, packs, as_of)``: for every enterprise and every measure with a ``standing`` section it
says granted (a qualification or priority applies), not_eligible, needs_data, amount_unset or
outside_policy_window, with the conditions behind it. Evaluated column-wise on the same facts frame as the
tier assessment (titles valid on ``as_of``, prior-year figures).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from srdi.domain.policy.model import Condition, Measure, Pack
from srdi.domain.policy.params import ParamSet
from srdi.domain.rules.facts import build_facts
from srdi.domain.tables import Tables

RESULT = {True: "pass", False: "fail", None: "unknown"}


def _condition(pack: Pack, c: Condition, params: ParamSet, as_of: date) -> pl.Expr:
    if c.kind == "srdi_enterprise":
        return pl.any_horizontal([pl.col(f"cert_valid_{t}") for t in pack.srdi_tiers])
    if c.kind == "tier_valid":
        return pl.col(f"cert_valid_{c.tier}")
    if c.kind == "figure_at_least":
        value = params.value(c.param, as_of)
        if value is None:
            return pl.lit(None, dtype=pl.Boolean)
        at_least: pl.Expr = pl.col(f"{c.figure}[Y]") >= value
        return at_least
    if c.kind == "not_applicable":
        return pl.lit(False)
    if c.kind == "missing_data":
        return pl.lit(None, dtype=pl.Boolean)
    raise ValueError(f"{c.kind} is not a standing condition")


def standing(
    tables: Tables, packs: tuple[Pack, ...], as_of: date, overrides: dict[str, Any] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """eid → standing entitlement records for every measure with a standing section."""
    params = ParamSet.for_run(packs, overrides)
    frame = build_facts(tables, as_of).frame
    measures: list[tuple[Pack, Measure]] = [
        (p, m) for p in packs for m in p.measures if m.standing is not None
    ]
    exprs = []
    for p, m in measures:
        assert m.standing is not None
        for c in m.standing.conditions:
            exprs.append(_condition(p, c, params, as_of).alias(f"{m.id}|{c.id}"))
    collected = frame.with_columns(exprs).collect() if exprs else frame.collect()
    out: dict[int, list[dict[str, Any]]] = {}
    for row in collected.iter_rows(named=True):
        records = []
        for p, m in measures:
            records.append(_record(p, m, row, params, as_of))
        out[row["eid"]] = records
    return out


def _record(p: Pack, m: Measure, row: dict[str, Any], params: ParamSet, as_of: date) -> dict[str, Any]:
    s = m.standing
    assert s is not None
    basis: list[dict[str, Any]] = []
    outcomes = []
    for c in s.conditions:
        value = row[f"{m.id}|{c.id}"]
        outcomes.append(value)
        item: dict[str, Any] = {
            "type": "condition",
            "id": c.id,
            "label": c.label,
            "kind": c.kind,
            "reference": p.srdi_reference if c.kind == "srdi_enterprise" else c.reference,
            "result": RESULT[value],
        }
        if c.param:
            resolved = params.resolved(c.param, as_of)
            if resolved is not None:
                item["parameter"] = resolved.as_trace()
        basis.append(item)
    in_window = p.in_window(as_of)
    amount_value = params.value(s.amount_param, as_of) if s.amount_param else None
    if not in_window:
        status = "outside_policy_window"
    elif any(v is False for v in outcomes):
        status = "not_eligible"
    elif any(v is None for v in outcomes):
        status = "needs_data"
    elif s.outcome == "qualification" and not s.amount_param:
        status = "granted"
    elif s.amount_param and amount_value is None:
        status = "amount_unset" if s.outcome != "qualification" else "granted"
    else:
        status = "granted"
    amount = amount_value if status == "granted" and isinstance(amount_value, int) else None
    if s.amount_param:
        resolved = params.resolved(s.amount_param, as_of)
        basis.append(
            {
                "type": "amount",
                "parameter": resolved.as_trace() if resolved else {"id": s.amount_param},
                "state": "unset" if amount_value is None else "ok",
            }
        )
    failed = [b["label"] for b in basis if b.get("result") in ("fail", "unknown")]
    text = {
        "granted": "符合" + ("（资格/优先支持）" if amount is None else ""),
        "not_eligible": "不符合：" + "；".join(failed),
        "needs_data": "需补充：" + "；".join(failed),
        "amount_unset": "符合条件，金额标准尚未公布",
        "outside_policy_window": f"评价日 {as_of} 不在政策有效期（{p.window_from} 至 {p.window_to}）内",
    }[status]
    return {
        "policy": p.id,
        "article": m.article,
        "measure": m.id,
        "title": m.title,
        "reference": m.reference,
        "event": None,
        "status": status,
        "kind": "qualification" if s.outcome == "qualification" else "money",
        "amount_fen": amount,
        "basis": basis,
        "superseded_by": None,
        "note": s.note,
        "explanation": f"{m.reference}（{m.title}）：{text}",
    }
