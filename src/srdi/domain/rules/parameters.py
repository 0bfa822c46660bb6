"""Parameters: every threshold, band, amount and date a rule uses, with its unit, reference and dates.

A parameter is data, not code (OpenFisca's habit): ``values`` is a list of ``{from, to, value}`` periods that
must not overlap. ``Parameter.at(day)`` gives the value in force on a day with the period it came from, so
that a trace can cite both. Loading is strict: unknown keys, a missing reference or overlapping periods fail
with a ``RuleDataError`` that names the file and the key.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

UNITS = {
    "ratio": "比例",
    "fen": "分",
    "points": "分值",
    "years": "年",
    "count": "个/项",
    "months": "月",
    "days": "天",
    "bool": "是/否",
    "date": "日期",
    "bands": "分档表",
    "list": "列表",
    "mapping": "对照表",
    "text": "文本",
}


# How sure a value is: the status a parameter's YAML states (``status:``; official when absent). A SECONDARY value
# comes from a report of the document, not the document itself; a DECISION is srdi's own reading where the
# texts leave room, cited as such; an UNCONFIRMED value is expected but not yet published.
STATUSES = {
    "official": "正式文件",
    "secondary": "二手来源（待核对原文）",
    "unconfirmed": "尚未确认",
    "decision": "本平台决定（文件未作规定）",
}


class RuleDataError(ValueError):
    """A rulebook or policy file is malformed; the message names the file and the key."""

    def __init__(self, source: str, key: str, reason: str):
        super().__init__(f"{source}: {key}: {reason}")
        self.source = source
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class Period:
    """One dated value of a parameter. ``end`` is inclusive; None means open-ended."""

    start: date
    end: date | None
    value: Any
    # "" for a value of the shipped YAML; the label of the approved change that set it otherwise (``PV12``)
    version: str = ""
    status: str = ""  # the period's own source status when it differs from the parameter's ("" = the same)

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Resolved:
    """A parameter's value on a day, with everything a trace needs to cite it."""

    id: str
    label: str
    unit: str
    reference: str
    value: Any
    effective_from: date
    effective_to: date | None
    note: str = ""
    default_used: bool = False
    status: str = "official"
    version: str = ""  # the approved change the value comes from ("" for the shipped baseline)

    _trace: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    def as_trace(self) -> dict[str, Any]:
        """The parameter as a trace cites it (a fresh copy each time; built once)."""
        trace = self._trace
        if trace is None:
            trace = self._build_trace()
            object.__setattr__(self, "_trace", trace)  # a cache on a frozen value
        return dict(trace)

    def _build_trace(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "value": to_json(self.value),
            "unit": self.unit,
            "reference": self.reference,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            **({"note": self.note} if self.note else {}),
            **({"status": self.status} if self.status != "official" else {}),
            **({"version": self.version} if self.version else {}),
        }


