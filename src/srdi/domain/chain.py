"""Keyed, gapless hash chains and signed checkpoints — pure, no Django.

Use ``link_mac`` when appending a row to a keyed chain, ``sign_checkpoint`` to sign the state of a chain's head, and
``ChainVerifier`` to check a chain streamed in sequence order against its head and its checkpoints.

A chain is a list of rows numbered 1..N without gaps (``seq``). Each row carries ``prev`` (the MAC of the row
before, or of the genesis) and ``mac``:

- a *legacy* row (``key_id == ""``, written before keys existed) has ``mac = SHA-256(prev + text)``, where ``text``
  is the row's canonical JSON — anyone can recompute it;
- a *keyed* row has ``mac = HMAC-SHA256(key, chain ‖ seq ‖ key_id ‖ prev ‖ text)`` with a key that is not in the
  database, so someone who can only write the database cannot forge, renumber or re-chain a row.

Legacy rows may only come first: once a keyed row has been seen, a legacy row after it is a downgrade. A
*checkpoint* (chain, seq, MAC at that seq, row count, time) is signed with the key and kept outside the database;
a chain shorter than its last checkpoint, or whose row at a checkpoint's seq has another MAC, was truncated,
rewound or rewritten.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
KEY_BYTES_MIN = 32


def canonical(payload: Mapping[str, Any]) -> str:
    """The canonical JSON text of a row: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def key_id(key: bytes) -> str:
    """A short public name of a key (16 hex digits), stored on each row so that keys can rotate."""
    return hashlib.sha256(b"srdi-chain-key-id\x00" + key).hexdigest()[:16]


def legacy_digest(prev: str, text: str) -> str:
    """The unkeyed SHA-256 link of rows written before keyed chains."""
    return hashlib.sha256((prev + text).encode("utf-8")).hexdigest()


def link_mac(key: bytes, chain: str, seq: int, kid: str, prev: str, text: str) -> str:
    """The keyed link of one row: HMAC-SHA256 over the chain name, seq, key id, previous MAC and the row."""
    message = f"{chain}\n{seq}\n{kid}\n{prev}\n{text}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class KeyRing:
    """The current key (used for new rows and checkpoints) and old keys (accepted when verifying)."""

    current: bytes | None
    old: tuple[bytes, ...] = ()

    @property
    def current_id(self) -> str | None:
        return key_id(self.current) if self.current is not None else None

    def by_id(self) -> dict[str, bytes]:
        keys = {key_id(k): k for k in self.old}
        if self.current is not None:
            keys[key_id(self.current)] = self.current
        return keys


@dataclass(frozen=True)
class Checkpoint:
    """The signed state of a chain's head at one moment (kept outside the database)."""

    chain: str
    seq: int
    mac: str
    count: int
    at: str  # UTC ISO time
    key_id: str
    signature: str

    def body(self) -> str:
        return canonical(
            {
                "chain": self.chain,
                "seq": self.seq,
                "mac": self.mac,
                "count": self.count,
                "at": self.at,
                "key_id": self.key_id,
            }
        )

    def to_json(self) -> str:
        return canonical({**json.loads(self.body()), "v": 1, "signature": self.signature})

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        data = json.loads(text)
        return cls(
            chain=str(data["chain"]),
            seq=int(data["seq"]),
            mac=str(data["mac"]),
            count=int(data["count"]),
            at=str(data["at"]),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
        )


def _checkpoint_sig(key: bytes, body: str) -> str:
    return hmac.new(key, b"srdi-checkpoint\x00" + body.encode(), hashlib.sha256).hexdigest()


def sign_checkpoint(key: bytes, chain: str, seq: int, mac: str, count: int, at: str) -> Checkpoint:
    """A checkpoint of ``chain`` at ``seq`` signed with ``key``."""
    unsigned = Checkpoint(chain, seq, mac, count, at, key_id(key), "")
    return Checkpoint(chain, seq, mac, count, at, key_id(key), _checkpoint_sig(key, unsigned.body()))


def checkpoint_valid(keys: Mapping[str, bytes], checkpoint: Checkpoint) -> bool | None:
    """True if the signature verifies, False if it does not, None if its key is not available."""
    key = keys.get(checkpoint.key_id)
    if key is None:
        return None
    return hmac.compare_digest(_checkpoint_sig(key, checkpoint.body()), checkpoint.signature)


class BreakKind(enum.Enum):
    TAMPERED = "tampered"  # a row was edited, removed, inserted or re-chained
    TRUNCATED = (
        "truncated"  # rows after a checkpoint or the head are missing (tail deletion, rewind, emptying)
    )
    KEY_MISSING = "key_missing"  # a row or checkpoint names a key that is not configured
    CHECKPOINT = "checkpoint"  # a checkpoint's signature does not verify


@dataclass(frozen=True)
class Break:
    """The first place where a chain does not verify: the seq (first bad or missing row) and why."""

    seq: int
    reason: str
    kind: BreakKind = BreakKind.TAMPERED
    row_id: int | None = None


@dataclass(frozen=True)
class Link:
    """One stored row as the verifier sees it."""

    seq: int
    key_id: str
    prev: str
    mac: str
    text: str
    row_id: int | None = None


KEY_HINT = "请设置 SRDI_CHAIN_KEY（当前密钥）或在 SRDI_CHAIN_KEYS_OLD 中保留旧密钥"


