"""Two servers on one PostgreSQL database behave as one (issue 17 item 4: the web tier is stateless).

Two gunicorn servers (this worktree's code, ``srdi.config.wsgi`` as ``srdi serve`` runs it; one worker × four
threads each, separate ``SRDI_VAR_DIR``s, so they share nothing but the database and the secret keys) on two ports
against the test database. Then:

- a session signed in on A is valid on B, and signing out on B ends it on A;
- an API token both servers have cached (a 60 s cache, so only the shared counter can explain a refusal) is
  refused by both as soon as it is revoked, and so is the token of a deactivated user;
- a rate limit counts across both: N requests admitted in total, not N each;
- concurrent approvals through both servers against budgets that cover about half of the cases never overspend,
  and every ledger invariant holds afterwards (``verify_all``).

PostgreSQL only (SQLite is one file on one machine: there is no second server to speak of); run with
``DATABASE_URL`` naming a PostgreSQL database. About 40 s, most of it starting the servers.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import requests
from django.conf import settings
from django.contrib.messages import constants
from django.db import connection
from tests.integration.gunicorn_server import serving
from tests.integration.money.conftest import build_world
from tests.integration.money.test_budget_cap_http import (
    AWARD,
    _approver_session,
    _post_approve,
    _ready_for_approval,
)

from srdi.db.models import BudgetAccount, Case
from srdi.services.accounts import create_user, deactivate_user
from srdi.services.ledger_verify import verify_all
from srdi.services.tokens import create_token, prefix_of, revoke_token

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.postgres]

CASES = 40
CLIENTS = 8
RATE = 30  # per hour and user, on both servers
PASSWORD = "Str0ng!TwoServers-Pass"
API = "/api/v1/enterprises"


def _url(port: int, path: str) -> str:
    return f"http://127.0.0.1:{port}{path}"


def _sign_in(session: requests.Session, port: int, username: str) -> None:
    session.get(_url(port, "/accounts/login/"))
    response = session.post(
        _url(port, "/accounts/login/"),
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies[settings.CSRF_COOKIE_NAME],
        },
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    assert settings.SESSION_COOKIE_NAME in session.cookies


def _signed_in(session: requests.Session, port: int) -> bool:
    response = session.get(_url(port, "/"), allow_redirects=False)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _api(port: int, token: str) -> int:
    return requests.get(_url(port, API), headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code


def test_two_servers_on_one_database_behave_as_one(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("two servers share a PostgreSQL database (run with DATABASE_URL=postgres://…)")
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    world = build_world(n=CASES, city_budget=CASES * AWARD // 4, district_budget=CASES * AWARD // 4)
    cases = _ready_for_approval(world)
    owner = create_user(
        username="two_servers_owner",
        password=PASSWORD,
        role="enterprise",
        enterprise_uscc=cases[0].enterprise.uscc,
        check_password=False,
    )
    reader = create_user(username="two_servers_reader", password="x", role="city_staff", check_password=False)
    leaver = create_user(username="two_servers_leaver", password="x", role="city_staff", check_password=False)
    counted = create_user(
        username="two_servers_counted", password="x", role="city_staff", check_password=False
    )
    tokens = {user.username: create_token(user, "两台服务器") for user in (reader, leaver, counted)}
    sessions = [_approver_session(n) for n in range(CLIENTS)]

    with ExitStack() as stack:
        env = {"SRDI_API_READ_RATE": f"{RATE}/hour", "SRDI_API_TOKEN_CACHE_SECONDS": "60"}
        a, b = (stack.enter_context(serving(tmp_path / n, workers=1, threads=4, **env)) for n in ("a", "b"))

        # sessions: signed in on A, valid on B; signed out on B, gone on A
        browser = requests.Session()
        _sign_in(browser, a, owner.username)
        assert _signed_in(browser, a) and _signed_in(browser, b)
        stale = requests.Session()  # the cookie as it was, in case the sign-out removes it from the browser
        stale.cookies.update(browser.cookies)
        logout = browser.post(
            _url(b, "/accounts/logout/"),
            data={"csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME]},
            allow_redirects=False,
        )
        assert logout.status_code == 302
        assert not _signed_in(stale, a)

        # tokens: cached on both servers (every thread of each), refused by both at once after revocation
        for _ in range(3):
            for port in (a, b):
                assert _api(port, tokens[reader.username]) == 200
                assert _api(port, tokens[leaver.username]) == 200
        revoke_token(prefix_of(tokens[reader.username]))
        assert _api(b, tokens[reader.username]) == 401
        assert _api(a, tokens[reader.username]) == 401
        deactivate_user(leaver)
        assert _api(a, tokens[leaver.username]) == 401
        assert _api(b, tokens[leaver.username]) == 401

        # rate limits: RATE in total over both servers, not RATE each
        answers = Counter(_api((a, b)[i % 2], tokens[counted.username]) for i in range(RATE + 10))
        assert answers == {200: RATE, 429: 10}, answers

        # money: concurrent approvals through both servers never overspend
        ids = [c.pk for c in cases]
        random.Random(5).shuffle(ids)
        queues = [ids[i::CLIENTS] for i in range(CLIENTS)]
        barrier = threading.Barrier(CLIENTS)

        def client(k: int) -> list:
            barrier.wait()
            port = (a, b)[k % 2]
            return [_post_approve(port, sessions[k], case_id) for case_id in queues[k]]

        with ThreadPoolExecutor(CLIENTS) as pool:
            approvals = [x for batch in pool.map(client, range(CLIENTS)) for x in batch]

    statuses = Counter(x.status for x in approvals)
    approved = [x for x in approvals if x.level == constants.SUCCESS]
    refused = [x for x in approvals if x.level == constants.ERROR]
    assert set(statuses) == {302}, statuses
    assert len(approved) + len(refused) == CASES and approved and refused
    city = BudgetAccount.objects.get(programme=world.programme, side="city")
    district = BudgetAccount.objects.get(programme=world.programme, side="district", district_code="330106")
    assert city.used_fen <= city.cap_fen and district.used_fen <= district.cap_fen
    committed = sum(
        Case.objects.filter(programme=world.programme, state="approved").values_list(
            "approved_fen", flat=True
        )
    )
    assert city.used_fen + district.used_fen == committed
    assert {x.case_id for x in approved} == set(
        Case.objects.filter(programme=world.programme, state="approved").values_list("pk", flat=True)
    )
    failures = [f"{c.code}: {c.violations[:3]}" for c in verify_all() if not c.ok]
    assert not failures, failures
