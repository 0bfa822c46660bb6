"""An admitted request costs one counting statement, and the statement decides exactly as the domain's sliding
window rule (``srdi.domain.rate_limits.ceiling``) for every previous count and point in the window."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from srdi.db.models import RateCounter
from srdi.domain.rate_limits import Bucket, Rate, ceiling
from srdi.services.rate_limits import Caller, hit

pytestmark = pytest.mark.django_db
START = 1_000_020  # a multiple of 60


def test_an_admitted_request_is_one_statement():
    caller = Caller(user=None, ip="10.0.0.1")
    with override_settings(SRDI_PROBE_RATE="5/min"), CaptureQueriesContext(connection) as queries:
        assert hit(Bucket.PROBE, caller, now=START + 10).allowed
        assert hit(Bucket.PROBE, caller, now=START + 11).allowed
    counting = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("PRAGMA")]
    assert len(counting) == 2, counting  # one per request (SQLite adds only its durability pragmas)


@pytest.mark.parametrize(
    ("previous", "elapsed"), list(itertools.product([0, 3, 10, 17], [0.0, 0.25, 0.5, 0.9]))
)
def test_the_statement_admits_what_the_domain_rule_admits(previous, elapsed):
    rate = Rate(limit=10, period=60)
    caller = Caller(user=None, ip=f"10.1.{previous}.{int(elapsed * 100)}")
    if previous:
        RateCounter.objects.create(
            bucket=Bucket.PROBE.value,
            ident=caller.ident,
            window_start=START - 60,
            expires=START + 60,
            hits=previous,
        )
    with override_settings(SRDI_PROBE_RATE="10/min"):
        served = sum(hit(Bucket.PROBE, caller, now=START + elapsed * 60).allowed for _ in range(25))
    assert served == max(0, min(ceiling(rate, previous, elapsed), 25))