@dataclass
class ChainVerifier:
    """Feed rows in seq order, then ``finish`` with the head; ``broken`` is the first problem found."""

    chain: str
    keys: Mapping[str, bytes]
    checkpoints: Sequence[Checkpoint] = ()
    checked: int = 0
    legacy_rows: int = 0
    broken: Break | None = None
    last_seq: int = 0
    last_mac: str = GENESIS
    last_row_id: int | None = None
    _keyed_seen: bool = False
    _pending: Break | None = None
    _valid: list[Checkpoint] = field(default_factory=list)
    _at_seq: dict[int, Checkpoint] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for cp in self.checkpoints:
            if cp.chain != self.chain:
                continue
            valid = checkpoint_valid(self.keys, cp)
            if valid is None:
                self._fail(
                    Break(
                        cp.seq,
                        f"{cp.at} 的检查点使用的密钥 {cp.key_id} 不可用，无法核验（{KEY_HINT}）",
                        BreakKind.KEY_MISSING,
                    )
                )
            elif not valid:
                self._fail(
                    Break(cp.seq, f"{cp.at} 的检查点签名无效（检查点被篡改或密钥不符）", BreakKind.CHECKPOINT)
                )
            else:
                self._valid.append(cp)
                self._at_seq.setdefault(cp.seq, cp)
        self._pending = self.broken  # a checkpoint problem is reported after any break in the chain itself
        self.broken = None

    def _fail(self, found: Break) -> None:
        if self.broken is None:
            self.broken = found

    @property
    def last_checkpoint(self) -> Checkpoint | None:
        """The checkpoint that reaches furthest (the latest one if several reach as far)."""
        return max(self._valid, key=lambda cp: (cp.seq, cp.at), default=None)

    def feed(self, link: Link) -> bool:
        """Check one row; False once the chain is broken (stop feeding)."""
        if self.broken is not None:
            return False
        expected = self.last_seq + 1
        if link.seq != expected:
            what = (
                f"第 {expected} 条记录缺失（序号不连续，下一条为第 {link.seq} 条）"
                if link.seq > expected
                else f"第 {link.seq} 条记录重复或次序错乱"
            )
            self._fail(Break(expected, what, row_id=link.row_id))
            return False
        if link.prev != self.last_mac:
            self._fail(Break(link.seq, "前序值不连续（有记录被删除、插入或链被改写）", row_id=link.row_id))
            return False
        if not link.key_id:
            if self._keyed_seen:
                self._fail(
                    Break(link.seq, "密钥链之后出现无密钥的旧式记录（链被降级改写）", row_id=link.row_id)
                )
                return False
            if legacy_digest(link.prev, link.text) != link.mac:
                self._fail(Break(link.seq, "记录内容与哈希不符（记录被修改）", row_id=link.row_id))
                return False
            self.legacy_rows += 1
        else:
            key = self.keys.get(link.key_id)
            if key is None:
                self._fail(
                    Break(
                        link.seq,
                        f"记录使用的密钥 {link.key_id} 不可用，无法核验（{KEY_HINT}）",
                        BreakKind.KEY_MISSING,
                        link.row_id,
                    )
                )
                return False
            expected_mac = link_mac(key, self.chain, link.seq, link.key_id, link.prev, link.text)
            if not hmac.compare_digest(expected_mac, link.mac):
                self._fail(
                    Break(
                        link.seq,
                        "记录内容与消息认证码不符（记录被修改，或在没有密钥的情况下重算了链）",
                        row_id=link.row_id,
                    )
                )
                return False
            self._keyed_seen = True
        cp = self._at_seq.get(link.seq)
        if cp is not None and cp.mac != link.mac:
            self._fail(
                Break(link.seq, f"与 {cp.at} 的检查点不符（第 {cp.seq} 条被改写）", row_id=link.row_id)
            )
            return False
        self.last_seq, self.last_mac, self.last_row_id = link.seq, link.mac, link.row_id
        self.checked += 1
        return True

    def finish(self, head_seq: int, head_mac: str) -> Break | None:
        """Compare the end of the chain with its head and its last checkpoint; the first problem, if any."""
        if self.broken is None:
            self._finish_head(head_seq, head_mac)
        if self.broken is None:
            self._finish_checkpoint()
        if self.broken is None and self._pending is not None:
            self.broken = self._pending
        return self.broken

    def _finish_head(self, head_seq: int, head_mac: str) -> None:
        if head_seq > self.last_seq:
            self._fail(
                Break(
                    self.last_seq + 1,
                    f"链头记录到第 {head_seq} 条，最后一条为第 {self.last_seq} 条（末尾记录被删除）",
                    BreakKind.TRUNCATED,
                    self.last_row_id,
                )
            )
        elif head_seq < self.last_seq:
            self._fail(
                Break(
                    head_seq + 1,
                    f"链头停在第 {head_seq} 条，但记录已到第 {self.last_seq} 条（链头被回退）",
                    row_id=self.last_row_id,
                )
            )
        elif head_mac != self.last_mac:
            self._fail(Break(self.last_seq, "链头与最后一条记录不符", row_id=self.last_row_id))

    def _finish_checkpoint(self) -> None:
        cp = self.last_checkpoint
        if cp is None:
            return
        if cp.seq > self.last_seq:
            what = "链被清空" if self.last_seq == 0 else "末尾记录被删除或链被回退"
            self._fail(
                Break(
                    self.last_seq + 1,
                    f"{cp.at} 的检查点记录到第 {cp.seq} 条，现只有 {self.last_seq} 条（{what}）",
                    BreakKind.TRUNCATED,
                    self.last_row_id,
                )
            )
        elif cp.count != cp.seq:
            self._fail(
                Break(cp.seq, f"{cp.at} 的检查点记录了 {cp.count} 行，与序号 {cp.seq} 不符（当时链已不完整）")
            )
