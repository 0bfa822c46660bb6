"""Background jobs: long exports (and other long work) queued by a person, run by a runner, downloaded by their
owner.

Use ``submit(owner, kind, parameters)`` from a view that would otherwise make a person wait a minute; show the
job's page (progress, then the download); ``run_pending()`` runs queued jobs (the runner thread of the serving
process, started by ``ensure_runner()`` on submit, and ``srdi jobs run``); ``open_result(user, job)`` checks who
may download and audits it.

- A job is claimed by one conditional ``UPDATE … SET status='running' WHERE id = … AND status='queued'``: of
  several runner threads or processes (on SQLite or PostgreSQL) exactly one gets it.
- The work of a kind is a function ``handler(job, progress) -> JobResult`` named by a dotted path in ``KINDS``
  (export handlers live in ``srdi.web.job_handlers``: they read filters the way the pages do); it reports
  ``progress(done, total)``, written to the job at most every ``PROGRESS_EVERY`` seconds. ``JobFailed`` carries
  a message for people (Chinese); any other exception fails the job with a generic Chinese message (the
  details go to the log, not to the page).
- The result file is ``SRDI_VAR_DIR/jobs/<id>/<file name>``, written to a temporary name and renamed; it is kept
  ``KEEP`` (24 hours) and removed by the runner after that (the job stays, marked expired on its page).
- A running job's process moves its ``heartbeat_at`` every ``HEARTBEAT`` seconds. A job still marked running
  whose heartbeat is older than ``STALE`` — its process was killed, or the machine restarted — is failed by the
  next runner (``fail_abandoned``) with a message saying to submit it again, and audited like any failure.
- Audit: the request (``export`` … 提交), the export itself (the handler's own export event, as before), each
  download, and a failure.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils.module_loading import import_string

from srdi.db.models import AuditAction, Job, JobStatus, User
from srdi.services import audit

log = logging.getLogger(__name__)

KEEP = timedelta(hours=24)
PROGRESS_EVERY = 0.5  # seconds between progress writes
IDLE_EXIT = 30.0  # the serving process's runner thread stops after this long without work
POLL = 1.0
HEARTBEAT = 15.0  # seconds between a running job's heartbeats
STALE = timedelta(seconds=4 * HEARTBEAT)  # a running job silent this long has lost its process
ABANDONED = "执行该任务的进程已中止（服务重启或进程退出），任务未完成；请重新提交。"


class JobFailed(Exception):
    """A job could not be done; the message is shown to people."""


class JobRefused(Exception):
    """The user may not see or download this job; the message is shown to people."""


@dataclass(frozen=True)
class JobResult:
    content: bytes
    filename: str
    content_type: str
    summary: str  # e.g. "导出 1,234 家企业（xlsx）"


Progress = Callable[[int, int], None]


class Handler(Protocol):
    def __call__(self, job: Job, progress: Progress) -> JobResult: ...


@dataclass(frozen=True)
class JobKind:
    label: str
    handler: str  # dotted path of a ``Handler``
    permission: str  # dotted path of ``(user) -> Verdict``: may the owner still have the result?


KINDS: dict[str, JobKind] = {
    "enterprise_export": JobKind(
        "企业名单导出", "srdi.web.job_handlers.enterprise_export", "srdi.services.scoping.can_export"
    ),
    "screening_export": JobKind(
        "筛查结果导出", "srdi.web.job_handlers.screening_export", "srdi.services.scoping.can_export"
    ),
    "audit_export": JobKind(
        "审计日志导出", "srdi.web.job_handlers.audit_export", "srdi.services.scoping.can_view_audit_log"
    ),
}


def kind_label(kind: str) -> str:
    found = KINDS.get(kind)
    return found.label if found else "其他任务"


def _now() -> datetime:
    return datetime.now(UTC)


def jobs_dir() -> Path:
    return Path(settings.VAR_DIR) / "jobs"


def result_path(job: Job) -> Path | None:
    return jobs_dir() / str(job.pk) / job.result_name if job.result_name else None


def submit(owner: User, kind: str, parameters: dict[str, Any], *, ip: str = "") -> Job:
    """Queue a job for ``owner`` (audited) and make sure a runner will take it."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, parameters={**parameters, "ip": ip}, owner=owner, created_at=_now())
    audit.record(
        AuditAction.EXPORT,
        owner,
        object_type="job",
        object_id=str(job.pk),
        object_repr=f"提交后台任务：{kind_label(kind)}",
        new={"kind": kind, "parameters": parameters},
        ip_address=ip,
    )
    if connection.in_atomic_block:
        from django.db import transaction

        transaction.on_commit(ensure_runner)
    else:
        ensure_runner()
    return job


def claim(worker: str) -> Job | None:
    """The oldest queued job, now running for ``worker``; None when there is none left to take."""
    while True:
        candidates = list(
            Job.objects.filter(status=JobStatus.QUEUED)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:10]
        )
        if not candidates:
            return None
        for pk in candidates:
            now = _now()
            taken = Job.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
                status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker=worker[:80]
            )
            if taken:
                return Job.objects.get(pk=pk)


def _reporter(job: Job) -> Progress:
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY and done < total:
            return
        last[0] = now
        Job.objects.filter(pk=job.pk).update(progress_done=done, progress_total=total)

    return progress


def _write(job: Job, result: JobResult) -> str:
    folder = jobs_dir() / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(result.filename).name or f"job-{job.pk}"
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(result.content)
    tmp.rename(folder / name)
    return name


