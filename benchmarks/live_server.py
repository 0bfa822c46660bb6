"""The product's own server for the HTTP benchmarks: a free port, the ``srdi`` CLI, ``srdi serve`` started in its
own process group, and waiting until it listens. Use from ``bench_api`` and ``bench_soak``."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from benchmarks import python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def srdi(env: dict[str, str], *args: str) -> str:
    """Run ``srdi ARGS`` with ``env``; its standard output."""
    done = subprocess.run(
        [str(Path(python()).parent / "srdi"), *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def serve(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:  # type: ignore[type-arg]
    """``srdi serve`` on 127.0.0.1:``port`` in a new session (stop it with ``os.killpg(server.pid, SIGTERM)``)."""
    return subprocess.Popen(
        [
            str(Path(python()).parent / "srdi"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")
