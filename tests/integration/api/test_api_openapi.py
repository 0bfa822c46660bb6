"""The OpenAPI document: a valid OpenAPI 3.1 document in standard JSON Schema keywords, with every operation's
error answers, required fields and formats declared."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from openapi_spec_validator import validate
from tests.integration.api.helpers import API, post_json, put_json

from srdi.api.openapi import fix_schema, standard_keywords
from srdi.api.schemas import ALWAYS, EXAMPLE_USCC, NEW_EXAMPLE_USCC, Purpose
from srdi.domain.rules.model import PURPOSES
from srdi.domain.uscc import check_uscc

pytestmark = pytest.mark.django_db

PYDANTIC_ONLY = {"ge", "le", "gt", "lt", "min_length", "max_length", "multiple_of", "max_digits"}
PYDANTIC_ONLY |= {"decimal_places", "allow_inf_nan", "strict"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture
def document(world, bearer) -> dict[str, Any]:
    response = bearer(world.users["auditor"]).get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json()


def schemas_in(node: Any, key: str = "") -> Iterator[dict[str, Any]]:
    """Every JSON Schema object of the document (keys of ``properties`` maps are names, not keywords)."""
    if isinstance(node, dict):
        if key in ("schema", "items", "additionalProperties") or "type" in node or "anyOf" in node:
            yield node
        for k, v in node.items():
            if k in ("example", "examples"):
                continue
            if k == "properties" and isinstance(v, dict):
                for prop in v.values():
                    yield from schemas_in(prop, "schema")
            else:
                yield from schemas_in(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from schemas_in(item, key)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def test_the_document_is_valid_openapi(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_bounds_use_json_schema_keywords_only(document):
    leaked = [(sorted(PYDANTIC_ONLY & s.keys()), s) for s in schemas_in(document) if PYDANTIC_ONLY & s.keys()]
    assert leaked == []
    profile = document["components"]["schemas"]["Profile"]["properties"]
    assert profile["digital_level"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 4}
    financials = document["components"]["schemas"]["Financials"]["properties"]
    assert financials["employees"]["anyOf"][0]["minimum"] == 0
    assert financials["net_profit_fen"]["anyOf"][0]["minimum"] < 0
    params = {p["name"]: p["schema"] for p in document["paths"][f"{API}/enterprises"]["get"]["parameters"]}
    assert (params["page_size"]["minimum"], params["page_size"]["maximum"]) == (1, 200)
    assert params["q"]["anyOf"][0]["maxLength"] == 100


def test_required_fields_and_formats_are_declared(document):
    components = document["components"]["schemas"]
    assert components["Profile"]["required"] == ["uscc"]
    assert components["ErrorOut"]["required"] == ["detail"]
    assert set(components["ServerErrorOut"]["required"]) == {"detail", "request_id"}
    assert set(components["ValidationErrorOut"]["required"]) == {"detail", "errors"}
    assert components["Certification"]["properties"]["recognized_on"]["anyOf"][0]["format"] == "date"
    assessment = document["paths"][f"{API}/enterprises/{{uscc}}/assessment"]["get"]
    params = {p["name"]: p for p in assessment["parameters"]}
    assert params["uscc"]["required"] is True
    assert params["as_of"]["schema"]["anyOf"][0] == {"type": "string", "format": "date"}
    assert params["purpose"]["schema"]["enum"] == list(PURPOSES)
    assess_body = document["paths"][f"{API}/assess"]["post"]["requestBody"]
    assert assess_body["required"] is True
    body_schema = assess_body["content"]["application/json"]["schema"]
    assert body_schema["required"] == ["enterprises"]
    assert body_schema["properties"]["as_of"]["format"] == "date"


def test_the_documented_examples_work(document, world, bearer):
    assert check_uscc(EXAMPLE_USCC).ok and check_uscc(NEW_EXAMPLE_USCC).ok
    paths = document["paths"]

    def example(path: str, method: str) -> Any:
        return paths[f"{API}{path}"][method]["requestBody"]["content"]["application/json"]["example"]

    client = bearer(world.users["city_admin"])
    created = post_json(client, f"{API}/enterprises", example("/enterprises", "post"))
    assert created.status_code == 201
    assert created.json()["uscc"] == NEW_EXAMPLE_USCC
    put = example("/enterprises/{uscc}", "put")
    assert put["uscc"] == EXAMPLE_USCC
    assert post_json(client, f"{API}/enterprises", put).status_code == 201
    assert put_json(client, f"{API}/enterprises/{EXAMPLE_USCC}", put).status_code == 200
    assessed = post_json(client, f"{API}/assess", example("/assess", "post"))
    assert assessed.status_code == 200 and "error" not in assessed.json()["results"][0]
    entitled = post_json(client, f"{API}/entitle", example("/entitle", "post"))
    assert entitled.status_code == 200
    as_of = paths[f"{API}/enterprises/{{uscc}}/assessment"]["get"]["parameters"][1]["example"]
    assert client.get(f"{API}/enterprises/{EXAMPLE_USCC}/assessment", {"as_of": as_of}).status_code == 200


def test_the_purposes_of_the_api_are_the_rulebooks(document):
    assert get_args(Purpose) == PURPOSES


def test_every_operation_documents_its_error_answers_with_the_error_schema(document):
    expected = {
        ("GET", f"{API}/enterprises"): {422},
        ("POST", f"{API}/enterprises"): {403, 409, 413, 415, 422},
        ("GET", f"{API}/enterprises/{{uscc}}"): {404},
        ("PUT", f"{API}/enterprises/{{uscc}}"): {403, 404, 413, 415, 422},
        ("POST", f"{API}/assess"): {403, 413, 415, 422},
        ("GET", f"{API}/enterprises/{{uscc}}/assessment"): {404, 422},
        ("POST", f"{API}/entitle"): {403, 413, 415, 422},
        ("GET", f"{API}/enterprises/{{uscc}}/entitlements"): {404},
    }
    found = {}
    for method, path, operation in operations(document):
        errors = {int(code) for code in operation["responses"] if int(code) >= 400}
        found[(method, path)] = errors
        for code in errors:
            schema = operation["responses"][str(code)]["content"]["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
            if code == 500:
                assert name == "ServerErrorOut"
            elif code == 422:
                assert name in ("ErrorOut", "ValidationErrorOut")
            else:
                assert name == "ErrorOut", (method, path, code)
    assert found == {op: codes | set(ALWAYS) for op, codes in expected.items()}


def test_fix_schema_rewrites_bounds_and_keeps_names_and_examples():
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "ge": {"type": "integer", "ge": 1, "minimum": 0, "le": 9, "maximum": 12},
            "name": {"type": "string", "max_length": 5, "min_length": 1},
            "share": {"anyOf": [{"type": "number"}, {"type": "string"}], "ge": 0, "max_digits": 18},
            "items": {"type": "array", "items": {"type": "integer", "gt": 0, "lt": 10}},
        },
        "example": {"ge": 1},
    }
    fix_schema(schema)
    props = schema["properties"]
    assert props["ge"] == {"type": "integer", "minimum": 1, "maximum": 9}
    assert props["name"] == {"type": "string", "maxLength": 5, "minLength": 1}
    assert props["share"] == {"anyOf": [{"type": "number"}, {"type": "string"}], "minimum": 0}
    assert props["items"]["items"] == {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}
    assert schema["example"] == {"ge": 1}


def test_standard_keywords_reaches_parameters_bodies_and_components():
    document: dict[str, Any] = {
        "paths": {
            "/x": {
                "get": {
                    "parameters": [{"name": "n", "in": "query", "schema": {"type": "integer", "le": 3}}],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "string", "lt": 1}}}},
                    "responses": {"200": {"content": {"application/json": {"schema": {"ge": 2}}}}},
                }
            }
        },
        "components": {"schemas": {"A": {"type": "integer", "gt": 0}}},
    }
    standard_keywords(document)
    get = document["paths"]["/x"]["get"]
    assert get["parameters"][0]["schema"] == {"type": "integer", "maximum": 3}
    assert get["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "string",
        "exclusiveMaximum": 1,
    }
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {"minimum": 2}
    assert document["components"]["schemas"]["A"] == {"type": "integer", "exclusiveMinimum": 0}
