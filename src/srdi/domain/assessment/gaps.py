"""Gaps: for a tier an enterprise does not reach, the smallest changes that would get it there.

Use ``plan_gaps(profiles, assessment)``. For each ineligible tier it finds, per route (the score or general
route, and each direct condition), the failing criteria and the levers that fix them — for scored tiers a
greedy choice of band upgrades by points gained per unit of change ("研发投入强度 2.60% → 3.00%：+5 分") —
picks the cheapest route, applies the plan to a copy of the profile and re-assesses all plans in one batch.
Interactions (raising revenue lowers R&D intensity …) are resolved by planning again from the new result, up
to a few rounds; a plan is reported as feasible only when the engine itself says the changed profile is
eligible, so applying ``changes`` always works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from srdi.domain.assessment.levers import Change, Levers, numeric_cost, threshold_fraction
from srdi.domain.exchange import Profile, RecordError, parse_profile
from srdi.domain.reference import TIERS as TIER_LABELS
from srdi.domain.rules.compile import Compiled, Node
from srdi.domain.rules.engine import Assessment, assess
from srdi.domain.rules.explain import VALUE_LABELS, display, exact, input_path, missing_inputs, tier_result
from srdi.domain.rules.model import OPERATORS, Check, Indicator
from srdi.domain.tables import tables_from_profiles

MAX_ROUNDS = 6
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

    def as_json(self) -> dict[str, Any]:
        text = self.label
        if self.current or self.required:
            text += f" {self.current} → {self.required}"
        if self.points:
            text += f"：+{self.points} 分"
        return {
            "criterion": self.criterion,
            "label": self.label,
            "reference": self.reference,
            "current": self.current,
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
            if all(a.field != c.field or a.to != c.to for a in appends):
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
            out[c.field] = Change(c.field, prev.old, winner.to, c.op, max(c.cost, prev.cost), c.kind)
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
    """Plans one tier for one row."""

    def __init__(self, a: Assessment, index: int, tier: str, row: dict[str, Any]):
        self.a = a
        self.row = row
        self.c: Compiled = a.compiled[tier]
        self.tier = tier
        self.levers = Levers(row, self.c, a.library.measures, a.as_of, a.facts.year)

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
            op = t.op
            return Item(
                check.id,
                m.label if len(check.label) > 40 else check.label,
                check.reference,
                changes,
                display(value, m.unit),
                f"{OPERATORS[op]} {display(threshold_fraction_dec(p.value), m.unit)}",
            )
        return Item(
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
            items.append(Item(ind_id, ind.label, ind.reference, changes, cur, req, pts - points[ind_id]))
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
    from decimal import Decimal

    f = threshold_fraction(value)
    return Decimal(f.numerator) / Decimal(f.denominator)


def _fmt(value: Any) -> str:
    if value is None:
        return "未知"
    if isinstance(value, bool):
        return "是" if value else "否"
    return VALUE_LABELS.get(str(value), str(value))


def plan_gaps(profiles: list[Profile], assessment: Assessment) -> dict[int, list[dict[str, Any]]]:
    """Index → gap records for every tier each enterprise does not reach."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(profiles))}
    pending: list[dict[str, Any]] = []
    for i, profile in enumerate(profiles):
        row = assessment.row(i)
        base: dict[str, Any] | None = None
        for tier in assessment.compiled:
            status = row[assessment.compiled[tier].col("status")]
            if status == "eligible":
                continue
            if status == "needs_data":
                missing = tier_result(assessment, i, tier, row)["missing"]
                out[i].append(
                    {
                        "tier": tier,
                        "tier_label": TIER_LABELS[tier],
                        "status": status,
                        "feasible": None,
                        "missing": missing,
                        "summary": f"需补充 {len(missing)} 项数据后才能判断：{'、'.join(missing[:8])}",
                    }
                )
                continue
            plan, nearest = _Planner(assessment, i, tier, row).plan()
            record: dict[str, Any] = {
                "tier": tier,
                "tier_label": TIER_LABELS[tier],
                "status": status,
                "route": plan.route,
                "items": [it.as_json() for it in plan.items],
                "nearest_direct": None,
            }
            if plan.missing:
                record["missing"] = plan.missing
            out[i].append(record)
            base = base or profile.model_dump(mode="json", exclude_none=True)
            if plan.feasible:
                pending.append(_pending("plan", None, tier, record, plan, base))
            else:
                record.update({"feasible": False, "reason": plan.reason, "changes": []})
            if nearest is not None:
                # Verified like the main plan; dropped (None) when it does not verify.
                pending.append(_pending("nearest", nearest.route, tier, record, nearest, base))
    _verify(pending, assessment)
    return out


