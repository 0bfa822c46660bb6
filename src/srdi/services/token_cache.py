"""API token → user, kept in process memory for a few seconds, with revocation that stays immediate.

Use ``authenticate(raw)`` from the API's bearer authentication (``srdi.api.auth``) instead of
``tokens.authenticate_token``: the answer is the same, but a token checked in the last
``SRDI_API_TOKEN_CACHE_SECONDS`` seconds (default 5; 0 turns the cache off) is not looked up again.

What is kept, per token, under the SHA-256 digest of the token (never the token itself): the user (a copy is
handed to each request), the token's id and expiry, when it was last recorded as used, and the value of the shared
counter ``auth_generation`` at the moment the token was read. On every request the counter is read again (one
primary-key read of one row) before the cache is consulted; an entry made under another value is dropped and the
database is asked. Every change that can end a token's validity moves the counter in its own transaction — a
revocation (one token or all of a user's), a deactivation, a role or scope change, a password change, any save
or delete of a user or a token — so a revoked token is refused by the next request in every process on every
machine, and this process's cache is also emptied right after such a commit. Expiry (the token's and the
password's) is checked on every hit against the cached dates.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from srdi.db.models import ApiToken, User
from srdi.services import auth_generation, tokens
from srdi.services.password_age import password_expired

DEFAULT_SECONDS = 5.0
MAX_ENTRIES = 10_000  # tokens kept per process at most; when full, the cache starts again empty


def ttl_seconds() -> float:
    """How long a checked token is kept (``SRDI_API_TOKEN_CACHE_SECONDS``; read on every call)."""
    return max(float(getattr(settings, "SRDI_API_TOKEN_CACHE_SECONDS", DEFAULT_SECONDS) or 0), 0.0)


@dataclass(frozen=True)
class Entry:
    """One checked token: its user, id, expiry, last recorded use, the counter it was read under, and when."""

    user: User
    token_id: int
    expires_at: datetime | None
    last_used_at: datetime | None
    generation: int
    cached_at: float  # time.monotonic()


class TokenCache:
    """A per-process cache of checked tokens (one per process: ``default``; tests make more to stand for other
    processes). Thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def digests(self) -> list[str]:
        """The keys held (token digests), for inspection."""
        with self._lock:
            return list(self._entries)

    def authenticate(self, raw: str) -> User | None:
        """The user the token ``raw`` authenticates, or None (see the module docstring)."""
        ttl = ttl_seconds()
        if not ttl:
            return tokens.authenticate_token(raw)
        if not tokens.well_formed(raw):
            return None
        digest = ApiToken.digest_of(raw)
        generation = auth_generation.current()  # read before the token, so a revocation after it moves it
        now = timezone.now()
        with self._lock:
            entry = self._entries.get(digest)
        if entry is not None and entry.generation == generation and time.monotonic() - entry.cached_at < ttl:
            if (entry.expires_at is not None and entry.expires_at <= now) or password_expired(entry.user):
                self._forget(digest)
                return None
            self.hits += 1
            touched = tokens.touch(entry.token_id, entry.last_used_at, now)
            if touched != entry.last_used_at:
                self._store(digest, replace(entry, last_used_at=touched))
            return copy.copy(entry.user)
        self.misses += 1
        token = tokens.live_token(raw)
        if token is None:
            self._forget(digest)
            return None
        touched = tokens.touch(token.pk, token.last_used_at, now)
        user = token.user
        self._store(
            digest,
            Entry(
                user=copy.copy(user),
                token_id=token.pk,
                expires_at=token.expires_at,
                last_used_at=touched,
                generation=generation,
                cached_at=time.monotonic(),
            ),
        )
        return user

    def _store(self, digest: str, entry: Entry) -> None:
        with self._lock:
            if digest not in self._entries and len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[digest] = entry

    def _forget(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)


default = TokenCache()
auth_generation.on_change(default.clear)


def authenticate(raw: str) -> User | None:
    """The user the token ``raw`` authenticates, through this process's cache."""
    return default.authenticate(raw)
