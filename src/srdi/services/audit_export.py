"""Exporting the audit log for people: the events the audit page's filters select, as XLSX in Chinese.

Use ``export_events(user, filters)`` from the audit page's export button (the same ``AuditFilters`` as the page).
Only readers of the log (``scoping.can_view_audit_log``) may export it; the export is itself audited. Columns
are Chinese, the time is Beijing time (a date-time cell, header ``时间（北京时间）``), actions and object types are
their labels (``AuditAction`` labels, ``srdi.domain.object_types``), the object id, IP and texts are text cells
(formula-escaped). At most ``MAX_ROWS`` events, newest first; the export's own audit event records how many
were selected and how many written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from srdi.db.models import AuditAction, AuditEvent, User
from srdi.domain.beijing_time import labelled
from srdi.domain.object_types import object_type_label
from srdi.interchange.writers import write_xlsx
from srdi.services import audit, scoping
from srdi.services.audit_search import AuditFilters, search_events
from srdi.services.exports import CONTENT_TYPES, ExportError, ExportFile, counted, download_name

MAX_ROWS = 100_000
TIME = labelled("时间")
COLUMNS = ["编号", TIME, "操作人", "操作", "对象类型", "对象编号", "对象", "结果", "IP地址"]
TEXT_COLUMNS = ("操作人", "对象编号", "对象", "IP地址")
SYSTEM = "系统"


def _rows(events: Iterator[AuditEvent]) -> Iterator[dict[str, Any]]:
    for e in events:
        yield {
            "编号": e.pk,
            TIME: e.occurred_at,
            "操作人": e.actor_label or SYSTEM,
            "操作": AuditAction(e.action).label if e.action in AuditAction.values else e.action,
            "对象类型": object_type_label(e.object_type),
            "对象编号": e.object_id,
            "对象": e.object_repr,
            "结果": "成功" if e.success else "失败/被拒绝",
            "IP地址": e.ip_address or "",
        }


def export_events(
    user: User,
    filters: AuditFilters,
    *,
    ip: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ExportFile:
    """The selected events (newest first, at most ``MAX_ROWS``) as XLSX; audited as an export of the log."""
    verdict = scoping.can_view_audit_log(user)
    if not verdict:
        raise ExportError(verdict.reason)
    selected = search_events(filters)
    total = selected.count()
    events = selected.only(
        "id",
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "success",
        "ip_address",
    )[:MAX_ROWS]
    count = min(total, MAX_ROWS)
    content = write_xlsx(
        _rows(counted(events.iterator(chunk_size=2000), count, progress)),
        COLUMNS,
        sheet_title="审计日志",
        text=TEXT_COLUMNS,
    )
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="audit_log",
        object_repr=f"导出审计日志 {count} 条" + (f"（共 {total} 条，超出上限）" if total > count else ""),
        new={"count": count, "total": total, **_filters(filters)},
        ip_address=ip,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return ExportFile(content, download_name(f"srdi-audit-log-{stamp}", "xlsx"), CONTENT_TYPES["xlsx"], count)


def _filters(filters: AuditFilters) -> dict[str, str]:
    values = {
        "text": filters.text,
        "action": filters.action,
        "object_type": filters.object_type,
        "success": "" if filters.success is None else str(filters.success),
        "since": filters.since.isoformat() if filters.since else "",
        "until": filters.until.isoformat() if filters.until else "",
    }
    return {k: v for k, v in values.items() if v}
