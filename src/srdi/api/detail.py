"""How much of an assessment an API answer carries: ``?detail=full`` (the default, the whole ``srdi assess``
contract result) or ``?detail=summary`` (a lean answer for callers that only need the verdicts; its shape is
``srdi.domain.assessment.summary``'s).

Use ``DETAIL`` as the query parameter of an assessment operation; the summary's shape and ``summarised(result)``
are ``srdi.domain.assessment.summary``'s. A summary keeps, per enterprise, the identity and size
fields (``uscc``, ``name``, ``as_of``, ``year``, ``size_class``, ``sme``, ``size_industry``) and ``gaps``, and per
tier only ``status``, ``score`` (and ``score_range`` when the score is not yet decided), ``route`` and the
``rulebook`` that judged it (``id``, ``title``, ``document``); the checks, missing inputs, manual checks and the
six-dimension profile are left out. Records the contract refused (``index``/``error``/``errors``) are kept as they
are. A summary of ``POST /assess`` is computed lean (``run_assess(…, summary=True)``: no trace, no six-dimension
profile); the enterprise assessment trims the full result it computes for the page anyway.
"""

from __future__ import annotations

from typing import Literal

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
