"""The whole database's tables cached per data version (``services.tables_cache``): identical to a fresh load,
and never stale after any kind of write (ORM, bulk, raw SQL, delete) or a rolled-back one."""

from __future__ import annotations

from dataclasses import fields

import pytest
from django.db import connection, transaction

from srdi.db.models import EnterpriseYear, Event
from srdi.demo.generator import generate
from srdi.domain.tables import Tables
from srdi.services import tables_cache
from srdi.services.demo import load_tables as load_demo
from srdi.services.facts_loader import load_tables
from srdi.services.simulation import simulate_policy

pytestmark = pytest.mark.django_db


def same(a: Tables, b: Tables) -> None:
    for f in fields(Tables):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.schema == y.schema, f.name
        assert x.equals(y), f.name


@pytest.fixture
def world(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    tables_cache.forget()
    load_demo(generate(300, 7), seed=7)
    yield tmp_path
    tables_cache.forget()


@pytest.mark.parametrize("with_events", [False, True])
def test_cached_tables_equal_a_fresh_load_from_memory_and_from_parquet(world, with_events):
    first = tables_cache.whole_tables(with_events=with_events)
    same(first, load_tables(with_events=with_events))
    assert tables_cache.whole_tables(with_events=with_events) is first  # memory
    tables_cache.forget()
    from_disk = tables_cache.whole_tables(with_events=with_events)
    assert from_disk is not first
    same(from_disk, load_tables(with_events=with_events))
    assert len(list((world / "cache" / "tables").iterdir())) == 1


def test_every_kind_of_write_changes_the_version_and_the_tables(world):
    before = tables_cache.whole_tables(with_events=True)
    version = tables_cache.data_version()
    year = EnterpriseYear.objects.order_by("pk").first()
    year.operating_revenue_fen = (year.operating_revenue_fen or 0) + 12345
    year.save()  # ORM update
    assert tables_cache.data_version() != version
    after = tables_cache.whole_tables(with_events=True)
    same(after, load_tables(with_events=True))
    assert not after.years.equals(before.years)
    version = tables_cache.data_version()
    with connection.cursor() as cursor:  # raw SQL, as the bulk writers do
        cursor.execute(
            "UPDATE srdi_enterprise SET name = name || '（更名）' WHERE id = %s", [year.enterprise_id]
        )
    assert tables_cache.data_version() != version
    same(tables_cache.whole_tables(with_events=True), load_tables(with_events=True))
    version = tables_cache.data_version()
    Event.objects.filter(pk=Event.objects.order_by("pk").values("pk")[:1]).delete()
    assert tables_cache.data_version() != version
    same(tables_cache.whole_tables(with_events=True), load_tables(with_events=True))


def test_a_rolled_back_write_never_reuses_a_version_for_other_rows(world):
    tables_cache.whole_tables()
    start = tables_cache.data_version()
    year = EnterpriseYear.objects.order_by("pk").first()
    seen: list[int | None] = []

    def write_then_fail() -> None:
        with transaction.atomic():
            EnterpriseYear.objects.filter(pk=year.pk).update(employees=1)
            seen.append(tables_cache.data_version())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    rolled_back = seen[0]
    assert rolled_back != start
    assert tables_cache.data_version() == start
    EnterpriseYear.objects.filter(pk=year.pk).update(employees=2)
    assert tables_cache.data_version() not in (start, rolled_back)
    same(tables_cache.whole_tables(), load_tables())


def test_simulation_from_the_cache_equals_the_uncached_simulation(world):
    cached = simulate_policy("hz81", 2025, None)
    fresh = simulate_policy("hz81", 2025, None, progress=lambda *_: None)  # the progress path loads afresh
    a, b = cached[0], fresh[0]
    assert (a.totals, a.statuses, a.events, a.warnings) == (b.totals, b.statuses, b.events, b.warnings)
    for name in ("by_measure", "by_district", "outcomes", "by_enterprise"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert a.events > 0 and a.totals
    assert tables_cache.whole_tables(with_events=True) is tables_cache.whole_tables(with_events=True)
