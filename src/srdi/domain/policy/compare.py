"""What changed between two policy packs, measure by measure (``srdi policy diff A B``, the 政策对比 page).

Use ``compare(a, b)``: a ``PackDiff`` with the measures new in B, those of A with no counterpart in B, and for
each matched pair the changes in title, kinds, event kinds, amounts, caps and conditions. Values are those in
force on each pack's first day (its window start; the adoption date while the start is unset), so 81号's
amounts are compared with its successor's as each pack began. Nothing is evaluated against enterprises.

**How measures are matched.** Article numbers mean nothing across documents (81号 第3条 became 若干措施（一）), so:

1. packs with the same id (a pack compared with another version of itself) match by article first;
2. then measures sharing an overlap group (从优、就高、不重复): the group names the matter paid — the engine
   already treats two measures of one group as paying the same thing — best with a shared event kind;
3. then measures sharing an event kind (they are triggered by the same facts);
4. then, among what is left, by title similarity (``difflib.SequenceMatcher`` ratio of the titles, the part
   after a “：” of a title as well, at least ``TITLE_MATCH`` = 0.6) between measures of a common kind (资金,
   资格…).

Each step pairs greedily, best score first, and a measure is paired once. Whatever is left unmatched is new
(only in B) or removed (only in A). A pack whose text was only partly found (``unknown`` items, hz25) may
simply not encode a measure yet: ``PackDiff.b_incomplete`` says so, and the report prints it next to the
removed measures.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from srdi.domain.money import format_wan
from srdi.domain.policy.hygiene import pack_window
from srdi.domain.policy.labels import INPUT_LABELS, value_label
from srdi.domain.policy.model import Amount, Condition, Measure, Pack
from srdi.domain.rules.parameters import to_json

TITLE_MATCH = 0.6

AMOUNT_ROLES = {
    "param": "金额/比例",
    "share": "首期比例",
    "switch_param": "适用名单",
    "rate_match": "比例（名单内）",
    "rate_other": "比例（其他）",
    "max_months": "最长计息月数",
}
CAP_ROLES = {
    "cap_match": "单项上限（名单内）",
    "cap_other": "单项上限（其他）",
    "annual_cap": "每家每年上限",
    "annual_quota": "每年名额",
    "selection_quota": "每年入选上限",
    "selection_period": "支持期",
}
CONDITION_FIELDS = {
    "kind": "类型",
    "label": "说明",
    "field": "字段",
    "op": "比较",
    "only_for": "适用事件",
    "tier": "层级",
    "figure": "指标",
    "date_field": "判断日期",
}


def display(value: Any, unit: str) -> str:
    """A parameter value for people: 万元 for money, % for ratios, lists joined, 未设定 when unset."""
    if value is None:
        return "未设定"
    if unit == "fen" and isinstance(value, int):
        return format_wan(value)
    if unit == "ratio":
        return f"{format((Decimal(str(value)) * 100).normalize(), 'f')}%"
    if isinstance(value, list):
        return "、".join(str(v) for v in to_json(value))
    return str(to_json(value))


def pack_start(pack: Pack) -> date:
    """The first day of the pack: its window start, or its adoption while the start is unset."""
    return pack_window(pack)[0] or pack.issued


@dataclass(frozen=True)
class ValueChange:
    """One amount or cap of a matched pair: the parameter on each side and its value on each pack's start."""

    role: str
    label: str
    unit: str
    a_param: str
    b_param: str
    a_value: Any
    b_value: Any

    @property
    def changed(self) -> bool:
        return self.a_param == "" or self.b_param == "" or to_json(self.a_value) != to_json(self.b_value)

    @property
    def a_text(self) -> str:
        return "—" if not self.a_param else display(self.a_value, self.unit)

    @property
    def b_text(self) -> str:
        return "—" if not self.b_param else display(self.b_value, self.unit)

    def as_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "label": self.label,
            "unit": self.unit,
            "a_param": self.a_param or None,
            "b_param": self.b_param or None,
            "a": to_json(self.a_value),
            "b": to_json(self.b_value),
            "a_text": self.a_text,
            "b_text": self.b_text,
            "changed": self.changed,
        }


