"""``srdi demo --enterprises 100000`` end to end on SQLite and PostgreSQL: wall time per phase and peak RSS (≤ 10 min).

The command is run as an operator runs it (``srdi migrate``, then ``srdi demo -n N``) in a child process: on
SQLite in a scratch ``SRDI_VAR_DIR``, and on PostgreSQL when ``DATABASE_URL`` is set (the database must have no
enterprises yet: a freshly created, empty database). The phases are read from the lines the command prints
(generating the data, writing it, the demo accounts, the business — programmes, offers, cases moved through
every state, payment runs, vouchers — and the showcase); peak RSS is the child's maximum resident set size.
Afterwards ``srdi ledger verify`` must pass (every ledger invariant holds) and the numbers of cases per state are
reported. Options: ``--enterprises`` (100,000), ``--seed``, ``--sqlite-only``, ``--postgres-only`` (its own section,
``demo-postgresql``, so that the two engines can be measured side by side). Target: the
whole ``srdi demo`` ≤ 600 s on each engine.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import ROOT, machine, machine_markdown, python, write_section

TARGET_S = 600.0
PHASES = (
    ("generate", re.compile(r"已生成 \d+ 家企业的数据，用时 ([\d.]+) 秒"), "generate the data (Polars)"),
    ("load", re.compile(r"已写入 \d+ 家企业.*用时 ([\d.]+) 秒"), "write it (bulk inserts)"),
    ("accounts", re.compile(r"已创建演示账号，用时 ([\d.]+) 秒"), "demo accounts"),
    (
        "business",
        re.compile(r"已生成演示业务.*用时 ([\d.]+) 秒"),
        "programmes, offers, cases, payments, vouchers",
    ),
    ("showcase", re.compile(r"已生成典型案例，用时 ([\d.]+) 秒"), "showcase entries"),
)


@dataclass
class Run:
    engine: str
    load: str
    wall_s: float = 0.0
    peak_rss_mib: float = 0.0
    cpu_s: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    ledger_ok: bool = False
    ledger_text: str = ""
    rows: int = 0


def _env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "SRDI_VAR_DIR": str(var_dir), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "srdi.config.settings.dev")
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def _srdi(*args: str) -> list[str]:
    return [python(), "-m", "srdi.cli.main", *args]


def _run_demo(env: dict[str, str], enterprises: int, seed: int) -> tuple[float, float, float, str]:
    """Run ``srdi demo``; (wall seconds, CPU seconds (user + system), peak RSS MiB, what it printed on standard
    error). Its output is shown as it comes (progress)."""
    started = time.monotonic()
    child = subprocess.Popen(
        _srdi("demo", "--enterprises", str(enterprises), "--seed", str(seed)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    lines = []
    for line in child.stderr:
        lines.append(line)
        sys.stderr.write(line)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if child.returncode != 0:
        raise RuntimeError(f"srdi demo failed (exit {child.returncode})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, "".join(lines)


def _cases(env: dict[str, str]) -> tuple[dict[str, int], int]:
    code = (
        "import django, json; django.setup();"
        "from django.db.models import Count;"
        "from srdi.db.models import Case, AuditEvent;"
        "print(json.dumps({'cases': dict(Case.objects.values_list('state').annotate(n=Count('id'))),"
        "'audit': AuditEvent.objects.count()}))"
    )
    out = subprocess.run([python(), "-c", code], env=env, check=True, capture_output=True, text=True).stdout
    import json

    data = json.loads(out.strip().splitlines()[-1])
    return {str(k): int(v) for k, v in data["cases"].items()}, int(data["audit"])


def measure(engine: str, enterprises: int, seed: int, database_url: str | None) -> Run:
    scratch = tempfile.TemporaryDirectory(prefix="srdi-bench-demo-")
    env = _env(Path(scratch.name), database_url)
    subprocess.run(_srdi("migrate"), env=env, check=True, capture_output=True)
    run = Run(engine, " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    run.wall_s, run.cpu_s, run.peak_rss_mib, printed = _run_demo(env, enterprises, seed)
    for key, pattern, _label in PHASES:
        found = pattern.search(printed)
        if found:
            run.phases[key] = float(found.group(1))
    verify = subprocess.run(_srdi("ledger", "verify"), env=env, capture_output=True, text=True)
    run.ledger_ok = verify.returncode == 0
    run.ledger_text = verify.stdout.strip()
    run.cases, run.rows = _cases(env)
    scratch.cleanup()
    return run


def _report(runs: list[Run], enterprises: int, info: dict[str, str]) -> str:
    met = all(r.wall_s <= TARGET_S and r.ledger_ok for r in runs)
    head = "| Phase | " + " | ".join(f"{r.engine} s" for r in runs) + " |"
    lines = [
        f"## `srdi demo --enterprises {enterprises:,}`, {' and '.join(r.engine for r in runs)} (`bench_demo`)",
        "",
        machine_markdown(info),
        "",
        f"Target: the whole `srdi demo -n {enterprises:,}` ≤ {TARGET_S:.0f} s on each engine, every ledger "
        f"invariant holding afterwards (`srdi ledger verify`). **{'Met' if met else 'Not met'}.**",
        "",
        "Load average (1/5/15 min) when each engine's run started: "
        + "; ".join(f"{r.engine} {r.load}" for r in runs)
        + ". The machine is shared: wall times are upper bounds; the command's CPU time (the demo runs in one"
        " process) is what it costs alone.",
        "",
        head,
        "|---|" + "---|" * len(runs),
    ]
    for key, _pattern, label in PHASES:
        lines.append(
            f"| {label} | " + " | ".join(f"{r.phases.get(key, float('nan')):.1f}" for r in runs) + " |"
        )
    lines.append("| **whole command (wall)** | " + " | ".join(f"**{r.wall_s:.1f}**" for r in runs) + " |")
    lines.append(
        "| CPU time of the command (user + system) | " + " | ".join(f"{r.cpu_s:.1f}" for r in runs) + " |"
    )
    lines.append("| peak RSS MiB | " + " | ".join(f"{r.peak_rss_mib:,.0f}" for r in runs) + " |")
    lines.append("| audit events | " + " | ".join(f"{r.rows:,}" for r in runs) + " |")
    lines.append(
        "| ledger invariants | "
        + " | ".join("all hold" if r.ledger_ok else "**violated**" for r in runs)
        + " |"
    )
    states = sorted({s for r in runs for s in r.cases})
    lines += [
        "",
        "Cases per state: "
        + "; ".join(f"{r.engine}: " + ", ".join(f"{s} {r.cases.get(s, 0):,}" for s in states) for r in runs)
        + ".",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks demo", description=__doc__)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240127)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args(argv)
    info = machine()
    runs = []
    database_url = os.environ.get("DATABASE_URL")
    if not args.postgres_only:
        runs.append(measure("SQLite", args.enterprises, args.seed, None))
    if database_url and not args.sqlite_only:
        runs.append(measure("PostgreSQL", args.enterprises, args.seed, database_url))
    for run in runs:
        print(
            f"{run.engine}: {run.wall_s:.1f} s, peak RSS {run.peak_rss_mib:,.0f} MiB, phases {run.phases}, "
            f"ledger {'ok' if run.ledger_ok else 'VIOLATED'}, cases {run.cases}"
        )
    # Both engines in one run: section ``demo``; PostgreSQL alone (run beside a SQLite one): ``demo-postgresql``.
    write_section("demo-postgresql" if args.postgres_only else "demo", _report(runs, args.enterprises, info))
    return 0 if all(r.wall_s <= TARGET_S and r.ledger_ok for r in runs) else 1
