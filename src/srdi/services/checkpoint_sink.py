"""Where signed checkpoints of the audit and ledger chains are kept — outside the database.

Use ``configured_sink()`` to append or read checkpoints. The sink is chosen by the setting
``SRDI_CHECKPOINT_SINK`` (a dotted path to a class taking no arguments; default ``FileSink``), so a remote sink
(syslog, an object store with retention lock, a second server) can be added by writing a class with ``append``
and ``read`` — see ``CheckpointSink``.

``FileSink`` appends one JSON line per checkpoint to ``<SRDI_CHECKPOINT_DIR>/<chain>.jsonl`` (default
``$SRDI_VAR_DIR/checkpoints``), mode 0600, fsync'd. Put that directory on storage the database owner cannot
write (another host, a WORM mount) for the checkpoints to count against them.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from srdi.domain.chain import Checkpoint


class CheckpointSink(Protocol):
    """Append-only storage of checkpoints."""

    def append(self, checkpoint: Checkpoint) -> None:
        """Store one checkpoint durably (raise if it could not be stored)."""

    def read(self, chain: str) -> list[Checkpoint]:
        """Every stored checkpoint of ``chain``, oldest first; an unreadable line raises ``BadCheckpoint``."""

    def describe(self) -> str:
        """Where the checkpoints go, for messages."""


class BadCheckpoint(ValueError):
    """A stored checkpoint line cannot be read (the sink was edited or damaged)."""


class FileSink:
    """One JSON line per checkpoint in ``<dir>/<chain>.jsonl``."""

    def __init__(self, directory: Path | None = None) -> None:
        configured = directory or settings.SRDI_CHECKPOINT_DIR
        self.directory = Path(configured) if configured else Path(settings.VAR_DIR) / "checkpoints"

    def path(self, chain: str) -> Path:
        return self.directory / f"{chain}.jsonl"

    def append(self, checkpoint: Checkpoint) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = (checkpoint.to_json() + "\n").encode("utf-8")
        fd = os.open(self.path(checkpoint.chain), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)  # one write of one line: concurrent appenders do not interleave
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self, chain: str) -> list[Checkpoint]:
        path = self.path(chain)
        if not path.exists():
            return []
        out = []
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    out.append(Checkpoint.from_json(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise BadCheckpoint(f"检查点文件 {path} 第 {number} 行无法读取（{exc}）") from None
        return out

    def describe(self) -> str:
        return str(self.directory)


def configured_sink() -> CheckpointSink:
    """The sink named by ``SRDI_CHECKPOINT_SINK``."""
    sink: CheckpointSink = import_string(settings.SRDI_CHECKPOINT_SINK)()
    return sink


def read_checkpoints(chain: str, *, as_of: datetime | None = None) -> list[Checkpoint]:
    """The checkpoints of ``chain``; with ``as_of``, only those taken at or before it (a backup of that time
    holds every row they cover)."""
    found = configured_sink().read(chain)
    if as_of is None:
        return found
    limit = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    return [cp for cp in found if datetime.fromisoformat(cp.at) <= limit]
