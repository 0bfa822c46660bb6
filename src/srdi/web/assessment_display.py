"""Turning one enterprise's assessment result into what the enterprise page shows.

Use ``assessment_view(enterprise)``: it runs ``services.assessments.assess_enterprise`` (the same code as
``srdi assess``), reads the enterprise's row of the latest whole-city screening, and returns plain data for
``web/enterprise/_assessment.html``: one card per tier with every check explained, the gap plans of the tiers
not reached, the six-dimension profile (unknown dimensions kept apart, never drawn as 0) and the cohorts.
Nothing here decides eligibility; it only labels what the rules engine returned.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from srdi.db.models import Enterprise
from srdi.db.models.enterprises import CHAIN_ROLE_CHOICES, PIN_FIELD_CHOICES, RD_LEVEL_CHOICES, TITLE_CHOICES
from srdi.domain.assessment.contract import DocumentError
from srdi.domain.assessment.labels import (
    COHORT_LABELS,
    DIMENSION_NAMES,
    LIST_LABELS,
    RESULT_LABELS,
    SECTION_LABELS,
    STATUS_LABELS,
)
from srdi.domain.choice_labels import AWARD_LEVELS, CONTEST_GROUPS
from srdi.domain.dates import EARLIEST_AS_OF, LATEST_AS_OF, years_before
from srdi.domain.money import format_wan
from srdi.domain.reference import TIERS
from srdi.domain.rules.model import PURPOSE_LABELS
from srdi.domain.rules.parameters import RuleDataError
from srdi.interchange.columns import BY_NAME
from srdi.services.assessments import assess_enterprise, latest_screening
from srdi.web.labels import TIER_BADGES

logger = logging.getLogger("srdi.web")

STATUS_CLASSES = {"eligible": "st-eligible", "ineligible": "st-ineligible", "needs_data": "st-needs-data"}
RESULT_CLASSES = {
    "pass": "rs-pass",
    "fail": "rs-fail",
    "unknown": "rs-unknown",
    "scored": "rs-scored",
    "manual": "rs-manual",
    "not_applicable": "rs-na",
}
LADDER_LABELS = {"none": "尚无有效梯度称号", **TIERS}
GRADE_NOTES = {"A": "≥ 80", "B": "60–79", "C": "40–59", "D": "< 40"}
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "rd_institution_level": dict(RD_LEVEL_CHOICES),
    "main_product.chain_role": dict(CHAIN_ROLE_CHOICES),
    "main_product.pin_field": dict(PIN_FIELD_CHOICES),
}
TITLE_LABELS = dict(TITLE_CHOICES)


# ---- labels of exchange-format fields ------------------------------------------------------------------


def input_label(path: str) -> str:
    """Chinese label of an input path: ``financials.2024.rd_expense_fen`` → ``2024年研发费用``."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "financials":
        column = BY_NAME.get(parts[2])
        label = _clean(column.label) if column else parts[2]
        return f"{parts[1]}年{label}"
    column = BY_NAME.get(path)
    if column is not None:
        return _clean(column.label)
    return LIST_LABELS.get(path, path)


def _clean(label: str) -> str:
    return label.removesuffix("（分）").removesuffix("（JSON）")


def value_text(path: str, value: Any) -> str:
    """A field's value as shown in a plan: money in 万元, yes/no, choice labels."""
    if value is None:
        return "未填"
    if isinstance(value, bool):
        return "是" if value else "否"
    if path.endswith("_fen") and isinstance(value, int):
        return format_wan(value)
    choices = CHOICE_LABELS.get(path)
    if choices is not None:
        return choices.get(str(value), str(value))
    return str(value)


def _list_entry(field: str, entry: Any) -> str:
    if not isinstance(entry, dict):
        return LIST_LABELS.get(field, field)
    if field == "certifications":
        return f"取得{TIERS.get(entry.get('tier', ''), '梯度')}认定"
    if field == "titles":
        return f"取得{TITLE_LABELS.get(entry.get('kind', ''), '资质')}称号"
    if field == "equity_financing":
        amount = entry.get("amount_fen")
        text = f"新增股权融资 {format_wan(amount)}" if isinstance(amount, int) else "新增股权融资"
        return text + ("（合格机构投资者实缴）" if entry.get("qualified_investor") else "")
    if field == "contests":
        return f"进入“创客中国”大赛{CONTEST_GROUPS.get(entry.get('group', ''), '')}名单"
    if field == "awards":
        level = AWARD_LEVELS.get(entry.get("level", ""), "")
        rank = entry.get("rank")
        return f"获得{level}科技奖励" + (f"（排名第{rank}）" if rank else "")
    return f"新增{LIST_LABELS.get(field, field)}"


