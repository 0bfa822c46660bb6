"""Levers: the field changes that would make one failing rule element pass, with a rough cost.

Used by ``srdi.domain.assessment.gaps``. A lever works on the exchange-format profile (``financials.2026.
rd_expense_fen``, ``ip.class1``, a new item in ``awards`` …) so that a plan can be applied and re-assessed.
Ratios move their numerator, growth rates their latest year. A lever only ever moves what an enterprise can
still move from today on (``frozen_reason``): never its identity, its founding date or niche start year,
nor the figures of a year that has ended or a platform score already computed. Time-based criteria are met
by waiting, which the planner does by judging a later date; past events (a major accident, data fraud) and
facts outside the enterprise's hands (size class, place of registration) have no lever.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from srdi.domain.certifications import effective_expiry
from srdi.domain.dates import years_after
from srdi.domain.rules.compile import Compiled, den, num
from srdi.domain.rules.explain import input_path
from srdi.domain.rules.model import SWITCHABLE, Measure, Test

INFEASIBLE = math.inf
RD_LEVEL_ORDER = ["none", "below_municipal", "municipal", "provincial", "national"]
# Counts that are part of ``ip.class1`` (the exchange format: class1 is all Ⅰ类 items, "of which" these).
IP_CLASS1_SUBSETS = ("ip_class1_high_value", "ip_class1_self_developed", "ip_invention_patents")
# Extra cost of one more item by how hard it is to obtain: a plain Ⅰ类 item (e.g. any invention patent) is
# easier than a self-developed one, which is easier than a high-value one; a Ⅱ类 item is easiest.
IP_DIFFICULTY = {"ip_class1": 0.2, "ip_class1_self_developed": 0.4, "ip_class1_high_value": 0.6}
# Identity and facts of the past: no plan may change them (paths of the exchange format).
IMMUTABLE_FIELDS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "founded_on": "成立日期",
    "niche_since_year": "从事细分市场的起始年份",
    "registered_in_zhejiang": "注册地",
    "industry_code": "行业代码",
    "district": "所属区县",
    "compliance.major_accident_3y": "近三年发生的事故",
    "group_has_little_giant": "集团关联关系",
    "sanctions": "已作出的处理",
    "data_updates": "已完成或已错过的年度更新",
}
# Facts no plan can change: size class, place of registration, past events, exclusions by a title held.
NO_LEVER_FACTS = frozenset(
    {
        "is_sme",
        "registered_in_zhejiang",
        "c_major_accident_3y",
        "fraud_ban_active",
        "excluding_title_valid",
        "group_has_little_giant",
    }
)
# Effort of obtaining each tier-1 title (a 科技型中小企业 registration is a self-evaluation on a platform).
TIER1_EFFORT = {"tech_sme": 2.5, "innovative_sme": 3.0}
# A new IP item a plan proposes: granted today, self-owned, first holder, applied with economic benefit.
IP_ITEM_TERM_YEARS = 20


def frozen_reason(path: str, last_filed_year: int, current_year: int) -> str | None:
    """Why a plan may not change ``path`` (None: it may).

    ``last_filed_year`` is the last year that has ended on the day the plan is made (its figures are
    history); ``current_year`` is that day's year (its platform score is already computed).
    """
    if path in IMMUTABLE_FIELDS:
        return f"{IMMUTABLE_FIELDS[path]}不能变更"
    parts = path.split(".")
    if parts[0] == "financials" and len(parts) == 3 and int(parts[1]) <= last_filed_year:
        return f"{parts[1]}年度已结束，其数据不能再变更"
    if parts[0] == "platform_scores" and len(parts) == 2 and int(parts[1]) <= current_year:
        return f"{parts[1]}年度评价得分已由培育平台计算"
    return None


@dataclass(frozen=True)
class Change:
    """Set ``field`` to ``to`` (``op='set'``) or append ``to`` to the list ``field`` (``op='append'``)."""

    field: str
    old: Any
    to: Any
    op: str = "set"
    cost: float = 1.0
    kind: str = "value"  # value | time | list | remedy
    tag: int = 0  # tells apart equal items appended more than once (three new patents of the same kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "from": _plain(self.old),
            "to": _plain(self.to),
            "op": self.op,
            "kind": self.kind,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def numeric_cost(old: Any, new: Any) -> float:
    """Size of a change as a log ratio (doubling costs ln 2 ≈ 0.69), plus 0.1 per change.

    Log ratios make a fifteen-fold increase cost far more than a 15% one; a change from zero or across
    zero costs a flat 1.0–1.5.
    """
    a, b = float(old or 0), float(new)
    if a == b:
        return 0.1
    if a == 0 or b == 0:
        return 1.1
    if (a < 0) != (b < 0):
        return 1.6
    return abs(math.log(abs(b) / abs(a))) + 0.1


def threshold_fraction(value: Any) -> Fraction:
    return Fraction(value) if isinstance(value, int | Decimal) else Fraction(str(value))


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def target(op: str, t: Fraction, integral: bool = True) -> Fraction:
    """The least (for ≥/>) or greatest (for ≤/<) value that satisfies ``value op t``."""
    if op in ("ge", "at_least"):
        return Fraction(_ceil(t)) if integral else t
    if op == "gt":
        return Fraction(_floor(t) + 1) if integral else t + Fraction(1, 10**9)
    if op in ("le", "at_most"):
        return Fraction(_floor(t)) if integral else t
    return Fraction(_ceil(t) - 1) if integral else t - Fraction(1, 10**9)


class Levers:
    """Finds changes for failing tests of one enterprise's row under one compiled rulebook.

    ``as_of`` and ``year`` are the date judged and its figures' year (a later date than ``today`` when the
    plan waits for time to pass): new items are dated on ``as_of`` ("obtained by then"). ``today`` is when
    the plan is made: nothing of a year ended by then is moved.
    """

    def __init__(
        self,
        row: dict[str, Any],
        compiled: Compiled,
        measures: dict[str, Measure],
        as_of: date,
        year: int,
        today: date | None = None,
    ):
        self.row = row
        self.c = compiled
        self.measures = measures
        self.as_of = as_of
        self.year = year
        self.today = today or as_of

    def allowed(self, changes: list[Change] | None) -> list[Change] | None:
        """``changes`` if every one may be made from today on, else None (no lever)."""
        if changes is None:
            return None
        year = self.today.year
        if any(frozen_reason(c.field, year - 1, year) for c in changes):
            return None
        return changes

    def band_op(self, op: str) -> str:
        """A band-table boundary's operator (strict when band_boundaries_inclusive is false)."""
        return op if self.c.inclusive else SWITCHABLE.get(op, op)

    def param(self, pid: str) -> Any:
        return self.c.params[pid].value

    def value(self, col: str) -> Any:
        return self.row.get(col)

    # ---- compare leaves --------------------------------------------------------------------------
    def compare(self, t: Test) -> list[Change] | None:
        m = self.measures[t.measure]
        return self.reach(m, t.op, threshold_fraction(self.param(t.param)))

    def reach(self, m: Measure, op: str, t: Fraction) -> list[Change] | None:
        """Changes that make measure ``m`` satisfy ``op t``; None when no sensible lever exists."""
        return self.allowed(self._reach(m, op, t))

    def _reach(self, m: Measure, op: str, t: Fraction) -> list[Change] | None:
        raising = op in ("ge", "gt", "at_least")
        if m.kind == "value":
            return self._value(m, m.inputs[0], op, t, raising)
        if m.kind == "ratio":
            n_col, d_col = m.inputs
            d = self.value(d_col)
            if d is None or d <= 0:
                return None
            new = target(op, t * d)
            return self._set(n_col, new)
        if m.kind == "growth":
            cur_col, prev_col = m.inputs
            prev = self.value(prev_col)
            if prev is None or not raising:
                return None
            new = (
                target(op, Fraction(prev) + t * abs(prev))
                if prev != 0
                else Fraction(max(self.value(cur_col) or 0, 1))
            )
            return self._set(cur_col, new)
        if m.kind == "cagr":
            last_col, first_col = m.inputs
            first = self.value(first_col)
            if first is None or first <= 0 or not raising:
                return None
            return self._set(last_col, target(op, Fraction(first) * (1 + t) ** m.years))
        if m.kind == "mean_growth":
            a_col, b_col, c_col = m.inputs
            a, b = self.value(a_col), self.value(b_col)
            if a in (None, 0) or b in (None, 0) or not raising:
                return None
            first = Fraction(b - a, abs(a))
            new = target(op, Fraction(b) + abs(b) * (2 * t - first))
            return self._set(c_col, new)
        if m.kind in ("mean", "sum") and raising:
            others = [self.value(c) for c in m.inputs[1:]]
            if any(v is None for v in others):
                return None
            goal = t * (len(m.inputs) if m.kind == "mean" else 1) - sum(others)
            return self._set(m.inputs[0], target(op, goal))
        return None

    def _set(self, col: str, new: Fraction) -> list[Change] | None:
        old = self.value(col)
        value = int(new) if new.denominator == 1 else int(_ceil(new))
        if old is not None and value == old:
            value += 1
        if value < 0 and not col.startswith("net_profit_fen"):
            return None
        cost = numeric_cost(old, value)
        if col.startswith("operating_revenue_fen"):
            cost *= 3  # growing the whole business is a much bigger step than any single figure
        return [Change(input_path(col, self.year), old, value, cost=cost)]

    def _value(self, m: Measure, col: str, op: str, t: Fraction, raising: bool) -> list[Change] | None:
        old = self.value(col)
        if col in ("years_in_niche", "years_operating"):
            return None  # time passes on its own: the planner judges a later date instead
        if col.startswith("equity_qualified_"):
            day = self._equity_day(col)
            if not raising or day is None:
                return None
            amount = int(target(op, t)) - int(old or 0)
            item = {"date": day.isoformat(), "amount_fen": max(amount, 1), "qualified_investor": True}
            return [
                Change(
                    "equity_financing", None, item, op="append", cost=numeric_cost(old, t) + 0.5, kind="list"
                )
            ]
        if col == "mp_niche_market_share":
            goal = target(op, t, integral=False)
            share = (Decimal(goal.numerator) / Decimal(goal.denominator)).quantize(Decimal("0.000000001"))
            return [Change(input_path(col, self.year), old, share, cost=numeric_cost(old, share) + 0.5)]
        if col.endswith("[Y]") or col.endswith("[Y-1]") or col.endswith("[Y-2]"):
            if col.startswith("operating_revenue_fen") and not raising:
                return None  # shrinking revenue is not advice anyone should get
            return self._set(col, target(op, t))
        count = int(target(op, t))
        if count < 0:
            return None
        extra = 0.8 if col.startswith(("mp_national_rank", "mp_global_rank")) else IP_DIFFICULTY.get(col, 0.0)
        changes = [Change(input_path(col, self.year), old, count, cost=numeric_cost(old, count) + extra)]
        total = self.value("ip_class1")
        if col in IP_CLASS1_SUBSETS and raising and total is not None and total < count:
            # High-value, self-developed Ⅰ类 items and invention patents are Ⅰ类 items too: keep the total ≥ them.
            changes.append(Change("ip.class1", total, count, cost=numeric_cost(total, count)))
        return changes

    def _equity_day(self, col: str) -> date | None:
        """When new equity would count: on the date judged for a rolling window; for the financial-year window
        (2号: Y−1 and Y) the first day from today on inside it — None when those years are over."""
        if col != "equity_qualified_fy2_fen":
            return self.as_of
        start, end = date(self.year - 1, 1, 1), date(self.year, 12, 31)
        day = max(self.today, start)
        return day if day <= end else None

    # ---- fact leaves -----------------------------------------------------------------------------
    def fact_is(self, t: Test) -> list[Change] | None:
        return self.allowed(self._fact_is(t))

    def _fact_is(self, t: Test) -> list[Change] | None:
        fact, want = t.fact, t.value
        as_of = self.as_of.isoformat()
        if fact in NO_LEVER_FACTS:
            return None
        if fact in ("ip_class1_items_enough", "invention_items_enough"):
            return self._ip_items(fact)
        if fact == "tier1_title_valid":
            return self._tier1_title()
        if fact.startswith("c_"):
            return [Change(input_path(fact, self.year), self.value(fact), want, cost=2.0, kind="remedy")]
        if fact.startswith("sci_award_"):
            return self._award(fact)
        if fact == "maker_contest_3y":
            kinds, groups = (
                list(self.param("direct_contest_kinds")),
                list(self.param("direct_contest_groups")),
            )
            if not kinds or not groups:
                return None
            # A top-500 place is within reach of more enterprises than a top-50 one.
            group = "national_top500" if "national_top500" in groups else groups[0]
            item = {"kind": kinds[0], "group": group, "date": as_of}
            cost = 3.5 if group == "national_top500" else 5.0
            return [Change("contests", None, item, op="append", cost=cost, kind="list")]
        if fact == "direct_title_valid":
            kinds = list(self.param("direct_title_kinds"))
            if not kinds:
                return None
            until = effective_expiry(self.as_of, None)
            assert until is not None
            item = {"kind": kinds[0], "valid_from": as_of, "valid_to": until.isoformat()}
            return [Change("titles", None, item, op="append", cost=2.0, kind="list")]
        if fact.startswith("cert_valid_"):
            item = {"tier": fact.removeprefix("cert_valid_"), "recognized_on": as_of}
            return [Change("certifications", None, item, op="append", cost=3.0, kind="list")]
        cost = 0.6 if fact.startswith("q_") else 1.0
        return [Change(input_path(fact, self.year), self.value(fact), want, cost=cost)]

    def _ip_items(self, fact: str) -> list[Change] | None:
        """New IP items of the first listed kind, enough to reach the minimum (2号 附件3's conditions met)."""
        column = self.c.fact_col(fact)
        if fact == "invention_items_enough":
            kinds, minimum = list(self.param("ip_invention_kinds")), int(self.param("ip_invention_min"))
        else:
            kinds, minimum = list(self.param("ip_class1_kinds")), int(self.param("ip_class1_min"))
        have = self.value(f"{column}#count")
        if have is None:  # no ``ip_items`` list: the v1 count decides (Zhejiang's invention-patent fact)
            if fact != "invention_items_enough":
                return None
            old, total = self.value("ip_invention_patents"), self.value("ip_class1")
            changes = [Change("ip.invention_patents", old, minimum, cost=numeric_cost(old, minimum) + 0.2)]
            if (
                total is not None and total < minimum
            ):  # invention patents are Ⅰ类 items: keep the total ≥ them
                changes.append(Change("ip.class1", total, minimum, cost=numeric_cost(total, minimum)))
            return changes
        if not kinds:
            return None
        need = max(minimum - int(have), 1)
        item = {
            "kind": "invention_patent" if "invention_patent" in kinds else kinds[0],
            "granted_on": self.as_of.isoformat(),  # obtained by the date judged, never backdated
            "expires_on": years_after(self.as_of, IP_ITEM_TERM_YEARS).isoformat(),
            "transferred_in": False,
            "holder_rank": 1,
            "applied_with_benefit": True,
        }
        return [
            Change("ip_items", None, dict(item), op="append", cost=1.2, kind="list", tag=n)
            for n in range(need)
        ]

    def _tier1_title(self) -> list[Change] | None:
        """A tier-1 title: the 科技型中小企业 registration when it counts (the easier one), else 创新型."""
        titles = list(self.param("tier1_titles"))
        if not titles:
            return None
        wanted = (
            titles
            if self.param("tier1_requires_all")
            else [min(titles, key=lambda t: TIER1_EFFORT.get(t, 3.0))]
        )
        have = {t for t in titles if self.value(f"cert_valid_{t}") is True}
        return [
            Change(
                "certifications",
                None,
                {"tier": t, "recognized_on": self.as_of.isoformat()},
                op="append",
                cost=TIER1_EFFORT.get(t, 3.0),
                kind="list",
            )
            for t in wanted
            if t not in have
        ] or None

    def _award(self, fact: str) -> list[Change] | None:
        """A science award that meets the tier's list fact (kinds, levels and rank limits are its parameters)."""
        kinds = list(self.param("direct_award_kinds"))
        if fact == "sci_award_3y":
            levels = list(self.param("direct_award_levels"))
            level = "provincial" if "provincial" in levels else (levels[0] if levels else None)
            rank = 1
        elif fact == "sci_award_provincial_ranked_3y":
            level, rank = "provincial", int(self.param("direct_award_provincial_max_rank"))
        else:
            level, rank = "national", int(self.param("direct_award_national_max_rank"))
        if not kinds or level is None or rank < 1:
            return None
        item = {"level": level, "kind": kinds[0], "rank": rank, "date": self.as_of.isoformat()}
        # Winning a science award is far harder than moving a figure: national awards cost most.
        cost = 6.0 if level == "national" else 4.0
        return [Change("awards", None, item, op="append", cost=cost, kind="list")]

    def fact_in(self, t: Test) -> list[Change] | None:
        allowed = list(self.param(t.param))
        old = self.value(t.fact)
        if t.fact == "rd_institution_level":
            choices = [lvl for lvl in RD_LEVEL_ORDER if lvl in allowed]
            if not choices:
                return None
            return [Change("rd_institution_level", old, choices[0], cost=1.5)]
        cost = 3.0 if t.fact == "mp_pin_field" else 2.0
        return [Change(input_path(t.fact, self.year), old, allowed[0], cost=cost)]

    def leaf(self, t: Test) -> list[Change] | None:
        if t.kind == "compare":
            return self.compare(t)
        if t.kind == "fact_is":
            return self.fact_is(t)
        return self.allowed(self.fact_in(t))

    def current(self, m: Measure) -> Fraction | None:
        n, d = self.row.get(num(m.id)), self.row.get(den(m.id))
        if n is None or d is None or d == 0:
            return None
        return Fraction(n, d)
