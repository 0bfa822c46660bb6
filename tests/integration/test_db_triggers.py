"""The triggers srdi relies on (``srdi.db.triggers``): all present after migrating, a missing one reported by the
system check, ``srdi serve`` and ``srdi triggers``, and put back by ``srdi triggers --repair`` — working again."""

from __future__ import annotations

import pytest
from click import ClickException
from django.core.checks import run_checks
from django.db import connection

from srdi.cli.commands_server import _refuse_missing_triggers
from srdi.db import triggers
from srdi.db.models import DataVersion, Enterprise, User
from srdi.services import auth_generation

pytestmark = pytest.mark.django_db

DROPPED = ("srdi_enterprise_version_update", "srdi_user_auth_update")


def _drop(name: str) -> None:
    table = name.rsplit("_version_", 1)[0] if "_version_" in name else name.rsplit("_auth_", 1)[0]
    on = f" ON {table}" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {name}{on}")


def test_every_trigger_of_the_applied_migrations_is_there() -> None:
    assert triggers.missing(connection) == {}
    expected = {n for s in triggers.TRIGGER_SETS for n in s.names()}
    assert len(expected) == 4 + 12 * 3
    assert expected <= triggers.existing(connection)


def test_a_dropped_trigger_is_reported_refused_and_repaired(role_users, cli_runner) -> None:
    for name in DROPPED:
        _drop(name)
    gaps = triggers.missing(connection)
    assert sorted(n for names in gaps.values() for n in names) == sorted(DROPPED)
    errors = [e for e in run_checks(databases=["default"]) if e.id == "srdi.E102"]
    assert len(errors) == 1 and "srdi_enterprise_version_update" in errors[0].msg
    assert "srdi triggers --repair" in errors[0].hint

    report = cli_runner("triggers")
    assert report.exit_code == 1 and "srdi_user_auth_update" in report.output
    with pytest.raises(ClickException, match="缺少 srdi 依赖的触发器"):
        _refuse_missing_triggers()

    repaired = cli_runner("triggers", "--repair")
    assert repaired.exit_code == 0 and "已重新创建 2 个触发器" in repaired.output
    assert triggers.missing(connection) == {}
    assert not [e for e in run_checks(databases=["default"]) if e.id == "srdi.E102"]
    assert cli_runner("triggers").output.strip() == "触发器齐全。"

    # …and they work again: a fact table write moves the data version, a role change the token counter.
    before = DataVersion.objects.get(pk=1).counter
    Enterprise.objects.filter(pk=Enterprise.objects.first().pk).update(name="改名后的企业")
    assert DataVersion.objects.get(pk=1).counter != before
    generation = auth_generation.current()
    user = User.objects.filter(role="district_staff").first()
    User.objects.filter(pk=user.pk).update(role="city_staff")
    assert auth_generation.current() == generation + 1


def test_repair_with_nothing_missing_changes_nothing() -> None:
    before = triggers.existing(connection)
    assert triggers.repair(connection) == []
    assert triggers.existing(connection) == before
