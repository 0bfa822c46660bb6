"""Request and response shapes of the API, declared so the OpenAPI document is meaningful.

Use these in operation signatures and ``response=`` maps. The enterprise profile itself is the exchange
format's ``srdi.domain.exchange.Profile`` (see the contract README), not redeclared here.
"""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema

from srdi.domain.exchange import Ecosystem

SizeClass = Literal["large", "medium", "small", "micro"]


class ErrorOut(Schema):
    """An error with its reason in Chinese."""

    detail: str = Field(..., description="错误原因（中文）")


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

    q: str | None = Field(None, max_length=100, description="按企业名称或统一社会信用代码搜索（包含即可）")
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


def contract_body(description: str, **properties: dict[str, Any]) -> dict[str, Any]:
    """The ``openapi_extra`` of an operation that takes a contract document: ``{…properties, "enterprises":
    [Profile, …]}`` with no other keys (the body is read and validated by hand, not by ninja)."""
    schema = {
        "type": "object",
        "required": ["enterprises"],
        "properties": {
            **properties,
            "enterprises": {"type": "array", "items": {"$ref": "#/components/schemas/Profile"}},
        },
        "additionalProperties": False,
    }
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }
