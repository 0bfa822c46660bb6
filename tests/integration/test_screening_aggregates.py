"""The screening page's figures stored with the run (``services.screening_aggregates``): the same numbers as
counting the rows live, for the whole city and for each district; counted again when the data changed, and for
a run saved without them."""

from __future__ import annotations

from datetime import date

import pytest

from srdi.db.models import AssessmentRun, District, Enterprise
from srdi.demo.generator import generate
from srdi.services import screening_aggregates as sa
from srdi.services.accounts import create_user
from srdi.services.demo import load_tables as load_demo
from srdi.services.screening import run_screen
from srdi.web import screening_data as sd

pytestmark = pytest.mark.django_db
PASSWORD = "Str0ng!Passw0rd-Test"


@pytest.fixture
def runs(settings, tmp_path) -> tuple[AssessmentRun, AssessmentRun]:
    settings.VAR_DIR = tmp_path
    load_demo(generate(400, 11), seed=11)
    first = run_screen(as_of=date(2025, 6, 30))
    second = run_screen()
    return first, second


def users():
    city = create_user(username="agg_city", password=PASSWORD, role="city_staff")
    districts = [
        create_user(username=f"agg_{code}", password=PASSWORD, role="district_staff", district_code=code)
        for code in Enterprise.objects.values_list("district_id", flat=True)
        .distinct()
        .order_by("district_id")[:3]
    ]
    return [city, *districts]


def live(user, run):
    counts = sd.status_counts(sd.scoped_rows(user, run))
    previous = sd.previous_run(run)
    if previous is None:
        return counts, None
    rows = sd.scoped_rows(user, run).annotate(**sa.change_annotations(previous))
    raw = rows.order_by().aggregate(**sa.change_expressions())
    return counts, raw


def shown(user, run):
    changes = sd.changes(user, run)
    raw = (
        None
        if changes is None
        else {f"{k}:{t['code']}": t[k] for t in changes["tiers"] for k in ("newly", "lost")}
    )
    return sd.scope_counts(user, run), raw


def test_stored_figures_equal_the_live_count_for_the_city_and_each_district(runs):
    first, second = runs
    assert second.aggregates["districts"] and second.aggregates["previous"] == first.pk
    people = users()
    for run in runs:
        for user in people:
            assert shown(user, run) == live(user, run), (user.username, run.pk)
    counts, changes = shown(people[0], second)
    assert counts["total"] == Enterprise.objects.count() and changes is not None
    assert sum(changes.values()) > 0  # the two runs judge different days: something changed


def test_a_run_without_stored_figures_is_counted_once_and_stored(runs):
    _, run = runs
    AssessmentRun.objects.filter(pk=run.pk).update(aggregates={})
    run.refresh_from_db()
    city = users()[0]
    expected = live(city, run)
    assert shown(city, run) == expected
    run.refresh_from_db()
    assert run.aggregates["format"] == sa.FORMAT and run.aggregates["districts"]


def test_figures_are_counted_again_when_an_enterprise_changes_district(runs):
    _, run = runs
    people = users()
    district_user = people[1]
    before = shown(district_user, run)
    moved = Enterprise.objects.filter(district_id=district_user.district_id).order_by("pk").first()
    other = District.objects.exclude(code=district_user.district_id).order_by("code").first()
    Enterprise.objects.filter(pk=moved.pk).update(district=other)
    after = shown(district_user, run)
    assert after == live(district_user, run)
    assert after[0]["total"] == before[0]["total"] - 1
    for user in people:
        assert shown(user, run) == live(user, run)


@pytest.mark.parametrize("size", [7, 50])
def test_the_page_window_by_grade_holds_exactly_the_rows_of_the_plain_slice(runs, size):
    _, run = runs
    for user in users():
        rows = sd.search_rows(user, run, {}).queryset
        counts = sd.scope_counts(user, run)
        total = counts["total"]
        assert total == rows.count()
        for bottom in range(0, total, size):
            top = min(bottom + size, total)
            window = [r.pk for r in sd.page_window(rows, counts, bottom, top)]
            assert window == [r.pk for r in rows[bottom:top]], (user.username, bottom)
