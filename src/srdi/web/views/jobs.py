"""Background export jobs on the web: queue a large export, show its progress, download the file.

``export_or_queue`` is what an export view calls: an export of at most ``sync_limit()`` rows (setting
``SRDI_EXPORT_SYNC_MAX``, 2,000 by default: a few seconds at most) is made in the request as before; a larger one
becomes a job (``services.jobs``) and the person is taken to its page, which polls the progress with htmx every
second and shows the download link when it is done (or the failure, in Chinese). Only the job's owner sees the
page and downloads the file, and only while still holding the export's permission; each download is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from srdi.db.models import Job, JobStatus, User
from srdi.services import jobs
from srdi.services.exports import CONTENT_TYPES
from srdi.web.http import client_ip, no_store

NOT_FILTERS = frozenset({"csrfmiddlewaretoken", "fmt"})


def sync_limit() -> int:
    return int(getattr(settings, "SRDI_EXPORT_SYNC_MAX", 2000))


def export_or_queue(
    request: HttpRequest,
    kind: str,
    rows: int,
    make_now: Callable[[], HttpResponse],
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """``make_now()`` for a small export; otherwise queue a ``kind`` job with the form's filters and go to it."""
    if rows <= sync_limit():
        return make_now()
    user: User = request.user  # type: ignore[assignment]
    filters = {k: v for k, v in request.POST.items() if k not in NOT_FILTERS and v}
    parameters = {
        "fmt": request.POST.get("fmt") or "xlsx",
        "filters": {**filters, **(extra or {})},
        "rows": rows,
    }
    job = jobs.submit(user, kind, parameters, ip=client_ip(request))
    return redirect("web:job", pk=job.pk)


def _job(request: HttpRequest, pk: int) -> Job:
    user: User = request.user  # type: ignore[assignment]
    try:
        return jobs.visible_job(user, pk)
    except jobs.JobRefused as exc:
        raise Http404(str(exc)) from exc


def _context(job: Job) -> dict[str, Any]:
    total = job.progress_total or int(job.parameters.get("rows") or 0)
    done = min(job.progress_done, total) if total else job.progress_done
    percent = 100 if job.status == JobStatus.DONE else (int(done * 100 / total) if total else 0)
    return {
        "job": job,
        "kind_label": jobs.kind_label(job.kind),
        "done": done,
        "total": total,
        "percent": percent,
        "active": job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
        "downloadable": job.status == JobStatus.DONE and bool(job.result_name),
    }


@login_required
@require_GET
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One job of the signed-in user: what, progress, the download."""
    job = _job(request, pk)
    if job.status == JobStatus.QUEUED:
        jobs.ensure_runner()  # a queued job left by a stopped process is taken up here
    return no_store(render(request, "web/jobs/page.html", _context(job)))


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the job page polls."""
    return no_store(render(request, "web/jobs/_progress.html", _context(_job(request, pk))))


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's recent jobs."""
    user: User = request.user  # type: ignore[assignment]
    rows = [_context(j) for j in Job.objects.filter(owner=user).select_related("owner")[:50]]
    return no_store(render(request, "web/jobs/list.html", {"rows": rows}))


@login_required
@require_GET
def job_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The result file of the user's own finished job (audited)."""
    user: User = request.user  # type: ignore[assignment]
    try:
        job, path = jobs.open_result(user, pk, ip=client_ip(request))
    except jobs.JobRefused as exc:
        return no_store(render(request, "web/jobs/refused.html", {"reason": str(exc)}, status=404))
    suffix = path.suffix.lstrip(".")
    response = FileResponse(
        path.open("rb"), content_type=CONTENT_TYPES.get(suffix, "application/octet-stream")
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=job.result_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Pragma"] = "no-cache"
    return response
