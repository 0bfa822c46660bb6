"""Resolving pack parameters for a run: dated values, per-run overrides by id, and unset values.

Use ``ParamSet.for_run(packs, overrides)``: it checks every override (unit, whole fen, no negative amount or
count, ratios within 0…1, lists as lists) and refuses a bad one with ``OverrideError`` naming the parameter.
``value(pid, day)`` gives the value in force on a day (None when unset). For the column-wise engine,
``expr``, ``fraction`` and ``contains`` resolve a parameter into a per-row column by the row's own date (a
``when … then`` over the parameter's few periods), so a parameter that changes within the window is applied
by each event's date. An override is one open-ended period: it applies to all dates.

``parse_text(param, text)`` reads a value typed by a person (``srdi simulate --set``): fen as an integer or
with 万/亿, ratios as a decimal or a percentage, counts as integers, lists separated by commas, tables (bands,
mappings) as YAML or JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl
import yaml

from srdi.domain.money import MAX_COUNT, MAX_FEN, OutOfRange, decimal_from_text, fen_from_text, in_range
from srdi.domain.policy.model import Pack
from srdi.domain.rules.parameters import Parameter, Period, Resolved, RuleDataError, convert_value

I128 = pl.Int128
INTEGER_UNITS = ("fen", "points", "years", "count", "months", "days")
RATIO_PLACES = 9  # the engine reads ratio parameters as Decimal(20, 9)


class OverrideError(RuleDataError):
    """A per-run parameter override names an unknown parameter or has a value of the wrong kind."""


def check_override(pid: str, param: Parameter, raw: Any) -> Any:
    """The override converted for the parameter's unit, or ``OverrideError`` saying why it is refused."""
    value = _no_float(raw)
    if value is None:
        return None  # unset for this run
    unit = param.unit
    if unit == "ratio":
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            raise OverrideError("parameters", pid, f'比例应为小数（如 "0.15"），实际为 {raw!r}')
        try:
            ratio = Decimal(str(value).strip())
        except InvalidOperation:
            raise OverrideError("parameters", pid, f'比例应为小数（如 "0.15"），实际为 {raw!r}') from None
        if not ratio.is_finite() or not Decimal(0) <= ratio <= Decimal(1):
            raise OverrideError("parameters", pid, f"比例应在 0 与 1 之间，实际为 {raw!r}")
        exponent = ratio.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -RATIO_PLACES:
            raise OverrideError("parameters", pid, f"比例最多保留 {RATIO_PLACES} 位小数，实际为 {raw!r}")
        return ratio
    if unit in INTEGER_UNITS:
        if (
            isinstance(value, Decimal)
            and value.is_finite()
            and in_range(value)
            and value == value.to_integral_value()
        ):
            hint = f"（请写整数 {int(value)}）"
        else:
            hint = ""
        if isinstance(value, bool) or not isinstance(value, int):
            what = "整数分" if unit == "fen" else "整数"
            raise OverrideError("parameters", pid, f"应为{what}，实际为 {raw!r}{hint}")
        what = "金额" if unit == "fen" else "数值"
        if value < 0:
            raise OverrideError("parameters", pid, f"{what}不能为负数，实际为 {value}")
        if value > (limit := MAX_FEN if unit == "fen" else MAX_COUNT):
            raise OverrideError("parameters", pid, f"{what}过大（不超过 {limit}），实际为 {value}")
        return value
    if unit == "list":
        if not isinstance(value, list):
            raise OverrideError(
                "parameters", pid, f'应为列表（如 ["new_energy", "new_materials"]），实际为 {raw!r}'
            )
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise OverrideError("parameters", pid, f"列表的每一项应为非空文本，实际为 {raw!r}")
        return [v.strip() for v in value]
    if unit == "mapping" and not isinstance(value, dict):
        raise OverrideError("parameters", pid, f"应为对象（映射），实际为 {raw!r}")
    if unit == "text" and not isinstance(value, str):
        raise OverrideError("parameters", pid, f"应为文本，实际为 {raw!r}")
    try:
        return convert_value("parameters", pid, unit, value)
    except RuleDataError as exc:
        raise OverrideError("parameters", pid, exc.reason) from None


def parse_text(pid: str, param: Parameter, text: str) -> Any:
    """A value typed by a person, read by the parameter's unit and checked like any override."""
    raw = text.strip()
    unit = param.unit
    value: Any
    if unit == "ratio":
        percent = raw.endswith(("%", "％"))
        number = _decimal(pid, raw[:-1] if percent else raw, "比例应为小数或百分数（如 0.15 或 15%）")
        value = number / 100 if percent else number
    elif unit == "fen":
        value = _fen(pid, raw)
    elif unit in INTEGER_UNITS:
        number = _decimal(pid, raw, "应为整数")
        if number != number.to_integral_value():
            raise OverrideError("parameters", pid, f"应为整数，实际为 {raw!r}")
        value = int(number)
    elif unit == "list":
        value = [s.strip() for s in raw.replace("，", ",").replace("、", ",").split(",") if s.strip()]
    elif unit == "bool":
        lowered = raw.lower()
        if lowered not in ("是", "否", "true", "false", "1", "0"):
            raise OverrideError("parameters", pid, f"应为 是/否（true/false），实际为 {raw!r}")
        value = lowered in ("是", "true", "1")
    elif unit in ("date", "text"):
        value = raw
    elif unit in ("bands", "mapping"):
        value = _structured(pid, raw)
    else:
        raise OverrideError("parameters", pid, f"单位为 {unit} 的参数不能以文本修改")
    return check_override(pid, param, value)


