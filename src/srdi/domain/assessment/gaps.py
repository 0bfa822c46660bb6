"""Gaps: for a tier an enterprise does not reach, the smallest changes that would get it there.

Use ``plan_gaps(profiles, assessment)``. For each ineligible tier it finds, per route (the score or general
route, and each direct condition), the failing criteria and the levers that fix them — for scored tiers a
greedy choice of band upgrades by points gained per unit of change ("研发投入强度 2.60% → 3.00%：+5 分") —
picks the cheapest route, applies the plan to a copy of the profile and re-assesses all plans in one batch.
Interactions (raising revenue lowers R&D intensity …) are resolved by planning again from the new result, up
to a few rounds; a plan is reported as feasible only when the engine itself says the changed profile is
eligible, so applying ``changes`` always works.

A plan only moves what the enterprise can still move (``levers.frozen_reason``): never its founding date,
niche start year or the figures of a year that has ended. When today's date cannot be reached that way, the
planner judges the same day one, two or three years on (``MAX_WAIT_YEARS``) under the rules in force then,
with the years not yet over projected flat from the last full year (``project``): time-based criteria are
met by waiting, and the figures of the current year become levers that count from that date. Each record
says the date it is judged on and which rulebook judged it; each item says whether the figure it quotes is
the enterprise's own, a projection, or the result of an earlier step of the same plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from srdi.domain.assessment.levers import Change, Levers, numeric_cost, threshold_fraction
from srdi.domain.dates import years_after
from srdi.domain.exchange import Profile, RecordError, parse_changed_profile
from srdi.domain.lifecycle import update_deadline
from srdi.domain.reference import TIERS as TIER_LABELS
from srdi.domain.rules.compile import Compiled, Node
from srdi.domain.rules.engine import Assessment, assess, route_groups
from srdi.domain.rules.explain import (
    VALUE_LABELS,
    dated_label,
    display,
    exact,
    input_path,
    missing_inputs,
    tier_missing,
)
from srdi.domain.rules.model import OPERATORS, Check, Indicator
from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.tables import rows_from_profiles

MAX_ROUNDS = 6
MAX_WAIT_YEARS = 3
# Where the "current" figure an item quotes comes from.
BASIS_TEXT = {
    "current": "",
    "projected": "（该年度尚未结束，按{year}年实际数据持平预计）",
    "after_earlier_steps": "（按本方案前述调整后）",
}
Option = tuple[int, list[Change], str, str]  # points reached, changes, current text, required text


@dataclass
class Item:
    """One criterion to fix and how."""

    criterion: str
    label: str
    reference: str
    changes: list[Change]
    current: str = ""
    required: str = ""
    points: int | None = None
    basis: str = "current"  # current | projected | after_earlier_steps (see BASIS_TEXT)
    base_year: int = 0  # the last full year a projection starts from

    def as_json(self) -> dict[str, Any]:
        text = self.label
        if self.current or self.required:
            note = BASIS_TEXT[self.basis].format(year=self.base_year)
            text += f" {self.current}{note} → {self.required}"
        if self.points:
            text += f"：+{self.points} 分"
        return {
            "criterion": self.criterion,
            "label": self.label,
            "reference": self.reference,
            "current": self.current,
            "basis": self.basis,
            "required": self.required,
            "points": self.points,
            "changes": [c.as_json() for c in self.changes],
            "explanation": text,
        }


@dataclass
class Plan:
    route: str
    items: list[Item] = field(default_factory=list)
    feasible: bool = True
    reason: str = ""
    missing: list[str] = field(
        default_factory=list
    )  # inputs of unknown prerequisites (data, not performance)

    @property
    def changes(self) -> list[Change]:
        return merge_changes([c for i in self.items for c in i.changes])

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.changes) if self.feasible else float("inf")


def merge_changes(changes: list[Change]) -> list[Change]:
    """One change per field: the most demanding value wins; list appends are kept once each."""
    out: dict[str, Change] = {}
    appends: list[Change] = []
    for c in changes:
        if c.op == "append":
            if all((a.field, a.to, a.tag) != (c.field, c.to, c.tag) for a in appends):
                appends.append(c)
            continue
        prev = out.get(c.field)
        if prev is None:
            out[c.field] = c
            continue
        if isinstance(c.to, int | float) and isinstance(prev.to, int | float) and not isinstance(c.to, bool):
            raising = prev.old is None or prev.to >= (prev.old or 0)
            keep = max if raising else min
            winner = c if keep(c.to, prev.to) == c.to else prev
            out[c.field] = Change(c.field, prev.old, winner.to, c.op, max(c.cost, prev.cost), c.kind, c.tag)
        else:
            out[c.field] = c
    return list(out.values()) + appends


def apply_changes(profile: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    """A copy of an exchange-format profile with the changes applied; ``profile`` is left as it was.

    Only the objects on a changed path are copied (the rest is shared, read-only): plans are verified by the
    dozen per request, and a deep copy of every profile was a measurable share of the API's time.
    """
    out = dict(profile)
    for c in changes:
        if c.op == "append":
            out[c.field] = [*(out.get(c.field) or []), dict(c.to)]
            continue
        parts = c.field.split(".")
        node = out
        for key in parts[:-1]:
            child = node.get(key)
            node[key] = dict(child) if isinstance(child, dict) else {}
            node = node[key]
        value = c.to
        if isinstance(value, date):
            value = value.isoformat()
        node[parts[-1]] = (
            format(value, "f")
            if hasattr(value, "as_integer_ratio") and not isinstance(value, int | float)
            else value
        )
    return out


class _Planner:
    """Plans one tier for one row (of an assessment on ``today`` or, waiting, on a later date)."""

    def __init__(self, a: Assessment, index: int, tier: str, row: dict[str, Any], today: date | None = None):
        self.a = a
        self.row = row
        self.c: Compiled = a.compiled[tier]
        self.tier = tier
        self.today = today or a.as_of
        self.levers = Levers(row, self.c, a.library.measures, a.as_of, a.year, self.today)

    def item(self, *args: Any, **kwargs: Any) -> Item:
        """An Item whose basis says whether it quotes a projected figure (a year not over today)."""
        it = Item(*args, **kwargs)
        if any(_projected(c.field, self.today) for c in it.changes):
            it.basis, it.base_year = "projected", self.today.year - 1
        return it

    def result(self, col: str) -> bool | None:
        return self.row.get(self.c.col(col))

    # ---- trees -------------------------------------------------------------------------------------
    def fix_node(
        self, node: Node, unknown: list[Node] | None = None
    ) -> list[tuple[Node, list[Change]]] | None:
        """Changes that make a failing node pass; None when that is impossible.

        With ``unknown`` (prerequisites), an unknown node is a data gap: it is collected there and left
        alone, so that the criteria that actually fail are still planned. Without it (routes), an unknown
        node makes the route infeasible.
        """
        if not node.enabled or self.row.get(node.column) is True:
            return []
        if unknown is not None and self.row.get(node.column) is None:
            unknown.append(node)
            return []
        t = node.test
        if t.kind == "all":
            out = []
            for child in node.children:
                fixed = self.fix_node(child, unknown)
                if fixed is None:
                    return None
                out += fixed
            return out
        if t.kind == "any":
            options = [self.fix_node(c, unknown) for c in node.children if c.enabled]
            feasible = [o for o in options if o is not None]
            if not feasible:
                return None
            return min(feasible, key=lambda o: sum(c.cost for _, ch in o for c in ch))
        if self.row.get(node.column) is None:
            return None  # unknown inputs: the gap is data, not performance
        changes = self.levers.leaf(t)
        return None if changes is None else [(node, changes)]

    def leaf_item(self, check: Check, node: Node, changes: list[Change]) -> Item:
        t = node.test
        if t.kind == "compare":
            m = self.a.library.measures[t.measure]
            value = exact(self.row, t.measure, m)
            p = self.c.params[t.param]
            bound = threshold_fraction_dec(p.value)
            now, needed = display(value, m.unit), display(bound, m.unit)
            if now == needed and isinstance(value, Decimal) and value != bound and m.unit == "ratio":
                # Rounded to the threshold but short of it: show the digits that make the difference.
                for places in range(3, 12):
                    step = Decimal(1).scaleb(-places)
                    if (value * 100).quantize(step) != (bound * 100).quantize(step):
                        now = f"{(value * 100).quantize(step)}%"
                        break
            return self.item(
                check.id,
                dated_label(m, self.a.year),
                check.reference,
                changes,
                now,
                f"{OPERATORS[t.op]} {needed}",
            )
        return self.item(
            check.id,
            check.label,
            check.reference,
            changes,
            _fmt(self.row.get(self.c.fact_col(t.fact))),
            _fmt(changes[0].to) if changes and changes[0].op == "set" else "取得",
        )

    def fix_check(self, check: Check, unknown: list[Node] | None = None) -> list[Item] | None:
        node = self.c.checks.get(check.id)
        if node is None:
            return []
        fixed = self.fix_node(node, unknown)
        if fixed is None:
            return None
        return [self.leaf_item(check, n, ch) for n, ch in fixed]

    # ---- score route -------------------------------------------------------------------------------
    def options(self, ind: Indicator, current: int) -> list[Option]:
        """Every way to score more on an indicator: (points, changes, current text, required text)."""
        builders = {
            "bands": self._band_options,
            "best_of": self._band_options,
            "ladder": self._ladder_options,
            "map": self._map_options,
            "per_item": self._item_options,
            "step": self._step_options,
            "input": self._input_options,
        }
        return builders[ind.kind](ind, current)

    def _band_options(self, ind: Indicator, current: int) -> list[Option]:
        out: list[Option] = []
        for band in ind.bands:
            m = self.a.library.measures[band.measure]
            now = display(exact(self.row, band.measure), m.unit)
            for b in self.c.params[band.param].value:
                if b["points"] <= current:
                    continue
                op = self.levers.band_op("ge" if "min" in b else "le")
                bound = b["min"] if "min" in b else b["max"]
                changes = self.levers.reach(m, op, Fraction(bound))
                if changes:
                    out.append((b["points"], changes, now, f"{OPERATORS[op]} {display(bound, m.unit)}"))
        return out

    def _ladder_options(self, ind: Indicator, current: int) -> list[Option]:
        out: list[Option] = []
        points = self.c.params[ind.ladder_param].value
        for step, node in zip(ind.ladder_steps, self.c.indicators[ind.id].steps, strict=True):
            if points[step.key] <= current or self.row.get(node.column) is None:
                continue
            changes = self.levers.leaf(node.test)
            if changes:
                out.append((points[step.key], changes, f"{current}分", step.label))
        return out

    def _map_options(self, ind: Indicator, current: int) -> list[Option]:
        out: list[Option] = []
        old = self.row.get(self.c.fact_col(ind.fact))
        for key, pts in self.c.params[ind.param].value.items():
            if pts <= current:
                continue
            wanted: Any = {"true": True, "false": False}.get(str(key), key)
            if isinstance(wanted, int) and not isinstance(wanted, bool):
                if old is not None and wanted < old:
                    continue  # a level is only ever raised
                cost = numeric_cost(old, wanted)  # e.g. digital_level 2 → 3
            else:
                cost = 1.5 if ind.fact == "rd_institution_level" else 2.0
            change = Change(input_path(ind.fact, self.levers.year), old, wanted, cost=cost)
            out.append((pts, [change], _fmt(old), _fmt(wanted)))
        return out

    def _item_options(self, ind: Indicator, current: int) -> list[Option]:
        out: list[Option] = []
        per, cap = int(self.c.params[ind.param].value), int(self.c.params[ind.cap_param].value)
        changes: list[Change] = []
        pts = current
        for fact in (f for f in ind.facts if self.row.get(self.c.fact_col(f)) is not True):
            changes = changes + (self.levers.fact_is(_true_test(fact)) or [])
            pts = min(pts + per, cap)
            out.append((pts, list(changes), f"{current}分", f"{pts}分"))
            if pts >= cap:
                break
        return out

    def _step_options(self, ind: Indicator, current: int) -> list[Option]:
        out: list[Option] = []
        years_per_point = int(self.c.params[ind.step_param].value)
        cap = int(self.c.params[ind.cap_param].value)
        m = self.a.library.measures[ind.measure]
        now = display(exact(self.row, ind.measure), m.unit)
        for pts in range(current + 1, cap + 1):
            changes = self.levers.reach(m, "at_least", Fraction(pts * years_per_point))
            if changes:
                out.append((pts, changes, now, f"≥ {pts * years_per_point}年"))
        return out

    def _input_options(self, ind: Indicator, current: int) -> list[Option]:
        top = int(self.c.params[ind.max_param].value)
        column = self.a.library.measures[ind.measure].inputs[0]
        old = self.row.get(column)
        out: list[Option] = []
        for pts in range(current + 1, top + 1):
            # 特色化 points are the assessor's judgement: prefer measurable levers when comparable.
            cost = (pts - (old or 0)) / top + 0.8
            change = Change(input_path(column, self.levers.year), old, pts, cost=cost)
            out.append((pts, [change], f"{old}分" if old is not None else "未知", f"{pts}分"))
        return out

    def score_plan(self) -> Plan:
        rb = self.c.rulebook
        assert rb.score is not None
        need_total = int(self.c.params[rb.score.total_min_param].value)
        group_need = {g.id: int(self.c.params[g.min_param].value) for g in rb.score.groups if g.min_param}
        points = {i.id: self.row[self.c.indicators[i.id].lo] for i in rb.score.indicators}
        chosen: dict[str, tuple[int, list[Change], str, str, float]] = {}
        options = {i.id: self.options(i, points[i.id]) for i in rb.score.indicators}
        by_id = {i.id: i for i in rb.score.indicators}
        for _ in range(60):
            eff = {k: (chosen[k][0] if k in chosen else v) for k, v in points.items()}
            total = sum(eff.values())
            gdef = {
                g: need - sum(eff[i] for i, ind in by_id.items() if ind.group == g)
                for g, need in group_need.items()
            }
            tdef = need_total - total
            if tdef <= 0 and all(d <= 0 for d in gdef.values()):
                break
            best = None
            for ind_id, opts in options.items():
                for pts, changes, cur, req in opts:
                    gain = pts - eff[ind_id]
                    if gain <= 0:
                        continue
                    useful = min(gain, max(tdef, 0)) + min(gain, max(gdef.get(by_id[ind_id].group, 0), 0))
                    if useful <= 0:
                        continue
                    cost = sum(c.cost for c in changes) - (chosen[ind_id][4] if ind_id in chosen else 0)
                    ratio = useful / max(cost, 0.01)
                    # Best points per cost; on a tie the cheaper (easier) change.
                    if best is None or (ratio, -cost) > (best[0], -best[3]):
                        best = (ratio, ind_id, (pts, changes, cur, req, sum(c.cost for c in changes)), cost)
            if best is None:
                return Plan("score", feasible=False, reason="评分路径无法通过可调整的指标达到门槛")
            chosen[best[1]] = best[2]
        items = []
        for ind_id, (pts, changes, cur, req, _) in chosen.items():
            ind = by_id[ind_id]
            items.append(self.item(ind_id, ind.label, ind.reference, changes, cur, req, pts - points[ind_id]))
        return Plan("score", items)

    def checks_plan(self, route: str, checks: tuple[Check, ...], *, prerequisites: bool = False) -> Plan:
        items: list[Item] = []
        unknown: list[Node] | None = [] if prerequisites else None
        for ch in checks:
            fixed = self.fix_check(ch, unknown)
            if fixed is None:
                return Plan(route, feasible=False, reason=f"{ch.label}：无法通过调整数据满足")
            items += fixed
        missing = missing_inputs(self.a, self.row, self.c, unknown) if unknown else []
        return Plan(route, items, missing=missing)

    def plan(self, only_route: str | None = None) -> tuple[Plan, Plan | None]:
        """(the cheapest full plan, the nearest direct route as a full plan); ``only_route`` limits the
        routes considered to one (``score``, ``general`` or ``direct:<id>``) and gives no nearest route.

        Prerequisites that are unknown are listed in ``missing`` and not planned; the ones that fail are.
        """
        rb = self.c.rulebook
        base = self.checks_plan("prerequisites", rb.prerequisites, prerequisites=True)
        if not base.feasible:
            return base, None
        routes: list[Plan] = []
        direct_plans: list[Plan] = []
        route_ok = any(self.result(k) is True for k in ("score_ok", "general_ok", "direct_ok"))
        if rb.has_routes and not route_ok:
            if rb.score is not None and only_route in (None, "score"):
                routes.append(self.score_plan())
            if rb.general and only_route in (None, "general"):
                routes.append(self.checks_plan("general", rb.general))
            for d in rb.direct:
                if only_route in (None, f"direct:{d.id}"):
                    p = self.checks_plan(f"direct:{d.id}", (d,))
                    direct_plans.append(p)
                    routes.append(p)
        feasible = [r for r in routes if r.feasible]
        near = min((p for p in direct_plans if p.feasible), key=lambda p: p.cost, default=None)
        nearest = (
            Plan(near.route, base.items + near.items, missing=base.missing)
            if near is not None and only_route is None
            else None
        )
        if rb.has_routes and not route_ok:
            if not feasible:
                return Plan(
                    "none", feasible=False, reason="没有可行的认定路径", missing=base.missing
                ), nearest
            best = min(feasible, key=lambda p: p.cost)
            return Plan(best.route, base.items + best.items, missing=base.missing), nearest
        return base, nearest


def _true_test(fact: str) -> Any:
    from srdi.domain.rules.model import Test

    return Test("fact_is", fact=fact, value=True)


def threshold_fraction_dec(value: Any) -> Any:
    f = threshold_fraction(value)
    return Decimal(f.numerator) / Decimal(f.denominator)


def _fmt(value: Any) -> str:
    if value is None:
        return "未知"
    if isinstance(value, bool):
        return "是" if value else "否"
    return VALUE_LABELS.get(str(value), str(value))


def _projected(path: str, today: date) -> bool:
    """Whether ``path`` is a figure of a year not over on ``today`` (a projection until then)."""
    parts = path.split(".")
    if parts[0] == "financials" and len(parts) == 3:
        return int(parts[1]) >= today.year
    if parts[0] == "platform_scores" and len(parts) == 2:
        return int(parts[1]) > today.year
    return False


def project(
    profile: dict[str, Any], years: int, today: date, deadline: Callable[[int], date | None]
) -> dict[str, Any]:
    """The profile as it would stand ``years`` on if nothing changed: the figures of each year not yet over
    equal the last full year's, the platform score stays where it is, and each annual update whose deadline
    (``deadline(year)``) is still ahead is filed on it. Only what the profile does not already give is filled
    in; nothing before ``today`` is invented."""
    if years == 0:
        return profile
    out = dict(profile)
    last = today.year - 1
    financials = dict(out.get("financials") or {})
    if str(last) in financials:
        for y in range(last + 1, last + years + 1):
            financials.setdefault(str(y), dict(financials[str(last)]))
        out["financials"] = financials
    scores = dict(out.get("platform_scores") or {})
    if str(today.year) in scores:
        for y in range(today.year + 1, today.year + years + 1):
            scores.setdefault(str(y), scores[str(today.year)])
        out["platform_scores"] = scores
    if "data_updates" in out:
        done = {u.get("year") for u in out["data_updates"]}
        due = {y: deadline(y) for y in range(today.year, today.year + years + 1) if y not in done}
        out["data_updates"] = [
            *out["data_updates"],
            *(
                {"year": y, "updated_on": d.isoformat()}
                for y, d in due.items()
                if d is not None and d >= today
            ),
        ]
    return out


@dataclass
class _Judged:
    """One profile's row in an assessment."""

    assessment: Assessment
    index: int

    @property
    def row(self) -> dict[str, Any]:
        return self.assessment.row(self.index)

    def status(self, tier: str) -> Any:
        return self.row[self.assessment.compiled[tier].col("status")]


