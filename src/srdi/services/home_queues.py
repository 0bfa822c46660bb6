"""The home's action queues (首页 待办): each queue the user's permissions give, counted like the page it links to.

Use ``action_queues(user, today)`` (``services.home`` puts them on the home) and ``expiring_lines`` for the
district home's list of titles about to lapse. Every queue is chosen by the permissions table
(``user.can(Permission.X)``) and counted with the same scope (``services.scoping``) and the same condition as
the page its link opens, so the number on the home is the number of rows there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from srdi.db.models import (
    Case,
    Certification,
    Objection,
    ParameterChange,
    PaymentRun,
    RoleGrant,
    SeedlingMember,
    UnitReport,
    User,
    Voucher,
)
from srdi.domain.certifications import earliest_recognition_valid_on, last_valid_day
from srdi.domain.home import EXPIRY_WINDOW_DAYS, PUBLICITY_WINDOW_DAYS, QueueKind
from srdi.domain.permissions import Permission, Scope
from srdi.domain.reference import TIERS
from srdi.domain.showcase import Status as ShowcaseStatus
from srdi.domain.unit_kpis import last_ended_quarter, quarter_bounds
from srdi.services import scoping, seedlings
from srdi.services import unit_reports as ur
from srdi.services.inbox import messages_for

# The case states of each case queue, the same as the case list's tab of that key (``web.money_display``).
INTAKE_STATES = ("submitted",)
DISTRICT_STATES = ("district_review",)
CITY_STATES = ("city_review",)
PUBLICITY_STATES = ("publicity",)
OFFER_STATES = ("offered",)
RETURNED_STATES = ("returned",)
# What the payment-runs page lists as waiting for a run (``web.views.money.payments.READY``).
READY_TO_PAY_STATES = ("approved", "payment_failed")
OPEN_CASE_EXCLUDED = ("paid", "rejected", "cancelled", "declined", "withdrawn")


@dataclass(frozen=True)
class ActionQueue:
    """One kind of work waiting for the user: how many, the oldest's age in days, and the page listing them."""

    kind: QueueKind
    count: int
    oldest_days: int | None
    link: str

    @property
    def label(self) -> str:
        return self.kind.label


def _days(oldest: datetime | date | None, today: date) -> int | None:
    if oldest is None:
        return None
    day = timezone.localtime(oldest).date() if isinstance(oldest, datetime) else oldest
    return max((today - day).days, 0)


def _case_queue(kind: QueueKind, qs: QuerySet[Case], link: str, today: date) -> ActionQueue:
    row = qs.aggregate(n=Count("pk"), oldest=Min("updated_at"))
    return ActionQueue(kind, row["n"] or 0, _days(row["oldest"], today), link)


def _cases_link(queue: str, **extra: str) -> str:
    query = "&".join([f"queue={queue}", *(f"{k}={v}" for k, v in extra.items())])
    return f"{reverse('web:case_list')}?{query}"


def valid_on(day: date) -> Q:
    """Certifications valid on ``day`` (the rule of ``domain.certifications``, as in ``web.queries``)."""
    return (
        Q(recognized_on__isnull=False, recognized_on__lte=day)
        & (Q(revoked_on__isnull=True) | Q(revoked_on__gt=day))
        & (
            Q(expires_on__isnull=False, expires_on__gte=day)
            | Q(expires_on__isnull=True, recognized_on__gte=earliest_recognition_valid_on(day))
        )
    )


def expiring_titles(user: User, today: date) -> QuerySet[Certification]:
    """Tier titles of enterprises in the user's scope valid today and no longer valid in 90 days."""
    horizon = today + timedelta(days=EXPIRY_WINDOW_DAYS)
    return (
        Certification.objects.filter(enterprise__in=scoping.enterprises_for(user))
        .filter(valid_on(today))
        .exclude(valid_on(horizon))
    )


