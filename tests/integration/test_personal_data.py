"""Personal data at rest: the raw database holds no plaintext ID number, phone or bank account; wrong keys and
changed ciphertexts are refused clearly; rotation; the importer's comparison; ID numbers checked on import."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connection, transaction
from tests.conftest import make_uscc
from tests.integration.money.conftest import build_world
from tests.integration.money.test_bank_returns import _paid

from srdi.db import pii_keys
from srdi.db.models import AuditEvent, BankAccountChange, Case, Contact, ImportBatch, Payment
from srdi.db.pii_rows import PII_COLUMNS
from srdi.domain.field_cipher import KeyConfigError, TamperedValue, UnknownKey, new_key
from srdi.domain.id_number import check_char
from srdi.services.bank_accounts import request_change
from srdi.services.imports import import_file
from srdi.services.payments import PaymentConflict, payment_file, record_bank_return
from srdi.services.personal_data import key_status, rotate

pytestmark = pytest.mark.django_db
HASH_KEY = new_key()


PII_MIGRATION = "0016_pii"  # the migration that encrypts existing rows


def people(n: int, start: int = 0) -> list[tuple[str, str, str, str]]:
    """(uscc, contact name, phone, ID number): distinct, valid, easy to grep for."""
    out = []
    for i in range(start, start + n):
        first17 = f"330106{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        out.append((make_uscc(), f"联系人{i}", f"1391234{i:04d}", first17 + check_char(first17)))
    return out


def contacts_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    lines = ["uscc,name,contact.name,contact.position,contact.phone,contact.id_number"]
    lines += [f"{u},企业{u[-6:]},{name},经理,{phone},{idn}" for u, name, phone, idn in rows]
    return ("\n".join(lines) + "\n").encode()


def use_keys(settings, keys: dict[str, str], active: str = "", cipher: str = "aes-gcm") -> None:
    settings.SRDI_PII_KEYS = ",".join(f"{k}:{v}" for k, v in keys.items())
    settings.SRDI_PII_ACTIVE_KEY = active
    settings.SRDI_PII_HASH_KEY = HASH_KEY
    settings.SRDI_PII_CIPHER = cipher
    pii_keys.reset()


@pytest.fixture
def own_keys(settings):
    """A fresh key set for the test (the hash key too), forgotten afterwards."""
    k1 = new_key()
    use_keys(settings, {"k1": k1})
    yield {"k1": k1}
    pii_keys.reset()


def seed_money() -> tuple[list[str], Case]:
    """A paid award (account on the case and the payment) and a proposed corrected account."""
    world = build_world(n=1)
    case = _paid(world)
    record_bank_return(Payment.objects.get(case=case).pk, world.users["finance"], reason="账户已销户")
    request_change(
        case.pk,
        world.users["enterprise"],
        account_name="杭州测试0有限公司",
        bank_name="杭州银行",
        account_number="6222020299998888",
    )
    return ["6222020200001234", "6222020299998888"], case


def raw_sqlite_bytes() -> bytes:
    # Read by a child process: closing a file descriptor of the database in this process would drop every
    # POSIX lock SQLite holds on it here, and another process could then delete the WAL under our connections.
    path = Path(connection.settings_dict["NAME"])
    data = b""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if p.exists():
            data += subprocess.run(["cat", str(p)], capture_output=True, check=True).stdout
    assert len(data) > 10_000
    return data


def plaintexts(rows: list[tuple[str, str, str, str]], accounts: list[str]) -> list[bytes]:
    values = [v for _, _, phone, idn in rows for v in (phone, idn)] + accounts
    return [v.encode() for v in values]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_raw_sqlite_file_holds_no_plaintext(own_keys):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite file test")
    rows = people(40)
    assert import_file(contacts_csv(rows), "contacts.csv").ok
    accounts, _ = seed_money()
    # the application reads them back in full …
    stored = {c.name: (c.phone, c.id_number) for c in Contact.objects.all()}
    assert all(stored[name] == (phone, idn) for _, name, phone, idn in rows)
    assert {Case.objects.get(pk=Payment.objects.get().case_id).bank_account_number} == {accounts[0]}
    assert BankAccountChange.objects.get().account_number == accounts[1]
    # … and the file on disk (database, WAL) has none of them
    raw = raw_sqlite_bytes()
    found = [v for v in plaintexts(rows, accounts) if v in raw]
    assert found == []
    assert b"pii1.A.k1." in raw  # what is there instead


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pg_dump_and_the_raw_tables_hold_no_plaintext(own_keys):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    rows = people(40)
    assert import_file(contacts_csv(rows), "contacts.csv").ok
    accounts, _ = seed_money()
    with connection.cursor() as cursor:
        text = ""
        for table in (
            "srdi_contact",
            "srdi_case",
            "srdi_payment",
            "srdi_bankaccountchange",
            "srdi_auditevent",
        ):
            cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t")  # noqa: S608
            text += "\n".join(r[0] for r in cursor.fetchall())
    assert "pii1.A.k1." in text
    dump = text.encode()
    if shutil.which("pg_dump"):
        s = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
        args = ["pg_dump", "--data-only", "-d", s["NAME"], "-U", s["USER"] or "srdi"]
        host = s.get("HOST") or s.get("OPTIONS", {}).get("host", "")
        if host:
            args += ["-h", host]
        if s.get("PORT"):
            args += ["-p", str(s["PORT"])]
        dump += subprocess.run(args, env=env, capture_output=True, check=True, timeout=120).stdout
        assert b"pii1.A.k1." in dump
    assert [v for v in plaintexts(rows, accounts) if v in dump] == []


def test_reimporting_the_same_contacts_changes_nothing_and_adds_no_contact(own_keys):
    rows = people(30)
    first = import_file(contacts_csv(rows), "contacts.csv")
    assert first.ok and Contact.objects.count() == 30
    before = list(Contact.objects.order_by("id").values_list("id", "phone_hash", "id_number_hash"))
    raw_before = _raw_column("srdi_contact", "phone")
    again = import_file(contacts_csv(rows), "contacts.csv")
    assert again.status == ImportBatch.Status.NOOP, again.error_messages()
    assert Contact.objects.count() == 30
    assert list(Contact.objects.order_by("id").values_list("id", "phone_hash", "id_number_hash")) == before
    assert _raw_column("srdi_contact", "phone") == raw_before  # not even re-encrypted
    # a changed phone is one update of that contact, its hash follows
    changed = [(*rows[0][:2], "13800000000", *rows[0][3:]), *rows[1:]]
    third = import_file(contacts_csv(changed), "contacts.csv")
    assert third.status == ImportBatch.Status.APPLIED and Contact.objects.count() == 30
    contact = Contact.objects.get(name=rows[0][1])
    assert contact.phone == "13800000000"
    assert (
        Contact.objects.filter(phone_hash=pii_keys.keyring().keyed_hash("phone", "13800000000")).count() == 1
    )


def _raw_column(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608
        return [r[0] for r in cursor.fetchall()]


def test_a_wrong_id_number_is_refused_naming_the_record_and_the_field(own_keys):
    (uscc, name, phone, idn), (uscc2, name2, phone2, idn2) = people(2)
    bad = idn[:-1] + ("0" if idn[-1] != "0" else "1")
    result = import_file(contacts_csv([(uscc, name, phone, bad), (uscc2, name2, phone2, idn2)]), "c.csv")
    assert not result.ok and Contact.objects.count() == 0
    messages = " ".join(result.error_messages())
    assert "第2行" in messages and "contact.id_number" in messages and "校验位" in messages
    assert bad not in messages and bad[:6] + "********" + bad[-4:] in messages  # the error shows it masked
    batch = ImportBatch.objects.get()
    assert bad not in str(batch.report) + str(batch.flags)
    contact = Contact(enterprise_id=1, name="甲", id_number=bad)
    with pytest.raises(ValidationError, match="校验位"):
        contact.full_clean(exclude=["enterprise"])


def test_a_changed_or_moved_ciphertext_is_refused(own_keys):
    (uscc, name, phone, idn), *_ = people(1)
    assert import_file(contacts_csv([(uscc, name, phone, idn)]), "c.csv").ok
    pk, token = Contact.objects.values_list("pk", flat=True).get(), _raw_column("srdi_contact", "phone")[0]
    tail = token[-5] + ("A" if token[-1] != "A" else "B")
    _set_raw("srdi_contact", "phone", pk, token[:-5] + tail[:-1] + token[-4:-1] + tail[-1])
    with pytest.raises(TamperedValue, match=r"srdi_contact\.phone"):
        Contact.objects.get(pk=pk)
    _set_raw("srdi_contact", "phone", pk, token)
    assert Contact.objects.get(pk=pk).phone == phone
    _set_raw("srdi_contact", "id_number", pk, token)  # the phone's ciphertext pasted into the ID column
    with pytest.raises(TamperedValue, match=r"srdi_contact\.id_number"):
        Contact.objects.get(pk=pk)


def _set_raw(table: str, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


def test_a_wrong_or_missing_key_gives_a_clear_error(own_keys, settings):
    (uscc, name, phone, idn), *_ = people(1)
    assert import_file(contacts_csv([(uscc, name, phone, idn)]), "c.csv").ok
    use_keys(settings, {"k1": new_key()})
    with pytest.raises(TamperedValue, match="密钥内容不对"):
        Contact.objects.get()
    use_keys(settings, {"k2": new_key()})
    with pytest.raises(UnknownKey, match="'k1' 未配置"):
        Contact.objects.get()
    settings.SRDI_PII_KEYS = ""
    settings.SRDI_PII_KEY_FILE = None
    with pytest.raises(KeyConfigError, match="SRDI_PII_KEYS"):
        Contact.objects.get()


def test_values_cannot_be_looked_up_by_ciphertext(own_keys):
    with pytest.raises(FieldError, match="检索哈希"):
        list(Contact.objects.filter(phone="13912340000"))
    with pytest.raises(FieldError, match="检索哈希"):
        list(Contact.objects.filter(id_number__startswith="3301"))
    assert list(Contact.objects.filter(phone="")) == []


def test_rotation_re_encrypts_everything_in_resumable_batches_and_is_audited(own_keys, settings):
    rows = people(12)
    assert import_file(contacts_csv(rows), "contacts.csv").ok
    accounts, case = seed_money()
    k2 = new_key()
    use_keys(settings, {**own_keys, "k2": k2}, active="k2", cipher="sm4-gcm")
    status = key_status()
    assert status.active == "k2" and status.cipher == "SM4-GCM" and not status.current
    stale = {c.column: c.stale for c in status.columns}
    assert stale["srdi_contact.phone"] == 12 and stale["srdi_payment.bank_account_number"] == 1

    # interrupted after the first batch of the first column: what was done stays done
    def stop(column: str, n: int) -> None:
        raise RuntimeError("断电")

    with pytest.raises(RuntimeError):
        rotate(batch=5, progress=stop)
    assert {c.column: c.stale for c in key_status().columns}["srdi_contact.phone"] == 7
    done = rotate(batch=5)
    assert done.rows["srdi_contact.phone"] == 7 and done.rows["srdi_payment.bank_account_number"] == 1
    assert key_status().current
    assert all(v.startswith("pii1.S.k2.") for v in _raw_column("srdi_payment", "bank_account_number"))
    # the old key can go now
    use_keys(settings, {"k2": k2}, cipher="sm4-gcm")
    assert {c.name: c.phone for c in Contact.objects.all()} == {name: phone for _, name, phone, _ in rows}
    assert Payment.objects.get(case=case).bank_account_number == accounts[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():  # guarded again
        _set_raw("srdi_payment", "amount_fen", Payment.objects.get().pk, "1")
    events = AuditEvent.objects.filter(object_type="pii_keys").order_by("id")
    assert [(e.object_repr, e.success) for e in events] == [
        ("个人信息密钥轮换：开始", True),
        ("个人信息密钥轮换：中止", False),
        ("个人信息密钥轮换：开始", True),
        ("个人信息密钥轮换：完成", True),
    ]
    assert "13912340000" not in str([e.new for e in events])


def test_the_embedded_key_file_is_created_private_and_refused_when_readable(settings, tmp_path):
    path = tmp_path / "pii-keys.json"
    settings.SRDI_PII_KEYS = ""
    settings.SRDI_PII_KEY_FILE = path
    pii_keys.reset()
    try:
        ring = pii_keys.keyring()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and ring.active == "k1"
        assert ring.open(ring.seal("13912345678", "t.c"), "t.c") == "13912345678"
        path.chmod(0o644)
        pii_keys.reset()
        with pytest.raises(KeyConfigError, match="应为 600"):
            pii_keys.keyring()
    finally:
        pii_keys.reset()


def test_every_encrypted_column_is_listed_for_rotation():
    from django.apps import apps

    from srdi.db.fields import EncryptedTextField

    fields = {
        f"{m._meta.db_table}.{f.column}"
        for m in apps.get_app_config("srdi").get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    }
    assert fields == {c.context for c in PII_COLUMNS}


def test_the_treasury_file_has_full_accounts_for_finance_only_and_the_audit_says_whose(own_keys):
    world = build_world(n=1)
    case = _paid(world)
    run = Payment.objects.get(case=case).run
    content = payment_file(run, "csv", world.users["finance"]).decode("utf-8-sig")
    assert "6222020200001234" in content
    event = AuditEvent.objects.filter(object_type="payment_run", action="export").latest("id")
    assert event.success and event.extra == {"full_fields": ["bank_account_number"], "cases": [case.pk]}
    with pytest.raises(PaymentConflict):
        payment_file(run, "csv", world.users["city_staff"])


def test_check_deploy_refuses_missing_keys(own_keys, settings):
    from srdi.db.checks import personal_data_keys

    assert personal_data_keys() == []
    settings.SRDI_PII_KEYS = ""
    settings.SRDI_PII_KEY_FILE = None  # as in the production settings
    assert [e.id for e in personal_data_keys()] == ["srdi.E101"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pii_migration_encrypts_existing_plaintext_rows_and_going_back_decrypts_them(own_keys):
    from django.db.migrations.executor import MigrationExecutor

    rows = people(5)
    assert import_file(contacts_csv(rows), "contacts.csv").ok
    accounts, case = seed_money()
    executor = MigrationExecutor(connection)
    (before,) = [
        d for d in executor.loader.get_migration("srdi", PII_MIGRATION).dependencies if d[0] == "srdi"
    ]
    executor.migrate([before])
    phones = set(_raw_column("srdi_contact", "phone"))
    assert phones == {phone for _, _, phone, _ in rows}  # plaintext again, as before the PII migration
    assert set(_raw_column("srdi_payment", "bank_account_number")) == {accounts[0]}

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("srdi", PII_MIGRATION)])
    for target in PII_COLUMNS:
        assert all(v == "" or v.startswith("pii1.A.k1.") for v in _raw_column(target.table, target.column))
    assert {c.name: (c.phone, c.id_number) for c in Contact.objects.all()} == {
        name: (phone, idn) for _, name, phone, idn in rows
    }
    ring = pii_keys.keyring()
    assert sorted(_raw_column("srdi_contact", "phone_hash")) == sorted(
        ring.keyed_hash("phone", phone) for _, _, phone, _ in rows
    )
    assert Payment.objects.get(case=case).bank_account_number == accounts[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _set_raw("srdi_payment", "amount_fen", Payment.objects.get().pk, "1")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_an_upload_kept_for_confirmation_is_encrypted_on_disk(own_keys, settings):
    from srdi.services.accounts import create_user
    from srdi.services.import_preview import keep_upload, take_upload

    user = create_user(username="uploader", password="x", role="city_staff", check_password=False)
    rows = people(3)
    data = contacts_csv(rows)
    pending = keep_upload(data, "c.csv", user, partial=False)
    kept = (Path(settings.VAR_DIR) / "import-previews" / f"{pending.token}.bin").read_bytes()
    assert (
        kept.startswith(b"pii1.A.k1.") and rows[0][2].encode() not in kept and rows[0][3].encode() not in kept
    )
    other = create_user(username="other", password="x", role="city_staff", check_password=False)
    assert take_upload(pending.token, other) is None
    assert take_upload(pending.token, user) == (pending, data)


def test_cli_status_and_rotate(own_keys, settings, cli_runner):
    from srdi.cli import commands_pii  # noqa: F401 - registers ``srdi pii``

    rows = people(3)
    assert import_file(contacts_csv(rows), "contacts.csv").ok
    use_keys(settings, {**own_keys, "k2": new_key()}, active="k2")
    status = cli_runner("pii", "status")
    assert status.exit_code == 0 and "srdi_contact.phone：待轮换 3 条" in status.output
    done = cli_runner("pii", "rotate", "--batch", "2")
    assert done.exit_code == 0 and "完成：共 6 条，当前密钥 k2" in done.output
    assert "全部记录已使用当前密钥" in cli_runner("pii", "status").output
    assert rows[0][2] not in status.output + done.output


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_holds_no_plaintext(own_keys, tmp_path):
    """What `srdi backup` writes holds the ciphertext only: the backup file (and, on PostgreSQL, the dump
    restored to SQL text) contains none of the seeded ID numbers, phones or bank accounts — while the contact
    names, which are not encrypted, are there, so the search does see the data."""
    from srdi.services import backups
    from srdi.services.backup_engines import pg_tool

    rows = people(40)
    assert import_file(contacts_csv(rows), "contacts.csv").ok
    accounts, _ = seed_money()
    made = backups.backup(tmp_path / "b.tar")
    raw = made.path.read_bytes()
    if connection.vendor == "postgresql":  # the custom-format dump is compressed: read it as SQL text
        payload = tmp_path / "payload.dump"
        with tarfile.open(made.path) as tar:
            payload.write_bytes(tar.extractfile(made.manifest.payload_name).read())  # type: ignore[union-attr]
        raw = subprocess.run(
            [pg_tool("pg_restore"), "--data-only", "-f", "-", str(payload)], capture_output=True, check=True
        ).stdout
    assert all(name.encode() in raw for _, name, _, _ in rows)
    assert [v for v in plaintexts(rows, accounts) if v in raw] == []
