"""Loading rulebooks, measures and common parameters from YAML, strictly.

Use ``load_library()`` to get every shipped rulebook (cached), and ``Library.for_tier(tier, day)`` to pick the
rulebook in force. Any unknown key, missing reference, unknown measure/fact/parameter, a list fact without the
parameters that define it, a parameter that nothing reads, a duplicate rulebook id, ``valid.to`` before
``valid.from``, a parameter without a value on some day of its rulebook's validity, or overlapping validity of
two rulebooks for one tier raises ``RuleDataError`` naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from srdi.domain.lifecycle import LifecycleRules, rules_from
from srdi.domain.rules.facts import LIST_FACT_PARAM_UNITS, LIST_FACTS
from srdi.domain.rules.model import (
    OPERATORS,
    PURPOSES,
    Band,
    Check,
    Cohort,
    Group,
    Indicator,
    LadderStep,
    Measure,
    Rulebook,
    Score,
    Test,
    Transition,
)
from srdi.domain.rules.parameters import (
    STATUSES,
    Parameter,
    RuleDataError,
    first_uncovered,
    load_parameters,
)
from srdi.domain.rules.yaml_data import checked_keys, read_mapping

# Facts the rules may read directly (columns of the facts frame).
FACTS = frozenset(
    {
        "is_sme",
        "c_major_accident_3y",
        "c_dishonest",
        "c_abnormal_operation",
        "c_restricted_products",
        "c_bank_rating_ok",
        "sci_award_3y",
        "sci_award_provincial_ranked_3y",
        "sci_award_national_ranked_3y",
        "maker_contest_3y",
        "direct_title_valid",
        "rd_institution_level",
        "mp_strategic_emerging",
        "mp_chain_role",
        "mp_pin_field",
        "info_system_core_business",
        "management_or_foreign_product_cert",
        "international_cert",
        "q_provincial_quality_award",
        "q_qms_certified",
        "q_own_brand",
        "q_drafted_standards",
        "digital_level",
        "registered_in_zhejiang",
        "cert_valid_innovative_sme",
        "cert_valid_srdi_sme",
        "cert_valid_hidden_champion",
        "cert_valid_little_giant",
        # v1.1 (rules in force since 2026)
        "cert_valid_tech_sme",
        "tier1_title_valid",
        "ip_class1_items_enough",
        "invention_items_enough",
        "excluding_title_valid",
        "group_has_little_giant",
        "fraud_ban_active",
    }
)
TIERS = ("innovative_sme", "srdi_sme", "hidden_champion", "little_giant")
# Common parameters the engine itself reads (compile.py: band tables; facts.py: default certification term;
# srdi.domain.lifecycle: annual updates, cancellations and fraud bans).
ENGINE_PARAMETERS = frozenset(
    {
        "band_boundaries_inclusive",
        "title_validity_years",
        "annual_update_deadline",
        "update_misses_to_cancel",
        "update_cancellation_tiers",
        "fraud_ban_years",
    }
)
MEASURE_KINDS = ("value", "ratio", "growth", "mean_growth", "mean", "sum", "cagr")


def load_measures(source: str, raw: dict[str, Any]) -> dict[str, Measure]:
    """The ``measures:`` mapping."""
    checked_keys(source, "(文件)", raw, {"measures"}, {"measures"})
    out = {}
    for mid, spec in raw["measures"].items():
        key = f"measures.{mid}"
        spec = checked_keys(
            source, key, spec, {"label", "unit", "lower_bound_flag", *MEASURE_KINDS}, {"label", "unit"}
        )
        kinds = [k for k in MEASURE_KINDS if k in spec]
        if len(kinds) != 1:
            raise RuleDataError(source, key, f"须且只须指定一种计算方式：{', '.join(MEASURE_KINDS)}")
        kind = kinds[0]
        body = spec[kind]
        if kind == "value":
            inputs: tuple[str, ...] = (str(body),)
        elif kind == "ratio":
            body = checked_keys(source, f"{key}.ratio", body, {"num", "den"}, {"num", "den"})
            inputs = (body["num"], body["den"])
        elif kind == "growth":
            body = checked_keys(
                source, f"{key}.growth", body, {"current", "previous"}, {"current", "previous"}
            )
            inputs = (body["current"], body["previous"])
        elif kind == "cagr":
            body = checked_keys(
                source, f"{key}.cagr", body, {"first", "last", "years"}, {"first", "last", "years"}
            )
            if not isinstance(body["years"], int) or isinstance(body["years"], bool) or body["years"] < 1:
                raise RuleDataError(source, f"{key}.cagr.years", "应为正整数（复合增长的年数）")
            inputs = (body["last"], body["first"])
        else:
            if not isinstance(body, list) or len(body) < 2:
                raise RuleDataError(source, f"{key}.{kind}", "应为至少两个输入的列表")
            if kind == "mean_growth" and len(body) != 3:
                raise RuleDataError(source, f"{key}.{kind}", "近2年平均增长率需要三个年度（由远及近）")
            inputs = tuple(str(x) for x in body)
        out[mid] = Measure(
            mid,
            str(spec["label"]),
            str(spec["unit"]),
            kind,
            inputs,
            str(spec.get("lower_bound_flag", "")),
            int(body["years"]) if kind == "cagr" else 0,
        )
    return out


@dataclass
class _Ctx:
    source: str
    params: dict[str, Parameter]
    measures: dict[str, Measure]


def _param_ref(ctx: _Ctx, key: str, pid: Any) -> str:
    if not isinstance(pid, str) or pid not in ctx.params:
        raise RuleDataError(ctx.source, key, f"引用了未定义的参数 {pid!r}")
    return pid


def _fact_ref(ctx: _Ctx, key: str, fact: Any) -> str:
    """A known fact; a list fact also needs the parameters that define it, with the right units."""
    if fact not in FACTS:
        raise RuleDataError(ctx.source, key, f"未知事实 {fact!r}")
    for pid in LIST_FACTS[fact].params if fact in LIST_FACTS else ():
        unit = LIST_FACT_PARAM_UNITS[pid]
        if pid not in ctx.params:
            raise RuleDataError(
                ctx.source, key, f"事实 {fact} 由参数 {pid}（单位 {unit}）定义，本规则库未定义该参数"
            )
        if ctx.params[pid].unit != unit:
            raise RuleDataError(
                ctx.source,
                f"parameters.{pid}.unit",
                f"事实 {fact} 要求单位 {unit}，实际为 {ctx.params[pid].unit}",
            )
    return str(fact)


def parse_test(ctx: _Ctx, key: str, raw: Any) -> Test:
    """A test node from YAML."""
    if not isinstance(raw, dict):
        raise RuleDataError(ctx.source, key, "条件应为映射")
    enabled_by = raw.get("enabled_by", "")
    if enabled_by:
        _param_ref(ctx, f"{key}.enabled_by", enabled_by)
    if "all" in raw or "any" in raw:
        kind = "all" if "all" in raw else "any"
        checked_keys(ctx.source, key, raw, {kind, "enabled_by"})
        children = raw[kind]
        if not isinstance(children, list) or not children:
            raise RuleDataError(ctx.source, f"{key}.{kind}", "应为非空列表")
        return Test(
            kind,
            children=tuple(parse_test(ctx, f"{key}.{kind}[{i}]", c) for i, c in enumerate(children)),
            enabled_by=enabled_by,
        )
    if "measure" in raw:
        ops = [op for op in OPERATORS if op in raw]
        checked_keys(ctx.source, key, raw, {"measure", "enabled_by", *OPERATORS})
        if len(ops) != 1:
            raise RuleDataError(ctx.source, key, f"比较条件须且只须有一个运算符：{', '.join(OPERATORS)}")
        measure = raw["measure"]
        if measure not in ctx.measures:
            raise RuleDataError(ctx.source, f"{key}.measure", f"未定义的度量 {measure!r}")
        return Test(
            "compare",
            measure=measure,
            op=ops[0],
            param=_param_ref(ctx, f"{key}.{ops[0]}", raw[ops[0]]),
            enabled_by=enabled_by,
        )
    if "fact" in raw:
        fact = _fact_ref(ctx, f"{key}.fact", raw["fact"])
        if "is" in raw:
            checked_keys(ctx.source, key, raw, {"fact", "is", "enabled_by"})
            if not isinstance(raw["is"], bool):
                raise RuleDataError(ctx.source, f"{key}.is", "应为 true 或 false")
            return Test("fact_is", fact=fact, value=raw["is"], enabled_by=enabled_by)
        checked_keys(ctx.source, key, raw, {"fact", "in", "enabled_by"}, {"in"})
        return Test(
            "fact_in", fact=fact, param=_param_ref(ctx, f"{key}.in", raw["in"]), enabled_by=enabled_by
        )
    raise RuleDataError(ctx.source, key, "条件须为 measure 比较、fact 判断或 all/any 组合")


CHECK_KEYS = {"id", "label", "reference", "test", "enabled_by", "dimension", "note", "purposes", "parameters"}


def _purposes(source: str, key: str, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return PURPOSES
    if not isinstance(raw, list) or not raw or any(p not in PURPOSES for p in raw):
        raise RuleDataError(source, key, f"应为非空列表，取值为 {', '.join(PURPOSES)}")
    return tuple(raw)


def _checks(ctx: _Ctx, section: str, raw: Any, seen: set[str]) -> tuple[Check, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleDataError(ctx.source, section, "应为列表")
    out = []
    for i, item in enumerate(raw):
        key = f"{section}[{i}]"
        required = {"id", "label", "reference"} | ({"test"} if section != "manual" else set())
        item = checked_keys(ctx.source, key, item, CHECK_KEYS, required)
        cid = str(item["id"])
        if cid in seen:
            raise RuleDataError(ctx.source, f"{key}.id", f"编号 {cid} 重复")
        seen.add(cid)
        if item.get("enabled_by"):
            _param_ref(ctx, f"{key}.enabled_by", item["enabled_by"])
        test = parse_test(ctx, f"{key}.test", item["test"]) if section != "manual" else None
        if "parameters" in item and section != "manual":
            raise RuleDataError(
                ctx.source, f"{key}.parameters", "只有人工核查项可以列出参数（其余条件由 test 读取参数）"
            )
        cited = tuple(_param_ref(ctx, f"{key}.parameters", pid) for pid in item.get("parameters") or ())
        out.append(
            Check(
                cid,
                str(item["label"]),
                str(item["reference"]),
                section.rstrip("s") if section == "prerequisites" else section,
                test,
                str(item.get("enabled_by", "")),
                str(item.get("dimension", "")),
                str(item.get("note", "")),
                _purposes(ctx.source, f"{key}.purposes", item.get("purposes")),
                cited,
            )
        )
    return tuple(out)


INDICATOR_KINDS = ("bands", "ladder", "map", "per_item", "step", "input", "best_of")


def _indicator(ctx: _Ctx, key: str, raw: Any, groups: set[str]) -> Indicator:
    raw = checked_keys(
        ctx.source,
        key,
        raw,
        {"id", "label", "group", "reference", "max_points", "dimension", *INDICATOR_KINDS},
        {"id", "label", "group", "reference", "max_points"},
    )
    if raw["group"] not in groups:
        raise RuleDataError(ctx.source, f"{key}.group", f"未定义的分组 {raw['group']!r}")
    kinds = [k for k in INDICATOR_KINDS if k in raw]
    if len(kinds) != 1:
        raise RuleDataError(ctx.source, key, f"须且只须指定一种计分方式：{', '.join(INDICATOR_KINDS)}")
    kind = kinds[0]
    body = raw[kind]
    base = {
        "id": str(raw["id"]),
        "label": str(raw["label"]),
        "group": raw["group"],
        "reference": str(raw["reference"]),
        "max_points": int(raw["max_points"]),
        "kind": kind,
        "dimension": str(raw.get("dimension", "")),
    }

    def band(k: str, b: Any) -> Band:
        b = checked_keys(ctx.source, k, b, {"measure", "param"}, {"measure", "param"})
        if b["measure"] not in ctx.measures:
            raise RuleDataError(ctx.source, f"{k}.measure", f"未定义的度量 {b['measure']!r}")
        return Band(b["measure"], _param_ref(ctx, f"{k}.param", b["param"]))

    if kind == "bands":
        return Indicator(**base, bands=(band(f"{key}.bands", body),))
    if kind == "best_of":
        if not isinstance(body, list) or len(body) < 2:
            raise RuleDataError(ctx.source, f"{key}.best_of", "应为至少两个分档来源的列表")
        return Indicator(**base, bands=tuple(band(f"{key}.best_of[{i}]", b) for i, b in enumerate(body)))
    if kind == "ladder":
        body = checked_keys(
            ctx.source,
            f"{key}.ladder",
            body,
            {"param", "steps", "otherwise"},
            {"param", "steps", "otherwise"},
        )
        steps = []
        for i, s in enumerate(body["steps"]):
            s = checked_keys(
                ctx.source, f"{key}.ladder.steps[{i}]", s, {"key", "label", "test"}, {"key", "label", "test"}
            )
            steps.append(
                LadderStep(
                    str(s["key"]),
                    str(s["label"]),
                    parse_test(ctx, f"{key}.ladder.steps[{i}].test", s["test"]),
                )
            )
        return Indicator(
            **base,
            ladder_param=_param_ref(ctx, f"{key}.ladder.param", body["param"]),
            ladder_steps=tuple(steps),
            ladder_otherwise=str(body["otherwise"]),
        )
    if kind == "map":
        body = checked_keys(ctx.source, f"{key}.map", body, {"fact", "param"}, {"fact", "param"})
        _fact_ref(ctx, f"{key}.map.fact", body["fact"])
        return Indicator(**base, fact=body["fact"], param=_param_ref(ctx, f"{key}.map.param", body["param"]))
    if kind == "per_item":
        body = checked_keys(
            ctx.source, f"{key}.per_item", body, {"facts", "points", "cap"}, {"facts", "points", "cap"}
        )
        for f in body["facts"]:
            _fact_ref(ctx, f"{key}.per_item.facts", f)
        return Indicator(
            **base,
            facts=tuple(body["facts"]),
            param=_param_ref(ctx, f"{key}.per_item.points", body["points"]),
            cap_param=_param_ref(ctx, f"{key}.per_item.cap", body["cap"]),
        )
    if kind == "step":
        body = checked_keys(
            ctx.source, f"{key}.step", body, {"measure", "step", "cap"}, {"measure", "step", "cap"}
        )
        if body["measure"] not in ctx.measures:
            raise RuleDataError(ctx.source, f"{key}.step.measure", f"未定义的度量 {body['measure']!r}")
        return Indicator(
            **base,
            measure=body["measure"],
            step_param=_param_ref(ctx, f"{key}.step.step", body["step"]),
            cap_param=_param_ref(ctx, f"{key}.step.cap", body["cap"]),
        )
    body = checked_keys(ctx.source, f"{key}.input", body, {"measure", "max"}, {"measure", "max"})
    if body["measure"] not in ctx.measures:
        raise RuleDataError(ctx.source, f"{key}.input.measure", f"未定义的度量 {body['measure']!r}")
    return Indicator(
        **base, measure=body["measure"], max_param=_param_ref(ctx, f"{key}.input.max", body["max"])
    )


def _score(ctx: _Ctx, raw: Any) -> Score | None:
    if raw is None:
        return None
    raw = checked_keys(
        ctx.source, "score", raw, {"total_min", "groups", "indicators"}, {"total_min", "groups", "indicators"}
    )
    groups = []
    for gid, g in raw["groups"].items():
        g = checked_keys(ctx.source, f"score.groups.{gid}", g, {"label", "max", "min"}, {"label", "max"})
        groups.append(
            Group(
                gid,
                str(g["label"]),
                int(g["max"]),
                _param_ref(ctx, f"score.groups.{gid}.min", g["min"]) if g.get("min") else "",
            )
        )
    names = {g.id for g in groups}
    indicators = tuple(
        _indicator(ctx, f"score.indicators[{i}]", ind, names) for i, ind in enumerate(raw["indicators"])
    )
    ids = [i.id for i in indicators]
    if len(set(ids)) != len(ids):
        raise RuleDataError(ctx.source, "score.indicators", "指标编号重复")
    for g in groups:
        total = sum(i.max_points for i in indicators if i.group == g.id)
        if total != g.max:
            raise RuleDataError(
                ctx.source, f"score.groups.{g.id}.max", f"分组满分 {g.max} 与指标满分合计 {total} 不符"
            )
    return Score(_param_ref(ctx, "score.total_min", raw["total_min"]), tuple(groups), indicators)


RULEBOOK_KEYS = {
    "rulebook",
    "tier",
    "title",
    "document",
    "valid",
    "summary",
    "parameters",
    "prerequisites",
    "score",
    "general",
    "direct",
    "manual",
    "transitions",
}
TRANSITION_KEYS = {"from", "to", "reference", "status", "purposes", "cohort", "note"}


def _transitions(source: str, raw: Any) -> tuple[Transition, ...]:
    """``transitions:`` — dated entries that keep a rulebook in force after its own validity (for a purpose, and
    optionally for a cohort of title holders only)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleDataError(source, "transitions", "应为列表")
    out = []
    for i, item in enumerate(raw):
        key = f"transitions[{i}]"
        item = checked_keys(source, key, item, TRANSITION_KEYS, {"from", "reference"})
        start = _date(source, f"{key}.from", item["from"])
        end = None if item.get("to") is None else _date(source, f"{key}.to", item["to"])
        if end is not None and end < start:
            raise RuleDataError(source, f"{key}.to", f"结束日期 {end} 早于开始日期 {start}")
        status = str(item.get("status", "official"))
        if status not in STATUSES:
            raise RuleDataError(source, f"{key}.status", f"未知状态 {status!r}，可选 {', '.join(STATUSES)}")
        cohort = None
        if item.get("cohort") is not None:
            c = checked_keys(
                source, f"{key}.cohort", item["cohort"], {"tier", "recognized"}, {"tier", "recognized"}
            )
            span = checked_keys(
                source, f"{key}.cohort.recognized", c["recognized"], {"from", "to"}, {"from", "to"}
            )
            if c["tier"] not in TIERS:
                raise RuleDataError(source, f"{key}.cohort.tier", f"未知层级 {c['tier']!r}")
            cohort = Cohort(
                c["tier"],
                _date(source, f"{key}.cohort.recognized.from", span["from"]),
                _date(source, f"{key}.cohort.recognized.to", span["to"]),
            )
        out.append(
            Transition(
                start,
                end,
                str(item["reference"]),
                status,
                _purposes(source, f"{key}.purposes", item.get("purposes")),
                cohort,
                str(item.get("note", "")),
            )
        )
    return tuple(out)