def _judge(profiles: list[Profile], as_of: date, like: Assessment, tiers: tuple[str, ...]) -> list[_Judged]:
    """Assess ``profiles`` on ``as_of`` the way ``like`` was assessed (purpose, overrides), each under the
    cohort routes that apply to it on that date, in one pass per route group."""
    tables = rows_from_profiles(profiles)
    out: dict[int, _Judged] = {}
    groups = route_groups(tables, as_of, like.purpose, like.library, tiers)
    for routes, eids in groups:
        group = assess(
            tables if len(groups) == 1 else rows_from_profiles([profiles[e] for e in eids]),
            as_of,
            tiers=tiers,
            library=like.library,
            purpose=like.purpose,
            routes=routes,
            overrides={t: o for t, o in like.overrides.items() if t in tiers},
        )
        for local, eid in enumerate(eids):
            out[eid] = _Judged(group, local)
    return [out[i] for i in range(len(profiles))]


@dataclass(frozen=True)
class _Source:
    """An enterprise's validated profile and its exchange-format record: what its candidates are built from."""

    profile: Profile
    record: dict[str, Any]

    def changed(self, record: dict[str, Any]) -> Profile:
        """``record`` (this record with some changes) as a profile; raises ``RecordError`` when invalid."""
        return parse_changed_profile(self.profile, self.record, record)


