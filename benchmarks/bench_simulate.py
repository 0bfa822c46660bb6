"""Policy cost simulation over 1,000,000 synthetic enterprises with events: ≤ 10 s on 2 cores.

The same staging as the screening benchmark: the demo generator writes the enterprises, their figures,
certifications and policy events to Parquet in one process (not timed against the target); a fresh process
reads them and runs ``srdi.domain.policy.simulate.run_simulation`` for the year (the engine ``srdi simulate``
and the simulation page use), then again with a parameter override and the difference — the whole "what
would a change cost" question. Peak memory is the simulating process's RSS.

Options: ``--enterprises N`` (default 1,000,000), ``--seed S``, ``--year Y`` (2025), ``--runs R`` (3),
``--set ID=VALUE`` (default ``hz81.9.rate.key=0.15``), ``--keep DIR`` (reuse the generated data).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import machine, machine_markdown, python, write_section
from benchmarks.bench_screen import _meta

TARGET_SECONDS = 10.0


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def stage_simulate(folder: Path, year: int, runs: int, override: str) -> dict[str, Any]:
    from benchmarks.bench_screen import _read
    from srdi.domain.policy.loader import load_packs
    from srdi.domain.policy.params import parse_text
    from srdi.domain.policy.simulate import difference, run_simulation

    packs = load_packs()
    pid, raw = override.split("=", 1)
    value = parse_text(pid, next(p for p in packs if pid in p.parameters).parameters[pid], raw)
    times, base_times = [], []
    out: dict[str, Any] = {}
    for _ in range(runs):
        started = time.perf_counter()
        tables = _read(folder)
        base = run_simulation(tables, packs, year)
        base_times.append(time.perf_counter() - started)
        changed = run_simulation(tables, packs, year, overrides={pid: value})
        diff = difference(base, changed)
        times.append(time.perf_counter() - started)
        out = {
            "events": base.events,
            "enterprises": tables.enterprises.height,
            "totals": base.totals,
            "statuses": base.statuses,
            "difference": diff["overall"],
        }
        del tables
    return {**out, "times": times, "base_times": base_times, "peak_gib": _peak_gib()}


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [python(), "-m", "benchmarks.bench_simulate", *args], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _wan(fen: int) -> str:
    return f"{fen / 1_000_000:,.1f}万元"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks simulate", description=__doc__)
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240127)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--set", dest="override", default="hz81.9.rate.key=0.15")
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="srdi-bench-sim-") as scratch:
        folder = args.keep or Path(scratch) / "tables"
        meta = folder / "meta.json"
        wanted = _meta(args.enterprises, args.seed, args.year)  # data generated for the simulated year
        if not meta.exists() or json.loads(meta.read_text()) != wanted:
            subprocess.run(
                [
                    python(),
                    "-m",
                    "benchmarks.bench_screen",
                    "--stage",
                    "generate",
                    "--data",
                    str(folder),
                    "--enterprises",
                    str(args.enterprises),
                    "--seed",
                    str(args.seed),
                    "--as-of",
                    f"{args.year}-12-31",
                ],
                check=True,
                capture_output=True,
                text=True,
            )
        sim = _child(
            [
                "--data",
                str(folder),
                "--year",
                str(args.year),
                "--runs",
                str(args.runs),
                "--set",
                args.override,
            ]
        )
    median, base_median = statistics.median(sim["times"]), statistics.median(sim["base_times"])
    met = median <= TARGET_SECONDS
    totals, diff = sim["totals"], sim["difference"]
    body = "\n".join(
        [
            "## Policy cost simulation (`bench_simulate`)",
            "",
            machine_markdown(machine()),
            "",
            f"Target: simulation over {args.enterprises:,} synthetic enterprises with events in ≤ "
            f"{TARGET_SECONDS:g} s on this machine. **{'Met' if met else 'NOT met'}.**",
            "",
            "| Measure | Result |",
            "|---|---|",
            f"| Enterprises / events of {args.year} | {sim['enterprises']:,} / {sim['events']:,} |",
            f"| Baseline run (read Parquet → entitlements of every event → totals), {args.runs} runs | median "
            f"**{base_median:.2f} s** ({', '.join(f'{t:.2f}' for t in sim['base_times'])}) |",
            f"| Baseline + run with `{args.override}` + difference | median **{median:.2f} s** "
            f"({', '.join(f'{t:.2f}' for t in sim['times'])}) |",
            f"| Peak memory (RSS) | {sim['peak_gib']:.2f} GiB |",
            f"| Baseline cost | {_wan(totals['amount_fen'])} (city {_wan(totals['city_fen'])}, district "
            f"{_wan(totals['district_fen'])}); {totals['grants']:,} grants, {totals['amount_unset']:,} amount_unset |",
            f"| Effect of the override | {_wan(diff['amount_fen'])} (city {_wan(diff['city_fen'])}, district "
            f"{_wan(diff['district_fen'])}) |",
            "",
            "Statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(sim["statuses"].items())),
        ]
    )
    if not args.no_write:
        write_section("simulate", body)
    print(body)
    return 0 if met else 1


def _stage_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--set", dest="override", required=True)
    args = parser.parse_args(argv)
    print(json.dumps(stage_simulate(args.data, args.year, args.runs, args.override)))


if __name__ == "__main__":
    _stage_main(sys.argv[1:])
