"""Progress of a long preview or import, readable by the page that started it while the request still runs.

Use ``ImportProgress(token, user)`` inside the request that does the work (``stage()`` and ``rows()``) and
``read_progress(token, user)`` from the polling view. The page makes the token (random, sent with the upload);
progress is a small JSON file under ``VAR_DIR/import-progress`` so any worker process can answer the poll.
Only the user who started the work can read its progress.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings

from srdi.db.models import User

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
WRITE_EVERY_SECONDS = 0.5
KEEP_SECONDS = 3600
# Each stage's share of the bar (start, end) in percent; rows move the bar inside 读取并校验.
STAGES = {"读取并校验": (0, 60), "核对疑似单位错误": (60, 70), "与库中数据比对": (70, 95), "写入": (70, 98)}


class ProgressSink(Protocol):
    """Where a preview or import reports its stage and the rows read so far (a page, a terminal)."""

    def stage(self, name: str) -> None: ...

    def rows(self, count: int) -> None: ...


@dataclass
class ProgressState:
    """What the polling page shows."""

    user_id: int
    stage: str = ""
    rows: int = 0
    percent: int = 0
    done: bool = False


def _path(token: str) -> Path | None:
    if not TOKEN.match(token or ""):
        return None
    directory = Path(settings.VAR_DIR) / "import-progress"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{token}.json"


class ImportProgress:
    """Writes the progress of one preview or import (a no-op without a valid token)."""

    def __init__(self, token: str, user: User, rows_expected: int | None = None) -> None:
        self.path = _path(token)
        self.state = ProgressState(user_id=user.pk)
        self.rows_expected = rows_expected
        self._written = 0.0
        if self.path is not None:
            self._clean_old(self.path.parent)
            self._write(force=True)

    @staticmethod
    def _clean_old(directory: Path) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for old in directory.glob("*.json"):
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.path is None or (not force and now - self._written < WRITE_EVERY_SECONDS):
            return
        self._written = now
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self.state), ensure_ascii=False))
        tmp.replace(self.path)

    def stage(self, name: str) -> None:
        self.state.stage = name
        self.state.percent = max(self.state.percent, STAGES.get(name, (0, 0))[0])
        self._write(force=True)

    def rows(self, count: int) -> None:
        self.state.rows = count
        start, end = STAGES["读取并校验"]
        if self.rows_expected:
            share = min(count / self.rows_expected, 1.0)  # display only
            self.state.percent = start + int((end - start) * share)
        self._write()

    def finish(self) -> None:
        self.state.done, self.state.percent = True, 100
        self._write(force=True)


def read_progress(token: str, user: User) -> ProgressState | None:
    """The progress for ``token`` if ``user`` started it."""
    path = _path(token)
    if path is None:
        return None
    try:
        state = ProgressState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return state if state.user_id == user.pk else None