def load_rulebook(
    source: str, raw: dict[str, Any], common: dict[str, Parameter], measures: dict[str, Measure]
) -> Rulebook:
    """One rulebook file."""
    raw = checked_keys(
        source, "(文件)", raw, RULEBOOK_KEYS, {"rulebook", "tier", "title", "document", "valid"}
    )
    if raw["tier"] not in TIERS:
        raise RuleDataError(source, "tier", f"未知层级 {raw['tier']!r}")
    valid = checked_keys(source, "valid", raw["valid"], {"from", "to"}, {"from"})
    own = load_parameters(source, raw.get("parameters"))
    clash = set(own) & set(common)
    if clash:
        raise RuleDataError(source, f"parameters.{sorted(clash)[0]}", "与公共参数重名")
    ctx = _Ctx(source, {**common, **own}, measures)
    seen: set[str] = set()
    prereq = _checks(ctx, "prerequisites", raw.get("prerequisites"), seen)
    general = _checks(ctx, "general", raw.get("general"), seen)
    direct = _checks(ctx, "direct", raw.get("direct"), seen)
    manual = _checks(ctx, "manual", raw.get("manual"), seen)
    score = _score(ctx, raw.get("score"))
    start = _date(source, "valid.from", valid["from"])
    end = None if valid.get("to") is None else _date(source, "valid.to", valid["to"])
    if end is not None and end < start:
        raise RuleDataError(source, "valid.to", f"失效日期 {end} 早于生效日期 {start}")
    transitions = _transitions(source, raw.get("transitions"))
    ends = [end, *(t.end for t in transitions)]
    last = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    for pid, param in own.items():
        gap = first_uncovered(param.periods, start, last)
        if gap is not None:
            raise RuleDataError(
                source,
                f"{pid}.values",
                f"规则库有效期（含过渡期） {_span(start, last)} 内，{gap} 起没有有效取值",
            )
    rulebook = Rulebook(
        id=str(raw["rulebook"]),
        tier=raw["tier"],
        title=str(raw["title"]),
        document=str(raw["document"]),
        valid_from=start,
        valid_to=end,
        summary=str(raw.get("summary", "")).strip(),
        source=source,
        parameters=ctx.params,
        prerequisites=prereq,
        score=score,
        general=general,
        direct=direct,
        manual=manual,
        transitions=transitions,
    )
    used = parameters_used(rulebook)
    for pid in own:
        if pid not in used:
            raise RuleDataError(source, pid, "参数未被任何条件、指标或事实读取，设置它不会产生任何效果")
    return rulebook


