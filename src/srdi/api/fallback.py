"""JSON error answers for /api/ requests, wherever they fail: inside an operation or before reaching one.

Use ``error_response`` for any error answer of the API, ``server_error`` when an exception escaped (it logs the
traceback under a new request id and answers without it), ``not_found`` as the catch-all route after the API's
routes, and ``replacement_detail`` to word an answer Django produced as HTML (405, CSRF 403, 404 …). Every
body has the API's one error shape: ``{"detail": "中文原因"}``; a 422 adds ``errors`` (one entry per field)
and a 500 adds ``request_id``.
"""

from __future__ import annotations

import logging
import uuid

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from srdi.api.responses import json_response

logger = logging.getLogger("srdi.api")

API_ROOT = "/api"
NOT_FOUND_PATH = "接口地址不存在，请查阅接口文档 /api/v1/docs"
TRAILING_SLASH = "接口地址不存在：接口地址末尾不加斜杠，请改用 {path}"
NOT_FOUND_ROUTE = "api-not-found"  # the name of the catch-all route (``srdi.config.urls``)
BAD_QUERY_ENCODING = "查询参数不是有效的 UTF-8 编码，请按 UTF-8 对查询参数进行百分号编码"
FORBIDDEN = "无权执行该操作"
SERVER_ERROR = "服务器内部错误，请稍后再试；如需协助，请向管理员提供请求编号 {request_id}"
GENERIC = {
    400: "请求无效",
    401: "未登录或令牌无效",
    403: "禁止访问：CSRF 校验失败或无权访问（使用登录会话调用写操作时，请在 X-CSRFToken 头中提供 CSRF 令牌）",
    404: NOT_FOUND_PATH,
    413: "请求体过大",
    415: "请求体应为 JSON（Content-Type: application/json）",
}


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the API (and so must be answered in JSON)."""
    return path == API_ROOT or path.startswith(API_ROOT + "/")


def error_response(status: int, detail: str, **extra: object) -> HttpResponse:
    """An error answer of the API: ``{"detail": …, **extra}`` with ``status``."""
    return json_response({"detail": detail, **extra}, status)


def server_error(request: HttpRequest, exc: BaseException | None) -> HttpResponse:
    """A 500 answer naming a fresh request id; the traceback goes to the log only, under the same id."""
    request_id = uuid.uuid4().hex
    logger.error(
        "API 内部错误：request_id=%s %s %s",
        request_id,
        request.method,
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None,
    )
    response = error_response(500, SERVER_ERROR.format(request_id=request_id), request_id=request_id)
    response["X-Request-ID"] = request_id
    return response


def method_not_allowed_detail(method: str, allowed: list[str]) -> str:
    return f"该接口地址不支持 {method} 方法，允许的方法：{', '.join(allowed)}"


def replacement_detail(request: HttpRequest, status: int, allowed: list[str]) -> str:
    """The message of a JSON answer that replaces Django's own (HTML or plain text) error answer."""
    if status == 405:
        return method_not_allowed_detail(request.method or "", allowed)
    if status == 404:
        return _not_found_detail(request.path_info)
    return GENERIC.get(status, f"请求失败（HTTP {status}）")


def _not_found_detail(path: str) -> str:
    """Names the right address when only a trailing slash is wrong (``/api/v1/assess/``)."""
    bare = path.rstrip("/")
    if bare == path or not is_api_path(bare):
        return NOT_FOUND_PATH
    try:
        match = resolve(bare)
    except Resolver404:
        return NOT_FOUND_PATH
    return NOT_FOUND_PATH if match.url_name == NOT_FOUND_ROUTE else TRAILING_SLASH.format(path=bare)


@csrf_exempt  # it changes nothing; a POST to a wrong address must learn that, not fail the CSRF check
def not_found(request: HttpRequest) -> HttpResponse:
    """Every /api/ path that no route serves: a JSON 404 (never the site's HTML page, never a redirect)."""
    return error_response(404, _not_found_detail(request.path_info))
