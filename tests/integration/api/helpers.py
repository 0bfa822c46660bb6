"""Helpers for the /api/v1 tests: valid USCCs, small profiles, JSON requests, the WSGI application."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from django.test import Client
from django.test.client import ClientHandler

from srdi.domain.uscc import CHARSET, uscc_check_char

API = "/api/v1"
OWN = "330106"
FOREIGN = "330108"
_serial = itertools.count(7001)


def new_uscc(district: str = OWN) -> str:
    """A GB 32100-valid USCC whose digits 3–8 are the district code."""
    n = next(_serial)
    body = ""
    for _ in range(9):
        n, rem = divmod(n, 31)
        body = CHARSET[rem] + body
    first17 = "91" + district + body
    return first17 + uscc_check_char(first17)


def profile_data(uscc: str | None = None, district: str = OWN, **extra: Any) -> dict[str, Any]:
    """A small valid exchange-format profile (JSON data)."""
    data: dict[str, Any] = {
        "uscc": uscc or new_uscc(district),
        "name": "杭州接口测试科技有限公司",
        "district": district,
        "industry_code": "C3976",
        "ecosystem": "smart_iot",
        "financials": {
            "2024": {
                "operating_revenue_fen": 500_000_000,
                "main_business_revenue_fen": 450_000_000,
                "employees": 120,
            },
            "2023": {"operating_revenue_fen": 400_000_000},
        },
        "main_product": {"niche_market_share": "0.12", "chain_role": "key_link_breakthrough"},
    }
    data.update(extra)
    return data


def put_json(client: Client, url: str, data: Any, **kwargs: Any):
    return client.put(url, data=data, content_type="application/json", **kwargs)


def post_json(client: Client, url: str, data: Any, **kwargs: Any):
    return client.post(url, data=data, content_type="application/json", **kwargs)


_HANDLER = ClientHandler(enforce_csrf_checks=True)


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The project as a WSGI application, for in-process callers that need the raw answer (schemathesis, the
    header list of an answer). Like Django's test client, it keeps the test's database connection open."""
    response = _HANDLER(environ)
    headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    return response.streaming_content if response.streaming else [response.content]
