"""The budget cap through real HTTP (reliability.md §6 idea 3): approvals come through the pages, middleware and
gunicorn, not just the service.

gunicorn (2 worker processes × 4 threads) on 127.0.0.1 serves this worktree's code against the test database.
120 cases ready for approval, each worth 200万元, against budgets that cover about half; 16 concurrent clients,
each with its own signed-in city-admin session that has passed the second factor (TOTP) and the password
step-up, POST 批准 for the cases in a shuffled order. Then: overspend 0 fen, 5xx 0, every answer is the
redirect back to the case, approvals (success message) + refusals (budget message) = 120, the budgets' running
totals equal the approved cases' amounts, and every ledger invariant holds (``verify_all``).
"""

from __future__ import annotations

import http.client
import random
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from tests.integration.gunicorn_server import serving
from tests.integration.money.conftest import build_world
from tests.signin import sign_in

from srdi.db.models import BudgetAccount, Case
from srdi.services.accounts import create_user
from srdi.services.ledger_verify import verify_all
from srdi.web.views.money.common import STEPUP_FIELD, STEPUP_KEY

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

CASES = 120
CLIENTS = 16
AWARD = 200_000_000  # 1,000万元 eligible investment × 20% (the world's renovation events)
PASSWORD = "Str0ng!Approver-Pass"


@dataclass
class Answer:
    case_id: int
    status: int
    location: str
    level: int | None  # the message level the redirect carries (success or error)
    text: str
    seconds: float


def _ready_for_approval(world) -> list[Case]:
    """Every offer of the world moved to the end of its 公示, reviewed by others, with a bank account."""
    today = date.today()
    Case.objects.filter(programme=world.programme).update(
        state="publicity",
        bank_account_name="甲",
        bank_name="乙",
        district_reviewer=world.users["district"],
        city_reviewer=world.users["city_staff"],
        publicity_starts_on=today - timedelta(days=20),
        publicity_ends_on=today - timedelta(days=10),
    )
    cases = list(Case.objects.filter(programme=world.programme).order_by("pk"))
    for case in cases:  # encrypted field: saved through the model
        case.bank_account_number = "62220202000012"
        case.save(update_fields=["bank_account_number"])
    return cases


def _approver_session(n: int) -> str:
    """The session cookie of a new city admin who signed in, passed the TOTP second factor and the step-up."""
    user = create_user(
        username=f"http_approver{n}", password=PASSWORD, role="city_admin", check_password=False
    )
    client = sign_in(Client(), user)
    session = client.session
    session[STEPUP_KEY] = time.time()
    session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _message(set_cookie: list[str]) -> tuple[int | None, str]:
    """The flash message the redirect sets (cookie storage, signed with the shared test key)."""
    for header in set_cookie:
        jar = SimpleCookie()
        jar.load(header)
        morsel = jar.get("messages")
        if morsel is not None and morsel.value:
            decoded = CookieStorage(HttpRequest())._decode(morsel.value) or []
            if decoded:
                return decoded[-1].level, str(decoded[-1].message)
    return None, ""


def _post_approve(port: int, session: str, case_id: int) -> Answer:
    csrf = secrets.token_hex(16)  # a 32-character secret: the cookie and the form field carry the same one
    body = urllib.parse.urlencode(
        {"name": "approve", "reason": "", "csrfmiddlewaretoken": csrf, STEPUP_FIELD: PASSWORD}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
    }
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", reverse("web:case_action", args=[case_id]), body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        level, text = _message(response.headers.get_all("Set-Cookie") or [])
        return Answer(
            case_id,
            response.status,
            response.headers.get("Location", ""),
            level,
            text,
            time.perf_counter() - started,
        )
    finally:
        conn.close()


def test_concurrent_http_approvals_never_overspend_the_budget(tmp_path):
    # budgets covering about half of what the cases ask (each side pays about half of an award)
    world = build_world(n=CASES, city_budget=CASES * AWARD // 4, district_budget=CASES * AWARD // 4)
    cases = _ready_for_approval(world)
    assert len(cases) == CASES
    amounts = [c.entitlement_fen for c in cases]
    assert set(amounts) == {AWARD}
    sessions = [_approver_session(n) for n in range(CLIENTS)]
    ids = [c.pk for c in cases]
    random.Random(3).shuffle(ids)
    queues = [ids[i::CLIENTS] for i in range(CLIENTS)]

    with serving(tmp_path, workers=2, threads=4) as port:
        barrier = threading.Barrier(CLIENTS)

        def client(k: int) -> list[Answer]:
            barrier.wait()
            return [_post_approve(port, sessions[k], case_id) for case_id in queues[k]]

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = [a for batch in pool.map(client, range(CLIENTS)) for a in batch]
        elapsed = time.monotonic() - started

    statuses = Counter(a.status for a in answers)
    approved = [a for a in answers if a.level == constants.SUCCESS]
    refused = [a for a in answers if a.level == constants.ERROR]
    city = BudgetAccount.objects.get(programme=world.programme, side="city")
    district = BudgetAccount.objects.get(programme=world.programme, side="district", district_code="330106")
    overspend = max(0, city.used_fen - city.cap_fen) + max(0, district.used_fen - district.cap_fen)
    in_db = Case.objects.filter(programme=world.programme, state="approved")
    committed = sum(in_db.values_list("approved_fen", flat=True))
    seconds = sorted(a.seconds for a in answers)
    p95 = seconds[int(0.95 * (len(seconds) - 1))]
    print(
        f"\n[{connection.vendor}] {CASES} approvals from {CLIENTS} HTTP clients in {elapsed:.1f} s: "
        f"statuses {dict(statuses)}, approved {len(approved)}, refused {len(refused)} "
        f"({Counter(a.text.split('：', 1)[-1][:12] for a in refused)}), overspend {overspend} fen, "
        f"left city {city.cap_fen - city.used_fen} / district {district.cap_fen - district.used_fen} fen, "
        f"p95 {p95 * 1000:.0f} ms"
    )
    assert len(answers) == CASES
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) == {302}, statuses
    assert all(a.location.endswith(f"/{a.case_id}/") or f"/{a.case_id}" in a.location for a in answers)
    assert len(approved) + len(refused) == CASES
    assert all("预算" in a.text for a in refused), {a.text for a in refused}
    assert {a.case_id for a in approved} == set(in_db.values_list("pk", flat=True))
    assert overspend == 0
    assert city.used_fen + district.used_fen == committed
    assert 0.35 * CASES < len(approved) < 0.65 * CASES
    smallest_share = min(amounts) // 2
    assert (
        min(city.cap_fen - city.used_fen, district.cap_fen - district.used_fen) < smallest_share
    )  # no lost update
    failures = [f"{c.code}: {c.violations[:3]}" for c in verify_all() if not c.ok]
    assert not failures, failures
