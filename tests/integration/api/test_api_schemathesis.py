"""schemathesis over every operation of /api/v1: the answers conform to the OpenAPI document the API serves.

The schema is the API application's own document (``api.get_openapi_schema()``, which a test here compares
with what ``/api/v1/openapi.json`` serves); it is taken at collection time, when there is no database yet to
sign in for the served one. Every operation is called in-process through the project's WSGI application with
a city administrator's bearer token: first with the document's own examples (the example enterprise exists,
so reads and updates reach it, and the create example is new), then with generated data, a bounded and
reproducible number of times. Checks: no server error; every status, content type, body and header as
documented.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from tests.integration.api.helpers import API, wsgi_app

from srdi.api.app import api
from srdi.api.schemas import EXAMPLE_USCC, example_profile
from srdi.domain.exchange import parse_profile
from srdi.services.accounts import create_user
from srdi.services.enterprise_writer import Incoming, write_profiles
from srdi.services.tokens import create_token

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def api_token(db) -> str:
    """A city administrator's bearer token, with the documents' example enterprise in the database."""
    user = create_user(username="api_schemathesis", password="x", check_password=False, role="city_admin")
    profile = parse_profile(example_profile(EXAMPLE_USCC, "杭州示例智能科技有限公司"))
    with transaction.atomic():
        write_profiles([Incoming.of(profile)], actor=None, batch=None)
    return create_token(user, "schemathesis")


def load_schema() -> schemathesis.schemas.BaseSchema:
    # The examples and the fuzzing (hypothesis' explicit and generate phases); not the coverage phase, whose
    # deterministic cases number over a thousand per operation, whatever max_examples says.
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=config)
    loaded.app = wsgi_app  # calls go to the WSGI application in-process, as ``from_wsgi`` arranges
    return loaded


schema = load_schema()


def test_the_tested_document_is_the_served_one(api_token):
    served = Client(headers={"Authorization": f"Bearer {api_token}"}).get(f"{API}/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(api.get_openapi_schema()))
    assert {op.ok().label for op in schema.get_all_operations()} == {
        f"{method.upper()} {path}" for path, ops in served.json()["paths"].items() for method in ops
    }


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, api_token):
    cache.clear()  # rate limits are tested elsewhere: here every call must reach the operation
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)
