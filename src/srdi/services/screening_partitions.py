"""Splitting the enterprises into id ranges and screening the ranges in worker processes.

Use ``partition_ranges(size)`` for the (first id, last id) ranges of at most ``size`` enterprises each, and
``screen_ranges(ranges, judgement, workers)`` to screen them: it yields each range's ``PartitionOutcome`` in
range order. With ``workers`` ≤ 1 (or a single range) the ranges are read and screened one after the other in
this process, on this process's database connection (so inside its transaction); otherwise a pool of spawned
processes reads and screens them, each with its own connection to the same database, at most ``workers``
ranges in flight, so memory stays that of ``workers`` partitions whatever the number of enterprises. Workers
read only committed data.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, NoReturn

from django.db import connection

from srdi.domain.rules.engine import NoRulebook
from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.screening import Judgement, PartitionOutcome, screen_partition
from srdi.services.facts_loader import load_tables

DEFAULT_PARTITION_SIZE = 250_000


def default_workers() -> int:
    """Worker processes by default: the cores available, at most 2 (each holds one partition in memory)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 2))


def partition_ranges(size: int = DEFAULT_PARTITION_SIZE) -> list[tuple[int, int]]:
    """(first id, last id) of each run of ``size`` consecutive enterprises in id order; none when empty."""
    if size < 1:
        raise ValueError("分区大小应为正整数")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM srdi_enterprise) AS numbered "
            "WHERE (n - 1) %% %s = 0 ORDER BY id",
            [size],
        )
        starts = [int(r[0]) for r in cursor.fetchall()]
        if not starts:
            return []
        cursor.execute("SELECT MAX(id) FROM srdi_enterprise")
        last = int(cursor.fetchone()[0])
    ends = [s - 1 for s in starts[1:]] + [last]
    return list(zip(starts, ends, strict=True))


def screen_range(first: int, last: int, judgement: Judgement) -> PartitionOutcome:
    """Read the enterprises with ids in [first, last] from the database and screen them."""
    return screen_partition(load_tables(id_range=(first, last)), judgement)


def _worker_setup(database: dict[str, Any]) -> None:
    """In a new worker process: set Django up on the parent's database (a test database included)."""
    import django
    from django.conf import settings
    from django.db import connections

    django.setup()
    settings.DATABASES["default"].update(database)
    connections["default"].settings_dict.update(database)


@dataclass(frozen=True)
class _RuleFailure:
    """A rule data error raised in a worker, carried back as plain values (the error class takes three
    arguments, which pickling an exception does not keep) and raised again in the parent."""

    no_rulebook: bool
    source: str
    key: str
    reason: str

    def raise_again(self) -> NoReturn:
        raise (NoRulebook if self.no_rulebook else RuleDataError)(self.source, self.key, self.reason)


def _worker_screen(first: int, last: int, judgement: Judgement) -> PartitionOutcome | _RuleFailure:
    try:
        return screen_range(first, last, judgement)
    except RuleDataError as exc:
        return _RuleFailure(isinstance(exc, NoRulebook), exc.source, exc.key, exc.reason)
    finally:
        connection.close()


def screen_ranges(
    ranges: list[tuple[int, int]], judgement: Judgement, workers: int = 1
) -> Iterator[PartitionOutcome]:
    """Each range's outcome, in the order of ``ranges``."""
    if workers <= 1 or len(ranges) <= 1:
        for first, last in ranges:
            yield screen_range(first, last, judgement)
        return
    # The workers load the same settings; only the database name can differ (a test database).
    database = {"NAME": connection.settings_dict["NAME"]}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(ranges)),
        mp_context=context,
        initializer=_worker_setup,
        initargs=(database,),
    ) as pool:
        todo = deque(ranges)
        running: deque[Future[PartitionOutcome | _RuleFailure]] = deque()

        def refill() -> None:
            while todo and len(running) < workers:
                first, last = todo.popleft()
                running.append(pool.submit(_worker_screen, first, last, judgement))

        refill()
        try:
            while running:
                outcome = running.popleft().result()
                if isinstance(outcome, _RuleFailure):
                    outcome.raise_again()
                refill()  # the workers go on while this process writes the outcome
                yield outcome
        finally:
            for future in running:
                future.cancel()
