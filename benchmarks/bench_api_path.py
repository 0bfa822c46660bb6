"""Where one ``POST /api/v1/assess`` spends its time besides the assessment: the request path, step by step.

In process, through Django's WSGI handler exactly as gunicorn calls it (``request_started`` and
``request_finished`` fire, so database connections open and close as under ``srdi serve``), production settings,
a fresh SQLite database, one city-staff user with an API token, the demo generator's profiles as ``bench_api``
posts them (default request: gaps included, full detail). One thread, so the figures are a single client's.

Two set-ups alternate block by block within the same minutes (the machine is shared): *per request* opens a
database connection for every request and always lets the coalescer wait for company (before issue 17's
request-path work), *kept* keeps each thread's connection and lets a lone client's request run at once (now).
Rows are medians of the blocks, in ms per request: wall time of each step (wrapped timers), the whole request's
wall and CPU time, and the same for the request path alone (the assessment answered from a cache of its own
real results, so only what surrounds it is measured).

Options: ``--blocks`` (6), ``--per-block`` (60 requests), ``--no-write``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import types
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks import machine, machine_markdown, production_env, write_section

NAME = "api_path"
AS_OF = "2025-12-31"
STEPS = {
    "connect": "Database connection opened (Django's SQLite set-up, WAL pragmas)",
    "auth": "Bearer check (`BearerToken.authenticate`; includes the connect when it opens one)",
    "throttle": "Rate count (`LimitThrottle.allow_request`: one upsert and its commit)",
    "read_json": "Body read and parsed (`read_json`: exact decimals, duplicate keys refused)",
    "wait": "Coalescer's wait for company (2 ms when it waits)",
    "assess": "Assessment (`run_assess`, full result with gaps)",
    "encode": "Answer encoded (`json_response`, orjson)",
    "close": "Database connection closed (on SQLite the last close checkpoints the WAL)",
}


class Timers:
    """Wall time per step, summed over the calls since ``reset``."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, attr: str, step: str) -> None:
        original = getattr(owner, attr)
        sums = self.sums

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                sums[step] += time.perf_counter() - started

        setattr(owner, attr, timed)

    def reset(self) -> None:
        self.sums.clear()


