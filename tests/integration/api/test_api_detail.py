"""``?detail=summary`` on the assessment operations: the verdicts without the traces; ``full`` is the default.

The summary must be exactly the full answer trimmed (same statuses, scores, routes, rulebooks and gaps), refuse
an unknown value with a Chinese 422 naming the parameter, and be documented in the OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conftest import make_uscc
from tests.integration.api.helpers import API

from srdi.domain.assessment.summary import RESULT_FIELDS, RULEBOOK_FIELDS
from srdi.services.accounts import create_user
from srdi.services.imports import import_file
from srdi.services.tokens import create_token

pytestmark = pytest.mark.django_db

PROFILE_2024 = {
    "uscc": "",
    "district": "330106",
    "industry_code": "C3911",
    "founded_on": "2015-03-01",
    "financials": {
        "2023": {"employees": 80, "operating_revenue_fen": 6_000_000_000, "rd_expense_fen": 400_000_000},
        "2024": {"employees": 90, "operating_revenue_fen": 8_000_000_000, "rd_expense_fen": 600_000_000},
    },
}


@pytest.fixture
def api(client):
    user = create_user(username="detail_city", password="x", role="city_staff", check_password=False)
    token = create_token(user, "detail")

    def call(method: str, path: str, body: Any = None) -> Any:
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is None:
            return getattr(client, method)(path, **kwargs)
        return getattr(client, method)(path, data=json.dumps(body), content_type="application/json", **kwargs)

    return call


def _document() -> dict[str, Any]:
    rich = dict(PROFILE_2024, uscc=make_uscc("330106"))
    return {
        "as_of": "2025-06-30",
        "enterprises": [{"uscc": make_uscc()}, rich, {"uscc": make_uscc(), "unknown_field": 1}],
    }


def _trimmed(full: dict[str, Any]) -> dict[str, Any]:
    """What a summary must be, written independently of ``srdi.api.detail``."""
    if "tiers" not in full:
        return full
    out = {k: full[k] for k in RESULT_FIELDS}
    out["gaps"] = full["gaps"]
    out["tiers"] = {}
    for tier, value in full["tiers"].items():
        kept = {"status": value["status"], "score": value["score"], "route": value["route"]}
        if "score_range" in value:
            kept["score_range"] = value["score_range"]
        kept["rulebook"] = {k: value["rulebook"][k] for k in ("id", "title", "document")}
        out["tiers"][tier] = kept
    return out


def test_summary_is_the_full_answer_trimmed(api):
    document = _document()
    full = api("post", f"{API}/assess", document)
    default = api("post", f"{API}/assess?detail=full", document)
    summary = api("post", f"{API}/assess?detail=summary", document)
    assert full.status_code == default.status_code == summary.status_code == 200
    assert full.json() == default.json()  # full is the default
    full_body, summary_body = full.json(), summary.json()
    assert summary_body["as_of"] == full_body["as_of"] and summary_body["purpose"] == full_body["purpose"]
    assert summary_body["results"] == [_trimmed(r) for r in full_body["results"]]
    first = summary_body["results"][0]
    assert set(first) == {*RESULT_FIELDS, "tiers", "gaps"}
    assert first["gaps"], "an enterprise without data has gaps to show"
    for tier in first["tiers"].values():
        assert set(tier) <= {"status", "score", "score_range", "route", "rulebook"}
        assert set(tier["rulebook"]) == set(RULEBOOK_FIELDS)
        assert "checks" not in tier and "missing" not in tier
    assert "profile" in full_body["results"][0] and "profile" not in first
    assert "error" in summary_body["results"][2]  # a refused record is kept as it is
    assert len(summary.content) < len(full.content) / 3


def test_summary_without_gaps(api):
    summary = api("post", f"{API}/assess?detail=summary&gaps=false", _document()).json()
    assert summary["results"][0]["gaps"] == []


@pytest.mark.parametrize("value", ["brief", "SUMMARY", ""])
def test_an_unknown_detail_is_a_422_naming_the_parameter(api, value):
    response = api("post", f"{API}/assess?detail={value}", _document())
    assert response.status_code == 422
    body = response.json()
    assert "detail" in body["detail"] and "summary" in body["detail"] and "full" in body["detail"]
    assert body["detail"].startswith("请求参数有误")
    assert body["errors"][0]["field"] == "detail"


def test_the_enterprise_assessment_takes_detail(api):
    uscc = make_uscc("330106")
    assert import_file(json.dumps([dict(PROFILE_2024, uscc=uscc)]).encode(), "x.json").ok
    path = f"{API}/enterprises/{uscc}/assessment?as_of=2025-06-30"
    full = api("get", path).json()
    summary = api("get", path + "&detail=summary").json()
    assert summary["screening"] == full["screening"]
    assert summary["result"] == _trimmed(full["result"])
    bad = api("get", path + "&detail=x")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "detail"


def test_the_openapi_document_describes_detail(api):
    document = api("get", f"{API}/openapi.json").json()
    for path, method in ((f"{API}/assess", "post"), (f"{API}/enterprises/{{uscc}}/assessment", "get")):
        params = {p["name"]: p for p in document["paths"][path][method]["parameters"]}
        schema = params["detail"]["schema"]
        assert schema["enum"] == ["full", "summary"] and schema["default"] == "full"
        assert "summary" in params["detail"]["description"]
