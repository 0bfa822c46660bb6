"""What the parameter-management pages show: who may see them, the parameters to choose from, a change's value,
a parameter's history and the simulated effect of a change, in 万元.

Helpers here only read and format (the service ``srdi.services.parameters`` decides and records). Amounts are
integer fen, shown in 万元 through ``srdi.domain.money.format_wan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from srdi.db.models import ParameterChange, User
from srdi.domain.money import FEN_PER_WAN, format_wan
from srdi.domain.permissions import Permission
from srdi.domain.policy.model import Pack
from srdi.domain.reference import district_name
from srdi.domain.rules.parameters import Parameter, Resolved
from srdi.domain.verdict import Verdict
from srdi.services import scoping
from srdi.services.parameter_effect import Effect, Money, YearEffect
from srdi.services.parameter_history import ParameterHistory
from srdi.services.parameters import entry_value, known_parameter
from srdi.web.policy_display import STATUS_LABELS, UNIT_LABELS, format_value

# How a value is typed on the propose form, by unit (``params.parse_text`` reads it).
UNIT_HINTS = {
    "fen": "金额以万元填写，如 40万、1.5亿，或写整数分",
    "ratio": "比例写百分数或小数，如 15% 或 0.15",
    "bands": '分档以 YAML 填写，每档 min 或 max 之一（阈值加引号）及 points，如 [{min: "5000000000", points: 3}]',
    "mapping": "对照表以 YAML 或 JSON 填写",
    "list": "多项以逗号或顿号分隔",
    "date": "日期写 YYYY-MM-DD",
    "bool": "写 是 或 否",
    "count": "非负整数",
    "months": "月数（整数）",
    "years": "年数（整数）",
    "days": "天数（整数）",
    "points": "分值（整数）",
    "text": "文字",
}


def can_manage_parameters(user: User) -> Verdict:
    """The parameter pages are for those who propose (city staff) or approve (city administrators) changes."""
    verdict = scoping.can(user, Permission.PARAMETER_PROPOSE)
    return verdict if verdict else scoping.can(user, Permission.PARAMETER_APPROVE)


def value_text(param: Parameter, value: Any) -> str:
    """A value already converted for the engine, for people."""
    return format_value(value, param.unit)


def stored_text(change: ParameterChange) -> str:
    """A change's stored value for people (万元, %, …)."""
    known = known_parameter(change.parameter)
    if known is None:
        return str(change.value)
    try:
        return value_text(known[1], entry_value(known[1], change.value))
    except ValueError:
        return str(change.value)


def resolved_text(param: Parameter, resolved: Resolved | None) -> str:
    """A value in force for people, citing the approved change it comes from."""
    if resolved is None or resolved.value is None:
        return "未设定"
    shown = value_text(param, resolved.value)
    return f"{shown}（{resolved.version}）" if resolved.version else shown


def in_force_text(packs: tuple[Pack, ...], pid: str, day: date) -> str:
    """The value of ``pid`` in force on ``day`` in ``packs`` (approved changes included), for people."""
    for pack in packs:
        param = pack.parameters.get(pid)
        if param is not None:
            return resolved_text(param, param.at(day))
    return "—"


@dataclass(frozen=True)
class Choice:
    pid: str
    label: str
    unit: str
    current: str


def grouped_choices(packs: tuple[Pack, ...], day: date) -> list[tuple[str, list[Choice]]]:
    """Every parameter by pack (document first), with its unit and the value in force on ``day``."""
    seen: set[str] = set()
    out = []
    for pack in packs:
        rows = []
        for pid, param in pack.parameters.items():
            if pid in seen:
                continue
            seen.add(pid)
            rows.append(
                Choice(
                    pid, param.label, UNIT_LABELS.get(param.unit, param.unit), in_force_text(packs, pid, day)
                )
            )
        if rows:
            out.append((f"{pack.document or pack.id}（{pack.id}）", rows))
    return out


def baseline_periods(history: ParameterHistory, param: Parameter) -> list[dict[str, Any]]:
    """The parameter's periods as shipped in the YAML (the cited baseline), for people."""
    return [
        {
            "start": row.start,
            "end": row.end,
            "value": "未设定" if row.value is None else value_text(param, entry_value(param, row.value)),
        }
        for row in history.baseline
    ]


# ---- the effect ----------------------------------------------------------------------------------------


