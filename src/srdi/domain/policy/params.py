"""Resolving pack parameters for a run: dated values, per-run overrides by id, and unset values.

Use ``ParamSet.for_run(packs, overrides)``; ``value(pid, day)`` gives the value in force on a day (None when
unset) and ``expr(pid, date_column)`` the same as a Polars expression over a column of dates, so that a
parameter that changes within the window is applied by each event's own date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from srdi.domain.policy.model import Pack
from srdi.domain.rules.parameters import Parameter, Period, Resolved, RuleDataError, convert_value


class OverrideError(RuleDataError):
    """A per-run parameter override names an unknown parameter or has a value of the wrong kind."""


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
            try:
                converted[pid] = convert_value("parameters", pid, params[pid].unit, _no_float(raw))
            except RuleDataError as exc:
                raise OverrideError("parameters", pid, exc.reason) from None
        return cls(params, converted)

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

    def constant(self, pid: str) -> tuple[bool, Any]:
        """(True, value) when the parameter has one value for all dates in the run."""
        periods = self.periods(pid)
        if len(periods) == 1:
            return True, periods[0].value
        return False, None

    def expr(self, pid: str, day: pl.Expr, dtype: Any = None) -> pl.Expr:
        """The parameter's value on each row's date (null outside every period, or when unset)."""
        periods = self.periods(pid)
        out: Any = pl
        for p in periods:
            cond = day >= p.start if p.end is None else (day >= p.start) & (day <= p.end)
            out = out.when(cond).then(_lit(p.value, dtype))
        return out.otherwise(_lit(None, dtype)) if periods else _lit(None, dtype)


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
