"""A home per role (首页): what needs the user's action now, what changed since the previous visit, and the two
or three figures that matter to the role.

Use ``home_for(user)`` from the home view. Every queue is chosen by the permissions table
(``user.can(Permission.X)``) and counted with the same scope (``services.scoping``) and the same condition as
the page its link opens, so the number on the home is the number of rows there. ``visit(user)`` records the
visit (``HomeVisit``): a new visit begins after ``VISIT_GAP_MINUTES`` without a home, and "since my last visit"
means since the previous visit began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from srdi.db.models import CaseTransition, HomeVisit, User
from srdi.domain.home import ChangeKind, Visits, next_visits
from srdi.domain.permissions import Permission
from srdi.services import scoping
from srdi.services.home_figures import CaseLine, Figure, TitleLine, figures, own_open_cases, own_titles, wan
from srdi.services.home_queues import (
    ActionQueue,
    ExpiringLine,
    action_queues,
    expiring_lines,
    my_queue_states,
)
from srdi.services.inbox import messages_for

__all__ = [
    "ActionQueue",
    "CaseLine",
    "Change",
    "ExpiringLine",
    "Figure",
    "Home",
    "TitleLine",
    "action_queues",
    "changes_since",
    "expiring_lines",
    "figures",
    "home_for",
    "visit",
    "wan",
]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    count: int
    link: str

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass(frozen=True)
class Home:
    queues: tuple[ActionQueue, ...]
    changes: tuple[Change, ...]
    previous_visit: datetime | None
    figures: tuple[Figure, ...]
    titles: tuple[TitleLine, ...] = ()
    open_cases: tuple[CaseLine, ...] = ()

    @property
    def waiting(self) -> tuple[ActionQueue, ...]:
        """The queues with something in them."""
        return tuple(q for q in self.queues if q.count)


# ---- the visit -----------------------------------------------------------------------------------------


def visit(user: User, now: datetime | None = None) -> datetime | None:
    """Record a home view; return when the previous visit began (None on the first)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = HomeVisit.objects.select_for_update().filter(user=user).first()
        before = Visits(row.current_at, row.seen_at, row.previous_at) if row is not None else None
        after = next_visits(before, now)
        HomeVisit.objects.update_or_create(
            user=user,
            defaults={
                "current_at": after.current_at,
                "seen_at": after.seen_at,
                "previous_at": after.previous_at,
            },
        )
        return after.previous_at


# ---- what changed ---------------------------------------------------------------------------------------


def changes_since(user: User, since: datetime | None) -> list[Change]:
    """New messages, cases newly in my queues, and status changes of cases in my scope since ``since``."""
    if since is None:
        return []
    in_scope = CaseTransition.objects.filter(case__in=scoping.cases_for(user), at__gt=since)
    states = my_queue_states(user)
    out = [
        Change(
            ChangeKind.NEW_MESSAGES,
            messages_for(user).filter(created_at__gt=since).count(),
            reverse("web:inbox"),
        )
    ]
    if states:
        out.append(
            Change(
                ChangeKind.NEW_IN_QUEUES,
                in_scope.filter(to_state__in=states).values("case").distinct().count(),
                reverse("web:case_list"),
            )
        )
    if user.can(Permission.CASE_VIEW):
        out.append(
            Change(
                ChangeKind.CASE_STATUS_CHANGES,
                in_scope.values("case").distinct().count(),
                reverse("web:case_list"),
            )
        )
    return out


def home_for(user: User, *, previous_visit: datetime | None = None, today: date | None = None) -> Home:
    """Everything the home shows the user."""
    today = today or timezone.localdate()
    return Home(
        queues=tuple(action_queues(user, today)),
        changes=tuple(changes_since(user, previous_visit)),
        previous_visit=previous_visit,
        figures=tuple(figures(user, today)),
        titles=tuple(own_titles(user, today)),
        open_cases=tuple(own_open_cases(user)),
    )