@dataclass(frozen=True)
class ConditionChange:
    """A condition added, removed or changed (``details``: what changed, in Chinese)."""

    id: str
    change: str  # added | removed | changed
    a_label: str
    b_label: str
    details: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "change": self.change,
            "a_label": self.a_label or None,
            "b_label": self.b_label or None,
            "details": list(self.details),
        }


@dataclass(frozen=True)
class MeasurePair:
    """A measure of A and its counterpart in B, and what differs between them."""

    a: Measure
    b: Measure
    matched_by: str  # article | overlap | events | title
    title: tuple[str, str] | None
    kinds_added: tuple[str, ...]
    kinds_removed: tuple[str, ...]
    events_added: tuple[str, ...]
    events_removed: tuple[str, ...]
    amount_kind: tuple[str, str] | None
    amounts: tuple[ValueChange, ...]
    caps: tuple[ValueChange, ...]
    cap_text: tuple[str, str] | None
    conditions: tuple[ConditionChange, ...]

    @property
    def changed(self) -> bool:
        return bool(
            self.title
            or self.kinds_added
            or self.kinds_removed
            or self.events_added
            or self.events_removed
            or self.amount_kind
            or any(v.changed for v in self.amounts)
            or any(v.changed for v in self.caps)
            or self.cap_text
            or self.conditions
        )

    def as_json(self) -> dict[str, Any]:
        def pair(value: tuple[str, str] | None) -> dict[str, str] | None:
            return None if value is None else {"a": value[0], "b": value[1]}

        return {
            "a": self.a.id,
            "b": self.b.id,
            "a_label": self.a.label,
            "b_label": self.b.label,
            "matched_by": self.matched_by,
            "title": pair(self.title),
            "kinds": {"added": list(self.kinds_added), "removed": list(self.kinds_removed)},
            "events": {"added": list(self.events_added), "removed": list(self.events_removed)},
            "amount_kind": pair(self.amount_kind),
            "amounts": [v.as_json() for v in self.amounts],
            "caps": [v.as_json() for v in self.caps],
            "cap_text": pair(self.cap_text),
            "conditions": [c.as_json() for c in self.conditions],
        }


@dataclass(frozen=True)
class PackDiff:
    a: Pack
    b: Pack
    a_on: date
    b_on: date
    added: tuple[Measure, ...]
    removed: tuple[Measure, ...]
    pairs: tuple[MeasurePair, ...]

    @property
    def changed(self) -> tuple[MeasurePair, ...]:
        return tuple(p for p in self.pairs if p.changed)

    @property
    def identical(self) -> bool:
        return not self.added and not self.removed and not self.changed

    @property
    def b_incomplete(self) -> bool:
        """B's text was only partly found: a measure missing from B may simply not be encoded yet."""
        return bool(self.b.unknown)

    def as_json(self) -> dict[str, Any]:
        def brief(m: Measure) -> dict[str, str]:
            return {"measure": m.id, "label": m.label, "title": m.title}

        return {
            "a": self.a.id,
            "b": self.b.id,
            "a_on": self.a_on.isoformat(),
            "b_on": self.b_on.isoformat(),
            "identical": self.identical,
            "b_incomplete": self.b_incomplete,
            "added": [brief(m) for m in self.added],
            "removed": [brief(m) for m in self.removed],
            "changed": [p.as_json() for p in self.changed],
            "unchanged": [{"a": p.a.id, "b": p.b.id} for p in self.pairs if not p.changed],
        }


# ---- matching ------------------------------------------------------------------------------------------------


def _title_ratio(x: str, y: str) -> float:
    def parts(title: str) -> list[str]:
        return [title] + ([title.split("：", 1)[1]] if "：" in title else [])

    return max(difflib.SequenceMatcher(None, p, q).ratio() for p in parts(x) for q in parts(y))