class _Heartbeat:
    """Moves a running job's ``heartbeat_at`` every ``HEARTBEAT`` seconds from a thread of its own, so that a
    handler busy in one long query still shows its process alive."""

    def __init__(self, job: Job):
        self.job_pk = job.pk
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"srdi-job-{job.pk}-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT):
                Job.objects.filter(pk=self.job_pk, status=JobStatus.RUNNING).update(heartbeat_at=_now())
        finally:
            connection.close()


def run(job: Job) -> Job:
    """Do one claimed job: done with its file, or failed with a message for people."""
    try:
        handler: Handler = import_string(KINDS[job.kind].handler)
        with _Heartbeat(job):
            result = handler(job, _reporter(job))
        name = _write(job, result)
    except JobFailed as exc:
        _fail(job, str(exc))
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        _fail(job, "任务执行出错，请稍后重试；如仍失败请联系管理员。")
    else:
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            result_name=name,
            message=result.summary[:500],
            finished_at=_now(),
            expires_at=_now() + KEEP,
        )
        total = Job.objects.values_list("progress_total", flat=True).get(pk=job.pk)
        Job.objects.filter(pk=job.pk).update(progress_done=total)
    job.refresh_from_db()
    return job


def _fail(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, message=message[:500], finished_at=_now())
    _audit_failure(job, message)


def _audit_failure(job: Job, message: str) -> None:
    audit.record(
        AuditAction.EXPORT,
        job.owner,
        object_type="job",
        object_id=str(job.pk),
        object_repr=f"后台任务失败：{kind_label(job.kind)}",
        new={"kind": job.kind, "message": message[:500]},
        success=False,
        ip_address=str(job.parameters.get("ip") or ""),
    )


def purge_expired() -> int:
    """Remove the result files of jobs kept past ``expires_at``; how many were removed."""
    removed = 0
    for job in Job.objects.filter(status=JobStatus.DONE, expires_at__lt=_now()).exclude(result_name=""):
        shutil.rmtree(jobs_dir() / str(job.pk), ignore_errors=True)
        Job.objects.filter(pk=job.pk).update(result_name="")
        removed += 1
    return removed


def fail_abandoned() -> int:
    """Fail the running jobs whose heartbeat stopped more than ``STALE`` ago (their process is gone); how many.
    Each is failed by one conditional UPDATE, so of several runners exactly one fails and audits it."""
    failed = 0
    cutoff = _now() - STALE
    # A job started before heartbeats existed (migration 0031) is judged by when it started.
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    for job in Job.objects.filter(silent, status=JobStatus.RUNNING).select_related("owner"):
        taken = Job.objects.filter(silent, pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, message=ABANDONED, finished_at=_now()
        )
        if taken:
            log.warning("job %s (%s) of worker %s abandoned: failed", job.pk, job.kind, job.worker)
            _audit_failure(job, ABANDONED)
            failed += 1
    return failed


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_pending(worker: str | None = None) -> int:
    """Run queued jobs until none is left; how many were run."""
    worker = worker or worker_name()
    count = 0
    purge_expired()
    fail_abandoned()
    while (job := claim(worker)) is not None:
        run(job)
        count += 1
    return count


_runner_lock = threading.Lock()
_runner: list[threading.Thread] = []


def _runner_loop() -> None:
    idle_since = time.monotonic()
    try:
        while time.monotonic() - idle_since < IDLE_EXIT:
            close_old_connections()
            if run_pending():
                idle_since = time.monotonic()
            else:
                time.sleep(POLL)
    finally:
        connection.close()


def _spawn(target: Callable[[], None]) -> None:
    thread = threading.Thread(target=target, name="srdi-jobs", daemon=True)
    _runner.append(thread)
    thread.start()


def ensure_runner() -> None:
    """Start this process's runner thread unless one is alive (it stops after ``IDLE_EXIT`` idle seconds)."""
    with _runner_lock:
        _runner[:] = [t for t in _runner if t.is_alive()]
        if not _runner:
            _spawn(_runner_loop)


def visible_job(user: User, pk: int) -> Job:
    """The user's own job ``pk``; ``JobRefused`` for anyone else's (audited) or none."""
    job = Job.objects.filter(pk=pk).first()
    if job is None or job.owner_id != user.pk:
        if job is not None:
            audit.record(
                AuditAction.ACCESS_DENIED,
                user,
                object_type="job",
                object_id=str(pk),
                object_repr="查看他人的后台任务被拒绝",
                success=False,
            )
        raise JobRefused("未找到该后台任务")
    return job


def open_result(user: User, pk: int, *, ip: str = "") -> tuple[Job, Path]:
    """The result file of the user's own finished job, audited; ``JobRefused`` (with why, in Chinese) otherwise.
    The kind's permission is checked again: a user who lost it may no longer download."""
    job = visible_job(user, pk)
    verdict = import_string(KINDS[job.kind].permission)(user) if job.kind in KINDS else None
    if not verdict:
        raise JobRefused(getattr(verdict, "reason", "") or "无权下载该文件")
    if job.status != JobStatus.DONE:
        raise JobRefused("任务尚未完成" if job.status != JobStatus.FAILED else "任务失败，没有可下载的文件")
    path = result_path(job)
    if path is None or not path.is_file() or (job.expires_at and job.expires_at < _now()):
        raise JobRefused("文件已过期，请重新导出")
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="job",
        object_id=str(job.pk),
        object_repr=f"下载后台任务结果：{kind_label(job.kind)}",
        new={"file": job.result_name},
        ip_address=ip,
    )
    return job, path