def _structured(pid: str, text: str) -> Any:
    """A table typed as YAML or JSON (``[{min: "1000", points: 5}, ...]``); numbers with a fraction must be quoted."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第{mark.line + 1}行第{mark.column + 1}列）" if mark is not None else ""
        raise OverrideError("parameters", pid, f"表格应写成 YAML 或 JSON{where}") from None


def _decimal(pid: str, text: str, reason: str, read: Callable[[str], Decimal] = decimal_from_text) -> Decimal:
    try:
        return read(text.strip())
    except OutOfRange:
        raise OverrideError("parameters", pid, f"数值超出范围，实际为 {text!r}") from None
    except ValueError:
        raise OverrideError("parameters", pid, f"{reason}，实际为 {text!r}") from None


def _fen(pid: str, text: str) -> int:
    amount = _decimal(pid, text, "金额应为整数分，或带“万”“亿”的金额", read=fen_from_text)
    if amount != amount.to_integral_value():
        raise OverrideError("parameters", pid, f"金额须为整数分，实际为 {text!r}")
    return int(amount)


@dataclass
class ParamSet:
    """All parameters of the packs in a run, with overrides applied."""

    params: dict[str, Parameter]
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_run(cls, packs: tuple[Pack, ...], overrides: dict[str, Any] | None = None) -> ParamSet:
        params: dict[str, Parameter] = {}
        for p in packs:
            params.update(p.parameters)
        converted: dict[str, Any] = {}
        for pid, raw in (overrides or {}).items():
            if pid not in params:
                raise OverrideError("parameters", pid, "未知参数编号（可用 srdi policy show 查看参数）")
            converted[pid] = check_override(pid, params[pid], raw)
        run = cls(params, converted)
        for pack in packs:
            start, end = run.window(pack)
            if start is not None and end is not None and end < start:
                raise OverrideError("parameters", pack.window_params[1] or pack.id, "有效期截止日早于起始日")
        return run

    def window(self, pack: Pack) -> tuple[date | None, date | None]:
        """The pack's window in this run: its fixed dates, or the values of its window parameters (overrides
        included) as on the day the document was adopted; None for an end that is not set."""
        start_pid, end_pid = pack.window_params
        start = self._date(start_pid, pack.issued) if start_pid else pack.window_from
        end = self._date(end_pid, pack.issued) if end_pid else pack.window_to
        return start, end

    def _date(self, pid: str, day: date) -> date | None:
        if pid not in self.params:
            return None
        value = self.value(pid, day)
        return value if isinstance(value, date) else None

    def resolved(self, pid: str, day: date) -> Resolved | None:
        param = self.params[pid]
        if pid in self.overrides:
            base = param.at(day)
            start = base.effective_from if base else day
            return Resolved(
                pid,
                param.label,
                param.unit,
                param.reference,
                self.overrides[pid],
                start,
                None,
                "本次运行覆盖的参数值",
            )
        return param.at(day)

    def value(self, pid: str, day: date) -> Any:
        r = self.resolved(pid, day)
        return None if r is None else r.value

    def periods(self, pid: str) -> list[Period]:
        if pid in self.overrides:
            return [Period(date.min, None, self.overrides[pid])]
        return list(self.params[pid].periods)

    def _chain(self, pid: str, day: pl.Expr, then: Any, dtype: Any) -> pl.Expr:
        """``then(value)`` on the rows whose date falls in a period with a value; null elsewhere."""
        out: Any = pl
        used = False
        for p in self.periods(pid):
            if p.value is None:
                continue
            cond = day >= p.start if p.end is None else (day >= p.start) & (day <= p.end)
            out = out.when(cond).then(then(p.value))
            used = True
        none = pl.lit(None, dtype=dtype)
        return out.otherwise(none) if used else none

    def expr(self, pid: str, day: pl.Expr, dtype: Any = None) -> pl.Expr:
        """The parameter's value on each row's date (null outside every period, or when unset)."""
        return self._chain(pid, day, lambda v: _lit(v, dtype), dtype)

    def fraction(self, pid: str, day: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        """A ratio (or an amount) on each row's date as an exact fraction: (numerator, denominator), Int128."""
        num = self._chain(pid, day, lambda v: pl.lit(fraction_of(v)[0], dtype=I128), I128)
        den = self._chain(pid, day, lambda v: pl.lit(fraction_of(v)[1], dtype=I128), I128)
        return num, den

    def contains(self, pid: str, day: pl.Expr, column: pl.Expr) -> pl.Expr:
        """Whether ``column`` is in the list parameter on each row's date (null when the list is unset)."""

        def member(values: Any) -> pl.Expr:
            items = list(values)
            dtype = pl.String if all(isinstance(v, str) for v in items) else None
            return column.is_in(pl.Series(items, dtype=dtype).implode())

        return self._chain(pid, day, member, pl.Boolean)

    def set_by_change(self, pid: str, day: pl.Expr) -> pl.Expr:
        """True on the rows whose date falls in a period an approved change set (one with a version)."""
        out = pl.lit(False)
        for p in self.periods(pid):
            if p.version:
                out = out | ((day >= p.start) if p.end is None else ((day >= p.start) & (day <= p.end)))
        return out

    def known(self, pid: str, day: pl.Expr) -> pl.Expr:
        """True on the rows whose date falls in a period where the parameter has a value."""
        return self._chain(pid, day, lambda _v: pl.lit(True), pl.Boolean).fill_null(False)


def fraction_of(value: Any) -> tuple[int, int]:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Decimal):
        p, q = value.as_integer_ratio()
        return p, q
    raise TypeError(value)


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _lit(value: Any, dtype: Any) -> pl.Expr:
    if isinstance(value, Decimal):
        return pl.lit(value, dtype=pl.Decimal(20, 9))
    if dtype is not None:
        return pl.lit(value, dtype=dtype)
    return pl.lit(value)