Scorer = Callable[[Measure, Measure], float]


def _by_article(a: Measure, b: Measure) -> float:
    return 1.0 if a.article == b.article else 0.0


def _by_overlap(a: Measure, b: Measure) -> float:
    if a.overlap is None or b.overlap is None or a.overlap.group != b.overlap.group:
        return 0.0
    return 1.0 + len(set(a.events) & set(b.events))


def _by_events(a: Measure, b: Measure) -> float:
    return float(len(set(a.events) & set(b.events)))


def _by_title(a: Measure, b: Measure) -> float:
    if not set(a.kinds) & set(b.kinds):
        return 0.0
    ratio = _title_ratio(a.title, b.title)
    return ratio if ratio >= TITLE_MATCH else 0.0


def match(a: Pack, b: Pack) -> list[tuple[Measure, Measure, str]]:
    """The matched pairs, in A's order (see the module docstring for the rules)."""
    steps: list[tuple[str, Scorer]] = []
    if a.id == b.id:
        steps.append(("article", _by_article))
    steps += [("overlap", _by_overlap), ("events", _by_events), ("title", _by_title)]
    left_a, left_b = list(a.measures), list(b.measures)
    pairs: list[tuple[Measure, Measure, str]] = []
    for name, score in steps:
        scored = sorted(
            ((score(x, y), i, j) for i, x in enumerate(left_a) for j, y in enumerate(left_b)),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        used_a: set[int] = set()
        used_b: set[int] = set()
        for s, i, j in scored:
            if s <= 0:
                break
            if i in used_a or j in used_b:
                continue
            used_a.add(i)
            used_b.add(j)
            pairs.append((left_a[i], left_b[j], name))
        left_a = [m for i, m in enumerate(left_a) if i not in used_a]
        left_b = [m for j, m in enumerate(left_b) if j not in used_b]
    order = {m.id: n for n, m in enumerate(a.measures)}
    return sorted(pairs, key=lambda p: order[p[0].id])


# ---- one pair ------------------------------------------------------------------------------------------------


def _value(pack: Pack, pid: str, day: date) -> Any:
    param = pack.parameters.get(pid)
    resolved = param.at(day) if param is not None else None
    return None if resolved is None else resolved.value


def _unit(a: Pack, b: Pack, pa: str, pb: str) -> str:
    param = a.parameters.get(pa) or b.parameters.get(pb)
    return param.unit if param is not None else ""


def _amount_roles(amount: Amount | None) -> dict[str, tuple[str, str]]:
    """role → (label, parameter id) of an amount rule (caps apart)."""
    if amount is None:
        return {}
    out = {
        role: (label, getattr(amount, role)) for role, label in AMOUNT_ROLES.items() if getattr(amount, role)
    }
    for key, pid in amount.params.items():
        field = INPUT_LABELS.get(amount.field, "按字段") if amount.field else "按字段"
        out[f"params.{key}"] = (f"{field}：{value_label(key)}", pid)
    return out


def _cap_roles(m: Measure) -> dict[str, tuple[str, str]]:
    ids = {
        "cap_match": m.amount.cap_match if m.amount else "",
        "cap_other": m.amount.cap_other if m.amount else "",
        "annual_cap": m.annual_cap.param if m.annual_cap else "",
        "annual_quota": m.annual_quota,
        "selection_quota": m.selection_quota.param if m.selection_quota else "",
        "selection_period": m.selection_quota.period if m.selection_quota else "",
    }
    return {role: (CAP_ROLES[role], pid) for role, pid in ids.items() if pid}


def _values(
    a: Pack, b: Pack, ra: dict[str, tuple[str, str]], rb: dict[str, tuple[str, str]], a_on: date, b_on: date
) -> tuple[ValueChange, ...]:
    out = []
    for role in [*ra, *(r for r in rb if r not in ra)]:
        label, pa = ra.get(role, ("", ""))
        label_b, pb = rb.get(role, ("", ""))
        out.append(
            ValueChange(
                role,
                label or label_b,
                _unit(a, b, pa, pb),
                pa,
                pb,
                _value(a, pa, a_on) if pa else None,
                _value(b, pb, b_on) if pb else None,
            )
        )
    return tuple(out)


def _conditions(m: Measure) -> dict[str, Condition]:
    out = {c.id: c for c in m.conditions}
    if m.standing:
        out.update({f"standing.{c.id}": c for c in m.standing.conditions})
        out.update({f"part.{c.id}": c for c in m.standing.parts})
    return out


def _shown(value: Any) -> str:
    return value_label(value) if value else "—"


def _condition_changes(
    a: Pack, b: Pack, ma: Measure, mb: Measure, a_on: date, b_on: date
) -> list[ConditionChange]:
    ca, cb = _conditions(ma), _conditions(mb)
    out = []
    for cid, c in ca.items():
        if cid not in cb:
            out.append(ConditionChange(cid, "removed", c.label, ""))
            continue
        d = cb[cid]
        details = [
            f"{label}：{_shown(getattr(c, name))} → {_shown(getattr(d, name))}"
            for name, label in CONDITION_FIELDS.items()
            if getattr(c, name) != getattr(d, name)
        ]
        if c.param or d.param:
            unit = _unit(a, b, c.param, d.param)
            va = _value(a, c.param, a_on) if c.param else None
            vb = _value(b, d.param, b_on) if d.param else None
            if to_json(va) != to_json(vb) or bool(c.param) != bool(d.param):
                details.append(f"参数取值：{display(va, unit)} → {display(vb, unit)}")
        if details:
            out.append(ConditionChange(cid, "changed", c.label, d.label, tuple(details)))
    out += [ConditionChange(cid, "added", "", d.label) for cid, d in cb.items() if cid not in ca]
    return out


def _sorted_diff(x: Iterable[str], y: Iterable[str]) -> tuple[str, ...]:
    return tuple(v for v in y if v not in set(x))


def compare_measures(a: Pack, b: Pack, ma: Measure, mb: Measure, matched_by: str) -> MeasurePair:
    a_on, b_on = pack_start(a), pack_start(b)
    kind_a = ma.amount.kind if ma.amount else ""
    kind_b = mb.amount.kind if mb.amount else ""
    return MeasurePair(
        ma,
        mb,
        matched_by,
        title=(ma.title, mb.title) if ma.title != mb.title else None,
        kinds_added=_sorted_diff(ma.kinds, mb.kinds),
        kinds_removed=_sorted_diff(mb.kinds, ma.kinds),
        events_added=_sorted_diff(ma.events, mb.events),
        events_removed=_sorted_diff(mb.events, ma.events),
        amount_kind=(kind_a, kind_b) if kind_a != kind_b else None,
        amounts=_values(a, b, _amount_roles(ma.amount), _amount_roles(mb.amount), a_on, b_on),
        caps=_values(a, b, _cap_roles(ma), _cap_roles(mb), a_on, b_on),
        cap_text=(ma.cap_text, mb.cap_text) if ma.cap_text != mb.cap_text else None,
        conditions=tuple(_condition_changes(a, b, ma, mb, a_on, b_on)),
    )


def compare(a: Pack, b: Pack) -> PackDiff:
    """Measure by measure, what B changes with respect to A."""
    pairs = match(a, b)
    in_a = {x.id for x, _, _ in pairs}
    in_b = {y.id for _, y, _ in pairs}
    return PackDiff(
        a,
        b,
        pack_start(a),
        pack_start(b),
        added=tuple(m for m in b.measures if m.id not in in_b),
        removed=tuple(m for m in a.measures if m.id not in in_a),
        pairs=tuple(compare_measures(a, b, x, y, how) for x, y, how in pairs),
    )
