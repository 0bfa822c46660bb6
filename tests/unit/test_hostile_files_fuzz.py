"""Fuzz corpus: 10,000 corrupt or hostile files, each accepted or refused with a reason code, in bounded time.

The files come from ``tests.hostile_files.corpus`` (fixed seeds, derived from valid seed files made here). They
go through ``services.imports.validate`` — detection, safety checks, the readers, the cell parsers and the
exchange-format validation — without a database; ``tests/integration/test_hostile_files.py`` sends a sample
through the whole import on the database. An exception other than ``FileRefused`` fails the test, and so does
a ``FileRefused`` without a code, or a file that takes longer than ``PER_FILE_SECONDS``.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from tests.hostile_files import corpus

from srdi.interchange.refusals import FileRefused, Reason
from srdi.services.imports import validate

FILES = int(__import__("os").environ.get("SRDI_FUZZ_FILES", "10000"))
PER_FILE_SECONDS = 3.0  # generous for a loaded 2-core machine; the p99 is printed


def test_every_hostile_file_is_accepted_or_refused_with_a_reason_code(capsys):
    codes: Counter[str] = Counter()
    times: list[float] = []
    slow: list[tuple[float, str, str]] = []
    for family, name, data in corpus(FILES, seed=13):
        started = time.perf_counter()
        refusal: FileRefused | None = None
        try:
            checked = validate(data, name, actor=None)
            codes["accepted (row errors)" if checked.errors else "accepted"] += 1
        except FileRefused as exc:
            refusal = exc
            codes[str(exc.code)] += 1
        except Exception as exc:  # pragma: no cover - the failure message names the file
            pytest.fail(f"{family} {name}: {type(exc).__name__}: {exc}")
        spent = time.perf_counter() - started
        if refusal is not None:
            assert isinstance(refusal.code, Reason) and str(refusal), (family, name, refusal)
        times.append(spent)
        if spent > PER_FILE_SECONDS:
            slow.append((spent, family, name))
    times.sort()
    p99 = times[int(len(times) * 0.99)]
    with capsys.disabled():
        print(
            f"\nfuzz corpus: {len(times)} files, p50 {times[len(times) // 2] * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {times[-1] * 1000:.0f} ms, total {sum(times):.1f} s"
        )
        for code, count in codes.most_common():
            print(f"  {code:24} {count}")
    assert len(times) == FILES
    assert not slow, slow[:5]
    assert "unreadable" not in codes  # every refusal is a named one; unreadable is the service's last resort
    assert len(codes) >= 12  # the corpus reaches the many kinds of refusal, not one error path
