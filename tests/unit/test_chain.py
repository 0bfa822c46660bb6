"""The keyed chain verifier (``srdi.domain.chain``) without a database: every single deletion, rewind or rewrite
of a chain covered by a checkpoint is found, at the right seq."""

from __future__ import annotations

import json
import secrets

from hypothesis import given, settings
from hypothesis import strategies as st

from srdi.domain.chain import (
    GENESIS,
    BreakKind,
    ChainVerifier,
    Checkpoint,
    Link,
    key_id,
    legacy_digest,
    link_mac,
    sign_checkpoint,
)

KEY = bytes(range(32))
KID = key_id(KEY)


def build(n: int, legacy: int = 0, key: bytes = KEY, chain: str = "audit") -> list[Link]:
    """A valid chain of ``n`` rows, the first ``legacy`` of them unkeyed."""
    links, prev = [], GENESIS
    for seq in range(1, n + 1):
        text = json.dumps({"row": seq, "what": f"事件{seq}"}, ensure_ascii=False)
        if seq <= legacy:
            kid, mac = "", legacy_digest(prev, text)
        else:
            kid = key_id(key)
            mac = link_mac(key, chain, seq, kid, prev, text)
        links.append(Link(seq, kid, prev, mac, text, row_id=seq + 100))
        prev = mac
    return links


def verify(links: list[Link], head: tuple[int, str] | None = None, checkpoints=(), keys=None):
    verifier = ChainVerifier("audit", keys if keys is not None else {KID: KEY}, checkpoints)
    for link in links:
        if not verifier.feed(link):
            break
    if head is None:
        head = (links[-1].seq, links[-1].mac) if links else (0, GENESIS)
    return verifier.finish(*head), verifier


def checkpoint_of(links: list[Link], at: str = "2026-12-07T00:00:00+00:00") -> Checkpoint:
    last = links[-1] if links else None
    return sign_checkpoint(
        KEY, "audit", last.seq if last else 0, last.mac if last else GENESIS, len(links), at
    )


def test_a_valid_chain_with_a_legacy_segment_verifies():
    links = build(20, legacy=7)
    broken, verifier = verify(links, checkpoints=[checkpoint_of(links)])
    assert broken is None
    assert verifier.checked == 20 and verifier.legacy_rows == 7


def test_an_edit_is_found_at_its_seq():
    links = build(10)
    links[4] = Link(5, KID, links[4].prev, links[4].mac, links[4].text.replace("事件5", "事件X"))
    broken, _ = verify(links)
    assert broken is not None and broken.seq == 5 and broken.kind is BreakKind.TAMPERED


def test_a_middle_deletion_names_the_missing_seq():
    links = build(10)
    broken, _ = verify(links[:3] + links[4:])
    assert broken is not None and broken.seq == 4 and "缺失" in broken.reason


def test_renumbering_after_a_deletion_without_the_key_is_found():
    """Delete row 4, renumber and re-chain the rest with a guessed key: the first re-chained row breaks."""
    links = build(10)[:3]
    guessed = secrets.token_bytes(32)
    prev = links[-1].mac
    for seq in range(4, 10):
        text = json.dumps({"row": seq + 1}, ensure_ascii=False)
        mac = link_mac(guessed, "audit", seq, KID, prev, text)  # claims the real key id
        links.append(Link(seq, KID, prev, mac, text))
        prev = mac
    broken, _ = verify(links)
    assert broken is not None and broken.seq == 4 and "消息认证码" in broken.reason


def test_a_downgrade_to_unkeyed_rows_after_keyed_ones_is_found():
    links = build(6)
    prev = links[2].mac
    rewritten = links[:3]
    for link in links[3:]:
        mac = legacy_digest(prev, link.text)
        rewritten.append(Link(link.seq, "", prev, mac, link.text))
        prev = mac
    broken, _ = verify(rewritten)
    assert broken is not None and broken.seq == 4 and "降级" in broken.reason


def test_a_full_downgrade_is_found_by_a_checkpoint():
    links = build(6)
    cp = sign_checkpoint(KEY, "audit", 1, links[0].mac, 1, "2026-12-07T00:00:00+00:00")
    downgraded = build(6, legacy=6)
    assert verify(downgraded)[0] is None  # without a checkpoint an all-legacy chain cannot be told apart
    broken, _ = verify(downgraded, checkpoints=[cp])
    assert broken is not None and broken.seq == 1 and "检查点" in broken.reason


