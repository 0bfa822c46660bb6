"""The import page: upload a file, see a preview of what it would change, confirm to write, get the template.

Only roles allowed by ``scoping.can_import`` reach it; the refusal of others is audited. The upload size is
checked before reading (``SRDI_IMPORT_MAX_BYTES``); ``preview_file`` validates every row and compares with the
database without writing; the file is kept (``keep_upload``) until the user confirms, and ``import_file`` then
writes all or nothing (or the valid records, when the user ticked 允许部分导入). Flagged amounts (likely unit
mistakes) are written only when the user ticks that they checked them. Long work reports progress to
``import_progress``, which the page polls.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from srdi.db.models import ImportBatch, User
from srdi.services import scoping
from srdi.services.exports import ExportError, import_template
from srdi.services.import_errors import keep_for_errors
from srdi.services.import_preview import keep_upload, preview_file, take_upload
from srdi.services.import_progress import ImportProgress, read_progress
from srdi.services.imports import ImportResult, import_file
from srdi.web.access import require
from srdi.web.batches import visible_batches
from srdi.web.forms import ImportForm
from srdi.web.views.exports import file_response

ERRORS_SHOWN = 200
BATCHES_SHOWN = 20


def result_context(result: ImportResult) -> dict[str, Any]:
    """What the result panel shows: status, counts, message and the first errors."""
    status = ImportBatch.Status(result.status) if result.status in ImportBatch.Status.values else None
    return {
        "result": result,
        "status_label": status.label if status else result.status,
        "status_code": result.status,
        "errors": result.errors[:ERRORS_SHOWN],
        "error_count": len(result.errors),
        "errors_capped": len(result.errors) > ERRORS_SHOWN,
        "errors_shown": ERRORS_SHOWN,
    }


def _page(request: HttpRequest, user: User, context: dict[str, Any]) -> HttpResponse:
    context.setdefault("form", ImportForm())
    context["max_bytes"] = ImportForm.max_bytes()
    context["batches"] = list(visible_batches(user)[:BATCHES_SHOWN])
    return render(request, "web/imports/import.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload form; an upload is previewed (nothing written) and kept until the user confirms it."""
    user: User = request.user  # type: ignore[assignment]
    require(scoping.can_import(user), request, what="import")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, user, {"form": form})
    upload = form.cleaned_data["file"]
    data = upload.read()
    partial = form.cleaned_data["partial"]
    tracker = ImportProgress(form.cleaned_data.get("progress_token") or "", user)
    preview = preview_file(
        data,
        upload.name or "upload",
        actor=user,
        partial=partial,
        max_bytes=int(settings.SRDI_IMPORT_MAX_BYTES),
        sink=tracker,
    )
    tracker.finish()
    context: dict[str, Any] = {"preview": preview, "preview_errors": preview.errors[:ERRORS_SHOWN]}
    if preview.errors and not preview.refused:
        context["errors_file"] = keep_for_errors(data, upload.name or "upload", user)
    if preview.writable:
        context["pending"] = keep_upload(data, upload.name or "upload", user, partial=partial)
    return _page(request, user, context)


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Write a previewed file: the same bytes, re-validated; flags must be ticked as checked."""
    user: User = request.user  # type: ignore[assignment]
    require(scoping.can_import(user), request, what="import")
    taken = take_upload(request.POST.get("token", ""), user)
    if taken is None:
        context: dict[str, Any] = {
            "confirm_error": "预览已失效（超过24小时、已导入或不是您上传的文件），请重新上传。"
        }
        return _page(request, user, context)
    pending, data = taken
    tracker = ImportProgress(request.POST.get("progress_token", ""), user)
    result = import_file(
        data,
        pending.filename,
        actor=user,
        partial=pending.partial,
        confirm=request.POST.get("confirm_flags") == "on",
        max_bytes=int(settings.SRDI_IMPORT_MAX_BYTES),
        sink=tracker,
    )
    tracker.finish()
    context = result_context(result)
    if result.errors and result.refusal is None:
        context["errors_file"] = keep_for_errors(data, pending.filename, user)
    return _page(request, user, context)


@login_required
@require_GET
def import_progress(request: HttpRequest, token: str) -> JsonResponse:
    """The stage, rows read and percent of the user's running preview or import (polled by the page)."""
    state = read_progress(token, request.user)  # type: ignore[arg-type]
    if state is None:
        return JsonResponse({"known": False})
    return JsonResponse(
        {
            "known": True,
            "stage": state.stage,
            "rows": state.rows,
            "percent": state.percent,
            "done": state.done,
        }
    )


@login_required
@require_GET
def import_template_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """The blank import template (CSV or XLSX with a help sheet)."""
    require(scoping.can_import(request.user), request, what="import_template")  # type: ignore[arg-type]
    try:
        template = import_template(fmt)
    except ExportError:
        raise Http404("模板格式可选 csv 或 xlsx") from None
    return file_response(template.content, template.filename, template.content_type)