def _n(fen: int) -> str:
    """Fen as a bare 万元 number (tables whose header says 万元)."""
    return format_wan(fen).removesuffix("万元")


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + _n(fen) if fen else "0"


def _share(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}%"


def _chart_number(fen: int) -> str:
    return format((Decimal(fen) / FEN_PER_WAN).quantize(Decimal("0.0001")).normalize(), "f")


def _money(before: Money, after: Money) -> dict[str, Any]:
    diff = after.minus(before)
    return {
        "before": _n(before.amount_fen),
        "before_city": _n(before.city_fen),
        "before_district": _n(before.district_fen),
        "before_grants": before.grants,
        "city_share": _share(before.city_fen, before.amount_fen),
        "after": _n(after.amount_fen),
        "after_city": _n(after.city_fen),
        "after_district": _n(after.district_fen),
        "after_grants": after.grants,
        "after_city_share": _share(after.city_fen, after.amount_fen),
        "delta_fen": diff.amount_fen,
        "delta": _signed(diff.amount_fen),
        "delta_city": _signed(diff.city_fen),
        "delta_district": _signed(diff.district_fen),
        "delta_grants": diff.grants,
        "changed": any((diff.amount_fen, diff.city_fen, diff.district_fen, diff.grants)),
    }


def _chart(labels: list[str], before: list[int], after: list[int]) -> dict[str, Any]:
    """Data for policy.js (``data-policy-chart="bar"``): the baseline beside the proposal, in 万元."""
    return {
        "labels": labels,
        "unit": "万元",
        "series": [
            {"name": "现行参数", "color": "#9aa6b8", "values": [_chart_number(v) for v in before]},
            {"name": "批准后", "color": "#1d5fb4", "values": [_chart_number(v) for v in after]},
        ],
    }


def year_view(pack: Pack | None, y: YearEffect) -> dict[str, Any]:
    measures = []
    for m in y.by_measure:
        title = ""
        if pack is not None:
            try:
                title = pack.measure(m.article).title
            except KeyError:
                title = ""
        measures.append({"article": m.article, "title": title, **_money(m.before, m.after)})
    districts = [
        {
            "code": d.district,
            "name": district_name(d.district) if d.district else "未填区县",
            **_money(d.before, d.after),
        }
        for d in y.by_district
    ]
    return {
        "year": y.year,
        "events": y.events,
        "totals": _money(y.before, y.after),
        "by_measure": measures,
        "by_district": districts,
        "gainers": y.gainers,
        "losers": y.losers,
        "moves": [
            {
                "before": STATUS_LABELS.get(m.before, m.before),
                "after": STATUS_LABELS.get(m.after, m.after),
                "count": m.count,
            }
            for m in y.moves
        ],
        "most_affected": [
            {
                "uscc": e.uscc,
                "name": e.name,
                "district": district_name(e.district) if e.district else "未填区县",
                "before": _n(e.before_fen),
                "after": _n(e.after_fen),
                "delta": _signed(e.difference_fen),
                "delta_fen": e.difference_fen,
            }
            for e in y.most_affected
        ],
        "measure_chart_id": f"measure-chart-{y.year}",
        "district_chart_id": f"district-chart-{y.year}",
        "measure_chart": _chart(
            [f"第{m.article}条" for m in y.by_measure],
            [m.before.amount_fen for m in y.by_measure],
            [m.after.amount_fen for m in y.by_measure],
        ),
        "district_chart": _chart(
            [d["name"] for d in districts],
            [d.before.amount_fen for d in y.by_district],
            [d.after.amount_fen for d in y.by_district],
        ),
    }


def effect_view(effect: Effect | None, pack: Pack | None) -> dict[str, Any] | None:
    """The stored effect as the approval page shows it (None when none was computed)."""
    if effect is None:
        return None
    total = effect.difference
    return {
        "years": [year_view(pack, y) for y in effect.years],
        "years_left_out": list(effect.years_left_out),
        "seconds": effect.seconds,
        "note": effect.note,
        "total_delta_fen": total.amount_fen,
        "total_delta": format_wan(total.amount_fen)
        if total.amount_fen <= 0
        else "+" + format_wan(total.amount_fen),
        "total_delta_city": _signed(total.city_fen),
        "total_delta_district": _signed(total.district_fen),
    }