def to_json(value: Any) -> Any:
    """Parameter values as JSON data: decimals become strings, nested lists and dicts are converted."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Parameter:
    """A named parameter with its history of values."""

    id: str
    label: str
    unit: str
    reference: str
    periods: tuple[Period, ...]
    note: str = ""
    unset: bool = False  # declared but not yet set by the responsible authority
    status: str = "official"  # one of STATUSES

    def at(self, day: date) -> Resolved | None:
        """The value in force on ``day`` (None when no period covers it)."""
        for period in self.periods:
            if period.covers(day):
                return Resolved(
                    self.id,
                    self.label,
                    self.unit,
                    self.reference,
                    period.value,
                    period.start,
                    period.end,
                    self.note,
                    status=period.status or self.status,
                    version=period.version,
                )
        return None


def first_uncovered(periods: tuple[Period, ...], start: date, end: date | None) -> date | None:
    """The first day of ``[start, end]`` (``end`` None: open-ended) on which no period is in force, or None.

    ``periods`` are sorted and do not overlap (``load_parameter`` guarantees both).
    """
    day = start
    for period in periods:
        if period.end is not None and period.end < day:
            continue
        if period.start > day:
            return day
        if period.end is None or period.end == date.max:
            return None
        day = period.end + timedelta(days=1)
        if end is not None and day > end:
            return None
    return day


PARAMETER_KEYS = {"label", "unit", "reference", "values", "note", "unset", "status"}
PERIOD_KEYS = {"from", "to", "value"}


def _to_date(source: str, key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RuleDataError(source, key, f"日期格式应为 YYYY-MM-DD，实际为 {value!r}") from None


def convert_value(source: str, key: str, unit: str, value: Any) -> Any:
    """Check and convert a raw YAML value for its unit (ratios become Decimal, money must be whole fen)."""
    if value is None:
        return None
    if unit == "ratio":
        if isinstance(value, float):
            raise RuleDataError(source, key, '比例请写成带引号的小数（如 "0.03"），避免浮点误差')
        return Decimal(str(value))
    if unit in ("fen", "points", "years", "count", "months", "days"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleDataError(source, key, f"单位为 {unit} 的参数应为整数，实际为 {value!r}")
        return value
    if unit == "bool":
        if not isinstance(value, bool):
            raise RuleDataError(source, key, f"应为 true/false，实际为 {value!r}")
        return value
    if unit == "date":
        return _to_date(source, key, value)
    if unit == "bands":
        if not isinstance(value, list) or not value:
            raise RuleDataError(source, key, "分档表应为非空列表")
        out = []
        for i, band in enumerate(value):
            if not isinstance(band, dict) or set(band) - {"min", "max", "points"} or "points" not in band:
                raise RuleDataError(source, f"{key}[{i}]", "分档应为 {min|max: 阈值, points: 分值}")
            if ("min" in band) == ("max" in band):
                raise RuleDataError(source, f"{key}[{i}]", "每档须且只须有 min 或 max 之一")
            bound_key = "min" if "min" in band else "max"
            bound = band[bound_key]
            if isinstance(bound, float):
                raise RuleDataError(source, f"{key}[{i}].{bound_key}", "阈值请写成带引号的小数，避免浮点误差")
            out.append({bound_key: Decimal(str(bound)), "points": int(band["points"])})
        return out
    return value


def load_parameter(source: str, pid: str, raw: Any) -> Parameter:
    """Build a parameter from its YAML mapping, strictly."""
    if not isinstance(raw, dict):
        raise RuleDataError(source, pid, "参数定义应为映射")
    unknown = set(raw) - PARAMETER_KEYS
    if unknown:
        raise RuleDataError(source, f"{pid}.{sorted(unknown)[0]}", "未知键")
    for required in ("label", "unit", "reference", "values"):
        if not raw.get(required) and not (required == "values" and raw.get("unset")):
            raise RuleDataError(
                source,
                f"{pid}.{required}",
                "缺少必填项" + ("（每个参数都必须注明出处）" if required == "reference" else ""),
            )
    status = str(raw.get("status", "official"))
    if status not in STATUSES:
        raise RuleDataError(source, f"{pid}.status", f"未知状态 {status!r}，可选 {', '.join(STATUSES)}")
    unit = raw["unit"]
    if unit not in UNITS:
        raise RuleDataError(source, f"{pid}.unit", f"未知单位 {unit!r}，可选 {', '.join(UNITS)}")
    periods = []
    for i, item in enumerate(raw.get("values") or []):
        key = f"{pid}.values[{i}]"
        if not isinstance(item, dict):
            raise RuleDataError(source, key, "应为 {from, to, value}")
        extra = set(item) - PERIOD_KEYS
        if extra:
            raise RuleDataError(source, f"{key}.{sorted(extra)[0]}", "未知键")
        if "from" not in item:
            raise RuleDataError(source, f"{key}.from", "缺少生效日期")
        if "value" not in item:
            raise RuleDataError(source, f"{key}.value", "缺少取值")
        start = _to_date(source, f"{key}.from", item["from"])
        end = _to_date(source, f"{key}.to", item["to"]) if item.get("to") is not None else None
        if end is not None and end < start:
            raise RuleDataError(source, f"{key}.to", "失效日期早于生效日期")
        periods.append(Period(start, end, convert_value(source, f"{key}.value", unit, item["value"])))
    periods.sort(key=lambda p: p.start)
    for a, b in itertools.pairwise(periods):
        if a.end is None or a.end >= b.start:
            raise RuleDataError(source, f"{pid}.values", f"生效期间重叠：{a.start} 起与 {b.start} 起")
    return Parameter(
        id=pid,
        label=str(raw["label"]),
        unit=unit,
        reference=str(raw["reference"]),
        periods=tuple(periods),
        note=str(raw.get("note", "")),
        unset=bool(raw.get("unset", False)),
        status=status,
    )


def load_parameters(source: str, raw: Any, prefix: str = "") -> dict[str, Parameter]:
    """A ``parameters:`` mapping; ids get ``prefix`` when given."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RuleDataError(source, "parameters", "应为映射")
    out = {}
    for pid, spec in raw.items():
        full = f"{prefix}{pid}"
        out[full] = load_parameter(source, full, spec)
    return out
