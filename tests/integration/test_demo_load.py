"""Loading demo data into the database: counts, round trip through the export, demo users, the CLI."""

from __future__ import annotations

import stat

import polars as pl
import pytest
from click.testing import CliRunner
from django.contrib.auth.password_validation import validate_password

from srdi.db.models import (
    AuditEvent,
    Award,
    Certification,
    Contest,
    DataUpdate,
    Enterprise,
    EnterpriseYear,
    EquityFinancing,
    Event,
    IpItem,
    PlatformScore,
    Role,
    Sanction,
    Title,
    User,
)
from srdi.demo.generator import generate, to_profiles
from srdi.demo.sizes import size_classes
from srdi.services.audit import verify_chain
from srdi.services.demo import (
    DemoLoadError,
    create_demo_users,
    load_tables,
    logins_path,
    read_logins,
    total_rows,
)
from srdi.services.exports import profiles_from_db

pytestmark = pytest.mark.django_db

SEED = 7


@pytest.fixture(scope="module")
def tables():
    return generate(500, SEED)


@pytest.fixture(scope="module")
def tables_2026():
    return generate(500, SEED, as_of_year=2026)


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_load_writes_every_table(tables):
    calls = []
    assert load_tables(tables, progress=calls.append, seed=SEED) == 500
    assert sum(calls) == total_rows(tables)
    assert Enterprise.objects.count() == tables.enterprises.height
    assert EnterpriseYear.objects.count() == tables.years.height
    assert Title.objects.count() == tables.titles.height
    assert Award.objects.count() == tables.awards.height
    assert Contest.objects.count() == tables.contests.height
    assert EquityFinancing.objects.count() == tables.equity.height
    assert Certification.objects.count() == tables.certifications.height
    assert Event.objects.count() == tables.events.height
    assert IpItem.objects.count() == tables.ip_items.height
    assert PlatformScore.objects.count() == tables.scores.height


def test_load_writes_the_v11_tables_of_2026(tables_2026):
    t = tables_2026
    load_tables(t, seed=SEED)
    assert EnterpriseYear.objects.count() == t.years.height
    assert set(EnterpriseYear.objects.values_list("year", flat=True).distinct()) == {2022, 2023, 2024, 2025}
    assert IpItem.objects.count() == t.ip_items.height > 0
    assert PlatformScore.objects.count() == t.scores.height > 0
    assert set(PlatformScore.objects.values_list("year", flat=True).distinct()) == {2025, 2026}
    assert DataUpdate.objects.count() == t.data_updates.height > 0
    assert Sanction.objects.count() == t.sanctions.height
    assert (
        Certification.objects.filter(tier="tech_sme").count()
        == t.certifications.filter(pl.col("tier") == "tech_sme").height
    )
    known = dict(Enterprise.objects.values_list("uscc", "ip_items_known"))
    assert known == dict(t.enterprises.select("uscc", "ip_items_known").iter_rows())


def test_exported_2026_profiles_equal_the_generated_ones(tables_2026):
    load_tables(tables_2026, seed=SEED)
    expected = {p["uscc"]: p for p in to_profiles(tables_2026)}
    sample = list(expected)[:200]
    exported = {p["uscc"]: p for p, _ in profiles_from_db(Enterprise.objects.filter(uscc__in=sample))}
    for uscc in sample:
        assert exported[uscc] == expected[uscc], uscc
    assert any(
        p.get("ip_items") and p.get("platform_scores") and p.get("data_updates") for p in exported.values()
    )


