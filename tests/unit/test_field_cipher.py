"""The field cipher: round trips under AES-256-GCM and SM4-GCM, binding to the column, tampering, wrong and
rotated keys, and the keyed hash."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srdi.domain.field_cipher import (
    KeyConfigError,
    Keyring,
    Scheme,
    TamperedValue,
    UnknownKey,
    _sm4_encrypt,
    parse_key_list,
)

K1, K2, HASH = b"1" * 32, b"2" * 32, b"h" * 32
PHONE = "srdi_contact.phone"


def ring(
    scheme: Scheme = Scheme.AES_GCM, keys: dict[str, bytes] | None = None, active: str = "k1"
) -> Keyring:
    return Keyring(keys or {"k1": K1}, active, HASH, scheme)


@pytest.mark.parametrize("scheme", list(Scheme))
@settings(max_examples=100)
@given(text=st.text(min_size=1, max_size=60))
def test_round_trip_and_no_plaintext_in_the_token(scheme: Scheme, text: str) -> None:
    r = ring(scheme)
    token = r.seal(text, PHONE)
    assert r.open(token, PHONE) == text
    assert token.startswith(f"pii1.{scheme.value}.k1.")
    if len(text) >= 4:
        assert text not in token
    assert r.seal(text, PHONE) != token  # a fresh nonce each time


def test_sm4_gcm_matches_the_rfc_8998_test_vector() -> None:
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    iv = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    out = _sm4_encrypt(key, iv, plain, aad)
    assert out[:-16].hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert out[-16:].hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


@pytest.mark.parametrize("scheme", list(Scheme))
def test_a_ciphertext_moved_to_another_column_does_not_open(scheme: Scheme) -> None:
    r = ring(scheme)
    token = r.seal("13912345678", PHONE)
    with pytest.raises(TamperedValue, match=r"srdi_contact\.id_number"):
        r.open(token, "srdi_contact.id_number")


@pytest.mark.parametrize("scheme", list(Scheme))
@settings(max_examples=150)
@given(data=st.data())
def test_any_changed_byte_is_refused(scheme: Scheme, data: st.DataObject) -> None:
    r = ring(scheme)
    token = r.seal("33010619800101003X", PHONE)
    prefix, body = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    changed = prefix + "." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(TamperedValue):
        r.open(changed, PHONE)


def test_truncated_or_relabelled_tokens_are_refused() -> None:
    r = ring(keys={"k1": K1, "k2": K2})
    token = r.seal("6222020200001234", "srdi_case.bank_account_number")
    with pytest.raises(TamperedValue):
        r.open(token[:-6], "srdi_case.bank_account_number")
    with pytest.raises(TamperedValue):  # the header is authenticated: claiming another key id fails
        r.open(token.replace(".k1.", ".k2."), "srdi_case.bank_account_number")
    with pytest.raises(TamperedValue, match="格式不对"):
        r.open("6222020200001234", "srdi_case.bank_account_number")


def test_wrong_key_and_unknown_key_give_clear_errors() -> None:
    token = ring().seal("13912345678", PHONE)
    with pytest.raises(UnknownKey, match="'k1' 未配置"):
        ring(keys={"k9": K2}, active="k9").open(token, PHONE)
    with pytest.raises(TamperedValue, match="密钥内容不对"):
        ring(keys={"k1": K2}).open(token, PHONE)


def test_rotation_keeps_old_values_readable_and_marks_them_stale() -> None:
    old = ring()
    token = old.seal("13912345678", PHONE)
    new = ring(keys={"k1": K1, "k2": K2}, active="k2")
    assert new.open(token, PHONE) == "13912345678"
    assert old.is_current(token) and not new.is_current(token)
    again = new.seal(new.open(token, PHONE), PHONE)
    assert new.is_current(again) and ".k2." in again
    sm4 = Keyring({"k1": K1, "k2": K2}, "k2", HASH, Scheme.SM4_GCM)
    assert not sm4.is_current(again)  # the cipher changed: rotate re-encrypts too
    assert sm4.open(again, PHONE) == "13912345678"


def test_keyed_hash_is_normalised_and_independent_of_the_encryption_key() -> None:
    a, b = ring(), ring(keys={"k2": K2}, active="k2")
    assert a.keyed_hash("phone", "139 1234-5678") == b.keyed_hash("phone", "13912345678")
    assert a.keyed_hash("id_number", "33010619800101003x") == a.keyed_hash("id_number", "33010619800101003X")
    assert a.keyed_hash("phone", "13912345678") != a.keyed_hash("account", "13912345678")
    assert a.keyed_hash("phone", "") == ""
    other = Keyring({"k1": K1}, "k1", b"o" * 32)
    assert other.keyed_hash("phone", "13912345678") != a.keyed_hash("phone", "13912345678")


def test_empty_stays_empty() -> None:
    assert ring().seal("", PHONE) == "" and ring().open("", PHONE) == ""


@pytest.mark.parametrize(
    ("keys", "active", "hash_key", "message"),
    [
        ({}, "k1", HASH, "未配置"),
        ({"k1": b"short"}, "k1", HASH, "应为32字节"),
        ({"k.1": K1}, "k.1", HASH, "只能含字母"),
        ({"k1": K1}, "k2", HASH, "不在 SRDI_PII_KEYS 中"),
        ({"k1": K1}, "k1", b"x" * 8, "至少32字节"),
        ({"k1": K1}, "k1", K1, "不能与加密密钥相同"),
    ],
)
def test_bad_key_configuration_is_refused(keys, active, hash_key, message) -> None:
    with pytest.raises(KeyConfigError, match=message):
        Keyring(keys, active, hash_key)


def test_key_list_parsing() -> None:
    text = f"k1:{base64.b64encode(K1).decode()}, k2:{base64.b64encode(K2).decode()}"
    assert parse_key_list(text) == {"k1": K1, "k2": K2}
    with pytest.raises(KeyConfigError, match="格式"):
        parse_key_list("just-a-key")
    with pytest.raises(KeyConfigError, match="base64"):
        parse_key_list("k1:not base64!")
    with pytest.raises(KeyConfigError, match="aes-gcm 或 sm4-gcm"):
        Scheme.from_setting("des")
