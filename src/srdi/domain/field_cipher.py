"""Encrypting one personal-data value for storage, and the keyed hash that finds it again.

Use a ``Keyring`` (built by ``srdi.db.pii_keys`` from the environment or the embedded key file) and call
``keyring.seal(text, context)`` / ``keyring.open(token, context)``; ``keyring.keyed_hash(kind, text)`` gives
the value's search/compare hash. ``context`` names where the value lives (``"srdi_contact.phone"``) and is
bound to the ciphertext as associated data, so a ciphertext copied to another column (or table) is refused.

The stored token is text: ``pii1.<scheme>.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``

- scheme ``A``: AES-256-GCM (default), scheme ``S``: SM4-GCM (GB/T 32907 block cipher in GCM, RFC 8998; chosen
  by ``SRDI_PII_CIPHER=sm4-gcm``). Both are authenticated: a changed bit anywhere fails with ``TamperedValue``.
- The key id and scheme travel in the token, so older rows stay readable after the active key or the cipher
  changes, and ``srdi pii rotate`` finds the rows still under an old key.
- Each key id names a 32-byte master key; the cipher key is derived from it with HKDF-SHA256 (32 bytes for AES,
  16 for SM4), so one master key never serves two algorithms.
- The nonce is 12 random bytes per value (no counter to keep; fine for far fewer than 2^32 values per key).
- The associated data is ``srdi-pii|v1|<scheme>|<key id>|<context>``: header and place are authenticated.
- The empty string is not encrypted (it stays ``""``): "no phone given" is not secret.

The keyed hash is HMAC-SHA256 under a separate hash key over ``kind`` and the normalised value (digits only for
phones and account numbers, upper-case for ID numbers); it is the same for the same value whatever the
encryption key, so imports compare and searches match without decrypting. It does not rotate with the
encryption keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from enum import Enum

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "pii1."
NONCE_BYTES = 12
TAG_BYTES = 16
MASTER_KEY_BYTES = 32
HASH_KEY_MIN_BYTES = 32
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class Scheme(Enum):
    """The cipher of a token; the value is the letter stored in the token."""

    AES_GCM = "A"
    SM4_GCM = "S"

    @classmethod
    def from_setting(cls, name: str) -> Scheme:
        """``aes-gcm`` or ``sm4-gcm`` (the ``SRDI_PII_CIPHER`` setting)."""
        by_name = {"aes-gcm": cls.AES_GCM, "sm4-gcm": cls.SM4_GCM}
        try:
            return by_name[name.strip().lower()]
        except KeyError:
            raise KeyConfigError(f"SRDI_PII_CIPHER 应为 aes-gcm 或 sm4-gcm，实为 {name!r}") from None

    @property
    def label(self) -> str:
        return {"A": "AES-256-GCM", "S": "SM4-GCM"}[self.value]


class PiiCryptoError(Exception):
    """Personal data could not be encrypted or decrypted; the message says why (never the value)."""


class KeyConfigError(PiiCryptoError):
    """The keys are missing or malformed."""


class UnknownKey(PiiCryptoError):
    """A stored value is under a key id the keyring does not hold (a removed key, or the wrong key set)."""


class TamperedValue(PiiCryptoError):
    """A stored value fails authentication: changed, truncated, under a different key, or in another column."""


def is_token(value: str) -> bool:
    """Whether ``value`` looks like a stored ciphertext (not whether it opens)."""
    return value.startswith(PREFIX)


@dataclass(frozen=True)
class Parsed:
    scheme: Scheme
    key_id: str
    blob: bytes


def parse_token(token: str) -> Parsed:
    """The scheme, key id and bytes of a token; ``TamperedValue`` when it is not one."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] + "." != PREFIX:
        raise TamperedValue("存储的个人信息不是有效的密文（格式不对，可能是明文或已被改动）")
    _, letter, key_id, body = parts
    try:
        scheme = Scheme(letter)
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, binascii.Error):
        raise TamperedValue("存储的个人信息密文已损坏（算法标识或编码无效）") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise TamperedValue("存储的个人信息密文已损坏（长度不足）")
    return Parsed(scheme, key_id, blob)


