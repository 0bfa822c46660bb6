"""``title_books`` counts the plain titles in the database and the rest row by row: for any data its counts equal
``title_spells`` applied to every enterprise's rows in Python (Hypothesis), for the city and each district."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_uscc

from srdi.db.models import Certification, Enterprise, Event, Sanction
from srdi.domain.programme.titles import Tally, TitleRecord, title_spells
from srdi.services.programme_targets import NO_DISTRICT, title_books

pytestmark = pytest.mark.django_db

TIERS = ("srdi_sme", "little_giant")
DISTRICTS = ("330106", "330108", None)
START = date(2019, 1, 1)
DAYS = (date(2020, 6, 30), date(2022, 12, 31), date(2024, 3, 1), date(2026, 11, 30))

day = st.integers(0, 8 * 365).map(lambda n: START + timedelta(days=n))
cert = st.tuples(st.sampled_from(TIERS), st.one_of(st.none(), day), st.one_of(st.none(), day))
enterprise = st.fixed_dictionaries(
    {
        "district": st.sampled_from(DISTRICTS),
        "certs": st.lists(cert, max_size=3),
        "moves": st.lists(st.tuples(st.sampled_from(TIERS), day), max_size=1),
        "frauds": st.lists(day, max_size=1),
    }
)


def _expected(world: list[dict], tier: str, district: str | None) -> list[tuple]:
    spells = []
    for e in world:
        if district is not None and e["district"] != district:
            continue
        recs = [TitleRecord(r, v) for t, r, v in e["certs"] if t == tier]
        moves = [d for t, d in e["moves"] if t == tier]
        one = title_spells(recs, moves, e["frauds"])
        if recs and one:
            spells.append(one)
    return spells


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=st.lists(enterprise, max_size=12))
def test_books_equal_title_spells_in_python(db, world) -> None:
    with transaction.atomic():
        for n, e in enumerate(world):
            ent = Enterprise.objects.create(
                uscc=make_uscc(e["district"] or "330106", n + 1), district_id=e["district"]
            )
            for tier, recognized, revoked in e["certs"]:
                Certification.objects.create(
                    enterprise=ent, tier=tier, recognized_on=recognized, revoked_on=revoked
                )
            for tier, moved in e["moves"]:
                Event.objects.create(enterprise=ent, kind="relocation_in", date=moved, payload={"tier": tier})
            for fraud in e["frauds"]:
                Sanction.objects.create(enterprise=ent, kind="data_fraud", date=fraud)
        for district in (None, "330106"):
            books = title_books(TIERS, district)
            for tier in TIERS:
                city, per_district = books[tier].tallies()
                expected = Tally.of(_expected(world, tier, district))
                assert (city.starts, city.ends) == (expected.starts, expected.ends), (tier, district)
                by_code = defaultdict(list)
                for e in world:
                    if district is None or e["district"] == district:
                        by_code[e["district"] or NO_DISTRICT].append(e)
                for code, tally in per_district.items():
                    want = Tally.of(_expected(by_code[code], tier, None))
                    assert [tally.count_on(d) for d in DAYS] == [want.count_on(d) for d in DAYS], (tier, code)
        transaction.set_rollback(True)
