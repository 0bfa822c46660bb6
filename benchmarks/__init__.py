"""Benchmarks of the srdi platform: ``python -m benchmarks`` lists them, ``python -m benchmarks NAME …`` runs them.

A benchmark is a module ``benchmarks/bench_<name>.py`` whose docstring's first line is its summary and which
defines ``main(argv: list[str]) -> int`` (0 when the target is met). Results go to ``docs/performance.md``:
one ``##`` section per benchmark between ``<!-- bench:<name> -->`` and ``<!-- /bench:<name> -->``, rewritten
by ``write_section`` so that benchmarks never overwrite each other's results. ``machine`` describes the
machine a result was measured on.
"""

from __future__ import annotations

import base64
import os
import platform
import re
import secrets
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
INTRO = """# Performance

Measured results of the benchmarks in `benchmarks/` (run them with `make bench` or
`.venv/bin/python -m benchmarks [name …]`; `python -m benchmarks` alone lists them). Each benchmark rewrites only
its own section below, between its `<!-- bench:NAME -->` markers, with the date, the machine and the figures of
its latest run, and says whether the acceptance target was met.
"""


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(os.cpu_count())


def machine() -> dict[str, str]:
    """Where and with what a result was measured."""
    memory = _memory_mib()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": _nproc(),
        "cpu": _cpu_model(),
        "memory": f"{memory:,} MiB" if memory else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": _version("django"),
        "polars": _version("polars"),
        "openpyxl": _version("openpyxl"),
        "python-calamine": _version("python-calamine"),
        "sqlite": sqlite3.sqlite_version,
        "load": STARTED_LOAD,
        "load_now": _load(),
    }


def production_env(var_dir: str, allowed_hosts: str, **extra: str) -> dict[str, str]:
    """The variables of a benchmark run on production settings: a scratch var dir, a fresh secret key and fresh
    personal-data keys (production settings take those from the environment only), plus ``extra``."""
    return {
        "SRDI_VAR_DIR": var_dir,
        "DJANGO_SETTINGS_MODULE": "srdi.config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": allowed_hosts,
        "SRDI_PII_KEYS": "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "SRDI_PII_HASH_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        **extra,
    }


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# Read when the benchmark's process starts, before it loads the machine itself: ``machine()`` is usually called
# to write the report, after the runs.
STARTED_LOAD = _load()


def machine_markdown(info: dict[str, str]) -> str:
    """The machine as a Markdown bullet list."""
    return "\n".join(
        [
            f"- Date: {info['date']}",
            f"- Machine: `nproc` = {info['nproc']}, CPU {info['cpu']}, RAM {info['memory']}, {info['os']}; "
            f"load average (1/5/15 min) when the run started: {info['load']}, when it ended: {info['load_now']}",
            f"- Software: Python {info['python']}, Django {info['django']}, Polars {info['polars']}, "
            f"openpyxl {info['openpyxl']}, python-calamine {info['python-calamine']}, SQLite {info['sqlite']}",
        ]
    )


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Replace (or append) the section of benchmark ``name`` in ``docs/performance.md``; nothing else changes.

    ``body`` is Markdown starting with the section's ``##`` heading.
    """
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else INTRO
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    found = pattern.search(text)
    text = (
        pattern.sub(lambda _m: block, text, count=1) if found else text.rstrip("\n") + "\n\n" + block + "\n"
    )
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def available() -> dict[str, str]:
    """Benchmark name → summary (first docstring line), from the ``bench_*.py`` modules of this package."""
    out = {}
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        match = re.search(r'^"""(.*?)$', path.read_text(encoding="utf-8"), re.MULTILINE)
        out[name] = match.group(1).strip() if match else ""
    return out


def python() -> str:
    """The interpreter running the benchmarks (the project's virtualenv when started as documented)."""
    return sys.executable
