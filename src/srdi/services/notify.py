"""Notifications behind an interface: the in-app inbox now; SMS or e-mail can be added as another channel.

Use ``notify(message)`` from services (it is sent after the transaction commits, so a rolled-back action never
notifies). Channels implement ``Channel.send``; ``SRDI_NOTIFY_CHANNELS`` lists the dotted paths in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Protocol

from django.conf import settings
from django.db import transaction

from srdi.db.models import Notification, User
from srdi.domain.permissions import Permission, Scope, roles_with, scope_of


@dataclass(frozen=True)
class Message:
    """Who should hear what: a user, the users of an enterprise, or the staff of a district / the city."""

    title: str
    body: str = ""
    url: str = ""
    user_id: int | None = None
    enterprise_id: int | None = None
    district_code: str = ""
    audience: str = ""  # "" | "district_staff" | "city_staff" | "finance"


class Channel(Protocol):
    def send(self, message: Message) -> None: ...


class InboxChannel:
    """Writes the message to the in-app inbox of every recipient."""

    def send(self, message: Message) -> None:
        if message.user_id or message.enterprise_id:
            Notification.objects.create(
                user_id=message.user_id,
                enterprise_id=message.enterprise_id,
                title=message.title,
                body=message.body,
                url=message.url,
            )
            return
        # Who hears of a case's step: the roles that take the next step (from the permissions table).
        roles = {
            "district_staff": [
                r for r in roles_with(Permission.CASE_DISTRICT_REVIEW) if scope_of(r) is Scope.DISTRICT
            ],
            "city_staff": list(roles_with(Permission.CASE_CITY_REVIEW)),
            "finance": list(roles_with(Permission.PAYMENT_RUN)),
        }.get(message.audience, [])
        users = User.objects.filter(role__in=roles, is_active=True)
        if message.audience == "district_staff":
            users = users.filter(district_id=message.district_code)
        Notification.objects.bulk_create(
            [
                Notification(
                    user=u,
                    title=message.title,
                    body=message.body,
                    url=message.url,
                    audience=message.audience,
                    district_code=message.district_code,
                )
                for u in users
            ]
        )


@cache
def channels() -> tuple[Channel, ...]:
    paths = getattr(settings, "SRDI_NOTIFY_CHANNELS", ["srdi.services.notify.InboxChannel"])
    out = []
    for path in paths:
        module, _, name = path.rpartition(".")
        out.append(getattr(import_module(module), name)())
    return tuple(out)


def notify(message: Message) -> None:
    """Send through every channel once the current transaction commits."""

    def send() -> None:
        for channel in channels():
            channel.send(message)

    transaction.on_commit(send)


def unread_count(user: User) -> int:
    """Unread messages for a user (their own and their enterprise's)."""
    qs = Notification.objects.filter(read_at__isnull=True)
    if user.scope is Scope.ENTERPRISE and user.enterprise_id:
        return qs.filter(enterprise_id=user.enterprise_id).count() + qs.filter(user=user).count()
    return qs.filter(user=user).count()
