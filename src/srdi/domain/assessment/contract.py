"""``srdi assess`` as a pure function: the contract's input document in, its output document out.

Use ``run_assess(document)``. The document is ``{"as_of": "YYYY-MM-DD", "enterprises": [profile, …]}``; a
malformed document raises ``DocumentError`` (the command exits non-zero), while a malformed record becomes an
``error`` entry in its place and the other records are still assessed, all in one column-wise pass.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from srdi.domain.exchange import Profile, RecordError, parse_profile
from srdi.domain.rules.engine import Assessment, assess
from srdi.domain.rules.explain import tier_result
from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.rules.rulebook import TIERS
from srdi.domain.tables import tables_from_profiles


class DocumentError(ValueError):
    """The input file as a whole is not a valid assessment document."""


def parse_as_of(value: Any, field: str = "as_of") -> date:
    if not isinstance(value, str):
        raise DocumentError(f"{field} 应为 YYYY-MM-DD 格式的日期字符串")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DocumentError(f"{field} 日期格式错误：{value!r}（应为 YYYY-MM-DD）") from None


def read_records(document: Any, allowed: set[str]) -> list[Any]:
    """The ``enterprises`` list of a document whose top-level keys are limited to ``allowed``."""
    if not isinstance(document, dict):
        raise DocumentError("顶层应为 JSON 对象，含 enterprises 列表")
    unknown = set(document) - allowed
    if unknown:
        raise DocumentError(f"未知的顶层字段：{', '.join(sorted(unknown))}")
    records = document.get("enterprises")
    if not isinstance(records, list):
        raise DocumentError("缺少 enterprises 列表")
    return records


def error_entry(index: int, record: Any, exc: RecordError) -> dict[str, Any]:
    uscc = record.get("uscc") if isinstance(record, dict) and isinstance(record.get("uscc"), str) else None
    return {
        "index": index,
        "uscc": uscc,
        "error": "；".join(exc.messages),
        "errors": [p.model_dump(mode="json") for p in exc.problems],
    }


def enterprise_result(
    assessment: Assessment, index: int, profile: Profile, gaps: list[dict[str, Any]]
) -> dict[str, Any]:
    """The contract's result record for one enterprise."""
    row = assessment.row(index)
    return {
        "uscc": profile.uscc,
        "name": profile.name,
        "as_of": assessment.as_of.isoformat(),
        "year": assessment.facts.year,
        "size_class": row["size_class"],
        "sme": row["is_sme"],
        "size_industry": row["size_group"],
        "tiers": {tier: tier_result(assessment, index, tier, row) for tier in assessment.compiled},
        "gaps": gaps,
    }


def run_assess(document: Any, *, with_gaps: bool = True, with_profile: bool = True) -> dict[str, Any]:
    """Assess every valid record of the document; malformed records become error entries in place."""
    records = read_records(document, {"as_of", "enterprises"})
    if "as_of" not in document:
        raise DocumentError("缺少 as_of（评价基准日，YYYY-MM-DD）")
    as_of = parse_as_of(document.get("as_of"))
    parsed: list[tuple[int, Profile | dict[str, Any]]] = []
    profiles: list[Profile] = []
    for i, record in enumerate(records):
        try:
            profile = parse_profile(record)
        except RecordError as exc:
            parsed.append((i, error_entry(i, record, exc)))
            continue
        parsed.append((i, profile))
        profiles.append(profile)
    results: list[dict[str, Any]] = []
    if profiles:
        from srdi.domain.assessment.dimensions import dimension_profiles, dimension_stages

        try:
            # The six-dimension profile is computed in the same query as the tiers (one pass, not two).
            extra = dimension_stages if with_profile else None
            assessment = assess(tables_from_profiles(profiles), as_of, tiers=TIERS, extra=extra)
        except RuleDataError as exc:
            raise DocumentError(str(exc)) from None
        gaps_by_index: dict[int, list[dict[str, Any]]] = {}
        if with_gaps:
            from srdi.domain.assessment.gaps import plan_gaps

            gaps_by_index = plan_gaps(profiles, assessment)
        profile6: dict[int, dict[str, Any]] = {}
        if with_profile:
            profile6 = dimension_profiles(assessment)
    position = 0
    for _, item in parsed:
        if isinstance(item, dict):
            results.append(item)
            continue
        result = enterprise_result(assessment, position, item, gaps_by_index.get(position, []))
        if position in profile6:
            result["profile"] = profile6[position]
        results.append(result)
        position += 1
    return {"as_of": as_of.isoformat(), "results": results}
