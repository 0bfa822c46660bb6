"""The pure-Python core of srdi: rules, money, identifiers, reference data.

Nothing here imports Django or touches a database (an import-linter contract enforces it), so every
module can be unit-tested in milliseconds and reused by the web, API, CLI and batch paths alike.
"""

import polars as _pl

# Every Polars query srdi runs uses the in-memory engine. Polars' default ('auto') chooses the streaming engine,
# whose fixed start-up cost per query dominates the one-row assessments of the API and enterprise pages
# (one profile 72 → 25 ms) and which is also slower here for whole-city screening (1M: 4.1 → 3.6 s);
# see docs/performance.md. A call may still ask for another engine explicitly.
_pl.Config.set_engine_affinity("in-memory")