@dataclass
class _Attempt:
    """One plan (or nearest direct route) being verified for one enterprise and tier on one date."""

    kind: str  # plan: the record itself; nearest: its nearest_direct
    route: str | None  # re-planning stays on this route (None: any route)
    key: tuple[int, str]
    plan_route: str
    changes: list[Change]
    items: list[dict[str, Any]]
    missing: list[str]
    base: dict[str, Any]  # the record the changes apply to (the enterprise's own, or projected)
    source: _Source
    outcome: str = ""  # "" pending | done | failed
    feasible: bool | None = None
    reason: str = ""


def _needs_data_record(tier: str, missing: list[str]) -> dict[str, Any]:
    return {
        "tier": tier,
        "tier_label": TIER_LABELS[tier],
        "status": "needs_data",
        "feasible": None,
        "missing": list(missing),  # the tier result's own list stays its own
        "summary": f"需补充 {len(missing)} 项数据后才能判断：{'、'.join(missing[:8])}",
    }


def plan_gaps(profiles: list[Profile], assessment: Assessment) -> dict[int, list[dict[str, Any]]]:
    """Index → gap records for every tier each enterprise does not reach on the assessment's date.

    Plans are first sought for that date itself; what cannot be reached then is planned again for the same
    day of each of the next ``MAX_WAIT_YEARS`` years, on the projected profile, until a plan verifies."""
    today = assessment.as_of
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(profiles))}
    records: dict[tuple[int, str], dict[str, Any]] = {}
    todo: list[tuple[int, str]] = []
    for i in range(len(profiles)):
        row = assessment.row(i)
        for tier in assessment.compiled:
            status = row[assessment.compiled[tier].col("status")]
            if status == "eligible":
                continue
            if status == "needs_data":
                out[i].append(_needs_data_record(tier, tier_missing(assessment, tier, row)))
                continue
            records[(i, tier)] = {"tier": tier, "tier_label": TIER_LABELS[tier], "status": status}
            out[i].append(records[(i, tier)])
            todo.append((i, tier))
    if not todo:
        return out
    bases = {i: profiles[i].model_dump(mode="json", exclude_none=True) for i, _ in todo}
    sources = {i: _Source(profiles[i], bases[i]) for i in bases}
    deadline = partial(update_deadline, assessment.library.common)
    # A review is judged when the title expires: a plan that waits past it would be for a title already lost.
    max_wait = 0 if assessment.purpose == "review" else MAX_WAIT_YEARS
    reasons: dict[tuple[int, str], list[tuple[date, str]]] = {}

    def note(key: tuple[int, str], on: date, reason: str) -> None:
        reasons.setdefault(key, []).append((on, reason or "未能找到可行方案"))

    for wait in range(max_wait + 1):
        if not todo:
            break
        on = years_after(today, wait)
        ids = sorted({i for i, _ in todo})
        if wait == 0:
            judged = {i: _Judged(assessment, i) for i in ids}
            projected = bases
        else:
            projected = {i: project(bases[i], wait, today, deadline) for i in ids}
            try:
                rows = _judge(
                    [sources[i].changed(projected[i]) for i in ids],
                    on,
                    assessment,
                    _tiers(todo, assessment),
                )
            except (RecordError, RuleDataError) as exc:
                for key in todo:
                    note(key, on, f"无法评价：{exc}")
                break
            judged = dict(zip(ids, rows, strict=True))
        attempts: list[_Attempt] = []
        left: list[tuple[int, str]] = []
        for key in todo:
            i, tier = key
            j = judged[i]
            status = j.status(tier)
            if status == "eligible":  # only time had to pass
                _settle(records[key], j, tier, today, wait, _route_of(j, tier), [], [], [], True)
                continue
            if status == "needs_data":
                # Nothing fails on that date, only data is missing: waiting (with that data) is the plan.
                missing = tier_missing(j.assessment, tier, j.row)
                _settle(records[key], j, tier, today, wait, _route_of(j, tier), [], [], missing, None)
                continue
            plan, nearest = _Planner(j.assessment, j.index, tier, j.row, today).plan()
            if not plan.feasible:
                note(key, on, plan.reason)
                left.append(key)
                continue
            attempts.append(_attempt("plan", None, key, plan, projected[i], sources[i]))
            if nearest is not None:
                attempts.append(_attempt("nearest", nearest.route, key, nearest, projected[i], sources[i]))
        _verify(attempts, on, assessment, today)
        by_key = {a.key: a for a in attempts if a.kind == "plan"}
        for key, a in by_key.items():
            if a.outcome == "done":
                nearest_attempt = next((n for n in attempts if n.kind == "nearest" and n.key == key), None)
                j = judged[key[0]]
                _settle(
                    records[key],
                    j,
                    key[1],
                    today,
                    wait,
                    a.plan_route,
                    a.items,
                    a.changes,
                    a.missing,
                    a.feasible,
                )
                records[key]["nearest_direct"] = _nearest_json(nearest_attempt)
            else:
                note(key, on, a.reason)
                left.append(key)
        todo = left
    for key in todo:
        records[key].update(
            {
                "route": None,
                "items": [],
                "changes": [],
                "nearest_direct": None,
                "feasible": False,
                "reason": _reasons_text(reasons.get(key) or [(today, "")]),
            }
        )
    return out


