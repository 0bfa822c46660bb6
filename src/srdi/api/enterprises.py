"""``/api/v1/enterprises``: list, read, create and update enterprises in the exchange format v1.

Thin views: scope and edit rules live in ``srdi.services.scoping``, writes in ``srdi.services.enterprises``.
Bodies are read with ``srdi.api.bodies.read_profile`` (exact decimals, strict fields), so the request body is
declared in the OpenAPI document by hand (``profile_body``) rather than as a ninja body parameter.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from srdi.api.bodies import read_profile
from srdi.api.requests import caller, client_ip
from srdi.api.responses import json_response
from srdi.api.schemas import (
    EXAMPLE_USCC,
    NEW_EXAMPLE_USCC,
    EnterpriseFilters,
    EnterprisePage,
    ValidationErrorOut,
    errors,
    example_profile,
    uscc_path,
)
from srdi.api.throttles import PROBES, SEARCHES, WRITES
from srdi.db.models import Enterprise
from srdi.domain.exchange import Profile
from srdi.services import enterprises, scoping

router = Router(tags=["企业"])

USCC_PATH = "/{uscc}"


def profile_body(example: dict[str, Any]) -> dict[str, Any]:
    """The ``openapi_extra`` of a write: one exchange-format profile, read by ``read_profile``."""
    return {
        "requestBody": {
            "required": True,
            "description": (
                "一条交换格式 v1 企业资料（JSON）。未知字段视为错误；金额为整数“分”；比例用字符串或数值。"
            ),
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Profile"},
                    "example": example,
                }
            },
        }
    }


def _profile_response(enterprise: Enterprise, status: int) -> HttpResponse:
    # A finished response: the stored profile is already exchange-format JSON, and validating it again on the
    # way out would only re-check what the write validated.
    return json_response(enterprises.profile_json(enterprise), status)


@router.get(
    "",
    response={200: EnterprisePage, **errors(422, invalid=ValidationErrorOut)},
    throttle=SEARCHES,
    operation_id="listEnterprises",
    summary="企业列表",
    description=(
        "分页列出调用者有权查看的企业：市级人员和审计人员为全市，区县工作人员为本区县，企业用户仅为本企业。"
        "可按名称或统一社会信用代码搜索（q），并按区县、产业生态圈、企业规模筛选。每页最多 200 条。"
    ),
)
def list_enterprises(request: HttpRequest, filters: Query[EnterpriseFilters]) -> dict[str, Any]:
    qs = enterprises.search(
        caller(request),
        q=filters.q,
        district=filters.district,
        ecosystem=filters.ecosystem,
        size_class=filters.size_class,
    )
    start = (filters.page - 1) * filters.page_size
    return {
        "items": enterprises.summaries(qs[start : start + filters.page_size]),
        "total": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
    }


@router.get(
    USCC_PATH,
    response={200: Profile, **errors(404)},
    throttle=PROBES,
    operation_id="getEnterprise",
    summary="企业资料",
    description=(
        "按统一社会信用代码返回一家企业的完整资料（交换格式 v1，不含联系人）。"
        "不在调用者范围内的企业一律答复 404。"
    ),
)
def get_enterprise(request: HttpRequest, uscc: str = uscc_path()) -> HttpResponse:
    enterprise = scoping.get_enterprise(caller(request), uscc=uscc, ip=client_ip(request))
    return _profile_response(enterprise, 200)


@router.post(
    "",
    response={201: Profile, **errors(403, 409, 413, 415, 422, invalid=ValidationErrorOut)},
    throttle=WRITES,
    openapi_extra=profile_body(example_profile(NEW_EXAMPLE_USCC, "杭州新示例材料有限公司")),
    operation_id="createEnterprise",
    summary="新增企业",
    description=(
        "以一条交换格式 v1 企业资料新增企业，返回入库后的资料（201）。统一社会信用代码已存在时答复 409；"
        "资料不合格式时答复 422 并逐项说明字段和原因；审计人员、企业用户、服务机构无权新增（403），"
        "区县工作人员只能新增本区县企业（403）。"
    ),
)
def create_enterprise(request: HttpRequest) -> HttpResponse:
    user, ip = caller(request), client_ip(request)
    enterprises.ensure_may_write(user, ip=ip)
    written = enterprises.create_enterprise(read_profile(request), user, ip=ip)
    return _profile_response(written.enterprise, 201)


@router.put(
    USCC_PATH,
    response={200: Profile, **errors(403, 404, 413, 415, 422, invalid=ValidationErrorOut)},
    throttle=WRITES,
    openapi_extra=profile_body(example_profile(EXAMPLE_USCC, "杭州示例智能科技有限公司")),
    operation_id="updateEnterprise",
    summary="更新企业资料",
    description=(
        "以完整或部分的交换格式 v1 资料合并更新企业：填写的字段覆盖原值，未填写（或为 null）的字段保持不变，"
        "填写的列表（称号、认定等）整体替换。请求体中的 uscc 必须与地址一致。重复提交相同内容不产生任何变更。"
        "不在调用者范围内的企业答复 404；只读角色答复 403。"
    ),
)
def update_enterprise(request: HttpRequest, uscc: str = uscc_path()) -> HttpResponse:
    user, ip = caller(request), client_ip(request)
    enterprises.ensure_may_write(user, ip=ip)
    enterprise = scoping.get_enterprise(user, uscc=uscc, ip=ip)
    written = enterprises.update_enterprise(enterprise, read_profile(request), user, ip=ip)
    return _profile_response(written.enterprise, 200)
