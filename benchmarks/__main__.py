"""``python -m benchmarks``: list the benchmarks; ``python -m benchmarks NAME [NAME …] [-- ARGS]``: run them.

Arguments after ``--`` go to every benchmark named (e.g. ``python -m benchmarks import -- --rows 10000``).
``python -m benchmarks all`` runs every benchmark. Exit status is non-zero if any benchmark misses its target.
"""

from __future__ import annotations

import importlib
import sys

from benchmarks import available


def main(argv: list[str]) -> int:
    names, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    benches = available()
    if not names or names[0] in ("-h", "--help", "list"):
        print(__doc__.strip())
        print("\nBenchmarks:")
        for name, summary in benches.items():
            print(f"  {name:<12} {summary}")
        return 0
    if names == ["all"]:
        names = list(benches)
    unknown = [n for n in names if n not in benches]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(benches)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"=== benchmark {name} ===", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        code = int(module.main(list(extra)))
        print(f"=== benchmark {name}: {'met the target' if code == 0 else f'FAILED (exit {code})'} ===")
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
