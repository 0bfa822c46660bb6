"""``/api/v1/assess`` and ``/api/v1/enterprises/{uscc}/assessment``: tier assessment over the API.

``POST /assess`` takes exactly the ``srdi assess`` contract input and answers its output (concurrent requests
share one engine pass, see ``srdi.services.assess_batcher``). The per-enterprise endpoint returns the latest
stored screening and a live, fully explained result, within the caller's scope.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params import functions as params

from srdi.api.bodies import BadBody, read_json
from srdi.api.detail import DETAIL, SUMMARY, Detail
from srdi.api.requests import caller, client_ip
from srdi.api.responses import json_response
from srdi.api.schemas import EXAMPLE_USCC, Purpose, contract_body, errors, example_profile, uscc_path
from srdi.api.throttles import PROBES, READS
from srdi.domain.assessment.contract import parse_as_of
from srdi.domain.assessment.summary import summarised
from srdi.domain.exchange import FORMATS
from srdi.domain.rules.model import PURPOSES
from srdi.services import scoping
from srdi.services.assess_batcher import DocumentError, assess_document
from srdi.services.assessments import assess_enterprise, latest_screening

router = Router(tags=["评价"])

MAX_ENTERPRISES = 1000
AS_OF = params.Query(None, description="评价基准日（YYYY-MM-DD），默认今天", example="2025-12-31")
PURPOSE = params.Query("application", description="评价目的：application 认定申报，review 复核")
ASSESS_BODY = contract_body(
    '与 `srdi assess` 相同的输入：{"as_of": "YYYY-MM-DD", "format": "1.1", "purpose": "application", '
    '"enterprises": [交换格式 v1.1 企业资料, …]}（format、purpose 可省略）',
    {"as_of": "2025-12-31", "enterprises": [example_profile(EXAMPLE_USCC, "杭州示例智能科技有限公司")]},
    MAX_ENTERPRISES,
    as_of={"type": "string", "format": "date"},
    format={"type": "string", "enum": list(FORMATS)},
    purpose={"type": "string", "enum": list(PURPOSES), "default": "application"},
)


@router.post(
    "/assess",
    response={200: dict, **errors(403, 413, 415, 422)},
    throttle=READS,
    openapi_extra=ASSESS_BODY,
    operation_id="assess",
    summary="梯度培育评价",
    description=(
        "按评价基准日施行的规则库（2026-03-31 前：63号附件1–3；2026-04-01 起：工信部企业〔2026〕2号，"
        "创新型中小企业仍按63号附件1；浙江省隐形冠军按当年认定条件）评价交换格式 v1.1 企业资料，"
        "purpose=review 时按复核条件。返回各层级的结论（eligible / ineligible / needs_data）、所用规则库、得分、"
        "认定路径、逐项检查及依据、差距分析和六维画像。"
        "单条记录格式有误时该条返回 error，其余照常评价；文件整体格式有误时答复 422。"
        f"每次最多 {MAX_ENTERPRISES} 家企业。查询参数 gaps=false 可跳过差距分析；"
        "detail=summary 只返回各层级的结论、得分、认定路径和规则库（连同差距分析与规模字段），"
        "不含逐项检查和六维画像。"
    ),
)
def assess(
    request: HttpRequest,
    gaps: bool = params.Query(True, description="是否做差距分析；false 时跳过，评价更快"),
    detail: Detail = DETAIL,
) -> HttpResponse:
    caller(request)
    try:
        document = read_json(request)
    except BadBody as exc:
        return json_response({"detail": exc.message}, exc.status)
    records = document.get("enterprises") if isinstance(document, dict) else None
    if isinstance(records, list) and len(records) > MAX_ENTERPRISES:
        return json_response({"detail": f"每次最多评价 {MAX_ENTERPRISES} 家企业，请分批提交"}, 413)
    summary = detail == SUMMARY
    try:
        output = assess_document(document, with_gaps=gaps, summary=summary)
    except DocumentError as exc:
        return json_response({"detail": str(exc)}, 422)
    return json_response(output)


@router.get(
    "/enterprises/{uscc}/assessment",
    response={200: dict, **errors(404, 422)},
    throttle=PROBES,
    operation_id="getEnterpriseAssessment",
    summary="企业的最新评价",
    description=(
        "返回该企业在最近一次全市筛查中的结论（screening），以及按当前数据即时计算、带完整依据的评价结果（result）。"
        "查询参数 as_of（默认今天）、purpose（application / review）指定评价基准日与目的，格式有误时答复 422；"
        "detail=summary 时 result 只含各层级的结论、得分、认定路径和规则库（连同差距分析与规模字段）。"
        "不在调用者范围内的企业一律答复 404。"
    ),
)
def enterprise_assessment(
    request: HttpRequest,
    uscc: str = uscc_path(),
    as_of: date | None = AS_OF,
    purpose: Purpose = PURPOSE,
    detail: Detail = DETAIL,
) -> HttpResponse:
    enterprise = scoping.get_enterprise(caller(request), uscc=uscc, ip=client_ip(request))
    summary = detail == SUMMARY
    try:
        day = parse_as_of(as_of.isoformat()) if as_of else None  # the rulebooks' date bounds
        result = assess_enterprise(enterprise, as_of=day, purpose=purpose, with_profile=not summary)
    except DocumentError as exc:
        return json_response({"detail": str(exc)}, 422)
    shown = summarised(result) if summary else result
    return json_response({"screening": latest_screening(enterprise), "result": shown})