def test_load_records_provenance_sizes_and_one_audit_event(tables):
    load_tables(tables, seed=SEED)
    ent = Enterprise.objects.order_by("id").first()
    assert ent.recorded_at is not None
    assert ent.created_at is not None
    assert ent.source_batch_id is None
    assert ent.recorded_by_id is None
    assert EnterpriseYear.objects.filter(recorded_at__isnull=True).count() == 0
    expected = {
        uscc: size
        for uscc, size in tables.enterprises.select("eid", "uscc")
        .join(size_classes(tables.enterprises, tables.years), on="eid")
        .select("uscc", "size_class")
        .iter_rows()
    }
    stored = dict(Enterprise.objects.values_list("uscc", "size_class"))
    assert stored == expected
    assert Enterprise.objects.filter(size_year=2024).count() > 400
    events = AuditEvent.objects.filter(object_type="demo")
    assert events.count() == 1
    assert events.get().action == "import"
    assert events.get().new == {"enterprises": 500, "seed": SEED}
    assert verify_chain().ok


def test_exported_profiles_equal_the_generated_ones(tables):
    load_tables(tables, seed=SEED)
    expected = {p["uscc"]: p for p in to_profiles(tables)}
    sample = [*list(expected)[:150], *[p["uscc"] for p in expected.values() if "events" in p][:50]]
    exported = {p["uscc"]: p for p, _ in profiles_from_db(Enterprise.objects.filter(uscc__in=sample))}
    assert set(exported) == set(sample)
    for uscc in sample:
        assert exported[uscc] == expected[uscc], uscc


def test_event_rows_carry_key_date_and_payload(tables):
    load_tables(tables, seed=SEED)
    loan = Event.objects.filter(kind="loan").order_by("id").first()
    assert loan.key.startswith("L")
    assert loan.date is not None
    assert loan.payload["contract_date"] == loan.date.isoformat()
    assert isinstance(loan.payload["annual_rate"], str)
    assert isinstance(loan.payload["principal_fen"], int)
    assert "date" not in loan.payload
    assert (
        Event.objects.filter(kind="recognition", key="").count()
        == Event.objects.filter(kind="recognition").count()
    )


def test_loading_the_same_codes_twice_is_refused(tables):
    load_tables(tables, seed=SEED)
    with pytest.raises(DemoLoadError, match="统一社会信用代码"):
        load_tables(tables, seed=SEED)
    assert Enterprise.objects.count() == 500


def test_a_second_seed_loads_after_the_first(tables):
    load_tables(tables, seed=SEED)
    other = generate(200, SEED + 100)
    load_tables(other, seed=SEED + 100)
    assert Enterprise.objects.count() == 700
    ids = list(Enterprise.objects.order_by("id").values_list("id", flat=True))
    assert len(set(ids)) == 700
    new = Enterprise.objects.create(uscc="91330106MA27XXXXX0", name="后建企业")  # the id sequence still works
    assert new.pk > max(ids)


def test_demo_users_get_their_roles_and_scopes(tables, var_dir):
    load_tables(tables, seed=SEED)
    messages: list[str] = []
    logins = create_demo_users(messages)
    assert [row[0] for row in logins] == [
        "city_admin",
        "city_staff",
        "district_xihu",
        "district_binjiang",
        "enterprise_demo",
        "provider_demo",
        "auditor_demo",
        "finance_demo",
        "city_reviewer",
        "kejiju_demo",
        "leader_demo",
        "sysadmin_demo",
        "secadmin_demo",
        "secadmin2_demo",
        "auditadmin_demo",
    ]
    users = {u.username: u for u in User.objects.select_related("enterprise")}
    assert users["city_admin"].role == Role.CITY_ADMIN
    assert not any(u.is_superuser for u in users.values())  # 三权分立: no superuser, not even the city admin
    assert {u.username for u in users.values() if u.is_staff} == {"city_admin", "sysadmin_demo"}
    assert {u.role for u in users.values()} == set(Role.values)  # one user (at least) per role
    assert users["kejiju_demo"].organisation == "市科技局"
    assert users["city_staff"].role == Role.CITY_STAFF
    assert users["district_xihu"].district_id == "330106"
    assert users["district_binjiang"].district_id == "330108"
    assert users["enterprise_demo"].role == Role.ENTERPRISE
    assert users["enterprise_demo"].enterprise.district_id == "330106"
    assert users["provider_demo"].role == Role.PROVIDER
    assert users["auditor_demo"].role == Role.AUDITOR
    assert users["finance_demo"].role == Role.FINANCE
    passwords = [row[1] for row in logins]
    assert len(set(passwords)) == len(passwords)
    for username, password, _role, _scope in logins:
        validate_password(password, users[username])
        assert users[username].check_password(password)
    scopes = {row[0]: row[3] for row in logins}
    assert "西湖区" in scopes["district_xihu"]
    assert users["enterprise_demo"].enterprise.uscc in scopes["enterprise_demo"]

    path = logins_path()
    assert path.parent == var_dir
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_logins() == logins
    # a second run keeps the accounts and shows the stored passwords again
    assert create_demo_users() == logins
    assert User.objects.count() == 15