def case_queues(user: User, today: date) -> list[ActionQueue]:
    """The case steps waiting for the user, by the permission to take them."""
    cases = scoping.cases_for(user)
    out: list[ActionQueue] = []
    district = user.scope is Scope.DISTRICT
    if district and user.can(Permission.CASE_ACCEPT):
        out.append(
            _case_queue(
                QueueKind.CASE_INTAKE,
                cases.filter(state__in=INTAKE_STATES),
                _cases_link("intake"),
                today,
            )
        )
    if district and user.can(Permission.CASE_DISTRICT_REVIEW):
        out.append(
            _case_queue(
                QueueKind.CASE_DISTRICT_REVIEW,
                cases.filter(state__in=DISTRICT_STATES),
                _cases_link("district"),
                today,
            )
        )
    if user.scope is Scope.ALL and user.can(Permission.CASE_CITY_REVIEW):
        out.append(
            _case_queue(
                QueueKind.CASE_CITY_REVIEW, cases.filter(state__in=CITY_STATES), _cases_link("city"), today
            )
        )
    if user.can(Permission.CASE_APPROVE):
        due = cases.filter(state__in=PUBLICITY_STATES, publicity_ends_on__lt=today)
        out.append(_case_queue(QueueKind.CASE_DUE_APPROVAL, due, _cases_link("due"), today))
    if user.can(Permission.CASE_APPLY):
        out.append(
            _case_queue(
                QueueKind.OFFER_TO_CONFIRM, cases.filter(state__in=OFFER_STATES), _cases_link("offers"), today
            )
        )
        out.append(
            _case_queue(
                QueueKind.CASE_RETURNED,
                cases.filter(state__in=RETURNED_STATES),
                _cases_link("applications", state="returned"),
                today,
            )
        )
    if user.can(Permission.OBJECTION_RESOLVE):
        objections = Objection.objects.filter(case__in=cases, status=Objection.Status.OPEN)
        row = objections.aggregate(n=Count("pk"), oldest=Min("raised_at"))
        out.append(
            ActionQueue(
                QueueKind.OBJECTION_OPEN,
                row["n"] or 0,
                _days(row["oldest"], today),
                reverse("web:publicity_list"),
            )
        )
    if user.can(Permission.CASE_CITY_REVIEW) or user.can(Permission.CASE_DISTRICT_REVIEW):
        ending = cases.filter(
            state__in=PUBLICITY_STATES,
            publicity_ends_on__gte=today,
            publicity_ends_on__lte=today + timedelta(days=PUBLICITY_WINDOW_DAYS),
        )
        out.append(_case_queue(QueueKind.PUBLICITY_ENDING, ending, reverse("web:publicity_list"), today))
    return out


def payment_queues(user: User, today: date) -> list[ActionQueue]:
    """Payment work for those who run payments: cases waiting for a run, runs not yet executed."""
    if not user.can(Permission.PAYMENT_RUN):
        return []
    ready = Case.objects.filter(state__in=READY_TO_PAY_STATES, awaiting_account=False)
    runs = PaymentRun.objects.filter(executed_at__isnull=True)
    run_row = runs.aggregate(n=Count("pk"), oldest=Min("created_at"))
    link = reverse("web:payment_runs")
    return [
        _case_queue(QueueKind.CASE_READY_TO_PAY, ready, link, today),
        ActionQueue(QueueKind.PAYMENT_RUN_OPEN, run_row["n"] or 0, _days(run_row["oldest"], today), link),
    ]


def unit_queues(user: User, today: date) -> list[ActionQueue]:
    """Quarterly reports: due and returned for a 责任单位, submitted ones for the reviewers."""
    out: list[ActionQueue] = []
    year, quarter = last_ended_quarter(today)
    if ur.may_file(user):
        mine = ur.reports_for(user)
        filed = set(
            mine.filter(year=year, quarter=quarter, status__in=ur.COUNTED).values_list("pack", "article")
        )
        due = [m for m in ur.unit_measures(user, year, quarter) if (m.pack, m.article) not in filed]
        _, end = quarter_bounds(year, quarter)
        out.append(
            ActionQueue(
                QueueKind.UNIT_REPORT_DUE,
                len(due),
                _days(end, today) if due else None,
                f"{reverse('web:unit_home')}?q={year}-{quarter}",
            )
        )
        returned = mine.filter(status=UnitReport.Status.RETURNED)
        row = returned.aggregate(n=Count("pk"), oldest=Min("reviewed_at"))
        out.append(
            ActionQueue(
                QueueKind.UNIT_REPORT_RETURNED,
                row["n"] or 0,
                _days(row["oldest"], today),
                reverse("web:unit_home"),
            )
        )
    if ur.may_review(user):
        waiting = ur.reports_for(user).filter(status=UnitReport.Status.SUBMITTED)
        row = waiting.aggregate(n=Count("pk"), oldest=Min("submitted_at"))
        out.append(
            ActionQueue(
                QueueKind.UNIT_REPORT_TO_REVIEW,
                row["n"] or 0,
                _days(row["oldest"], today),
                reverse("web:unit_overview"),
            )
        )
    return out


