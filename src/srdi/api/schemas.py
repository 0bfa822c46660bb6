"""Request and response shapes of the API, declared so the OpenAPI document is meaningful.

Use these in operation signatures and ``response=`` maps (``errors(…)`` adds the error answers an operation may
give, each with its body schema). The enterprise profile itself is the exchange format's
``srdi.domain.exchange.Profile`` (see the contract README), not redeclared here. The examples (``EXAMPLE_…``)
are what Swagger UI pre-fills and what the schemathesis test sends first.
"""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from ninja.params import functions as params

from srdi.domain.exchange import Ecosystem

SizeClass = Literal["large", "medium", "small", "micro"]
Purpose = Literal["application", "review"]  # srdi.domain.rules.model.PURPOSES (a test keeps the two equal)
# Answers any operation may give: a query string that is not UTF-8, no credentials, too many requests, a bug.
ALWAYS = (400, 401, 429, 500)
EXAMPLE_USCC = "91330106MA2H0EXAMG"  # an enterprise of 西湖区 in the examples
NEW_EXAMPLE_USCC = "91330106MA2H0NEWCU"  # the example of a new enterprise


class ErrorOut(Schema):
    """An error with its reason in Chinese."""

    detail: str = Field(..., description="错误原因（中文）")


class ServerErrorOut(Schema):
    """An unexpected server error: the details are in the log under ``request_id``, never in the answer."""

    detail: str = Field(..., description="错误原因（中文），含请求编号")
    request_id: str = Field(..., description="请求编号：服务器日志中以同一编号记录了错误详情")


class FieldErrorOut(Schema):
    """One invalid field: where, what was sent, and why it is wrong."""

    field: str = Field(..., description="字段路径，如 financials.2024.rd_expense_fen", examples=["district"])
    value: Any = Field(None, description="提交的值（缺少字段时为 null）")
    reason: str = Field(..., description="原因（中文）")
    message: str = Field(..., description="完整说明（中文），可直接展示给用户")


class ValidationErrorOut(Schema):
    """Invalid input: a summary and one entry per problem."""

    detail: str = Field(..., description="概要（中文）")
    errors: list[FieldErrorOut]


class EnterpriseFilters(Schema):
    """Query parameters of the enterprise list."""

    q: str | None = Field(
        None,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="按企业名称或统一社会信用代码搜索（包含即可；不含控制字符）",
    )
    district: str | None = Field(None, pattern=r"^\d{6}$", description="区县（市）行政区划代码，如 330106")
    ecosystem: Ecosystem | None = Field(None, description="产业生态圈")
    size_class: SizeClass | None = Field(None, description="企业规模（工信部联企业〔2011〕300号划型）")
    page: int = Field(1, ge=1, le=1_000_000, description="页码，从 1 开始")
    page_size: int = Field(50, ge=1, le=200, description="每页条数，最多 200")


class EnterpriseSummary(Schema):
    """One row of the enterprise list."""

    uscc: str = Field(..., description="统一社会信用代码")
    name: str = Field(..., description="企业名称（未知时为空字符串）")
    district: str | None = Field(None, description="区县（市）行政区划代码")
    industry_code: str | None = Field(None, description="行业代码（GB/T 4754-2017）")
    size_class: SizeClass | None = Field(None, description="企业规模")
    ecosystem: Ecosystem | None = Field(None, description="产业生态圈")


class EnterprisePage(Schema):
    """One page of the enterprise list and the total number of matches within the caller's scope."""

    items: list[EnterpriseSummary]
    total: int = Field(..., description="符合条件的企业总数（仅限调用者有权查看的范围）")
    page: int
    page_size: int


def contract_body(
    description: str, example: dict[str, Any], max_enterprises: int, **properties: dict[str, Any]
) -> dict[str, Any]:
    """The ``openapi_extra`` of an operation that takes a contract document: ``{…properties, "enterprises":
    [Profile, …]}`` with no other keys (the body is read and validated by hand, not by ninja; more than
    ``max_enterprises`` records are answered 413)."""
    schema = {
        "type": "object",
        "required": ["enterprises"],
        "properties": {
            **properties,
            "enterprises": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Profile"},
                "maxItems": max_enterprises,
            },
        },
        "additionalProperties": False,
    }
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema, "example": example}},
        }
    }


def uscc_path() -> Any:
    """The ``uscc`` path parameter (no pattern: a malformed code is simply not found, 404)."""
    return params.Path(..., description="统一社会信用代码（18 位，大写）", example=EXAMPLE_USCC)


def errors(*statuses: int, invalid: type[Schema] = ErrorOut) -> dict[int, type[Schema]]:
    """The error part of an operation's ``response=`` map: ``statuses`` and ``ALWAYS``, each with its body
    schema (``invalid`` for 422, ``ServerErrorOut`` for 500, ``ErrorOut`` otherwise)."""
    shapes: dict[int, type[Schema]] = {}
    for status in sorted({*statuses, *ALWAYS}):
        shapes[status] = invalid if status == 422 else ServerErrorOut if status == 500 else ErrorOut
    return shapes


def example_profile(uscc: str, name: str) -> dict[str, Any]:
    """A small valid exchange-format profile of an enterprise of 西湖区 (the examples of the bodies)."""
    return {
        "uscc": uscc,
        "name": name,
        "district": "330106",
        "industry_code": "C3976",
        "ecosystem": "smart_iot",
        "founded_on": "2015-06-01",
        "financials": {
            "2024": {
                "operating_revenue_fen": 500_000_000,
                "main_business_revenue_fen": 450_000_000,
                "rd_expense_fen": 40_000_000,
                "employees": 120,
            },
            "2023": {"operating_revenue_fen": 400_000_000},
        },
        "main_product": {"niche_market_share": "0.12", "chain_role": "key_link_breakthrough"},
    }