def _pending(
    kind: str, route: str | None, tier: str, record: dict[str, Any], plan: Plan, base: Any
) -> dict[str, Any]:
    return {
        "kind": kind,  # plan: the record itself; nearest: its nearest_direct
        "route": route,  # re-planning stays on this route (None: any route)
        "tier": tier,
        "record": record,
        "changes": plan.changes,
        "items": [it.as_json() for it in plan.items],
        "missing": plan.missing,
        "base": base,
    }


def _done(p: dict[str, Any], feasible: bool | None) -> None:
    """A plan verified by re-assessment: eligible, or (``feasible`` None) short only of the missing data."""
    changes = [c.as_json() for c in p["changes"]]
    record = p["record"]
    if p["kind"] == "nearest":
        nearest = {"route": p["route"], "items": p["items"], "changes": changes}
        if p["missing"]:
            nearest["missing"] = p["missing"]
        record["nearest_direct"] = nearest
        return
    record.update({"feasible": feasible, "changes": changes, "summary": _summary(record)})
    if feasible is None:
        record["reason"] = f"按方案调整后，还需补充 {len(p['missing'])} 项数据才能判断"
        record["summary"] += f"；另需补充数据：{'、'.join(p['missing'][:8])}"


def _failed(p: dict[str, Any], reason: str) -> None:
    if p["kind"] == "nearest":
        p["record"]["nearest_direct"] = None
    else:
        p["record"].update({"feasible": False, "reason": reason, "changes": []})


def _verify(pending: list[dict[str, Any]], assessment: Assessment) -> None:
    """Apply each plan, re-assess in one batch per round, re-plan what is still short, mark the result.

    A plan is kept when the changed profile is eligible, or — when the record lists missing data (unknown
    prerequisites) — when it is ``needs_data`` for no other reason than that data.
    """
    as_of = assessment.as_of
    for _ in range(MAX_ROUNDS):
        if not pending:
            return
        candidates = []
        for p in pending:
            try:
                candidates.append(parse_profile(apply_changes(p["base"], p["changes"])))
            except RecordError as exc:
                _failed(p, f"方案数据无效：{exc}")
                p["failed"] = True
        pending = [p for p in pending if not p.get("failed")]
        if not pending:
            return
        # Only the tiers being verified are evaluated (a tier's rules read facts, never another tier's result).
        wanted = {p["tier"] for p in pending}
        round_assessment = assess(
            tables_from_profiles(candidates),
            as_of,
            tiers=tuple(t for t in assessment.compiled if t in wanted),
            library=assessment.library,
        )
        still = []
        for k, p in enumerate(pending):
            row = round_assessment.row(k)
            status = row[round_assessment.compiled[p["tier"]].col("status")]
            if status == "eligible":
                _done(p, True)
                continue
            if status == "needs_data":
                left = tier_result(round_assessment, k, p["tier"], row)["missing"]
                if p["missing"] and set(left) <= set(p["missing"]):
                    _done(p, None)
                else:
                    _failed(p, "方案执行后仍缺少数据")
                continue
            extra, _ = _Planner(round_assessment, k, p["tier"], row).plan(only_route=p["route"])
            if not extra.feasible or not extra.changes:
                _failed(p, extra.reason or "未能找到可行方案")
                continue
            p["changes"] = merge_changes(p["changes"] + extra.changes)
            p["items"] += [it.as_json() for it in extra.items]
            if p["kind"] == "plan":
                p["record"]["items"] = p["items"]
            still.append(p)
        pending = still
    for p in pending:
        _failed(p, "多轮调整后仍未达到，需人工研判")


def _summary(record: dict[str, Any]) -> str:
    route = {"score": "评分/一般性条件路径", "general": "一般性条件路径", "prerequisites": "基本条件"}.get(
        record["route"], f"直通条件 {record['route'].removeprefix('direct:')}"
    )
    parts = [it["explanation"] for it in record["items"][:6]]
    return f"按{route}，需：" + "；".join(parts) if parts else f"按{route}"
