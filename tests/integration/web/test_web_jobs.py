"""Large exports as background jobs (``services.jobs``, ``web.views.jobs``): the lifecycle from the export
button to the download, progress, who may download, a failed job, expiry, and the atomic claim."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from srdi.db.models import AuditAction, AuditEvent, Enterprise, Job, JobStatus, User
from srdi.services import jobs

pytestmark = pytest.mark.django_db

EXPORT = reverse("web:enterprise_export")
SCREENING_EXPORT = reverse("web:screening_export")
AUDIT_EXPORT = reverse("web:audit_export")
PROGRESS_SEEN: list[tuple[int, int, int]] = []


@pytest.fixture(autouse=True)
def background(settings, tmp_path, monkeypatch):
    """Every export is a job; the runner thread is not started (the test runs jobs in its own transaction)."""
    settings.VAR_DIR = tmp_path
    settings.SRDI_EXPORT_SYNC_MAX = 0
    monkeypatch.setattr(jobs, "_spawn", lambda target: None)


def queued(response) -> Job:
    assert response.status_code == 302, response.content[:300]
    job = Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert response["Location"] == reverse("web:job", args=[job.pk])
    return job


def csv_of(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_a_large_enterprise_export_is_a_job_with_progress_and_the_same_file(login_as, seed, settings):
    client = login_as("city_staff")
    job = queued(client.post(EXPORT, {"fmt": "csv", "q": "杭州"}))
    assert job.status == JobStatus.QUEUED and job.owner == seed.users["city_staff"]
    assert job.parameters["filters"] == {"q": "杭州"} and job.parameters["fmt"] == "csv"
    page = client.get(reverse("web:job", args=[job.pk])).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page and "企业名单导出" in page
    assert jobs.run_pending("test") == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.finished_at and job.expires_at
    expected = Enterprise.objects.filter(name__contains="杭州").count()
    assert expected == 2  # the formula-named enterprise does not match
    assert job.progress_total == job.progress_done == expected and f"已导出 {expected} 家企业" in job.message
    fragment = client.get(reverse("web:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in fragment and reverse("web:job_file", args=[job.pk]) in fragment
    download = client.get(reverse("web:job_file", args=[job.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    from_job = csv_of(b"".join(download.streaming_content))
    settings.SRDI_EXPORT_SYNC_MAX = 100
    direct = client.post(EXPORT, {"fmt": "csv", "q": "杭州"})
    assert direct.status_code == 200 and from_job == csv_of(direct.content)
    actions = list(
        AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=seed.users["city_staff"])
        .order_by("pk")
        .values_list("object_type", "object_repr")
    )
    assert actions[0] == ("job", "提交后台任务：企业名单导出")
    assert actions[1][0] == "enterprise"  # the export itself, as a synchronous export records it
    assert ("job", "下载后台任务结果：企业名单导出") in actions
    assert "企业名单导出" in client.get(reverse("web:job_list")).content.decode()
    assert (
        f'href="{reverse("web:job_list")}">我的导出</a>' in client.get(reverse("web:home")).content.decode()
    )


def test_screening_and_audit_exports_are_jobs_too(login_as, seed):
    from srdi.services.screening import run_screen

    run = run_screen()
    client = login_as("district_staff")
    job = queued(client.post(SCREENING_EXPORT, {"fmt": "csv"}))
    assert job.parameters["filters"]["run"] == str(run.pk)
    jobs.run_pending("test")
    rows = csv_of(b"".join(client.get(reverse("web:job_file", args=[job.pk])).streaming_content))
    assert rows and len(rows) == 2  # 西湖区 only: the district's two enterprises
    auditor = login_as("auditor")
    job = queued(auditor.post(AUDIT_EXPORT, {}))
    jobs.run_pending("test")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and "已导出审计日志" in job.message
    assert auditor.get(reverse("web:job_file", args=[job.pk])).status_code == 200


def test_only_the_owner_sees_and_downloads_and_only_while_permitted(login_as, seed):
    owner = login_as("city_staff")
    job = queued(owner.post(EXPORT, {"fmt": "csv"}))
    jobs.run_pending("test")
    for role in ("city_admin", "district_staff", "auditor"):
        other = login_as(role)
        assert other.get(reverse("web:job", args=[job.pk])).status_code == 404
        assert other.get(reverse("web:job_progress", args=[job.pk])).status_code == 404
        refused = other.get(reverse("web:job_file", args=[job.pk]))
        assert refused.status_code == 404 and "未找到该后台任务" in refused.content.decode()
        assert f"#{job.pk}" not in other.get(reverse("web:job_list")).content.decode()
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.ACCESS_DENIED, object_type="job", object_id=str(job.pk)
        ).count()
        >= 3
    )
    assert not AuditEvent.objects.filter(object_repr__startswith="下载后台任务结果").exists()
    user: User = seed.users["city_staff"]
    User.objects.filter(pk=user.pk).update(role="provider")  # the role was revoked after the export
    refused = owner.get(reverse("web:job_file", args=[job.pk]))
    assert refused.status_code in (403, 404)
    assert not AuditEvent.objects.filter(object_repr__startswith="下载后台任务结果").exists()


def _progress_handler(job, progress):
    for done in (1, 2, 3):
        progress(done, 3)
        PROGRESS_SEEN.append(
            (done, *Job.objects.values_list("progress_done", "progress_total").get(pk=job.pk))
        )
    return jobs.JobResult(b"a,b\n", "x.csv", "text/csv", "已导出测试文件")


def _failing_handler(job, progress):
    raise jobs.JobFailed("导出失败：筛查结果已被删除")


def _crashing_handler(job, progress):
    raise RuntimeError("secret internal detail")


@pytest.fixture
def test_kinds(monkeypatch):
    allow = "srdi.services.scoping.can_export"
    here = "tests.integration.web.test_web_jobs"
    monkeypatch.setitem(jobs.KINDS, "progress", jobs.JobKind("测试进度", f"{here}._progress_handler", allow))
    monkeypatch.setitem(jobs.KINDS, "failing", jobs.JobKind("测试失败", f"{here}._failing_handler", allow))
    monkeypatch.setitem(jobs.KINDS, "crashing", jobs.JobKind("测试出错", f"{here}._crashing_handler", allow))
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.0)


def test_progress_is_written_to_the_job_while_it_runs(seed, test_kinds):
    # The runner imports the handler by its dotted path: that module's list, not necessarily this one's.
    seen = import_string("tests.integration.web.test_web_jobs.PROGRESS_SEEN")
    seen.clear()
    job = jobs.submit(seed.users["city_staff"], "progress", {})
    jobs.run_pending("test")
    assert seen == [(1, 1, 3), (2, 2, 3), (3, 3, 3)]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and (job.progress_done, job.progress_total) == (3, 3)


def test_a_failed_job_says_why_in_chinese_and_is_audited(login_as, seed, test_kinds):
    client = login_as("city_staff")
    failed = jobs.submit(seed.users["city_staff"], "failing", {})
    crashed = jobs.submit(seed.users["city_staff"], "crashing", {})
    assert jobs.run_pending("test") == 2
    failed.refresh_from_db()
    crashed.refresh_from_db()
    assert failed.status == crashed.status == JobStatus.FAILED
    page = client.get(reverse("web:job", args=[failed.pk])).content.decode()
    assert "导出失败：筛查结果已被删除" in page and "hx-trigger" not in page
    page = client.get(reverse("web:job", args=[crashed.pk])).content.decode()
    assert "任务执行出错" in page and "secret" not in page
    refused = client.get(reverse("web:job_file", args=[failed.pk]))
    assert refused.status_code == 404 and "任务失败" in refused.content.decode()
    assert (
        AuditEvent.objects.filter(
            object_type="job", success=False, object_repr__startswith="后台任务失败"
        ).count()
        == 2
    )


def test_an_expired_file_is_removed_and_not_downloadable(login_as, seed, test_kinds, tmp_path):
    client = login_as("city_staff")
    job = jobs.submit(seed.users["city_staff"], "progress", {})
    jobs.run_pending("test")
    assert (tmp_path / "jobs" / str(job.pk) / "x.csv").is_file()
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    refused = client.get(reverse("web:job_file", args=[job.pk]))
    assert refused.status_code == 404 and "文件已过期" in refused.content.decode()
    assert jobs.purge_expired() == 1
    assert not (tmp_path / "jobs" / str(job.pk)).exists()
    assert "文件已过期删除" in client.get(reverse("web:job", args=[job.pk])).content.decode()


def test_a_job_is_claimed_once(seed, test_kinds):
    job = jobs.submit(seed.users["city_staff"], "progress", {})
    first = jobs.claim("a")
    assert (
        first is not None and first.pk == job.pk and first.status == JobStatus.RUNNING and first.worker == "a"
    )
    assert jobs.claim("b") is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_runners_run_every_job_exactly_once(seed, test_kinds):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("threads need a shared database file")
    owner = seed.users["city_staff"]
    created = [jobs.submit(owner, "progress", {}).pk for _ in range(12)]
    ran: dict[str, int] = {}

    def runner(name: str) -> None:
        try:
            ran[name] = jobs.run_pending(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(ran.values()) == len(created)
    assert set(Job.objects.filter(pk__in=created).values_list("status", flat=True)) == {JobStatus.DONE}
    assert Job.objects.filter(pk__in=created).exclude(worker__in=list(ran)).count() == 0


def test_a_job_whose_owner_lost_the_permission_before_it_ran_fails_and_exports_nothing(login_as, seed):
    from srdi.services.screening import run_screen

    run_screen()
    client = login_as("district_staff")
    job = queued(client.post(SCREENING_EXPORT, {"fmt": "csv"}))
    User.objects.filter(pk=seed.users["district_staff"].pk).update(role="provider")
    jobs.run_pending("test")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message.startswith("导出失败：") and not job.result_name
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="assessment_run").exists()


def test_a_running_job_whose_process_died_is_failed_by_the_next_runner(login_as, seed, test_kinds):
    """A job left running by a killed process (its heartbeat stopped) fails with a message saying to submit it
    again, audited once, while a job whose process is alive keeps running."""
    owner = seed.users["city_staff"]
    now = timezone.now()

    def running(since: timedelta, heartbeat: timedelta | None) -> Job:
        return Job.objects.create(
            kind="enterprise_export",
            owner=owner,
            created_at=now - since,
            status=JobStatus.RUNNING,
            started_at=now - since,
            heartbeat_at=now - heartbeat if heartbeat is not None else None,
        )

    dead = running(timedelta(hours=1), jobs.STALE + timedelta(seconds=1))
    legacy = running(timedelta(hours=2), None)  # started before heartbeats existed
    alive = running(timedelta(hours=1), timedelta(seconds=5))
    assert jobs.run_pending("test") == 0
    for job in (dead, legacy, alive):
        job.refresh_from_db()
    assert dead.status == legacy.status == JobStatus.FAILED and dead.message == jobs.ABANDONED
    assert alive.status == JobStatus.RUNNING
    failures = AuditEvent.objects.filter(
        object_type="job", success=False, object_id__in=[str(dead.pk), str(legacy.pk)]
    )
    assert failures.count() == 2
    assert jobs.fail_abandoned() == 0  # already failed: nothing twice
    page = login_as("city_staff").get(reverse("web:job", args=[dead.pk])).content.decode()
    assert "请重新提交" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_job_keeps_its_heartbeat(seed, test_kinds, monkeypatch):
    """While a handler runs, its job's heartbeat moves (here every 0.05 s) from the heartbeat's own thread."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("threads need a shared database file")
    monkeypatch.setattr(jobs, "HEARTBEAT", 0.05)
    seen: list[object] = []

    def slow(job, progress):
        import time

        first = Job.objects.get(pk=job.pk).heartbeat_at
        time.sleep(0.3)
        seen.extend([first, Job.objects.get(pk=job.pk).heartbeat_at])
        return jobs.JobResult(b"x", "x.csv", "text/csv", "done")

    monkeypatch.setitem(
        jobs.KINDS, "slow", jobs.JobKind("慢任务", "tests.slow", "srdi.services.scoping.can_export")
    )
    monkeypatch.setattr(
        jobs, "import_string", lambda path: slow if path == "tests.slow" else import_string(path)
    )
    Job.objects.create(kind="slow", owner=seed.users["city_staff"], created_at=timezone.now())
    assert jobs.run_pending("test") == 1
    assert seen[0] is not None and seen[1] is not None and seen[1] > seen[0]
