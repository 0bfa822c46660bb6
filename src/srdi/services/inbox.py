"""The inbox (消息) of a user: their own messages and (enterprise users) their enterprise's, grouped by kind,
filtered by kind and read state, and marked read in bulk.

Use ``messages_for(user)`` for the rows a user may see, ``kind_counts`` for the groups and ``mark_read`` for the
bulk action (only the user's own messages are ever touched). Marking read is not audited (no other inbox action
is: it changes only the user's own reading state).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from srdi.db.models import Notification, User
from srdi.domain.inbox import PREFIXES, MessageKind
from srdi.domain.permissions import Scope


@dataclass(frozen=True)
class KindCount:
    kind: MessageKind
    total: int
    unread: int

    @property
    def label(self) -> str:
        return self.kind.label


def messages_for(user: User) -> QuerySet[Notification]:
    """The user's messages: addressed to the user, or (enterprise users) to the user's enterprise."""
    condition = Q(user=user)
    if user.scope is Scope.ENTERPRISE and user.enterprise_id:
        condition |= Q(enterprise_id=user.enterprise_id)
    return Notification.objects.filter(condition)


def of_kind(qs: QuerySet[Notification], kind: MessageKind) -> QuerySet[Notification]:
    """The messages of one kind (the rule of ``domain.inbox.kind_of`` as a filter)."""
    if kind is MessageKind.OTHER:
        others = Q()
        for prefix in PREFIXES.values():
            others |= Q(url__startswith=prefix)
        return qs.exclude(others)
    return qs.filter(url__startswith=kind.prefix)


def kind_counts(user: User) -> list[KindCount]:
    """Per kind with any message: how many, how many unread (kinds in vocabulary order)."""
    mine = messages_for(user)
    out = []
    for kind in MessageKind:
        rows = of_kind(mine, kind)
        total = rows.count()
        if total:
            out.append(KindCount(kind, total, rows.filter(read_at__isnull=True).count()))
    return out


def filtered(user: User, kind: MessageKind | None = None, unread: bool = False) -> QuerySet[Notification]:
    qs = messages_for(user)
    if kind is not None:
        qs = of_kind(qs, kind)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs


def mark_read(
    user: User, *, ids: Iterable[int] = (), kind: MessageKind | None = None, every: bool = False
) -> int:
    """Mark unread messages of the user read: those of ``ids``, all of ``kind``, or (``every``) all; the count."""
    unread = messages_for(user).filter(read_at__isnull=True)
    if every:
        target = unread
    elif kind is not None:
        target = of_kind(unread, kind)
    else:
        wanted = list(ids)
        if not wanted:
            return 0
        target = unread.filter(pk__in=wanted)
    return target.update(read_at=timezone.now())
