"""How much of an assessment an API answer carries: ``?detail=full`` (the default, the whole ``srdi assess``
contract result) or ``?detail=summary`` (a lean answer for callers that only need the verdicts).

Use ``DETAIL`` as the query parameter of an assessment operation and ``summarised(result)`` /
``summarised_output(output)`` to trim a contract result. A summary keeps, per enterprise, the identity and size
fields (``uscc``, ``name``, ``as_of``, ``year``, ``size_class``, ``sme``, ``size_industry``) and ``gaps``, and per
tier only ``status``, ``score`` (and ``score_range`` when the score is not yet decided), ``route`` and the
``rulebook`` that judged it (``id``, ``title``, ``document``); the checks, missing inputs, manual checks and the
six-dimension profile are left out. Records the contract refused (``index``/``error``/``errors``) are kept as they
are. The six-dimension profile is not computed at all for a summary (``with_profile=False``); the tier traces
are trimmed after the contract built them, because the rules domain offers no cheaper way to skip them.
"""

from __future__ import annotations

from typing import Any, Literal

from ninja.params import functions as params

Detail = Literal["full", "summary"]
FULL: Detail = "full"
SUMMARY: Detail = "summary"

DETAIL = params.Query(
    FULL,
    description=(
        "答复的详略：full（默认）返回完整结论、逐项检查及依据、六维画像；summary 只返回各层级的结论、得分、"
        "认定路径、所用规则库（编号、名称、文件）以及差距分析和规模字段，答复更小更快"
    ),
)

RESULT_FIELDS = ("uscc", "name", "as_of", "year", "size_class", "sme", "size_industry")
TIER_FIELDS = ("status", "score", "score_range", "route")
RULEBOOK_FIELDS = ("id", "title", "document")


def summarised_tier(tier: dict[str, Any]) -> dict[str, Any]:
    """One tier's result reduced to its verdict and the rulebook that judged it."""
    out = {k: tier[k] for k in TIER_FIELDS if k in tier}
    rulebook = tier.get("rulebook") or {}
    out["rulebook"] = {k: rulebook.get(k) for k in RULEBOOK_FIELDS}
    return out


def summarised(result: dict[str, Any]) -> dict[str, Any]:
    """One enterprise's contract result as a summary (a refused record is returned unchanged)."""
    if "tiers" not in result:
        return result
    out = {k: result[k] for k in RESULT_FIELDS if k in result}
    out["tiers"] = {tier: summarised_tier(value) for tier, value in result["tiers"].items()}
    out["gaps"] = result.get("gaps", [])
    return out


def summarised_output(output: dict[str, Any]) -> dict[str, Any]:
    """A whole ``srdi assess`` output (``as_of``, ``purpose``, ``results``) with every result summarised."""
    return {**output, "results": [summarised(r) for r in output["results"]]}
