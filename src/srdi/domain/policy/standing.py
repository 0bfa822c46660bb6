"""Measures that apply to an enterprise without an event: qualifications, priorities and unset amounts.

Use ``standing(tables, packs, as_of)``: for every enterprise and every measure with a ``standing`` section it
says granted (a qualification or priority applies), not_eligible, needs_data, amount_unset, window_unset or
outside_policy_window, with the conditions behind it. Evaluated column-wise on the same facts frame as the
tier assessment (titles valid on ``as_of`` after the title lifecycle, prior-year figures). A section's ``parts``
(parts of the measure for a narrower group, such as the 小巨人 pre-IPO list of 第16条) are reported in the basis and
in ``parts`` but do not decide the status.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from srdi.domain.policy.engine import with_lifecycle
from srdi.domain.policy.model import Condition, Measure, Pack
from srdi.domain.policy.params import ParamSet
from srdi.domain.rules.facts import build_facts, collect
from srdi.domain.tables import Tables

RESULT = {True: "pass", False: "fail", None: "unknown"}
RESULT_ZH = {True: "满足", False: "不满足", None: "数据不全"}


def _title_column(c: Condition) -> str:
    return f"__title|{c.param}"


def _with_titles(
    frame: pl.LazyFrame, tables: Tables, conditions: list[Condition], params: ParamSet, as_of: date
) -> pl.LazyFrame:
    """One Kleene column per ``has_title`` list: holds a title of a listed kind, valid on ``as_of``."""
    wanted = {c.param for c in conditions if c.kind == "has_title"}
    if not wanted:
        return frame
    valid = (pl.col("valid_from") <= as_of) & (pl.col("valid_to") >= as_of)
    aggs = []
    for pid in sorted(wanted):
        kinds = [str(k) for k in (params.value(pid, as_of) or [])]
        held = pl.col("kind").is_in(pl.Series(kinds, dtype=pl.String).implode()) & valid
        aggs.append(held.any(ignore_nulls=False).alias(f"__title|{pid}"))
    frame = frame.join(tables.titles.lazy().group_by("eid").agg(aggs), on="eid", how="left")
    if "titles_known" not in frame.collect_schema().names():
        frame = frame.join(tables.enterprises.lazy().select("eid", "titles_known"), on="eid", how="left")
    return frame.with_columns(
        # A known (even empty) list decides; an unknown list can only confirm, never deny.
        pl.when(pl.col("titles_known").fill_null(False))
        .then(pl.col(f"__title|{pid}").fill_null(False))
        .otherwise(pl.when(pl.col(f"__title|{pid}")).then(True).otherwise(None))
        .alias(f"__title|{pid}")
        for pid in sorted(wanted)
    )


def _condition(pack: Pack, c: Condition, params: ParamSet, as_of: date) -> pl.Expr:
    if c.kind == "has_title":
        return pl.col(_title_column(c))
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
    frame = build_facts(with_lifecycle(tables, as_of), as_of).frame
    measures: list[tuple[Pack, Measure]] = [
        (p, m) for p in packs for m in p.measures if m.standing is not None
    ]
    every = [c for _, m in measures if m.standing for c in (*m.standing.conditions, *m.standing.parts)]
    frame = _with_titles(frame, tables, every, params, as_of)
    exprs = []
    for p, m in measures:
        assert m.standing is not None
        for c in (*m.standing.conditions, *m.standing.parts):
            exprs.append(_condition(p, c, params, as_of).alias(f"{m.id}|{c.id}"))
    collected = collect(frame.with_columns(exprs) if exprs else frame)
    out: dict[int, list[dict[str, Any]]] = {}
    for row in collected.iter_rows(named=True):
        records = []
        for p, m in measures:
            records.append(_record(p, m, row, params, as_of))
        out[row["eid"]] = records
    return out


def _condition_item(p: Pack, c: Condition, value: Any, params: ParamSet, as_of: date) -> dict[str, Any]:
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
    return item


def _day(day: date | None) -> str:
    return day.isoformat() if day else "待公布"


def _record(p: Pack, m: Measure, row: dict[str, Any], params: ParamSet, as_of: date) -> dict[str, Any]:
    start, end = params.window(p)
    s = m.standing
    assert s is not None
    basis: list[dict[str, Any]] = []
    outcomes = []
    for c in s.conditions:
        value = row[f"{m.id}|{c.id}"]
        outcomes.append(value)
        basis.append(_condition_item(p, c, value, params, as_of))
    parts: dict[str, str] = {}
    part_text: list[str] = []
    for c in s.parts:
        value = row[f"{m.id}|{c.id}"]
        parts[c.id] = RESULT[value]
        basis.append({**_condition_item(p, c, value, params, as_of), "part": True})
        part_text.append(f"{c.label}：{RESULT_ZH[value]}")
    in_window = p.in_window(as_of, params.window(p))
    values = {pid: params.value(pid, as_of) for pid in s.amount_params}
    unset = [pid for pid, v in values.items() if v is None]
    if in_window is None:
        status = "window_unset"
    elif not in_window:
        status = "outside_policy_window"
    elif any(v is False for v in outcomes):
        status = "not_eligible"
    elif any(v is None for v in outcomes):
        status = "needs_data"
    elif s.outcome == "qualification" or not unset:
        status = "granted"
    else:
        status = "amount_unset"
    only = next(iter(values.values())) if len(values) == 1 else None
    amount = only if status == "granted" and isinstance(only, int) and not isinstance(only, bool) else None
    for pid in s.amount_params:
        resolved = params.resolved(pid, as_of)
        basis.append(
            {
                "type": "amount",
                "parameter": resolved.as_trace() if resolved else {"id": pid},
                "state": "unset" if values[pid] is None else "ok",
            }
        )
    failed = [
        b["label"]
        for b in basis
        if b.get("type") == "condition" and not b.get("part") and b.get("result") in ("fail", "unknown")
    ]
    text = {
        "granted": "符合" + ("（资格/优先支持）" if amount is None else ""),
        "not_eligible": "不符合：" + "；".join(failed),
        "needs_data": "需补充：" + "；".join(failed),
        "amount_unset": "符合条件，金额标准尚未公布",
        "window_unset": f"{p.citation}的有效期尚未公布，公布前不适用",
        "outside_policy_window": f"评价日 {as_of} 不在政策有效期（{_day(start)} 至 {_day(end)}）内",
    }[status]
    if part_text and status in ("granted", "amount_unset"):
        text += "；其中" + "；".join(part_text)
    record = {
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
    if parts:
        record["parts"] = parts
    return record
