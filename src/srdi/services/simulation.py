"""Costing a policy pack over the whole database's recorded events (``srdi simulate``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from srdi.domain.policy.simulate import Simulation, difference, run_simulation
from srdi.services.facts_loader import load_tables
from srdi.services.parameters import packs_in_force
from srdi.services.tables_cache import whole_tables


def simulate_policy(
    policy: str,
    year: int,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> tuple[Simulation, Simulation | None, dict[str, Any] | None]:
    """(baseline, changed run or None, difference or None) for the pack ``policy`` over ``year``'s events."""
    packs = tuple(p for p in packs_in_force() if p.id == policy)
    if not packs:
        raise ValueError(f"未知政策包 {policy!r}（可用：{', '.join(p.id for p in packs_in_force())}）")
    tables = (
        whole_tables(with_events=True)
        if progress is None
        else load_tables(with_events=True, progress=progress)
    )
    base = run_simulation(tables, packs, year)
    if not overrides:
        return base, None, None
    changed = run_simulation(tables, packs, year, overrides=overrides)
    return base, changed, difference(base, changed)
