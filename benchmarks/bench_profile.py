"""One profile through ``run_assess`` in process (target ≤ 3 ms with gaps), and where the backends cross over.

Part 1: every YAML rule case without overrides (``srdi.domain.rules.cases.assessment_cases``) as a one-profile
document, through ``run_assess`` with gaps and without (profile included), on the columnar backend (one Polars
query per assessment: the engine before issue 17) and on the scalar backend (plain rows, scalar facts, the
generated program), forced with ``forced_backend``, and the lean result (``summary=True``) on the scalar
one. The two run alternately, round by round, so that both see the same load; the figure is
the median over rounds of the mean CPU time per profile.

Part 2: ``assess`` (six-dimension profile included) over n demo-generator enterprises for n = 1 … 1,024, both
backends alternately, in CPU time: the batch size above which one Polars query is cheaper than the program row by row
(``engine.SCALAR_ROWS``).

Options: ``--rounds R`` (default 5), ``--no-write`` (print only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from typing import Any

from benchmarks import machine, machine_markdown, write_section

NAME = "profile"
TARGET_MS = 3.0
SIZES = (1, 4, 16, 64, 128, 256, 384, 512, 1024)


def _per_profile(
    documents: list[dict[str, Any]], backend: str, with_gaps: bool, summary: bool = False
) -> float:
    from srdi.domain.assessment.contract import run_assess
    from srdi.domain.rules.engine import forced_backend

    with forced_backend(backend):
        started = time.process_time()
        for document in documents:
            run_assess(document, with_gaps=with_gaps, summary=summary)
        return (time.process_time() - started) / len(documents) * 1000


def profiles(rounds: int) -> dict[tuple[str, bool], float]:
    from srdi.domain.rules.cases import assessment_cases

    documents = [
        {"as_of": c.as_of, "purpose": c.purpose, "enterprises": [c.profile]}
        for c in assessment_cases()
        if not c.parameters
    ]
    for backend in ("columnar", "scalar"):  # warm the caches (compiled rulebooks, plans, programs)
        _per_profile(documents, backend, True)
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(rounds):
        for with_gaps in (False, True):
            for backend in ("columnar", "scalar"):
                times.setdefault((backend, with_gaps), []).append(_per_profile(documents, backend, with_gaps))
            times.setdefault(("summary", with_gaps), []).append(
                _per_profile(documents, "scalar", with_gaps, summary=True)
            )
    return {k: statistics.median(v) for k, v in times.items()} | {("documents", False): float(len(documents))}


def crossover(rounds: int) -> dict[int, dict[str, float]]:
    from srdi.demo.generator import generate
    from srdi.domain.assessment.dimensions import dimension_stages
    from srdi.domain.rules.engine import assess
    from srdi.domain.tables import RowTables

    as_of = date(2025, 6, 30)
    out: dict[int, dict[str, float]] = {}
    for n in SIZES:
        frames = generate(n, 11, as_of_year=2025)
        # each backend from the input it is given in practice: rows (the contract) for the scalar path
        inputs: dict[str, Any] = {"columnar": frames, "scalar": RowTables.from_tables(frames)}
        times: dict[str, list[float]] = {"columnar": [], "scalar": []}
        for backend in times:
            assess(inputs[backend], as_of, extra=dimension_stages, backend=backend)
        for _ in range(rounds):
            for backend, found in times.items():
                started = time.process_time()
                assess(inputs[backend], as_of, extra=dimension_stages, backend=backend)
                found.append((time.process_time() - started) * 1000)
        out[n] = {backend: statistics.median(found) for backend, found in times.items()}
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks profile", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    from srdi.domain.rules.engine import SCALAR_ROWS

    load_before = os.getloadavg()[0]
    one = profiles(args.rounds)
    sizes = crossover(args.rounds)
    load = (load_before + os.getloadavg()[0]) / 2
    n_docs = int(one[("documents", False)])
    met = one[("scalar", True)] <= TARGET_MS
    lean_met = one[("summary", True)] <= TARGET_MS
    rows = "\n".join(
        f"| {label} | {one[('columnar', gaps)]:.1f} ms | {one[('scalar', gaps)]:.1f} ms | "
        f"{one[('columnar', gaps)] / one[('scalar', gaps)]:.1f}× | {one[('summary', gaps)]:.1f} ms |"
        for label, gaps in (
            ("`run_assess`, profile, no gaps", False),
            ("`run_assess`, profile and gaps", True),
        )
    )
    batch = "\n".join(
        f"| {n:,} | {t['columnar']:.1f} ms | {t['scalar']:.1f} ms | "
        f"{'scalar' if t['scalar'] < t['columnar'] else 'columnar'} |"
        for n, t in sizes.items()
    )
    print(f"one profile (median of {args.rounds} rounds over {n_docs} YAML cases), load ≈ {load:.1f}:")
    print(rows)
    print(batch)
    if not args.no_write:
        write_section(
            NAME,
            f"""## One profile in process; scalar and columnar backends

`benchmarks/bench_profile.py`: each of the {n_docs} YAML rule cases without overrides as a one-profile
`run_assess` document (six-dimension profile included), on the columnar backend (one Polars query, the
engine as it was before issue 17) and on the scalar backend (the program generated from the same rule
expressions), run alternately round by round; median over {args.rounds} rounds of the mean **CPU time** per
profile (`time.process_time`, all threads: on a loaded machine wall time mostly measures the other processes).
Load average ≈ {load:.1f} on a shared 2-core machine (upper bounds).

| One profile | columnar | scalar | ratio | scalar, `summary=True` (API `?detail=summary`) |
|---|---|---|---|---|
{rows}

Target ≤ {TARGET_MS:.0f} ms with gaps (the full result: traces of every check, gap plans, six-dimension profile):
{"met" if met else "**not met**"}; the lean result (verdicts, rulebooks and gap plans, no traces or profile)
{"meets it" if lean_met else "**does not meet it either**"}. On the scalar path nothing is Polars any more: the
profile's rows (`tables.rows_from_profiles`), its facts (`rules.scalar_facts.build_fact_rows`) and the generated
program (~0.05–0.1 ms a profile); what remains is the traces (full result only) and gap planning: planning,
then re-assessing each planned profile (its rows, facts and program). A planned profile is validated only
where the plan changed it (`exchange.parse_changed_profile`), and a planned profile that still lacks data
lists it without building its trace (`explain.tier_missing`).

`assess` (with the six-dimension profile) over n demo-generator enterprises, median of {args.rounds}:

| n | columnar | scalar | faster |
|---|---|---|---|
{batch}

`engine.SCALAR_ROWS` = {SCALAR_ROWS}: up to this many enterprises `assess` runs the scalar program (with the
scalar facts the crossover lies between 128 and 256 demo enterprises: at 128 the scalar path took 13 ms of CPU
against 22 ms, at 256 24 ms against 20 ms, on 2026-12-07).

{machine_markdown(machine())}
""",
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