def _date(source: str, key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RuleDataError(source, key, f"日期格式应为 YYYY-MM-DD，实际为 {value!r}") from None


def _span(start: date, end: date | None) -> str:
    return f"{start}–{end or '（长期）'}"


def parameters_used(rb: Rulebook) -> set[str]:
    """Every parameter a test, check, indicator, group, total or list fact of the rulebook reads."""
    out: set[str] = set()
    tests = [c.test for c in (*rb.checks, *rb.manual) if c.test is not None]
    out.update(c.enabled_by for c in (*rb.checks, *rb.manual) if c.enabled_by)
    out.update(pid for c in rb.manual for pid in c.parameters)
    if rb.score is not None:
        out.add(rb.score.total_min_param)
        out.update(g.min_param for g in rb.score.groups if g.min_param)
        for ind in rb.score.indicators:
            out.update(b.param for b in ind.bands)
            out.update(
                x for x in (ind.ladder_param, ind.param, ind.step_param, ind.cap_param, ind.max_param) if x
            )
            tests += [s.test for s in ind.ladder_steps]

    def walk(t: Test) -> None:
        out.update(x for x in (t.param, t.enabled_by) if x)
        for child in t.children:
            walk(child)

    for t in tests:
        walk(t)
    for fact in rb.facts_used() & set(LIST_FACTS):
        out.update(LIST_FACTS[fact].params)
    return out


@dataclass(frozen=True)
class Library:
    """Every rulebook plus the shared measures and common parameters."""

    rulebooks: tuple[Rulebook, ...]
    measures: dict[str, Measure]
    common: dict[str, Parameter]

    def for_tier(self, tier: str, day: date, purpose: str = "application") -> Rulebook | None:
        """The rulebook in force for a tier on a day: its own validity first, else a transition entry."""
        for rb in self.rulebooks:
            if rb.tier == tier and rb.valid_on(day):
                return rb
        for rb in self.rulebooks:
            if rb.tier == tier and rb.transition_on(day, purpose) is not None:
                return rb
        return None

    def cohort_routes(self, tier: str, day: date, purpose: str) -> list[tuple[Transition, Rulebook]]:
        """Rulebooks kept in force on ``day`` for a cohort only (e.g. the 2026 review of the 2023 小巨人)."""
        return [(t, rb) for rb in self.rulebooks if rb.tier == tier for t in rb.cohort_routes(day, purpose)]

    def by_id(self, rulebook_id: str) -> Rulebook:
        return next(rb for rb in self.rulebooks if rb.id == rulebook_id)

    def lifecycle(self, day: date) -> LifecycleRules:
        """The lifecycle rules for judging ``day`` (the annual-update deadlines passed by then, cancellations,
        fraud bans)."""
        return _lifecycle(self, day)

    def in_force(self, day: date, purpose: str = "application") -> dict[str, Rulebook]:
        """Tier → rulebook in force on ``day`` (tiers without one are absent)."""
        out = {}
        for tier in TIERS:
            rb = self.for_tier(tier, day, purpose)
            if rb is not None:
                out[tier] = rb
        return out


def load_library_from(root: Path | Any, label: str = "rulebooks") -> Library:
    """Load every rulebook under a directory (``common.yaml``, ``measures.yaml`` and sub-folders)."""
    common_src = f"{label}/common.yaml"
    common_raw = read_mapping(root / "common.yaml", common_src)
    checked_keys(common_src, "(文件)", common_raw, {"parameters"}, {"parameters"})
    common = load_parameters(common_src, common_raw["parameters"])
    measures = load_measures(
        f"{label}/measures.yaml", read_mapping(root / "measures.yaml", f"{label}/measures.yaml")
    )
    books = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in ("cases", "__pycache__")):
        for file in sorted(f for f in folder.iterdir() if f.name.endswith(".yaml")):
            source = f"{label}/{folder.name}/{file.name}"
            books.append(load_rulebook(source, read_mapping(file, source), common, measures))
    read = set(ENGINE_PARAMETERS).union(*(parameters_used(b) for b in books))
    for pid in common:
        if pid not in read:
            raise RuleDataError(common_src, pid, "公共参数未被引擎或任何规则库读取，设置它不会产生任何效果")
    seen: dict[str, Rulebook] = {}
    for b in books:
        if b.id in seen:
            raise RuleDataError(
                b.source,
                "rulebook",
                f"规则库编号 {b.id} 与 {seen[b.id].source} 重复（每个规则库须有唯一编号）",
            )
        seen[b.id] = b
        for pid, param in common.items():
            gap = first_uncovered(param.periods, b.valid_from, b.last_day())
            if gap is not None:
                raise RuleDataError(
                    common_src,
                    f"{pid}.values",
                    f"未覆盖规则库 {b.id}（{b.source}）的有效期 {_span(b.valid_from, b.valid_to)}：{gap} 起没有有效取值",
                )
    for i, a in enumerate(books):
        for b in books[i + 1 :]:
            if a.tier != b.tier:
                continue
            # Own validities, and transitions without a cohort, may not overlap (cohort routes are meant to).
            for x, y in ((a, b), (b, a)):
                spans = [(x.valid_from, x.valid_to, "valid")] + [
                    (t.start, t.end, "transitions") for t in x.transitions if t.cohort is None
                ]
                for start, end, where in spans:
                    if start <= (y.valid_to or date.max) and y.valid_from <= (end or date.max):
                        raise RuleDataError(
                            x.source, where, f"与 {y.source} 的有效期重叠（同一层级同一时间只能有一个规则库）"
                        )
    return Library(tuple(books), measures, common)


_LIFECYCLE: dict[tuple[int, date], LifecycleRules] = {}


def _lifecycle(library: Library, day: date) -> LifecycleRules:
    key = (id(library), day)
    if key not in _LIFECYCLE:
        if len(_LIFECYCLE) > 512:  # one entry per day judged: bounded
            _LIFECYCLE.clear()
        _LIFECYCLE[key] = rules_from(library.common, day)
    return _LIFECYCLE[key]


@cache
def load_library() -> Library:
    """The shipped rulebooks (cached)."""
    return load_library_from(resources.files("srdi.rulebooks"))
