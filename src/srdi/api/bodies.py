"""Reading an exchange-format profile from a request body, exactly.

Use ``read_profile`` in write operations instead of a ninja body parameter: decimals are parsed as
``Decimal`` (never float), NaN/Infinity and duplicate keys are refused, and the record is validated by the
exchange format's own ``parse_profile`` (strict: unknown fields are errors), which raises ``RecordError``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from srdi.domain.exchange import Profile, parse_profile

NOT_JSON = "请求体应为 JSON：请使用 Content-Type: application/json（UTF-8 编码）"
UTF8_NAMES = frozenset({"utf-8", "utf8"})


class BadBody(Exception):
    """The body is not usable JSON at all (answer 400; 413 when too large, 415 when not declared JSON)."""

    def __init__(self, message: str, status: int = 400):
        self.message = message
        self.status = status
        super().__init__(message)


def _no_constant(name: str) -> Any:
    raise ValueError(f"不允许 {name}（JSON 中的数值必须是有限数）")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"字段 {key} 重复出现")
        data[key] = value
    return data


def declares_json(request: HttpRequest) -> bool:
    """Whether the request says its body is UTF-8 JSON (``application/json``, no other charset)."""
    media_type = (request.content_type or "").lower()
    charset = (request.content_params or {}).get("charset", "utf-8").strip().lower()
    json_type = media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
    return json_type and charset in UTF8_NAMES


def read_json(request: HttpRequest) -> Any:
    """The body as JSON data with exact decimals; ``BadBody`` when it cannot be read."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise BadBody("请求体过大", status=413) from None
    if not raw.strip():
        raise BadBody("请求体为空：应为一个 JSON 对象（交换格式 v1 企业资料）")
    if not declares_json(request):
        raise BadBody(NOT_JSON, status=415)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("请求体应为 UTF-8 编码的 JSON") from None
    try:
        return json.loads(
            text, parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_no_duplicates
        )
    except json.JSONDecodeError as exc:
        raise BadBody(f"请求体不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）") from None
    except ValueError as exc:
        raise BadBody(f"请求体不是有效的 JSON：{exc}") from None
    except RecursionError:
        raise BadBody("请求体 JSON 嵌套层次过深") from None


def read_profile(request: HttpRequest) -> Profile:
    """The body validated as one exchange-format profile (``RecordError`` lists every problem)."""
    return parse_profile(read_json(request))
