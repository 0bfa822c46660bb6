"""Progress bars for long work, drawn on standard error so that standard output stays clean."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Progress]:
    """A rich progress bar with one task; call ``advance(n)`` on the yielded object's task 0."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with bar:
        bar.add_task(description, total=total)
        yield bar


def advance(bar: Progress, n: int = 1) -> None:
    """Advance the bar's only task."""
    bar.advance(bar.task_ids[0], n)
