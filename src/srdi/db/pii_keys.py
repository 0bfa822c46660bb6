"""Where the personal-data keys come from: the environment, or the embedded default's key file.

Use ``keyring()`` (cached; ``reset()`` after changing settings) wherever a value is sealed or opened — in
practice only ``srdi.db.fields`` and ``srdi.services.personal_data`` do. The settings (read from the
environment in ``srdi.config.settings.base``):

- ``SRDI_PII_KEYS``: ``id:base64,id:base64`` — every 32-byte master key that may still be in use;
- ``SRDI_PII_ACTIVE_KEY``: the id new values are sealed under (default: the last one listed);
- ``SRDI_PII_HASH_KEY``: base64 of the separate HMAC key of the keyed hashes (required with ``SRDI_PII_KEYS``);
- ``SRDI_PII_CIPHER``: ``aes-gcm`` (default) or ``sm4-gcm``.

Without ``SRDI_PII_KEYS``, the keys are read from ``SRDI_PII_KEY_FILE`` (``$SRDI_VAR_DIR/pii-keys.json``),
which is created with fresh random keys on first use, mode 0600, and refused when others may read it. That file
is for the embedded single-machine default only: the production settings set ``SRDI_PII_KEY_FILE = None``, so
there the keys must come from the environment. The keys are never written to the database.
"""

from __future__ import annotations

import json
import os
import stat
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed

from srdi.domain.field_cipher import (
    KeyConfigError,
    Keyring,
    Scheme,
    decode_key,
    new_key,
    parse_key_list,
)

SETTINGS = (
    "SRDI_PII_KEYS",
    "SRDI_PII_ACTIVE_KEY",
    "SRDI_PII_HASH_KEY",
    "SRDI_PII_CIPHER",
    "SRDI_PII_KEY_FILE",
)


@cache
def keyring() -> Keyring:
    """The configured keyring; ``KeyConfigError`` (a clear message) when there are no usable keys."""
    scheme = Scheme.from_setting(getattr(settings, "SRDI_PII_CIPHER", "aes-gcm") or "aes-gcm")
    listed = getattr(settings, "SRDI_PII_KEYS", "")
    if listed:
        keys = parse_key_list(listed)
        hash_key = getattr(settings, "SRDI_PII_HASH_KEY", "")
        if not hash_key:
            raise KeyConfigError(
                "设置了 SRDI_PII_KEYS 时还须设置 SRDI_PII_HASH_KEY（检索用哈希密钥，base64）"
            )
        active = getattr(settings, "SRDI_PII_ACTIVE_KEY", "") or list(keys)[-1]
        return Keyring(keys, active, decode_key(hash_key, "SRDI_PII_HASH_KEY"), scheme, source="environment")
    path = getattr(settings, "SRDI_PII_KEY_FILE", None)
    if path is None:
        raise KeyConfigError(
            "生产环境必须通过环境变量 SRDI_PII_KEYS 和 SRDI_PII_HASH_KEY 提供个人信息加密密钥（不使用密钥文件）"
        )
    return _from_file(Path(path), scheme)


def _from_file(path: Path, scheme: Scheme) -> Keyring:
    if not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyConfigError(f"个人信息密钥文件 {path} 的权限为 {mode:o}，只能由本用户读写（应为 600）")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = {str(k): decode_key(str(v), f"密钥 {k}") for k, v in data["keys"].items()}
        return Keyring(
            keys, str(data["active"]), decode_key(str(data["hash_key"]), "hash_key"), scheme, source=str(path)
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KeyConfigError(f"个人信息密钥文件 {path} 格式不对（应含 keys、active、hash_key）") from None


def _create(path: Path) -> None:
    """A new key file with one random key and a random hash key, readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content = json.dumps({"active": "k1", "keys": {"k1": new_key()}, "hash_key": new_key()}, indent=1)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: use theirs
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)


def add_key_to_file(path: Path, key_id: str) -> None:
    """Add a fresh key to the embedded key file and make it active (``srdi pii keygen --activate``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if key_id in data["keys"]:
        raise KeyConfigError(f"密钥标识 {key_id} 已存在")
    data["keys"][key_id] = new_key()
    data["active"] = key_id
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, indent=1))
    tmp.replace(path)
    reset()


def reset() -> None:
    """Forget the cached keyring (after the settings or the key file changed)."""
    keyring.cache_clear()


def _on_setting_changed(*, setting: str, **_: object) -> None:
    if setting in SETTINGS:
        reset()


setting_changed.connect(_on_setting_changed)
