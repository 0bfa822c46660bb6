"""Verifying a stored chain (audit log or ledger) against its keys, its head and its checkpoints.

Use ``verify_links`` with the chain's rows streamed in seq order; ``services.audit.verify_chain`` and
``services.ledger_verify.check_chain`` do this for their tables. The result names the first bad seq.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from srdi.domain.beijing_time import LABEL, format_iso
from srdi.domain.chain import Break, BreakKind, ChainVerifier, Checkpoint, Link
from srdi.services.chain_keys import ChainKeyError, key_ring
from srdi.services.checkpoint_sink import BadCheckpoint, read_checkpoints

LABELS = {"audit": "审计日志", "ledger": "总账"}


@dataclass(frozen=True)
class ChainResult:
    """What verifying one chain found."""

    chain: str
    checked: int
    legacy_rows: int
    broken: Break | None
    checkpoint: Checkpoint | None  # the last checkpoint compared against (None: none taken yet)
    head_seq: int

    @property
    def ok(self) -> bool:
        return self.broken is None

    def message(self) -> str:
        """One Chinese line: the verdict, with the first bad seq when broken."""
        if self.broken is None:
            against = (
                f"，与 {format_iso(self.checkpoint.at)}（{LABEL}）的检查点（第 {self.checkpoint.seq} 条）一致"
                if self.checkpoint
                else "，尚无检查点（请定期运行 srdi audit checkpoint）"
            )
            return f"{self.label}链完整：已核验 {self.checked} 条（其中旧式无密钥 {self.legacy_rows} 条）{against}"
        return f"{self.label}链在第 {self.broken.seq} 条处有问题：{self.broken.reason}"

    @property
    def label(self) -> str:
        return LABELS.get(self.chain, self.chain)


def verify_links(
    chain: str,
    links: Callable[[int], Iterable[Link]],
    head: Callable[[], tuple[int, str]],
    *,
    as_of: datetime | None = None,
    use_checkpoints: bool = True,
) -> ChainResult:
    """Verify a chain with the configured keys and checkpoints: ``head()`` gives (seq, MAC) of its head and
    ``links(upto)`` its rows with seq ≤ ``upto``, in seq order.

    Order matters on a live system: checkpoints are read first, then the head, then the rows up to that head —
    so a checkpoint or a row committed while verifying can never look like a missing tail."""
    head_seq = 0
    try:
        keys = key_ring(create=False).by_id()
    except ChainKeyError as exc:
        return ChainResult(chain, 0, 0, Break(0, str(exc), BreakKind.KEY_MISSING), None, head_seq)
    try:
        checkpoints = read_checkpoints(chain, as_of=as_of) if use_checkpoints else []
    except BadCheckpoint as exc:
        return ChainResult(chain, 0, 0, Break(0, str(exc), BreakKind.CHECKPOINT), None, head_seq)
    head_seq, head_mac = head()
    verifier = ChainVerifier(chain, keys, checkpoints)
    for link in links(head_seq):
        if not verifier.feed(link):
            break
    broken = verifier.finish(head_seq, head_mac)
    return ChainResult(
        chain, verifier.checked, verifier.legacy_rows, broken, verifier.last_checkpoint, head_seq
    )