def _environ(path: str, body: bytes, token: str) -> dict[str, Any]:
    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "HTTP_X_FORWARDED_PROTO": "https",  # behind the TLS proxy, as bench_api's requests
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def run(blocks: int, per_block: int) -> dict[str, Any]:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from srdi.api import assessment as api_assessment
    from srdi.api.auth import BearerToken
    from srdi.api.throttles import LimitThrottle
    from srdi.demo.generator import generate, to_profiles
    from srdi.services import assess_batcher
    from srdi.services.accounts import create_user
    from srdi.services.tokens import create_token

    user = create_user(username="bench_path", password="x", role="city_staff", check_password=False)  # noqa: S106
    token = create_token(user, "请求路径基准")
    connection.close()
    bodies = [
        json.dumps({"as_of": AS_OF, "enterprises": [p]}, ensure_ascii=False).encode()
        for p in to_profiles(generate(120, 7))
    ]
    app = WSGIHandler()
    timers = Timers()
    timers.wrap(BearerToken, "authenticate", "auth")
    timers.wrap(LimitThrottle, "allow_request", "throttle")
    timers.wrap(api_assessment, "read_json", "read_json")
    timers.wrap(api_assessment, "json_response", "encode")
    timers.wrap(BaseDatabaseWrapper, "connect", "connect")
    timers.wrap(BaseDatabaseWrapper, "close", "close")
    # the coalescer's own view of ``time``, so that only its wait is timed
    assess_batcher.time = types.SimpleNamespace(**vars(time))  # type: ignore[assignment]
    timers.wrap(assess_batcher.time, "sleep", "wait")
    real_assess = assess_batcher.run_assess
    cached: dict[tuple[Any, ...], dict[str, Any]] = {}
    stubbed = {"on": False}

    def assess(document: Any, **kwargs: Any) -> dict[str, Any]:
        if not stubbed["on"]:
            return real_assess(document, **kwargs)
        key = (document["enterprises"][0]["uscc"], *sorted(kwargs.items()))
        if key not in cached:
            cached[key] = real_assess(document, **kwargs)
        return cached[key]

    assess_batcher.run_assess = assess  # type: ignore[assignment]
    timers.wrap(assess_batcher, "run_assess", "assess")
    coalescer = assess_batcher._coalescer
    settings_dict = connection.settings_dict
    kept_age = settings_dict["CONN_MAX_AGE"]

    @contextmanager
    def setup(variant: str) -> Iterator[None]:
        connection.close()
        settings_dict["CONN_MAX_AGE"] = 0 if variant == "per request" else kept_age
        try:
            yield
        finally:
            connection.close()
            settings_dict["CONN_MAX_AGE"] = kept_age

    def one(i: int, variant: str) -> None:
        if variant == "per request":
            coalescer.last_batch = 0  # as before: the leader always waited for company
        statuses: list[str] = []
        answer = app(
            _environ("/api/v1/assess", bodies[i % len(bodies)], token),
            lambda s, h, e=None: statuses.append(s),
        )
        b"".join(answer)
        answer.close()  # type: ignore[attr-defined]  # what the WSGI server does: request_finished
        assert statuses and statuses[0].startswith("200"), statuses

    def block(variant: str, offset: int, fn: Callable[[int, str], None]) -> dict[str, float]:
        timers.reset()
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(per_block):
            fn(offset + i, variant)
        out = {k: v * 1000 / per_block for k, v in timers.sums.items()}
        out["cpu"] = (time.process_time() - cpu) * 1000 / per_block
        out["wall"] = (time.perf_counter() - wall) * 1000 / per_block
        return out

    samples: dict[str, dict[str, list[dict[str, float]]]] = {
        mode: {"per request": [], "kept": []} for mode in ("whole", "path")
    }
    for i in range(len(bodies)):  # warm up, and fill the cache of real results for the path-only rows
        stubbed["on"] = True
        one(i, "kept")
    load_start = os.getloadavg()
    for b in range(blocks):
        order = ("per request", "kept") if b % 2 == 0 else ("kept", "per request")
        for mode in ("whole", "path"):
            stubbed["on"] = mode == "path"
            for variant in order:
                with setup(variant):
                    samples[mode][variant].append(block(variant, b * per_block, one))
    load_end = os.getloadavg()

    def medians(rows: list[dict[str, float]]) -> dict[str, float]:
        keys = {k for r in rows for k in r}
        return {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys}

    return {
        "medians": {mode: {v: medians(rows) for v, rows in by.items()} for mode, by in samples.items()},
        "load": (load_start, load_end),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks api_path", description=__doc__)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--per-block", type=int, default=60)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="srdi-bench-api-path-") as var_dir:
        os.environ.update(production_env(var_dir, "localhost", SRDI_API_READ_RATE="100000000/min"))
        os.environ.pop("DATABASE_URL", None)
        result = run(args.blocks, args.per_block)
    m = result["medians"]
    (s1, s5, _), (e1, e5, _) = result["load"]

    def row(label: str, mode: str, key: str) -> str:
        before, after = m[mode]["per request"].get(key, 0.0), m[mode]["kept"].get(key, 0.0)
        return f"| {label} | {before:.2f} | {after:.2f} | {before - after:+.2f} |"

    rows = [row(text, "whole", step) for step, text in STEPS.items()]
    rows += [
        row("**Whole request, wall**", "whole", "wall"),
        row("Whole request, CPU of the process", "whole", "cpu"),
        row("**Request path alone (assessment from a cache), wall**", "path", "wall"),
        row("Request path alone, CPU of the process", "path", "cpu"),
    ]
    body = "\n".join(
        [
            "## API request path, step by step (`bench_api_path`)",
            "",
            machine_markdown(machine()),
            "",
            f"In process through Django's WSGI handler, production settings, SQLite, one thread; {args.blocks} "
            f"blocks of {args.per_block} `POST /api/v1/assess` (full answer with gaps, demo profiles) per set-up, "
            "alternating; medians of the blocks in ms per request. *Per request*: a database connection per "
            "request and the coalescer always waiting for company (before); *kept*: each thread keeps its "
            f"connection, a lone client is not kept waiting (now). Load average (1/5 min) at the start "
            f"{s1:.2f} / {s5:.2f}, at the end {e1:.2f} / {e5:.2f} — a shared 2-core machine, figures are upper "
            "bounds.",
            "",
            "| Step | per request ms | kept ms | saved ms |",
            "|---|---|---|---|",
            *rows,
        ]
    )
    print(body)
    if not args.no_write:
        write_section(NAME, body)
    return 0