def _reasons_text(found: list[tuple[date, str]]) -> str:
    """Why no date worked: each distinct reason once, with the dates it held for."""
    by_reason: dict[str, list[date]] = {}
    for on, reason in found:
        by_reason.setdefault(reason or "未能找到可行方案", []).append(on)
    return "；".join(
        f"{days[0]}{'' if len(days) == 1 else f'至{days[-1]}'}：{reason}"
        for reason, days in by_reason.items()
    )


def _tiers(todo: list[tuple[int, str]], assessment: Assessment) -> tuple[str, ...]:
    wanted = {t for _, t in todo}
    return tuple(t for t in assessment.compiled if t in wanted)


def _attempt(
    kind: str, route: str | None, key: tuple[int, str], plan: Plan, base: dict[str, Any], source: _Source
) -> _Attempt:
    items = [it.as_json() for it in plan.items]
    return _Attempt(kind, route, key, plan.route, plan.changes, items, plan.missing, base, source)


def _nearest_json(a: _Attempt | None) -> dict[str, Any] | None:
    if a is None or a.outcome != "done":
        return None
    out: dict[str, Any] = {"route": a.route, "items": a.items, "changes": [c.as_json() for c in a.changes]}
    if a.missing:
        out["missing"] = a.missing
    return out


def _settle(
    record: dict[str, Any],
    judged: _Judged,
    tier: str,
    today: date,
    wait: int,
    route: str | None,
    items: list[dict[str, Any]],
    changes: list[Change],
    missing: list[str],
    feasible: bool | None,
) -> None:
    """Fill a record with the verified plan and the date, figures' year and rulebook it was judged on."""
    a = judged.assessment
    on = a.as_of
    rulebook = a.compiled[tier].rulebook
    record.update(
        {
            "route": route,
            "items": items,
            "changes": [dict(c.as_json(), counts_from=on.isoformat()) for c in changes],
            "feasible": feasible,
            "assess_on": on.isoformat(),
            "figures_year": a.year,
            "wait_years": wait,
            "rulebook": {"id": rulebook.id, "title": rulebook.title, "document": rulebook.document},
            "nearest_direct": None,
        }
    )
    if wait:
        record["assumptions"] = [
            f"{today.year}–{a.year}年的经营数据按{today.year - 1}年实际数据持平预计（方案所列调整除外）",
            "每年按期完成培育平台年度数据更新",
        ]
    if missing:
        record["missing"] = missing
        record["reason"] = f"按方案调整后，还需补充 {len(missing)} 项数据才能判断"
    record["summary"] = _summary(record)
    if missing:
        record["summary"] += f"；另需补充数据：{'、'.join(missing[:8])}"