def _cli(*args: str):
    from srdi.cli import commands_demo  # noqa: F401 - registers the command
    from srdi.cli.main import cli

    return CliRunner().invoke(cli, ["demo", *args])


def test_cli_if_empty_does_not_load_twice(var_dir):
    first = _cli("--enterprises", "120", "--seed", "3")
    assert first.exit_code == 0, first.output
    assert Enterprise.objects.count() == 120
    assert "city_admin" in first.stdout
    assert "district_xihu" in first.stdout
    logins = read_logins()
    assert logins
    assert logins[0][1] in first.stdout

    again = _cli("--enterprises", "120", "--seed", "3", "--if-empty")
    assert again.exit_code == 0, again.output
    assert Enterprise.objects.count() == 120
    assert AuditEvent.objects.filter(object_type="demo").count() == 1
    assert logins[0][1] in again.stdout  # the stored logins are shown again

    shown = _cli("--logins")
    assert shown.exit_code == 0
    assert all(login[0] in shown.stdout for login in logins)

    clash = _cli("--enterprises", "120", "--seed", "3", "--no-users")
    assert clash.exit_code == 1
    assert "统一社会信用代码" in clash.output


def test_cli_generates_for_the_current_year_in_hangzhou(var_dir, monkeypatch):
    import srdi.demo.generator

    monkeypatch.setattr(srdi.demo.generator, "current_year", lambda: 2026)
    result = _cli("--enterprises", "60", "--seed", "5", "--no-users")
    assert result.exit_code == 0, result.output
    assert set(EnterpriseYear.objects.values_list("year", flat=True).distinct()) == {2022, 2023, 2024, 2025}
    assert set(PlatformScore.objects.values_list("year", flat=True).distinct()) == {2025, 2026}


def test_cli_logins_without_a_file_fails_clearly(var_dir):
    result = _cli("--logins")
    assert result.exit_code == 1
    assert "没有已保存的演示账号" in result.output


def test_demo_business_covers_every_state_and_keeps_the_ledger_true(var_dir):
    from srdi.db.models import Case, PaymentRun, Voucher
    from srdi.services.demo_money import create_demo_money
    from srdi.services.ledger_verify import verify_all

    load_tables(generate(1500, SEED), seed=SEED)
    create_demo_users()
    lines: list[str] = []
    create_demo_money(lines)
    states = set(Case.objects.values_list("state", flat=True))
    assert {
        "offered",
        "district_review",
        "city_review",
        "publicity",
        "approved",
        "payment_scheduled",
        "paid",
        "payment_failed",
        "returned",
        "rejected",
        "declined",
    } <= states
    assert PaymentRun.objects.count() >= 2
    assert Voucher.objects.exists()
    assert all(check.ok for check in verify_all()), [c for c in verify_all() if not c.ok]
    assert any("拨付批次" in line for line in lines)
    assert verify_chain().ok  # the audit events written in chunks extend the chain without a break
    # running it again adds nothing (programmes are keyed by code)
    cases = Case.objects.count()
    create_demo_money([])
    assert Case.objects.count() == cases
