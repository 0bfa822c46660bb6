"""The vocabulary of the home page (首页): the kinds of work a home lists and the figures it shows.

Use ``QueueKind`` for "what needs my action now" and ``FigureKind`` for the two or three figures of a role;
each has its Chinese label here (never in a template). Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class QueueKind(StrEnum):
    """One kind of work waiting for the user (a row of the home's action list)."""

    CASE_INTAKE = "case_intake"
    CASE_DISTRICT_REVIEW = "case_district_review"
    CASE_CITY_REVIEW = "case_city_review"
    CASE_DUE_APPROVAL = "case_due_approval"
    CASE_READY_TO_PAY = "case_ready_to_pay"
    PAYMENT_RUN_OPEN = "payment_run_open"
    OFFER_TO_CONFIRM = "offer_to_confirm"
    CASE_RETURNED = "case_returned"
    OBJECTION_OPEN = "objection_open"
    PUBLICITY_ENDING = "publicity_ending"
    VOUCHER_UNUSED = "voucher_unused"
    UNIT_REPORT_DUE = "unit_report_due"
    UNIT_REPORT_RETURNED = "unit_report_returned"
    UNIT_REPORT_TO_REVIEW = "unit_report_to_review"
    PARAMETER_PENDING = "parameter_pending"
    SEEDLING_PENDING = "seedling_pending"
    SEEDLING_REMOVAL_PENDING = "seedling_removal_pending"
    SHOWCASE_PENDING = "showcase_pending"
    TITLE_EXPIRING = "title_expiring"
    GRANT_PENDING = "grant_pending"
    INBOX_UNREAD = "inbox_unread"

    @property
    def label(self) -> str:
        return QUEUE_LABELS[self]


QUEUE_LABELS: dict[QueueKind, str] = {
    QueueKind.CASE_INTAKE: "待受理的申报",
    QueueKind.CASE_DISTRICT_REVIEW: "待区县审核的事项",
    QueueKind.CASE_CITY_REVIEW: "待市级审核的事项",
    QueueKind.CASE_DUE_APPROVAL: "公示期满待批准的事项",
    QueueKind.CASE_READY_TO_PAY: "已批准待编入拨付批次的事项",
    QueueKind.PAYMENT_RUN_OPEN: "待执行的拨付批次",
    QueueKind.OFFER_TO_CONFIRM: "待确认的免申即享事项",
    QueueKind.CASE_RETURNED: "被退回待补正的申报",
    QueueKind.OBJECTION_OPEN: "待处理的公示异议",
    QueueKind.PUBLICITY_ENDING: "3日内公示期满的事项",
    QueueKind.VOUCHER_UNUSED: "未使用的服务券",
    QueueKind.UNIT_REPORT_DUE: "待报送的季度报告",
    QueueKind.UNIT_REPORT_RETURNED: "被退回的季度报告",
    QueueKind.UNIT_REPORT_TO_REVIEW: "待审核的季度报告",
    QueueKind.PARAMETER_PENDING: "待审批的参数变更",
    QueueKind.SEEDLING_PENDING: "待市级确认的苗子库入库提议",
    QueueKind.SEEDLING_REMOVAL_PENDING: "待市级确认的苗子库移出提议",
    QueueKind.SHOWCASE_PENDING: "待审核的典型案例",
    QueueKind.TITLE_EXPIRING: "90日内到期的梯度认定",
    QueueKind.GRANT_PENDING: "待第二人审批的角色授予",
    QueueKind.INBOX_UNREAD: "未读消息",
}


class ChangeKind(StrEnum):
    """One kind of change since the user's previous visit."""

    NEW_MESSAGES = "new_messages"
    NEW_IN_QUEUES = "new_in_queues"
    CASE_STATUS_CHANGES = "case_status_changes"

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self]


CHANGE_LABELS: dict[ChangeKind, str] = {
    ChangeKind.NEW_MESSAGES: "新消息",
    ChangeKind.NEW_IN_QUEUES: "新进入我的待办的事项",
    ChangeKind.CASE_STATUS_CHANGES: "我的事项状态变化",
}

# A visit ends after this many minutes without opening the home: the next home is a new visit.
VISIT_GAP_MINUTES = 30
# Titles expiring within this many days are listed.
EXPIRY_WINDOW_DAYS = 90
# Publicity ending within this many days is listed.
PUBLICITY_WINDOW_DAYS = 3


@dataclass(frozen=True)
class Visits:
    """When the current visit began, when the home was last opened, and when the previous visit began."""

    current_at: datetime
    seen_at: datetime
    previous_at: datetime | None


def next_visits(visits: Visits | None, now: datetime) -> Visits:
    """The visits after opening the home at ``now``: a new visit begins when the home was last opened more than
    ``VISIT_GAP_MINUTES`` ago (the current one becomes the previous); otherwise the visit goes on."""
    if visits is None:
        return Visits(now, now, None)
    if now - visits.seen_at > timedelta(minutes=VISIT_GAP_MINUTES):
        return Visits(now, now, visits.current_at)
    return Visits(visits.current_at, max(now, visits.seen_at), visits.previous_at)
