"""Loading policy packs from YAML, strictly: unknown keys, missing references, undefined parameters and
overlapping dates fail with a ``RuleDataError`` naming the file and the key.

Use ``load_packs()`` for the shipped packs (plus the common fiscal-share parameters) and ``load_packs_from``
for another directory (tests load test packs this way). Measures cite their article as ``<pack> 第N条``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from srdi.domain.exchange import EVENT_KINDS
from srdi.domain.policy.model import (
    AMOUNT_KINDS,
    CONDITION_KINDS,
    MEASURE_KINDS,
    Amount,
    AnnualCap,
    Condition,
    Measure,
    Overlap,
    Pack,
    SelectionQuota,
    Standing,
    Unknown,
)
from srdi.domain.rules.parameters import STATUSES, Parameter, RuleDataError, load_parameters
from srdi.domain.rules.yaml_data import MISSING, checked_keys, read_mapping


def _keys(
    source: str, key: str, raw: Any, allowed: set[str], required: Collection[str] = frozenset()
) -> dict[str, Any]:
    # A policy pack's required lists (events, tiers …) must not be empty either.
    return checked_keys(source, key, raw, allowed, required, missing=(*MISSING, []))


def _date(source: str, key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RuleDataError(source, key, f"日期格式应为 YYYY-MM-DD：{value!r}") from None


@dataclass
class _Ctx:
    source: str
    params: dict[str, Parameter]
    reference: str

    def param(self, key: str, pid: Any) -> str:
        if not isinstance(pid, str) or pid not in self.params:
            raise RuleDataError(self.source, key, f"引用了未定义的参数 {pid!r}")
        return pid


CONDITION_KEYS = {
    "id",
    "kind",
    "label",
    "field",
    "param",
    "op",
    "only_for",
    "tier",
    "figure",
    "year",
    "date_field",
    "reference",
}


def _condition(ctx: _Ctx, key: str, raw: Any, article_ref: str) -> Condition:
    raw = _keys(ctx.source, key, raw, CONDITION_KEYS, {"id", "kind", "label"})
    kind = raw["kind"]
    if kind not in CONDITION_KINDS:
        raise RuleDataError(
            ctx.source, f"{key}.kind", f"未知条件类型 {kind!r}，可选 {', '.join(CONDITION_KINDS)}"
        )
    if raw.get("param"):
        ctx.param(f"{key}.param", raw["param"])
    if kind in (
        "field_in",
        "field_compare",
        "below_lpr",
        "figure_at_least",
        "has_title",
        "holds_tier",
    ) and not raw.get("param"):
        raise RuleDataError(ctx.source, f"{key}.param", "该条件类型需要参数")
    if kind == "field_true" and not raw.get("field"):
        raise RuleDataError(ctx.source, f"{key}.field", "该条件类型需要事件字段")
    if kind == "field_compare" and raw.get("op") not in ("ge", "gt", "le", "lt"):
        raise RuleDataError(ctx.source, f"{key}.op", "比较运算符应为 ge/gt/le/lt")
    if raw.get("only_for") and raw["only_for"] not in EVENT_KINDS:
        raise RuleDataError(ctx.source, f"{key}.only_for", f"未知事件类型 {raw['only_for']!r}")
    return Condition(
        id=str(raw["id"]),
        kind=kind,
        label=str(raw["label"]),
        reference=str(raw.get("reference") or article_ref),
        field=str(raw.get("field", "")),
        param=str(raw.get("param", "")),
        op=str(raw.get("op", "")),
        only_for=str(raw.get("only_for", "")),
        tier=str(raw.get("tier", "")),
        figure=str(raw.get("figure", "")),
        year=str(raw.get("year", "")),
        date_field=str(raw.get("date_field", "")),
    )


AMOUNT_KEYS = {
    "kind",
    "field",
    "param",
    "params",
    "base",
    "switch",
    "rate",
    "cap",
    "principal",
    "months",
    "max_months",
    "paid",
    "share",
    "first",
}


def _amount(ctx: _Ctx, key: str, raw: Any) -> Amount:
    raw = _keys(ctx.source, key, raw, AMOUNT_KEYS, {"kind"})
    kind = raw["kind"]
    if kind not in AMOUNT_KINDS:
        raise RuleDataError(
            ctx.source, f"{key}.kind", f"未知金额计算方式 {kind!r}，可选 {', '.join(AMOUNT_KINDS)}"
        )
    if kind in ("fixed", "ratio_of_field"):
        return Amount(
            kind, field=str(raw.get("field", "")), param=ctx.param(f"{key}.param", raw.get("param"))
        )
    if kind == "tranche":
        first = raw.get("first")
        if first not in EVENT_KINDS:
            raise RuleDataError(ctx.source, f"{key}.first", f"应为领取首期的事件类型，实际为 {first!r}")
        return Amount(
            kind,
            param=ctx.param(f"{key}.param", raw.get("param")),
            share=ctx.param(f"{key}.share", raw.get("share")),
            first=str(first),
        )
    if kind == "by_field":
        params = {str(k): ctx.param(f"{key}.params.{k}", v) for k, v in (raw.get("params") or {}).items()}
        return Amount(kind, field=str(raw["field"]), params=params)
    if kind == "rate_of_base":
        rate = _keys(ctx.source, f"{key}.rate", raw.get("rate"), {"match", "other"}, {"match"})
        cap = _keys(ctx.source, f"{key}.cap", raw.get("cap") or {}, {"match", "other"})
        switch = _keys(ctx.source, f"{key}.switch", raw.get("switch") or {}, {"field", "param"})
        return Amount(
            kind,
            base=str(raw["base"]),
            switch_field=str(switch.get("field", "")),
            switch_param=ctx.param(f"{key}.switch.param", switch["param"]) if switch.get("param") else "",
            rate_match=ctx.param(f"{key}.rate.match", rate["match"]),
            rate_other=ctx.param(f"{key}.rate.other", rate["other"]) if rate.get("other") else "",
            cap_match=ctx.param(f"{key}.cap.match", cap["match"]) if cap.get("match") else "",
            cap_other=ctx.param(f"{key}.cap.other", cap["other"]) if cap.get("other") else "",
        )
    return Amount(
        kind,
        principal=str(raw["principal"]),
        param=ctx.param(f"{key}.rate", raw.get("rate")),
        months=str(raw["months"]),
        max_months=ctx.param(f"{key}.max_months", raw.get("max_months")),
        paid=str(raw["paid"]),
    )


MEASURE_KEYS = {
    "article",
    "title",
    "kind",
    "summary",
    "who",
    "amount_text",
    "cap_text",
    "responsible",
    "events",
    "conditions",
    "amount",
    "overlap",
    "annual_cap",
    "standing",
    "annual_quota",
    "selection_quota",
    "targets",
    "guide",
    "reference",
    "label",
}


def _measure(ctx: _Ctx, pack: str, document_short: str, i: int, raw: Any) -> Measure:
    key = f"measures[{i}]"
    raw = _keys(
        ctx.source, key, raw, MEASURE_KEYS, {"article", "title", "kind", "summary", "who", "responsible"}
    )
    article = raw["article"]
    if not isinstance(article, int):
        raise RuleDataError(ctx.source, f"{key}.article", "条款号应为整数")
    ref = str(raw.get("reference") or f"{document_short} 第{article}条")
    kinds = tuple(raw["kind"]) if isinstance(raw["kind"], list) else (raw["kind"],)
    for k in kinds:
        if k not in MEASURE_KINDS:
            raise RuleDataError(ctx.source, f"{key}.kind", f"未知措施类型 {k!r}")
    events = tuple(raw.get("events") or ())
    for e in events:
        if e not in EVENT_KINDS:
            raise RuleDataError(ctx.source, f"{key}.events", f"未知事件类型 {e!r}")
    conditions = tuple(
        _condition(ctx, f"{key}.conditions[{j}]", c, ref) for j, c in enumerate(raw.get("conditions") or [])
    )
    amount = _amount(ctx, f"{key}.amount", raw["amount"]) if raw.get("amount") else None
    if events and amount is None:
        raise RuleDataError(ctx.source, f"{key}.amount", "按事件兑现的资金措施须给出金额计算方式")
    overlap = None
    if raw.get("overlap") is not None:
        o = _keys(ctx.source, f"{key}.overlap", raw["overlap"], {"group", "matter"}, {"group"})
        overlap = Overlap(str(o["group"]), tuple(o.get("matter") or ()))
    annual = None
    if raw.get("annual_cap") is not None:
        a = _keys(ctx.source, f"{key}.annual_cap", raw["annual_cap"], {"param", "date_field"}, {"param"})
        annual = AnnualCap(ctx.param(f"{key}.annual_cap.param", a["param"]), str(a.get("date_field", "date")))
    standing = None
    if raw.get("standing") is not None:
        s = _keys(
            ctx.source,
            f"{key}.standing",
            raw["standing"],
            {"conditions", "parts", "outcome", "amount_param", "note"},
        )
        amount_params = s.get("amount_param") or []
        if isinstance(amount_params, str):
            amount_params = [amount_params]
        if s.get("outcome", "money") not in ("money", "qualification"):
            raise RuleDataError(ctx.source, f"{key}.standing.outcome", "应为 money 或 qualification")
        standing = Standing(
            tuple(
                _condition(ctx, f"{key}.standing.conditions[{j}]", c, ref)
                for j, c in enumerate(s.get("conditions") or [])
            ),
            str(s.get("outcome", "money")),
            tuple(ctx.param(f"{key}.standing.amount_param[{j}]", pid) for j, pid in enumerate(amount_params)),
            str(s.get("note", "")),
            tuple(
                _condition(ctx, f"{key}.standing.parts[{j}]", c, ref)
                for j, c in enumerate(s.get("parts") or [])
            ),
        )
    quota = ctx.param(f"{key}.annual_quota", raw["annual_quota"]) if raw.get("annual_quota") else ""
    selection = None
    if raw.get("selection_quota") is not None:
        sq = _keys(
            ctx.source,
            f"{key}.selection_quota",
            raw["selection_quota"],
            {"param", "event", "period"},
            {"param", "event"},
        )
        if sq["event"] not in events:
            raise RuleDataError(ctx.source, f"{key}.selection_quota.event", "应为本措施的事件类型之一")
        selection = SelectionQuota(
            ctx.param(f"{key}.selection_quota.param", sq["param"]),
            str(sq["event"]),
            ctx.param(f"{key}.selection_quota.period", sq["period"]) if sq.get("period") else "",
        )
    guide = raw.get("guide") or {}
    if guide:
        _keys(ctx.source, f"{key}.guide", guide, {"data", "decides", "timeline"})
    responsible = raw["responsible"] if isinstance(raw["responsible"], list) else [raw["responsible"]]
    return Measure(
        pack=pack,
        article=article,
        title=str(raw["title"]),
        kinds=kinds,
        summary=str(raw["summary"]).strip(),
        who=str(raw["who"]),
        responsible=tuple(str(r) for r in responsible),
        reference=ref,
        amount_text=str(raw.get("amount_text", "")),
        cap_text=str(raw.get("cap_text", "")),
        events=events,
        conditions=conditions,
        amount=amount,
        overlap=overlap,
        annual_cap=annual,
        standing=standing,
        annual_quota=quota,
        selection_quota=selection,
        targets=str(raw.get("targets", "")),
        guide=dict(guide),
        label=str(raw.get("label") or f"第{article}条"),
    )


PACK_KEYS = {
    "pack",
    "title",
    "document",
    "issued",
    "window",
    "reference",
    "summary",
    "srdi_definition",
    "rounding",
    "predecessor",
    "successor",
    "citation",
    "document_known",
    "source_status",
    "sources",
    "unknown",
    "cost_sharing",
}


def _window_end(src: str, key: str, raw: Any, params: dict[str, Parameter]) -> tuple[date | None, str]:
    """One end of a window: a date, or ``{param: <id>}`` naming a ``date`` parameter of the pack."""
    if isinstance(raw, dict):
        spec = _keys(src, key, raw, {"param"}, {"param"})
        pid = spec["param"]
        if pid not in params:
            raise RuleDataError(src, f"{key}.param", f"引用了未定义的参数 {pid!r}")
        if params[pid].unit != "date":
            raise RuleDataError(src, f"{key}.param", f"有效期参数 {pid} 的单位应为 date")
        return None, str(pid)
    return _date(src, key, raw), ""


def _unknowns(src: str, raw: Any) -> tuple[Unknown, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleDataError(src, "unknown", "应为列表（每项 {item, note, reference}）")
    out = []
    for i, item in enumerate(raw):
        spec = _keys(src, f"unknown[{i}]", item, {"item", "note", "reference"}, {"item", "note"})
        out.append(Unknown(str(spec["item"]), str(spec["note"]).strip(), str(spec.get("reference", ""))))
    return tuple(out)


def load_pack(folder: Path | Any, common: dict[str, Parameter], label: str) -> Pack:
    """One pack folder: pack.yaml, parameters.yaml, measures.yaml, optional targets.yaml."""
    src = f"{label}/pack.yaml"
    meta = _keys(
        src,
        "(文件)",
        read_mapping(folder / "pack.yaml", src),
        PACK_KEYS,
        {"pack", "title", "document", "issued", "window", "reference"},
    )
    window = _keys(src, "window", meta["window"], {"from", "to"}, {"from", "to"})
    status = str(meta.get("source_status", "official"))
    if status not in STATUSES:
        raise RuleDataError(src, "source_status", f"未知状态 {status!r}，可选 {', '.join(STATUSES)}")
    # A pack whose text does not define 专精特新企业 (or whose definition was not read) has none: its measures
    # may not use the ``srdi_enterprise`` condition.
    srdi = _keys(
        src,
        "srdi_definition",
        meta.get("srdi_definition") or {"label": "", "reference": "", "tiers": []},
        {"label", "reference", "tiers"},
        {"label", "reference", "tiers"} if meta.get("srdi_definition") else (),
    )
    psrc = f"{label}/parameters.yaml"
    praw = _keys(
        psrc, "(文件)", read_mapping(folder / "parameters.yaml", psrc), {"parameters"}, {"parameters"}
    )
    own = load_parameters(psrc, praw["parameters"])
    clash = set(own) & set(common)
    if clash:
        raise RuleDataError(psrc, sorted(clash)[0], "与公共参数重名")
    msrc = f"{label}/measures.yaml"
    mraw = _keys(msrc, "(文件)", read_mapping(folder / "measures.yaml", msrc), {"measures"}, {"measures"})
    sharing = _keys(
        src, "cost_sharing", meta.get("cost_sharing") or {"split": True}, {"split", "reference"}, {"split"}
    )
    if sharing["split"] is not True and sharing["split"] is not False:
        raise RuleDataError(src, "cost_sharing.split", "应为 true 或 false")
    if sharing["split"] and not sharing.get("reference") and "cost_sharing" in meta:
        raise RuleDataError(src, "cost_sharing.reference", "分担须注明出处")
    window_from, from_param = _window_end(src, "window.from", window["from"], own)
    window_to, to_param = _window_end(src, "window.to", window["to"], own)
    if window_from is not None and window_to is not None and window_to < window_from:
        raise RuleDataError(src, "window.to", "有效期截止日早于起始日")
    document = str(meta["document"])
    short = str(meta.get("citation") or _short(document))
    ctx = _Ctx(msrc, {**common, **own}, short)
    measures = tuple(_measure(ctx, str(meta["pack"]), short, i, m) for i, m in enumerate(mraw["measures"]))
    articles = [m.article for m in measures]
    if len(set(articles)) != len(articles):
        raise RuleDataError(msrc, "measures", "条款号重复")
    targets: dict[str, Any] = {}
    tfile = folder / "targets.yaml"
    if tfile.is_file():
        tsrc = f"{label}/targets.yaml"
        traw = _keys(tsrc, "(文件)", read_mapping(tfile, tsrc), {"targets"}, {"targets"})
        for tid, spec in traw["targets"].items():
            spec = _keys(tsrc, f"targets.{tid}", spec, {"reference", "items"}, {"reference", "items"})
            targets[tid] = spec
    for m in measures:
        uses_srdi = any(
            c.kind == "srdi_enterprise"
            for c in (*m.conditions, *(m.standing.conditions + m.standing.parts if m.standing else ()))
        )
        if uses_srdi and not srdi["tiers"]:
            raise RuleDataError(
                msrc, f"第{m.article}条.conditions", "本政策包未定义“专精特新企业”（srdi_definition）"
            )
        if m.targets and m.targets not in targets:
            raise RuleDataError(msrc, f"第{m.article}条.targets", f"未定义的目标 {m.targets!r}")
    return Pack(
        id=str(meta["pack"]),
        title=str(meta["title"]),
        document=document,
        issued=_date(src, "issued", meta["issued"]),
        window_from=window_from,
        window_to=window_to,
        reference=str(meta["reference"]),
        summary=str(meta.get("summary", "")).strip(),
        srdi_tiers=tuple(srdi["tiers"]),
        srdi_label=str(srdi["label"]),
        srdi_reference=str(srdi["reference"]),
        measures=measures,
        parameters={**common, **own},
        targets=targets,
        source=label,
        extra={k: meta[k] for k in ("rounding", "predecessor", "successor") if k in meta},
        window_params=(from_param, to_param),
        citation=short,
        document_known=bool(meta.get("document_known", True)),
        source_status=status,
        sources=tuple(str(x) for x in (meta.get("sources") or ())),
        unknown=_unknowns(src, meta.get("unknown")),
        cost_sharing=(
            str(sharing.get("reference") or "按现行财政体制由市与区、县（市）分担")
            if sharing["split"]
            else ""
        ),
    )


def _short(document: str) -> str:
    """``杭政办函〔2023〕81号`` → ``81号`` (how articles are cited in the product)."""
    tail = document.split("〕")[-1]
    return tail if tail.endswith("号") else document


def load_common(root: Path | Any, label: str) -> dict[str, Parameter]:
    out: dict[str, Parameter] = {}
    folder = root / "common"
    if not folder.is_dir():
        return out
    for file in sorted(f for f in folder.iterdir() if f.name.endswith(".yaml")):
        src = f"{label}/common/{file.name}"
        raw = _keys(src, "(文件)", read_mapping(file, src), {"parameters"}, {"parameters"})
        out.update(load_parameters(src, raw["parameters"]))
    return out


def load_packs_from(
    root: Path | Any, label: str = "policies", common: dict[str, Parameter] | None = None
) -> tuple[Pack, ...]:
    """Every pack folder under ``root`` (folders with a pack.yaml), sharing ``root/common`` parameters.

    Packs come in the order they were adopted (``issued``, then id): 81号 before its successor, whatever the
    folder names. That order breaks ties between equal payments of the same matter (§5.2 of docs/policy.md).
    """
    shared = dict(common or {})
    shared.update(load_common(root, label))
    packs = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "pack.yaml").is_file()):
        packs.append(load_pack(folder, shared, f"{label}/{folder.name}"))
    packs.sort(key=lambda p: (p.issued, p.id))
    ids = [p.id for p in packs]
    if len(set(ids)) != len(ids):
        raise RuleDataError(label, "pack", "政策包编号重复")
    return tuple(packs)


@cache
def load_packs() -> tuple[Pack, ...]:
    """The shipped policy packs (cached)."""
    return load_packs_from(resources.files("srdi.policies"))


def shipped_common() -> dict[str, Parameter]:
    """The shared parameters (fiscal shares) of the shipped packs."""
    return load_common(resources.files("srdi.policies"), "policies")
