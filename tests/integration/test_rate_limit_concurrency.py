"""The rate-limit counters lose no update under concurrency (issue 13: within 5 % under 16 concurrent clients).

Three levels, each against the configured database (run once on SQLite and once with ``DATABASE_URL`` on
PostgreSQL): 16 threads counting through the service, 16 separate processes counting through the service,
and 16 HTTP clients with one API token against gunicorn (2 worker processes × 4 threads) started by the test
on 127.0.0.1. The limit is small and per hour, so a run never spans more than a sliver of a window.

Before this, the cache-based throttle served 871 requests in 56 s against 600/min with concurrent clients.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from tests.integration.gunicorn_server import database_url, serving

from srdi.db.models import AuditAction, AuditEvent, RateCounter, User
from srdi.domain.rate_limits import Bucket
from srdi.services.accounts import create_user
from srdi.services.rate_limits import Caller, hit, purge_expired
from srdi.services.tokens import create_token

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 16
LIMIT = 200
PER_CLIENT = 25  # 16 × 25 = 400 attempts, twice the limit


def _within_five_percent(served: int) -> bool:
    return LIMIT * 0.95 <= served <= LIMIT * 1.05


def _user(name: str) -> User:
    return create_user(username=name, password="Str0ng!Passw0rd-Test", role="city_staff")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="srdi.config.settings.test",
        DATABASE_URL=database_url(),
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        **extra,
    )
    return env


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_16_threads_never_take_more_than_the_limit():
    user = _user("threads")
    caller = Caller(user=user, ip="127.0.0.1")
    start = threading.Barrier(CLIENTS)

    def client() -> int:
        try:
            start.wait()
            return sum(hit(Bucket.EXPORT, caller, path="/t").allowed for _ in range(PER_CLIENT))
        finally:
            connection.close()

    with override_settings(SRDI_EXPORT_RATE=f"{LIMIT}/hour"), ThreadPoolExecutor(CLIENTS) as pool:
        served = sum(pool.map(lambda _: client(), range(CLIENTS)))
    assert served == LIMIT, served
    counters = RateCounter.objects.filter(bucket="export", ident=f"u:{user.pk}")
    assert sum(c.hits for c in counters) == LIMIT
    assert sum(c.refused for c in counters) == CLIENTS * PER_CLIENT - LIMIT
    assert AuditEvent.objects.filter(action=AuditAction.RATE_LIMITED, actor=user).count() == len(counters)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_16_processes_never_take_more_than_the_limit():
    user = _user("processes")
    env = _env(SRDI_EXPORT_RATE=f"{LIMIT}/hour")
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.rate_limit_worker", str(user.pk), str(PER_CLIENT)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(CLIENTS)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:  # all set up: start together
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        served = sum(int(worker.communicate(timeout=300)[0].strip()) for worker in workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert all(worker.returncode == 0 for worker in workers)
    assert served == LIMIT, served
    assert _within_five_percent(served)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_16_http_clients_with_one_token_get_the_limit_from_two_gunicorn_processes(tmp_path):
    user = _user("api_client")
    token = create_token(user, "并发限流测试")
    with serving(tmp_path, workers=2, threads=4, SRDI_API_READ_RATE=f"{LIMIT}/hour") as port:
        url = f"http://127.0.0.1:{port}/api/v1/enterprises"
        barrier = threading.Barrier(CLIENTS)

        def client() -> list[tuple[int, str | None]]:
            barrier.wait()
            out = []
            for _ in range(PER_CLIENT):
                request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                        out.append((response.status, None))
                except urllib.error.HTTPError as exc:
                    out.append((exc.code, exc.headers.get("Retry-After")))
            return out

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = [a for batch in pool.map(lambda _: client(), range(CLIENTS)) for a in batch]
        elapsed = time.monotonic() - started
    statuses = Counter(status for status, _ in answers)
    served = sum(n for status, n in statuses.items() if 200 <= status < 300)
    print(f"{connection.vendor}: served {served} of {len(answers)} against {LIMIT}/hour in {elapsed:.1f} s")
    assert set(statuses) <= {200, 429}, statuses
    assert _within_five_percent(served), statuses
    assert served == LIMIT
    assert all(retry and int(retry) >= 1 for status, retry in answers if status == 429)
    assert AuditEvent.objects.filter(action=AuditAction.RATE_LIMITED, actor=user).count() >= 1


@pytest.mark.django_db
def test_expired_counters_are_purged():
    user = _user("purge")
    caller = Caller(user=user, ip="")
    with override_settings(SRDI_PROBE_RATE="5/min"):
        hit(Bucket.PROBE, caller, now=1_000_020.0)  # a window start (a multiple of 60)
        hit(Bucket.PROBE, caller, now=1_000_080.0)  # the next window
    assert RateCounter.objects.count() == 2
    # the first window is read as "previous" until the second ends, at 1_000_140
    assert purge_expired(now=1_000_139.0) == 0
    assert purge_expired(now=1_000_141.0) == 1
    assert RateCounter.objects.get().window_start == 1_000_080


@pytest.mark.django_db
@override_settings(SRDI_PROBE_RATE="10/min")
def test_a_full_window_keeps_the_next_closed_at_its_start_then_opens_it_gradually():
    caller = Caller(user=_user("window"), ip="")
    start = 1_000_020.0  # a multiple of 60
    assert sum(hit(Bucket.PROBE, caller, now=start + 30).allowed for _ in range(15)) == 10
    assert not hit(Bucket.PROBE, caller, now=start + 60).allowed  # no boundary burst
    halfway = [hit(Bucket.PROBE, caller, now=start + 90) for _ in range(10)]
    assert sum(v.allowed for v in halfway) == 5  # the previous window weighs half
    refused = halfway[-1]
    assert not refused.allowed and 1 <= refused.retry_after <= 31
    assert refused.first_refusal is False  # the window's first refusal was the one before the loop


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_counting_leaves_the_sqlite_durability_of_everything_else_as_it_was():
    """Counters commit with ``synchronous=NORMAL``; the connection must be back to ``FULL`` for the money."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    caller = Caller(user=_user("durability"), ip="")

    def synchronous() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            return int(cursor.fetchone()[0])

    assert synchronous() == 2  # FULL, from the settings
    with override_settings(SRDI_PROBE_RATE="1/min"):
        assert hit(Bucket.PROBE, caller).allowed
        assert not hit(Bucket.PROBE, caller).allowed
    assert synchronous() == 2
