"""Running the whole-city screening in the background, one at a time, and reporting its progress.

Use ``start(actor)`` from a page: it refuses a second screening while one is running (``AlreadyRunning``), then
runs ``screening.run_screen`` in a daemon thread. ``status()`` returns the job's progress for polling.

Both work across worker processes (gunicorn): "a job is running" is an exclusive ``flock`` on
``VAR_DIR/screening.lock`` held by the running thread (the OS drops it if the process dies), and progress is a
small JSON file ``VAR_DIR/screening-job.json`` the runner rewrites as it goes. A job whose file says
"running" while nobody holds the lock was interrupted (the process ended); ``status()`` reports it so.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection

from srdi.db.models import AuditAction, Enterprise, User
from srdi.services import audit
from srdi.services.screening import ScreeningRequest, screening_request

logger = logging.getLogger("srdi.screening")

IDLE, RUNNING, DONE, FAILED, INTERRUPTED = "idle", "running", "done", "failed", "interrupted"
WRITE_EVERY_SECONDS = 0.5
# run_screen reports ("分区", partitions done, partitions) and ("企业", enterprises done, enterprises); the bar
# goes from 2 % to 99 % with the enterprises screened and saved.
PERCENT_FROM, PERCENT_TO = 2, 99


class AlreadyRunning(Exception):
    """A screening is already in progress."""


@dataclass
class JobStatus:
    """What the screening page shows about the current (or last) background screening."""

    state: str = IDLE
    job_id: str = ""
    actor: str = ""
    as_of: str = ""
    started_at: str = ""
    finished_at: str = ""
    stage: str = ""
    percent: int = 0
    detail: str = ""
    run_id: int | None = None
    error: str = ""
    enterprises: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def started(self) -> datetime | None:
        return datetime.fromisoformat(self.started_at) if self.started_at else None

    @property
    def finished(self) -> datetime | None:
        return datetime.fromisoformat(self.finished_at) if self.finished_at else None


def _var_dir() -> Path:
    path = Path(settings.VAR_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _status_path() -> Path:
    return _var_dir() / "screening-job.json"


def _lock_path() -> Path:
    return _var_dir() / "screening.lock"


def _try_lock(kind: int = fcntl.LOCK_EX) -> IO[bytes] | None:
    """The lock file held with ``kind`` (non-blocking), or ``None`` when another holder conflicts."""
    handle = open(_lock_path(), "a+b")  # noqa: SIM115 - held by the runner thread until the job ends
    try:
        fcntl.flock(handle, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _release(handle: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


def is_running() -> bool:
    """Whether some process holds the screening lock right now."""
    probe = _try_lock(fcntl.LOCK_SH)
    if probe is None:
        return True
    _release(probe)
    return False


def _read() -> JobStatus:
    try:
        data = json.loads(_status_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return JobStatus()
    known = {k: v for k, v in data.items() if k in JobStatus.__dataclass_fields__}
    return JobStatus(**known)


def _write(status: JobStatus) -> None:
    path = _status_path()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(json.dumps(asdict(status), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def status() -> JobStatus:
    """The current job's progress, or the last job's outcome (``state`` idle when none ever ran)."""
    current = _read()
    if current.state == RUNNING and not is_running():
        # Re-read: the runner may have finished between the two reads.
        current = _read()
        if current.state == RUNNING:
            current.state = INTERRUPTED
            current.error = "筛查进程意外中断（服务重启或异常退出），请重新发起。"
    return current


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _Reporter:
    """Turns run_screen's ``progress(stage, n, total)`` calls into a percentage in the status file."""

    def __init__(self, job: JobStatus, enterprises: int):
        self.job = job
        self.enterprises = max(enterprises, 1)
        self.partitions: tuple[int, int] = (0, 0)
        self.done = 0
        self.last_write = 0.0

    def __call__(self, stage: str, n: int, total: int | None) -> None:
        try:
            self._update(stage, n, total)
        except Exception:  # progress must never break the screening itself
            logger.exception("screening progress update failed")

    def _update(self, stage: str, n: int, total: int | None) -> None:
        from srdi.services.screening import PARTITIONS_STAGE

        if stage == PARTITIONS_STAGE:
            changed = n > 0 and (n, total or 0) != self.partitions
            self.partitions = (n, total or 0)
        else:
            changed = False
            self.done = n
            share = min(n / max(total or self.enterprises, 1), 1.0)
            self.job.percent = max(self.job.percent, int(PERCENT_FROM + (PERCENT_TO - PERCENT_FROM) * share))
        done, parts = self.partitions
        self.job.stage = "筛查"
        self.job.detail = f"已完成 {self.done:,} / {self.enterprises:,} 家企业" + (
            f"（分区 {done} / {parts}）" if parts > 1 else ""
        )
        now = time.monotonic()
        if changed or now - self.last_write >= WRITE_EVERY_SECONDS:
            self.last_write = now
            _write(self.job)


def _spawn(target: Callable[[], None]) -> None:
    """Run ``target`` in a daemon thread with its own database connection (tests replace this)."""

    def main() -> None:
        try:
            target()
        finally:
            connection.close()

    threading.Thread(target=main, name="srdi-screening", daemon=True).start()


def _run(job: JobStatus, lock: IO[bytes], actor_id: int | None, request: ScreeningRequest) -> None:
    from srdi.services.screening import run_screen

    try:
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        job.enterprises = Enterprise.objects.count()
        _write(job)
        run = run_screen(actor=actor, request=request, progress=_Reporter(job, job.enterprises))
        job.state, job.percent, job.run_id = DONE, 100, run.pk
        job.stage, job.detail = "完成", f"已完成 {run.enterprises:,} 家企业的评价"
        job.as_of = run.as_of.isoformat()
    except Exception as exc:
        logger.exception("background screening failed")
        job.state = FAILED
        job.error = f"筛查失败：{exc}"[:500]
        with contextlib.suppress(Exception):
            audit.record(
                AuditAction.SCREEN,
                User.objects.filter(pk=actor_id).first() if actor_id else None,
                object_type="assessment_run",
                object_repr="后台全市筛查失败",
                success=False,
                extra={"job": job.job_id, "error": job.error},
            )
    finally:
        job.finished_at = _now()
        try:
            _write(job)
        finally:
            _release(lock)


def start(
    actor: User | None, *, as_of: date | None = None, request: ScreeningRequest | None = None
) -> JobStatus:
    """Start a whole-city screening in the background; ``AlreadyRunning`` if one is in progress.

    ``request`` says what to screen (date, purpose, review period); ``as_of`` alone is an application
    screening on that date, and neither is one on the default reference date."""
    request = request or screening_request(as_of)
    lock = None
    for _ in range(3):  # a concurrent status() probe holds a shared lock for a moment
        lock = _try_lock()
        if lock is not None:
            break
        time.sleep(0.05)
    if lock is None:
        raise AlreadyRunning("已有一次全市筛查正在进行，请等待其完成")
    try:
        job = JobStatus(
            state=RUNNING,
            job_id=uuid.uuid4().hex[:12],
            actor=actor.get_username() if actor is not None else "system",
            as_of=request.as_of.isoformat(),
            started_at=_now(),
            stage="准备",
            percent=1,
            detail="正在准备数据",
        )
        _write(job)
        actor_id = actor.pk if actor is not None else None
        job.extra = {"label": request.label}
        _write(job)
        _spawn(lambda: _run(job, lock, actor_id, request))
    except BaseException:
        _release(lock)
        raise
    return job
