"""``srdi assess`` as a pure function: the contract's input document in, its output document out.

Use ``run_assess(document)``. The document is ``{"as_of": "YYYY-MM-DD", "enterprises": [profile, …]}``, with the
optional ``"format": "1.1"`` and ``"purpose": "application" | "review"`` (复核: each rulebook's review variant);
a malformed document raises ``DocumentError`` (the command exits non-zero), while a malformed record becomes
an ``error`` entry in its place and the other records are still assessed, in one column-wise pass — or one per
group of enterprises that a cohort route sends to another rulebook (the 2026 review of the 2023 小巨人 under
63号).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from srdi.domain.assessment.summary import tier_verdict
from srdi.domain.dates import LATEST_AS_OF, judged_date_error
from srdi.domain.exchange import FORMATS, Profile, RecordError, parse_profile
from srdi.domain.rules.engine import Assessment, assess, route_groups
from srdi.domain.rules.explain import tier_result
from srdi.domain.rules.model import PURPOSES
from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.rules.rulebook import TIERS
from srdi.domain.tables import RowTables, rows_from_profiles


class DocumentError(ValueError):
    """The input file as a whole is not a valid assessment document."""


def parse_as_of(value: Any, field: str = "as_of") -> date:
    if not isinstance(value, str):
        raise DocumentError(f"{field} 应为 YYYY-MM-DD 格式的日期字符串")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise DocumentError(f"{field} 日期格式错误：{value!r}（应为 YYYY-MM-DD）") from None
    if day > LATEST_AS_OF:  # earlier dates are refused by the rulebooks, naming the ones there are
        raise DocumentError(f"{field}：{judged_date_error(day)}")
    return day


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


def read_purpose(document: dict[str, Any]) -> str:
    """The document's ``purpose`` (default ``application``); its ``format``, when given, must be one we read."""
    fmt = document.get("format")
    if fmt is not None and str(fmt) not in FORMATS:
        raise DocumentError(f"format 应为 {' 或 '.join(FORMATS)}，实际为 {fmt!r}")
    purpose = document.get("purpose", "application")
    if purpose not in PURPOSES:
        raise DocumentError(f"purpose 应为 application（认定申报）或 review（复核），实际为 {purpose!r}")
    return str(purpose)


def enterprise_result(
    assessment: Assessment, index: int, profile: Profile, gaps: list[dict[str, Any]], *, summary: bool = False
) -> dict[str, Any]:
    """The contract's result record for one enterprise (its lean summary when ``summary``)."""
    row = assessment.row(index)
    if summary:
        tiers = {tier: tier_verdict(assessment, tier, row) for tier in assessment.compiled}
    else:
        tiers = {tier: tier_result(assessment, index, tier, row) for tier in assessment.compiled}
    return {
        "uscc": profile.uscc,
        "name": profile.name,
        "as_of": assessment.as_of.isoformat(),
        "year": assessment.year,
        "size_class": row["size_class"],
        "sme": row["is_sme"],
        "size_industry": row["size_group"],
        "tiers": tiers,
        "gaps": gaps,
    }


def run_assess(
    document: Any, *, with_gaps: bool = True, with_profile: bool = True, summary: bool = False
) -> dict[str, Any]:
    """Assess every valid record of the document; malformed records become error entries in place.

    ``summary`` gives the lean result of ``srdi.domain.assessment.summary`` (verdicts without traces, no
    six-dimension profile); the CLI contract is always the full result."""
    with_profile = with_profile and not summary
    records = read_records(document, {"as_of", "enterprises", "format", "purpose"})
    if "as_of" not in document:
        raise DocumentError("缺少 as_of（评价基准日，YYYY-MM-DD）")
    as_of = parse_as_of(document.get("as_of"))
    purpose = read_purpose(document)
    parsed: list[Profile | dict[str, Any]] = []
    profiles: list[Profile] = []
    for i, record in enumerate(records):
        try:
            profile = parse_profile(record)
        except RecordError as exc:
            parsed.append(error_entry(i, record, exc))
            continue
        parsed.append(profile)
        profiles.append(profile)
    done: dict[int, dict[str, Any]] = {}
    if profiles:
        tables = rows_from_profiles(profiles)
        try:
            groups = route_groups(tables, as_of, purpose)
            for routes, eids in groups:
                group = [profiles[e] for e in eids]
                # One group (the usual case) holds every profile in order: its tables are the ones built above.
                built = tables if len(groups) == 1 else None
                for position, result in zip(
                    eids,
                    _assess_group(group, as_of, purpose, routes, with_gaps, with_profile, built, summary),
                    strict=True,
                ):
                    done[position] = result
        except RuleDataError as exc:
            raise DocumentError(str(exc)) from None
    results: list[dict[str, Any]] = []
    position = 0
    for item in parsed:
        if isinstance(item, dict):
            results.append(item)
            continue
        results.append(done[position])
        position += 1
    return {"as_of": as_of.isoformat(), "purpose": purpose, "results": results}


def _assess_group(
    profiles: list[Profile],
    as_of: Any,
    purpose: str,
    routes: dict[str, Any],
    with_gaps: bool,
    with_profile: bool,
    tables: RowTables | None = None,
    summary: bool = False,
) -> list[dict[str, Any]]:
    """The contract's results for profiles judged by the same rulebooks, in their order."""
    from srdi.domain.assessment.dimensions import dimension_profiles, dimension_stages

    # The six-dimension profile is computed in the same query as the tiers (one pass, not two).
    extra = dimension_stages if with_profile else None
    assessment = assess(
        tables if tables is not None else rows_from_profiles(profiles),
        as_of,
        tiers=TIERS,
        extra=extra,
        purpose=purpose,
        routes=routes,
    )
    gaps_by_index: dict[int, list[dict[str, Any]]] = {}
    if with_gaps:
        from srdi.domain.assessment.gaps import plan_gaps

        gaps_by_index = plan_gaps(profiles, assessment)
    profile6 = dimension_profiles(assessment) if with_profile else {}
    out = []
    for position, profile in enumerate(profiles):
        result = enterprise_result(
            assessment, position, profile, gaps_by_index.get(position, []), summary=summary
        )
        if position in profile6:
            result["profile"] = profile6[position]
        out.append(result)
    return out
