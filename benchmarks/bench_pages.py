"""Every web page at 100,000 enterprises: p50/p95 over 20 warm loads per page for a city and a district user (≤ 1 s).

The server is the product's own ``srdi serve`` (gunicorn, production settings, behind a simulated TLS proxy) on
127.0.0.1, on SQLite in ``--keep DIR`` (a copy of the cockpit benchmark's directory, e.g. ``/tmp/-bench-cockpit``
copied: never the original) or on the PostgreSQL database of ``DATABASE_URL``. The database is the one
``bench_cockpit`` loads (``srdi demo --enterprises N`` and one ``srdi screen``); it is loaded here the same way
when empty. The accounts are the cockpit benchmark's: a city staff and a 西湖区 district staff, each with a
session that has passed the second factor.

The pages are those of the no-raw-codes walk (``tests/integration/web/test_no_raw_codes.pages``: every web route
answering GET, object routes with one real id per state; downloads are not pages), enterprise pages with an
enterprise of 西湖区 so both accounts may open them. For each account and page: one cold load (a page that does not
answer 200 with HTML for that account — not permitted, or no such object — is listed and skipped), then
``--loads`` (20) loads one after the other: p50, p95, max, measured at the client. A page whose p95 is over 1 s
is flagged. Options: ``--loads``, ``--only A,B`` (URLs containing one of these), ``--workers`` (2), ``--threads`` (4),
``--keep DIR``, ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import ROOT, machine, machine_markdown, write_section
from benchmarks.bench_cockpit import DISTRICT, Session, _env, _prepare
from benchmarks.live_server import free_port, serve, srdi, wait_until_up

TARGET_P95_MS = 1000.0


@dataclass
class PageResult:
    who: str
    name: str
    url: str
    cold_ms: float
    p50_ms: float
    p95_ms: float
    max_ms: float


def _get(port: int, session: Session, path: str) -> tuple[float, int, str]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"X-Forwarded-Proto": "https", "Host": "localhost", "Cookie": f"sessionid={session.cookie}"}
    sent = time.monotonic()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    latency = time.monotonic() - sent
    conn.close()
    return latency, response.status, response.getheader("Content-Type") or ""


def _urls() -> list[tuple[str, str]]:
    from tests.integration.web.test_no_raw_codes import pages

    from srdi.db.models import Enterprise

    enterprise = Enterprise.objects.filter(district_id=DISTRICT).order_by("pk").first()
    assert enterprise is not None
    return pages(enterprise)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks pages", description=__doc__)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--only", default="")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the SQLite directory here")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    info = machine()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    database_url = os.environ.get("DATABASE_URL", "")
    backend = "PostgreSQL" if database_url else "SQLite"
    scratch = None
    if args.keep:
        var_dir = args.keep
        var_dir.mkdir(parents=True, exist_ok=True)
    else:
        scratch = tempfile.TemporaryDirectory(prefix="srdi-bench-pages-")
        var_dir = Path(scratch.name)
    env = _env(var_dir)
    full_env = {**os.environ, **env}
    if not database_url:
        full_env.pop("DATABASE_URL", None)
    # The server runs this tree's code, whatever the virtual environment's own install points at.
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), full_env.get("PYTHONPATH", "")])
    srdi(full_env, "migrate")
    srdi(full_env, "demo", "--enterprises", str(args.enterprises), "--no-users", "--if-empty")
    sessions, _, size = _prepare(env)
    from srdi.db.models import AssessmentRun

    if not AssessmentRun.objects.filter(finished_at__isnull=False).exists():
        srdi(full_env, "screen")
    wanted = [w for w in args.only.split(",") if w] or [""]
    urls = [(n, u) for n, u in _urls() if any(w in u for w in wanted)]
    port = free_port()
    server = serve(full_env, port, args.workers, args.threads)
    results: list[PageResult] = []
    skipped: list[str] = []
    started = time.monotonic()
    try:
        wait_until_up(port, time.monotonic() + 120)
        for _ in range(2 * args.workers):
            _get(port, sessions[0], "/")
        for s in sessions:
            for name, url in urls:
                cold, status, kind = _get(port, s, url)
                if status != 200 or "text/html" not in kind:
                    skipped.append(f"{s.label} {url} ({status})")
                    continue
                warm = sorted(_get(port, s, url)[0] for _ in range(args.loads))
                q = statistics.quantiles(warm, n=20, method="inclusive") if len(warm) > 1 else warm * 19
                r = PageResult(
                    s.label,
                    name,
                    url,
                    cold * 1000,
                    statistics.median(warm) * 1000,
                    q[18] * 1000,
                    warm[-1] * 1000,
                )
                results.append(r)
                print(json.dumps(r.__dict__, ensure_ascii=False), flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if scratch is not None:
            scratch.cleanup()
    elapsed = time.monotonic() - started
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    slow = [r for r in results if r.p95_ms > TARGET_P95_MS]
    met = bool(results) and not slow
    rows = [
        f"| {r.who} | `{r.url}` | {r.cold_ms:.0f} | {r.p50_ms:.0f} | "
        + (f"**{r.p95_ms:.0f} (> 1 s)**" if r.p95_ms > TARGET_P95_MS else f"{r.p95_ms:.0f}")
        + f" | {r.max_ms:.0f} |"
        for r in sorted(results, key=lambda r: -r.p95_ms)
    ]
    section = "pages-postgresql" if database_url else "pages"
    body = "\n".join(
        [
            f"## Every page at 100,000 enterprises, {backend} (`bench_pages`)",
            "",
            machine_markdown(info),
            f"- Load average (1/5/15 min) before / after the run: {' / '.join(load_before)} → "
            f"{' / '.join(load_after)} (the machine is shared: figures are upper bounds)",
            "",
            f"Target: every page's p95 over {args.loads} warm loads ≤ {TARGET_P95_MS:g} ms for a city staff and a "
            f"district staff (西湖区). **{'Met' if met else 'NOT met'}** "
            f"({len(results)} page loads measured, {len(slow)} over 1 s; run took {elapsed:.0f} s).",
            "",
            f"Data: {size['enterprises']:,} enterprises (`srdi demo` and one `srdi screen`, {backend}). Server: "
            f"`srdi serve` {args.workers} workers × {args.threads} threads, production settings; one client on the "
            "same machine, loads one after the other, after one cold load per page.",
            "",
            "| Account | Page | cold ms | warm p50 ms | warm p95 ms | warm max ms |",
            "|---|---|---:|---:|---:|---:|",
            *rows,
            "",
            f"Not measured (not 200 HTML for that account: not permitted or no object): {len(skipped)} — "
            + "; ".join(skipped[:60]),
        ]
    )
    if not args.no_write:
        write_section(section, body)
    print(body)
    return 0 if met else 1
