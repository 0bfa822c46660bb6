"""The download of an import's error workbook (every error beside its row), for the user who uploaded the file.

The import page keeps a file with errors (``import_errors.keep_for_errors``) and links here with its token;
another user's token, an expired one or a forged one is a 404 (a district never downloads another's file).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from srdi.db.models import User
from srdi.services import scoping
from srdi.services.import_errors import CONTENT_TYPE, error_workbook, kept_for_errors
from srdi.web.access import require
from srdi.web.views.exports import file_response


@login_required
@require_GET
def import_errors_file(request: HttpRequest, token: str) -> HttpResponse:
    """The error workbook of a file this user uploaded (within a day of the upload)."""
    user: User = request.user  # type: ignore[assignment]
    require(scoping.can_import(user), request, what="import_errors_file")
    kept = kept_for_errors(token, user)
    if kept is None:
        raise Http404("错误说明文件已失效（超过24小时）或不是您上传的文件，请重新上传")
    meta, data = kept
    workbook = error_workbook(data, meta.filename, actor=user, max_bytes=int(settings.SRDI_IMPORT_MAX_BYTES))
    return file_response(workbook.content, workbook.filename, CONTENT_TYPE)
