"""Menu entries for the responsible units' reports: (url name, label, active-on names) for ``web.context``."""

from __future__ import annotations

from srdi.db.models import User
from srdi.services import unit_reports


def entries(user: User) -> list[tuple[str, str, tuple[str, ...]]]:
    """A unit: its reports and events; city staff: the overview and the events register."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    if unit_reports.may_file(user):
        out.append(
            ("web:unit_home", "季度报告", ("web:unit_home", "web:unit_report_edit", "web:unit_report_detail"))
        )
    if unit_reports.may_review(user):
        out.append(("web:unit_overview", "责任单位报告", ("web:unit_overview", "web:unit_report_detail")))
    if unit_reports.may_file(user) or unit_reports.may_review(user):
        out.append(("web:unit_events", "活动登记", ("web:unit_events",)))
    return out
