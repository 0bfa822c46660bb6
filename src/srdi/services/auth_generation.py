"""The shared version of everything a cached API token check depends on: one counter row in the database.

Use ``current()`` before reading a token from a cache: a process that cached a token under an older value must
check the database again. The counter is moved by database triggers (migration ``0029_api17``), in the very
transaction that changes what a token check reads — a token revoked, re-dated, re-assigned or deleted; a user
deactivated, given another role, district, enterprise or provider, a new password, deleted — whichever code
path does it: the services, ``/admin/``, a bulk ``QuerySet.update`` or plain SQL. So every process, on this
machine or another, sharing only the database, sees the new value exactly when it can see the change. A sign-in
(``last_login``) and a recorded use of a token (``last_used_at``) do not move it.

``on_change`` registers a listener (this process's token cache) that is called after the commit of a change this
process made through the ORM (signals) or through ``access.revoke_tokens``, so this process also forgets at once
without waiting for its next read of the counter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from srdi.db.models import ApiToken, AuthGeneration, User

logger = logging.getLogger("srdi.auth")

ROW_ID = 1
_listeners: list[Callable[[], None]] = []


def _table() -> str:
    return connection.ops.quote_name(AuthGeneration._meta.db_table)


def current() -> int:
    """The counter's value (0 when the row is missing, e.g. right after a test database was flushed)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {_table()} WHERE id = %s", [ROW_ID])  # noqa: S608 - model table
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` (no arguments) after the commit of every change this process makes."""
    if listener not in _listeners:
        _listeners.append(listener)


def changed() -> None:
    """Tell this process's listeners, after the current transaction commits (at once outside one)."""
    transaction.on_commit(_notify)


def _notify() -> None:
    for listener in list(_listeners):
        try:
            listener()
        except Exception:  # a listener must never break the commit that revoked a token
            logger.exception("认证缓存清理失败")


_LOGIN_ONLY = frozenset({"last_login"})
_USE_ONLY = frozenset({"last_used_at"})


def _user_saved(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is None or not set(update_fields) <= _LOGIN_ONLY:
        changed()


def _token_saved(
    sender: Any, instance: ApiToken, created: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if not created and (update_fields is None or not set(update_fields) <= _USE_ONLY):
        changed()


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    changed()


def connect_signals() -> None:
    """Connect the receivers that tell this process at once (idempotent; the triggers tell every process)."""
    post_save.connect(_user_saved, sender=User, dispatch_uid="srdi.auth_generation.user_saved")
    post_delete.connect(_deleted, sender=User, dispatch_uid="srdi.auth_generation.user_deleted")
    post_save.connect(_token_saved, sender=ApiToken, dispatch_uid="srdi.auth_generation.token_saved")
    post_delete.connect(_deleted, sender=ApiToken, dispatch_uid="srdi.auth_generation.token_deleted")