def _derive(master: bytes, scheme: Scheme) -> bytes:
    length = 32 if scheme is Scheme.AES_GCM else 16
    info = b"srdi-pii aes-256-gcm" if scheme is Scheme.AES_GCM else b"srdi-pii sm4-gcm"
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master)


def _sm4_encrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    body = enc.update(data) + enc.finalize()
    return body + enc.tag


def _sm4_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, data[-TAG_BYTES:])).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(data[:-TAG_BYTES]) + dec.finalize()


class _Aead:
    """One derived cipher key: encrypt/decrypt with associated data (ciphertext ‖ 16-byte tag)."""

    def __init__(self, scheme: Scheme, key: bytes) -> None:
        self.scheme, self.key = scheme, key
        self.aes = AESGCM(key) if scheme is Scheme.AES_GCM else None  # built once: most of a seal's cost

    def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if self.aes is not None:
            return self.aes.encrypt(nonce, data, aad)
        return _sm4_encrypt(self.key, nonce, data, aad)

    def decrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if self.aes is not None:
            return self.aes.decrypt(nonce, data, aad)
        return _sm4_decrypt(self.key, nonce, data, aad)


def check_sm4_gcm() -> None:
    """Refuse SM4-GCM clearly where the installed OpenSSL lacks it (cryptography ≥ 44 with its own OpenSSL has it)."""
    try:
        _sm4_encrypt(bytes(16), bytes(NONCE_BYTES), b"x", b"")
    except UnsupportedAlgorithm:
        raise KeyConfigError(
            "当前 cryptography/OpenSSL 不支持 SM4-GCM，请改用 SRDI_PII_CIPHER=aes-gcm"
        ) from None


def normalise(kind: str, value: str) -> str:
    """The form a value is hashed in: digits only for phones and accounts, upper-case without spaces otherwise."""
    text = "".join(value.split())
    if kind in ("phone", "account"):
        return "".join(c for c in text if c.isdigit())
    return text.upper()


