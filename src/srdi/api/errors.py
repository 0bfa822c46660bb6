"""How failures become HTTP answers, all with Chinese messages.

Use ``install(api)`` once on the NinjaAPI. Out-of-scope lookups answer 404 with a message that names nothing
(never 403, so existence is not disclosed); invalid records answer 422 with one entry per field; refusals by
the edit rules answer 403; duplicates 409; bad JSON 400 (413 when too large, 415 when not JSON); missing or
bad credentials 401; rate limits 429; any other exception 500 with a request id and no traceback
(``srdi.api.fallback.server_error``). Answers made outside the operations are the middleware's
(``srdi.api.middleware``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from srdi.api.auth import UNAUTHENTICATED
from srdi.api.bodies import BadBody
from srdi.api.fallback import FORBIDDEN, GENERIC, server_error
from srdi.domain.exchange import FieldProblem, RecordError
from srdi.services.enterprises import EnterpriseExists, EnterpriseForbidden
from srdi.services.scoping import OutOfScope

NOT_FOUND = "未找到该企业"
THROTTLED = "请求过于频繁，请稍后再试"


def _shown(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _message(problem: FieldProblem) -> str:
    value = _shown(problem.value)
    shown = "" if value is None or isinstance(value, dict | list) else f"，值 {value!r}"
    return f"字段 {problem.path}{shown}：{problem.reason}"


def field_errors(problems: list[FieldProblem]) -> list[dict[str, Any]]:
    """The ``errors`` list of a 422 answer (decimals shown as their exact text)."""
    return [
        {"field": p.path, "value": _shown(p.value), "reason": p.reason, "message": _message(p)}
        for p in problems
    ]


def _param_reason(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    expected = str(ctx.get("expected", "")).replace(" or ", ", ")
    reasons = {
        "missing": "缺少必填参数",
        "int_parsing": "应为整数",
        "int_type": "应为整数",
        "string_type": "应为文本",
        "literal_error": f"取值不在允许范围内，应为 {expected} 之一",
        "greater_than_equal": f"不能小于 {ctx.get('ge')}",
        "less_than_equal": f"不能大于 {ctx.get('le')}",
        "string_too_long": f"不能超过 {ctx.get('max_length')} 个字符",
        "string_pattern_mismatch": "格式不正确",
        "json_invalid": "不是有效的 JSON",
        "date_parsing": "应为 YYYY-MM-DD 格式的日期",
        "date_from_datetime_parsing": "应为 YYYY-MM-DD 格式的日期",
        "date_from_datetime_inexact": "应为 YYYY-MM-DD 格式的日期",
        "date_type": "应为 YYYY-MM-DD 格式的日期",
        "bool_parsing": "应为 true 或 false",
    }
    return reasons.get(kind, str(err.get("msg", kind)))


def _param_problems(request: HttpRequest, exc: ValidationError) -> list[FieldProblem]:
    problems = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", ())]
        source, path = (
            (loc[0], loc[1:]) if loc and loc[0] in ("query", "path", "body", "header") else ("", loc)
        )
        name = ".".join(path) or source or "(请求)"
        value = request.GET.get(name) if source == "query" else None
        problems.append(FieldProblem(path=name, value=value, reason=_param_reason(err)))
    return problems


def install(api: NinjaAPI) -> None:
    """Register every handler on ``api``."""

    def answer(request: HttpRequest, data: dict[str, Any], status: int) -> HttpResponse:
        return api.create_response(request, data, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = exc.message if exc.message and exc.message != "Unauthorized" else UNAUTHENTICATED
        response = answer(request, {"detail": message}, 401)
        response["WWW-Authenticate"] = 'Bearer realm="srdi"'
        return response

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return answer(request, {"detail": THROTTLED}, 429)

    @api.exception_handler(OutOfScope)
    def out_of_scope(request: HttpRequest, exc: OutOfScope) -> HttpResponse:
        return answer(request, {"detail": NOT_FOUND}, 404)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return answer(request, {"detail": "未找到"}, 404)

    @api.exception_handler(EnterpriseForbidden)
    def forbidden(request: HttpRequest, exc: EnterpriseForbidden) -> HttpResponse:
        return answer(request, {"detail": exc.message}, 403)

    @api.exception_handler(EnterpriseExists)
    def exists(request: HttpRequest, exc: EnterpriseExists) -> HttpResponse:
        return answer(request, {"detail": exc.message}, 409)

    @api.exception_handler(BadBody)
    def bad_body(request: HttpRequest, exc: BadBody) -> HttpResponse:
        return answer(request, {"detail": exc.message}, exc.status)

    @api.exception_handler(RecordError)
    def invalid_record(request: HttpRequest, exc: RecordError) -> HttpResponse:
        detail = f"企业资料不符合交换格式 v1，共 {len(exc.problems)} 处问题：" + "；".join(
            map(_message, exc.problems)
        )
        return answer(request, {"detail": detail, "errors": field_errors(exc.problems)}, 422)

    @api.exception_handler(ValidationError)
    def invalid_params(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        problems = _param_problems(request, exc)
        detail = "请求参数有误：" + "；".join(map(_message, problems))
        return answer(request, {"detail": detail, "errors": field_errors(problems)}, 422)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return answer(request, {"detail": str(exc)}, exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return answer(request, {"detail": GENERIC[413]}, 413)

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return answer(request, {"detail": GENERIC[400]}, 400)

    @api.exception_handler(PermissionDenied)
    def denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return answer(request, {"detail": FORBIDDEN}, 403)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        return server_error(request, exc)