def decision_queues(user: User, today: date) -> list[ActionQueue]:
    """Decisions of the city: parameter changes, seedling proposals, showcase entries, role grants."""
    out: list[ActionQueue] = []
    if user.can(Permission.PARAMETER_APPROVE) or user.can(Permission.PARAMETER_PROPOSE):
        row = ParameterChange.objects.filter(status=ParameterChange.Status.PROPOSED).aggregate(
            n=Count("pk"), oldest=Min("proposed_at")
        )
        out.append(
            ActionQueue(
                QueueKind.PARAMETER_PENDING,
                row["n"] or 0,
                _days(row["oldest"], today),
                f"{reverse('web:parameter_changes')}?status=proposed",
            )
        )
    if user.can(Permission.PROGRAMME_TARGETS_MANAGE):
        # the seedling list's 状态 filters "proposed" and "removal_pending" (``web.views.seedlings``)
        members = seedlings.members_for(user)
        proposed = members.filter(status=SeedlingMember.Status.PROPOSED).aggregate(
            n=Count("pk"), oldest=Min("proposed_at")
        )
        removal = members.filter(removal_proposed_on__isnull=False, removed_on__isnull=True).aggregate(
            n=Count("pk"), oldest=Min("removal_proposed_at")
        )
        base = reverse("web:seedling_list")
        out.append(
            ActionQueue(
                QueueKind.SEEDLING_PENDING,
                proposed["n"] or 0,
                _days(proposed["oldest"], today),
                f"{base}?status=proposed",
            )
        )
        out.append(
            ActionQueue(
                QueueKind.SEEDLING_REMOVAL_PENDING,
                removal["n"] or 0,
                _days(removal["oldest"], today),
                f"{base}?status=removal_pending",
            )
        )
    if user.can(Permission.SHOWCASE_MANAGE):
        from srdi.services import showcase

        row = (
            showcase.entries_for(user)
            .filter(status=ShowcaseStatus.PENDING.value)
            .aggregate(n=Count("pk"), oldest=Min("submitted_at"))
        )
        out.append(
            ActionQueue(
                QueueKind.SHOWCASE_PENDING,
                row["n"] or 0,
                _days(row["oldest"], today),
                f"{reverse('web:showcase_manage')}?status={ShowcaseStatus.PENDING.value}",
            )
        )
    if user.can(Permission.ROLE_GRANT):
        row = RoleGrant.objects.filter(status=RoleGrant.Status.PENDING).aggregate(n=Count("pk"))
        out.append(ActionQueue(QueueKind.GRANT_PENDING, row["n"] or 0, None, reverse("web:role_grants")))
    return out


def other_queues(user: User, today: date) -> list[ActionQueue]:
    out: list[ActionQueue] = []
    if user.scope in (Scope.DISTRICT, Scope.ENTERPRISE) and user.can(Permission.ENTERPRISE_READ):
        expiring = expiring_titles(user, today)
        row = expiring.aggregate(n=Count("pk"))
        link = (
            reverse("web:enterprise_detail", args=[user.enterprise_id])
            if user.scope is Scope.ENTERPRISE and user.enterprise_id
            else reverse("web:home") + "#expiring"
        )
        out.append(ActionQueue(QueueKind.TITLE_EXPIRING, row["n"] or 0, None, link))
    if user.scope is Scope.ENTERPRISE and user.enterprise_id and user.can(Permission.VOUCHER_VIEW):
        unused = Voucher.objects.filter(enterprise_id=user.enterprise_id, status=Voucher.Status.ISSUED)
        row = unused.aggregate(n=Count("pk"), oldest=Min("issued_at"))
        out.append(
            ActionQueue(
                QueueKind.VOUCHER_UNUSED, row["n"] or 0, _days(row["oldest"], today), reverse("web:vouchers")
            )
        )
    unread = messages_for(user).filter(read_at__isnull=True)
    row = unread.aggregate(n=Count("pk"), oldest=Min("created_at"))
    out.append(
        ActionQueue(
            QueueKind.INBOX_UNREAD,
            row["n"] or 0,
            _days(row["oldest"], today),
            f"{reverse('web:inbox')}?unread=1",
        )
    )
    return out


def action_queues(user: User, today: date | None = None) -> list[ActionQueue]:
    """Every queue the user's permissions give, in the order of the working day."""
    today = today or timezone.localdate()
    return [
        *case_queues(user, today),
        *payment_queues(user, today),
        *unit_queues(user, today),
        *decision_queues(user, today),
        *other_queues(user, today),
    ]


def my_queue_states(user: User) -> set[str]:
    """The case states that put a case in one of the user's queues."""
    states: set[str] = set()
    if user.scope is Scope.DISTRICT:
        if user.can(Permission.CASE_ACCEPT):
            states.update(INTAKE_STATES)
        if user.can(Permission.CASE_DISTRICT_REVIEW):
            states.update(DISTRICT_STATES)
    if user.scope is Scope.ALL and user.can(Permission.CASE_CITY_REVIEW):
        states.update(CITY_STATES)
    if user.can(Permission.CASE_APPLY):
        states.update(OFFER_STATES + RETURNED_STATES)
    if user.can(Permission.PAYMENT_RUN):
        states.update(READY_TO_PAY_STATES)
    return states


@dataclass(frozen=True)
class ExpiringLine:
    enterprise_id: int
    enterprise_name: str
    tier_label: str
    until: date | None


def expiring_lines(user: User, today: date | None = None, limit: int = 20) -> list[ExpiringLine]:
    """The first expiring titles in scope, soonest first, for the home's list."""
    today = today or timezone.localdate()
    rows = (
        expiring_titles(user, today)
        .select_related("enterprise")
        .order_by("expires_on", "recognized_on", "pk")
    )
    return [
        ExpiringLine(c.enterprise_id, c.enterprise.name, TIERS.get(c.tier, c.tier), last_valid_day(c))
        for c in rows[:limit]
    ]
