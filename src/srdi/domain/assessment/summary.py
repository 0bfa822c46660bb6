"""The lean contract result (``detail=summary``): per tier the verdict and the rulebook that judged it.

Use ``run_assess(document, summary=True)`` for lean answers (the API's ``?detail=summary``): each tier is built
by ``tier_verdict`` straight from the rule columns, without working out the trace, so a summary costs a
fraction of a full answer. ``summarised(result)`` trims a full result to the same shape (for results computed
in full anyway); a test holds ``tier_verdict`` equal to ``summarised_tier(tier_result(...))``.

A summary keeps, per enterprise, the identity and size fields (``RESULT_FIELDS``) and ``gaps``, and per tier
only ``status``, ``score`` (and ``score_range`` while the score is not decided), ``route`` and the
``rulebook`` (``id``, ``title``, ``document``); records the contract refused are kept as they are.
"""

from __future__ import annotations

from typing import Any

from srdi.domain.rules.engine import Assessment
from srdi.domain.rules.explain import score_range

RESULT_FIELDS = ("uscc", "name", "as_of", "year", "size_class", "sme", "size_industry")
TIER_FIELDS = ("status", "score", "score_range", "route")
RULEBOOK_FIELDS = ("id", "title", "document")


def tier_verdict(assessment: Assessment, tier: str, row: dict[str, Any]) -> dict[str, Any]:
    """One tier's summary, read from the rule columns of ``row`` (no trace is built)."""
    c = assessment.compiled[tier]
    rb = c.rulebook
    out: dict[str, Any] = {"status": row[c.col("status")], "score": row[c.col("score")]}
    bounds = score_range(c, row)
    if bounds is not None:
        out["score_range"] = bounds
    out["route"] = row[c.col("route")]
    out["rulebook"] = {"id": rb.id, "title": rb.title, "document": rb.document}
    return out


def summarised_tier(tier: dict[str, Any]) -> dict[str, Any]:
    """One tier's full result reduced to its verdict and the rulebook that judged it."""
    out = {k: tier[k] for k in TIER_FIELDS if k in tier}
    rulebook = tier.get("rulebook") or {}
    out["rulebook"] = {k: rulebook.get(k) for k in RULEBOOK_FIELDS}
    return out


def summarised(result: dict[str, Any]) -> dict[str, Any]:
    """One enterprise's full contract result as a summary (a refused record is returned unchanged)."""
    if "tiers" not in result:
        return result
    out = {k: result[k] for k in RESULT_FIELDS if k in result}
    out["tiers"] = {tier: summarised_tier(value) for tier, value in result["tiers"].items()}
    out["gaps"] = result.get("gaps", [])
    return out


def summarised_output(output: dict[str, Any]) -> dict[str, Any]:
    """A whole ``srdi assess`` output (``as_of``, ``purpose``, ``results``) with every result summarised."""
    return {**output, "results": [summarised(r) for r in output["results"]]}