def _route_of(j: _Judged, tier: str) -> str:
    """The route by which a tier is reached without changes (score, direct …; prerequisites alone: none)."""
    route = j.row.get(j.assessment.compiled[tier].col("route"))
    return str(route) if route else "prerequisites"


def _verify(attempts: list[_Attempt], on: date, like: Assessment, today: date) -> None:
    """Apply each plan, re-assess in one batch per round, re-plan what is still short, mark the outcome.

    A plan is kept when the changed profile is eligible, or — when it lists missing data (unknown
    prerequisites) — when it is ``needs_data`` for no other reason than that data.
    """
    pending = list(attempts)
    for _ in range(MAX_ROUNDS):
        if not pending:
            return
        candidates, ready = [], []
        for a in pending:
            try:
                candidates.append(a.source.changed(apply_changes(a.base, a.changes)))
                ready.append(a)
            except RecordError as exc:
                a.outcome, a.reason = "failed", f"方案数据无效：{exc}"
        if not ready:
            return
        # Only the tiers being verified are evaluated (a tier's rules read facts, never another tier's result).
        judged = _judge(
            candidates, on, like, tuple(t for t in like.compiled if t in {a.key[1] for a in ready})
        )
        still = []
        for a, j in zip(ready, judged, strict=True):
            tier = a.key[1]
            status = j.status(tier)
            if status == "eligible":
                a.outcome, a.feasible = "done", True
                continue
            if status == "needs_data":
                left = tier_missing(j.assessment, tier, j.row)
                if a.missing and set(left) <= set(a.missing):
                    a.outcome, a.feasible = "done", None
                else:
                    a.outcome, a.reason = "failed", "方案执行后仍缺少数据"
                continue
            extra, _ = _Planner(j.assessment, j.index, tier, j.row, today).plan(only_route=a.route)
            if not extra.feasible or not extra.changes:
                a.outcome, a.reason = "failed", extra.reason or "未能找到可行方案"
                continue
            a.changes = merge_changes(a.changes + extra.changes)
            # Figures quoted by these items already include the plan's earlier changes: they say so.
            for it in extra.items:
                it.basis = "after_earlier_steps"
                a.items.append(it.as_json())
            still.append(a)
        pending = still
    for a in pending:
        a.outcome, a.reason = "failed", "多轮调整后仍未达到，需人工研判"


def _summary(record: dict[str, Any]) -> str:
    route = record.get("route") or "prerequisites"
    label = {"score": "评分/一般性条件路径", "general": "一般性条件路径", "prerequisites": "基本条件"}.get(
        route, f"直通条件 {route.removeprefix('direct:')}"
    )
    when = ""
    if record.get("wait_years"):
        when = (
            f"最早于{record['assess_on']}（以{record['figures_year']}年度数据，按{record['rulebook']['id']}）"
        )
    parts = [it["explanation"] for it in record["items"][:6]]
    if not parts:
        return f"{when}无需调整即可达到（时间条件届满）" if when else "无需调整"
    return f"{when}按{label}，需：" + "；".join(parts)
