"""``/api/v1/entitle`` and ``/api/v1/enterprises/{uscc}/entitlements``: policy entitlements over the API.

``POST /entitle`` takes exactly the ``srdi entitle`` contract input and answers its output (``?in_force=true``: with
the installation's approved parameter changes, as ``srdi entitle --in-force``); the per-enterprise endpoint evaluates
the stored data and recorded events of one enterprise in the caller's scope, always with the values in force.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from srdi.api.bodies import BadBody, read_json
from srdi.api.requests import caller, client_ip
from srdi.api.responses import json_response
from srdi.api.schemas import EXAMPLE_USCC, contract_body, errors, example_profile, uscc_path
from srdi.api.throttles import READS
from srdi.domain.assessment.contract import DocumentError
from srdi.domain.policy.contract import run_entitle
from srdi.services import lpr, scoping
from srdi.services.entitlements import enterprise_entitlements
from srdi.services.parameters import packs_in_force

router = Router(tags=["政策兑现"])
MAX_ENTERPRISES = 1000
ENTITLE_BODY = contract_body(
    '与 `srdi entitle` 相同的输入：{"parameters": {参数编号: 取值}, "enterprises": [带 events 的企业资料]}',
    {"enterprises": [example_profile(EXAMPLE_USCC, "杭州示例智能科技有限公司")]},
    MAX_ENTERPRISES,
    parameters={"type": "object", "additionalProperties": True},
)


@router.post(
    "/entitle",
    response={200: dict, **errors(403, 413, 415, 422)},
    throttle=READS,
    openapi_extra={
        **ENTITLE_BODY,
        "parameters": [
            {
                "name": "in_force",
                "in": "query",
                "required": False,
                "schema": {"type": "boolean", "default": False},
                "description": "true：使用本系统已批准的参数调整；默认只用政策包的基线参数",
            }
        ],
    },
    operation_id="entitle",
    summary="政策兑现测算",
    description=(
        "按各政策包（杭政办函〔2023〕81号 hz81；2025-12-28《关于深入打造全国专精特新名城的若干措施》hz25）逐个事件计算"
        "企业可享受的奖励、补助、贴息：状态（granted、not_eligible、needs_data、amount_unset、window_unset、"
        "outside_policy_window、superseded）、金额及市区分担、依据。同一事项只由一个政策包兑现（从优、就高、不重复）。"
        "parameters 可按编号临时覆盖参数（如 hz81.17.rate_discount_min；hz25.window.from、hz25.window.to 为 ISO 日期）。"
        f"每次最多 {MAX_ENTERPRISES} 家企业。查询参数 in_force=true 时使用本系统已批准的参数调整（与 "
        "`srdi entitle --in-force` 相同），默认只用政策包的基线参数（与 `srdi entitle` 相同）。"
    ),
)
def entitle(request: HttpRequest) -> HttpResponse:
    caller(request)
    try:
        document = read_json(request)
    except BadBody as exc:
        return json_response({"detail": exc.message}, exc.status)
    records = document.get("enterprises") if isinstance(document, dict) else None
    if isinstance(records, list) and len(records) > MAX_ENTERPRISES:
        return json_response({"detail": f"每次最多 {MAX_ENTERPRISES} 家企业，请分批提交"}, 413)
    in_force = request.GET.get("in_force", "").lower()
    if in_force not in ("", "true", "false", "1", "0"):
        return json_response({"detail": "in_force 应为 true 或 false"}, 422)
    # The LPR is a published fact, not a policy choice: every API run reads the releases approved here (the baseline
    # concerns the packs' parameters only), so the answer does not depend on what the worker evaluated before.
    lpr.refresh()
    packs = packs_in_force() if in_force in ("true", "1") else None
    try:
        return json_response(run_entitle(document, packs=packs))
    except DocumentError as exc:
        return json_response({"detail": str(exc)}, 422)


@router.get(
    "/enterprises/{uscc}/entitlements",
    response={200: dict, **errors(404)},
    throttle=READS,
    operation_id="getEnterpriseEntitlements",
    summary="企业可享受的政策",
    description="该企业已登记事件的兑现结果，以及无需事件的资格类措施；不在调用者范围内的企业一律答复 404。",
)
def enterprise(request: HttpRequest, uscc: str = uscc_path()) -> HttpResponse:
    found = scoping.get_enterprise(caller(request), uscc=uscc, ip=client_ip(request))
    return json_response(enterprise_entitlements(found))
