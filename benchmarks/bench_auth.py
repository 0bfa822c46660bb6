"""Per-request cost of API token authentication and the browser machinery, before and after the token cache.

In process (Django's test client, no HTTP server), production settings, a fresh SQLite database (or the
PostgreSQL of ``DATABASE_URL``): one city-staff user with an API token. Two set-ups, measured alternately in
blocks within the same minutes (the machine is shared, so old and new see the same load):

- *before*: every request reads the token and its user from the database (``SRDI_API_TOKEN_CACHE_SECONDS=0``)
  and passes through Django's own session, authentication, django-otp and messages middleware;
- *after*: the token cache (5 s, one read of the shared counter row per request) and the token-aware middleware
  (``srdi.api.stateless``).

Rows: the bearer check alone (``BearerToken.authenticate``), a whole ``GET /api/v1/enterprises?limit=1`` (an
almost empty answer: authentication, throttle, one small query), and for reference the rate-limit count alone.
Options: ``--blocks`` (8), ``--per-block`` (150 requests), ``--no-write``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from benchmarks import machine, machine_markdown, production_env, write_section

NAME = "auth"
ORIGINAL = {
    "srdi.api.stateless.TokenAwareSessionMiddleware": "django.contrib.sessions.middleware.SessionMiddleware",
    "srdi.api.stateless.TokenAwareAuthenticationMiddleware": "django.contrib.auth.middleware.AuthenticationMiddleware",
    "srdi.api.stateless.TokenAwareOTPMiddleware": "django_otp.middleware.OTPMiddleware",
    "srdi.api.stateless.TokenAwareMessageMiddleware": "django.contrib.messages.middleware.MessageMiddleware",
}


def _per_request_ms(fn: Callable[[], Any], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) * 1000 / n


def run(blocks: int, per_block: int) -> dict[str, Any]:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.conf import settings
    from django.test import Client, RequestFactory, override_settings

    from srdi.api.auth import BearerToken
    from srdi.domain.rate_limits import Bucket
    from srdi.services import token_cache
    from srdi.services.accounts import create_user
    from srdi.services.rate_limits import Caller, check
    from srdi.services.tokens import create_token

    user = create_user(username="bench_auth", password="x", role="city_staff", check_password=False)  # noqa: S106
    raw = create_token(user, "认证基准")
    before_settings = {
        "SRDI_API_TOKEN_CACHE_SECONDS": 0,
        "MIDDLEWARE": [ORIGINAL.get(m, m) for m in settings.MIDDLEWARE],
    }
    request = RequestFactory().get("/api/v1/enterprises", HTTP_AUTHORIZATION=f"Bearer {raw}")
    bearer = BearerToken()
    caller = Caller(user=user, ip="127.0.0.1")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def whole_request(client: Client) -> Callable[[], Any]:
        def call() -> None:
            response = client.get("/api/v1/enterprises", {"limit": 1}, secure=True, **headers)
            assert response.status_code == 200, response.status_code

        return call

    samples: dict[str, dict[str, list[float]]] = {
        step: {"before": [], "after": []} for step in ("auth", "request", "rate")
    }
    load_start = os.getloadavg()
    for block in range(blocks):
        order = ("before", "after") if block % 2 == 0 else ("after", "before")
        for variant in order:
            overrides = before_settings if variant == "before" else {}
            with override_settings(**overrides):
                token_cache.default.clear()
                client = Client()
                whole_request(client)()  # loads the middleware chain and warms the cache
                samples["auth"][variant].append(
                    _per_request_ms(lambda: bearer.authenticate(request, raw), per_block)
                )
                samples["request"][variant].append(_per_request_ms(whole_request(client), per_block))
                samples["rate"][variant].append(
                    _per_request_ms(lambda: check([Bucket.API_READ], caller, path="/bench"), per_block)
                )
    load_end = os.getloadavg()
    return {
        "medians": {
            step: {v: statistics.median(x) for v, x in by_variant.items()}
            for step, by_variant in samples.items()
        },
        "load": (load_start, load_end),
        "hits": token_cache.default.hits,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks auth", description=__doc__)
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--per-block", type=int, default=150)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="srdi-bench-auth-") as var_dir:
        os.environ.update(production_env(var_dir, "testserver,localhost", SRDI_API_READ_RATE="100000000/min"))
        backend = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
        result = run(args.blocks, args.per_block)
    m = result["medians"]
    (s1, s5, _), (e1, e5, _) = result["load"]
    labels = {
        "auth": "Bearer check alone (`BearerToken.authenticate`)",
        "request": "Whole `GET /api/v1/enterprises?limit=1` (test client)",
        "rate": "Rate-limit count alone (`rate_limits.check`, one bucket) — the same code in both set-ups, for reference",
    }
    rows = [
        f"| {labels[step]} | {m[step]['before']:.3f} | {m[step]['after']:.3f} | "
        f"{m[step]['before'] - m[step]['after']:+.3f} |"
        for step in ("auth", "request", "rate")
    ]
    body = "\n".join(
        [
            "## API per-request cost: token check and browser machinery (`bench_auth`)",
            "",
            machine_markdown(machine()),
            "",
            f"In process, production settings, {backend}; {args.blocks} blocks of {args.per_block} requests per "
            "set-up, *before* and *after* alternating block by block; medians of the blocks in ms per request. "
            f"Load average (1/5 min) at the start {s1:.2f} / {s5:.2f}, at the end {e1:.2f} / {e5:.2f} — a shared "
            "2-core machine, so the figures are upper bounds. *Before*: the token and its user read from the "
            "database on every request, Django's session, authentication, django-otp and messages "
            "middleware. *After*: the token cache (one read of the shared counter row a request) and the "
            "token-aware middleware (`srdi.api.stateless`).",
            "",
            "| Step | before ms | after ms | saved ms |",
            "|---|---|---|---|",
            *rows,
        ]
    )
    print(body)
    if not args.no_write and backend == "SQLite":
        write_section(NAME, body)
    return 0
