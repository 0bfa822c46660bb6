"""Single-enterprise ``POST /api/v1/assess`` under 16 concurrent clients: p95 ≤ 50 ms.

The server is the product's own: ``srdi serve`` (gunicorn, production settings, a fresh SQLite database in a
scratch directory), behind which a TLS proxy is simulated with ``X-Forwarded-Proto: https``. A user with an
API token is created with the product's CLI. Each client thread keeps one HTTP/1.1 connection and posts one
synthetic enterprise profile per request (the demo generator's profiles, a different one each time), with
the default options (gaps included), with ``gaps=false`` and with ``detail=summary`` (the lean answer).
Latency is measured at the client, from sending the request to reading the whole response; the first
``--warmup`` seconds are discarded.

Options: ``--clients`` (16), ``--seconds`` per scenario (20), ``--warmup`` (3), ``--workers`` (gunicorn, 2),
``--threads`` per worker (8).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import statistics
import tempfile
import threading
import time
from typing import Any

from benchmarks import machine, machine_markdown, production_env, write_section
from benchmarks.live_server import free_port, serve, srdi, wait_until_up

TARGET_P95_MS = 50.0
AS_OF = "2025-12-31"


def _profiles(count: int) -> list[bytes]:
    from srdi.demo.generator import generate, to_profiles

    return [
        json.dumps({"as_of": AS_OF, "enterprises": [p]}, ensure_ascii=False).encode()
        for p in to_profiles(generate(count, 7))
    ]


class Client(threading.Thread):
    """One client: sends its next request as soon as the last is answered, or (``pace``) at most one request
    every ``pace`` seconds."""

    def __init__(
        self, port: int, token: str, bodies: list[bytes], path: str, stop_at: float, start: int, pace: float
    ):
        super().__init__(daemon=True)
        self.port, self.token, self.bodies, self.path = port, token, bodies, path
        self.stop_at, self.i, self.pace = stop_at, start, pace
        self.samples: list[tuple[float, float]] = []  # (time sent, latency s)
        self.errors: dict[int, int] = {}

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "X-Forwarded-Proto": "https",
            "Host": "localhost",
        }
        next_at = time.monotonic() + self.pace * (self.i % 97) / 97  # paced clients start spread out
        while time.monotonic() < self.stop_at:
            if self.pace:
                time.sleep(max(next_at - time.monotonic(), 0))
                next_at += self.pace
            body = self.bodies[self.i % len(self.bodies)]
            self.i += 7
            sent = time.monotonic()
            conn.request("POST", self.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            latency = time.monotonic() - sent
            if response.status != 200:
                self.errors[response.status] = self.errors.get(response.status, 0) + 1
            else:
                self.samples.append((sent, latency))
        conn.close()


def _scenario(
    port: int,
    token: str,
    bodies: list[bytes],
    path: str,
    args: argparse.Namespace,
    *,
    clients_n: int | None = None,
    pace: float = 0.0,
) -> dict[str, Any]:
    began = time.monotonic()
    stop_at = began + args.warmup + args.seconds
    n = args.clients if clients_n is None else clients_n
    clients = [Client(port, token, bodies, path, stop_at, i * 13, pace) for i in range(n)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    measured = sorted(lat for c in clients for sent, lat in c.samples if sent >= began + args.warmup)
    errors: dict[int, int] = {}
    for c in clients:
        for status, n in c.errors.items():
            errors[status] = errors.get(status, 0) + n
    if not measured:
        return {"path": path, "load": "", "requests": 0, "errors": errors}
    q = statistics.quantiles(measured, n=100)
    load = f"{n} client{'s' if n > 1 else ''}, " + (
        f"1 request per {pace:g} s each" if pace else "back to back"
    )
    return {
        "path": path,
        "load": load,
        "requests": len(measured),
        "throughput": len(measured) / args.seconds,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "max_ms": measured[-1] * 1000,
        "errors": errors,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks api", description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    bodies = _profiles(500)
    with tempfile.TemporaryDirectory(prefix="srdi-bench-api-") as scratch:
        port = free_port()
        # one client account sends every request of the load test
        env = {
            **os.environ,
            **production_env(scratch, "localhost,127.0.0.1", SRDI_API_READ_RATE="1000000/min"),
        }
        env.pop("DATABASE_URL", None)
        srdi(env, "migrate")
        srdi(
            env,
            "createuser",
            "bench",
            "--role",
            "city_staff",
            "--password",
            secrets.token_urlsafe(16) + "aA1!",
        )
        token = srdi(env, "token", "create", "bench", "--name", "benchmark").strip().splitlines()[0]
        server = serve(env, port, args.workers, args.threads)
        try:
            wait_until_up(port, time.monotonic() + 60)
            results = [
                _scenario(port, token, bodies, "/api/v1/assess", args),
                _scenario(port, token, bodies, "/api/v1/assess?gaps=false", args),
                # The lean answer (verdicts, rulebooks and gaps; no traces or six-dimension profile).
                _scenario(port, token, bodies, "/api/v1/assess?detail=summary", args),
                _scenario(port, token, bodies, "/api/v1/assess?detail=summary&gaps=false", args),
                # For reference: the latency of one request on an otherwise idle server, and under a paced load.
                _scenario(port, token, bodies, "/api/v1/assess", args, clients_n=1),
                _scenario(port, token, bodies, "/api/v1/assess?detail=summary", args, clients_n=1),
                _scenario(port, token, bodies, "/api/v1/assess", args, pace=1.0),
            ]
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    default = results[0]
    met = bool(default["requests"]) and default["p95_ms"] <= TARGET_P95_MS and not default["errors"]
    rows = [
        f"| `POST {r['path']}` | {r['load']} | {r['requests']:,} | {r.get('throughput', 0):.0f}/s | {r.get('p50_ms', 0):.1f} | "
        f"**{r.get('p95_ms', 0):.1f}** | {r.get('p99_ms', 0):.1f} | {r.get('max_ms', 0):.1f} | "
        f"{sum(r['errors'].values())} |"
        for r in results
    ]
    body = "\n".join(
        [
            "## API assessment latency (`bench_api`)",
            "",
            machine_markdown(machine()),
            "",
            f"Target: single-enterprise `POST /api/v1/assess` p95 ≤ {TARGET_P95_MS:g} ms with {args.clients} "
            f"concurrent clients (default request, gaps included). **{'Met' if met else 'NOT met'}.**",
            "",
            f"Server: `srdi serve` (gunicorn) {args.workers} workers × {args.threads} threads, production settings, "
            f"SQLite; clients on the same machine; each scenario {args.seconds:g} s measured after {args.warmup:g} s "
            "warm-up. The target is the first row; the others are for reference (`detail=summary`: status, score, "
            "route and rulebook per tier with the gaps, no traces and no six-dimension profile).",
            "",
            "| Request | Load | Requests | Throughput | p50 ms | p95 ms | p99 ms | max ms | Errors |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    if not args.no_write:
        write_section("api", body)
    print(body)
    return 0 if met else 1
