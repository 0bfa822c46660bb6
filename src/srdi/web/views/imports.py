"""The import page: upload a file, see what was written or why not, download the template.

Only roles allowed by ``scoping.can_import`` reach it; the refusal of others is audited. The upload size is
checked before reading (``SRDI_IMPORT_MAX_BYTES``), then ``import_file`` validates every row and writes all
or nothing (or the valid records, when the user ticks 允许部分导入).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from srdi.db.models import ImportBatch, User
from srdi.services import scoping
from srdi.services.exports import ExportError, import_template
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


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload form, result of the last upload, and recent batches."""
    user: User = request.user  # type: ignore[assignment]
    require(scoping.can_import(user), request, what="import")
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "max_bytes": ImportForm.max_bytes()}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = import_file(
            upload.read(),
            upload.name or "upload",
            actor=user,
            partial=form.cleaned_data["partial"],
            max_bytes=int(settings.SRDI_IMPORT_MAX_BYTES),
        )
        context.update(result_context(result))
        form = ImportForm()
        context["form"] = form
    context["batches"] = list(visible_batches(user)[:BATCHES_SHOWN])
    return render(request, "web/imports/import.html", context)


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
