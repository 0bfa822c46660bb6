"""The API's token cache: a checked token is not looked up again for a few seconds, yet a revocation, an expiry,
a deactivation or a role change is refused (or seen) by the very next request — in this process and in every
other one, which the tests stand in for with a second ``TokenCache`` that shares nothing with the first but the
database. The cache holds token digests only, never a token.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.integration.api.helpers import API

from srdi.db.models import ApiToken, User
from srdi.services import access, auth_generation, token_cache
from srdi.services.accounts import create_user, deactivate_user
from srdi.services.token_cache import TokenCache
from srdi.services.tokens import create_token, prefix_of, revoke_token

pytestmark = pytest.mark.django_db
LIST = f"{API}/enterprises"


@pytest.fixture
def staff() -> User:
    return create_user(username="cache_staff", password="x", role="city_staff", check_password=False)


def _token_reads(cache: TokenCache, raw: str) -> tuple[User | None, int]:
    """What the cache answers, and how many statements read the token table to answer it."""
    with CaptureQueriesContext(connection) as queries:
        user = cache.authenticate(raw)
    return user, sum(
        "srdi_apitoken" in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT") for q in queries
    )


def test_a_checked_token_is_not_read_again_within_the_ttl(staff):
    raw = create_token(staff, "缓存")
    cache = TokenCache()
    first, reads = _token_reads(cache, raw)
    assert first is not None and first.pk == staff.pk and reads == 1
    again, reads = _token_reads(cache, raw)
    assert again is not None and again.pk == staff.pk and reads == 0
    assert again is not first  # each request gets its own copy of the user
    with override_settings(SRDI_API_TOKEN_CACHE_SECONDS=0):
        _, reads = _token_reads(cache, raw)
    assert reads == 1  # switched off: the database every time


def test_an_entry_older_than_the_ttl_is_read_again(staff, monkeypatch):
    raw = create_token(staff, "过期缓存")
    cache = TokenCache()
    assert cache.authenticate(raw) is not None
    later = token_cache.time.monotonic() + 6
    monkeypatch.setattr(token_cache.time, "monotonic", lambda: later)
    _, reads = _token_reads(cache, raw)
    assert reads == 1


def test_revocation_is_refused_at_once_here_and_in_another_process(staff):
    raw = create_token(staff, "吊销")
    other = TokenCache()  # another process: its own memory, the same database
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(LIST).status_code == 200
    assert other.authenticate(raw) is not None
    assert client.get(LIST).status_code == 200  # served from this process's cache
    before = auth_generation.current()
    revoke_token(prefix_of(raw))
    assert auth_generation.current() > before
    assert client.get(LIST).status_code == 401
    assert other.authenticate(raw) is None


def test_a_bulk_update_or_plain_sql_is_seen_too(staff):
    raw, raw2 = create_token(staff, "批量"), create_token(staff, "直接")
    here, other = TokenCache(), TokenCache()
    assert here.authenticate(raw) and other.authenticate(raw) and other.authenticate(raw2)
    ApiToken.objects.filter(digest=ApiToken.digest_of(raw)).update(revoked_at=timezone.now())  # no signals
    assert here.authenticate(raw) is None and other.authenticate(raw) is None
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM srdi_apitoken WHERE digest = %s", [ApiToken.digest_of(raw2)])
    assert other.authenticate(raw2) is None


def test_revoking_every_token_of_a_user_is_seen_by_another_process(staff):
    raw = create_token(staff, "全部")
    other = TokenCache()
    assert other.authenticate(raw) is not None
    access.revoke_tokens(staff, reason="test")
    assert other.authenticate(raw) is None


def test_deactivating_the_user_is_refused_at_once(staff):
    raw = create_token(staff, "停用")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    other = TokenCache()
    assert client.get(LIST).status_code == 200 and other.authenticate(raw) is not None
    deactivate_user(staff)
    assert client.get(LIST).status_code == 401
    assert other.authenticate(raw) is None


def test_deactivation_without_signals_is_refused_at_once(staff):
    raw = create_token(staff, "停用2")
    other = TokenCache()
    assert other.authenticate(raw) is not None
    User.objects.filter(pk=staff.pk).update(is_active=False)  # no signal: the token itself stays live
    assert other.authenticate(raw) is None


def test_a_role_change_is_seen_by_the_next_request(staff):
    raw = create_token(staff, "角色")
    other = TokenCache()
    assert other.authenticate(raw).role == "city_staff"  # type: ignore[union-attr]
    User.objects.filter(pk=staff.pk).update(role="auditor")
    assert other.authenticate(raw).role == "auditor"  # type: ignore[union-attr]


def test_sign_ins_and_token_uses_do_not_empty_the_caches(staff):
    raw = create_token(staff, "登录")
    before = auth_generation.current()
    staff.last_login = timezone.now()
    staff.save(update_fields=["last_login"])
    ApiToken.objects.filter(digest=ApiToken.digest_of(raw)).update(last_used_at=timezone.now())
    assert auth_generation.current() == before


def test_an_expired_token_is_refused_from_the_cache(staff, monkeypatch):
    raw = create_token(staff, "到期", days=1)
    cache = TokenCache()
    assert cache.authenticate(raw) is not None
    tomorrow = timezone.now() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(token_cache.timezone, "now", lambda: tomorrow)
    user, reads = _token_reads(cache, raw)
    assert user is None and reads == 0  # refused from the cached expiry, without a lookup


def test_the_cache_never_holds_the_token(staff):
    raws = [create_token(staff, f"摘要{i}") for i in range(3)]
    cache = TokenCache()
    for raw in raws:
        assert cache.authenticate(raw) is not None
    assert sorted(cache.digests()) == sorted(ApiToken.digest_of(raw) for raw in raws)
    held = repr(cache._entries) + repr(vars(cache))
    for raw in raws:
        secret = raw.removeprefix("srdi_")
        assert secret not in held and secret[8:] not in held  # not even the part after the clear prefix
    assert cache.authenticate("srdi_" + "x" * 40) is None
    assert len(cache.digests()) == 3  # an unknown token is not remembered


def test_the_cache_is_bounded(staff):
    cache = TokenCache(max_entries=2)
    for i in range(3):
        assert cache.authenticate(create_token(staff, f"上限{i}")) is not None
    assert len(cache.digests()) <= 2
