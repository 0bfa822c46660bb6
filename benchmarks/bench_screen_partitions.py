"""Partitioned screening: 1M, 3M and 10M synthetic enterprises screened by partitions in worker processes (10M ≤ 4 GiB).

Stages, each in its own process:

1. ``generate`` — the demo generator writes the data set one partition at a time (``generate_range``: the
   largest size never sits in memory at once) to Parquet, one folder per partition, in ``--workers``
   processes. Enterprise *k* has the same data whatever the size, so the 1M and 3M runs screen the first
   partitions of the 10M data set. Timed separately, not part of the screening figures.
2. ``screen`` — what ``srdi screen --partition-size S --workers W`` does minus the database: a pool of ``W``
   spawned workers reads each partition's Parquet tables and screens them (``srdi.domain.screening.
   screen_partition``: lifecycle, facts, four tiers, size, six dimensions); the parent receives each summary
   frame and adds it to the run's totals (``ScreeningTotals``), at most ``W`` partitions in flight. Memory is
   the whole process tree: RSS of the parent and its workers summed every 0.1 s from ``/proc`` (shared pages
   counted twice, so an upper bound), and ``getrusage`` (parent; largest worker) as a cross-check.
3. ``onepass`` — the first 1M screened in one pass in one process, timed by step: read the Parquet, build the
   facts frame alone, assess (facts + rules + profile, one fused query: rules ≈ assess − facts), and the
   write step of ``run_screen`` (summary frame → row tuples, then ``executemany`` into a scratch SQLite
   table without indexes).

Options: ``--sizes`` (default 1000000,3000000,10000000), ``--partition-size`` (default 250,000), ``--also``
(extra N:SIZE runs, default 1000000:500000, to compare partition sizes), ``--chunk`` (enterprises per
generated folder, default 250,000), ``--workers`` (default 2), ``--seed``, ``--as-of`` (default 2026-06-30),
``--keep DIR`` (reuse/keep the generated data), ``--no-onepass``, ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks import machine, machine_markdown, python, write_section

AS_OF = date(2026, 6, 30)
TARGET_N = 10_000_000
TARGET_PEAK_GIB = 4.0
GIB = 1024**3


def _self_peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def _children_peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024


class TreeSampler:
    """The largest summed RSS of this process and all its descendants, sampled from ``/proc``."""

    def __init__(self, every: float = 0.1):
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _tree_rss(root: int) -> int:
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                text = Path(entry.path, "status").read_text()
            except OSError:
                continue
            pid = int(entry.name)
            for line in text.splitlines():
                if line.startswith("PPid:"):
                    parents[pid] = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    rss[pid] = int(line.split()[1]) * 1024
        tree, total, grew = {root}, 0, True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        for pid in tree:
            total += rss.get(pid, 0)
        return total

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss(me))
            self._stop.wait(self.every)


def _part_dir(folder: Path, i: int) -> Path:
    return folder / f"part-{i:04d}"


def _read(*folders: Path) -> Any:
    """The tables of one or more generated chunks, as one ``Tables``."""
    import polars as pl

    from srdi.domain.tables import Tables

    return Tables(
        **{
            f.name: pl.concat([pl.read_parquet(folder / f"{f.name}.parquet") for folder in folders])
            for f in fields(Tables)
        }
    )


# ---- generate ---------------------------------------------------------------------------------------


def _generate_part(folder: str, i: int, start: int, stop: int, seed: int, year: int) -> dict[str, Any]:
    from srdi.demo.generator import generate_range

    started = time.perf_counter()
    tables = generate_range(start, stop, seed, as_of_year=year)
    target = _part_dir(Path(folder), i)
    target.mkdir(parents=True, exist_ok=True)
    rows = {}
    for f in fields(tables):
        frame = getattr(tables, f.name)
        frame.write_parquet(target / f"{f.name}.parquet")
        rows[f.name] = frame.height
    return {"seconds": time.perf_counter() - started, "rows": rows}


def stage_generate(folder: Path, n: int, size: int, seed: int, year: int, workers: int) -> dict[str, Any]:
    import multiprocessing

    started = time.perf_counter()
    parts = [(i, start, min(start + size, n)) for i, start in enumerate(range(0, n, size))]
    rows: dict[str, int] = {}
    with (
        TreeSampler() as sampler,
        ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool,
    ):
        futures = [pool.submit(_generate_part, str(folder), i, a, b, seed, year) for i, a, b in parts]
        for future in futures:
            for name, count in future.result()["rows"].items():
                rows[name] = rows.get(name, 0) + count
    return {"seconds": time.perf_counter() - started, "rows": rows, "tree_peak_gib": sampler.peak / GIB}


# ---- screen -----------------------------------------------------------------------------------------


def _screen_part(folders: list[str], as_of: date) -> tuple[Any, float, float]:
    from srdi.domain.screening import Judgement, screen_partition

    started = time.perf_counter()
    tables = _read(*(Path(f) for f in folders))
    read = time.perf_counter() - started
    started = time.perf_counter()
    outcome = screen_partition(tables, Judgement(as_of))
    return outcome, read, time.perf_counter() - started


def _warm() -> None:
    from srdi.domain.rules.rulebook import load_library

    load_library()


def stage_screen(folder: Path, parts: int, per_part: int, workers: int, as_of: date) -> dict[str, Any]:
    import multiprocessing
    from collections import deque

    from srdi.domain.screening import ScreeningTotals

    _warm()
    totals = ScreeningTotals()
    read = screen = 0.0
    started = time.perf_counter()
    with (
        TreeSampler() as sampler,
        ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm
        ) as pool,
    ):
        todo = deque(range(parts))
        running: deque[Any] = deque()

        def refill() -> None:
            while todo and len(running) < workers:
                i = todo.popleft()
                chunks = [str(_part_dir(folder, i * per_part + k)) for k in range(per_part)]
                running.append(pool.submit(_screen_part, chunks, as_of))

        refill()
        while running:
            outcome, r, s = running.popleft().result()
            refill()
            read += r
            screen += s
            totals.add(outcome, {})
            del outcome
    wall = time.perf_counter() - started
    counts = totals.counts()
    return {
        "wall": wall,
        "read": read,
        "screen": screen,
        "enterprises": totals.enterprises,
        "partitions": totals.partitions,
        "counts": {t: counts[t] for t in ("innovative_sme", "srdi_sme", "little_giant", "hidden_champion")},
        "tree_peak_gib": sampler.peak / GIB,
        "parent_peak_gib": _self_peak_gib(),
        "worker_peak_gib": _children_peak_gib(),
    }


# ---- one pass ---------------------------------------------------------------------------------------


def stage_onepass(folder: Path, parts: int, as_of: date) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srdi.config.settings.dev")
    var_dir = tempfile.mkdtemp(prefix="srdi-bench-var-")  # settings need one; nothing is written there
    os.environ.setdefault("SRDI_VAR_DIR", var_dir)
    django.setup()
    shutil.rmtree(var_dir, ignore_errors=True)
    from srdi.domain.assessment.dimensions import PROFILE_COLUMNS, dimension_stages
    from srdi.domain.rules.engine import assess, fact_options, summary_columns
    from srdi.domain.rules.facts import build_facts
    from srdi.domain.rules.rulebook import TIERS, load_library
    from srdi.services.screening import ROW_COLUMNS, _rows

    library = load_library()
    out: dict[str, Any] = {}
    started = time.perf_counter()
    tables = _read(*(_part_dir(folder, i) for i in range(parts))).conform()
    out["read"] = time.perf_counter() - started

    started = time.perf_counter()
    result = assess(
        tables, as_of, extra=dimension_stages, keep=lambda c: [*summary_columns(c), *PROFILE_COLUMNS]
    )
    out["assess"] = time.perf_counter() - started
    frame = result.frame
    compiled = result.compiled
    del result
    counts = {t: {str(k): int(v) for k, v in frame.group_by(f"{t}|status").len().iter_rows()} for t in TIERS}

    started = time.perf_counter()
    facts = build_facts(tables, as_of, fact_options(library, as_of, compiled))
    facts.frame.collect()
    out["facts"] = time.perf_counter() - started
    del facts

    started = time.perf_counter()
    rows = _rows(frame, 1)
    out["rows"] = time.perf_counter() - started
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="srdi-bench-write-") as scratch:
        db = sqlite3.connect(Path(scratch) / "write.sqlite3")
        db.execute(f"CREATE TABLE t ({', '.join(ROW_COLUMNS)})")
        placeholders = ", ".join(["?"] * len(ROW_COLUMNS))
        with db:
            for i in range(0, len(rows), 5000):
                db.executemany(f"INSERT INTO t VALUES ({placeholders})", rows[i : i + 5000])  # noqa: S608
        db.close()
    out["insert"] = time.perf_counter() - started
    out["enterprises"] = frame.height
    out["counts"] = counts
    out["peak_gib"] = _self_peak_gib()
    return out


def _child(stage: str, args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [python(), "-m", "benchmarks.bench_screen_partitions", "--stage", stage, *args],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"stage {stage} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _tiers(counts: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{t}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(c.items())) for t, c in counts.items()
    )


def _report(
    info: dict[str, str],
    plan: list[tuple[int, int]],
    chunk: int,
    workers: int,
    gen: dict[str, Any],
    runs: dict[tuple[int, int], dict[str, Any]],
    onepass: dict[str, Any] | None,
    as_of: date,
) -> tuple[str, bool]:
    big = [r for (n, _), r in runs.items() if n == TARGET_N]
    met = bool(big) and all(
        r["tree_peak_gib"] <= TARGET_PEAK_GIB and r["enterprises"] == TARGET_N for r in big
    )
    largest = max(n for n, _ in plan)
    lines = [
        "## Partitioned screening (`bench_screen_partitions`)",
        "",
        machine_markdown(info),
        "",
        f"Target: {TARGET_N:,} enterprises screened in partitions with peak memory ≤ {TARGET_PEAK_GIB:g} GiB "
        f"(the whole process tree). **{'Met' if met else 'NOT met'}.** {workers} worker processes; judged on "
        f"{as_of.isoformat()}, data generated for {as_of.year}. The machine is shared (2 cores, other work "
        "running): times are upper bounds; the load average at the start of each run is given.",
        "",
        f"Generating {largest:,} enterprises in chunks of {chunk:,} (not part of the screening): "
        f"{gen['seconds']:.0f} s in {workers} processes, process tree peak {gen['tree_peak_gib']:.2f} GiB; "
        "rows: " + ", ".join(f"{k} {v:,}" for k, v in gen["rows"].items()) + ".",
        "",
        "| Enterprises | Partition size | Partitions | Wall time | Enterprises/s | Read (sum over workers) | "
        "Screen (sum over workers) | Peak RSS, process tree (sampled) | Peak RSS parent / largest worker "
        "| Load at start |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, size in plan:
        r = runs[(n, size)]
        lines.append(
            f"| {n:,} | {size:,} | {r['partitions']} | **{r['wall']:.1f} s** | {n / r['wall']:,.0f} | "
            f"{r['read']:.1f} s | {r['screen']:.1f} s | **{r['tree_peak_gib']:.2f} GiB** | "
            f"{r['parent_peak_gib']:.2f} / {r['worker_peak_gib']:.2f} GiB | {r['load']} |"
        )
    lines += ["", "Results per tier:", ""]
    lines += [f"- {n:,} (partitions of {size:,}): {_tiers(runs[(n, size)]['counts'])}" for n, size in plan]
    if onepass:
        rules = onepass["assess"] - onepass["facts"]
        total = onepass["read"] + onepass["assess"] + onepass["rows"] + onepass["insert"]
        lines += [
            "",
            f"For comparison, the first {onepass['enterprises']:,} in **one pass** in one process (load at start "
            f"{onepass['load']}), where the time goes:",
            "",
            "| Step | Time |",
            "|---|---|",
            f"| Read the Parquet tables | {onepass['read']:.2f} s |",
            f"| Facts frame alone (built and collected on its own, every column) | {onepass['facts']:.2f} s |",
            f"| Assess: facts + rules of four tiers + size + six dimensions, one fused query | "
            f"{onepass['assess']:.2f} s (rules and profile ≈ {rules:.2f} s) |",
            f"| Write, part 1: summary frame → row tuples (`run_screen`'s `_rows`) | {onepass['rows']:.2f} s |",
            f"| Write, part 2: `executemany` into a scratch SQLite table (no indexes) | {onepass['insert']:.2f} s |",
            f"| **Total** (read + assess + write) | **{total:.2f} s**; engine (assess) {onepass['assess']:.2f} s |",
            f"| Peak RSS | {onepass['peak_gib']:.2f} GiB |",
        ]
    return "\n".join(lines), met


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks screen_partitions", description=__doc__)
    parser.add_argument("--sizes", default="1000000,3000000,10000000", help="enterprises screened, each")
    parser.add_argument("--partition-size", type=int, default=250_000)
    parser.add_argument(
        "--also",
        default="1000000:500000",
        help="extra runs as N:PARTITION_SIZE, comma-separated ('' for none)",
    )
    parser.add_argument("--chunk", type=int, default=250_000, help="enterprises per generated Parquet folder")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20240127)
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--no-onepass", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    plan = [(int(n), args.partition_size) for n in args.sizes.split(",")]
    plan += [(int(a), int(b)) for a, b in (x.split(":") for x in args.also.split(",") if x)]
    chunk = args.chunk
    if any(n % size or size % chunk for n, size in plan):
        parser.error("every size must be a multiple of its partition size, and partition sizes of --chunk")
    largest = max(n for n, _ in plan)
    info = machine()
    scratch = Path(tempfile.mkdtemp(prefix="srdi-bench-partitions-"))
    try:
        folder = args.keep or scratch / "tables"
        meta = folder / "meta.json"
        wanted = {"n": largest, "chunk": chunk, "seed": args.seed, "as_of_year": args.as_of.year}
        if meta.exists() and json.loads(meta.read_text()) == wanted:
            gen = json.loads((folder / "generate.json").read_text())
        else:
            if folder.exists():
                shutil.rmtree(folder)
            gen = _child(
                "generate",
                [
                    *("--data", str(folder), "--enterprises", str(largest), "--partition-size", str(chunk)),
                    *(
                        "--seed",
                        str(args.seed),
                        "--as-of",
                        args.as_of.isoformat(),
                        "--workers",
                        str(args.workers),
                    ),
                ],
            )
            (folder / "generate.json").write_text(json.dumps(gen))
            meta.write_text(json.dumps(wanted))
        print(f"generated {largest:,} enterprises in {gen['seconds']:.0f} s", flush=True)
        runs = {}
        for n, size in plan:
            load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
            run = _child(
                "screen",
                [
                    *("--data", str(folder), "--parts", str(n // size), "--per-part", str(size // chunk)),
                    *("--workers", str(args.workers), "--as-of", args.as_of.isoformat()),
                ],
            )
            run["load"] = load
            runs[(n, size)] = run
            print(
                f"{n:,} by {size:,}: {run['wall']:.1f} s, tree peak {run['tree_peak_gib']:.2f} GiB (load {load})",
                flush=True,
            )
        onepass = None
        if not args.no_onepass:
            load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
            parts = max(1, min(1_000_000, largest) // chunk)
            onepass = _child(
                "onepass", ["--data", str(folder), "--parts", str(parts), "--as-of", args.as_of.isoformat()]
            )
            onepass["load"] = load
            print(f"one pass: {json.dumps(onepass)}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    body, met = _report(info, plan, chunk, args.workers, gen, runs, onepass, args.as_of)
    if not args.no_write:
        write_section("screen_partitions", body)
    print(body)
    return 0 if met else 1


def _stage_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", required=True, choices=("generate", "screen", "onepass"))
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--enterprises", type=int, default=0)
    parser.add_argument("--partition-size", type=int, default=250_000)
    parser.add_argument("--parts", type=int, default=1)
    parser.add_argument("--per-part", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    args = parser.parse_args(argv)
    if args.stage == "generate":
        out = stage_generate(
            args.data, args.enterprises, args.partition_size, args.seed, args.as_of.year, args.workers
        )
    elif args.stage == "screen":
        out = stage_screen(args.data, args.parts, args.per_part, args.workers, args.as_of)
    else:
        out = stage_onepass(args.data, args.parts, args.as_of)
    print(json.dumps(out))


if __name__ == "__main__":
    _stage_main(sys.argv[1:])
