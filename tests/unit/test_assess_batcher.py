"""The API's request coalescer: same results as alone, errors kept per request, no request left behind."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from srdi.demo.generator import generate, to_profiles
from srdi.domain.assessment.contract import DocumentError, run_assess
from srdi.services import assess_batcher
from srdi.services.assess_batcher import Coalescer

AS_OF = "2025-12-31"


def _in_threads(count: int, work: Any) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; results in order, exceptions returned."""
    barrier = threading.Barrier(count)
    out: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # returned so that the test can look at it
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a request was left waiting"
    return out


def test_concurrent_requests_share_passes_and_get_their_own_results(monkeypatch):
    profiles = to_profiles(generate(10, 3))
    documents = [{"as_of": AS_OF, "enterprises": [p]} for p in profiles]
    documents[4] = {"as_of": AS_OF, "enterprises": [{"uscc": "bad"}, profiles[4]]}
    alone = [run_assess(d, with_gaps=False) for d in documents]
    passes: list[int] = []

    def counting(document: Any, **kwargs: Any) -> dict[str, Any]:
        passes.append(len(document["enterprises"]))
        return run_assess(document, **kwargs)

    monkeypatch.setattr(assess_batcher, "run_assess", counting)
    coalescer = Coalescer(window=0.05)
    together = _in_threads(len(documents), lambda i: coalescer.submit(documents[i], with_gaps=False))

    assert together == alone
    assert together[4]["results"][0]["index"] == 0  # the malformed record keeps its place in its own document
    assert sum(passes) == 11 and len(passes) < len(documents)


def test_a_thread_leads_only_the_batch_holding_its_own_request(monkeypatch):
    led: dict[int, int] = {}
    lock = threading.Lock()

    def slow(document: Any, **kwargs: Any) -> dict[str, Any]:
        with lock:
            led[threading.get_ident()] = led.get(threading.get_ident(), 0) + 1
        time.sleep(0.03)
        return {"as_of": document["as_of"], "results": [{"uscc": r["uscc"]} for r in document["enterprises"]]}

    monkeypatch.setattr(assess_batcher, "run_assess", slow)
    coalescer = Coalescer(window=0.0)

    def staggered(i: int) -> dict[str, Any]:
        time.sleep(0.005 * i)  # a steady stream: each batch finds new requests queued behind it
        return coalescer.submit({"as_of": AS_OF, "enterprises": [{"uscc": f"U{i}"}]})

    results = _in_threads(24, staggered)

    assert [r["results"] for r in results] == [[{"uscc": f"U{i}"}] for i in range(24)]
    assert max(led.values()) == 1  # nobody ran someone else's later batch before answering
    assert not coalescer.leading and not coalescer.pending


def test_an_engine_error_reaches_every_request_of_its_batch_and_the_next_batch_still_runs(monkeypatch):
    calls = []

    def failing_once(document: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(document)
        if len(calls) == 1:
            raise DocumentError("规则库缺失")
        return {"as_of": document["as_of"], "results": [{} for _ in document["enterprises"]]}

    monkeypatch.setattr(assess_batcher, "run_assess", failing_once)
    coalescer = Coalescer(window=0.05)
    first = _in_threads(3, lambda i: coalescer.submit({"as_of": AS_OF, "enterprises": [{}]}))
    assert all(isinstance(r, DocumentError) for r in first)
    expected = {"as_of": AS_OF, "purpose": "application", "results": [{}]}
    assert coalescer.submit({"as_of": AS_OF, "enterprises": [{}]}) == expected


def test_a_crash_outside_the_engine_fails_the_waiting_requests_instead_of_hanging(monkeypatch):
    coalescer = Coalescer(window=0.05)

    def broken(batch: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(coalescer, "_run", broken)
    results = _in_threads(4, lambda i: coalescer.submit({"as_of": AS_OF, "enterprises": [{}]}))
    assert all(isinstance(r, RuntimeError) for r in results)
    assert not coalescer.leading


@pytest.mark.parametrize("document", [{"enterprises": []}, {"as_of": AS_OF, "enterprises": [{}] * 300}])
def test_dateless_and_large_documents_run_on_their_own(monkeypatch, document):
    seen = []
    monkeypatch.setattr(assess_batcher, "run_assess", lambda d, **k: seen.append(d) or {"results": []})
    assert Coalescer().submit(document) == {"results": []}
    assert seen == [document]


def test_lean_and_full_requests_arriving_together_each_get_their_own_answer():
    """A lean request (``?detail=summary``: no trace, no six-dimension profile) never shares a pass with a full
    one: each gets exactly what it would get alone."""
    profiles = to_profiles(generate(6, 11))
    documents = [{"as_of": AS_OF, "enterprises": [p]} for p in profiles]
    lean = [i % 2 == 0 for i in range(len(documents))]
    alone = [run_assess(d, with_gaps=False, summary=lean[i]) for i, d in enumerate(documents)]
    coalescer = Coalescer(window=0.05)
    together = _in_threads(
        len(documents),
        lambda i: coalescer.submit(documents[i], with_gaps=False, summary=lean[i]),
    )
    assert together == alone
    assert all(("profile" in r["results"][0]) is not lean[i] for i, r in enumerate(together))
    assert all(
        ("checks" in r["results"][0]["tiers"]["srdi_sme"]) is not lean[i] for i, r in enumerate(together)
    )


def test_a_lone_client_is_not_kept_waiting_but_a_crowd_is(monkeypatch):
    def quick(document: Any, **kwargs: Any) -> dict[str, Any]:
        return {"as_of": AS_OF, "purpose": "application", "results": [{} for _ in document["enterprises"]]}

    monkeypatch.setattr(assess_batcher, "run_assess", quick)
    coalescer = Coalescer(window=0.3)
    document = {"as_of": AS_OF, "enterprises": [{"uscc": "x"}]}

    def timed() -> float:
        started = time.monotonic()
        coalescer.submit(document, with_gaps=False)
        return time.monotonic() - started

    assert timed() >= 0.3  # nothing known yet: the first request waits for company
    assert timed() < 0.15  # it had none: the next request of the lone client runs at once
    coalescer.last_batch = 3  # as after a batch that several requests shared
    assert timed() >= 0.3
    assert timed() < 0.15