def test_tail_deletion_with_the_head_rewound_is_found_only_by_the_checkpoint():
    links = build(10)
    cp = checkpoint_of(links)
    assert verify(links[:7])[0] is None  # head rewound to row 7: consistent without the checkpoint
    broken, _ = verify(links[:7], checkpoints=[cp])
    assert broken is not None and broken.seq == 8 and broken.kind is BreakKind.TRUNCATED


def test_emptying_is_found_by_the_checkpoint():
    links = build(5)
    broken, _ = verify([], head=(0, GENESIS), checkpoints=[checkpoint_of(links)])
    assert broken is not None and broken.seq == 1 and "清空" in broken.reason


def test_tail_deletion_without_rewinding_the_head_is_found_by_the_head():
    links = build(5)
    broken, _ = verify(links[:3], head=(5, links[4].mac))
    assert broken is not None and broken.seq == 4 and broken.kind is BreakKind.TRUNCATED


def test_a_forged_or_foreign_checkpoint_is_refused():
    links = build(5)
    cp = checkpoint_of(links)
    forged = Checkpoint(cp.chain, 2, links[1].mac, 2, cp.at, cp.key_id, cp.signature)
    broken, _ = verify(links, checkpoints=[forged])
    assert broken is not None and broken.kind is BreakKind.CHECKPOINT
    other = sign_checkpoint(secrets.token_bytes(32), "audit", 5, links[4].mac, 5, cp.at)
    broken, _ = verify(links, checkpoints=[other])
    assert broken is not None and broken.kind is BreakKind.KEY_MISSING


def test_a_missing_key_is_reported_as_such():
    broken, _ = verify(build(3), keys={})
    assert broken is not None and broken.kind is BreakKind.KEY_MISSING and "SRDI_CHAIN_KEY" in broken.reason


def test_rotated_keys_verify_with_the_old_key_kept():
    old = build(4)
    new_key = secrets.token_bytes(32)
    prev, links = old[-1].mac, list(old)
    for seq in range(5, 9):
        text = f"row {seq}"
        mac = link_mac(new_key, "audit", seq, key_id(new_key), prev, text)
        links.append(Link(seq, key_id(new_key), prev, mac, text))
        prev = mac
    assert verify(links, keys={KID: KEY, key_id(new_key): new_key})[0] is None
    broken, _ = verify(links, keys={key_id(new_key): new_key})
    assert broken is not None and broken.seq == 1 and broken.kind is BreakKind.KEY_MISSING


def test_a_checkpoint_round_trips_through_json():
    cp = checkpoint_of(build(3))
    assert Checkpoint.from_json(cp.to_json()) == cp


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=40),
    legacy=st.integers(min_value=0, max_value=40),
    data=st.data(),
)
def test_any_single_deletion_or_rewind_under_a_checkpoint_is_found(n, legacy, data):
    links = build(n, legacy=min(legacy, n))
    covered = data.draw(st.integers(min_value=1, max_value=n), label="checkpoint seq")
    cp = sign_checkpoint(KEY, "audit", covered, links[covered - 1].mac, covered, "2026-12-07T00:00:00+00:00")
    assert verify(links, checkpoints=[cp])[0] is None
    attack = data.draw(st.sampled_from(["delete", "rewind"]), label="attack")
    if attack == "delete":
        victim = data.draw(st.integers(min_value=1, max_value=covered), label="deleted seq")
        tampered = links[: victim - 1] + links[victim:]
        expected = victim
    else:
        keep = data.draw(st.integers(min_value=0, max_value=covered - 1), label="rows kept")
        tampered = links[:keep]
        expected = keep + 1
    # the database owner also moves the head to the new last row, as a consistent attacker would
    head = (tampered[-1].seq, tampered[-1].mac) if tampered else (0, GENESIS)
    broken, _ = verify(tampered, head=head, checkpoints=[cp])
    assert broken is not None
    assert broken.seq == expected


def test_a_ledger_row_cannot_be_replayed_into_the_audit_chain():
    broken, _ = verify(build(3, chain="ledger"))  # verify() checks the audit chain
    assert broken is not None and broken.seq == 1
