"""Soak: gunicorn with demo data under a sustained mixed read/write load — error rate 0, p95, RSS growth, ledger.

reliability.md §6 idea 23. The server is the product's own ``srdi serve`` (gunicorn, production settings, a fresh
SQLite database in a scratch directory, behind a simulated TLS proxy: ``X-Forwarded-Proto: https``) on
127.0.0.1, loaded with ``srdi demo``. Each client is its own city staff account: a signed-in session that has
passed the second factor (created in the database the server uses, as a browser would end up after TOTP) and an
API token. Clients send requests back to back, each picked at random with these weights: the home page, the
enterprise list, an enterprise page, a search (``?q=``), the API list and an API profile, and an import of a
one-enterprise JSON file — the preview (upload, validated, kept) and, when the preview allows it, the confirm
(the enterprise is written, audited and chained).

At the end: error rate (any answer other than 200, or 302 after a confirm), p50/p95/p99 per kind, the resident
memory (RSS) of the gunicorn workers sampled every 10 s (growth = last − first sample after warm-up), and every
ledger and chain invariant (``srdi.services.ledger_verify.verify_all``) on the database the server wrote.

Options: ``--clients`` (8), ``--minutes`` (3), ``--warmup`` seconds (10), ``--enterprises`` demo size (520),
``--workers`` (2), ``--threads`` (4), ``--no-write``. Target: error rate 0 %, p95 ≤ 2,000 ms, RSS growth per
worker over the second half of the run ≤ 100 MiB (the first half includes cache warm-up), no worker restarted,
invariants all hold.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import re
import secrets
import signal
import statistics
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import machine, machine_markdown, write_section
from benchmarks.live_server import free_port, serve, srdi, wait_until_up

TARGET_P95_MS = 2000.0
TARGET_RSS_GROWTH_MIB = 100.0
WEIGHTS = {
    "home": 10,
    "enterprise list": 12,
    "enterprise page": 20,
    "search": 14,
    "api list": 12,
    "api profile": 14,
    "import preview+confirm": 6,
}
_TOKEN = re.compile(r'name="token" value="([^"]+)"')


@dataclass
class Identity:
    session: str
    token: str


@dataclass
class World:
    identities: list[Identity]
    enterprise_ids: list[int]
    usccs: list[str]
    names: list[str]
    import_profile: dict[str, object]


def _prepare(env: dict[str, str], clients: int) -> World:
    """In this process, on the server's database: one signed-in, second-factor-verified session and one API
    token per client, and the demo enterprises the clients will ask for."""
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from srdi.db.models import Enterprise
    from srdi.services.accounts import create_user
    from srdi.services.tokens import create_token

    identities = []
    for n in range(clients):
        user = create_user(
            username=f"soak{n}", password=secrets.token_urlsafe(16) + "aA1!", role="city_staff"
        )
        device = TOTPDevice.objects.create(user=user, name="soak", confirmed=True)
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        identities.append(
            Identity(client.cookies[settings.SESSION_COOKIE_NAME].value, create_token(user, "soak"))
        )
    rows = list(Enterprise.objects.order_by("pk").values_list("pk", "uscc", "name")[:2000])
    first = Enterprise.objects.order_by("pk").first()
    assert first is not None
    profile = {"uscc": first.uscc, "name": first.name, "district": first.district_id}
    return World(
        identities,
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        profile,
    )


@dataclass
class Tally:
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # kind → (sent, latency s)
    errors: dict[str, int] = field(default_factory=dict)  # "kind status" → count
    confirms: int = 0


class SoakClient(threading.Thread):
    def __init__(self, port: int, me: Identity, world: World, stop_at: float, seed: int):
        super().__init__(daemon=True)
        self.port, self.me, self.world, self.stop_at = port, me, world, stop_at
        self.rng = random.Random(seed)
        self.tally = Tally()
        self.csrf = secrets.token_hex(16)

    def _headers(self, api: bool = False) -> dict[str, str]:
        base = {"X-Forwarded-Proto": "https", "Host": "localhost", "Referer": "https://localhost/"}
        if api:
            return {**base, "Authorization": f"Bearer {self.me.token}"}
        return {**base, "Cookie": f"sessionid={self.me.session}; csrftoken={self.csrf}"}

    def _send(
        self, conn: http.client.HTTPConnection, kind: str, method: str, path: str, **kw
    ) -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
        sent = time.monotonic()
        conn.request(method, path, **kw)
        response = conn.getresponse()
        body = response.read()
        latency = time.monotonic() - sent
        ok = response.status == 200 or (kind == "import confirm" and response.status == 302)
        if ok:
            self.tally.samples.setdefault(kind, []).append((sent, latency))
        else:
            key = f"{kind} {response.status}"
            self.tally.errors[key] = self.tally.errors.get(key, 0) + 1
        return response.status, body

    def _multipart(self, fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
        boundary = secrets.token_hex(12)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/json\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return b"".join(parts), f"multipart/form-data; boundary={boundary}"

    def _import(self, conn: http.client.HTTPConnection) -> None:
        profile = dict(self.world.import_profile)
        profile["digital_level"] = self.rng.randrange(
            1, 5
        )  # a real change (most times), so the confirm writes
        data = json.dumps([profile], ensure_ascii=False).encode()
        body, ctype = self._multipart({"csrfmiddlewaretoken": self.csrf, "partial": "on"}, "soak.json", data)
        status, page = self._send(
            conn,
            "import preview",
            "POST",
            "/imports/",
            body=body,
            headers={**self._headers(), "Content-Type": ctype},
        )
        found = _TOKEN.search(page.decode("utf-8", "replace")) if status == 200 else None
        if found is None:
            return
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf, "token": found.group(1)})
        status, _ = self._send(
            conn,
            "import confirm",
            "POST",
            "/imports/confirm/",
            body=form,
            headers={**self._headers(), "Content-Type": "application/x-www-form-urlencoded"},
        )
        if status in (200, 302):
            self.tally.confirms += 1

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        w = self.world
        while time.monotonic() < self.stop_at:
            kind = self.rng.choices(kinds, weights)[0]
            i = self.rng.randrange(len(w.enterprise_ids))
            try:
                if kind == "home":
                    self._send(conn, kind, "GET", "/", headers=self._headers())
                elif kind == "enterprise list":
                    page = self.rng.randrange(1, 6)
                    self._send(conn, kind, "GET", f"/enterprises/?page={page}", headers=self._headers())
                elif kind == "enterprise page":
                    self._send(
                        conn, kind, "GET", f"/enterprises/{w.enterprise_ids[i]}/", headers=self._headers()
                    )
                elif kind == "search":
                    q = urllib.parse.quote(w.names[i][2:5])
                    self._send(conn, kind, "GET", f"/enterprises/?q={q}", headers=self._headers())
                elif kind == "api list":
                    self._send(
                        conn, kind, "GET", "/api/v1/enterprises?limit=50", headers=self._headers(api=True)
                    )
                elif kind == "api profile":
                    self._send(
                        conn,
                        kind,
                        "GET",
                        f"/api/v1/enterprises/{w.usccs[i]}",
                        headers=self._headers(api=True),
                    )
                else:
                    self._import(conn)
            except (OSError, http.client.HTTPException) as exc:
                key = f"{kind} {type(exc).__name__}"
                self.tally.errors[key] = self.tally.errors.get(key, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.close()


def _workers(master: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # the parent pid
            out.append(int(stat.parent.name))
    return sorted(out)


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _percentiles(latencies: list[float]) -> tuple[float, float, float]:
    if len(latencies) < 2:
        one = latencies[0] * 1000 if latencies else 0.0
        return one, one, one
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return q[49] * 1000, q[94] * 1000, q[98] * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks soak", description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--enterprises", type=int, default=520)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    info = machine()
    with tempfile.TemporaryDirectory(prefix="srdi-bench-soak-") as scratch:
        port = free_port()
        env = {
            "SRDI_VAR_DIR": scratch,
            "DJANGO_SETTINGS_MODULE": "srdi.config.settings.prod",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "SRDI_CHAIN_KEY": secrets.token_hex(32),
            "SRDI_PII_KEYS": "soak:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "SRDI_PII_HASH_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            # each client is one account sending back to back: the per-user limits would throttle the load test
            **{
                f"SRDI_{name}_RATE": "1000000/min"
                for name in ("API_READ", "API_WRITE", "PAGE", "SEARCH", "PROBE", "EXPORT")
            },
        }
        full_env = {**os.environ, **env}
        full_env.pop("DATABASE_URL", None)
        os.environ.pop("DATABASE_URL", None)
        started = time.monotonic()
        srdi(full_env, "migrate")
        srdi(full_env, "demo", "--enterprises", str(args.enterprises), "--no-users")
        loaded_s = time.monotonic() - started
        world = _prepare(env, args.clients)
        server = serve(full_env, port, args.workers, args.threads)
        rss: list[tuple[float, dict[int, float]]] = []
        try:
            wait_until_up(port, time.monotonic() + 60)
            began = time.monotonic()
            stop_at = began + args.warmup + args.minutes * 60
            clients = [SoakClient(port, me, world, stop_at, seed=n) for n, me in enumerate(world.identities)]
            for c in clients:
                c.start()
            next_sample = began + args.warmup
            while any(c.is_alive() for c in clients):
                if time.monotonic() >= next_sample:
                    rss.append((time.monotonic() - began, {p: _rss_mib(p) for p in _workers(server.pid)}))
                    next_sample += 10
                time.sleep(0.5)
            rss.append((time.monotonic() - began, {p: _rss_mib(p) for p in _workers(server.pid)}))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        from srdi.services.ledger_verify import verify_all

        checks = verify_all()
    warm = began + args.warmup
    by_kind: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for c in clients:
        for kind, samples in c.tally.samples.items():
            by_kind.setdefault(kind, []).extend(lat for sent, lat in samples if sent >= warm)
        for key, n in c.tally.errors.items():
            errors[key] = errors.get(key, 0) + n
    all_latencies = sorted(lat for lats in by_kind.values() for lat in lats)
    requests = len(all_latencies)
    error_count = sum(errors.values())
    error_rate = error_count / max(requests + error_count, 1)
    p50, p95, p99 = _percentiles(all_latencies)
    first, middle, last = rss[0][1], rss[len(rss) // 2][1], rss[-1][1]
    growth = {pid: last.get(pid, 0.0) - first[pid] for pid in first}
    # After warm-up the workers still fill their caches (policy packs, templates, the engine); a leak shows as
    # growth that goes on, so the target is on the second half of the run.
    late_growth = {pid: last.get(pid, 0.0) - middle.get(pid, 0.0) for pid in middle}
    restarted = sorted(set(last) - set(first))  # a worker that died and was replaced
    max_growth = max(late_growth.values(), default=0.0)
    broken = [c for c in checks if not c.ok]
    confirms = sum(c.tally.confirms for c in clients)
    met = (
        error_count == 0
        and p95 <= TARGET_P95_MS
        and max_growth <= TARGET_RSS_GROWTH_MIB
        and not broken
        and not restarted
    )
    rows = []
    for kind in (*WEIGHTS, "import preview", "import confirm"):
        lats = sorted(by_kind.get(kind, []))
        if not lats:
            continue
        k50, k95, k99 = _percentiles(lats)
        rows.append(
            f"| {kind} | {len(lats):,} | {k50:.0f} | **{k95:.0f}** | {k99:.0f} | {lats[-1] * 1000:.0f} |"
        )
    rss_rows = [
        f"| {pid} | {first[pid]:.1f} | {middle.get(pid, 0.0):.1f} | {last.get(pid, 0.0):.1f} | {growth[pid]:+.1f} | "
        f"{late_growth.get(pid, 0.0):+.1f} |"
        for pid in sorted(first)
    ]
    body = "\n".join(
        [
            "## Soak: sustained mixed load (`bench_soak`)",
            "",
            machine_markdown(info),
            "- The machine was shared with other jobs during the run (2 cores, several agents): latencies are "
            "upper bounds, not the server's own.",
            "",
            f"Target: error rate 0 %, p95 ≤ {TARGET_P95_MS:,.0f} ms, RSS growth per worker ≤ "
            f"{TARGET_RSS_GROWTH_MIB:g} MiB over the second half of the run, no worker restarted, every ledger and "
            f"chain invariant holds. **{'Met' if met else 'NOT met'}.**",
            "",
            f"Server: `srdi serve` (gunicorn) {args.workers} workers × {args.threads} threads, production settings, "
            f"SQLite, `srdi demo --enterprises {args.enterprises}` (set up in {loaded_s:.0f} s); {args.clients} "
            f"clients back to back on the same machine, each its own city-staff session (second factor passed) and "
            f"API token, for {args.minutes:g} min after {args.warmup:g} s warm-up. Mix (weights): "
            + ", ".join(f"{k} {v}" for k, v in WEIGHTS.items())
            + ".",
            "",
            f"- Requests measured: **{requests:,}** ({requests / (args.minutes * 60):.1f}/s); errors "
            f"**{error_count}** ({error_rate:.2%})"
            + (f": {errors}" if errors else "")
            + f"; imports confirmed {confirms:,}",
            f"- All requests: p50 {p50:.0f} ms, **p95 {p95:.0f} ms**, p99 {p99:.0f} ms",
            f"- Worker RSS (sampled every 10 s): growth after warm-up → end max "
            f"{max(growth.values(), default=0.0):+.1f} MiB; **second half max {max_growth:+.1f} MiB**; workers "
            f"restarted {len(restarted)}",
            f"- Invariants (`verify_all`): {len(checks) - len(broken)}/{len(checks)} hold"
            + (f"; broken: {[c.code for c in broken]}" if broken else ""),
            "",
            "| Request | Count | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "| Worker pid | RSS after warm-up MiB | at half-time MiB | at the end MiB | growth MiB | "
            "second-half growth MiB |",
            "|---|---|---|---|---|---|",
            *rss_rows,
        ]
    )
    if not args.no_write:
        write_section("soak", body)
    print(body)
    return 0 if met else 1
