"""The /api/v1 application (django-ninja): authentication, error answers, documentation and routers.

Every operation requires a bearer token or a signed-in session (``srdi.api.auth``) and is rate-limited per
user (``srdi.api.throttles``); every error is answered in JSON (``srdi.api.errors`` inside the operations,
``srdi.api.middleware`` for the rest of /api/). The OpenAPI document is at ``openapi.json`` and Swagger UI at ``docs``, both
for signed-in callers only and served without any CDN (``srdi.api.docs``). Add new routers here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from srdi.api import errors
from srdi.api.assessment import router as assessment_router
from srdi.api.auth import API_AUTH
from srdi.api.docs import LocalSwagger, signed_in_only
from srdi.api.enterprises import router as enterprises_router
from srdi.api.entitlements import router as entitlements_router
from srdi.api.openapi import standard_keywords
from srdi.api.responses import NO_STORE, Utf8JSONRenderer
from srdi.api.throttles import READS


class SrdiAPI(NinjaAPI):
    """NinjaAPI whose answers are never cached by browsers or proxies (they carry enterprise data) and whose
    OpenAPI document uses standard JSON Schema keywords only (``srdi.api.openapi``)."""

    def create_response(self, request: HttpRequest, data: Any, **kwargs: Any) -> HttpResponse:
        response = super().create_response(request, data, **kwargs)
        response["Cache-Control"] = NO_STORE
        return response

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        standard_keywords(document)
        return document


api = SrdiAPI(
    title="srdi 杭州专精特新名城政策平台 API",
    version="1.0.0",
    description=(
        "优质中小企业数据库接口，数据格式为交换格式 v1。认证方式：系统间调用在 Authorization 头中使用 "
        "Bearer 令牌（由管理员以 `srdi token create` 签发）；浏览器使用登录会话，写操作需带 X-CSRFToken。"
        "所有查询均限于调用者的数据范围，范围外的企业一律答复 404。"
    ),
    urls_namespace="api",
    renderer=Utf8JSONRenderer(),
    auth=API_AUTH,
    throttle=READS,
    docs=LocalSwagger(),
    docs_decorator=signed_in_only,
)
errors.install(api)
api.add_router("/enterprises", enterprises_router)
api.add_router("", assessment_router)
api.add_router("", entitlements_router)
