"""The database's "highest tier valid today" agrees with the pure rule in ``srdi.domain.certifications``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srdi.db.models import Certification, Enterprise
from srdi.domain.certifications import is_valid_on
from srdi.domain.reference import TIER_RANK
from srdi.web.queries import with_highest_tier

pytestmark = pytest.mark.django_db

DAY = date(2025, 3, 1)
offsets = st.integers(min_value=-1500, max_value=400)
certs = st.lists(
    st.tuples(
        st.sampled_from(sorted(TIER_RANK)),
        st.one_of(st.none(), offsets),  # recognized_on
        st.one_of(st.none(), offsets),  # expires_on
        st.one_of(st.none(), offsets),  # revoked_on
    ),
    max_size=4,
)


def _day(offset: int | None) -> date | None:
    return None if offset is None else DAY + timedelta(days=offset)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=certs)
def test_highest_tier_matches_the_domain_rule(seed, rows):
    enterprise = seed.west_formula
    Certification.objects.filter(enterprise=enterprise).delete()
    made = [
        Certification.objects.create(
            enterprise=enterprise,
            tier=tier,
            recognized_on=_day(recognized),
            expires_on=_day(expires),
            revoked_on=_day(revoked),
        )
        for tier, recognized, expires, revoked in rows
    ]
    valid = [c.tier for c in made if is_valid_on(c, DAY)]
    expected = max(valid, key=TIER_RANK.__getitem__) if valid else None
    got = with_highest_tier(Enterprise.objects.filter(pk=enterprise.pk), DAY).get().highest_tier
    assert got == expected