def change_text(change: dict[str, Any]) -> str:
    """One data change of a plan: ``2024年研发费用：150万元 → 200万元``."""
    field = str(change.get("field", ""))
    if change.get("op") == "append":
        return _list_entry(field, change.get("to"))
    return f"{input_label(field)}：{value_text(field, change.get('from'))} → {value_text(field, change.get('to'))}"


# ---- tiers ---------------------------------------------------------------------------------------------


def _points(check: dict[str, Any]) -> str:
    rng = check.get("points_range")
    points = f"{rng[0]}–{rng[1]}" if rng else check.get("points")
    if points is None:
        return ""
    maximum = check.get("max_points")
    return f"{points} / {maximum}" if maximum is not None else f"{points}"


def _check_row(check: dict[str, Any]) -> dict[str, Any]:
    result = check.get("result", "unknown")
    return {
        "id": check.get("id", ""),
        "label": check.get("label", ""),
        "reference": check.get("reference", ""),
        "result": result,
        "result_label": RESULT_LABELS.get(result, result),
        "result_class": RESULT_CLASSES.get(result, "rs-na"),
        "points": _points(check),
        "explanation": check.get("explanation", ""),
        "summary": str(check.get("id", "")).startswith("group:") or check.get("id") == "total",
    }


def _groups(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for section, label in SECTION_LABELS.items():
        rows = [_check_row(c) for c in checks if c.get("section") == section]
        if rows:
            out.append({"section": section, "label": label, "checks": rows})
    return out


def _threshold(checks: list[dict[str, Any]]) -> Any:
    for c in checks:
        if c.get("id") == "total":
            for p in c.get("parameters") or []:
                return p.get("value")
    return None


def _route_label(tier: dict[str, Any], has_score: bool) -> str:
    if tier.get("status") != "eligible":
        return ""
    route = tier.get("route")
    if route == "direct":
        passed = [c for c in tier["checks"] if c.get("section") == "direct" and c.get("result") == "pass"]
        return "直通条件" + (f"（{passed[0]['label']}）" if passed else "")
    if route == "score":
        return "评分达标" if has_score else "一般性条件全部满足"
    return "认定条件全部满足"


def tier_card(code: str, tier: dict[str, Any]) -> dict[str, Any]:
    """One tier's card and its breakdown table."""
    checks: list[dict[str, Any]] = tier.get("checks") or []
    has_score = any(c.get("section") == "score" for c in checks)
    status = tier.get("status", "needs_data")
    score, rng = tier.get("score"), tier.get("score_range")
    if score is not None:
        score_text = f"{score} 分"
    elif rng:
        score_text = f"{rng[0]}–{rng[1]} 分"
    else:
        score_text = ""
    rows = [_check_row(c) for c in checks]
    counts = {key: sum(1 for r in rows if r["result"] == key and not r["summary"]) for key in RESULT_LABELS}
    rulebook = tier.get("rulebook") or {}
    return {
        "code": code,
        "label": TIERS.get(code, code),
        "badge": TIER_BADGES.get(code, ""),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "status_class": STATUS_CLASSES.get(status, ""),
        "has_score": has_score,
        "score": score,
        "score_text": score_text,
        "score_partial": score is None and bool(rng),
        "threshold": _threshold(checks),
        "route": tier.get("route"),
        "route_label": _route_label(tier, has_score),
        "groups": _groups(checks),
        "counts": counts,
        "manual": [r for r in rows if r["result"] == "manual"],
        "missing": [input_label(m) for m in tier.get("missing") or []],
        "rulebook": rulebook,
    }


# ---- gaps ----------------------------------------------------------------------------------------------


def _gap_route(route: str | None, checks_by_id: dict[str, dict[str, Any]]) -> str:
    if not route:
        return ""
    fixed = {"score": "评分路径", "general": "一般性条件", "prerequisites": "基本条件"}
    if route in fixed:
        return fixed[route]
    key = route.removeprefix("direct:")
    label = checks_by_id.get(key, {}).get("label")
    return f"直通条件 {key}" + (f"：{label}" if label else "")


def _year_of(item: dict[str, Any]) -> str:
    for change in item.get("changes") or []:
        parts = str(change.get("field", "")).split(".")
        if len(parts) == 3 and parts[0] == "financials":
            return parts[1]
    return ""


BASIS_NOTES = {"projected": "按上年实际数据持平预计", "after_earlier_steps": "按本方案前述调整后"}


def _gap_item(item: dict[str, Any]) -> dict[str, Any]:
    points = item.get("points")
    label = item.get("label", "")
    year = _year_of(item)
    return {
        "label": label,
        "reference": item.get("reference", ""),
        "year": "" if year and year in label else year,
        "current": item.get("current", ""),
        "basis_note": BASIS_NOTES.get(item.get("basis") or "", ""),
        "required": item.get("required", ""),
        "points": f"+{points} 分" if points else "",
        "changes": [change_text(c) for c in item.get("changes") or []],
    }


def gap_block(gap: dict[str, Any], tiers: dict[str, Any]) -> dict[str, Any]:
    """One tier not reached: the plan items, whether the plan works, the nearest direct route."""
    code = gap.get("tier", "")
    checks_by_id = {c.get("id"): c for c in (tiers.get(code) or {}).get("checks") or []}
    nearest = gap.get("nearest_direct")
    feasible = gap.get("feasible")
    if gap.get("status") == "needs_data":
        verdict, verdict_class = "需先补充数据", "st-needs-data"
    elif feasible:
        verdict, verdict_class = "可通过调整达到", "st-eligible"
    else:
        verdict, verdict_class = "暂无可行方案", "st-ineligible"
    return {
        "tier": code,
        "label": gap.get("tier_label") or TIERS.get(code, code),
        "status": gap.get("status"),
        "status_label": STATUS_LABELS.get(gap.get("status", ""), ""),
        "feasible": feasible,
        "verdict": verdict,
        "verdict_class": verdict_class,
        "reason": gap.get("reason", ""),
        "assess_on": gap.get("assess_on") if gap.get("wait_years") else "",
        "figures_year": gap.get("figures_year"),
        "rulebook": (gap.get("rulebook") or {}).get("title", ""),
        "assumptions": gap.get("assumptions") or [],
        "route_label": _gap_route(gap.get("route"), checks_by_id),
        "items": [_gap_item(i) for i in gap.get("items") or []],
        "missing": [input_label(m) for m in gap.get("missing") or []],
        "nearest": (
            {
                "route_label": _gap_route(nearest.get("route"), checks_by_id),
                "items": [_gap_item(i) for i in nearest.get("items") or []],
            }
            if nearest
            else None
        ),
    }


# ---- six dimensions and class --------------------------------------------------------------------------


def profile_block(profile: dict[str, Any]) -> dict[str, Any]:
    """The radar data (unknown dimensions left out of the polygon), the grade and the management class."""
    dims = []
    for key, d in (profile.get("dimensions") or {}).items():
        value, rng = d.get("value"), d.get("range")
        dims.append(
            {
                "key": key,
                "label": d.get("label", key),
                "name": DIMENSION_NAMES.get(key, key),
                "value": value,
                "known": value is not None,
                "range": f"{rng[0]}–{rng[1]}" if rng else "",
            }
        )
    klass = profile.get("class") or {}
    cohorts = list(klass.get("cohorts") or [])
    if klass.get("one_firm_one_policy") and "one_firm_one_policy" not in cohorts:
        cohorts.append("one_firm_one_policy")
    progress = klass.get("next_tier_progress")
    ladder = klass.get("ladder")
    grade = profile.get("grade")
    return {
        "dimensions": dims,
        "unknown": [d for d in dims if not d["known"]],
        "radar": {
            "indicators": [{"name": f"{d['label']}\n{d['name']}", "max": 100} for d in dims],
            "values": [d["value"] for d in dims],
            "name": "六维指数",
        },
        "any_known": any(d["known"] for d in dims),
        "mean": profile.get("mean"),
        "grade": grade,
        "grade_note": GRADE_NOTES.get(grade or "", ""),
        "ladder": ladder,
        "ladder_label": LADDER_LABELS.get(ladder, ladder) if ladder else "未知（未提供梯度认定数据）",
        "next_tier": klass.get("next_tier"),
        "next_tier_label": TIERS.get(klass.get("next_tier") or "", ""),
        "progress": round(progress * 100) if progress is not None else None,
        "cohorts": [{"code": c, "label": COHORT_LABELS.get(c, c)} for c in cohorts],
    }


# ---- stored screening ----------------------------------------------------------------------------------


def screening_block(enterprise: Enterprise, live: dict[str, Any] | None) -> dict[str, Any] | None:
    """The enterprise's row of the latest whole-city screening, marked where today's data differs."""
    stored = latest_screening(enterprise)
    if stored is None:
        return None
    live_tiers = (live or {}).get("tiers") or {}
    tiers = []
    for code, t in stored["tiers"].items():
        now = (live_tiers.get(code) or {}).get("status")
        tiers.append(
            {
                "code": code,
                "label": TIERS.get(code, code),
                "status": t["status"],
                "status_label": STATUS_LABELS.get(t["status"], t["status"]),
                "status_class": STATUS_CLASSES.get(t["status"], ""),
                "score": t["score"],
                "changed": now is not None and now != t["status"],
            }
        )
    screened = stored.get("screened_at")
    return {
        "run": stored["run"],
        "as_of": stored["as_of"],
        "screened_at": datetime.fromisoformat(screened) if screened else None,
        "grade": stored.get("grade"),
        "tiers": tiers,
        "any_changed": any(t["changed"] for t in tiers),
    }


# ---- the whole section ---------------------------------------------------------------------------------


DATE_BOUNDS = {"earliest": EARLIEST_AS_OF, "latest": LATEST_AS_OF}  # of the date form


def _check_labels(tier: dict[str, Any], results: tuple[str, ...]) -> list[str]:
    return [c.get("label", "") for c in tier.get("checks") or [] if c.get("result") in results]


def comparison_block(now: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any] | None:
    """This date's result beside the same day a year earlier: the rulebook and the outcome per tier, and,
    where either changed, the criteria that decide this year's outcome."""
    if before is None or "error" in before:
        return None
    rows = []
    for code, tier in (now.get("tiers") or {}).items():
        old = (before.get("tiers") or {}).get(code) or {}
        rb_now, rb_old = tier.get("rulebook") or {}, old.get("rulebook") or {}
        status_changed = tier.get("status") != old.get("status")
        rulebook_changed = rb_now.get("id") != rb_old.get("id")
        rows.append(
            {
                "code": code,
                "label": TIERS.get(code, code),
                "before": {
                    "status_label": STATUS_LABELS.get(old.get("status", ""), "—"),
                    "status_class": STATUS_CLASSES.get(old.get("status", ""), ""),
                    "rulebook": rb_old.get("title", ""),
                    "rulebook_id": rb_old.get("id", ""),
                },
                "now": {
                    "status_label": STATUS_LABELS.get(tier.get("status", ""), "—"),
                    "status_class": STATUS_CLASSES.get(tier.get("status", ""), ""),
                    "rulebook": rb_now.get("title", ""),
                    "rulebook_id": rb_now.get("id", ""),
                    "transition": (rb_now.get("transition") or {}).get("reference", ""),
                },
                "rulebook_changed": rulebook_changed,
                "status_changed": status_changed,
                "failing": _check_labels(tier, ("fail",))[:5] if status_changed or rulebook_changed else [],
                "unknown": _check_labels(tier, ("unknown",))[:5]
                if status_changed or rulebook_changed
                else [],
            }
        )
    return {
        "as_of": before.get("as_of"),
        "year": before.get("year"),
        "rows": rows,
        "any_changed": any(r["status_changed"] or r["rulebook_changed"] for r in rows),
    }


def assessment_view(
    enterprise: Enterprise,
    *,
    as_of: date | None = None,
    purpose: str = "application",
    stored: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the assessment section shows; ``error`` set when the enterprise cannot be assessed (``stored``:
    the profile when already read, ``exports.stored_profile``)."""
    try:
        result = assess_enterprise(enterprise, as_of=as_of, purpose=purpose, stored=stored)
        day = date.fromisoformat(result.get("as_of") or "") if result.get("as_of") else None
        earlier = (
            assess_enterprise(
                enterprise,
                as_of=years_before(day, 1),
                purpose=purpose,
                with_gaps=False,
                with_profile=False,
                stored=stored,
            )
            if day is not None and years_before(day, 1) >= EARLIEST_AS_OF
            else None
        )
    except (DocumentError, RuleDataError) as exc:
        logger.warning("assessment of enterprise %s failed: %s", enterprise.pk, exc)
        return {
            "error": f"暂时无法评价：{exc}",
            "screening": screening_block(enterprise, None),
            **DATE_BOUNDS,
        }
    if "error" in result:
        return {
            **DATE_BOUNDS,
            "error": f"企业数据不完整，无法评价：{result['error']}",
            "screening": screening_block(enterprise, None),
        }
    tiers: dict[str, Any] = result.get("tiers") or {}
    return {
        "error": "",
        "as_of": result.get("as_of"),
        "year": result.get("year"),
        "size_class": result.get("size_class"),
        "sme": result.get("sme"),
        "tiers": [tier_card(code, t) for code, t in tiers.items()],
        "gaps": [gap_block(g, tiers) for g in result.get("gaps") or []],
        "all_eligible": all(t.get("status") == "eligible" for t in tiers.values()),
        "profile": profile_block(result.get("profile") or {}),
        "screening": screening_block(enterprise, result),
        "purpose": purpose,
        "purpose_label": PURPOSE_LABELS.get(purpose, purpose),
        **DATE_BOUNDS,
        "comparison": comparison_block(result, earlier),
    }
