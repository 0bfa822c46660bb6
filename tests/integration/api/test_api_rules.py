"""POST /api/v1/assess and /api/v1/entitle speak the contracts; per-enterprise results are scoped."""

from __future__ import annotations

import json

import pytest
from tests.conftest import make_uscc

from srdi.services.accounts import create_user
from srdi.services.imports import import_file
from srdi.services.tokens import create_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    user = create_user(username="rules_city", password="x", role="city_staff", check_password=False)
    token = create_token(user, "rules")

    def call(method, path, body=None, token_value=token):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token_value}"}
        if body is None:
            return getattr(client, method)(path, **kwargs)
        return getattr(client, method)(path, data=json.dumps(body), content_type="application/json", **kwargs)

    return call


def test_assess_answers_the_contract(api):
    response = api("post", "/api/v1/assess", {"as_of": "2025-06-30", "enterprises": [{"uscc": make_uscc()}]})
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["tiers"]["srdi_sme"]["status"] == "needs_data"
    assert "gaps" in result


def test_assess_malformed_document_is_422_and_bad_record_is_an_error_entry(api):
    assert api("post", "/api/v1/assess", {"enterprises": "x"}).status_code == 422
    response = api(
        "post", "/api/v1/assess", {"as_of": "2025-06-30", "enterprises": [{"uscc": make_uscc(), "x": 1}]}
    )
    assert "error" in response.json()["results"][0]


def test_entitle_answers_the_contract_with_parameter_overrides(api):
    body = {
        "parameters": {"hz81.17.rate_discount_min": "0.10"},
        "enterprises": [
            {
                "uscc": make_uscc(),
                "district": "330106",
                "certifications": [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}],
                "events": [
                    {
                        "kind": "loan",
                        "loan_id": "L1",
                        "contract_date": "2024-05-10",
                        "principal_fen": 1_000_000_000,
                        "annual_rate": "0.028",
                        "term_months": 12,
                        "interest_paid_fen": 28_000_000,
                        "guarantee_fee_rate": "0.004",
                    }
                ],
            }
        ],
    }
    response = api("post", "/api/v1/entitle", body)
    assert response.status_code == 200
    ent = response.json()["results"][0]["entitlements"][0]
    assert (ent["status"], ent["amount_fen"], ent["city_fen"] + ent["district_fen"]) == (
        "granted",
        10_000_000,
        10_000_000,
    )


def test_entitle_unknown_parameter_is_422(api):
    response = api("post", "/api/v1/entitle", {"parameters": {"hz81.99.nope": "1"}, "enterprises": []})
    assert response.status_code == 422
    assert "hz81.99.nope" in response.json()["detail"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"hz81.9.key_industries": "new_energy"}, "parameters.hz81.9.key_industries：应为列表"),
        ({"hz81.7.scene_amount": -1}, "parameters.hz81.7.scene_amount：金额不能为负数"),
        ({"hz81.7.scene_amount": 400000.5}, "parameters.hz81.7.scene_amount：应为整数分"),
        ({"hz81.9.rate.key": "1.5"}, "parameters.hz81.9.rate.key：比例应在 0 与 1 之间"),
    ],
)
def test_entitle_bad_parameter_values_are_422_in_chinese(api, parameters, message):
    response = api("post", "/api/v1/entitle", {"parameters": parameters, "enterprises": []})
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_per_enterprise_results_are_scoped(api, client):
    own, other = make_uscc("330106"), make_uscc("330108")
    data = json.dumps([{"uscc": own, "district": "330106"}, {"uscc": other, "district": "330108"}]).encode()
    assert import_file(data, "x.json").ok
    district_user = create_user(
        username="rules_xihu",
        password="x",
        role="district_staff",
        district_code="330106",
        check_password=False,
    )
    token = create_token(district_user, "d")
    for suffix in ("assessment", "entitlements"):
        assert api("get", f"/api/v1/enterprises/{own}/{suffix}", token_value=token).status_code == 200
        foreign = api("get", f"/api/v1/enterprises/{other}/{suffix}", token_value=token)
        assert foreign.status_code == 404
        assert other not in foreign.content.decode()


def test_assess_v11_review_document_names_the_rulebooks_and_purpose(api):
    document = {
        "as_of": "2026-06-30",
        "format": "1.1",
        "purpose": "review",
        "enterprises": [{"uscc": make_uscc()}],
    }
    body = api("post", "/api/v1/assess", document).json()
    assert body["purpose"] == "review"
    tiers = body["results"][0]["tiers"]
    assert tiers["srdi_sme"]["rulebook"]["id"] == "miit26.srdi_sme"
    assert tiers["little_giant"]["rulebook"]["purpose"] == "review"
    schema = api("get", "/api/v1/openapi.json").json()
    body_schema = schema["paths"]["/api/v1/assess"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert body_schema["properties"]["purpose"]["enum"] == ["application", "review"]
    assert "platform_scores" in schema["components"]["schemas"]["Profile"]["properties"]


def test_per_enterprise_assessment_takes_a_date_and_a_purpose(api):
    uscc = make_uscc("330106")
    assert import_file(json.dumps([{"uscc": uscc, "district": "330106"}]).encode(), "x.json").ok
    result = api("get", f"/api/v1/enterprises/{uscc}/assessment?as_of=2026-06-30&purpose=review").json()[
        "result"
    ]
    assert result["as_of"] == "2026-06-30"
    assert result["tiers"]["srdi_sme"]["rulebook"]["id"] == "miit26.srdi_sme"
    assert api("get", f"/api/v1/enterprises/{uscc}/assessment?as_of=2021-01-01").status_code == 422
    assert api("get", f"/api/v1/enterprises/{uscc}/assessment?purpose=audit").status_code == 422


def test_a_date_far_in_the_future_is_a_clear_422(api):
    body = {"as_of": "9999-06-30", "enterprises": [{"uscc": make_uscc()}]}
    response = api("post", "/api/v1/assess", body)
    assert response.status_code == 422 and "请检查年份" in response.json()["detail"]


def test_entitle_in_force_uses_the_approved_values_and_the_default_the_baseline(api):
    from datetime import date

    from srdi.services import parameters

    staff = create_user(username="rules_staff2", password="x", role="city_staff", check_password=False)
    admin = create_user(username="rules_admin", password="x", role="city_admin", check_password=False)
    change = parameters.propose(
        staff,
        pid="hz81.22.cap",
        value="50万",
        as_text=True,
        effective_from=date(2025, 1, 1),
        document="杭经信〔2025〕88号",
        reason="数字化攻关项目补助上限调整",
    )
    parameters.decide(change.pk, admin, approve=True)
    project = {
        "kind": "digital_transformation",
        "project_id": "D1",
        "date": "2025-05-01",
        "eligible_investment_fen": 10**9,
    }
    certs = [{"tier": "srdi_sme", "recognized_on": "2023-01-15", "expires_on": "2026-01-14"}]
    body = {
        "enterprises": [
            {"uscc": make_uscc(), "district": "330106", "certifications": certs, "events": [project]}
        ]
    }

    def amount(path: str) -> int:
        response = api("post", path, body)
        assert response.status_code == 200, response.content
        return response.json()["results"][0]["entitlements"][0]["amount_fen"]

    assert amount("/api/v1/entitle") == 100_000_000  # the contract's baseline cap, 100万
    assert amount("/api/v1/entitle?in_force=true") == 50_000_000  # the approved cap
    assert api("post", "/api/v1/entitle?in_force=maybe", body).status_code == 422
