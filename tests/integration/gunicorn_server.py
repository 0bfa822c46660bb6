"""Start gunicorn on 127.0.0.1 with this worktree's code against the test database, for HTTP-level tests.

Use ``with serving(tmp_path, workers=2, threads=4, **env) as port:`` inside a ``django_db(transaction=True)``
test: the server sees what the test committed, signs audit and ledger rows with the test process's chain key (so
``verify_all`` checks them), and is stopped (and its log closed) on the way out. The log is
``tmp_path / "gunicorn.log"``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database the tests run on, for a process started by the test."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    port = f":{s['PORT']}" if s.get("PORT") else ""
    host = s.get("HOST") or s.get("OPTIONS", {}).get("host") or ""
    if host.startswith("/"):
        return f"postgres://{s['USER']}{password}@{port}/{s['NAME']}?host={host}"
    return f"postgres://{s['USER']}{password}@{host}{port}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 120) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


@contextmanager
def serving(tmp_path: Path, *, workers: int = 2, threads: int = 4, **extra_env: str) -> Iterator[int]:
    """gunicorn serving ``srdi.config.wsgi`` on 127.0.0.1 with the test settings; yields the port."""
    from srdi.services.chain_keys import current_key

    env = dict(os.environ)
    env.update(
        SRDI_CHAIN_KEY=current_key()[1].hex(),  # the server signs its chain rows with the test process's key
        DJANGO_SETTINGS_MODULE="srdi.config.settings.test",
        DATABASE_URL=database_url(),
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        SRDI_VAR_DIR=str(tmp_path),
        **extra_env,
    )
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "120",
            "srdi.config.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(port, server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
