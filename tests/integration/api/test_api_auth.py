"""API authentication: bearer tokens and sessions (with CSRF), 401 without; throttling; the OpenAPI docs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from tests.integration.api.helpers import API, OWN, post_json, profile_data
from tests.signin import sign_in

from srdi.db.models import ApiToken
from srdi.services import token_cache
from srdi.services.tokens import create_token, revoke_token

pytestmark = pytest.mark.django_db

LIST = f"{API}/enterprises"


def assert_401(response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert "令牌" in body["detail"] or "登录" in body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_is_401_in_chinese(world):
    client = Client()
    assert_401(client.get(LIST))
    assert_401(client.get(f"{LIST}/{world.own[0].uscc}"))
    assert_401(post_json(client, LIST, profile_data()))
    assert_401(client.put(f"{LIST}/{world.own[0].uscc}", data="{}", content_type="application/json"))


def test_unknown_or_malformed_bearer_token_is_401(world):
    for header in ("Bearer srdi_nonsense", "Bearer ", "Bearer x" * 100, "Bearer 令牌"):
        assert_401(Client(headers={"Authorization": header}).get(LIST))


def test_bearer_token_reads(world, bearer):
    response = bearer(world.users["city_admin"]).get(LIST)
    assert response.status_code == 200
    assert response.json()["total"] == 6
    assert response["Cache-Control"].startswith("no-store")


def test_bad_bearer_is_not_rescued_by_a_session(world):
    client = Client(headers={"Authorization": "Bearer srdi_wrong"})
    sign_in(client, world.users["city_admin"])
    assert_401(client.get(LIST))


def test_last_used_at_is_written_at_most_once_a_minute(world):
    raw = create_token(world.users["city_staff"], "同步")
    token = ApiToken.objects.get(digest=ApiToken.digest_of(raw))
    assert token.last_used_at is None
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(LIST).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert client.get(LIST).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first
    stale = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    token_cache.default.clear()  # a process remembers its own last write; a fresh one reads the stale date
    assert client.get(LIST).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > stale


def test_revoked_token_and_inactive_user_are_401(world):
    user = world.users["city_staff"]
    raw = create_token(user, "将被吊销")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(LIST).status_code == 200
    revoke_token(ApiToken.objects.get(digest=ApiToken.digest_of(raw)).prefix)
    assert_401(client.get(LIST))

    raw2 = create_token(user, "用户停用")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_401(Client(headers={"Authorization": f"Bearer {raw2}"}).get(LIST))


def test_bearer_writes_need_no_csrf(world, bearer):
    response = post_json(bearer(world.users["city_staff"]), LIST, profile_data())
    assert response.status_code == 201, response.content


def test_session_reads_and_writes_with_csrf(world, session):
    client = session(world.users["district"])
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.json()["total"] == 3

    refused = post_json(client, LIST, profile_data(district=OWN))
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    accepted = post_json(client, LIST, profile_data(district=OWN), headers={"X-CSRFToken": client.csrf})
    assert accepted.status_code == 201, accepted.content


def test_session_of_inactive_user_is_401(world, session):
    user = world.users["city_admin"]
    client = session(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(LIST).status_code == 401


@override_settings(SRDI_API_READ_RATE="3/min")
def test_reads_are_throttled_per_user(world, bearer):
    client = bearer(world.users["district"])
    for _ in range(3):
        assert client.get(LIST).status_code == 200
    limited = client.get(f"{LIST}/{world.own[0].uscc}")
    assert limited.status_code == 429
    assert "频繁" in limited.json()["detail"]
    assert int(limited["Retry-After"]) >= 1
    # another user has a separate allowance
    assert bearer(world.users["city_staff"]).get(LIST).status_code == 200


def test_openapi_is_for_signed_in_callers_and_describes_the_endpoints(world, bearer):
    assert Client().get(f"{API}/openapi.json").status_code == 401
    response = bearer(world.users["auditor"]).get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths[f"{API}/enterprises"]) == {"get", "post"}
    assert set(paths[f"{API}/enterprises/{{uscc}}"]) == {"get", "put"}
    create = paths[f"{API}/enterprises"]["post"]
    assert create["summary"] == "新增企业"
    assert (
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        == "#/components/schemas/Profile"
    )
    assert {"201", "403", "409", "422"} <= set(create["responses"])
    assert "Profile" in schema["components"]["schemas"]
    assert {"BearerToken", "SessionWithCsrf"} <= set(schema["components"]["securitySchemes"])


def test_docs_page_loads_nothing_from_outside(world, session):
    assert Client().get(f"{API}/docs").status_code == 401
    client = session(world.users["city_staff"])
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert "http://" not in html
    assert "https://" not in html
    assert "//cdn" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        url = f"{API}/docs/assets/{asset}"
        assert url in html
        response = Client().get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content)
    assert Client().get(f"{API}/docs/assets/..%2Fmain.py").status_code == 404
    assert Client().get(f"{API}/docs/assets/redoc.standalone.js.map").status_code == 404
