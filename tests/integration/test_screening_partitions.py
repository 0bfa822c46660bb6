"""Partitioned screening: any partition size, in this process or in worker processes, stores the same results,
counts, rulebooks, changes and expiring titles as one pass over the whole database."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from srdi.cli import commands_rules  # noqa: F401 - registers the command
from srdi.cli.main import cli
from srdi.db.models import AssessmentRun, Enterprise, EnterpriseAssessment
from srdi.demo.generator import generate
from srdi.services.demo import load_tables
from srdi.services.screening import ROW_COLUMNS, run_screen, screening_request
from srdi.services.screening_partitions import partition_ranges

AS_OF = date(2026, 6, 30)
BEFORE = date(2025, 6, 30)
N = 300
ONE_PASS = 10**9


@pytest.fixture
def demo() -> int:
    return load_tables(generate(N, 20240127, as_of_year=2026), seed=20240127)


def stored(run: AssessmentRun) -> list[tuple[Any, ...]]:
    cols = [c for c in ROW_COLUMNS if c != "run_id"]
    return list(EnterpriseAssessment.objects.filter(run=run).order_by("enterprise_id").values_list(*cols))


def summary(run: AssessmentRun) -> tuple[Any, ...]:
    return (run.enterprises, run.rulebooks, run.counts, run.changes)


def set_aside(run: AssessmentRun) -> None:
    """Take a run out of the comparisons, so that the next run compares with the one before it."""
    AssessmentRun.objects.filter(pk=run.pk).update(finished_at=None)


def assert_same(a: AssessmentRun, b: AssessmentRun) -> None:
    assert summary(a) == summary(b)
    assert stored(a) == stored(b)


@pytest.mark.django_db
def test_partition_ranges_cover_every_enterprise_once(demo):
    ids = sorted(Enterprise.objects.values_list("id", flat=True))
    for size in (1, 7, 100, N - 1, N, ONE_PASS):
        ranges = partition_ranges(size)
        assert len(ranges) == -(-N // size)
        covered = [i for first, last in ranges for i in ids if first <= i <= last]
        assert covered == ids
        assert all(sum(first <= i <= last for i in ids) <= size for first, last in ranges)
    with pytest.raises(ValueError):
        partition_ranges(0)


@pytest.mark.django_db
def test_an_empty_database_has_no_partitions():
    assert partition_ranges(10) == []
    run = run_screen(as_of=AS_OF, partition_size=10)
    assert run.enterprises == 0


@pytest.mark.django_db
def test_partitions_store_what_one_pass_stores(demo):
    earlier = run_screen(as_of=BEFORE, partition_size=ONE_PASS)
    one_pass = run_screen(as_of=AS_OF, partition_size=ONE_PASS)
    assert one_pass.enterprises == N
    changes = one_pass.changes
    assert sum(v["count"] for v in changes["newly_eligible"].values()) > 0  # something to compare
    assert changes["expiring_within_90_days"]
    set_aside(one_pass)
    seen: list[tuple[str, int, int | None]] = []
    partitioned = run_screen(
        as_of=AS_OF, partition_size=37, progress=lambda stage, n, total: seen.append((stage, n, total))
    )
    assert_same(one_pass, partitioned)
    assert ("分区", 9, 9) in seen and ("企业", N, N) in seen
    assert earlier.pk < one_pass.pk < partitioned.pk


@pytest.mark.django_db
def test_a_partitioned_review_judges_the_same_enterprises(demo):
    window = screening_request(AS_OF, "review", AS_OF, AS_OF + timedelta(days=365))
    one_pass = run_screen(request=window, partition_size=ONE_PASS)
    assert 0 < one_pass.enterprises < N
    set_aside(one_pass)
    partitioned = run_screen(request=window, partition_size=23)
    assert_same(one_pass, partitioned)


@pytest.mark.django_db
def test_the_command_reports_partitions(demo):
    result = CliRunner().invoke(
        cli, ["screen", "--as-of", "2026-06-30", "--partition-size", "120", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "分区 3/3 完成" in result.output
    assert f"{N} 家企业" in result.output


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_processes_store_what_one_pass_stores(demo):
    earlier = run_screen(as_of=BEFORE, partition_size=ONE_PASS)
    one_pass = run_screen(as_of=AS_OF, partition_size=ONE_PASS)
    set_aside(one_pass)
    in_workers = run_screen(as_of=AS_OF, partition_size=70, workers=2)
    assert_same(one_pass, in_workers)
    assert earlier.enterprises == N


def test_the_page_progress_counts_enterprises_and_partitions(settings, tmp_path):
    from srdi.services import screening_jobs

    settings.VAR_DIR = tmp_path
    job = screening_jobs.JobStatus(state=screening_jobs.RUNNING)
    report = screening_jobs._Reporter(job, 300)
    report("分区", 0, 9)
    report("企业", 0, 300)
    report("企业", 150, 300)
    report("分区", 4, 9)
    assert job.percent == 50
    assert job.detail == "已完成 150 / 300 家企业（分区 4 / 9）"
    assert screening_jobs._read().detail == job.detail  # a finished partition is written at once
    report("企业", 300, 300)
    assert job.percent == 99


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_date_without_rulebooks_is_refused_from_the_workers_too(demo):
    from srdi.domain.rules.engine import NoRulebook
    from srdi.services.screening import ScreeningRequest

    early = ScreeningRequest(date(2021, 6, 30))  # the form refuses it; the engine must too, in a worker
    with pytest.raises(NoRulebook):
        run_screen(request=early, partition_size=100, workers=2)
    assert not AssessmentRun.objects.exists()
