"""The keys of the audit and ledger chains — kept out of the database.

Use ``key_ring()`` to get the current key (new rows and checkpoints) and the old ones (verification only).

- ``SRDI_CHAIN_KEY``: the current key, at least 32 bytes, as hex or base64. **Production must set it** (from a
  secret store, not readable by database administrators).
- ``SRDI_CHAIN_KEYS_OLD``: earlier keys, comma-separated, kept so rows and checkpoints signed with them still
  verify after a rotation. Rotating = move the current key here and set a new ``SRDI_CHAIN_KEY``; the next row
  starts a new segment under the new key id.
- Without ``SRDI_CHAIN_KEY`` (the embedded single-machine set-up) the key is ``$SRDI_VAR_DIR/chain.key``, created
  on first write with mode 0600. That file lives next to the SQLite database, so whoever can read both can forge
  the chain: it protects against someone who only holds the database (or a copy of it), not the whole machine.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

from django.conf import settings

from srdi.domain.chain import KEY_BYTES_MIN, KeyRing

ENV_KEY = "SRDI_CHAIN_KEY"
ENV_OLD_KEYS = "SRDI_CHAIN_KEYS_OLD"
KEY_FILE = "chain.key"
_HEX = re.compile(r"^[0-9a-fA-F]+$")


class ChainKeyError(RuntimeError):
    """A chain key is malformed, too short, or its file is unsafe; the message says which and how to fix it."""


def parse_key(text: str, source: str) -> bytes:
    """Hex (64+ digits) or base64 (standard or URL-safe) → at least 32 key bytes."""
    text = text.strip()
    raw: bytes | None = None
    if _HEX.match(text) and len(text) % 2 == 0:
        raw = bytes.fromhex(text)
    else:
        try:
            padded = text + "=" * (-len(text) % 4)
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) < KEY_BYTES_MIN:
        raise ChainKeyError(
            f"{source} 格式错误：须为至少 {KEY_BYTES_MIN} 字节的密钥（hex 或 base64），"
            "可用 python -c 'import secrets;print(secrets.token_hex(32))' 生成"
        )
    return raw


def key_file() -> Path:
    return Path(settings.VAR_DIR) / KEY_FILE


def _read_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ChainKeyError(f"密钥文件 {path} 权限过宽（须为 0600）：请执行 chmod 600 {path}")
    return parse_key(path.read_text(encoding="ascii", errors="replace"), str(path))


def _create_file(path: Path) -> bytes:
    """Create the key file atomically (another process may be doing the same): the first one wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_file(path)


def key_ring(*, create: bool = True) -> KeyRing:
    """The configured keys. ``create=False`` (verification) never creates the key file: no key is then current."""
    old = tuple(
        parse_key(part, f"{ENV_OLD_KEYS} 第 {i} 项")
        for i, part in enumerate(os.environ.get(ENV_OLD_KEYS, "").split(","), start=1)
        if part.strip()
    )
    env = os.environ.get(ENV_KEY, "").strip()
    if env:
        return KeyRing(parse_key(env, ENV_KEY), old)
    path = key_file()
    if path.exists():
        return KeyRing(_read_file(path), old)
    if not create:
        return KeyRing(None, old)
    return KeyRing(_create_file(path), old)


def current_key() -> tuple[str, bytes]:
    """(key id, key) for writing; creates the embedded key file on first use."""
    ring = key_ring(create=True)
    assert ring.current is not None and ring.current_id is not None
    return ring.current_id, ring.current