@dataclass
class Keyring:
    """Master keys by id, the active id and cipher for new values, and the separate hash key."""

    keys: dict[str, bytes]
    active: str
    hash_key: bytes
    scheme: Scheme = Scheme.AES_GCM
    source: str = "environment"
    _derived: dict[tuple[str, Scheme], _Aead] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("未配置个人信息加密密钥（SRDI_PII_KEYS）")
        for key_id, key in self.keys.items():
            if not KEY_ID.fullmatch(key_id):
                raise KeyConfigError(f"密钥标识 {key_id!r} 只能含字母、数字、- 和 _（最多32个字符）")
            if len(key) != MASTER_KEY_BYTES:
                raise KeyConfigError(f"密钥 {key_id} 应为32字节（base64 编码），实为 {len(key)} 字节")
        if self.active not in self.keys:
            raise KeyConfigError(f"当前密钥 {self.active!r} 不在 SRDI_PII_KEYS 中")
        if len(self.hash_key) < HASH_KEY_MIN_BYTES:
            raise KeyConfigError("检索用的哈希密钥（SRDI_PII_HASH_KEY）至少32字节")
        if any(hmac.compare_digest(self.hash_key, k) for k in self.keys.values()):
            raise KeyConfigError("哈希密钥不能与加密密钥相同")
        if self.scheme is Scheme.SM4_GCM:
            check_sm4_gcm()

    def _cipher_key(self, key_id: str, scheme: Scheme) -> _Aead:
        found = self._derived.get((key_id, scheme))
        if found is None:
            master = self.keys.get(key_id)
            if master is None:
                raise UnknownKey(
                    f"个人信息密文使用的密钥 {key_id!r} 未配置（SRDI_PII_KEYS 中没有）：密钥错误或已被移除"
                )
            found = self._derived[(key_id, scheme)] = _Aead(scheme, _derive(master, scheme))
        return found

    @staticmethod
    def _aad(scheme: Scheme, key_id: str, context: str) -> bytes:
        return f"srdi-pii|v1|{scheme.value}|{key_id}|{context}".encode()

    def seal(self, text: str, context: str) -> str:
        """The token storing ``text`` at ``context`` under the active key and cipher (``""`` stays ``""``)."""
        if text == "":
            return ""
        scheme, key_id = self.scheme, self.active
        key = self._cipher_key(key_id, scheme)
        nonce = os.urandom(NONCE_BYTES)
        aad = self._aad(scheme, key_id, context)
        body = key.encrypt(nonce, text.encode(), aad)
        return (
            f"{PREFIX}{scheme.value}.{key_id}.{base64.urlsafe_b64encode(nonce + body).decode().rstrip('=')}"
        )

    def open(self, token: str, context: str) -> str:
        """The text of a token stored at ``context``; ``UnknownKey`` or ``TamperedValue`` when it cannot be."""
        if token == "":
            return ""
        parsed = parse_token(token)
        key = self._cipher_key(parsed.key_id, parsed.scheme)
        nonce, body = parsed.blob[:NONCE_BYTES], parsed.blob[NONCE_BYTES:]
        aad = self._aad(parsed.scheme, parsed.key_id, context)
        try:
            data = key.decrypt(nonce, body, aad)
        except InvalidTag:
            raise TamperedValue(
                f"个人信息密文校验失败（{context}，密钥 {parsed.key_id}）：密文被改动、属于其他字段，或密钥内容不对"
            ) from None
        return data.decode()

    def seal_bytes(self, data: bytes, context: str) -> bytes:
        """A file's bytes sealed like a value: ``pii1.<scheme>.<key id>.`` then nonce ‖ ciphertext ‖ tag (binary)."""
        scheme, key_id = self.scheme, self.active
        nonce = os.urandom(NONCE_BYTES)
        body = self._cipher_key(key_id, scheme).encrypt(nonce, data, self._aad(scheme, key_id, context))
        return f"{PREFIX}{scheme.value}.{key_id}.".encode() + nonce + body

    def open_bytes(self, sealed: bytes, context: str) -> bytes:
        """The bytes of ``seal_bytes``; ``TamperedValue``/``UnknownKey`` when they cannot be opened."""
        parts = sealed.split(b".", 3)
        if len(parts) != 4 or parts[0] + b"." != PREFIX.encode():
            raise TamperedValue("加密文件格式不对（可能未加密或已被改动）")
        try:
            scheme, key_id = Scheme(parts[1].decode()), parts[2].decode()
        except (ValueError, UnicodeDecodeError):
            raise TamperedValue("加密文件已损坏（算法标识无效）") from None
        blob = parts[3]
        key = self._cipher_key(key_id, scheme)
        try:
            return key.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], self._aad(scheme, key_id, context))
        except InvalidTag:
            raise TamperedValue(f"加密文件校验失败（{context}，密钥 {key_id}）") from None

    def is_current(self, token: str) -> bool:
        """Whether a token is under the active key and cipher (nothing for ``rotate`` to do)."""
        if token == "":
            return True
        parsed = parse_token(token)
        return parsed.key_id == self.active and parsed.scheme is self.scheme

    def keyed_hash(self, kind: str, text: str) -> str:
        """HMAC-SHA256 (hex) of the normalised value; ``""`` for an empty value."""
        value = normalise(kind, text)
        if not value:
            return ""
        return hmac.digest(self.hash_key, f"{kind}\0{value}".encode(), hashlib.sha256).hex()


def parse_key_list(text: str) -> dict[str, bytes]:
    """``"k1:BASE64,k2:BASE64"`` (the ``SRDI_PII_KEYS`` form) as key id → key bytes."""
    keys: dict[str, bytes] = {}
    for item in text.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise KeyConfigError("SRDI_PII_KEYS 的格式为 密钥标识:base64密钥，多个用逗号分隔")
        keys[key_id.strip()] = decode_key(encoded, f"密钥 {key_id.strip()}")
    return keys


def decode_key(encoded: str, what: str) -> bytes:
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (ValueError, binascii.Error):
        raise KeyConfigError(f"{what} 不是有效的 base64") from None


def new_key() -> str:
    """A fresh 32-byte key, base64-encoded (for ``srdi pii keygen`` and the embedded key file)."""
    return base64.b64encode(os.urandom(MASTER_KEY_BYTES)).decode()
